// Package report renders the suite's results: Markdown tables, a CSV,
// benchstat-readable raw lines, a JSON dump, and plots.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/forage-go/forage/bench/internal/suite"
)

// Row is one (workload, contender, workers) entry, summarised.
type Row struct {
	Cell    *suite.Cell
	Result  *suite.ContenderResult
	Stats   suite.Stats
	Speedup float64 // serial median ÷ this median, 0 when unknown
}

// OK reports whether the row has measurements.
func (r Row) OK() bool { return r.Result.Status == suite.StatusOK && r.Stats.N > 0 }

// PerUnit returns the median time per fork or task in nanoseconds.
func (r Row) PerUnit() float64 {
	if r.Cell.Units == 0 {
		return 0
	}
	return float64(r.Stats.Median.Nanoseconds()) / float64(r.Cell.Units)
}

// AllocsPerUnit returns the median allocations per fork or task.
func (r Row) AllocsPerUnit() float64 {
	if r.Cell.Units == 0 {
		return 0
	}
	return r.Stats.Allocs / float64(r.Cell.Units)
}

// ForkedShare returns the share of fork points handed to another goroutine,
// or -1 when the contender does not count them.
func (r Row) ForkedShare() float64 {
	if r.Stats.Counters.Forked < 0 || r.Cell.Units == 0 || r.Cell.Kind != "recursive" {
		return -1
	}
	return float64(r.Stats.Counters.Forked) / float64(r.Cell.Units)
}

// Rows summarises every cell of the results, in cell and table order.
func Rows(res *suite.Results) []Row {
	var rows []Row
	for ci := range res.Cells {
		c := &res.Cells[ci]
		var serial time.Duration
		for i := range c.Results {
			if c.Results[i].Contender == "serial" {
				serial = suite.Summarize(c.Results[i].Samples).Median
			}
		}
		for i := range c.Results {
			r := Row{Cell: c, Result: &c.Results[i], Stats: suite.Summarize(c.Results[i].Samples)}
			if r.OK() && serial > 0 {
				r.Speedup = float64(serial) / float64(r.Stats.Median)
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// Files lists what WriteAll writes, without the plots.
var Files = []string{"bench-results.md", "bench-results.csv", "bench-results.txt", "bench-results.json"}

// WriteAll writes every output into dir and returns the paths written.
func WriteAll(dir string, res *suite.Results, formats []string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var written []string
	write := func(name string, f func(io.Writer) error) error {
		path := filepath.Join(dir, name)
		out, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := f(out); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
		written = append(written, path)
		return nil
	}
	steps := []struct {
		name string
		f    func(io.Writer) error
	}{
		{Files[0], func(w io.Writer) error { return Markdown(w, res) }},
		{Files[1], func(w io.Writer) error { return CSV(w, res) }},
		{Files[2], func(w io.Writer) error { return Benchstat(w, res) }},
		{Files[3], func(w io.Writer) error { return JSON(w, res) }},
	}
	for _, s := range steps {
		if err := write(s.name, s.f); err != nil {
			return written, err
		}
	}
	plots, err := Plots(dir, res, formats)
	written = append(written, plots...)
	return written, err
}

// JSON writes the raw results, which -from reads back.
func JSON(w io.Writer, res *suite.Results) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(res)
}

// ReadJSON reads results written by JSON.
func ReadJSON(r io.Reader) (*suite.Results, error) {
	var res suite.Results
	if err := json.NewDecoder(r).Decode(&res); err != nil {
		return nil, err
	}
	return &res, nil
}

// fmtDur formats a duration with three significant digits.
func fmtDur(d time.Duration) string {
	ns := float64(d.Nanoseconds())
	switch {
	case ns >= 1e9:
		return sig(ns/1e9) + " s"
	case ns >= 1e6:
		return sig(ns/1e6) + " ms"
	case ns >= 1e3:
		return sig(ns/1e3) + " µs"
	}
	return sig(ns) + " ns"
}

// sig formats x with three significant digits (no exponent).
func sig(x float64) string {
	switch ax := math.Abs(x); {
	case ax == 0:
		return "0"
	case ax >= 100:
		return fmt.Sprintf("%.0f", x)
	case ax >= 10:
		return fmt.Sprintf("%.1f", x)
	case ax >= 1:
		return fmt.Sprintf("%.2f", x)
	case ax >= 0.1:
		return fmt.Sprintf("%.3f", x)
	case ax >= 0.01:
		return fmt.Sprintf("%.4f", x)
	}
	return fmt.Sprintf("%.2g", x)
}

// fmtBytes formats a byte count.
func fmtBytes(b int64) string {
	x := float64(b)
	switch {
	case x >= 1<<30:
		return sig(x/(1<<30)) + " GiB"
	case x >= 1<<20:
		return sig(x/(1<<20)) + " MiB"
	case x >= 1<<10:
		return sig(x/(1<<10)) + " KiB"
	}
	return fmt.Sprintf("%d B", b)
}

// fmtCount formats an integer with thousands separators.
func fmtCount(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// benchName turns a workload name into a benchmark name: "uts-t1" → "UtsT1".
func benchName(w string) string {
	var b strings.Builder
	up := true
	for _, r := range w {
		if r == '-' || r == '_' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}

package report

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/forage-go/forage/bench/internal/suite"
)

// CSVHeader is the CSV's first line.
var CSVHeader = []string{
	"workload", "title", "kind", "contender", "workers", "status", "runs",
	"median_ns", "min_ns", "max_ns", "speedup", "unit", "units", "ns_per_unit",
	"allocs_per_unit", "peak_heap_bytes", "forked", "steals", "parks", "tasks",
}

// CSV writes one line per (workload, contender, workers).
func CSV(out io.Writer, res *suite.Results) error {
	w := csv.NewWriter(out)
	if err := w.Write(CSVHeader); err != nil {
		return err
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	i := func(x int64) string { return strconv.FormatInt(x, 10) }
	for _, r := range Rows(res) {
		st := r.Stats
		rec := []string{
			r.Cell.Workload, r.Cell.Title, r.Cell.Kind, r.Result.Contender, strconv.Itoa(r.Cell.Workers),
			r.Result.Status, strconv.Itoa(st.N),
			i(st.Median.Nanoseconds()), i(st.Min.Nanoseconds()), i(st.Max.Nanoseconds()),
			f(r.Speedup), r.Cell.Unit, i(r.Cell.Units), f(r.PerUnit()),
			f(r.AllocsPerUnit()), i(st.PeakHeap),
			i(st.Counters.Forked), i(st.Counters.Steals), i(st.Counters.Parks), i(st.Counters.Tasks),
		}
		if !r.OK() {
			for k := 7; k < len(rec); k++ {
				rec[k] = ""
			}
			rec[11], rec[12] = r.Cell.Unit, i(r.Cell.Units)
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// Benchstat writes every run as a benchmark result line that benchstat
// reads, e.g. "BenchmarkFib/contender=ants/workers=2 1 81234567 ns/op ...",
// so that `benchstat -col /contender bench-results.txt` compares contenders.
func Benchstat(out io.Writer, res *suite.Results) error {
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, "goos: %s\ngoarch: %s\npkg: github.com/forage-go/forage/bench\ncpu: %s\n", res.Machine.OS, res.Machine.Arch, res.Machine.Model)
	for _, c := range res.Cells {
		for _, r := range c.Results {
			if r.Status != suite.StatusOK {
				continue
			}
			for _, s := range r.Samples {
				fmt.Fprintf(w, "Benchmark%s/contender=%s/workers=%d \t1\t%d ns/op\t%.4g ns/%s\t%d allocs/op\t%d peak-B",
					benchName(c.Workload), r.Contender, c.Workers, s.Nanos,
					float64(s.Nanos)/float64(max(c.Units, 1)), c.Unit, s.Allocs, s.PeakHeap)
				if s.Counters.Steals >= 0 {
					fmt.Fprintf(w, "\t%d steals/op\t%d parks/op", s.Counters.Steals, s.Counters.Parks)
				}
				if s.Counters.Forked >= 0 && c.Kind == "recursive" {
					fmt.Fprintf(w, "\t%d forked/op", s.Counters.Forked)
				}
				fmt.Fprintln(w)
			}
		}
	}
	return w.Flush()
}

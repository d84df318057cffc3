package report

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/forage-go/forage/bench/internal/suite"
)

// sample returns a small synthetic result set.
func sample() *suite.Results {
	samples := func(ns ...int64) []suite.Sample {
		var s []suite.Sample
		for _, n := range ns {
			s = append(s, suite.Sample{Nanos: n, Allocs: uint64(n / 10), PeakHeap: 1 << 20, Counters: suite.NoCounters})
		}
		return s
	}
	forage := func(ns ...int64) []suite.Sample {
		s := samples(ns...)
		for i := range s {
			s[i].Counters = suite.Counters{Forked: -1, Steals: 12, Parks: 3, Tasks: 40}
		}
		return s
	}
	ants := func(ns ...int64) []suite.Sample {
		s := samples(ns...)
		for i := range s {
			s[i].Counters.Forked = 25
		}
		return s
	}
	cell := func(wl, title, kind, unit string, units int64, p int, scale int64) suite.Cell {
		return suite.Cell{
			Workload: wl, Title: title, Kind: kind, Unit: unit, Units: units, Workers: p, GOMAXPROCS: p,
			Results: []suite.ContenderResult{
				{Contender: "serial", Status: suite.StatusOK, Samples: samples(1000*scale, 1100*scale, 900*scale)},
				{Contender: "ants", Status: suite.StatusOK, Samples: ants(3000*scale, 3100*scale, 2900*scale)},
				{Contender: "forage", Status: suite.StatusOK, Samples: forage(1000*scale/int64(p)+1, 600*scale, 500*scale)},
				{Contender: "liar", Status: suite.StatusWrong, Err: "fib(10): wrong answer 56, want 55"},
			},
		}
	}
	return &suite.Results{
		Machine: suite.Machine{Model: "Test CPU", CPUs: 2, NumCPU: 2, GoVersion: "go1.26", OS: "linux", Arch: "amd64",
			Date: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), LoadBefore: "0.1 0.2 0.3", LoadAfter: "0.4 0.5 0.6"},
		Size: "full", Runs: 3, Workers: []int{1, 2},
		Contenders: []suite.ContenderInfo{
			{Name: "serial", Recursive: "plain", Flat: "loop"},
			{Name: "ants", Recursive: "try", Flat: "submit", Naive: "blocking"},
			{Name: "forage", Recursive: "Func", Flat: "Submit"},
			{Name: "liar", Recursive: "lies", Flat: "lies"},
		},
		Cells: []suite.Cell{
			cell("fib", "fib(10), no cutoff", "recursive", "fork", 88, 1, 1000),
			cell("fib", "fib(10), no cutoff", "recursive", "fork", 88, 2, 1000),
			cell("tiny", "100 tiny tasks, 1 submitter", "tasks", "task", 100, 1, 10),
			cell("tiny", "100 tiny tasks, 1 submitter", "tasks", "task", 100, 2, 10),
		},
		Probes: []suite.Probe{
			{Workload: "fib", Title: "fib(10), no cutoff", Contender: "ants", Pattern: "blocking", Workers: 1, Status: suite.ProbeDeadlock, Forks: 3},
			{Workload: "fib", Title: "fib(10), no cutoff", Contender: "ants", Pattern: "blocking", Workers: 2, Status: suite.ProbeCompletes, Forks: 88, Elapsed: time.Millisecond},
		},
		Elapsed: 90 * time.Second,
	}
}

func TestRows(t *testing.T) {
	rows := Rows(sample())
	if len(rows) != 16 {
		t.Fatalf("%d rows", len(rows))
	}
	r := rows[1] // ants, fib, 1 worker
	if r.Result.Contender != "ants" || !r.OK() || r.Stats.Median != 3000*time.Microsecond/1000*1000 {
		t.Fatalf("row %+v", r)
	}
	if got := r.Speedup; got < 0.333 || got > 0.334 {
		t.Errorf("speedup %v, want 1/3", got)
	}
	if got := r.ForkedShare(); got != 25.0/88 {
		t.Errorf("forked share %v", got)
	}
	if rows[3].OK() || rows[3].Speedup != 0 {
		t.Errorf("the wrong answer row has measurements: %+v", rows[3])
	}
}

func TestMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, sample()); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"machine: Test CPU, 2 CPUs, go1.26 linux/amd64",
		"load average before 0.1 0.2 0.3, after 0.4 0.5 0.6",
		"## Speedup over serial at 2 workers",
		"| fib(10), no cutoff | 1.00 ms | 0.333× | **2.00×** | **WRONG** |",
		"### fib(10), no cutoff — 88 forks per run",
		"| ants | 1 | 3.00 ms | 2.90 ms – 3.10 ms | 0.333× | 34091 | 3409 | 1.00 MiB | 25 (28.4%) |  |  |",
		"| forage | 2 | 500 µs | 500 µs – 600 µs | 2.00× |",
		"| 12 | 3 |",
		"liar, 1 worker: wrong answer: fib(10): wrong answer 56, want 55",
		"| fib(10), no cutoff | ants | blocking | **deadlock** (3 forks) | completes (1.00 ms) |",
		"| forage | Func | Submit |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(md)
	}
}

func TestCSV(t *testing.T) {
	var b bytes.Buffer
	if err := CSV(&b, sample()); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 17 || strings.Join(recs[0], ",") != strings.Join(CSVHeader, ",") {
		t.Fatalf("%d records, header %v", len(recs), recs[0])
	}
	ants := recs[2]
	if ants[3] != "ants" || ants[4] != "1" || ants[5] != "ok" || ants[7] != "3000000" || ants[16] != "25" {
		t.Errorf("ants record %v", ants)
	}
	liar := recs[4]
	if liar[5] != "wrong answer" || liar[7] != "" || liar[12] != "88" {
		t.Errorf("liar record %v", liar)
	}
}

func TestBenchstat(t *testing.T) {
	var b bytes.Buffer
	if err := Benchstat(&b, sample()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if lines[0] != "goos: linux" || lines[3] != "cpu: Test CPU" {
		t.Errorf("header %q", lines[:4])
	}
	re := regexp.MustCompile(`^Benchmark(Fib|Tiny)/contender=(serial|ants|forage)/workers=[12] \t1\t\d+ ns/op\t[0-9.e+]+ ns/(fork|task)\t\d+ allocs/op\t\d+ peak-B`)
	n := 0
	for _, l := range lines[4:] {
		if !re.MatchString(l) {
			t.Errorf("bad line %q", l)
		}
		n++
	}
	if n != 4*3*3 {
		t.Errorf("%d result lines, want 36", n)
	}
	if !strings.Contains(b.String(), "12 steals/op\t3 parks/op") || !strings.Contains(b.String(), "25 forked/op") {
		t.Error("counters missing")
	}
}

func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	files, err := WriteAll(dir, sample(), []string{"png", "svg"})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(Files)+4 {
		t.Fatalf("wrote %v", files)
	}
	png, err := os.ReadFile(filepath.Join(dir, SpeedupPlot+".png"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("speedup PNG: %v", err)
	}
	svg, err := os.ReadFile(filepath.Join(dir, PerUnitPlot+".svg"))
	if err != nil || !bytes.Contains(svg, []byte("<svg")) || !bytes.Contains(svg, []byte("Test CPU")) {
		t.Errorf("ns/op SVG: %v", err)
	}
	f, err := os.Open(filepath.Join(dir, "bench-results.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	back, err := ReadJSON(f)
	if err != nil || len(back.Cells) != 4 || back.Machine.Model != "Test CPU" {
		t.Fatalf("JSON round trip: %v", err)
	}
}

func TestFormatting(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{fmtDur(1500 * time.Millisecond), "1.50 s"},
		{fmtDur(2345 * time.Microsecond), "2.35 ms"},
		{fmtDur(12 * time.Microsecond), "12.0 µs"},
		{fmtDur(7), "7.00 ns"},
		{sig(0.00123), "0.0012"},
		{sig(0.0123), "0.0123"},
		{sig(123.4), "123"},
		{fmtBytes(3 << 30), "3.00 GiB"},
		{fmtBytes(1536), "1.50 KiB"},
		{fmtBytes(12), "12 B"},
		{fmtCount(-1234567), "-1,234,567"},
		{benchName("uts-t1"), "UtsT1"},
		{plural(1, "worker"), "1 worker"},
		{plural(2, "worker"), "2 workers"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	ticks := ticks125{}.Ticks(0.3, 3)
	var labels []string
	for _, tk := range ticks {
		labels = append(labels, tk.Label)
	}
	if got := strings.Join(labels, ","); got != "0.5,1,2" {
		t.Errorf("ticks %s", got)
	}
}

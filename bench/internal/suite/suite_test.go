package suite_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/forage-go/forage/bench/internal/foragec"
	"github.com/forage-go/forage/bench/internal/suite"
	"github.com/forage-go/forage/bench/internal/work"
)

// Test contenders that misbehave, registered in the parent and in the
// child processes (which are this test binary, re-executed).
type badEngine struct{ how string }

func (e badEngine) Run(w work.Workload) work.Answer {
	switch e.how {
	case "hang":
		select {}
	case "crash":
		os.Exit(3)
	}
	a := w.Serial()
	a[0]++
	a[1]++
	return a
}

func (badEngine) Counters() suite.Counters { return suite.NoCounters }
func (badEngine) Close()                   {}

func bad(name, how string) suite.Contender {
	return suite.Contender{
		Name:      name,
		Recursive: how,
		Flat:      how,
		Start: func(work.Workload, int) (suite.Engine, error) {
			return badEngine{how}, nil
		},
	}
}

func TestMain(m *testing.M) {
	suite.Register(foragec.Contender())
	suite.Register(bad("hanger", "hang"))
	suite.Register(bad("liar", "lie"))
	suite.Register(bad("crasher", "crash"))
	if len(os.Args) == 3 {
		for _, f := range []string{suite.ChildCellFlag, suite.ChildProbeFlag} {
			if os.Args[1] == "-"+f {
				os.Exit(suite.ChildMain(f, os.Args[2], os.Stdout))
			}
		}
	}
	os.Exit(m.Run())
}

// TestRunCellInProcess measures a small cell here, without a child.
func TestRunCellInProcess(t *testing.T) {
	var events int
	cell, err := suite.RunCell(suite.CellSpec{
		Workload: "fib", Size: work.Small, Workers: 2, Runs: 3,
		Contenders: []string{"serial", "chanpool", "forage", "liar"},
	}, func(suite.Event) { events++ })
	if err != nil {
		t.Fatal(err)
	}
	if cell.Units == 0 || cell.Title == "" || cell.Workers != 2 {
		t.Fatalf("bad cell %+v", cell)
	}
	if events != 2*3*4-2*2 { // a start and an end per run; the liar stops after one
		t.Errorf("%d progress events", events)
	}
	for _, r := range cell.Results {
		switch r.Contender {
		case "liar":
			if r.Status != suite.StatusWrong || !strings.Contains(r.Err, "wrong answer") {
				t.Errorf("liar: status %q, err %q", r.Status, r.Err)
			}
		default:
			if r.Status != suite.StatusOK || len(r.Samples) != 3 {
				t.Errorf("%s: status %q (%s), %d samples", r.Contender, r.Status, r.Err, len(r.Samples))
			}
		}
	}
}

// TestRunCellMinTime: a cell shorter than MinTime repeats, up to 4×Runs;
// without MinTime it stops at Runs.
func TestRunCellMinTime(t *testing.T) {
	for _, c := range []struct {
		min  time.Duration
		want int
	}{{0, 2}, {time.Hour, 8}} {
		cell, err := suite.RunCell(suite.CellSpec{
			Workload: "fib", Size: work.Small, Workers: 1, Runs: 2, MinTime: c.min,
			Contenders: []string{"serial", "forage"},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cell.Runs != c.want {
			t.Errorf("MinTime %v: %d runs, want %d", c.min, cell.Runs, c.want)
		}
		for _, r := range cell.Results {
			if len(r.Samples) != c.want {
				t.Errorf("MinTime %v: %s has %d samples, want %d", c.min, r.Contender, len(r.Samples), c.want)
			}
		}
	}
}

func TestProbesDetectDeadlock(t *testing.T) {
	probes, err := suite.RunProbes(suite.ProbeSpec{
		Workloads: []string{"fib", "sum"}, Size: work.Small, Workers: 2,
		Contenders: []string{"serial", "chanpool", "errgroup", "ants", "conc", "pond", "forage"},
		Stall:      100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(probes) != 5 { // the five bounded peers, on fib only (sum is flat)
		t.Fatalf("%d probes: %+v", len(probes), probes)
	}
	for _, p := range probes {
		if p.Status != suite.ProbeDeadlock || p.Forks < 1 || p.Workload != "fib" {
			t.Errorf("%s on %s: %s after %d forks", p.Contender, p.Workload, p.Status, p.Forks)
		}
	}
}

// TestRunEndToEnd runs the orchestrator with child processes: a
// contender that hangs and one that crashes its process are excluded and
// their cells measured again; a wrong answer fails the suite.
func TestRunEndToEnd(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	res, err := suite.Run(context.Background(), suite.Options{
		Workloads:   []string{"fib", "sum", "tiny8"},
		Contenders:  []string{"goroutine", "forage", "hanger", "crasher", "liar"},
		Workers:     []int{1, 2},
		Runs:        2,
		Size:        work.Small,
		RunTimeout:  300 * time.Millisecond,
		CellsAtOnce: 2,
		Probe:       true,
		Progress:    os.Stderr,
		Exe:         exe,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cells) != 6 {
		t.Fatalf("%d cells", len(res.Cells))
	}
	want := map[string]string{
		"serial": suite.StatusOK, "goroutine": suite.StatusOK, "forage": suite.StatusOK,
		"hanger": suite.StatusHang, "crasher": suite.StatusKilled, "liar": suite.StatusWrong,
	}
	for i, c := range res.Cells {
		if wl, p := []string{"fib", "sum", "tiny8"}[i/2], 1+i%2; c.Workload != wl || c.Workers != p {
			t.Errorf("cell %d is %s/%d, want %s/%d", i, c.Workload, c.Workers, wl, p)
		}
		if c.CPU <= 0 || c.Wall <= 0 {
			t.Errorf("%s/%d: no CPU or wall time recorded", c.Workload, c.Workers)
		}
		if c.GOMAXPROCS != c.Workers {
			t.Errorf("%s: GOMAXPROCS %d with %d workers", c.Workload, c.GOMAXPROCS, c.Workers)
		}
		var names []string
		for _, r := range c.Results {
			names = append(names, r.Contender)
			if r.Status != want[r.Contender] {
				t.Errorf("%s/%d %s: status %q (%s)", c.Workload, c.Workers, r.Contender, r.Status, r.Err)
			}
			if r.Status == suite.StatusOK && len(r.Samples) != 2 {
				t.Errorf("%s/%d %s: %d samples", c.Workload, c.Workers, r.Contender, len(r.Samples))
			}
		}
		if got := strings.Join(names, ","); got != "serial,goroutine,forage,hanger,liar,crasher" {
			t.Errorf("%s/%d: contenders %s", c.Workload, c.Workers, got)
		}
	}
	if !res.Failed() {
		t.Error("a wrong answer did not fail the suite")
	}
	if len(res.Probes) != 0 {
		t.Errorf("probes for contenders without a naive pattern: %+v", res.Probes)
	}
	if res.Machine.GoVersion == "" || res.Machine.NumCPU == 0 {
		t.Errorf("machine %+v", res.Machine)
	}
}

func TestSelect(t *testing.T) {
	cs, err := suite.Select([]string{"forage", "ants"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "serial,ants,forage" {
		t.Errorf("Select = %s", got)
	}
	if _, err := suite.Select([]string{"nope"}); err == nil {
		t.Error("Select accepted an unknown contender")
	}
	all, _ := suite.Select(nil)
	if len(all) != len(suite.Contenders()) {
		t.Errorf("Select(nil) gave %d of %d", len(all), len(suite.Contenders()))
	}
}

func TestSummarize(t *testing.T) {
	s := suite.Summarize([]suite.Sample{
		{Nanos: 30, Allocs: 3, Counters: suite.NoCounters},
		{Nanos: 10, Allocs: 1, Counters: suite.NoCounters},
		{Nanos: 20, Allocs: 2, Counters: suite.NoCounters},
		{Nanos: 90, Allocs: 9, Counters: suite.NoCounters},
	})
	if s.N != 4 || s.Median != 25 || s.Min != 10 || s.Max != 90 || s.Allocs != 2.5 || s.Counters.Steals != -1 {
		t.Errorf("Summarize = %+v", s)
	}
	if z := suite.Summarize(nil); z.N != 0 || z.Counters.Forked != -1 {
		t.Errorf("Summarize(nil) = %+v", z)
	}
}

func TestAutoCellsAtOnce(t *testing.T) {
	for load, want := range map[string]int{"0.10 0.30 0.50": 2, "0.50 1 1": 2, "0.51 0 0": 1, "3.2 3 3": 1, "": 1, "x": 1} {
		if got := suite.AutoCellsAtOnce(load, 0, false); got != want {
			t.Errorf("AutoCellsAtOnce(%q, unsampled) = %d, want %d", load, got, want)
		}
	}
	// A sample overrides the lagging load average, both ways.
	for _, c := range []struct {
		load string
		busy float64
		want int
	}{{"2.5 2 2", 0.05, 2}, {"2.5 2 2", 0.25, 2}, {"0.1 0 0", 0.3, 1}, {"", 1.9, 1}} {
		if got := suite.AutoCellsAtOnce(c.load, c.busy, true); got != c.want {
			t.Errorf("AutoCellsAtOnce(%q, %v busy) = %d, want %d", c.load, c.busy, got, c.want)
		}
	}
}

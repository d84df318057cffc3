package suite

import (
	"slices"
	"time"
)

// Status values of a contender in a cell.
const (
	StatusOK          = "ok"
	StatusWrong       = "wrong answer"
	StatusHang        = "hang"
	StatusPanic       = "panic"
	StatusUnsupported = "n/a"
	StatusKilled      = "killed"
)

// Sample is one timed run.
type Sample struct {
	Nanos    int64  // wall time of the run
	Allocs   uint64 // heap allocations during the run
	PeakHeap int64  // peak heap objects and goroutine stacks above the level before the run, bytes
	Counters Counters
}

// ContenderResult is one contender's runs in one cell.
type ContenderResult struct {
	Contender string
	Status    string
	Err       string `json:",omitempty"`
	Samples   []Sample
}

// Cell is one (workload, workers) process: every contender's runs.
type Cell struct {
	Workload   string
	Title      string
	Kind       string
	Unit       string
	Units      int64
	Workers    int
	GOMAXPROCS int
	Setup      time.Duration
	CPU        time.Duration // user+system CPU time of the cell's process(es)
	Wall       time.Duration // wall time of the cell's process(es)
	// Runs is how many repetitions the cell measured: the suite's Runs, or
	// more for a short cell (Options.MinCellTime).
	Runs    int
	Results []ContenderResult
}

// Probe is one deadlock probe: a contender's naive pattern on a workload.
type Probe struct {
	Workload  string
	Title     string
	Contender string
	Pattern   string
	Workers   int
	Status    string // "deadlock", "completes", "still running", "panic"
	Forks     int64  // forks entered before the hang (or in all)
	Elapsed   time.Duration
}

// Probe statuses.
const (
	ProbeDeadlock  = "deadlock"
	ProbeCompletes = "completes"
	ProbeRunning   = "still running"
)

// Stats summarises a contender's samples.
type Stats struct {
	N                int
	Median, Min, Max time.Duration
	Allocs           float64 // median allocations per run
	PeakHeap         int64   // median peak heap growth
	Counters         Counters
}

// Summarize returns the median, min and max of the samples, and the
// medians of the other measurements.
func Summarize(s []Sample) Stats {
	if len(s) == 0 {
		return Stats{Counters: NoCounters}
	}
	med := func(get func(Sample) float64) float64 {
		v := make([]float64, len(s))
		for i, x := range s {
			v[i] = get(x)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	ns := func(x Sample) float64 { return float64(x.Nanos) }
	st := Stats{
		N:        len(s),
		Median:   time.Duration(med(ns)),
		Min:      time.Duration(s[0].Nanos),
		Max:      time.Duration(s[0].Nanos),
		Allocs:   med(func(x Sample) float64 { return float64(x.Allocs) }),
		PeakHeap: int64(med(func(x Sample) float64 { return float64(x.PeakHeap) })),
	}
	for _, x := range s {
		st.Min = min(st.Min, time.Duration(x.Nanos))
		st.Max = max(st.Max, time.Duration(x.Nanos))
	}
	counter := func(get func(Counters) int64) int64 {
		if get(s[0].Counters) < 0 {
			return -1
		}
		return int64(med(func(x Sample) float64 { return float64(get(x.Counters)) }))
	}
	st.Counters = Counters{
		Forked: counter(func(c Counters) int64 { return c.Forked }),
		Steals: counter(func(c Counters) int64 { return c.Steals }),
		Parks:  counter(func(c Counters) int64 { return c.Parks }),
		Tasks:  counter(func(c Counters) int64 { return c.Tasks }),
	}
	return st
}

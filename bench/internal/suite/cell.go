package suite

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"time"

	"github.com/forage-go/forage/bench/internal/work"
)

// CellSpec is what a cell process measures.
type CellSpec struct {
	Workload   string
	Size       work.Size
	Workers    int
	Contenders []string // in table order; serial first
	Runs       int
	RunTimeout time.Duration
	// MinTime: a cell whose Runs repetitions took less than this repeats
	// until it has measured this long, up to maxRunsFactor×Runs repetitions,
	// so that short workloads (tens of ms per run) get medians of more runs.
	MinTime time.Duration
}

// maxRunsFactor bounds the extra repetitions MinTime may add.
const maxRunsFactor = 4

// Progress reports a run of a cell starting or finished.
type Progress struct {
	Starting  bool   // the run is about to start (else it has finished)
	Run, Runs int    // 1-based repetition
	Contender string // the contender of the run
	Done      int    // runs finished in this cell
	Total     int    // runs planned in this cell
}

// Event is one line of a child process's output.
type Event struct {
	Progress *Progress `json:",omitempty"`
	Cell     *Cell     `json:",omitempty"`
	Probes   []Probe   `json:",omitempty"`
	Error    string    `json:",omitempty"`
}

// RunCell measures one cell in this process: Runs repetitions, each
// running every contender once, in an order rotated each repetition so
// that machine noise hits all contenders alike. A contender that hangs
// ends the cell (its goroutines may still be running and would disturb the
// rest); the cell then reports what it has.
func RunCell(spec CellSpec, emit func(Event)) (*Cell, error) {
	if runtime.GOMAXPROCS(0) != spec.Workers {
		runtime.GOMAXPROCS(spec.Workers)
	}
	w, err := work.New(spec.Workload, spec.Size)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	w.Setup()
	cell := &Cell{
		Workload:   w.Name(),
		Title:      w.Title(),
		Kind:       w.Kind().String(),
		Unit:       w.Unit(),
		Units:      w.Units(),
		Workers:    spec.Workers,
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Setup:      time.Since(t0),
	}
	var cs []Contender
	for _, name := range spec.Contenders {
		c, ok := lookup(name)
		if !ok {
			return nil, fmt.Errorf("unknown contender %q", name)
		}
		cs = append(cs, c)
		cell.Results = append(cell.Results, ContenderResult{Contender: name, Status: StatusOK})
	}
	timeout := spec.RunTimeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	done, total := 0, spec.Runs*len(cs)
	start := time.Now()
	runs := spec.Runs
	for rep := 0; rep < runs; rep++ {
		for k := range cs {
			i := (k + rep) % len(cs)
			r := &cell.Results[i]
			if r.Status != StatusOK {
				done++
				continue
			}
			if emit != nil {
				emit(Event{Progress: &Progress{Starting: true, Run: rep + 1, Runs: runs, Contender: cs[i].Name, Done: done, Total: total}})
			}
			s, status, err := timedRun(cs[i], w, spec.Workers, timeout)
			done++
			switch status {
			case StatusOK:
				r.Samples = append(r.Samples, s)
			default:
				r.Status = status
				if err != nil {
					r.Err = err.Error()
				}
			}
			if emit != nil {
				emit(Event{Progress: &Progress{Run: rep + 1, Runs: runs, Contender: cs[i].Name, Done: done, Total: total}})
			}
			if status == StatusHang {
				return cell, nil
			}
		}
		if rep+1 == runs && runs < maxRunsFactor*spec.Runs && time.Since(start) < spec.MinTime {
			runs++ // one more repetition of every contender
			total += len(cs)
		}
	}
	cell.Runs = runs
	return cell, nil
}

// outcome is what the goroutine running a workload hands back.
type outcome struct {
	answer work.Answer
	nanos  int64
	panic  any
}

// timedRun runs c on w once: untimed reset, start and GC, then the timed
// run on a fresh goroutine watched by a timeout, then the check.
func timedRun(c Contender, w work.Workload, workers int, timeout time.Duration) (Sample, string, error) {
	w.Reset()
	e, err := c.Start(w, workers)
	if err == ErrUnsupported {
		return Sample{}, StatusUnsupported, nil
	}
	if err != nil {
		return Sample{}, StatusPanic, err
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	peak := startPeak()
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- outcome{panic: r}
			}
		}()
		t0 := time.Now()
		a := e.Run(w)
		done <- outcome{answer: a, nanos: time.Since(t0).Nanoseconds()}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var o outcome
	select {
	case o = <-done:
	case <-timer.C:
		peak.stop()
		return Sample{}, StatusHang, fmt.Errorf("no answer after %v", timeout)
	}
	p := peak.stop()
	runtime.ReadMemStats(&m1)
	if o.panic != nil {
		return Sample{}, StatusPanic, fmt.Errorf("panic: %v", o.panic)
	}
	counters := e.Counters()
	e.Close()
	if err := w.Verify(o.answer); err != nil {
		return Sample{}, StatusWrong, err
	}
	return Sample{
		Nanos:    o.nanos,
		Allocs:   m1.Mallocs - m0.Mallocs,
		PeakHeap: p,
		Counters: counters,
	}, StatusOK, nil
}

// peakSampler samples the heap's live objects and goroutine stacks every
// couple of milliseconds during a run.
type peakSampler struct {
	quit chan struct{}
	out  chan int64
}

var peakMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/stacks:bytes"}

// readHeap returns live heap objects plus goroutine stacks, in bytes.
func readHeap(s []metrics.Sample) int64 {
	metrics.Read(s)
	var t int64
	for _, x := range s {
		if x.Value.Kind() == metrics.KindUint64 {
			t += int64(x.Value.Uint64())
		}
	}
	return t
}

func startPeak() *peakSampler {
	p := &peakSampler{quit: make(chan struct{}), out: make(chan int64, 1)}
	s := make([]metrics.Sample, len(peakMetrics))
	for i, name := range peakMetrics {
		s[i].Name = name
	}
	base := readHeap(s)
	go func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		peak := base
		for {
			select {
			case <-t.C:
				peak = max(peak, readHeap(s))
			case <-p.quit:
				p.out <- max(peak, readHeap(s)) - base
				return
			}
		}
	}()
	return p
}

// stop ends sampling and returns the peak above the level at the start.
func (p *peakSampler) stop() int64 {
	close(p.quit)
	return <-p.out
}

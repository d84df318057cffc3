package suite

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/forage-go/forage/bench/internal/peer"
	"github.com/forage-go/forage/bench/internal/work"
)

// ProbeSpec is what a probe process runs: every selected contender's
// naive pattern on every selected recursive workload.
type ProbeSpec struct {
	Workloads  []string
	Size       work.Size
	Workers    int
	Contenders []string
	Stall      time.Duration // no fork for this long, unfinished: deadlock
	Limit      time.Duration // give up on a probe still making progress
}

// counting wraps a peer and counts the forks entered.
type counting struct {
	peer.Peer
	forks atomic.Int64
}

func (c *counting) Fork(a func()) peer.Handle {
	c.forks.Add(1)
	return c.Peer.Fork(a)
}

// RunProbes runs the deadlock probes in this process. The probes of one
// workload run at once, each on its own instance of the workload; a probe
// that deadlocks is abandoned with its goroutines, so this process must
// exit when it is done.
func RunProbes(spec ProbeSpec) ([]Probe, error) {
	if runtime.GOMAXPROCS(0) != spec.Workers {
		runtime.GOMAXPROCS(spec.Workers)
	}
	if spec.Stall <= 0 {
		// A live run forks every few microseconds; 100 ms without a fork
		// is a deadlock, and each probed workload waits this long.
		spec.Stall = 100 * time.Millisecond
	}
	if spec.Limit <= 0 {
		spec.Limit = 20 * time.Second
	}
	var out []Probe
	for _, name := range spec.Workloads {
		var running []*probeRun
		for _, cname := range spec.Contenders {
			c, ok := lookup(cname)
			if !ok {
				return nil, fmt.Errorf("unknown contender %q", cname)
			}
			if c.Naive == nil {
				continue
			}
			w, err := work.New(name, spec.Size)
			if err != nil {
				return nil, err
			}
			if w.Kind() != work.Recursive {
				break
			}
			w.Setup()
			w.Reset()
			running = append(running, &probeRun{
				Probe: Probe{Workload: w.Name(), Title: w.Title(), Contender: c.Name, Pattern: c.NaiveDesc, Workers: spec.Workers},
				w:     w,
				p:     &counting{Peer: c.Naive(spec.Workers)},
			})
		}
		for _, r := range running {
			r.start()
		}
		// Watched all at once: one after the other, every deadlocked probe
		// would add a whole stall period (35 probes: 10 s instead of 2).
		var wg sync.WaitGroup
		for _, r := range running {
			wg.Go(func() { r.await(spec.Stall, spec.Limit) })
		}
		wg.Wait()
		for _, r := range running {
			out = append(out, r.Probe)
		}
	}
	return out, nil
}

// probeRun is one probe in flight.
type probeRun struct {
	Probe
	w    work.Workload
	p    *counting
	t0   time.Time
	done chan string
}

func (r *probeRun) start() {
	r.done = make(chan string, 1)
	r.t0 = time.Now()
	go func() {
		defer func() {
			if x := recover(); x != nil {
				r.done <- fmt.Sprintf("panic: %v", x)
			}
		}()
		r.w.Peer(r.p)
		r.done <- ProbeCompletes
	}()
}

// await watches the fork counter: finished is "completes", no new fork for
// stall while unfinished is "deadlock", and past limit "still running".
func (r *probeRun) await(stall, limit time.Duration) {
	last, lastChange := r.p.forks.Load(), time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case s := <-r.done:
			r.Status, r.Forks, r.Elapsed = s, r.p.forks.Load(), time.Since(r.t0)
			return
		case now := <-tick.C:
			n := r.p.forks.Load()
			switch {
			case n != last:
				last, lastChange = n, now
			case now.Sub(lastChange) >= stall:
				r.Status, r.Forks, r.Elapsed = ProbeDeadlock, n, lastChange.Sub(r.t0)
				return
			}
			if now.Sub(r.t0) >= limit {
				r.Status, r.Forks, r.Elapsed = ProbeRunning, n, now.Sub(r.t0)
				return
			}
		}
	}
}

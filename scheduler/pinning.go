package scheduler

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/forage-go/forage/affinity"
)

// WithPinning pins each worker to one CPU by the policy p (see package
// affinity): affinity.Compact, affinity.Scatter or affinity.CPUs(ids...).
// affinity.None, the default, leaves placement to the OS. A plan that cannot
// be made — an explicit CPU outside the allowed set, or more workers than
// allowed CPUs under Compact or Scatter — fails New with an error naming the
// CPU and the allowed set. A pin that fails when the worker starts (say the
// CPU went offline) leaves that worker running unpinned; Pins reports it.
//
// A pinned worker locks its goroutine to its OS thread for its whole life
// and exits still locked, so the runtime destroys the narrowed thread
// instead of reusing it. Locked threads make parking and waking an OS-level
// hand-off (20–40 µs on our test machine instead of 0.3 µs), so pinned
// workers search longer before they park. Pinning rarely pays on a small or
// shared VM: measure (docs/affinity.md).
func WithPinning(p affinity.Policy) Option {
	return func(c *config) error {
		c.pinning = p
		return nil
	}
}

// PinStatus says where a worker runs.
type PinStatus struct {
	CPU int   // the CPU the worker is pinned to, or -1
	Err error // why pinning failed, if the plan had a CPU for it
}

// Pins reports, for each worker (by ID), the CPU it is pinned to.
func (p *Pool) Pins() []PinStatus {
	out := make([]PinStatus, len(p.workers))
	for i, w := range p.workers {
		out[i] = PinStatus{CPU: -1}
		if w.pinCPU >= 0 {
			out[i] = PinStatus{CPU: w.pinCPU, Err: w.pinErr}
			if w.pinErr != nil {
				out[i].CPU = -1
			}
		}
	}
	return out
}

// detected is the machine as seen at the first New: forage sizes its pools by
// the CPUs detected at startup.
var detected = sync.OnceValues(affinity.Detect)

// defaultWorkers is the number of CPUs this process may use: the smallest of
// GOMAXPROCS now, the affinity mask and the CPU quota (affinity.Usable).
func defaultWorkers() int {
	n := runtime.GOMAXPROCS(0)
	if t, err := detected(); err == nil {
		n = min(n, t.Usable())
	}
	return max(1, n)
}

// pinPlan returns the CPU for each worker, or nil when not pinning.
func pinPlan(p affinity.Policy, workers int) ([]int, error) {
	if !p.Pinned() {
		return nil, nil
	}
	if !affinity.Supported {
		return nil, fmt.Errorf("forage: WithPinning(%s): pinning is not supported on %s", p, runtime.GOOS)
	}
	t, err := detected()
	if err != nil {
		return nil, fmt.Errorf("forage: WithPinning(%s): %w", p, err)
	}
	plan, err := t.Plan(p, workers)
	if err != nil {
		return nil, fmt.Errorf("forage: WithPinning(%s): %w", p, err)
	}
	return plan, nil
}

// pin runs on the worker's goroutine before its loop. On success the
// goroutine stays locked to its thread for good.
func (w *Worker) pin(cpu int) {
	w.pinCPU = cpu
	w.pinErr = affinity.Pin(cpu)
}

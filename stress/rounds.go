package stress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/forage-go/forage/internal/chaos"
	"github.com/forage-go/forage/scheduler"
)

// RaceGoroutineLimit is the race detector's cap on simultaneously live
// goroutines (golang/go#45193); scenarios stay well below it.
const RaceGoroutineLimit = 8128

// roundFunc runs and checks one round with its seed, adding to res.
type roundFunc func(ctx context.Context, seed uint64, res *Result) error

// rounds runs round until ctx is done or cfg.Rounds are done (always at
// least one), seeding the chaos sequence with each round's seed, and stops
// at the first failure.
func rounds(ctx context.Context, cfg Config, name string, round roundFunc) Result {
	res := Result{Scenario: name, Seed: cfg.Seed}
	start := time.Now()
	for r := 0; ; r++ {
		if r > 0 && (ctx.Err() != nil || cfg.Rounds > 0 && r >= cfg.Rounds) {
			break
		}
		seed := RoundSeed(cfg.Seed, r)
		chaos.Seed(seed)
		res.Rounds++
		if err := round(ctx, seed, &res); err != nil {
			f := &Failure{Scenario: name, Round: r, Seed: seed, Err: err}
			var h *hangError
			if errors.As(err, &h) {
				f.Stacks = h.stacks
			}
			res.Err = f
			break
		}
	}
	res.Elapsed = time.Since(start)
	return res
}

// hangError is a check that timed out; it carries the goroutine stacks taken
// when it did.
type hangError struct {
	msg    string
	stacks []byte
}

func (h *hangError) Error() string { return h.msg }

// hang returns a hangError with every goroutine's stack.
func hang(format string, args ...any) error {
	return &hangError{msg: fmt.Sprintf(format, args...), stacks: allStacks()}
}

// allStacks returns every goroutine's stack in the runtime's panic format.
func allStacks() []byte {
	var b bytes.Buffer
	if p := pprof.Lookup("goroutine"); p != nil {
		_ = p.WriteTo(&b, 2)
	}
	return b.Bytes()
}

// waitOrHang waits for done for at most d; it returns a hang error naming
// what was awaited if done is not closed in time.
func waitOrHang(done <-chan struct{}, d time.Duration, what string) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		return hang("%s did not finish within %v", what, d)
	}
}

// roundTimeout bounds how long one blocking step of a round (a Run, a
// Close) may take before the round reports a hang: far above any honest
// duration, well below the watchdog's grace period.
const roundTimeout = 6 * time.Second

// newPool makes a pool with n workers.
func newPool(n int, opts ...scheduler.Option) (*scheduler.Pool, error) {
	p, err := scheduler.New(append([]scheduler.Option{scheduler.WithWorkers(n)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("scheduler.New(%d workers): %w", n, err)
	}
	return p, nil
}

// closeOrHang closes p, reporting a hang if Close does not return in time.
func closeOrHang(p *scheduler.Pool) error {
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		err = p.Close()
	}()
	if h := waitOrHang(done, roundTimeout, "Pool.Close"); h != nil {
		return h
	}
	return err
}

// closeFailure describes a failed Close: a hang as it is, panics (Close
// returns those of submitted tasks) by value and where they happened.
func closeFailure(err error) error {
	var h *hangError
	if errors.As(err, &h) {
		return err
	}
	var parts []string
	for _, e := range flatten(err) {
		var pe *scheduler.PanicError
		if errors.As(e, &pe) {
			parts = append(parts, fmt.Sprintf("panic %v\n%s", pe.Value, shortStack(pe.Stack)))
		} else {
			parts = append(parts, e.Error())
		}
	}
	return fmt.Errorf("the pool's Close returned %s", strings.Join(parts, "\n"))
}

// addStats adds a closed (hence idle, hence exact) pool's counters to res.
func addStats(res *Result, p *scheduler.Pool) {
	s := p.Stats().Total
	res.Tasks += int64(s.Tasks)
	res.Steals += int64(s.Steals)
}

// workersFor picks a worker count: cfg.Workers if set, else one of the
// choices by rng.
func workersFor(cfg Config, seed uint64, choices ...int) int {
	if cfg.Workers > 0 {
		return cfg.Workers
	}
	return pick(newRand(seed^0xA5A5), choices...)
}

// settleGoroutines waits, yielding, until at most limit goroutines are live
// or the wait times out; it returns the last count seen.
func settleGoroutines(limit int, within time.Duration) int {
	deadline := time.Now().Add(within)
	for {
		n := runtime.NumGoroutine()
		if n <= limit || time.Now().After(deadline) {
			return n
		}
		for range 100 {
			runtime.Gosched()
		}
		time.Sleep(time.Millisecond)
	}
}

// forageStacks returns the stacks of goroutines that are inside package
// scheduler or deque, for leak reports.
func forageStacks() string {
	var out []string
	for _, g := range strings.Split(string(allStacks()), "\n\n") {
		if strings.Contains(g, "forage/scheduler.") || strings.Contains(g, "forage/deque.") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

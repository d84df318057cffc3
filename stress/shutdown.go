package stress

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/forage-go/forage/scheduler"
)

// Shutdown races Close against floods of Submit, Run, RunContext, Submit
// from inside tasks and forking Runs, from many goroutines. Each call gets
// an id and records whether it was accepted. Checks, all exact:
//
//   - every accepted task ran exactly once, and had run when Close returned;
//   - every rejected call got ErrClosed (Run panics with it) and its task
//     never ran; nothing else was returned;
//   - concurrent Close calls all return nil;
//   - after Close, Submit, Run and RunContext fail with ErrClosed;
//   - no goroutine is left: the live goroutine count returns to what it was
//     before the pool was made (a bounded wait; the report lists leftovers).
func Shutdown(ctx context.Context, cfg Config) Result {
	return rounds(ctx, cfg, "shutdown", func(_ context.Context, seed uint64, res *Result) error {
		return shutdownRound(cfg, seed, res)
	})
}

// Outcomes of a call in the shutdown scenario.
const (
	outNone int32 = iota
	outAccepted
	outRejected
)

func shutdownRound(cfg Config, seed uint64, res *Result) error {
	rng := newRand(seed)
	before := runtime.NumGoroutine()
	p, err := newPool(workersFor(cfg, seed, 1, 2, 3, 4, 8, 16))
	if err != nil {
		return err
	}
	floods := pick(rng, 1, 2, 4, 8, 16, 32)
	per := pick(rng, 50, 200, 800)
	ids := floods * per * 2 // two ids per call: some calls run two tasks
	outcome := make([]atomic.Int32, ids)
	ran := make([]atomic.Int32, ids)
	var started atomic.Int64
	var failOnce sync.Once
	var ferr error
	fail := func(err error) { failOnce.Do(func() { ferr = err }) }
	mark := func(id int) func(*scheduler.Worker) {
		return func(*scheduler.Worker) { ran[id].Add(1) }
	}
	// record sets id's outcome from a call's error: nil accepted, ErrClosed
	// rejected, anything else a failure.
	record := func(id int, err error, call string) bool {
		switch {
		case err == nil:
			outcome[id].Store(outAccepted)
		case errors.Is(err, scheduler.ErrClosed):
			outcome[id].Store(outRejected)
			return false
		default:
			fail(fmt.Errorf("%s returned %v, want nil or ErrClosed", call, err))
		}
		return true
	}

	var fwg sync.WaitGroup
	for g := range floods {
		frng := newRand(subSeed(seed, g))
		fwg.Add(1)
		go func() {
			defer fwg.Done()
			after := -1 // calls left after the first rejection
			for i := 0; i < per && after != 0; i++ {
				started.Add(1)
				id := (g*per + i) * 2
				ok := true
				switch op := frng.IntN(10); {
				case op < 4:
					ok = record(id, p.Submit(mark(id)), "Submit")
				case op < 6:
					var err error
					func() {
						defer func() {
							if v := recover(); v != nil {
								e, isErr := v.(error)
								if !isErr {
									fail(fmt.Errorf("Run panicked with %v", v))
									return
								}
								err = e
							}
						}()
						p.Run(mark(id))
					}()
					ok = record(id, err, "Run")
				case op < 7:
					ok = record(id, p.RunContext(context.Background(), mark(id)), "RunContext")
				case op < 9:
					// A task that submits another as it runs: the inner
					// Submit races Close too.
					ok = record(id, p.Submit(func(w *scheduler.Worker) {
						ran[id].Add(1)
						record(id+1, w.Pool().Submit(mark(id+1)), "Submit from a task")
					}), "Submit")
				default:
					// A Run that forks: both halves are part of the Run.
					err := p.RunContext(context.Background(), func(w *scheduler.Worker) {
						w.Join(mark(id), mark(id+1))
					})
					ok = record(id, err, "RunContext(Join)")
					if ok {
						outcome[id+1].Store(outAccepted)
					} else {
						outcome[id+1].Store(outRejected)
					}
				}
				if !ok && after < 0 {
					after = 1 + frng.IntN(8)
				}
				if after > 0 && !ok {
					after--
				}
			}
		}()
	}

	// Closers: Close once a random share of the calls has started.
	threshold := int64(rng.IntN(floods*per + 1))
	closers := 1 + rng.IntN(3)
	closeErrs := make([]error, closers)
	var snapshot []int32 // ran counts when the first Close returned
	var snapOnce sync.Once
	var cwg sync.WaitGroup
	for c := range closers {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			deadline := time.Now().Add(2 * time.Second)
			for started.Load() < threshold && time.Now().Before(deadline) {
				runtime.Gosched()
			}
			closeErrs[c] = p.Close()
			snapOnce.Do(func() {
				snapshot = make([]int32, ids)
				for i := range ran {
					snapshot[i] = ran[i].Load()
				}
			})
		}()
	}
	done := make(chan struct{})
	go func() {
		cwg.Wait()
		fwg.Wait()
		close(done)
	}()
	if err := waitOrHang(done, roundTimeout, "Close racing Submit/Run floods"); err != nil {
		return err
	}
	res.Ops += started.Load() + int64(closers)
	addStats(res, p)
	if ferr != nil {
		return ferr
	}
	for c, err := range closeErrs {
		if err != nil {
			return fmt.Errorf("the Close call %d of %d returned %v, want nil", c+1, closers, err)
		}
	}
	for id := range outcome {
		o, r := outcome[id].Load(), ran[id].Load()
		switch {
		case o == outAccepted && r != 1:
			return fmt.Errorf("call %d was accepted but its task ran %d times", id, r)
		case o == outAccepted && snapshot[id] != 1:
			return fmt.Errorf("call %d was accepted but its task had not run when Close returned", id)
		case o != outAccepted && r != 0:
			return fmt.Errorf("call %d was rejected (or never made) but its task ran %d times", id, r)
		}
	}
	// After Close, every entry point refuses.
	if err := p.Submit(func(*scheduler.Worker) {}); !errors.Is(err, scheduler.ErrClosed) {
		return fmt.Errorf("a Submit after Close returned %v, want ErrClosed", err)
	}
	if err := p.RunContext(context.Background(), func(*scheduler.Worker) {}); !errors.Is(err, scheduler.ErrClosed) {
		return fmt.Errorf("RunContext after Close returned %v, want ErrClosed", err)
	}
	if err := runErr(p); !errors.Is(err, scheduler.ErrClosed) {
		return fmt.Errorf("Run after Close panicked with %v, want ErrClosed", err)
	}
	if err := p.Close(); err != nil {
		return fmt.Errorf("a second Close returned %v, want nil", err)
	}
	// No goroutine left behind.
	if n := settleGoroutines(before, 3*time.Second); n > before {
		return fmt.Errorf("%d goroutines live after Close, %d before the pool was made; forage goroutines:\n%s",
			n, before, forageStacks())
	}
	return nil
}

// runErr calls p.Run with an empty task and returns what it panicked with.
func runErr(p *scheduler.Pool) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if e, ok := v.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("panic %v", v)
			}
		}
	}()
	p.Run(func(*scheduler.Worker) {})
	return nil
}

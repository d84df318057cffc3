package stress

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/forage-go/forage/scheduler"
)

// Oversubscription runs the fork-join checks (see ForkJoin) and a Submit
// flood in two oversubscribed settings, one chosen at random each round:
//
//   - many more workers than GOMAXPROCS: 4×GOMAXPROCS up to 256 workers;
//   - GOMAXPROCS far above the CPU count: 16, 32 or 64, on whatever machine
//     (restored afterwards; this changes the whole process's GOMAXPROCS).
//
// Under the race detector no more than 8128 goroutines may be live at once;
// the scenario samples the count and fails if a round exceeds it.
func Oversubscription(ctx context.Context, cfg Config) Result {
	return rounds(ctx, cfg, "oversub", func(_ context.Context, seed uint64, res *Result) error {
		return oversubRound(cfg, seed, res)
	})
}

func oversubRound(cfg Config, seed uint64, res *Result) error {
	rng := newRand(seed)
	procs := runtime.GOMAXPROCS(0)
	var workers int
	if rng.IntN(2) == 0 {
		g := pick(rng, 16, 32, 64)
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(g))
		workers = workersFor(cfg, seed, g/2, g, 2*g)
	} else {
		workers = workersFor(cfg, seed, 4*procs, 64, 128, 256)
	}
	if raceEnabled {
		workers = min(workers, RaceGoroutineLimit/4)
	}
	// Sample the live goroutine count while the round runs.
	var peak atomic.Int64
	stop := make(chan struct{})
	var mon sync.WaitGroup
	mon.Add(1)
	go func() {
		defer mon.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if n := int64(runtime.NumGoroutine()); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	err := forkJoinRound(rng, seed, [2]int{workers, pick(rng, 0, 2, workers)}, pick(rng, 200, 1000, 3000), res)
	if err == nil {
		err = floodRound(rng, workers, res)
	}
	close(stop)
	mon.Wait()
	if err != nil {
		return fmt.Errorf("%d workers, GOMAXPROCS %d: %w", workers, runtime.GOMAXPROCS(0), err)
	}
	if raceEnabled && peak.Load() > RaceGoroutineLimit {
		return fmt.Errorf("%d goroutines were live at once under the race detector (limit %d)", peak.Load(), RaceGoroutineLimit)
	}
	return nil
}

// floodRound submits tasks from several goroutines to a pool of the given
// size and checks that each ran exactly once by the time Close returned.
func floodRound(rng interface{ IntN(int) int }, workers int, res *Result) error {
	p, err := newPool(workers)
	if err != nil {
		return err
	}
	submitters := 1 + rng.IntN(8)
	per := 1 + rng.IntN(2000)
	ran := make([]atomic.Int32, submitters*per)
	var wg sync.WaitGroup
	errs := make(chan error, submitters)
	for s := range submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				id := s*per + i
				if err := p.Submit(func(*scheduler.Worker) { ran[id].Add(1) }); err != nil {
					errs <- fmt.Errorf("a Submit on an open pool returned %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	if err := closeOrHang(p); err != nil {
		return closeFailure(err)
	}
	addStats(res, p)
	res.Ops += int64(len(ran))
	for id := range ran {
		if c := ran[id].Load(); c != 1 {
			return fmt.Errorf("submitted task %d of %d ran %d times by the time Close returned", id, len(ran), c)
		}
	}
	return nil
}

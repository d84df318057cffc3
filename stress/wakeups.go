package stress

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/forage-go/forage/scheduler"
)

// Wakeups hunts lost wake-ups: the pool is left idle long enough for every
// worker to park, then single tasks arrive from outside — Submit, Run from a
// fresh goroutine, two Submits at once from two goroutines, a Submit from a
// task to a pool that went idle around it, a task that forks as soon as it
// wakes. Each task must start within Config.WakeBound (1 s by default) of
// its Submit or Run; a task that does not is reported as a hang, with every
// goroutine's stack. The bound only tells a hang from a slow machine: real
// wake-ups take microseconds, and the result reports the longest seen.
func Wakeups(ctx context.Context, cfg Config) Result {
	return rounds(ctx, cfg, "wakeups", func(ctx context.Context, seed uint64, res *Result) error {
		return wakeupsRound(ctx, cfg, seed, res)
	})
}

// gaps are the idle times before a task arrives: mostly long enough for the
// whole pool to park, sometimes short enough to race the parking itself.
var gaps = []time.Duration{0, 20 * time.Microsecond, 200 * time.Microsecond, time.Millisecond, time.Millisecond, 3 * time.Millisecond}

func wakeupsRound(ctx context.Context, cfg Config, seed uint64, res *Result) error {
	rng := newRand(seed)
	p, err := newPool(workersFor(cfg, seed, 1, 2, 3, 4, 8))
	if err != nil {
		return err
	}
	n := pick(rng, 10, 30, 60)
	for i := 0; i < n && (i == 0 || ctx.Err() == nil); i++ {
		if g := pick(rng, gaps...); g > 0 {
			time.Sleep(g)
		}
		lat, err := wakeOnce(p, rng, cfg.WakeBound, res)
		if err != nil {
			return fmt.Errorf("task %d of the round: %w", i, err)
		}
		res.MaxWake = max(res.MaxWake, lat)
	}
	if err := closeOrHang(p); err != nil {
		return closeFailure(err)
	}
	addStats(res, p)
	return nil
}

// wakeOnce delivers one arrival to the idle pool p and returns the longest
// time from a submission to its task's start.
func wakeOnce(p *scheduler.Pool, rng *rand.Rand, bound time.Duration, res *Result) (time.Duration, error) {
	started := make(chan time.Duration, 4)
	// task returns a task that reports how long after t0 it started.
	task := func(t0 time.Time) func(*scheduler.Worker) {
		return func(*scheduler.Worker) { started <- time.Since(t0) }
	}
	want := 1
	how, steps := "", "its start"
	switch rng.IntN(6) {
	case 0, 1:
		how = "Submit from outside"
		if err := p.Submit(task(time.Now())); err != nil {
			return 0, err
		}
	case 2:
		how = "Run from a new goroutine"
		go func() { t0 := time.Now(); p.Run(task(t0)) }()
	case 3:
		how, steps = "two Submits at once from two goroutines", "the start of both"
		want = 2
		for range 2 {
			go func() {
				if err := p.Submit(task(time.Now())); err != nil {
					started <- -1
				}
			}()
		}
	case 4:
		how, steps = "Submit from a task, the submitter then going idle", "the start of the submitter and of the task it submitted"
		want = 2
		if err := p.Submit(func(w *scheduler.Worker) {
			started <- 0
			if err := w.Pool().Submit(task(time.Now())); err != nil {
				started <- -1
			}
		}); err != nil {
			return 0, err
		}
	default:
		how, steps = "a task that forks as soon as it starts", "its start and the end of its Join"
		want = 2
		var halves atomic.Int32
		t0 := time.Now()
		if err := p.Submit(func(w *scheduler.Worker) {
			started <- time.Since(t0)
			w.Join(func(*scheduler.Worker) { halves.Add(1) }, func(*scheduler.Worker) { halves.Add(1) })
			if halves.Load() != 2 {
				started <- -1
				return
			}
			started <- 0
		}); err != nil {
			return 0, err
		}
	}
	res.Ops += int64(want)
	timer := time.NewTimer(bound)
	defer timer.Stop()
	var worst time.Duration
	for got := range want {
		select {
		case d := <-started:
			if d < 0 {
				return 0, fmt.Errorf("%s: a call failed on an open pool", how)
			}
			worst = max(worst, d)
		case <-timer.C:
			return 0, hang("%s: %d of %d events (%s) within %v of the submission to an idle pool (lost wake-up?)", how, got, want, steps, bound)
		}
	}
	if worst > bound {
		return 0, fmt.Errorf("%s: the task started %v after its submission, bound %v", how, worst, bound)
	}
	return worst, nil
}

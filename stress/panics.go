package stress

import (
	"context"
	"fmt"

	"github.com/forage-go/forage/scheduler"
)

// Panics injects panics at random tasks of random fork-join trees. Trees get
// catch nodes (user code that recovers around a Join, Func, Scope, For,
// Reduce or Run) that split them into regions, and each region gets at most
// one panic, so where every panic must surface is known exactly:
//
//   - a panic in a catch region is recovered by that catch, as a
//     *scheduler.PanicError carrying the injected value (or an error
//     wrapping it) and the stack of the task that panicked — or as the bare
//     value if only plain calls, Joins and Func.Joins lie in between;
//   - a panic in a tree's top region comes out of its Run or RunContext;
//   - a panic in a submitted subtree reaches the pool's panic handler, or,
//     without one, is returned by that pool's Close — exactly once, and
//     never at the other pool;
//   - when a panic surfaces, no task of its region is still running;
//   - no region without an injected panic sees one.
//
// Afterwards each pool must still run a panic-free tree to its exact sum.
func Panics(ctx context.Context, cfg Config) Result {
	return rounds(ctx, cfg, "panics", func(_ context.Context, seed uint64, res *Result) error {
		return panicsRound(cfg, seed, res)
	})
}

func panicsRound(cfg Config, seed uint64, res *Result) error {
	rng := newRand(seed)
	st := newRoundState()
	workers := [2]int{workersFor(cfg, seed, 1, 2, 3, 4, 8), 0}
	if rng.IntN(2) == 0 {
		workers[1] = workersFor(cfg, seed+1, 1, 2, 4)
	}
	var pools []*scheduler.Pool
	handlers := [2]bool{}
	for i, n := range workers {
		if n == 0 {
			continue
		}
		var opts []scheduler.Option
		if rng.IntN(2) == 0 {
			handlers[i] = true
			opts = append(opts, scheduler.WithPanicHandler(st.handler(i)))
		}
		p, err := newPool(n, opts...)
		if err != nil {
			return err
		}
		st.pools[i] = p
		pools = append(pools, p)
	}
	size := pick(rng, 20, 100, 600, 2000)
	pct := pick(rng, 30, 60, 100)
	ntrees := 1 + rng.IntN(4)
	trees := make([]*tree, ntrees)
	for i := range trees {
		trng := newRand(subSeed(seed, i))
		trees[i] = genTree(st, i, trng, genConfig{
			size: 1 + trng.IntN(size), other: len(pools) > 1, submit: true, catches: true, nest: 3,
		})
		trees[i].injectPanics(trng, pct)
	}
	if err := runTrees(st, rng, trees, pools); err != nil {
		return err
	}
	for _, t := range trees {
		res.Ops += t.ran()
	}
	if err := st.failed(); err != nil {
		return err
	}
	// The pools must still work: a panic-free tree, on each, to its sum.
	for i, p := range pools {
		t := genTree(st, ntrees+i, newRand(subSeed(seed, ntrees+i)), genConfig{
			size: 200, other: len(pools) > 1, submit: true, nest: 2,
		})
		done := t.launch(p, launchRun)
		if err := waitOrHang(done, roundTimeout, "Run after panics"); err != nil {
			return err
		}
		if err := st.failed(); err != nil {
			return fmt.Errorf("after the panics: %w", err)
		}
		if err := t.waitDetached(); err != nil {
			return err
		}
		if err := t.checkSum(t.serialSum()); err != nil {
			return fmt.Errorf("after the panics: %w", err)
		}
		res.Ops += t.ran()
	}
	for i, p := range st.pools {
		if p == nil {
			continue
		}
		err := closeOrHang(p)
		if err != nil && handlers[i] {
			return fmt.Errorf("pool %d has a panic handler, yet Close returned %v", i, err)
		}
		if _, ok := err.(*hangError); ok {
			return err
		}
		st.closeErr(i, err)
		addStats(res, p)
	}
	if err := st.failed(); err != nil {
		return err
	}
	if err := st.checkDetached(); err != nil {
		return err
	}
	res.Panics += st.caught.Load()
	return nil
}

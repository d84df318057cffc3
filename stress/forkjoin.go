package stress

import (
	"context"
	"math/rand/v2"

	"github.com/forage-go/forage/scheduler"
)

// ForkJoin runs random fork-join programs. Each round makes one pool, or two
// for cross-pool Run, generates one to four trees of Join, Func, Scope/Spawn
// (with spawns from spawned tasks), For, Reduce, nested Run, cross-pool Run
// and Submit from the round's seed, and starts them at once from outside
// with Run, RunContext or Submit. Checks, all exact: each tree's parallel
// sum (its Run's result plus its submitted subtrees') equals the serial sum,
// every node ran exactly once, nothing panicked, and Close returns nil.
func ForkJoin(ctx context.Context, cfg Config) Result {
	return rounds(ctx, cfg, "forkjoin", func(_ context.Context, seed uint64, res *Result) error {
		rng := newRand(seed)
		w0 := workersFor(cfg, seed, 1, 2, 3, 4, 8)
		w1 := 0
		if rng.IntN(3) > 0 {
			w1 = workersFor(cfg, seed+1, 1, 2, 4)
		}
		return forkJoinRound(rng, seed, [2]int{w0, w1}, pick(rng, 50, 300, 1500, 4000), res)
	})
}

// forkJoinRound runs one round of random trees on pools of the given sizes
// (workers[1] == 0: a single pool) and checks them.
func forkJoinRound(rng *rand.Rand, seed uint64, workers [2]int, size int, res *Result) error {
	st := newRoundState()
	var pools []*scheduler.Pool
	for i, n := range workers {
		if n == 0 {
			continue
		}
		p, err := newPool(n)
		if err != nil {
			return err
		}
		st.pools[i] = p
		pools = append(pools, p)
	}
	ntrees := 1 + rng.IntN(4)
	trees := make([]*tree, ntrees)
	for i := range trees {
		trees[i] = genTree(st, i, newRand(subSeed(seed, i)), genConfig{
			size: 1 + rng.IntN(size), other: len(pools) > 1, submit: true, nest: 3,
		})
	}
	if err := runTrees(st, rng, trees, pools); err != nil {
		return err
	}
	res.Ops += int64(len(trees))
	for _, p := range pools {
		if err := closeOrHang(p); err != nil {
			return closeFailure(err)
		}
		addStats(res, p)
	}
	if err := st.failed(); err != nil {
		return err
	}
	for _, t := range trees {
		res.Ops += t.ran()
		if err := t.checkSum(t.serialSum()); err != nil {
			return err
		}
	}
	return nil
}

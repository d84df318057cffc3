package stress

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/forage-go/forage/internal/chaos"
	"github.com/forage-go/forage/scheduler"
)

// Tasks tortures user code on forage: it runs task at every leaf of random
// fork-join trees (Join, Func, Scope with nested spawns, For, Reduce, nested
// Run, Submit) on pool, started from several goroutines at once, and
// compares, tree by tree, the sum of the leaves' results with the sum of the
// same leaves run one after another. Each leaf gets its own generator,
// seeded from the tree and the leaf, so the serial and the parallel run ask
// the same questions; a task whose answer depends on what else runs — shared
// state updated non-atomically or check-then-act, a per-worker buffer
// reused when a Join or Scope inside the task helps with other tasks while
// it waits, a cache keyed wrongly — gives a different sum. It also checks
// that every leaf ran exactly once and that nothing panicked.
//
// Run it from a test, under go test -race, so that data races are reported
// as well. Tasks runs rounds for about a second (a quarter of that with
// -short), each from a seed derived from seed (0: a fresh one, logged). A
// failure reports the failing round's seed and the go test command that
// replays it; FORAGE_STRESS_SEED and FORAGE_STRESS_DURATION override seed
// and the duration. pool stays open; Tasks submits to it and waits for
// everything it submitted, so do not close it concurrently.
func Tasks(t testing.TB, pool *scheduler.Pool, seed uint64, task Task) Result {
	t.Helper()
	return TasksWith(t, pool, Options{Seed: seed}, task)
}

// TasksWith is Tasks with Options: Seed, Duration and Rounds apply (the
// other fields are ignored).
func TasksWith(t testing.TB, pool *scheduler.Pool, opts Options, task Task) Result {
	t.Helper()
	opts, err := opts.fromEnv()
	if err != nil {
		t.Fatalf("stress: %v", err)
	}
	if opts.Duration <= 0 {
		opts.Duration = time.Second
		if testing.Testing() && testing.Short() {
			opts.Duration /= 4
		}
	}
	if opts.Seed == 0 {
		opts.Seed = freshSeed()
	}
	replay := opts.Replay
	if replay == nil {
		replay = goTestReplay(t)
	}
	res := Result{Scenario: "tasks", Seed: opts.Seed}
	start := time.Now()
	deadline := start.Add(opts.Duration)
	before := pool.Stats().Total
	for r := 0; ; r++ {
		if r > 0 && (time.Now().After(deadline) || opts.Rounds > 0 && r >= opts.Rounds) {
			break
		}
		seed := RoundSeed(opts.Seed, r)
		chaos.Seed(seed)
		res.Rounds++
		if err := tasksRound(pool, seed, task, &res); err != nil {
			f := &Failure{Scenario: "tasks", Round: r, Seed: seed, Err: err}
			var h *hangError
			if errors.As(err, &h) {
				f.Stacks = h.stacks
			}
			res.Err = f
			res.Elapsed = time.Since(start)
			t.Errorf("stress.Tasks: FAIL %v\n%s", f, failureDetail(res, replay))
			if f.Stacks != nil {
				t.FailNow()
			}
			return res
		}
	}
	after := pool.Stats().Total
	res.Steals = int64(after.Steals - before.Steals)
	res.Elapsed = time.Since(start)
	t.Logf("stress.Tasks: ok: seed %#x, %d rounds, %d tasks called, %d nodes, %d steals in %v",
		opts.Seed, res.Rounds, res.Tasks, res.Ops, res.Steals, res.Elapsed.Round(time.Millisecond))
	return res
}

// tasksRound runs one round of Tasks: a few trees, each checked against its
// serial sum.
func tasksRound(pool *scheduler.Pool, seed uint64, task Task, res *Result) error {
	rng := newRand(seed)
	st := newRoundState()
	st.pools[0] = pool
	st.task = task
	size := pick(rng, 20, 200, 1000, 3000)
	trees := make([]*tree, 1+rng.IntN(3))
	want := make([]int64, len(trees))
	for i := range trees {
		trees[i] = genTree(st, i, newRand(subSeed(seed, i)), genConfig{
			size: 1 + rng.IntN(size), submit: true, nest: 2, zeroVal: true,
		})
		// The oracle: the same leaves, with the same generators, one after
		// another on one worker.
		t := trees[i]
		err := pool.RunContext(context.Background(), func(w *scheduler.Worker) {
			for _, n := range t.nodes {
				if n.kind == kLeaf {
					want[i] += task(w, newRand(subSeed(t.leafSeed, int(n.leaf))))
				}
			}
		})
		if err != nil {
			return fmt.Errorf("tree %d: the task failed when run serially: %w", i, err)
		}
	}
	if err := runTrees(st, rng, trees, []*scheduler.Pool{pool}); err != nil {
		return err
	}
	if err := st.failed(); err != nil {
		return err
	}
	for i, t := range trees {
		res.Ops += t.ran()
		res.Tasks += int64(t.leaves)
		if err := t.checkSum(want[i]); err != nil {
			return fmt.Errorf("%w: the task's results depend on what runs beside it "+
				"(state shared without synchronisation or with check-then-act, "+
				"or a per-worker buffer reused while a Join or Scope in the task helps other tasks)", err)
		}
	}
	return nil
}

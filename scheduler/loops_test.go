package scheduler_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forage-go/forage/scheduler"
	"github.com/stretchr/testify/require"
)

// loopWorkerCounts are the pool sizes the loop tests run at: one worker,
// exactly the CPUs here, more than the CPUs, and far more.
var loopWorkerCounts = []int{1, 2, 7, 32}

// loopSizes are the iteration counts every loop is checked at: empty, tiny,
// primes (so no halving is ever even), and one large count (10^7, or 10^6
// under the race detector, which makes each iteration ~10x dearer).
func loopSizes() []int {
	big := 10_000_000
	if raceEnabled {
		big = 1_000_000
	}
	return []int{0, 1, 2, 3, 7, 13, 97, 1009, 65_537, big}
}

// rangeChecker records the ranges a loop body gets and checks that they are
// non-empty, inside [0, n), and cover every index exactly once.
type rangeChecker struct {
	n      int
	counts []uint8 // plain writes: two overlapping ranges would race (and count 2)
	bad    atomic.Int64
	calls  atomic.Int64
}

func newRangeChecker(n int) *rangeChecker {
	return &rangeChecker{n: n, counts: make([]uint8, n)}
}

func (c *rangeChecker) body(_ *scheduler.Worker, lo, hi int) {
	c.calls.Add(1)
	if lo < 0 || hi > c.n || lo >= hi {
		c.bad.Add(1)
		return
	}
	for i := lo; i < hi; i++ {
		c.counts[i]++
	}
}

func (c *rangeChecker) check(t *testing.T) {
	t.Helper()
	require.Zero(t, c.bad.Load(), "empty or out-of-range ranges")
	for i, k := range c.counts {
		if k != 1 {
			t.Fatalf("n=%d: index %d covered %d times", c.n, i, k)
		}
	}
}

// TestForCoversOnce: For calls body on ranges that cover [0, n) exactly once,
// for every size and worker count.
func TestForCoversOnce(t *testing.T) {
	for _, workers := range loopWorkerCounts {
		p := strictPool(t, workers)
		for _, n := range loopSizes() {
			t.Run(fmt.Sprintf("workers=%d/n=%d", workers, n), func(t *testing.T) {
				c := newRangeChecker(n)
				within(t, hangTimeout, func() {
					p.Run(func(w *scheduler.Worker) { scheduler.For(w, n, c.body) })
				})
				c.check(t)
			})
		}
	}
}

// TestForGrainBlocks: ForGrain calls body exactly on the grain-aligned
// blocks, each once.
func TestForGrainBlocks(t *testing.T) {
	for _, workers := range loopWorkerCounts {
		p := strictPool(t, workers)
		for _, n := range []int{0, 1, 2, 97, 1009, 65_537} {
			for _, grain := range []int{-3, 1, 2, 10, 1000, 100_000} {
				c := newRangeChecker(n)
				var misaligned atomic.Int64
				g := max(grain, 1)
				within(t, hangTimeout, func() {
					p.Run(func(w *scheduler.Worker) {
						scheduler.ForGrain(w, n, grain, func(w *scheduler.Worker, lo, hi int) {
							if lo%g != 0 || hi != min(lo+g, n) {
								misaligned.Add(1)
							}
							c.body(w, lo, hi)
						})
					})
				})
				c.check(t)
				require.Zero(t, misaligned.Load(), "workers=%d n=%d grain=%d: a range is not a grain block", workers, n, grain)
				require.EqualValues(t, (n+g-1)/g, c.calls.Load(), "one call per block")
			}
		}
	}
}

// TestForSpreadsExpensiveIterations: 40 iterations that each block for a
// millisecond spread over the workers without any grain: the loop splits
// while other workers are idle, so at 2 workers both take part, and the
// loop takes well under the serial 40 ms.
func TestForSpreadsExpensiveIterations(t *testing.T) {
	for _, workers := range []int{2, 7} {
		p := strictPool(t, workers)
		var mu sync.Mutex
		seen := map[int]int{}
		within(t, hangTimeout, func() {
			p.Run(func(w *scheduler.Worker) {
				scheduler.For(w, 40, func(w *scheduler.Worker, lo, hi int) {
					for range hi - lo {
						time.Sleep(time.Millisecond)
					}
					mu.Lock()
					seen[w.ID()] += hi - lo
					mu.Unlock()
				})
			})
		})
		require.GreaterOrEqual(t, len(seen), 2, "workers=%d: iterations per worker %v", workers, seen)
	}
}

// TestForNested: For inside For covers an n×m grid exactly once.
func TestForNested(t *testing.T) {
	const n, m = 61, 3001
	for _, workers := range loopWorkerCounts {
		p := strictPool(t, workers)
		grid := make([][]uint8, n)
		for i := range grid {
			grid[i] = make([]uint8, m)
		}
		within(t, hangTimeout, func() {
			p.Run(func(w *scheduler.Worker) {
				scheduler.For(w, n, func(w *scheduler.Worker, lo, hi int) {
					for i := lo; i < hi; i++ {
						scheduler.For(w, m, func(_ *scheduler.Worker, lo, hi int) {
							for j := lo; j < hi; j++ {
								grid[i][j]++
							}
						})
					}
				})
			})
		})
		for i := range grid {
			for j, k := range grid[i] {
				if k != 1 {
					t.Fatalf("workers=%d: cell (%d,%d) covered %d times", workers, i, j, k)
				}
			}
		}
	}
}

// TestForEachAndMap: ForEach visits each element once with its index; Map
// keeps order.
func TestForEachAndMap(t *testing.T) {
	for _, workers := range loopWorkerCounts {
		p := strictPool(t, workers)
		for _, n := range []int{0, 1, 1009, 100_003} {
			s := make([]int, n)
			var sq []int64
			within(t, hangTimeout, func() {
				p.Run(func(w *scheduler.Worker) {
					scheduler.ForEach(w, s, func(_ *scheduler.Worker, i int, e *int) { *e += i + 1 })
					sq = scheduler.Map(w, s, func(_ *scheduler.Worker, e int) int64 { return int64(e) * int64(e) })
				})
			})
			require.Len(t, sq, n)
			for i := range s {
				if s[i] != i+1 || sq[i] != int64(i+1)*int64(i+1) {
					t.Fatalf("workers=%d n=%d: s[%d]=%d, Map gave %d", workers, n, i, s[i], sq[i])
				}
			}
		}
	}
}

// interval is a Reduce value that checks combination order: combine only
// accepts adjacent intervals, left one first.
type interval struct{ lo, hi int }

func combineIntervals(a, b interval) interval {
	if a.hi != b.lo {
		panic(fmt.Sprintf("combine out of order: [%d,%d) then [%d,%d)", a.lo, a.hi, b.lo, b.hi))
	}
	return interval{a.lo, b.hi}
}

// TestReduceMatchesSerial: Reduce of an integer sum equals the serial sum,
// and combine always gets adjacent ranges in order (it need not commute).
func TestReduceMatchesSerial(t *testing.T) {
	for _, workers := range loopWorkerCounts {
		p := strictPool(t, workers)
		for _, n := range loopSizes() {
			t.Run(fmt.Sprintf("workers=%d/n=%d", workers, n), func(t *testing.T) {
				var want uint64
				for i := range n {
					want += uint64(i) * uint64(i) * 2654435761
				}
				var got uint64
				var iv interval
				var det interval
				within(t, hangTimeout, func() {
					p.Run(func(w *scheduler.Worker) {
						got = scheduler.Reduce(w, n, func(_ *scheduler.Worker, lo, hi int) uint64 {
							var s uint64
							for i := lo; i < hi; i++ {
								s += uint64(i) * uint64(i) * 2654435761
							}
							return s
						}, func(a, b uint64) uint64 { return a + b })
						leaf := func(_ *scheduler.Worker, lo, hi int) interval { return interval{lo, hi} }
						iv = scheduler.Reduce(w, n, leaf, combineIntervals)
						det = scheduler.ReduceDeterministic(w, n, 0, leaf, combineIntervals)
					})
				})
				require.Equal(t, want, got)
				require.Equal(t, interval{0, n}, iv)
				require.Equal(t, interval{0, n}, det)
			})
		}
	}
}

// detTree is the combination tree ReduceDeterministic documents, computed
// serially: blocks of grain, the left half of the blocks combined with the
// right half.
func detTree(x []float64, grain int, b0, b1 int) float64 {
	if b1-b0 == 1 {
		var s float64
		for _, v := range x[b0*grain : min(b1*grain, len(x))] {
			s += v
		}
		return s
	}
	mid := b0 + (b1-b0)/2
	return detTree(x, grain, b0, mid) + detTree(x, grain, mid, b1)
}

// TestReduceDeterministicFloats: a float sum whose result depends on the
// order of additions comes out bit-for-bit the same at every worker count
// and on every run, and equals the documented tree computed serially.
func TestReduceDeterministicFloats(t *testing.T) {
	n := 1_000_003
	if raceEnabled {
		n = 100_003
	}
	r := rand.New(rand.NewPCG(7, 9))
	x := make([]float64, n)
	for i := range x {
		// Magnitudes from 1e-8 to 1e8: rounding depends on the order.
		x[i] = (r.Float64() - 0.5) * math.Pow(10, float64(r.IntN(17)-8))
	}
	sum := func(_ *scheduler.Worker, lo, hi int) float64 {
		var s float64
		for _, v := range x[lo:hi] {
			s += v
		}
		return s
	}
	add := func(a, b float64) float64 { return a + b }
	for _, grain := range []int{0, 1000, 77_777} {
		g := grain
		if g == 0 {
			g = (n + 1023) / 1024
		}
		want := detTree(x, g, 0, (n+g-1)/g)
		for _, workers := range loopWorkerCounts {
			p := strictPool(t, workers)
			for range 3 {
				var got float64
				within(t, hangTimeout, func() {
					p.Run(func(w *scheduler.Worker) { got = scheduler.ReduceDeterministic(w, n, grain, sum, add) })
				})
				require.Equal(t, math.Float64bits(want), math.Float64bits(got), "grain=%d workers=%d: %v != %v", grain, workers, got, want)
			}
		}
	}
}

// TestReduceEmpty: Reduce of nothing is leaf(w, 0, 0).
func TestReduceEmpty(t *testing.T) {
	p := strictPool(t, 2)
	p.Run(func(w *scheduler.Worker) {
		leaf := func(_ *scheduler.Worker, lo, hi int) string { return fmt.Sprintf("[%d,%d)", lo, hi) }
		cat := func(a, b string) string { return a + b }
		require.Equal(t, "[0,0)", scheduler.Reduce(w, 0, leaf, cat))
		require.Equal(t, "[0,0)", scheduler.ReduceDeterministic(w, -5, 3, leaf, cat))
	})
}

// TestLoopPanicOnce: a panicking loop body makes the loop panic exactly once
// in the caller, with a *PanicError carrying the value and the body's stack,
// whether one iteration or all of them panic; once a body panicked, other
// workers start no more ranges; the pool stays usable.
func TestLoopPanicOnce(t *testing.T) {
	const n = 20_000
	for _, workers := range loopWorkerCounts {
		p := strictPool(t, workers)
		loops := map[string]func(w *scheduler.Worker, body func(i int)){
			"For": func(w *scheduler.Worker, body func(i int)) {
				scheduler.For(w, n, func(_ *scheduler.Worker, lo, hi int) {
					for i := lo; i < hi; i++ {
						body(i)
					}
				})
			},
			"ForGrain": func(w *scheduler.Worker, body func(i int)) {
				scheduler.ForGrain(w, n, 1, func(_ *scheduler.Worker, lo, _ int) { body(lo) })
			},
			"Reduce": func(w *scheduler.Worker, body func(i int)) {
				scheduler.Reduce(w, n, func(_ *scheduler.Worker, lo, hi int) int {
					for i := lo; i < hi; i++ {
						body(i)
					}
					return 0
				}, func(a, b int) int { return a + b })
			},
			"ReduceDeterministic": func(w *scheduler.Worker, body func(i int)) {
				scheduler.ReduceDeterministic(w, n, 1, func(_ *scheduler.Worker, lo, _ int) int {
					body(lo)
					return 0
				}, func(a, b int) int { return a + b })
			},
		}
		for name, loop := range loops {
			for _, all := range []bool{false, true} {
				var calls atomic.Int64
				var v any
				within(t, hangTimeout, func() {
					v = catch(func() {
						p.Run(func(w *scheduler.Worker) {
							loop(w, func(i int) {
								calls.Add(1)
								if all || i == n/3 {
									panicInLoopBody(i)
								}
							})
						})
					})
				})
				want := any(fmt.Sprint("loop body ", n/3))
				if pe, ok := v.(*scheduler.PanicError); ok && all {
					want = pe.Value // whichever body panicked first
				}
				requirePanicError(t, v, want, "panicInLoopBody")
				if all {
					// At most one body per worker started before the first
					// panic stopped the loop (plus the ones racing with it).
					require.Less(t, calls.Load(), int64(n/2), "%s workers=%d: bodies kept starting after a panic", name, workers)
				}
				// The pool still works.
				var sum int
				p.Run(func(w *scheduler.Worker) {
					sum = scheduler.Reduce(w, 100, func(_ *scheduler.Worker, lo, hi int) int { return hi - lo },
						func(a, b int) int { return a + b })
				})
				require.Equal(t, 100, sum)
			}
		}
	}
}

func panicInLoopBody(i int) { panic(fmt.Sprint("loop body ", i)) }

// TestLoopCancel: after RunContext's context is cancelled, a loop starts no
// new ranges (only those that were already past their check may start),
// returns promptly although most of its work is left — expensive iterations
// run in chunks of one, so no worker goes on for more than about one
// iteration — and RunContext returns ctx.Err().
func TestLoopCancel(t *testing.T) {
	for _, workers := range loopWorkerCounts {
		for _, kind := range []string{"For", "Reduce", "ReduceDeterministic"} {
			t.Run(fmt.Sprintf("%s/workers=%d", kind, workers), func(t *testing.T) {
				p := strictPool(t, workers)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				const n = 1_000_000 // 1 ms each: 1000 s if nothing stopped it
				var done, lateStarts atomic.Int64
				var cancelled atomic.Bool
				body := func(lo, hi int) {
					if cancelled.Load() {
						lateStarts.Add(1)
					}
					for range hi - lo {
						time.Sleep(time.Millisecond)
						if done.Add(1) == 20 {
							cancel()
							cancelled.Store(true)
						}
					}
				}
				start := time.Now()
				var err error
				within(t, hangTimeout, func() {
					err = p.RunContext(ctx, func(w *scheduler.Worker) {
						switch kind {
						case "For":
							scheduler.For(w, n, func(_ *scheduler.Worker, lo, hi int) { body(lo, hi) })
						case "Reduce":
							scheduler.Reduce(w, n, func(_ *scheduler.Worker, lo, hi int) int { body(lo, hi); return 0 },
								func(a, b int) int { return a + b })
						default:
							scheduler.ReduceDeterministic(w, n, 1, func(_ *scheduler.Worker, lo, hi int) int { body(lo, hi); return 0 },
								func(a, b int) int { return a + b })
						}
					})
				})
				require.ErrorIs(t, err, context.Canceled)
				require.Less(t, time.Since(start), 20*time.Second, "RunContext did not return promptly")
				// Each worker finishes at most the chunk it was in: with
				// millisecond iterations a chunk is one iteration.
				require.LessOrEqual(t, done.Load(), int64(20+2*workers), "the loop kept going after cancellation")
				require.LessOrEqual(t, lateStarts.Load(), int64(workers), "ranges started after cancel")
			})
		}
	}
}

// TestLoopNoGoroutineLeak: loops start no goroutines of their own: after a
// pool that ran loops is closed, the goroutine count is back where it was.
func TestLoopNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	p, err := scheduler.New(scheduler.WithWorkers(4))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 20 {
		if i == 10 {
			cancel()
		}
		_ = p.RunContext(ctx, func(w *scheduler.Worker) {
			scheduler.For(w, 10_000, func(*scheduler.Worker, int, int) {})
		})
		p.Run(func(w *scheduler.Worker) {
			s := make([]int, 100_000)
			scheduler.Sort(w, s)
		})
	}
	require.NoError(t, p.Close())
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before, allStacks())
}

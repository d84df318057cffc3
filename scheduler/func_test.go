package scheduler_test

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/forage-go/forage/scheduler"
	"github.com/stretchr/testify/require"
)

// TestFuncFib: Func.Join, and the Func.Inline idiom (recurse directly
// while Inline says a join would take its plain path, else Join), compute
// fib correctly at 1, 2, 8 and 32 workers. (That the idiom's forks are
// still offered and taken is TestInlineFalseWhileNothingOnOffer's.)
func TestFuncFib(t *testing.T) {
	n := 25
	if raceEnabled {
		n = 22
	}
	want := fibSerial(n)
	for _, impl := range []struct {
		name string
		fib  func(w *scheduler.Worker, n int) int
	}{{"Join", fibFunc.Call}, {"Inline", fibInline}} {
		for _, workers := range workerCounts {
			t.Run(fmt.Sprintf("impl=%s/workers=%d", impl.name, workers), func(t *testing.T) {
				p := strictPool(t, workers)
				within(t, hangTimeout, func() {
					for range 3 {
						var got int
						p.Run(func(w *scheduler.Worker) { got = impl.fib(w, n) })
						require.Equal(t, want, got)
					}
				})
			})
		}
	}
}

// TestFuncTreeSum: Func sums an irregular tree correctly at 1, 2, 8 and 32
// workers.
func TestFuncTreeSum(t *testing.T) {
	root, want, _ := buildTree(30000, 3)
	for _, workers := range workerCounts {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				var got int
				p.Run(func(w *scheduler.Worker) { got = sumFunc.Call(w, []*node{root}) })
				require.Equal(t, want, got)
			})
		})
	}
}

// reprFunc renders the fork tree of n as a string: results that are not
// machine words travel back from stolen frames intact.
var reprFunc *scheduler.Func[int, string]

func init() {
	reprFunc = scheduler.NewFunc(func(w *scheduler.Worker, n int) string {
		if n < 2 {
			return strconv.Itoa(n)
		}
		a, b := reprFunc.Join(w, n-1, n-2)
		return "(" + a + " " + b + ")"
	})
}

func reprSerial(n int) string {
	if n < 2 {
		return strconv.Itoa(n)
	}
	return "(" + reprSerial(n-1) + " " + reprSerial(n-2) + ")"
}

// TestFuncResultsInOrder: Join returns f(a1) first and f(a2) second, with
// string results, whichever worker ran them.
func TestFuncResultsInOrder(t *testing.T) {
	want := reprSerial(16)
	for _, workers := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				var got string
				p.Run(func(w *scheduler.Worker) { got = reprFunc.Call(w, 16) })
				require.Equal(t, want, got)
			})
		})
	}
}

// TestFuncDeepNesting: Func joins nested 10^4 deep (recorded ones up to the
// latent budget plus the promoted forks, plain calls below) complete with
// the right result.
func TestFuncDeepNesting(t *testing.T) {
	const depth = 10000
	var chain *scheduler.Func[int, int]
	chain = scheduler.NewFunc(func(w *scheduler.Worker, d int) int {
		if d <= 0 {
			return 0
		}
		if d%2 == 0 { // recurse through the first argument, then the second
			a, b := chain.Join(w, d-1, -1)
			return a + b + 1
		}
		a, b := chain.Join(w, -1, d-1)
		return a + b + 1
	})
	for _, workers := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				var got int
				p.Run(func(w *scheduler.Worker) { got = chain.Call(w, depth) })
				require.Equal(t, depth, got)
			})
		})
	}
}

// TestFuncAcrossPools: one Func serves several pools at once, and pools made
// after others were closed (whose workers reuse the closed workers' frame
// stack slots).
func TestFuncAcrossPools(t *testing.T) {
	within(t, hangTimeout, func() {
		for round := range 4 {
			var wg sync.WaitGroup
			for i := range 3 {
				p, err := scheduler.New(scheduler.WithWorkers(1 + i))
				require.NoError(t, err)
				wg.Go(func() {
					defer func() {
						if err := p.Close(); err != nil {
							t.Error(err)
						}
					}()
					n := 16 + i + round%2
					var got int
					p.Run(func(w *scheduler.Worker) { got = fibFunc.Call(w, n) })
					if got != fibSerial(n) {
						t.Errorf("round %d pool %d: fib(%d) = %d, want %d", round, i, n, got, fibSerial(n))
					}
				})
			}
			wg.Wait()
		}
	})
}

// TestFuncNoAllocs: in steady state a Func join allocates nothing, at 1
// worker and at 2 (where frames are stolen and returned).
func TestFuncNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				var allocs float64
				p.Run(func(w *scheduler.Worker) {
					fibFunc.Call(w, 20) // warm up: frame stacks reach full depth
					allocs = testing.AllocsPerRun(20, func() { fibFunc.Call(w, 20) })
				})
				require.Zero(t, allocs, "allocations per fib(20) through Func")
			})
		})
	}
}

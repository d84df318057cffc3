package scheduler_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forage-go/forage/scheduler"
	"github.com/stretchr/testify/require"
)

// TestJoinFib: closure Join computes fib correctly at 1, 2, 8 and 32 workers.
func TestJoinFib(t *testing.T) {
	n := 22
	if raceEnabled {
		n = 20
	}
	want := fibSerial(n)
	for _, workers := range workerCounts {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				for range 3 {
					var got int
					p.Run(func(w *scheduler.Worker) { got = fibJoin(w, n) })
					require.Equal(t, want, got)
				}
			})
		})
	}
}

// TestJoinTreeSum: closure Join sums an irregular tree correctly at 1, 2, 8
// and 32 workers.
func TestJoinTreeSum(t *testing.T) {
	root, want, _ := buildTree(30000, 1)
	for _, workers := range workerCounts {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				var got int
				p.Run(func(w *scheduler.Worker) { got = sumJoin(w, root) })
				require.Equal(t, want, got)
			})
		})
	}
}

// TestJoinRunsBothOnce: a and b each run exactly once, and Join returns only
// after both have finished, whether or not b is stolen.
func TestJoinRunsBothOnce(t *testing.T) {
	for _, workers := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				p.Run(func(w *scheduler.Worker) {
					for i := range 2000 {
						var a, b atomic.Int32
						w.Join(func(*scheduler.Worker) { a.Add(1) }, func(*scheduler.Worker) {
							for range i % 7 {
								runtime.Gosched() // give thieves a window
							}
							b.Add(1)
						})
						if a.Load() != 1 || b.Load() != 1 {
							t.Errorf("join %d: a ran %d times, b %d times", i, a.Load(), b.Load())
							return
						}
					}
				})
			})
		})
	}
}

// TestJoinStolenRunsInParallel: with 2 workers, b is taken by the other
// worker while a blocks until it sees b running: Join really forks, and the
// worker that stole b is a different one.
func TestJoinStolenRunsInParallel(t *testing.T) {
	p := strictPool(t, 2)
	within(t, hangTimeout, func() {
		for range 20 {
			var aID, bID int
			bStarted := make(chan int, 1)
			p.Run(func(w *scheduler.Worker) {
				waitOthersIdle(t, w)
				w.Join(func(w *scheduler.Worker) {
					aID = w.ID()
					select {
					case bID = <-bStarted:
					case <-time.After(hangTimeout / 2):
						t.Error("b never started while a was blocked: nobody stole it")
						bID = aID // b runs inline after a returns
					}
				}, func(w *scheduler.Worker) { bStarted <- w.ID() })
			})
			require.NotEqual(t, aID, bID, "b ran on a's worker")
		}
	})
}

// TestJoinWaiterHelps: a worker waiting in Join for its stolen b runs other
// work meanwhile. b (on the other worker) submits a task and blocks until it
// has run; only the waiting worker is free to run it.
func TestJoinWaiterHelps(t *testing.T) {
	p := strictPool(t, 2)
	within(t, hangTimeout, func() {
		for range 20 {
			bStarted := make(chan struct{})
			p.Run(func(w *scheduler.Worker) {
				waiter := w.ID()
				waitOthersIdle(t, w)
				w.Join(func(w *scheduler.Worker) {
					<-bStarted // b is on the other worker now
				}, func(w *scheduler.Worker) {
					close(bStarted)
					ran := make(chan int, 1)
					if err := p.Submit(func(w *scheduler.Worker) { ran <- w.ID() }); err != nil {
						t.Error(err)
						return
					}
					select {
					case id := <-ran:
						if id != waiter {
							t.Errorf("submitted task ran on worker %d, want the waiting worker %d", id, waiter)
						}
					case <-time.After(hangTimeout / 2):
						t.Error("the worker waiting in Join never ran the submitted task")
					}
				})
			})
		}
	})
}

// TestJoinDeepNesting: Joins nested 10^4 deep, recursing through a and
// through b, complete with every leaf counted.
func TestJoinDeepNesting(t *testing.T) {
	const depth = 10000
	var viaA func(w *scheduler.Worker, d int, n *atomic.Int64)
	viaA = func(w *scheduler.Worker, d int, n *atomic.Int64) {
		if d == 0 {
			return
		}
		w.Join(func(w *scheduler.Worker) { viaA(w, d-1, n) }, func(*scheduler.Worker) { n.Add(1) })
	}
	var viaB func(w *scheduler.Worker, d int, n *atomic.Int64)
	viaB = func(w *scheduler.Worker, d int, n *atomic.Int64) {
		if d == 0 {
			return
		}
		w.Join(func(*scheduler.Worker) { n.Add(1) }, func(w *scheduler.Worker) { viaB(w, d-1, n) })
	}
	for _, workers := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				var n atomic.Int64
				p.Run(func(w *scheduler.Worker) { viaA(w, depth, &n) })
				require.EqualValues(t, depth, n.Load(), "recursion through a")
				n.Store(0)
				p.Run(func(w *scheduler.Worker) { viaB(w, depth, &n) })
				require.EqualValues(t, depth, n.Load(), "recursion through b")
			})
		})
	}
}

// TestOversubscribedGOMAXPROCS: with GOMAXPROCS far above the 2 cores, fib
// and a tree sum through Join, Func and Scope stay correct at 8 and 32
// workers.
func TestOversubscribedGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(16))
	root, want, _ := buildTree(20000, 2)
	for _, workers := range []int{2, 8, 32} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				var f1, f2, f3, s1, s2, s3 int
				p.Run(func(w *scheduler.Worker) {
					f1 = fibJoin(w, 18)
					f2 = fibFunc.Call(w, 20)
					f3 = fibScope(w, 12)
					s1 = sumJoin(w, root)
					s2 = sumFunc.Call(w, []*node{root})
					s3 = sumScopeFlat(w, root, false)
				})
				require.Equal(t, fibSerial(18), f1, "fib Join")
				require.Equal(t, fibSerial(20), f2, "fib Func")
				require.Equal(t, fibSerial(12), f3, "fib Scope")
				require.Equal(t, want, s1, "tree Join")
				require.Equal(t, want, s2, "tree Func")
				require.Equal(t, want, s3, "tree Scope")
			})
		})
	}
}

// TestJoinForkServesLaterIdleWorker: a fork made while every other worker is
// busy must still be offered to a worker that runs out of work later, while
// a runs on without forking again. Otherwise Join(a, b) with coarse, non-
// forking halves runs serially depending on a race at fork time.
//
// Choreography at 2 workers: a submitted task X keeps the other worker busy
// while Run's root forks Join(a, b); a then lets X finish and waits (up to
// hangTimeout, a turn-a-hang-into-a-failure bound) for b to start on the
// other worker.
func TestJoinForkServesLaterIdleWorker(t *testing.T) {
	requireJoinServesFreedWorker(t, func(w *scheduler.Worker, join func()) { join() })
}

// requireJoinServesFreedWorker runs the choreography above five times, with
// Run's root making its Join inside enclose, and requires b to be taken by
// the worker freed during a each time.
func requireJoinServesFreedWorker(t *testing.T, enclose func(w *scheduler.Worker, join func())) {
	p := strictPool(t, 2)
	within(t, hangTimeout, func() {
		for round := range 5 {
			xStarted, release := make(chan int, 1), make(chan struct{})
			require.NoError(t, p.Submit(func(w *scheduler.Worker) { xStarted <- w.ID(); <-release }))
			busy := <-xStarted
			var aID, bID int
			stolen := false
			p.Run(func(w *scheduler.Worker) {
				enclose(w, func() {
					bStarted := make(chan int, 1)
					w.Join(func(w *scheduler.Worker) {
						aID = w.ID()
						close(release) // the other worker runs out of work now
						select {
						case bID = <-bStarted:
							stolen = true
						case <-time.After(hangTimeout): // only a failure waits this long
						}
					}, func(w *scheduler.Worker) {
						bStarted <- w.ID()
					})
					if !stolen {
						bID = <-bStarted // b ran inline after a
					}
				})
			})
			require.NotEqual(t, busy, aID, "the root ran on the free worker")
			require.Truef(t, stolen, "round %d: b was never taken by the worker that went idle during a (b ran on worker %d after a)", round, bID)
			require.NotEqual(t, aID, bID)
		}
	})
}

// TestJoinOfferedBesideSpawnedWork: a Join made while the worker has a
// spawned task queued (SpawnFrom) still offers its second half: the other
// worker, freed during the first half, takes the spawned task and then the
// half. (When spawned tasks shared the fork deque, the fork looked like it
// had company on offer and stayed latent: b ran after a.)
func TestJoinOfferedBesideSpawnedWork(t *testing.T) {
	requireJoinServesFreedWorker(t, func(w *scheduler.Worker, join func()) {
		w.Scope(func(s *scheduler.Scope) {
			s.SpawnFrom(w, func(*scheduler.Worker) {})
			join()
		})
	})
}

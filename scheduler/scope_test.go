package scheduler_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forage-go/forage/scheduler"
	"github.com/stretchr/testify/require"
)

// TestScopeFib: fib through Scope/Spawn is correct at 1, 2, 8 and 32 workers.
func TestScopeFib(t *testing.T) {
	n := 16
	if raceEnabled {
		n = 14
	}
	want := fibSerial(n)
	for _, workers := range workerCounts {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				var got int
				p.Run(func(w *scheduler.Worker) { got = fibScope(w, n) })
				require.Equal(t, want, got)
			})
		})
	}
}

// TestScopeTreeSum: a tree summed in one scope (tasks spawn into it from any
// worker) and with one nested scope per node is correct at 1, 2, 8 and 32
// workers.
func TestScopeTreeSum(t *testing.T) {
	root, want, _ := buildTree(20000, 4)
	for _, workers := range workerCounts {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				var flat, nested int
				p.Run(func(w *scheduler.Worker) {
					flat = sumScopeFlat(w, root, false)
					nested = sumScopeNested(w, root)
				})
				require.Equal(t, want, flat, "one scope")
				require.Equal(t, want, nested, "a scope per node")
			})
		})
	}
}

// TestScopeDeepNesting: scopes nested 10^4 levels deep, through spawned tasks
// (each level's scope is opened by a task of the level above) and through
// scope bodies, finish with every task counted.
func TestScopeDeepNesting(t *testing.T) {
	const depth = 10000
	var viaSpawn func(w *scheduler.Worker, d int, n *atomic.Int64)
	viaSpawn = func(w *scheduler.Worker, d int, n *atomic.Int64) {
		w.Scope(func(s *scheduler.Scope) {
			s.Spawn(func(w *scheduler.Worker) {
				n.Add(1)
				if d > 1 {
					viaSpawn(w, d-1, n)
				}
			})
		})
	}
	var viaBody func(w *scheduler.Worker, d int, n *atomic.Int64)
	viaBody = func(w *scheduler.Worker, d int, n *atomic.Int64) {
		w.Scope(func(s *scheduler.Scope) {
			s.Spawn(func(*scheduler.Worker) { n.Add(1) })
			if d > 1 {
				viaBody(w, d-1, n)
			}
		})
	}
	for _, workers := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				var n atomic.Int64
				p.Run(func(w *scheduler.Worker) { viaSpawn(w, depth, &n) })
				require.EqualValues(t, depth, n.Load(), "nested through spawned tasks")
				n.Store(0)
				p.Run(func(w *scheduler.Worker) { viaBody(w, depth, &n) })
				require.EqualValues(t, depth, n.Load(), "nested through bodies")
			})
		})
	}
}

// TestScopeWaitsForAll: Scope returns only after every task spawned into it,
// transitively and from any worker, has finished — including tasks spawned
// late by tasks that dawdle.
func TestScopeWaitsForAll(t *testing.T) {
	for _, workers := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				for round := range 20 {
					var started, finished atomic.Int64
					var spawnTree func(s *scheduler.Scope, d int)
					spawnTree = func(s *scheduler.Scope, d int) {
						started.Add(1)
						s.Spawn(func(*scheduler.Worker) {
							for range (d * 7) % 5 {
								runtime.Gosched()
							}
							if d > 0 {
								spawnTree(s, d-1)
								spawnTree(s, d-1)
							}
							finished.Add(1)
						})
					}
					p.Run(func(w *scheduler.Worker) {
						w.Scope(func(s *scheduler.Scope) { spawnTree(s, 7) })
						if got := finished.Load(); got != started.Load() {
							t.Errorf("round %d: Scope returned with %d of %d tasks finished", round, got, started.Load())
						}
					})
					require.EqualValues(t, 1<<8-1, started.Load())
				}
			})
		})
	}
}

// TestScopeEmptyAndInline: a scope with no spawns returns after its body,
// which runs on the calling worker.
func TestScopeEmptyAndInline(t *testing.T) {
	p := strictPool(t, 2)
	within(t, hangTimeout, func() {
		p.Run(func(w *scheduler.Worker) {
			ran := false
			w.Scope(func(*scheduler.Scope) { ran = true })
			if !ran {
				t.Error("scope body did not run")
			}
		})
	})
}

// TestScopeSpawnKeepsRunContext: a task spawned from another worker than the
// scope's owner belongs to the owner's Run and inherits its context, even
// while the owner, helping as it waits, runs a task of another Run with
// another (cancelled) context.
//
// Choreography at 2 workers: Run 1's scope body spawns T1 and waits until T1
// runs on the other worker; the owner then waits in Scope. A second
// RunContext, with ctx2, queues root2, which only the waiting owner can run:
// root2 cancels ctx2 and waits. Now T1 spawns the child and lets root2 end.
// The child must run (and see ctx1), not be skipped as if it were part of
// the cancelled Run 2.
func TestScopeSpawnKeepsRunContext(t *testing.T) {
	p := strictPool(t, 2)
	within(t, hangTimeout, func() {
		for round := range 10 {
			ctx1 := context.WithValue(context.Background(), ctxKey{}, "run1")
			ctx2, cancel2 := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "run2"))
			t1Started := make(chan struct{})
			root2Started := make(chan struct{})
			childSpawned := make(chan struct{})
			var childRan atomic.Bool
			var childCtx atomic.Value
			run2Err := make(chan error, 1)
			go func() {
				<-t1Started
				run2Err <- p.RunContext(ctx2, func(*scheduler.Worker) {
					cancel2()
					close(root2Started)
					<-childSpawned
				})
			}()
			err := p.RunContext(ctx1, func(w *scheduler.Worker) {
				owner := w.ID()
				w.Scope(func(s *scheduler.Scope) {
					s.Spawn(func(w *scheduler.Worker) {
						if w.ID() == owner {
							close(t1Started)
							close(childSpawned)
							return // not the interleaving we want; the round is void
						}
						close(t1Started)
						select {
						case <-root2Started:
						case <-time.After(hangTimeout / 2):
							t.Error("root2 never started on the waiting owner")
						}
						s.Spawn(func(w *scheduler.Worker) {
							childRan.Store(true)
							childCtx.Store(w.Context().Value(ctxKey{}))
						})
						close(childSpawned)
					})
					select {
					case <-t1Started:
					case <-time.After(hangTimeout / 2):
						t.Error("T1 never started")
					}
				})
			})
			require.NoError(t, err)
			require.ErrorIs(t, <-run2Err, context.Canceled)
			require.Truef(t, childRan.Load(), "round %d: a task spawned into Run 1's scope was skipped: it took the context of the Run its scope's owner was helping with", round)
			require.Equal(t, "run1", childCtx.Load(), "context seen by the spawned task")
		}
	})
}

type ctxKey struct{}

// ---- SpawnFrom ----

func fibScopeFrom(w *scheduler.Worker, n int) int {
	if n < 2 {
		return n
	}
	var a, b int
	w.Scope(func(s *scheduler.Scope) {
		s.SpawnFrom(w, func(w *scheduler.Worker) { a = fibScopeFrom(w, n-1) })
		b = fibScopeFrom(w, n-2)
	})
	return a + b
}

// TestScopeSpawnFrom: fib and a tree sum through SpawnFrom (alone, and mixed
// with Spawn) are correct at 1, 2, 8 and 32 workers, and so is a run of
// scopes nested 10^4 deep through tasks spawned with SpawnFrom.
func TestScopeSpawnFrom(t *testing.T) {
	n := 16
	if raceEnabled {
		n = 14
	}
	root, want, _ := buildTree(20000, 5)
	const depth = 10000
	var nest func(w *scheduler.Worker, d int, c *atomic.Int64)
	nest = func(w *scheduler.Worker, d int, c *atomic.Int64) {
		w.Scope(func(s *scheduler.Scope) {
			s.SpawnFrom(w, func(w *scheduler.Worker) {
				c.Add(1)
				if d > 1 {
					nest(w, d-1, c)
				}
			})
		})
	}
	for _, workers := range workerCounts {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				var fib, sum int
				var c atomic.Int64
				p.Run(func(w *scheduler.Worker) {
					fib = fibScopeFrom(w, n)
					sum = sumScopeFlat(w, root, true)
					nest(w, depth, &c)
				})
				require.Equal(t, fibSerial(n), fib)
				require.Equal(t, want, sum)
				require.EqualValues(t, depth, c.Load())
			})
		})
	}
}

// TestScopeSpawnFromContextAndPanic: a task spawned with SpawnFrom sees the
// context of the Run that opened the scope; a panic in one propagates once,
// as a *PanicError, after every other task of the scope ran; a task spawned
// after the Run's context was cancelled is skipped; the pool keeps working.
func TestScopeSpawnFromContextAndPanic(t *testing.T) {
	p := strictPool(t, 2)
	within(t, hangTimeout, func() {
		ctx := context.WithValue(context.Background(), ctxKey{}, "opened")
		var seen atomic.Value
		require.NoError(t, p.RunContext(ctx, func(w *scheduler.Worker) {
			w.Scope(func(s *scheduler.Scope) {
				s.SpawnFrom(w, func(w *scheduler.Worker) { seen.Store(w.Context().Value(ctxKey{})) })
			})
		}))
		require.Equal(t, "opened", seen.Load())

		var ran atomic.Int64
		err := p.RunContext(context.Background(), func(w *scheduler.Worker) {
			w.Scope(func(s *scheduler.Scope) {
				for i := range 100 {
					s.SpawnFrom(w, func(*scheduler.Worker) {
						ran.Add(1)
						if i == 50 {
							panic("spawned task fails")
						}
					})
				}
			})
		})
		var pe *scheduler.PanicError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, "spawned task fails", pe.Value)
		require.EqualValues(t, 100, ran.Load(), "every sibling ran")

		cctx, cancel := context.WithCancel(context.Background())
		var late atomic.Bool
		err = p.RunContext(cctx, func(w *scheduler.Worker) {
			w.Scope(func(s *scheduler.Scope) {
				cancel()
				s.SpawnFrom(w, func(*scheduler.Worker) { late.Store(true) })
			})
		})
		require.ErrorIs(t, err, context.Canceled)
		require.False(t, late.Load(), "a task spawned after cancellation ran")

		var after int
		p.Run(func(w *scheduler.Worker) { after = fibScopeFrom(w, 10) })
		require.Equal(t, 55, after)
	})
}

// TestScopeSpawnFromOtherPool: SpawnFrom with a worker of another pool (a
// task of pool B, run from inside pool A's scope) falls back to Spawn: the
// task runs on pool A, and the scope waits for it.
func TestScopeSpawnFromOtherPool(t *testing.T) {
	a, b := strictPool(t, 2), strictPool(t, 2)
	within(t, hangTimeout, func() {
		var onA, doneBeforeReturn atomic.Bool
		a.Run(func(w *scheduler.Worker) {
			w.Scope(func(s *scheduler.Scope) {
				b.Run(func(wb *scheduler.Worker) {
					s.SpawnFrom(wb, func(w *scheduler.Worker) { onA.Store(w.Pool() == a) })
				})
			})
			doneBeforeReturn.Store(onA.Load())
		})
		require.True(t, doneBeforeReturn.Load(), "the scope returned before its task ran on pool A")
	})
}

// TestScopeSpawnAfterEnd: Spawn and SpawnFrom on a scope that has returned
// panic with a message that says so, instead of running a detached task.
func TestScopeSpawnAfterEnd(t *testing.T) {
	p := strictPool(t, 2)
	within(t, hangTimeout, func() {
		var msgs [2]any
		var ran atomic.Bool
		p.Run(func(w *scheduler.Worker) {
			var kept *scheduler.Scope
			w.Scope(func(s *scheduler.Scope) { kept = s })
			for i, spawn := range []func(){
				func() { kept.Spawn(func(*scheduler.Worker) { ran.Store(true) }) },
				func() { kept.SpawnFrom(w, func(*scheduler.Worker) { ran.Store(true) }) },
			} {
				func() {
					defer func() { msgs[i] = recover() }()
					spawn()
				}()
			}
		})
		for i, m := range msgs {
			require.Containsf(t, fmt.Sprint(m), "already returned", "call %d", i)
		}
		require.False(t, ran.Load())
	})
}

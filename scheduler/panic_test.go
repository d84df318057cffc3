package scheduler_test

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forage-go/forage/scheduler"
	"github.com/stretchr/testify/require"
)

// Panicking functions have names, so that tests can find them in the
// PanicError's stack; noinline keeps them as frames of their own.

//go:noinline
func panicInA() { panic("a") }

//go:noinline
func panicInB() { panic("b") }

//go:noinline
func panicInStolenB() { panic("stolen b") }

//go:noinline
func panicInRoot() { panic("root") }

//go:noinline
func panicInNestedScope() { panic("nested scope") }

//go:noinline
func panicInScopeBody() { panic("scope body") }

//go:noinline
func panicInFunc(v any) { panic(v) }

//go:noinline
func panicInSubmitted(i int) { panic(i) }

//go:noinline
func panicWithError(err error) { panic(err) }

// requireWorks checks that p still runs every kind of work correctly.
func requireWorks(t testing.TB, p *scheduler.Pool) {
	t.Helper()
	var f, j, s int
	p.Run(func(w *scheduler.Worker) {
		f = fibFunc.Call(w, 15)
		j = fibJoin(w, 12)
		s = fibScope(w, 8)
	})
	require.Equal(t, fibSerial(15), f, "Func after a panic")
	require.Equal(t, fibSerial(12), j, "Join after a panic")
	require.Equal(t, fibSerial(8), s, "Scope after a panic")
	done := make(chan struct{})
	require.NoError(t, p.Submit(func(*scheduler.Worker) { close(done) }))
	<-done
}

// TestPanicInRoot: a panic in Run's own fn reaches the caller as a
// *PanicError with the value and the stack of the panicking function.
func TestPanicInRoot(t *testing.T) {
	p := strictPool(t, 2)
	within(t, hangTimeout, func() {
		v := catch(func() { p.Run(func(*scheduler.Worker) { panicInRoot() }) })
		requirePanicError(t, v, "root", "panicInRoot")
		requireWorks(t, p)
	})
}

// TestPanicInA: a panic in Join's a reaches the Run caller once; b runs at
// most once (not at all unless a thief took it first: Join's doc), and if it
// started, it finished before Run re-panicked; the pool keeps working.
func TestPanicInA(t *testing.T) {
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				for range 10 {
					var bStarted, bDone atomic.Int32
					v := catch(func() {
						p.Run(func(w *scheduler.Worker) {
							w.Join(func(*scheduler.Worker) { panicInA() }, func(*scheduler.Worker) {
								bStarted.Add(1)
								for range 10 {
									runtime.Gosched()
								}
								bDone.Add(1)
							})
						})
					})
					requirePanicError(t, v, "a", "panicInA")
					require.LessOrEqual(t, bStarted.Load(), int32(1), "b ran at most once")
					require.Equal(t, bStarted.Load(), bDone.Load(), "b finished before Run re-panicked")
				}
				requireWorks(t, p)
			})
		})
	}
}

// TestPanicInB: a panic in Join's b reaches the Run caller once, after a has
// finished; the pool keeps working.
func TestPanicInB(t *testing.T) {
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				for range 10 {
					var aDone atomic.Bool
					v := catch(func() {
						p.Run(func(w *scheduler.Worker) {
							w.Join(func(*scheduler.Worker) { aDone.Store(true) }, func(*scheduler.Worker) { panicInB() })
						})
					})
					requirePanicError(t, v, "b", "panicInB")
					require.True(t, aDone.Load())
				}
				requireWorks(t, p)
			})
		})
	}
}

// forceStolenJoin runs w.Join(a', b') where b' (run by another worker) first
// reports its worker and then calls b, and a' waits until b' has started
// before calling a: b is certainly stolen. It forks once the other workers
// are idle (waitOthersIdle). It stores the IDs of a's worker and b's in ids
// before a and b run (so they are there even if the Join panics).
func forceStolenJoin(t testing.TB, w *scheduler.Worker, ids *[2]int, a, b func(w *scheduler.Worker)) {
	bStarted := make(chan int, 1)
	waitOthersIdle(t, w)
	ids[0], ids[1] = w.ID(), w.ID()
	w.Join(func(w *scheduler.Worker) {
		select {
		case ids[1] = <-bStarted:
		case <-time.After(hangTimeout / 2):
			t.Error("b was never stolen")
		}
		a(w)
	}, func(w *scheduler.Worker) {
		bStarted <- w.ID()
		b(w)
	})
}

// TestPanicInStolenTask: a panic in a b that another worker stole reaches the
// Run caller once, with the thief's stack; if a panics too, a's panic wins
// (the documented rule) and b's is not reported anywhere else.
func TestPanicInStolenTask(t *testing.T) {
	p := strictPool(t, 2)
	within(t, hangTimeout, func() {
		for range 10 {
			var ids [2]int
			var aDone atomic.Bool
			v := catch(func() {
				p.Run(func(w *scheduler.Worker) {
					forceStolenJoin(t, w, &ids, func(*scheduler.Worker) { aDone.Store(true) },
						func(*scheduler.Worker) { panicInStolenB() })
				})
			})
			require.NotEqual(t, ids[0], ids[1], "b ran on another worker")
			requirePanicError(t, v, "stolen b", "panicInStolenB")
			require.True(t, aDone.Load())

			v = catch(func() {
				p.Run(func(w *scheduler.Worker) {
					forceStolenJoin(t, w, &ids, func(*scheduler.Worker) { panicInA() }, func(*scheduler.Worker) { panicInStolenB() })
				})
			})
			requirePanicError(t, v, "a", "panicInA")

			// a panics while the thief still runs b: the panic waits for b.
			var bDone atomic.Bool
			v = catch(func() {
				p.Run(func(w *scheduler.Worker) {
					forceStolenJoin(t, w, &ids, func(*scheduler.Worker) { panicInA() }, func(*scheduler.Worker) {
						for range 50 {
							runtime.Gosched()
						}
						bDone.Store(true)
					})
				})
			})
			requirePanicError(t, v, "a", "panicInA")
			require.True(t, bDone.Load(), "Run re-panicked before the stolen b finished")
		}
		requireWorks(t, p)
	})
}

// TestPanicInNestedScope: a panic in a task of a scope nested in a task of
// another scope reaches the Run caller once, after every other task of both
// scopes has finished, with the stack of the panicking task.
func TestPanicInNestedScope(t *testing.T) {
	for _, workers := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				for range 5 {
					var spawned, finished atomic.Int64
					task := func(*scheduler.Worker) { finished.Add(1) }
					v := catch(func() {
						p.Run(func(w *scheduler.Worker) {
							w.Scope(func(s *scheduler.Scope) {
								for range 20 {
									spawned.Add(1)
									s.Spawn(task)
								}
								s.Spawn(func(w *scheduler.Worker) {
									w.Scope(func(s2 *scheduler.Scope) {
										for range 20 {
											spawned.Add(1)
											s2.Spawn(task)
										}
										s2.Spawn(func(*scheduler.Worker) { panicInNestedScope() })
										for range 20 {
											spawned.Add(1)
											s2.Spawn(task)
										}
									})
									t.Error("the inner scope returned normally")
								})
							})
						})
					})
					requirePanicError(t, v, "nested scope", "panicInNestedScope")
					require.Equal(t, spawned.Load(), finished.Load(), "tasks finished before Run re-panicked")
				}
				requireWorks(t, p)
			})
		})
	}
}

// TestPanicInScopeBodyAndMany: a panicking body still waits for its spawned
// tasks; of many panicking tasks exactly one panic comes out.
func TestPanicInScopeBodyAndMany(t *testing.T) {
	p := strictPool(t, 2)
	within(t, hangTimeout, func() {
		var finished atomic.Int64
		v := catch(func() {
			p.Run(func(w *scheduler.Worker) {
				w.Scope(func(s *scheduler.Scope) {
					for range 50 {
						s.Spawn(func(*scheduler.Worker) { finished.Add(1) })
					}
					panicInScopeBody()
				})
			})
		})
		requirePanicError(t, v, "scope body", "panicInScopeBody")
		require.EqualValues(t, 50, finished.Load(), "spawned tasks finished before the body's panic propagated")

		v = catch(func() {
			p.Run(func(w *scheduler.Worker) {
				w.Scope(func(s *scheduler.Scope) {
					for i := range 50 {
						s.Spawn(func(*scheduler.Worker) { panicInFunc(i) })
					}
				})
			})
		})
		pe, ok := v.(*scheduler.PanicError)
		require.Truef(t, ok, "got %T %v", v, v)
		require.IsType(t, 0, pe.Value)
		require.Contains(t, string(pe.Stack), "panicInFunc")
		requireWorks(t, p)
	})
}

// TestPanicInFuncJoin: a panic in Func.Join's first call, its second call,
// a stolen second call, and deep in a recursion reaches the Run caller once
// with its value and stack; the pool and the Func keep working.
func TestPanicInFuncJoin(t *testing.T) {
	// f(n): panics when n is negative, with value n; else fib.
	var f *scheduler.Func[int, int]
	f = scheduler.NewFunc(func(w *scheduler.Worker, n int) int {
		switch {
		case n < 0:
			panicInFunc(n)
		case n < 2:
			return n
		}
		a, b := f.Join(w, n-1, n-2)
		return a + b
	})
	for _, workers := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				for range 5 {
					v := catch(func() { p.Run(func(w *scheduler.Worker) { f.Join(w, -1, 10) }) })
					requirePanicError(t, v, -1, "panicInFunc")
					v = catch(func() { p.Run(func(w *scheduler.Worker) { f.Join(w, 10, -2) }) })
					requirePanicError(t, v, -2, "panicInFunc")
					var got int
					p.Run(func(w *scheduler.Worker) { got = f.Call(w, 18) })
					require.Equal(t, fibSerial(18), got, "the Func works after a panic")
				}
				requireWorks(t, p)
			})
		})
	}
	t.Run("stolen", func(t *testing.T) {
		p := strictPool(t, 2)
		within(t, hangTimeout, func() {
			bStarted := make(chan int, 1)
			var aID, bID int
			var h *scheduler.Func[int, int]
			h = scheduler.NewFunc(func(w *scheduler.Worker, n int) int {
				switch n {
				case 0: // the root
					waitOthersIdle(t, w)
					a, b := h.Join(w, 1, 2)
					return a + b
				case 1: // a: wait until b runs elsewhere
					aID = w.ID()
					select {
					case bID = <-bStarted:
					case <-time.After(hangTimeout / 2):
						t.Error("b was never stolen")
						bID = aID
					}
					return 1
				default: // b: report, then panic on the thief
					bStarted <- w.ID()
					panicInFunc("stolen func")
					return 0
				}
			})
			for range 10 {
				v := catch(func() { p.Run(func(w *scheduler.Worker) { h.Call(w, 0) }) })
				require.NotEqual(t, aID, bID, "b ran on another worker")
				requirePanicError(t, v, "stolen func", "panicInFunc")
			}
			requireWorks(t, p)
		})
	})
}

// TestPanicDeepInFuncRecursion: panics at many leaves of a large Func
// recursion (every leaf with n == 3), on whichever workers run them, reach
// the Run caller once; the pool and the Func keep working.
func TestPanicDeepInFuncRecursion(t *testing.T) {
	deep := scheduler.NewFunc(func(w *scheduler.Worker, n int) int {
		if n == 3 {
			panicInFunc("deep")
		}
		return fibFunc.Call(w, n)
	})
	var g *scheduler.Func[int, int]
	g = scheduler.NewFunc(func(w *scheduler.Worker, n int) int {
		if n < 4 {
			return deep.Call(w, n)
		}
		a, b := g.Join(w, n-1, n-2)
		return a + b
	})
	for _, workers := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				for range 10 { // g(14): 144 leaves panic per Run
					v := catch(func() { p.Run(func(w *scheduler.Worker) { g.Call(w, 14) }) })
					requirePanicError(t, v, "deep", "panicInFunc")
				}
				var got int
				p.Run(func(w *scheduler.Worker) { got = fibFunc.Call(w, 18) })
				require.Equal(t, fibSerial(18), got, "the pool works after the panics")
				requireWorks(t, p)
			})
		})
	}
}

// TestPanicDeepInInlineRecursion: as TestPanicDeepInFuncRecursion, through
// the Func.Inline idiom, whose plain forks are direct calls: the panics
// unwind them as serial code and reach the recorded joins' guards, and the
// Run caller gets one of them.
func TestPanicDeepInInlineRecursion(t *testing.T) {
	var g *scheduler.Func[int, int]
	var body func(w *scheduler.Worker, n int) int
	body = func(w *scheduler.Worker, n int) int {
		if n == 3 {
			panicInFunc("inline")
		}
		if n < 2 {
			return n
		}
		if g.Inline(w) {
			return body(w, n-1) + body(w, n-2)
		}
		a, b := g.Join(w, n-1, n-2)
		return a + b
	}
	g = scheduler.NewFunc(body)
	for _, workers := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				for range 10 {
					v := catch(func() { p.Run(func(w *scheduler.Worker) { g.Call(w, 16) }) })
					requirePanicError(t, v, "inline", "panicInFunc")
				}
				var got int
				p.Run(func(w *scheduler.Worker) { got = fibInline(w, 18) })
				require.Equal(t, fibSerial(18), got, "the pool works after the panics")
				requireWorks(t, p)
			})
		})
	}
}

// TestPanicRecoveredMidRecursion: user code in a Func body recovers panics
// that crossed joins on both sides of the latent-fork budget (the joins
// nearest the root record their forks, deeper ones are plain calls), then
// forks again; every result after the recovery is right, at any worker
// count, so no frame was left behind or reused while a thief held it.
func TestPanicRecoveredMidRecursion(t *testing.T) {
	type arg struct {
		n       int
		guarded bool // a Join on the way recovers panics
	}
	var g *scheduler.Func[arg, int]
	g = scheduler.NewFunc(func(w *scheduler.Worker, a arg) int {
		switch {
		case a.n == 2 && a.guarded:
			panicInFunc("two")
		case a.n < 2:
			return a.n
		case a.n%6 == 0: // recover here, then redo the subtree without panics
			v := catch(func() { g.Join(w, arg{a.n - 1, true}, arg{a.n - 2, true}) })
			if v == nil {
				panic("g: a subtree with a leaf n == 2 returned normally")
			}
			return fibFunc.Call(w, a.n)
		}
		x, y := g.Join(w, arg{a.n - 1, a.guarded}, arg{a.n - 2, a.guarded})
		return x + y
	})
	for _, workers := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				for range 5 {
					var got int
					p.Run(func(w *scheduler.Worker) { got = g.Call(w, arg{n: 24}) })
					require.Equal(t, fibSerial(24), got)
				}
				requireWorks(t, p)
			})
		})
	}
}

// TestPanicDeepInJoinRecursion: a panic at one leaf of a large closure-Join
// recursion, at several worker counts, reaches the Run caller once.
func TestPanicDeepInJoinRecursion(t *testing.T) {
	var rec func(w *scheduler.Worker, n int, path uint64) int
	rec = func(w *scheduler.Worker, n int, path uint64) int {
		if n < 2 {
			if path == 1<<9-1 { // the leaf reached by taking b 8 times from fib(16)
				panicInFunc("leaf")
			}
			return n
		}
		var a, b int
		w.Join(func(w *scheduler.Worker) { a = rec(w, n-1, path<<1) }, func(w *scheduler.Worker) { b = rec(w, n-2, path<<1|1) })
		return a + b
	}
	for _, workers := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				for range 5 {
					v := catch(func() { p.Run(func(w *scheduler.Worker) { rec(w, 16, 1) }) })
					requirePanicError(t, v, "leaf", "panicInFunc")
				}
				requireWorks(t, p)
			})
		})
	}
}

// TestPanicRecoveredInsideTask: a task that recovers a Join's or a Func's
// panic itself carries on; the Run returns normally and its forks after the
// recovery are correct.
func TestPanicRecoveredInsideTask(t *testing.T) {
	var f *scheduler.Func[int, int]
	f = scheduler.NewFunc(func(w *scheduler.Worker, n int) int {
		if n < 0 {
			panicInFunc(n)
		}
		if n < 2 {
			return n
		}
		a, b := f.Join(w, n-1, n-2)
		return a + b
	})
	for _, workers := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := strictPool(t, workers)
			within(t, hangTimeout, func() {
				var recovered []any
				var after, nested int
				p.Run(func(w *scheduler.Worker) {
					for i := range 20 {
						recovered = append(recovered, catch(func() {
							// The panic comes from inside a join nested in
							// another join, with forks pending around it.
							f.Join(w, 12, -1-i)
						}))
						recovered = append(recovered, catch(func() {
							w.Join(func(w *scheduler.Worker) { f.Join(w, 10, 11) }, func(*scheduler.Worker) { panicInB() })
						}))
					}
					after = f.Call(w, 18)
					nested = fibJoin(w, 15)
				})
				require.Len(t, recovered, 40)
				for i, v := range recovered {
					// Inside a task the panic may come as the raw value or
					// as a *PanicError (TestJoinPanicTypeInsideTask).
					if pe, ok := v.(*scheduler.PanicError); ok {
						v = pe.Value
					}
					if i%2 == 0 {
						require.Equal(t, -1-i/2, v)
					} else {
						require.Equal(t, "b", v)
					}
				}
				require.Equal(t, fibSerial(18), after)
				require.Equal(t, fibSerial(15), nested)
				requireWorks(t, p)
			})
		})
	}
}

// TestJoinPanicTypeInsideTask: a task that recovers the panic of a Join or a
// Func.Join it called gets the panic value, itself or in a *PanicError (the
// package doc, Panics), whichever side panicked and whether or not it was
// stolen; a stolen side's always comes as a *PanicError.
func TestJoinPanicTypeInsideTask(t *testing.T) {
	f := scheduler.NewFunc(func(w *scheduler.Worker, n int) int {
		if n < 0 {
			panicInFunc(n)
		}
		return n
	})
	p := strictPool(t, 2)
	within(t, hangTimeout, func() {
		cases := map[string]func(w *scheduler.Worker){
			"Join a":       func(w *scheduler.Worker) { w.Join(func(*scheduler.Worker) { panicInA() }, func(*scheduler.Worker) {}) },
			"Join b":       func(w *scheduler.Worker) { w.Join(func(*scheduler.Worker) {}, func(*scheduler.Worker) { panicInB() }) },
			"Func.Join a1": func(w *scheduler.Worker) { f.Join(w, -1, 1) },
			"Func.Join a2": func(w *scheduler.Worker) { f.Join(w, 1, -2) },
			"stolen Join b": func(w *scheduler.Worker) {
				var ids [2]int
				forceStolenJoin(t, w, &ids, func(*scheduler.Worker) {}, func(*scheduler.Worker) { panicInStolenB() })
			},
		}
		want := map[string]any{"Join a": "a", "Join b": "b", "Func.Join a1": -1, "Func.Join a2": -2, "stolen Join b": "stolen b"}
		for _, name := range slices.Sorted(maps.Keys(cases)) {
			var v any
			p.Run(func(w *scheduler.Worker) { v = catch(func() { cases[name](w) }) })
			pe, wrapped := v.(*scheduler.PanicError)
			if wrapped {
				v = pe.Value
			} else if strings.HasPrefix(name, "stolen") {
				t.Errorf("%s: recovered %T (%v) inside the task, want *scheduler.PanicError", name, v, v)
			}
			if v != want[name] {
				t.Errorf("%s: recovered %v, want %v", name, v, want[name])
			}
		}
	})
}

// TestPanicNestedRun: a panic in a Run nested inline inside a task comes out
// of the outer Run as the same *PanicError, not wrapped twice.
func TestPanicNestedRun(t *testing.T) {
	p := strictPool(t, 2)
	within(t, hangTimeout, func() {
		var inner any
		v := catch(func() {
			p.Run(func(*scheduler.Worker) {
				inner = catch(func() { p.Run(func(*scheduler.Worker) { panicInRoot() }) })
				panic(inner)
			})
		})
		requirePanicError(t, inner, "root", "panicInRoot")
		require.Same(t, inner.(*scheduler.PanicError), v.(*scheduler.PanicError))
		requireWorks(t, p)
	})
}

type codeError struct{ code int }

func (e *codeError) Error() string { return fmt.Sprintf("code %d", e.code) }

// TestPanicErrorUnwrap: when the panic value is an error, errors.Is and
// errors.As see it through the *PanicError; otherwise Unwrap is nil.
func TestPanicErrorUnwrap(t *testing.T) {
	p := strictPool(t, 2)
	within(t, hangTimeout, func() {
		wrapped := fmt.Errorf("reading: %w", fs.ErrNotExist)
		v := catch(func() {
			p.Run(func(w *scheduler.Worker) {
				w.Join(func(*scheduler.Worker) {}, func(*scheduler.Worker) { panicWithError(wrapped) })
			})
		})
		pe := requirePanicError(t, v, wrapped, "panicWithError")
		var err error = pe
		require.ErrorIs(t, err, fs.ErrNotExist)
		require.Equal(t, wrapped, pe.Unwrap())
		require.Contains(t, pe.Error(), "reading: file does not exist")

		v = catch(func() {
			p.Run(func(w *scheduler.Worker) {
				w.Scope(func(s *scheduler.Scope) {
					s.Spawn(func(*scheduler.Worker) { panicWithError(&codeError{42}) })
				})
			})
		})
		err = v.(error)
		var ce *codeError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, 42, ce.code)
		var pe2 *scheduler.PanicError
		require.ErrorAs(t, err, &pe2)

		v = catch(func() { p.Run(func(*scheduler.Worker) { panic(17) }) })
		require.Nil(t, v.(*scheduler.PanicError).Unwrap())
		require.False(t, errors.Is(v.(error), fs.ErrNotExist))
	})
}

// TestPanicSubmitHandler: each panic of a submitted task reaches the panic
// handler exactly once, with its value and stack; Close then returns nil.
func TestPanicSubmitHandler(t *testing.T) {
	var mu sync.Mutex
	got := map[any]int{}
	var badStack atomic.Int64
	p, err := scheduler.New(scheduler.WithWorkers(2), scheduler.WithPanicHandler(func(pe *scheduler.PanicError) {
		mu.Lock()
		got[pe.Value]++
		mu.Unlock()
		if !strings.Contains(string(pe.Stack), "panicInSubmitted") {
			badStack.Add(1)
		}
	}))
	require.NoError(t, err)
	const n, every = 1000, 10
	var ran atomic.Int64
	within(t, hangTimeout, func() {
		for i := range n {
			require.NoError(t, p.Submit(func(*scheduler.Worker) {
				ran.Add(1)
				if i%every == 0 {
					panicInSubmitted(i)
				}
			}))
		}
		requireWorks(t, p)
		require.NoError(t, p.Close(), "panics that went to the handler are not returned by Close")
	})
	require.EqualValues(t, n, ran.Load())
	require.Len(t, got, n/every)
	for i := 0; i < n; i += every {
		require.Equalf(t, 1, got[i], "handler calls for the panic of task %d", i)
	}
	require.Zero(t, badStack.Load(), "handler calls whose stack lacks the panicking function")
}

// TestPanicSubmitNoHandler: without a handler, Close returns every panic of a
// submitted task, joined, each a *PanicError, each once; the workers survive.
func TestPanicSubmitNoHandler(t *testing.T) {
	p, err := scheduler.New(scheduler.WithWorkers(2))
	require.NoError(t, err)
	const n, every = 500, 5
	var closeErr error
	within(t, hangTimeout, func() {
		for i := range n {
			require.NoError(t, p.Submit(func(*scheduler.Worker) {
				if i%every == 0 {
					panicInSubmitted(i)
				}
			}))
		}
		requireWorks(t, p) // the workers survived the panics
		closeErr = p.Close()
	})
	require.Error(t, closeErr)
	var pe *scheduler.PanicError
	require.ErrorAs(t, closeErr, &pe)
	joined, ok := closeErr.(interface{ Unwrap() []error })
	require.Truef(t, ok, "Close's error %T does not unwrap to a list", closeErr)
	seen := map[any]int{}
	for _, e := range joined.Unwrap() {
		pe, ok := e.(*scheduler.PanicError)
		require.Truef(t, ok, "joined error %T is not a *PanicError", e)
		require.Contains(t, string(pe.Stack), "panicInSubmitted")
		seen[pe.Value]++
	}
	require.Len(t, seen, n/every)
	for i := 0; i < n; i += every {
		require.Equalf(t, 1, seen[i], "panics of task %d returned by Close", i)
	}
	require.Equal(t, closeErr, p.Close(), "a second Close returns the same result")
}

// TestPanicInHandler: a panic inside the panic handler is not lost either:
// Close returns it.
func TestPanicInHandler(t *testing.T) {
	var calls atomic.Int64
	p, err := scheduler.New(scheduler.WithWorkers(2), scheduler.WithPanicHandler(func(pe *scheduler.PanicError) {
		calls.Add(1)
		panic(fmt.Sprintf("handler saw %v", pe.Value))
	}))
	require.NoError(t, err)
	var closeErr error
	within(t, hangTimeout, func() {
		for i := range 3 {
			require.NoError(t, p.Submit(func(*scheduler.Worker) { panicInSubmitted(i) }))
		}
		requireWorks(t, p)
		closeErr = p.Close()
	})
	require.EqualValues(t, 3, calls.Load())
	joined, ok := closeErr.(interface{ Unwrap() []error })
	require.True(t, ok, "Close returns the handler's panics, joined")
	var values []any
	for _, e := range joined.Unwrap() {
		var pe *scheduler.PanicError
		require.ErrorAs(t, e, &pe)
		values = append(values, pe.Value)
	}
	require.ElementsMatch(t, []any{"handler saw 0", "handler saw 1", "handler saw 2"}, values)
}

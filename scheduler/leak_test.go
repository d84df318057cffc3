package scheduler_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/forage-go/forage/scheduler"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Goroutine leaks are checked per test, against a snapshot taken at the
// test's start (goleak.IgnoreCurrent), rather than once in TestMain: the
// package's default pool (default.go) lives as long as the process by
// design, and other tests may create it.

// TestNoLeakAfterClose: pools of 1 to 32 workers that ran every kind of work
// — forks, scopes, submitted tasks, panics, cancelled runs, cross-pool Runs —
// leave no goroutine behind once closed.
func TestNoLeakAfterClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, workers := range workerCounts {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			within(t, hangTimeout, func() {
				var handled atomic.Int64
				p, err := scheduler.New(scheduler.WithWorkers(workers),
					scheduler.WithPanicHandler(func(*scheduler.PanicError) { handled.Add(1) }))
				require.NoError(t, err)
				other, err := scheduler.New(scheduler.WithWorkers(1))
				require.NoError(t, err)
				root, want, _ := buildTree(2000, 5)
				var sum, fib int
				p.Run(func(w *scheduler.Worker) {
					fib = fibJoin(w, 12) + fibFunc.Call(w, 12)
					sum = sumScopeNested(w, root)
					other.Run(func(w *scheduler.Worker) { fib += fibScope(w, 6) })
				})
				require.Equal(t, 2*fibSerial(12)+fibSerial(6), fib)
				require.Equal(t, want, sum)
				require.NotNil(t, catch(func() {
					p.Run(func(w *scheduler.Worker) { w.Join(func(*scheduler.Worker) {}, func(*scheduler.Worker) { panicInB() }) })
				}))
				ctx, cancel := context.WithCancel(context.Background())
				require.ErrorIs(t, p.RunContext(ctx, func(w *scheduler.Worker) {
					w.Scope(func(s *scheduler.Scope) {
						for range 10 {
							s.Spawn(func(*scheduler.Worker) {})
						}
						cancel()
					})
				}), context.Canceled)
				for i := range 100 {
					require.NoError(t, p.Submit(func(*scheduler.Worker) {
						if i%10 == 0 {
							panicInSubmitted(i)
						}
					}))
				}
				require.NoError(t, p.Close())
				require.NoError(t, other.Close())
				require.EqualValues(t, 10, handled.Load()) // ordered by Close's wait
			})
		})
	}
}

// TestNoLeakIdleClose: a pool closed without ever running anything, and one
// closed while all its workers are parked, leave nothing behind.
func TestNoLeakIdleClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	within(t, hangTimeout, func() {
		for _, workers := range []int{1, 2, 64} {
			p, err := scheduler.New(scheduler.WithWorkers(workers))
			require.NoError(t, err)
			require.NoError(t, p.Close())

			q, err := scheduler.New(scheduler.WithWorkers(workers))
			require.NoError(t, err)
			q.Run(func(*scheduler.Worker) {})
			waitUntil(t, "all workers announcing sleep", func() bool { return scheduler.SleepingWorkers(q) == workers })
			require.NoError(t, q.Close())
		}
	})
}

// TestNoLeakCloseDuringFlood: Close racing a flood of Submits and Runs leaves
// no goroutine of the pool behind.
func TestNoLeakCloseDuringFlood(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p, err := scheduler.New(scheduler.WithWorkers(4))
	require.NoError(t, err)
	within(t, hangTimeout, func() { closeDuringFlood(t, p) })
}

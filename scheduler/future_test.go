package scheduler_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forage-go/forage/scheduler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAsyncResult: Async's Future gives fn's value, to any number of
// waiters, and Done is closed by then.
func TestAsyncResult(t *testing.T) {
	p := strictPool(t, 2)
	f := scheduler.Async(p, func(w *scheduler.Worker) string { return fmt.Sprint("worker ", w.Pool() == p) })
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			v, err := f.Wait()
			assert.NoError(t, err) // not require: this is not the test's goroutine
			assert.Equal(t, "worker true", v)
		})
	}
	wg.Wait()
	select {
	case <-f.Done():
	default:
		t.Fatal("Done not closed after Wait returned")
	}
}

// TestAsyncPanic: a panic in fn comes back from Wait as a *PanicError with
// the value and the panicking stack, and never reaches the pool's handler.
func TestAsyncPanic(t *testing.T) {
	p := strictPool(t, 2)
	f := scheduler.Async(p, func(*scheduler.Worker) int { panicInAsync(); return 1 })
	v, err := f.Wait()
	require.Zero(t, v)
	var pe *scheduler.PanicError
	require.ErrorAs(t, err, &pe)
	requirePanicError(t, pe, "async", "panicInAsync")
	// An error value is visible through the *PanicError.
	sentinel := errors.New("sentinel")
	_, err = scheduler.Async(p, func(*scheduler.Worker) int { panic(sentinel) }).Wait()
	require.ErrorIs(t, err, sentinel)
}

func panicInAsync() { panic("async") }

// TestAsyncAfterClose: after Close, Async's Future is complete at once with
// ErrClosed.
func TestAsyncAfterClose(t *testing.T) {
	p, err := scheduler.New(scheduler.WithWorkers(2))
	require.NoError(t, err)
	require.NoError(t, p.Close())
	var ran atomic.Bool
	f := scheduler.Async(p, func(*scheduler.Worker) int { ran.Store(true); return 1 })
	v, err := f.Wait()
	require.ErrorIs(t, err, scheduler.ErrClosed)
	require.Zero(t, v)
	require.False(t, ran.Load())
}

// TestAsyncManyGoroutines: futures made and waited for by many goroutines at
// once each get their own result; Close after them finds nothing left.
func TestAsyncManyGoroutines(t *testing.T) {
	goroutines, each := 32, 200
	if raceEnabled {
		goroutines, each = 16, 100
	}
	for _, workers := range loopWorkerCounts {
		p := strictPool(t, workers)
		within(t, hangTimeout, func() {
			var wg sync.WaitGroup
			errs := make(chan error, goroutines)
			for g := range goroutines {
				wg.Go(func() {
					fs := make([]*scheduler.Future[int], each)
					for i := range fs {
						fs[i] = scheduler.Async(p, func(*scheduler.Worker) int { return g*each + i })
					}
					vals, err := scheduler.WaitAll(fs...)
					if err != nil {
						errs <- err
						return
					}
					for i, v := range vals {
						if v != g*each+i {
							errs <- fmt.Errorf("goroutine %d future %d: got %d", g, i, v)
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// TestAsyncCloseRace: Async racing with Close either runs fn (and Close
// waits for it) or reports ErrClosed; nothing hangs.
func TestAsyncCloseRace(t *testing.T) {
	for range 20 {
		p, err := scheduler.New(scheduler.WithWorkers(2))
		require.NoError(t, err)
		var wg sync.WaitGroup
		fs := make(chan *scheduler.Future[int], 400)
		for range 4 {
			wg.Go(func() {
				for i := range 100 {
					fs <- scheduler.Async(p, func(*scheduler.Worker) int { return i })
				}
			})
		}
		require.NoError(t, p.Close())
		wg.Wait()
		close(fs)
		within(t, hangTimeout, func() {
			for f := range fs {
				if _, err := f.Wait(); err != nil {
					require.ErrorIs(t, err, scheduler.ErrClosed)
				}
			}
		})
	}
}

// TestWaitAllFirstError: WaitAll returns every value in order, and the first
// error in argument order, after all futures completed.
func TestWaitAllFirstError(t *testing.T) {
	p := strictPool(t, 2)
	var finished atomic.Int64
	slow := func(v int, fail bool) *scheduler.Future[int] {
		return scheduler.Async(p, func(*scheduler.Worker) int {
			defer finished.Add(1)
			time.Sleep(time.Duration(10-v) * time.Millisecond)
			if fail {
				panic(fmt.Sprint("fail ", v))
			}
			return v
		})
	}
	fs := []*scheduler.Future[int]{slow(1, false), slow(2, true), slow(3, false), slow(4, true)}
	vals, err := scheduler.WaitAll(fs...)
	require.Equal(t, []int{1, 0, 3, 0}, vals)
	var pe *scheduler.PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "fail 2", pe.Value)
	require.EqualValues(t, 4, finished.Load())
	vals, err = scheduler.WaitAll[int]()
	require.NoError(t, err)
	require.Empty(t, vals)
}

// TestWaitInsideWorker: a task that waits for futures of its own pool does
// not deadlock it, even with a single worker: Wait runs the pool's work
// meanwhile.
func TestWaitInsideWorker(t *testing.T) {
	for _, workers := range []int{1, 2} {
		p := strictPool(t, workers)
		within(t, hangTimeout, func() {
			var got int
			p.Run(func(w *scheduler.Worker) {
				fs := make([]*scheduler.Future[int], 50)
				for i := range fs {
					fs[i] = scheduler.Async(p, func(w *scheduler.Worker) int {
						// Nested: a future waiting for another future.
						v, _ := scheduler.Async(p, func(*scheduler.Worker) int { return i }).Wait()
						return v
					})
				}
				vals, err := scheduler.WaitAll(fs...)
				if err == nil {
					for _, v := range vals {
						got += v
					}
				}
			})
			require.Equal(t, 49*50/2, got)
		})
	}
}

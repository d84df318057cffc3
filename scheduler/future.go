package scheduler

import (
	"runtime"
	"time"
)

// Future is the result of a function started with Async: a value of type T,
// or the error that replaced it. Wait returns them once the function has
// finished; any number of goroutines may wait for the same Future.
type Future[T any] struct {
	// done is closed when val and err are final; the close publishes them
	// to every waiter (a channel close happens before a receive it unblocks).
	done chan struct{}
	val  T
	err  error
}

// Async queues fn on p, as Submit does, and returns a Future for its result
// at once. It starts no goroutine: fn runs on one of p's workers, and its
// result goes into the Future, which is complete when fn returns. Safe from
// any goroutine, including tasks of p or of other pools.
//
// A panic in fn does not reach p's panic handler: Wait returns it as a
// *PanicError. If p is closed, the Future is complete at once with ErrClosed.
// fn runs without a context (Worker.Err is nil), whatever context its caller
// has.
func Async[T any](p *Pool, fn func(w *Worker) T) *Future[T] {
	f := &Future[T]{done: make(chan struct{})}
	err := p.Submit(func(w *Worker) {
		defer close(f.done)
		defer func() {
			if v := recover(); v != nil {
				f.err = asPanicError(v)
			}
		}()
		f.val = fn(w)
	})
	if err != nil {
		f.err = err
		close(f.done)
	}
	return f
}

// Done returns a channel that is closed when the Future is complete, for use
// in select statements. Wait then returns without blocking.
func (f *Future[T]) Done() <-chan struct{} { return f.done }

// Wait waits until the function has finished and returns its result, or the
// zero T and an error: a *PanicError if the function panicked, ErrClosed if
// its pool was closed before the function was queued.
//
// Called from a worker goroutine (inside a task of any pool), Wait does not
// just block: it keeps running other work of that worker's pool while it
// waits, as Join does, so that tasks waiting for futures of their own pool
// cannot deadlock it, even with one worker. As with Join, the waiting task
// may therefore run unrelated tasks on its stack before Wait returns. The
// check costs about a microsecond per call; from other goroutines Wait is a
// plain channel receive.
func (f *Future[T]) Wait() (T, error) {
	select {
	case <-f.done:
		return f.val, f.err
	default:
	}
	if w := currentWorker(); w != nil {
		w.helpUntil(f.done)
	}
	<-f.done
	return f.val, f.err
}

// WaitAll waits for every future and returns their values in the same order.
// The error is the first non-nil error in argument order, nil if all
// succeeded; the values of failed futures are zero. It waits for all
// futures even after one has failed, so that none of their functions is
// still running when WaitAll returns.
func WaitAll[T any](fs ...*Future[T]) ([]T, error) {
	vals := make([]T, len(fs))
	var first error
	for i, f := range fs {
		v, err := f.Wait()
		vals[i] = v
		if err != nil && first == nil {
			first = err
		}
	}
	return vals, first
}

// helpUntil runs work of w's pool until done is closed. With nothing to run,
// it yields, then sleeps for growing intervals (up to helpMaxSleep) while
// watching done: the thing it waits for is then running on another worker,
// or queued behind work it will see the next time it looks.
func (w *Worker) helpUntil(done <-chan struct{}) {
	const helpMaxSleep = time.Millisecond
	var timer *time.Timer
	idle := 0
	spins := w.pool.waitSpins // longer in pinned pools (worker.go)
	for {
		select {
		case <-done:
			if timer != nil {
				timer.Stop()
			}
			return
		default:
		}
		if j := w.findWork(); j != nil {
			w.execute(j)
			idle = 0
			continue
		}
		if idle++; idle < spins {
			runtime.Gosched()
			continue
		}
		d := min(time.Duration(idle-spins+1)*10*time.Microsecond, helpMaxSleep)
		if timer == nil {
			timer = time.NewTimer(d)
		} else {
			timer.Reset(d)
		}
		select {
		case <-done:
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

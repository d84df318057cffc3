package scheduler

import (
	"context"
	"fmt"
	"sync"
)

// The default pool, for programs that do not want to build and close their
// own, like Rayon's global pool.
var defaultPool struct {
	once sync.Once
	p    *Pool
}

// Default returns the package's default pool, creating it on first use with
// the default size: FORAGE_WORKERS if set, else one worker per CPU the
// process may use (see New). Run, RunContext and Submit use it.
//
// Lifetime: the default pool is never closed. Its workers park when idle
// (they cost no CPU then) and live until the process exits; calling Close
// on it is a mistake that makes every later use fail with ErrClosed. A
// program that needs to shut its workers down, or several pools, should make
// its own with New.
//
// Panics of tasks given to its Submit have nobody to report to, as Close is
// never called: such a panic crashes the program, as a panic in a goroutine
// started with the go statement does (and as Rayon's global pool aborts).
// Panics in Run, RunContext, Join, For and Async reach their callers as
// usual. If FORAGE_WORKERS is invalid, Default panics with New's error.
func Default() *Pool {
	defaultPool.once.Do(func() {
		p, err := New(WithPanicHandler(crash))
		if err != nil {
			panic(fmt.Errorf("forage: cannot create the default pool: %w", err))
		}
		defaultPool.p = p
	})
	if defaultPool.p == nil {
		// An earlier call panicked inside once.Do; say so again.
		panic("forage: the default pool could not be created (see the first panic)")
	}
	return defaultPool.p
}

// crash re-panics a submitted task's panic on a new goroutine, where nothing
// can recover it: the program dies with the task's value and stack, as with
// an unrecovered panic in a go statement.
func crash(pe *PanicError) {
	go func() { panic(pe) }()
	select {} // the panic ends the process; this worker must not go on meanwhile
}

// Run runs fn on the default pool and returns when fn and everything it
// forked have finished; see Pool.Run.
func Run(fn func(w *Worker)) { Default().Run(fn) }

// RunContext runs fn on the default pool with cancellation; see
// Pool.RunContext.
func RunContext(ctx context.Context, fn func(w *Worker)) error {
	return Default().RunContext(ctx, fn)
}

// Submit queues fn on the default pool and returns at once; see Pool.Submit.
// A panic in fn crashes the program (see Default).
func Submit(fn func(w *Worker)) error { return Default().Submit(fn) }

package scheduler

import (
	"context"
	"sync/atomic"
)

// Scope is a group of spawned tasks that Worker.Scope waits for. Spawn may
// be called from the scope's body and from any task spawned into it, to any
// depth; the scope ends when all of them have finished.
type Scope struct {
	job         // the scope's latch: set when the last task finishes
	w   *Worker // the worker running the body; fixed
	// ctx is the context of the Run that opened the scope, inherited by
	// every spawned task. Captured once by Worker.Scope: reading s.w.ctx in
	// Spawn raced with s.w (a task on another worker may Spawn while s.w
	// helps), and could hand a spawned task the context of another Run that
	// s.w was helping with (TestScopeSpawnKeepsRunContext).
	ctx context.Context
	// pending counts the body (1) plus spawned tasks not yet finished; the
	// decrement that reaches zero sets the latch.
	pending atomic.Int64
	panic   atomic.Pointer[PanicError] // the first panic, kept for the body's caller
}

// Scope runs body, which may Spawn tasks, and returns when body and every
// task spawned into the scope (transitively) have finished. While it waits,
// w runs other work. If body or any task panics, Scope panics with the first
// *PanicError after everything has finished.
//
// Tasks spawned with Spawn go through the pool's injector queue, so a Spawn
// costs about a Submit (the injector's lock) plus its task record, an
// allocation; SpawnFrom, for callers that have their *Worker at hand, pushes
// onto that worker's task deque instead. Join and Func remain cheaper for
// fine-grained recursion: every spawned task still updates the scope's
// shared counter twice.
func (w *Worker) Scope(body func(s *Scope)) {
	s := &Scope{w: w, ctx: w.ctx}
	s.task = s // never run: the job only carries the latch
	s.latch.waiter = w
	s.latch.reset()
	// Not yet visible to any other goroutine: the body's own count.
	s.pending.Store(1)
	func() {
		defer func() {
			if v := recover(); v != nil {
				s.recordPanic(asPanicError(v))
			}
		}()
		body(s)
	}()
	s.finishOne()
	w.waitFor(&s.job)
	// The latch (set after the last task's recordPanic) orders every
	// recorded panic before this load.
	if p := s.panic.Load(); p != nil {
		panic(p)
	}
}

// Spawn queues fn to run on some worker as part of the scope. Safe to call
// from the body and from spawned tasks, on any worker; once Scope has
// returned, Spawn panics.
func (s *Scope) Spawn(fn func(w *Worker)) {
	// Counted before it is published, so pending cannot reach zero while
	// the task exists.
	s.count()
	sj := &spawnJob{scope: s, fn: fn}
	sj.task = sj
	sj.ctx = s.ctx // not s.w.ctx: see Scope.ctx
	p := s.w.pool
	p.inject.push(entry{j: &sj.job}, false) // unchecked: the scope's Run keeps the pool open
	p.sleep.notify()
}

// SpawnFrom is Spawn for a caller that runs on worker w — the body, or a task
// of the scope, passing the *Worker it was given. The task goes onto w's own
// task deque, where w runs it once it has no forks of its own to finish (last
// spawned, first run) unless another worker steals it first: no injector
// lock, and no allocation besides fn's own once w has recycled a few task
// records. Spawn, by contrast, cannot tell which worker calls it and goes
// through the pool's injector.
//
// w must be the worker running the caller, as for Join: a *Worker captured
// by a closure that then runs on another worker would have two goroutines
// push onto one deque, which corrupts it (the race detector reports it). A w
// of another pool is the one case recognised: it falls back to Spawn.
func (s *Scope) SpawnFrom(w *Worker, fn func(w *Worker)) {
	if w.pool != s.w.pool {
		s.Spawn(fn)
		return
	}
	// Counted before it is published, as in Spawn.
	s.count()
	sj := w.freeSpawns.get()
	if sj == nil {
		sj = &spawnJob{}
		sj.task = sj
	}
	sj.scope, sj.fn, sj.ctx = s, fn, s.ctx // not w.ctx: see Scope.ctx
	w.tasks.Push(&sj.job)
	w.pool.sleep.notify()
}

// count adds a task to pending. A legitimate caller — the body, or a task of
// the scope — holds a count of its own, so pending is at least 1 before the
// add; 0 means the scope has ended, and the task would run detached with
// nobody to wait for it or receive its panic.
func (s *Scope) count() {
	if s.pending.Add(1) == 1 {
		s.pending.Add(-1) // back to 0, so that every later call panics too
		panic("forage: Spawn on a Scope that has already returned")
	}
}

func (s *Scope) execute(*Worker) { panic("forage: internal error: scope job run") }

// recordPanic keeps the first panic: the CAS lets exactly one win.
func (s *Scope) recordPanic(pe *PanicError) { s.panic.CompareAndSwap(nil, pe) }

// finishOne retires the body or a task; the last one sets the latch.
func (s *Scope) finishOne() {
	// The RMW chain makes every task's writes happen before the decrement
	// that reaches zero, which sets the latch the owner waits on.
	if s.pending.Add(-1) == 0 {
		s.latch.set()
	}
}

// spawnJob is a task spawned into a scope.
type spawnJob struct {
	job
	scope *Scope
	fn    func(w *Worker)
}

func (sj *spawnJob) execute(w *Worker) {
	s, fn := sj.scope, sj.fn
	// Nothing refers to sj once it runs (it left the deque or the injector,
	// and nobody waits on it): the running worker keeps it for SpawnFrom.
	sj.scope, sj.fn, sj.ctx = nil, nil, nil
	w.freeSpawns.put(sj)
	defer s.finishOne()
	defer func() {
		if v := recover(); v != nil {
			s.recordPanic(asPanicError(v))
		}
	}()
	if w.cancelled() {
		return
	}
	fn(w)
}

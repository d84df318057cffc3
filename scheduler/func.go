package scheduler

import (
	"sync"
	"sync/atomic"
)

// Func is a typed function made for allocation-free fork-join: the hot path
// of recursive algorithms (fib, tree walks, divide and conquer). Its Join
// forks with a frame taken from a per-worker stack of reusable frames instead
// of heap-allocated closures, so a steady-state Join allocates nothing.
//
// Make one with NewFunc, typically once, as a package-level variable or
// before the recursion starts; it is safe for concurrent use by any number of
// workers and pools.
type Func[A, R any] struct {
	fn func(w *Worker, a A) R
	// stacks[w.key] is worker w's stack of frames for this Func. The slice
	// is replaced (copy on write, under mu) when a worker with a larger key
	// first uses the Func; loaded atomically on every fork.
	stacks atomic.Pointer[[]*frameStack[A, R]]
	mu     sync.Mutex
}

// NewFunc wraps f for Join and Call.
func NewFunc[A, R any](f func(w *Worker, a A) R) *Func[A, R] {
	return &Func[A, R]{fn: f}
}

// Call runs the function on w with argument a, inline.
func (f *Func[A, R]) Call(w *Worker, a A) R { return f.fn(w, a) }

// Join runs f(w, a1) and f(w, a2), possibly in parallel, and returns both
// results. It behaves as Worker.Join: work-first child stealing with
// oldest-first promotion (latent.go), help-while-waiting, and panic
// propagation. It allocates nothing once w's frame stack for f has grown to
// the recursion depth.
func (f *Func[A, R]) Join(w *Worker, a1, a2 A) (R, R) {
	// stackFor, by hand: generic shape code does not inline it.
	var st *frameStack[A, R]
	// Copy-on-write slice: the load sees a fully built slice (newStack
	// stores it after filling it); a stack it lacks is made under f.mu.
	if s := f.stacks.Load(); s != nil && w.key < len(*s) {
		st = (*s)[w.key]
	}
	if st == nil || st.owner != w {
		st = f.newStack(w)
	}
	d := st.depth
	fr := st.push(a2)
	// Keep one fork on offer: if thieves have nothing to take from this
	// worker, offer its oldest latent fork (latent.go).
	if w.deque.Len() == 0 {
		st.promote(w)
	}
	// The guard completes the join if f(w, a1) panics. A deferred method
	// with its receiver saved at the defer, and a flag in the frame, is the
	// cheapest form: the normal path pays a store and a call that tests it.
	fr.armed = armedFirst
	defer fr.guard(w)
	r1 := f.fn(w, a1)
	// Run the second call inline if no thief has it. Its frame stays on
	// the stack, consumed (armedSecond), so that forks inside f(w, a2) go
	// above it and cannot overwrite the guard's state, and promote skips it.
	if st.lo <= d || w.reclaim(&fr.job) {
		fr.armed = armedSecond
		r2 := f.fn(w, a2)
		fr.armed = disarmed
		st.depth, st.lo = d, min(st.lo, d)
		return r1, r2
	}
	fr.armed = disarmed
	// Stolen and finished: the latch made the thief's writes visible.
	r2, p := fr.result, fr.panic
	fr.result, fr.panic = *new(R), nil
	st.depth, st.lo = d, d
	if p != nil {
		panic(p)
	}
	return r1, r2
}

// guard states (frame.armed).
const (
	disarmed    = iota
	armedFirst  // f(w, a1) is running
	armedSecond // f(w, a2) is running inline
)

// guard runs when Join returns and acts only if one of its calls panicked.
// If the first did, it completes the join before the panic goes on: the
// second call runs here if no thief took it, or is waited for if one did, so
// the panic never leaves Join while part of it still runs. Either way the
// panic continues as a *PanicError (the first call's if both panic).
func (fr *frame[A, R]) guard(w *Worker) {
	switch fr.armed {
	case disarmed:
		return
	case armedSecond:
		fr.armed = disarmed
		st := fr.stack
		st.depth, st.lo = fr.index, min(st.lo, fr.index)
		panic(asPanicError(recover()))
	}
	fr.armed = disarmed
	pe := asPanicError(recover())
	st, d := fr.stack, fr.index
	// Deeper joins of this stack have run their own guards while the panic
	// unwound them, so fr is the top frame again.
	if st.lo <= d || w.reclaim(&fr.job) {
		fr.armed = armedSecond // consumed: promote must skip it
		func() {
			defer func() { _ = recover() }() // the first panic wins
			st.f.fn(w, fr.arg)
		}()
		fr.armed = disarmed
		st.depth, st.lo = d, min(st.lo, d)
	} else {
		fr.result, fr.panic = *new(R), nil
		st.depth, st.lo = d, d
	}
	panic(pe)
}

// stackFor returns w's frame stack for f. (The owner check matters: keys of
// closed pools' workers are reused.)
func (f *Func[A, R]) stackFor(w *Worker) *frameStack[A, R] {
	if s := f.stacks.Load(); s != nil && w.key < len(*s) {
		if st := (*s)[w.key]; st != nil && st.owner == w {
			return st
		}
	}
	return f.newStack(w)
}

// newStack returns w's frame stack for f, creating it on first use.
func (f *Func[A, R]) newStack(w *Worker) *frameStack[A, R] {
	f.mu.Lock()
	defer f.mu.Unlock()
	var old []*frameStack[A, R]
	if s := f.stacks.Load(); s != nil {
		old = *s
	}
	if w.key < len(old) && old[w.key] != nil && old[w.key].owner == w {
		return old[w.key]
	}
	next := make([]*frameStack[A, R], max(len(old), w.key+1))
	copy(next, old)
	st := &frameStack[A, R]{owner: w, f: f}
	next[w.key] = st
	// Publish the new slice; the stack's fields are written before it.
	f.stacks.Store(&next)
	return st
}

// frameStack is one worker's frames for one Func: the latent forks of the
// joins in progress, oldest first (latent.go). Joins nest LIFO on a worker,
// so the frame at depth d is free again when the join at depth d returns.
// Owner-only.
type frameStack[A, R any] struct {
	owner  *Worker
	f      *Func[A, R]
	frames []*frame[A, R]
	depth  int // frames[:depth] belong to joins in progress
	lo     int // frames[:lo] have been promoted (offered to thieves)
	// Pad to 128 bytes (a size class whose objects are 128-byte aligned):
	// the stacks of a pool's workers are allocated together, and depth is
	// written at every fork. Unpadded, two workers' stacks shared a pair of
	// cache lines and fib at 2 workers ran no faster than at 1.
	_ [128 - 7*8]byte
}

// push records a fork of f(arg) and returns its frame.
func (st *frameStack[A, R]) push(arg A) *frame[A, R] {
	if st.depth == len(st.frames) {
		st.frames = append(st.frames, st.newFrame(st.depth))
	}
	fr := st.frames[st.depth]
	fr.arg = arg
	st.depth++
	return fr
}

func (st *frameStack[A, R]) newFrame(index int) *frame[A, R] {
	fr := &frame[A, R]{f: st.f, stack: st, index: index}
	fr.task = fr
	fr.latch.waiter = st.owner
	return fr
}

// promote offers the oldest latent fork to thieves; the owner's deque is
// empty (latent.go). Owner only.
func (st *frameStack[A, R]) promote(w *Worker) {
	// Skip frames whose second call already runs inline: their joins have
	// come. Every frame below lo is promoted or consumed.
	for st.lo < st.depth && st.frames[st.lo].armed == armedSecond {
		st.lo++
	}
	if st.lo >= st.depth {
		return
	}
	fr := st.frames[st.lo]
	st.lo++
	fr.latch.reset()
	w.push(&fr.job)
}

// frame is a stealable call f(arg).
type frame[A, R any] struct {
	job
	f     *Func[A, R]
	stack *frameStack[A, R]
	index int // position in stack.frames, fixed
	// armed says which call of this frame's join is running (guard).
	// Owner-only.
	armed  uint8
	arg    A
	result R
	panic  *PanicError
}

// execute runs a stolen frame on the thief w.
func (fr *frame[A, R]) execute(w *Worker) {
	defer fr.latch.set() // last touch: the owner may reuse fr after it
	defer func() {
		if v := recover(); v != nil {
			fr.panic = asPanicError(v)
		}
	}()
	if w.cancelled() {
		var zero R
		fr.result = zero
		return
	}
	fr.result = fr.f.fn(w, fr.arg)
}

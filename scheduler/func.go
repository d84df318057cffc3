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
	// st.fork, by hand: it is over the inlining budget, and a call here
	// costs ~1.5 ns per fork (11.7 against 10.3 ns measured).
	fr := st.push(a2)
	if alwaysOffer || w.deque.Len() == 0 {
		st.promote(w)
	}
	fr.armed = armedFirst
	defer fr.guard(w)
	r1 := f.fn(w, a1)
	if st.secondInline(w, fr) {
		r2 := f.fn(w, a2)
		st.joined(fr)
		return r1, r2
	}
	r2, p := st.takeStolen(fr)
	if p != nil {
		panic(p)
	}
	return r1, r2
}

// The steps of a join, shared by Func.Join, Worker.Join and the guard. The
// caller defers fr.guard between fork and its first call.

// fork records a fork of f(arg), keeps one fork on offer (if thieves have
// nothing to take from this worker, offer its oldest latent fork; latent.go)
// and arms the guard for the first call.
func (st *frameStack[A, R]) fork(w *Worker, arg A) *frame[A, R] {
	fr := st.push(arg)
	if alwaysOffer || w.deque.Len() == 0 {
		st.promote(w)
	}
	fr.armed = armedFirst
	return fr
}

// secondInline reports whether the second call is the caller's to run
// inline: the fork was never offered, or was offered and nobody took it.
// Otherwise it waits (helping) until the thief has finished. While the
// second call runs inline its frame stays on the stack, consumed
// (armedSecond), so that forks inside it go above it and cannot overwrite
// the guard's state, and promote skips it.
func (st *frameStack[A, R]) secondInline(w *Worker, fr *frame[A, R]) bool {
	if st.lo <= fr.index || w.reclaim(&fr.job) {
		fr.armed = armedSecond
		return true
	}
	fr.armed = disarmed
	return false
}

// joined retires fr after its second call ran inline.
func (st *frameStack[A, R]) joined(fr *frame[A, R]) {
	fr.armed = disarmed
	st.depth, st.lo = fr.index, min(st.lo, fr.index)
}

// takeStolen retires fr after a thief ran its second call, returning what
// the thief left (the latch made its writes visible).
func (st *frameStack[A, R]) takeStolen(fr *frame[A, R]) (R, *PanicError) {
	r, p := fr.result, fr.panic
	fr.result, fr.panic = *new(R), nil
	st.depth, st.lo = fr.index, fr.index
	return r, p
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
		fr.stack.joined(fr)
		panic(asPanicError(recover()))
	}
	pe := asPanicError(recover())
	st := fr.stack
	// Deeper joins of this stack have run their own guards while the panic
	// unwound them, so fr is the top frame again.
	if st.secondInline(w, fr) {
		func() {
			defer func() { _ = recover() }() // the first panic wins
			st.f.fn(w, fr.arg)
		}()
		st.joined(fr)
	} else {
		st.takeStolen(fr) // dropped: the first panic wins
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

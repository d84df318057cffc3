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
	if s := f.stacks.Load(); s != nil && w.key < len(*s) {
		st = (*s)[w.key]
	}
	if st == nil || st.owner != w {
		st = f.newStack(w)
	}
	d := st.depth
	fr := st.push(a2)
	// One load of the sleep state per fork: zero while every worker is
	// busy, the steady state of a saturated pool (latent.go).
	if w.pool.sleep.state.Load() != 0 {
		st.promote(w)
	}
	// No defer here: it would cost more than the rest of the fork. If
	// f(w, a1) panics, the frames it leaves are cleaned up where the panic
	// is recovered (Worker.repair), or below, if user code recovers it.
	r1 := f.fn(w, a1)
	if st.depth != d+1 {
		st.truncate(d + 1) // a panic recovered inside f(w, a1) left frames
	}
	if st.lo <= d {
		st.depth = d
		return r1, f.fn(w, a2) // never offered to thieves: a plain call
	}
	// Promoted. The frame stays ours (depth unchanged) until it is back or
	// finished: jobs run while reclaiming push their frames above it.
	fr.inflight = false
	if w.reclaim(&fr.job) {
		st.depth, st.lo = d, d
		return r1, f.fn(w, a2) // offered, but nobody took it
	}
	// Stolen and finished: the latch made the thief's writes visible.
	r2, p := fr.result, fr.panic
	fr.result, fr.panic = *new(R), nil
	st.depth, st.lo = d, d
	if p != nil {
		panic(p)
	}
	return r1, r2
}

// newStack returns w's frame stack for f, creating it on first use. (The
// owner check in Join matters: keys of closed pools' workers are reused.)
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
	w.stacks = append(w.stacks, st)
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
}

// push records a fork of f(arg) and returns its frame.
func (st *frameStack[A, R]) push(arg A) *frame[A, R] {
	if st.depth == len(st.frames) {
		st.frames = append(st.frames, st.newFrame())
	}
	fr := st.frames[st.depth]
	fr.arg = arg
	st.depth++
	return fr
}

func (st *frameStack[A, R]) newFrame() *frame[A, R] {
	fr := &frame[A, R]{f: st.f}
	fr.task = fr
	fr.latch.waiter = st.owner
	return fr
}

// promote offers the oldest latent fork to thieves, if the owner's deque
// is empty (latent.go). Owner only.
func (st *frameStack[A, R]) promote(w *Worker) {
	if st.lo >= st.depth || w.deque.Len() > 0 {
		return
	}
	fr := st.frames[st.lo]
	st.lo++
	fr.inflight = true
	fr.latch.reset()
	w.push(&fr.job)
}

// depthNow and truncate let the worker repair the stack after a panic
// (Worker.repair).
func (st *frameStack[A, R]) depthNow() int { return st.depth }

// truncate abandons the joins at depth d and above, whose first call
// panicked. A promoted fork among them that a thief took is waited for, so
// that no task of a panicking Run outlives it; one still in the owner's
// deque is taken back and dropped: its join will never come. Owner only.
func (st *frameStack[A, R]) truncate(d int) {
	for i := st.depth - 1; i >= d; i-- {
		fr := st.frames[i]
		if fr.inflight {
			fr.inflight = false
			st.owner.reclaim(&fr.job)
		}
		fr.result, fr.panic = *new(R), nil
	}
	st.depth = d
	st.lo = min(st.lo, d)
}

// frame is a stealable call f(arg).
type frame[A, R any] struct {
	job
	f *Func[A, R]
	// inflight: promoted and not yet joined. Owner-only.
	inflight bool
	arg      A
	result   R
	panic    *PanicError
}

// execute runs a stolen frame on the thief w.
func (fr *frame[A, R]) execute(w *Worker) {
	defer fr.latch.set() // last touch: the owner may reuse fr after it
	defer func() {
		if v := recover(); v != nil {
			fr.panic = w.recovered(v)
		}
	}()
	if w.cancelled() {
		var zero R
		fr.result = zero
		return
	}
	fr.result = fr.f.fn(w, fr.arg)
}

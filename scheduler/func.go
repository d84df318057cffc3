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
// results. It behaves as Worker.Join: work-first child stealing, lazy
// splitting when w's deque already holds work, help-while-waiting, and panic
// propagation (the first panic wins, after both calls have finished).
func (f *Func[A, R]) Join(w *Worker, a1, a2 A) (R, R) {
	if w.deque.Len() > 0 {
		// Thieves already have work to take from us: run both here.
		return f.fn(w, a1), f.fn(w, a2)
	}
	st := f.stackFor(w)
	fr := st.push()
	fr.arg = a2
	fr.latch.reset()
	w.push(&fr.job)
	r1, stolen := f.runFirst(w, fr, a1)
	var r2 R
	if stolen {
		w.waitFor(&fr.job)
		r2 = fr.result
		if p := fr.panic; p != nil {
			fr.panic = nil
			st.pop(fr)
			panic(p)
		}
	} else {
		r2 = f.fn(w, a2)
	}
	st.pop(fr)
	return r1, r2
}

// runFirst runs f(w, a1) and takes fr back from the deque. If f panics, it
// still completes fr's job (runs it here, or waits for its thief) before the
// panic continues, so no frame is left behind in a deque or a thief.
func (f *Func[A, R]) runFirst(w *Worker, fr *frame[A, R], a1 A) (r1 R, stolen bool) {
	finished := false
	defer func() {
		if finished {
			return
		}
		pe := asPanicError(recover())
		if j, ok := w.deque.Pop(); ok && j == &fr.job {
			func() {
				defer func() { recover() }() // a's panic wins over b's
				f.fn(w, fr.arg)
			}()
		} else {
			w.waitFor(&fr.job)
		}
		fr.panic = nil
		fr.stack.pop(fr)
		panic(pe)
	}()
	r1 = f.fn(w, a1)
	j, ok := w.deque.Pop()
	finished = true
	if ok {
		if j != &fr.job {
			panic("forage: internal error: join popped a foreign job")
		}
		return r1, false
	}
	return r1, true
}

// stackFor returns w's frame stack for f, creating it on first use.
func (f *Func[A, R]) stackFor(w *Worker) *frameStack[A, R] {
	if s := f.stacks.Load(); s != nil && w.key < len(*s) {
		// owner check: keys of closed pools' workers are reused.
		if st := (*s)[w.key]; st != nil && st.owner == w {
			return st
		}
	}
	return f.newStack(w)
}

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

// frameStack is one worker's frames for one Func. Joins nest LIFO on a
// worker, so the frame at depth d is free again when the join at depth d
// returns; owner-only.
type frameStack[A, R any] struct {
	owner  *Worker
	f      *Func[A, R]
	frames []*frame[A, R]
	depth  int
}

func (st *frameStack[A, R]) push() *frame[A, R] {
	if st.depth == len(st.frames) {
		fr := &frame[A, R]{f: st.f, stack: st}
		fr.task = fr
		fr.latch.waiter = st.owner
		st.frames = append(st.frames, fr)
	}
	fr := st.frames[st.depth]
	st.depth++
	return fr
}

// pop releases fr, which must be the top frame. Only after its latch is set
// (or it was taken back unstolen): a thief's last touch is the latch.
func (st *frameStack[A, R]) pop(fr *frame[A, R]) {
	st.depth--
	var zero A
	fr.arg = zero // do not keep the argument alive
}

// frame is a stealable call f(arg).
type frame[A, R any] struct {
	job
	f      *Func[A, R]
	stack  *frameStack[A, R]
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

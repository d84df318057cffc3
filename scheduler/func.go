package scheduler

import (
	"sync"
	"sync/atomic"
	"unsafe"
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
	// is replaced (copy on write, under mu) when a worker first uses the
	// Func; loaded atomically by stackFor, on a miss of the worker's
	// one-entry cache.
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
// its working size (a few frames: joins past the latent budget use none;
// the budget, and so the frames in use, grows up to 16 plus the forks in
// thieves' hands while thieves keep taking the offers).
func (f *Func[A, R]) Join(w *Worker, a1, a2 A) (R, R) {
	// The common case first, with nothing that needs a call before the
	// two calls: Inline's test, written out (through Inline the compiler
	// materializes its result and tests it again: ten more instructions
	// in Join, go tool objdump). Such a fork runs as a plain pair of
	// calls, with no frame and no guard (a panic in the first call skips
	// the second, as in serial code). Everything else is joinSlow's; the
	// forage_alwayspush build records every fork, so a cache hit goes
	// straight to joinRecorded there.
	if w.lastFunc == unsafe.Pointer(f) {
		st := (*frameStack[A, R])(w.lastStack)
		if alwaysOffer {
			return st.joinRecorded(w, a1, a2)
		}
		if st.budgetMet() && w.deque.Len() != 0 {
			r1 := f.fn(w, a1)
			return r1, f.fn(w, a2)
		}
	}
	return f.joinSlow(w, a1, a2)
}

// Inline reports whether a Join of f made now on w would take its plain
// fast path: run its two calls inline, as serial code does, with nothing
// recorded or offered. That is the case when w's last Func join was of f, w
// has recorded enough latent forks already, and w has a fork on offer to
// thieves (latent.go). Hot recursive code can test it before forking and,
// when it is true, recurse directly:
//
//	if fibF.Inline(w) {
//		return fib(w, n-1) + fib(w, n-2)
//	}
//	a, b := fibF.Join(w, n-1, n-2)
//
// That does what Join would do in that case, without the layer of calls
// Join adds: Go's compiler cannot inline Join (its body holds three calls),
// so a plain fork through it makes one call more than serial recursion,
// and both of its calls are indirect. Inline itself is small enough to be
// inlined into the caller; docs/design.md §9 measures the difference.
// A function literal can use the idiom too, calling f.Call for the two
// calls. When Inline is false, call Join: it may still run the pair
// plainly, after doing what the fast path cannot (finding f's frames after
// another Func's join, offering a fork).
//
// Evaluate both arguments before the first call, as Join does, if the
// first call changes what the second argument is computed from. The answer
// holds for w at the moment of the call: test it at each fork, with the
// worker the function was handed. It is always false in the
// forage_alwayspush build, which offers every fork.
func (f *Func[A, R]) Inline(w *Worker) bool {
	// Join's test: w's one-entry cache names this Func's stack, enough
	// forks of it are latent already, and thieves have something to take
	// (keepOffer's test, by hand: keepOffer is over the inlining budget).
	return !alwaysOffer && w.lastFunc == unsafe.Pointer(f) &&
		(*frameStack[A, R])(w.lastStack).budgetMet() && w.deque.Len() != 0
}

// joinSlow is Join when the fast path's test fails: it finds the stack
// (stackFor walks the Func's table: four dependent loads, so the worker
// caches the last one), then either runs the pair plainly (promoting first
// if the deque is empty) or records the fork.
func (f *Func[A, R]) joinSlow(w *Worker, a1, a2 A) (R, R) {
	var st *frameStack[A, R]
	if w.lastFunc == unsafe.Pointer(f) {
		st = (*frameStack[A, R])(w.lastStack)
	} else {
		st = f.stackFor(w)
		w.lastFunc, w.lastStack = unsafe.Pointer(f), unsafe.Pointer(st)
	}
	if !alwaysOffer && st.budgetMet() {
		// Enough forks are latent: run this one plainly, after keeping
		// one fork on offer (after a cache miss the fast path has not
		// tested the deque at all).
		st.keepOffer(w)
		r1 := f.fn(w, a1)
		return r1, f.fn(w, a2)
	}
	return st.joinRecorded(w, a1, a2)
}

// joinRecorded is Join for a fork that is recorded as latent. It is a
// function of its own so that Join, which mostly makes plain calls, keeps a
// small frame with no deferred call to set up.
func (st *frameStack[A, R]) joinRecorded(w *Worker, a1, a2 A) (R, R) {
	f := st.f
	st.relax()
	fr := st.push(a2)
	if alwaysOffer {
		// keepOffer's promote and Worker.push, by hand: this build records
		// and offers every fork, and the two calls cost it 3.5 ns per fork
		// (fib(30), 1 worker: 21.3 against 17.9 ns, measured before push was
		// made inlinable). Every older frame is on offer already, so this
		// one is the oldest latent fork.
		st.lo = st.depth
		fr.latch.reset()
		w.deque.Push(&fr.job)
		w.pool.sleep.notify()
	} else {
		st.keepOffer(w)
	}
	// The guard acts only if the first call panics; the test is inline so
	// that a join that did not panic pays one call at its exit, not two (a
	// deferred wrapper, then the guard).
	first := true
	defer func() {
		if first {
			st.afterPanic(w, fr, recover())
		}
	}()
	r1 := f.fn(w, a1)
	first = false
	if alwaysOffer {
		// reclaim's first step by hand: the frame is usually still on top.
		if j, ok := w.deque.Pop(); ok {
			if j == &fr.job {
				st.depth, st.lo = fr.index, fr.index
				st.retire(fr)
				return r1, f.fn(w, a2)
			}
			w.execute(j) // another promoted fork: run it, then the general path
		}
	}
	if st.secondInline(w, fr) {
		return r1, f.fn(w, a2)
	}
	r2, p := st.takeStolen(fr)
	if p != nil {
		panic(p)
	}
	return r1, r2
}

// The steps of a join, shared by Func.Join, Worker.Join and the guard. The
// caller records the fork (push), keeps one fork on offer (keepOffer), and
// defers afterPanic before its first call.

// budgetMet reports whether st.budget forks of st are latent already: a
// fork made now is not recorded but runs as a plain pair of calls.
func (st *frameStack[A, R]) budgetMet() bool { return st.depth-st.lo >= st.budget }

// keepOffer keeps one fork on offer: if thieves have nothing to take from
// w, it offers w's oldest latent fork of st (latent.go). In the
// forage_alwayspush build it offers every fork at once. The fast paths of
// Func.Join and Worker.Join test the deque themselves (keepOffer is over
// the inlining budget, and the call would be a measurable share of a
// plain fork); their slow paths call it.
func (st *frameStack[A, R]) keepOffer(w *Worker) {
	if alwaysOffer || w.deque.Len() == 0 {
		st.promote(w)
	}
}

// secondInline reports whether the second call is the caller's to run
// inline: the fork was never offered, or was offered and nobody took it;
// then fr leaves the stack before the second call starts (nothing of the
// join remains for a thief, and forks inside the call may reuse fr).
// Otherwise it waits (helping) until the thief has finished.
func (st *frameStack[A, R]) secondInline(w *Worker, fr *frame[A, R]) bool {
	if st.lo <= fr.index || w.reclaim(&fr.job) {
		st.depth, st.lo = fr.index, min(st.lo, fr.index)
		st.retire(fr)
		return true
	}
	return false
}

// takeStolen retires fr after a thief ran its second call, returning what
// the thief left (the latch made its writes visible).
func (st *frameStack[A, R]) takeStolen(fr *frame[A, R]) (R, *PanicError) {
	r, p := fr.result, fr.panic
	fr.result, fr.panic = *new(R), nil
	st.depth, st.lo = fr.index, fr.index
	st.retire(fr)
	// A thief took the offer before the owner came back for it: keep more
	// latent forks in stock (latent.go, "The budget adapts").
	st.budget, st.recorded = min(2*st.budget, maxLatentBudget), 0
	return r, p
}

// afterPanic runs when the first call of fr's join panicked with v. The
// join does not run the second call itself (as in serial code), but the
// panic must not leave Join while part of it still runs: if the frame was
// offered and a thief took it, wait until the thief has finished; otherwise
// pop the frame back. Waiting helps with other work, which may include this
// worker's own offered forks — possibly the second call of an enclosing join
// whose first call is the one unwinding; that is allowed (an offered fork
// may run before its join comes), and that join's guard then finds it done.
// The panic then goes on as a *PanicError (the first call's if both panic).
//
// v is nil only under runtime.Goexit (panic(nil) arrives as a
// *runtime.PanicNilError): the join is completed the same way and Goexit
// goes on; it is not turned into a panic.
func (st *frameStack[A, R]) afterPanic(w *Worker, fr *frame[A, R], v any) {
	var pe *PanicError
	if v != nil {
		pe = asPanicError(v) // the stack now, before helping runs anything
	}
	// Deeper joins of this stack have left it, normally or through this
	// guard, while the panic unwound them, so fr is the top frame again.
	if !st.secondInline(w, fr) {
		st.takeStolen(fr) // dropped: the first panic wins
	}
	if pe != nil {
		panic(pe)
	}
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
	st := &frameStack[A, R]{owner: w, f: f, budget: latentBudget}
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
	// budget is how many unpromoted forks the stack records before forks
	// run unrecorded: latentBudget, raised up to maxLatentBudget while
	// thieves keep taking the offers (latent.go, "The budget adapts").
	// recorded counts the forks recorded since the last stolen join or
	// halving.
	budget, recorded int
	// Pad to 128 bytes (a size class whose objects are 128-byte aligned):
	// the stacks of a pool's workers are allocated together, and depth is
	// written at every recorded fork. Unpadded, two workers' stacks shared a
	// pair of cache lines and fib at 2 workers ran no faster than at 1.
	_ [128 - 9*8]byte
}

// push records a fork of f(arg) and returns its frame. It is kept within
// the inlining budget (it used to track the highest depth for retire, and
// the call that cost was ~1.7 ns of an always-offered fork: fib(30) with
// -tags forage_alwayspush, 6 interleaved processes, medians 19.8 -> 18.1).
func (st *frameStack[A, R]) push(arg A) *frame[A, R] {
	if st.depth == len(st.frames) {
		st.frames = append(st.frames, st.newFrame(st.depth))
	}
	fr := st.frames[st.depth]
	fr.arg = arg
	// The fork belongs to the Run w works for now; it may be offered much
	// later, while w runs another Run's job (helping, or an inline
	// RunContext), so the context is taken here, not at the offer.
	fr.ctx = st.owner.ctx
	st.depth++
	return fr
}

// retire is called when fr's join is done with it. Once the outermost
// recorded join (frame 0) is done, every frame is at rest: drop the
// arguments and contexts they still hold, so that they keep none of the
// caller's closures alive. (Clearing each frame as it retires cost the
// unbalanced tree ~3% per node; this clears every frame once per
// outermost join, and a stack has only as many frames as its deepest
// recorded nesting: its budget (at most maxLatentBudget) plus the promoted
// forks in progress.)
func (st *frameStack[A, R]) retire(fr *frame[A, R]) {
	if fr.index != 0 {
		return
	}
	var zero A
	for _, f := range st.frames {
		f.arg, f.ctx = zero, nil
	}
}

// relax counts a recorded fork while the budget is raised, and halves the
// budget after budgetRelax of them without the owner reaching the join of a
// stolen fork (latent.go, "The budget adapts"). The recording joins call
// it, not push, which must stay within the inlining budget. The
// forage_alwayspush build records every fork and has no budget to relax.
func (st *frameStack[A, R]) relax() {
	if alwaysOffer || st.budget <= latentBudget {
		return
	}
	if st.recorded++; st.recorded >= budgetRelax {
		st.budget, st.recorded = max(st.budget/2, latentBudget), 0
	}
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
	f      *Func[A, R]
	stack  *frameStack[A, R]
	index  int // position in stack.frames, fixed
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

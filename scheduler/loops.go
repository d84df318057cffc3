package scheduler

import (
	"sync/atomic"
	"time"
)

// Data-parallel loops: For, ForGrain, Reduce, ReduceDeterministic, Map and
// ForEach.
//
// Splitting policy. A loop over [0, n) runs as a sequence of chunks on the
// worker that owns a range, and splits the rest of its range in two only at
// a chunk boundary where a split can be taken at once: the worker's own deque
// is empty (whatever it offered before has been stolen, or it never offered
// anything) and some worker of the pool is searching for work or sleeping.
// Then the right half goes to Join, which offers a fork to thieves at once
// in that state (this one, or an older latent fork of this worker, which is
// larger; latent.go), and the left half goes on here. This is lazy
// binary splitting (Tzannes et al., PPoPP 2010) with the pool's hunger as the
// second signal. It also gives Rayon's adaptive splitter's behaviour without
// its counter: a thief starts its stolen half with an empty deque, so it
// splits again as soon as another worker is hungry, exactly when Rayon would
// reset its split budget because the piece was stolen.
//
// Nobody chooses a grain. A range's chunks start at one iteration and double
// while a chunk takes less than chunkTarget/2 (and halve when one takes more
// than 2*chunkTarget), up to maxChunk; and a chunk is never more than
// 1/chunkShare of what remains of its range. So 100 iterations of a
// millisecond run one per chunk, and any hungry worker can take almost any of
// them; 10^8 iterations of a nanosecond run in chunks of tens of thousands;
// and a hungry worker, or a cancellation, waits for about one chunkTarget
// (or one iteration, when a single one takes longer), whatever the
// iterations cost. The end of every range is cut into single
// iterations, which is where balance is decided.
//
// The clock is read only while a range's chunk size is still growing (a few
// reads per range) and then for one chunk in timeEvery, to notice iterations
// that got dearer. A clock read costs 25 ns here but far more where the TSC
// cannot be read from user space (some hypervisors make it a system call),
// so timing every chunk would tax exactly the cheap loops that need no help.
// A split child inherits the learned size.
//
// Saturated pools never split: every worker is busy, nobody is hungry, and
// the loop is a plain sequence of chunks.
//
// ForGrain and ReduceDeterministic take a fixed grain for callers who know
// their costs or need fixed leaf ranges.

// chunkTarget is the duration an adaptive chunk aims at: short enough that a
// hungry worker or a cancellation is answered promptly, long enough that the
// per-chunk cost (an indirect call, a few loads, sometimes a clock read) is
// noise.
const chunkTarget = 25 * time.Microsecond

// maxChunk bounds chunk doubling, so that a clock that reads 0 for short
// intervals cannot make one chunk swallow a range: 2^16 cheap iterations
// take tens of microseconds.
const maxChunk = 1 << 16

// chunkShare: a chunk is at most 1/chunkShare of what remains of its range,
// so a range ends with chunks of one iteration whatever their cost.
const chunkShare = 16

// timeEvery: once a range's chunk size has settled, one chunk in timeEvery
// is timed.
const timeEvery = 16

// detBlocks is the number of leaf blocks ReduceDeterministic aims at when
// the caller gives no grain: enough for good balance on many workers, few
// enough that the fixed tree's overhead stays small for cheap leaves.
const detBlocks = 1024

// For calls body on disjoint ranges [lo, hi) that together cover [0, n)
// exactly once, in parallel on w's pool, and returns when all calls have
// finished. w must be the worker running the caller (the one passed to the
// enclosing task). body receives the worker it runs on, to fork or loop
// further (nested loops are fine: inner loops split only when workers are
// hungry).
//
// The ranges are chosen adaptively (see the package comment in loops.go):
// no grain is needed, whether iterations cost a nanosecond or a second.
// Ranges are never empty; how many there are and where they start depends
// on timing, so body must not depend on them.
//
// If body panics, no new range starts on any worker, the ranges already
// running finish, and For panics in the caller with a *PanicError for the
// first panic. After the Run's context is cancelled (RunContext), no new
// range starts and no more splitting happens; For returns once the running
// ranges finish, with some of [0, n) not covered: check w.Err().
func For(w *Worker, n int, body func(w *Worker, lo, hi int)) {
	forLoop(w, n, 0, body)
}

// ForGrain is For with a fixed grain (grain < 1 counts as 1): body gets the
// ranges [k*grain, min((k+1)*grain, n)), each exactly once, and a range is
// never split further. Use it when iterations have a known cost or body
// needs aligned blocks; For is usually as fast without the tuning.
func ForGrain(w *Worker, n, grain int, body func(w *Worker, lo, hi int)) {
	forLoop(w, n, max(grain, 1), body)
}

func forLoop(w *Worker, n, grain int, body func(w *Worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	l := newLoop(w, grain, func(w *Worker, lo, hi int) struct{} {
		body(w, lo, hi)
		return struct{}{}
	}, nil)
	l.run(w, 0, n, l.firstChunk())
	l.rethrow()
}

// Reduce computes leaf over disjoint ranges that cover [0, n) exactly once,
// in parallel, and combines the leaf results with combine, always in range
// order: combine(a, b) gets a from ranges left of b's. So with an associative
// combine the result equals the serial fold leaf(0, n) would give — combine
// need not be commutative. The ranges are chosen adaptively as in For. For
// n <= 0, Reduce returns leaf(w, 0, 0).
//
// Determinism: the leaf ranges and the shape of the combination tree depend
// on timing, so an operation that is associative only up to rounding (float
// addition) may give a different result on each call. Use
// ReduceDeterministic when the same n must give the same bits.
//
// Panics and cancellation behave as in For. After cancellation the result
// combines only the leaves that ran (the zero T if none did): check w.Err().
func Reduce[T any](w *Worker, n int, leaf func(w *Worker, lo, hi int) T, combine func(a, b T) T) T {
	if n <= 0 {
		return leaf(w, 0, 0)
	}
	l := newLoop(w, 0, leaf, combine)
	v, _ := l.run(w, 0, n, l.firstChunk())
	l.rethrow()
	return v
}

// ReduceDeterministic is Reduce with a fixed combination tree: leaf runs on
// the blocks [k*grain, min((k+1)*grain, n)), and the block results are
// combined as a balanced binary tree over the block indices (the left half of
// the blocks, combined with the right half, recursively). Both depend only
// on n and grain, never on the worker count or on timing, so the same inputs
// give bit-for-bit the same result, floating point included. Parallelism
// comes from running subtrees on different workers.
//
// grain < 1 picks ceil(n/1024): about a thousand blocks whatever n is. That
// suits leaves of any cost except very cheap iterations with small n, where
// a larger grain avoids paying a function call per handful of iterations.
// Panics and cancellation behave as in Reduce.
func ReduceDeterministic[T any](w *Worker, n, grain int, leaf func(w *Worker, lo, hi int) T, combine func(a, b T) T) T {
	if n <= 0 {
		return leaf(w, 0, 0)
	}
	if grain < 1 {
		grain = (n + detBlocks - 1) / detBlocks
	}
	l := newLoop(w, grain, leaf, combine)
	l.n = n
	v, _ := l.tree(w, 0, (n+grain-1)/grain)
	l.rethrow()
	return v
}

// Map returns a new slice r with r[i] = fn(w, s[i]) for every i, computed in
// parallel as For does. After cancellation the elements whose ranges did not
// run are left zero.
func Map[S ~[]E, E, R any](w *Worker, s S, fn func(w *Worker, e E) R) []R {
	r := make([]R, len(s))
	For(w, len(s), func(w *Worker, lo, hi int) {
		for i := lo; i < hi; i++ {
			r[i] = fn(w, s[i])
		}
	})
	return r
}

// ForEach calls fn(w, i, &s[i]) for every index of s, in parallel as For
// does; fn may modify the element through the pointer.
func ForEach[S ~[]E, E any](w *Worker, s S, fn func(w *Worker, i int, e *E)) {
	For(w, len(s), func(w *Worker, lo, hi int) {
		for i := lo; i < hi; i++ {
			fn(w, i, &s[i])
		}
	})
}

// loop is the state shared by every piece of one For or Reduce call.
type loop[T any] struct {
	leaf    func(w *Worker, lo, hi int) T
	combine func(a, b T) T // nil for For: the values are struct{}
	grain   int            // fixed chunk (ForGrain, deterministic block); 0: adaptive
	n       int            // ReduceDeterministic: the iteration count
	single  bool           // a one-worker pool: never split
	// stop is set when a piece panics, so that other pieces start no more
	// chunks: the loop is failing anyway, and its caller should hear of it
	// soon rather than after all of n.
	stop atomic.Bool
	// panic is the first panic of a piece; the caller rethrows it, so that a
	// panic reaches the caller once whichever piece (and worker) it hit.
	panic atomic.Pointer[PanicError]
}

func newLoop[T any](w *Worker, grain int, leaf func(*Worker, int, int) T, combine func(a, b T) T) *loop[T] {
	return &loop[T]{leaf: leaf, combine: combine, grain: grain, single: w.pool.Workers() == 1}
}

func (l *loop[T]) firstChunk() int {
	if l.grain > 0 {
		return l.grain
	}
	return 1
}

// rethrow panics with the loop's first panic, if any, in the loop's caller.
func (l *loop[T]) rethrow() {
	if p := l.panic.Load(); p != nil {
		panic(p)
	}
}

// halted reports whether the loop must not start another chunk.
func (l *loop[T]) halted(w *Worker) bool { return l.stop.Load() || w.cancelled() }

// hungry reports whether splitting now would feed another worker at once:
// w's deque is empty (what it offered before has been taken) and some worker
// is searching for work or sleeping (the sleep state is then non-zero). One
// deque length (two loads) and one load of the sleep state.
func (l *loop[T]) hungry(w *Worker) bool {
	return !l.single && w.deque.Len() == 0 && w.pool.sleep.state.Load() != 0
}

// fold appends v to the running result acc (ok: acc holds a value).
func (l *loop[T]) fold(acc T, ok bool, v T) T {
	if !ok || l.combine == nil {
		return v
	}
	return l.combine(acc, v)
}

// guard recovers a panic of the piece it is deferred in: it records the first
// one and stops the loop. The panic is not re-raised here but by the loop's
// caller (rethrow), so it crosses no Join and is reported once.
func (l *loop[T]) guard() {
	if v := recover(); v != nil {
		l.panic.CompareAndSwap(nil, asPanicError(v))
		l.stop.Store(true)
	}
}

// run computes [lo, hi) in chunks of about size iterations (size is learned
// as it goes, unless the grain is fixed), and splits the rest of the range
// when another worker is hungry. It reports whether acc holds a value: it
// does not when no chunk ran (cancellation or a panic elsewhere stopped the
// loop first).
func (l *loop[T]) run(w *Worker, lo, hi, size int) (acc T, ok bool) {
	defer l.guard()
	growing := true // time every chunk until the size settles
	for k := 0; lo < hi && !l.halted(w); k++ {
		chunk := size
		if l.grain == 0 {
			chunk = min(size, max((hi-lo)/chunkShare, 1))
		}
		if hi-lo > chunk && l.hungry(w) {
			mid := l.mid(lo, hi)
			var a, b T
			var aok, bok bool
			w.Join(
				func(w *Worker) { a, aok = l.run(w, lo, mid, size) },
				func(w *Worker) { b, bok = l.run(w, mid, hi, size) })
			if aok {
				acc, ok = l.fold(acc, ok, a), true
			}
			if bok {
				acc, ok = l.fold(acc, ok, b), true
			}
			return acc, ok
		}
		end := lo + min(chunk, hi-lo)
		// Time full-size chunks only: the shrunken ones at the end of a
		// range say little about the size to use.
		if l.grain == 0 && chunk == size && (growing || k%timeEvery == 0) {
			t0 := time.Now()
			acc, ok = l.fold(acc, ok, l.leaf(w, lo, end)), true
			size, growing = adaptChunk(size, time.Since(t0))
		} else {
			acc, ok = l.fold(acc, ok, l.leaf(w, lo, end)), true
		}
		lo = end
	}
	return acc, ok
}

// adaptChunk doubles a chunk size whose chunk took well under chunkTarget and
// halves one that took well over it (a chunk that hit a GC pause or a
// preemption shrinks too, and grows back within a few chunks). It reports
// whether the size is still growing.
func adaptChunk(size int, took time.Duration) (int, bool) {
	switch {
	case took < chunkTarget/2 && size < maxChunk:
		return size * 2, true
	case took > 2*chunkTarget && size > 1:
		return size / 2, false
	}
	return size, false
}

// mid is where [lo, hi) splits: the middle, or with a grain the middle block
// boundary, so that ranges keep starting at multiples of the grain.
func (l *loop[T]) mid(lo, hi int) int {
	if g := l.grain; g > 1 {
		blocks := (hi - lo + g - 1) / g
		return lo + blocks/2*g
	}
	return lo + (hi-lo)/2
}

// tree computes blocks [b0, b1) of ReduceDeterministic: the left half of the
// blocks combined with the right half, the same tree whether the halves run
// here one after the other or on two workers.
func (l *loop[T]) tree(w *Worker, b0, b1 int) (v T, ok bool) {
	defer l.guard()
	if l.halted(w) {
		return v, false
	}
	if b1-b0 == 1 {
		return l.leaf(w, b0*l.grain, min(b1*l.grain, l.n)), true
	}
	mid := b0 + (b1-b0)/2
	var a, b T
	var aok, bok bool
	if l.hungry(w) {
		w.Join(
			func(w *Worker) { a, aok = l.tree(w, b0, mid) },
			func(w *Worker) { b, bok = l.tree(w, mid, b1) })
	} else {
		// Plain calls: a Join costs allocations even when nobody steals.
		a, aok = l.tree(w, b0, mid)
		b, bok = l.tree(w, mid, b1)
	}
	switch {
	case aok && bok:
		return l.combine(a, b), true
	case aok:
		return a, true
	default:
		return b, bok
	}
}

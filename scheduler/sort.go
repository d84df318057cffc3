package scheduler

import (
	"cmp"
	"reflect"
	"slices"
	"sync/atomic"
	"unsafe"
)

// Parallel sorting: a merge sort whose leaves are sorted by the slices
// package and whose merges are themselves split in parallel.
//
// Shape. The slice is cut into 2^d equal leaves, with 2^d >= 2*workers,
// leaves of at most sortLeafBytes (cache-sized), and d even: leaves are
// sorted in place, each merge level moves the data between s and one buffer
// of len(s) elements, and an even number of levels ends back in s without a
// final copy. For 10^7 ints that is 64 leaves and six merge levels; the
// merges near the root are split across the workers too (below).
//
// Merging in parallel. Merging two sorted runs a and b is split by taking
// the middle element of the longer run and finding by binary search where it
// would go in the other; the two lower parts and the two upper parts merge
// independently (Akl and Santoro's split). The split keeps equal elements of
// a before those of b, so the merge is stable, and SortStableFunc uses the
// same code with stable leaves.
//
// Cheap cases first: below sortCutoff elements, or on a one-worker pool,
// Sort is slices.Sort. Input that is already sorted, or sorted in reverse,
// is recognised by one parallel scan (and reversed in place), which is
// faster than slices.Sort's own linear-time handling of such input.

// sortCutoff: below this many elements Sort is slices.Sort. A parallel sort
// costs a buffer, a scan and a few Joins (several microseconds); at 2^14
// ints slices.Sort takes ~1 ms here, so from there on two cores win clearly.
const sortCutoff = 1 << 14

// mergeCutoff: merges of fewer elements run serially; larger ones are
// split. Big enough that a split's binary search and Join are noise, small
// enough that a merge level splits into many pieces for hungry workers.
const mergeCutoff = 1 << 14

// sortLeafBytes bounds the leaves of Sort and SortFunc. pdqsort runs faster
// per element on a leaf that stays in the caches: measured here on 10^7
// ints at two workers, 64 leaves of 1.25 MB spent ~40% less CPU in the
// leaves than 4 leaves of 20 MB, more than the four extra merge levels
// (streaming passes, ~17 ms each) cost.
const sortLeafBytes = 2 << 20

// stableLeaf bounds the leaves of SortStableFunc. slices.SortStableFunc
// insertion-sorts blocks of 20 and then merges them in place with rotations
// (O(n log^2 n) moves), much slower than merging through the buffer: so the
// leaves are at most 16 elements, where slices.SortStableFunc is a plain
// insertion sort, and the buffered merge does the rest.
const stableLeaf = 16

// checkPrefix: how many leading pairs a serial look checks before the
// parallel sortedness scan runs, so that random input skips the scan at
// once. len(s) >= sortCutoff > checkPrefix.
const checkPrefix = 16

// eachGrain: the ranges of the sortedness scan and of the reversal, 2^16
// elements (tens of microseconds), and scanBlock: how often a scanning range
// looks whether another one already found a broken pair.
const (
	eachGrain = 1 << 16
	scanBlock = 1 << 12
)

// Sort sorts s in ascending order (as slices.Sort: NaNs first, then the
// other values in order), in parallel on w's pool. The sort is not stable,
// which for ordered types only matters for NaNs and signed zeros. It
// allocates a buffer of len(s) elements when it runs in parallel.
//
// Sort always sorts all of s, even after the Run's context is cancelled:
// a half-sorted slice would be of no use to anyone.
func Sort[E cmp.Ordered](w *Worker, s []E) {
	if len(s) < sortCutoff || w.pool.Workers() == 1 {
		slices.Sort(s)
		return
	}
	st := &sorter[E]{
		less:      cmp.Less[E],
		sortLeaf:  slices.Sort[[]E],
		mergeLeaf: mergeOrdered[E],
		monotone:  monotoneOrdered[E],
	}
	if isInteger[E]() {
		st.mergeLeaf = mergeIntegers[E]
	}
	st.sort(w, s)
}

// SortFunc sorts s in the order cmp defines (as slices.SortFunc: cmp(a, b)
// is negative when a comes first, positive when b does, zero when they are
// equivalent, and must be a strict weak ordering), in parallel on w's pool.
// The sort is not stable. It allocates a buffer of len(s) elements when it
// runs in parallel, and sorts all of s even after cancellation.
func SortFunc[E any](w *Worker, s []E, cmp func(a, b E) int) {
	if len(s) < sortCutoff || w.pool.Workers() == 1 {
		slices.SortFunc(s, cmp)
		return
	}
	st := &sorter[E]{
		less:      func(a, b E) bool { return cmp(a, b) < 0 },
		sortLeaf:  func(s []E) { slices.SortFunc(s, cmp) },
		mergeLeaf: func(dst, a, b []E) { mergeFunc(dst, a, b, cmp) },
		monotone:  func(s []E, dir order) bool { return monotoneFunc(s, dir, cmp) },
	}
	st.sort(w, s)
}

// SortStableFunc is SortFunc keeping equivalent elements in their original
// order (as slices.SortStableFunc), in parallel on w's pool. From 2^14
// elements on it allocates a buffer of len(s) elements (also on a one-worker
// pool, where the buffered merge sort is still faster than
// slices.SortStableFunc), and it sorts all of s even after cancellation.
func SortStableFunc[E any](w *Worker, s []E, cmp func(a, b E) int) {
	// Even on one worker, merging through a buffer beats the in-place
	// slices.SortStableFunc on large inputs: only small ones go there.
	if len(s) < sortCutoff {
		slices.SortStableFunc(s, cmp)
		return
	}
	st := &sorter[E]{
		stable:    true,
		less:      func(a, b E) bool { return cmp(a, b) < 0 },
		sortLeaf:  func(s []E) { slices.SortStableFunc(s, cmp) },
		mergeLeaf: func(dst, a, b []E) { mergeFunc(dst, a, b, cmp) },
		monotone:  func(s []E, dir order) bool { return monotoneFunc(s, dir, cmp) },
	}
	st.sort(w, s)
}

// sorter is one parallel sort: its order, and the serial pieces it is built
// from (direct code for ordered types, cmp calls otherwise).
type sorter[E any] struct {
	stable    bool
	less      func(a, b E) bool   // for sortedness checks and merge splits
	sortLeaf  func(s []E)         // serial sort of a leaf, in place
	mergeLeaf func(dst, a, b []E) // serial stable merge of a and b into dst
	monotone  func(s []E, dir order) bool
}

// sort sorts s (len(s) >= sortCutoff; at least two workers, except for
// SortStableFunc, which uses it on any pool).
func (st *sorter[E]) sort(w *Worker, s []E) {
	if st.presorted(w, s) {
		return
	}
	d := 0
	for 1<<d < 2*w.pool.Workers() {
		d++
	}
	leafMax := max(sortLeafBytes/max(int(unsafe.Sizeof(s[0])), 1), 1)
	if st.stable {
		leafMax = stableLeaf
	}
	for len(s)>>d > leafMax {
		d++
	}
	d += d & 1 // even: the last merge level writes into s
	buf := make([]E, len(s))
	st.msort(w, s, buf, d)
}

// presorted recognises sorted and reverse-sorted input with one parallel
// scan, reversing the latter in place. Sorted input can only be ascending if
// its last element is not less than its first, so the ends tell which scan
// to run. Reversing is allowed for a stable sort only when the input is
// strictly descending (equal elements would swap).
func (st *sorter[E]) presorted(w *Worker, s []E) bool {
	n := len(s)
	dir := ascending
	if st.less(s[n-1], s[0]) {
		dir = descending
		if st.stable {
			dir = strictlyDescending
		}
	}
	if !st.monotone(s[:checkPrefix+1], dir) {
		return false
	}
	var broken atomic.Bool // a pair out of order was seen: stop scanning
	st.each(w, 0, n-1, func(lo, hi int) {
		for b := lo; b < hi && !broken.Load(); b += scanBlock {
			// Pairs b .. e-1 are the elements b .. e.
			if e := min(b+scanBlock, hi); !st.monotone(s[b:e+1], dir) {
				broken.Store(true)
				return
			}
		}
	})
	if broken.Load() {
		return false
	}
	if dir != ascending {
		st.each(w, 0, n/2, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				s[i], s[n-1-i] = s[n-1-i], s[i]
			}
		})
	}
	return true
}

// order is what presorted checks for.
type order int

const (
	ascending          order = iota // no element less than its predecessor
	descending                      // no element greater than its predecessor
	strictlyDescending              // every element less than its predecessor
)

// monotoneOrdered reports whether s is in order dir, comparing as
// slices.Sort does.
func monotoneOrdered[E cmp.Ordered](s []E, dir order) bool {
	switch dir {
	case ascending:
		for i := 1; i < len(s); i++ {
			if cmp.Less(s[i], s[i-1]) {
				return false
			}
		}
	case descending:
		for i := 1; i < len(s); i++ {
			if cmp.Less(s[i-1], s[i]) {
				return false
			}
		}
	default:
		for i := 1; i < len(s); i++ {
			if !cmp.Less(s[i], s[i-1]) {
				return false
			}
		}
	}
	return true
}

// monotoneFunc is monotoneOrdered with a comparison function.
func monotoneFunc[E any](s []E, dir order, cmp func(a, b E) int) bool {
	switch dir {
	case ascending:
		for i := 1; i < len(s); i++ {
			if cmp(s[i], s[i-1]) < 0 {
				return false
			}
		}
	case descending:
		for i := 1; i < len(s); i++ {
			if cmp(s[i-1], s[i]) < 0 {
				return false
			}
		}
	default:
		for i := 1; i < len(s); i++ {
			if cmp(s[i], s[i-1]) >= 0 {
				return false
			}
		}
	}
	return true
}

// each calls fn on ranges that cover [lo, hi) exactly once, of at most
// eachGrain elements, splitting when another worker is hungry. Unlike For
// it ignores cancellation: the sort needs every range done.
func (st *sorter[E]) each(w *Worker, lo, hi int, fn func(lo, hi int)) {
	if hi-lo <= eachGrain {
		fn(lo, hi)
		return
	}
	mid := lo + (hi-lo)/2
	st.join(w,
		func(w *Worker) { st.each(w, lo, mid, fn) },
		func(w *Worker) { st.each(w, mid, hi, fn) })
}

// msort sorts s at depth d: leaves (d = 0) are sorted in place; above them
// each level merges its halves from where they are into the other of s and
// buf. The result is in s when d is even, in buf when it is odd.
func (st *sorter[E]) msort(w *Worker, s, buf []E, d int) {
	if d == 0 {
		st.sortLeaf(s)
		return
	}
	mid := len(s) / 2
	if st.hungry(w) {
		st.join(w,
			func(w *Worker) { st.msort(w, s[:mid], buf[:mid], d-1) },
			func(w *Worker) { st.msort(w, s[mid:], buf[mid:], d-1) })
	} else {
		// Plain calls, without making closures: most of a stable sort's
		// tree is below the point where anyone steals.
		st.msort(w, s[:mid], buf[:mid], d-1)
		st.msort(w, s[mid:], buf[mid:], d-1)
	}
	src, dst := s, buf // the halves are in s when d-1 is even
	if d&1 == 0 {
		src, dst = buf, s
	}
	st.merge(w, dst, src[:mid], src[mid:])
}

// merge merges the sorted runs a and b into dst (len(a)+len(b) elements),
// stably: of equal elements, a's come first.
func (st *sorter[E]) merge(w *Worker, dst, a, b []E) {
	if len(a) == 0 || len(b) == 0 || !st.less(b[0], a[len(a)-1]) {
		// Already in order: one copy each (common on nearly sorted input).
		copy(dst[copy(dst, a):], b)
		return
	}
	if len(a)+len(b) <= mergeCutoff {
		st.mergeLeaf(dst, a, b)
		return
	}
	var i, j int
	if len(a) >= len(b) {
		// a[:i] and the elements of b less than a[i] come before a[i].
		i = len(a) / 2
		j, _ = slices.BinarySearchFunc(b, a[i], st.cmpLess)
	} else {
		// b[:j] and the elements of a not greater than b[j] come before it.
		j = len(b) / 2
		i = upperBound(a, b[j], st.less)
	}
	k := i + j
	if !st.hungry(w) {
		st.merge(w, dst[:k], a[:i], b[:j])
		st.merge(w, dst[k:], a[i:], b[j:])
		return
	}
	st.join(w,
		func(w *Worker) { st.merge(w, dst[:k], a[:i], b[:j]) },
		func(w *Worker) { st.merge(w, dst[k:], a[i:], b[j:]) })
}

// cmpLess is a three-way comparison from less, for slices.BinarySearchFunc:
// it finds the first element of a run that is not less than the target.
func (st *sorter[E]) cmpLess(e, target E) int {
	if st.less(e, target) {
		return -1
	}
	return 1
}

// join is Worker.Join for the sort, which must never lose a part: a stolen
// part whose Run was cancelled is skipped by the scheduler, which for a sort
// would leave elements behind in the buffer. join runs such a part itself.
func (st *sorter[E]) join(w *Worker, a, b func(w *Worker)) {
	if !st.hungry(w) {
		// Nobody would take b now: plain calls.
		a(w)
		b(w)
		return
	}
	ranB := false
	w.Join(a, func(w *Worker) { b(w); ranB = true })
	if !ranB {
		b(w)
	}
}

// hungry reports whether a fork would be taken now: w's deque is empty and
// some worker is searching or sleeping (as in loops.go). Below that, the
// sort recurses with plain calls, which cost no allocation.
func (st *sorter[E]) hungry(w *Worker) bool {
	return w.deque.Len() == 0 && w.pool.sleep.state.Load() != 0
}

// upperBound returns the number of elements of the sorted run a that are
// not greater than x.
func upperBound[E any](a []E, x E, less func(a, b E) bool) int {
	lo, hi := 0, len(a)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if less(x, a[m]) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// mergeOrdered merges the sorted runs a and b into dst, a's elements first
// among equals, comparing as slices.Sort does (cmp.Less).
func mergeOrdered[E cmp.Ordered](dst, a, b []E) {
	i, j, k := 0, 0, 0
	for i < len(a) && j < len(b) {
		if cmp.Less(b[j], a[i]) {
			dst[k] = b[j]
			j++
		} else {
			dst[k] = a[i]
			i++
		}
		k++
	}
	k += copy(dst[k:], a[i:])
	copy(dst[k:], b[j:])
}

// mergeIntegers is mergeOrdered for integer types, without a branch per
// element: on random input the branch of mergeOrdered is mispredicted half
// the time, and the conditional moves here (which the compiler makes for
// integers, not for floats or strings) merge ~1.5x faster.
func mergeIntegers[E cmp.Ordered](dst, a, b []E) {
	i, j, k := 0, 0, 0
	for i < len(a) && j < len(b) {
		x, y := a[i], b[j]
		v, c := x, 0
		if y < x {
			v, c = y, 1
		}
		dst[k] = v
		j += c
		i += 1 - c
		k++
	}
	k += copy(dst[k:], a[i:])
	copy(dst[k:], b[j:])
}

// isInteger reports whether E is an integer type (of any name).
func isInteger[E any]() bool {
	switch reflect.TypeFor[E]().Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

// mergeFunc is mergeOrdered with a comparison function.
func mergeFunc[E any](dst, a, b []E, cmp func(a, b E) int) {
	i, j, k := 0, 0, 0
	for i < len(a) && j < len(b) {
		if cmp(b[j], a[i]) < 0 {
			dst[k] = b[j]
			j++
		} else {
			dst[k] = a[i]
			i++
		}
		k++
	}
	k += copy(dst[k:], a[i:])
	copy(dst[k:], b[j:])
}

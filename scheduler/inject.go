package scheduler

import (
	"sync"
	"sync/atomic"
)

// injector is the pool's FIFO queue for work that arrives from outside the
// workers: Submit, Run from a non-worker goroutine, and Spawn. A list of
// segments guarded by a spinMutex (spinlock.go says why a submitter must not
// park on it). Workers take it in batches (take), copying entries out
// under the lock and making them jobs after unlocking, so the lock is held for
// a few stores on either side and a flood of submissions costs one lock round
// per batch on the consumer side. Between the take and the pushes the batch
// is visible nowhere but in the taker's hands: the taker runs its first entry
// next and pushes the rest before that, then notifies, so a worker that
// parked in that window is woken (docs/model.md lists this abstraction).
// docs/design.md §9 has the measurements that shaped it.
type injector struct {
	mu spinMutex
	// The queue is a list of fixed-size segments, oldest first: pushes
	// fill tail, takes drain head. A backlog grows by linking a segment,
	// never by copying, and drained segments are recycled (freeSegments),
	// so a steady flood allocates nothing. All guarded by mu.
	head, tail *segment
	headPos    int  // next entry to take in head
	tailPos    int  // next free entry in tail
	count      int  // entries queued
	closed     bool // no more checked pushes accepted
	// accepted counts checked pushes (Submit, Run) ever accepted; guarded
	// by mu, final once closed. Close waits until workers have finished
	// that many (Worker.finishAccepted).
	accepted int64
	// nonEmpty is the lock-free emptiness check of searching and sleeping
	// workers. Invariant, whenever mu is free: nonEmpty == 1 iff count > 0.
	// A push stores 1 when count becomes 1, a take stores 0 when count
	// becomes 0; pushes into a non-empty queue store nothing (one SC store
	// less per Submit: 1.5 ns in one batch of interleaved processes, within
	// the noise in others; docs/design.md §9).
	//
	// Its SC store is the "publish" half of the sleep protocol's Dekker
	// pair. A push that stores nothing comes after the store of 1 in lock
	// order, so a sleeper's later re-check sees that 1 or a later 0; a 0
	// means some taker took every entry, this one included, and that taker
	// runs it or publishes it again on its own deque (takeInjected).
	nonEmpty atomic.Int32
}

// segmentLen entries per segment: 4 KiB, a page of entries.
const segmentLen = 256

type segment struct {
	entries [segmentLen]entry
	next    *segment
}

// entry is one queued item: either a bare submitted function (fn), which
// costs Submit no allocation (the taking worker wraps it in a recycled frame),
// or a job (Run from outside, Spawn).
type entry struct {
	fn func(w *Worker)
	j  *job
}

// push appends e. It reports false if check is set and the injector is
// closed; a checked push that succeeds is counted in accepted, under the same
// lock as the closed check, so Close's total includes it.
func (q *injector) push(e entry, check bool) bool {
	q.mu.Lock()
	if check {
		if q.closed {
			q.mu.Unlock()
			return false
		}
		q.accepted++
	}
	if q.tail == nil || q.tailPos == segmentLen {
		q.link()
	}
	q.tail.entries[q.tailPos] = e
	q.tailPos++
	q.count++
	if q.count == 1 {
		q.nonEmpty.Store(1)
	}
	q.mu.Unlock()
	return true
}

// freeSegments recycles emptied segments across injectors: a burst of
// submissions to a busy pool queues thousands of segments (10^6 tasks, 16
// MB), and allocating them anew for each burst made the GC scan and clear
// them again and again (~10% of the CPU time of BenchmarkSubmit1M). Every
// segment in it is empty: recycle clears a drained segment first.
var freeSegments = sync.Pool{New: func() any { return new(segment) }}

// link appends an empty segment.
func (q *injector) link() {
	s := freeSegments.Get().(*segment)
	if q.tail == nil {
		q.head, q.headPos = s, 0
	} else {
		q.tail.next = s
	}
	q.tail, q.tailPos = s, 0
}

// close stops accepting checked pushes and returns how many were accepted.
func (q *injector) close() int64 {
	q.mu.Lock()
	q.closed = true
	n := q.accepted
	q.mu.Unlock()
	return n
}

// empty reports whether the injector looked empty. Lock-free.
func (q *injector) empty() bool { return q.nonEmpty.Load() == 0 }

// take moves the oldest entries into dst and returns how many: its fair share
// of what is queued (count/workers+1, as Go's runtime takes from its global
// run queue), at most len(dst). Zero if the injector is empty.
func (q *injector) take(dst []entry, workers int) int {
	if q.empty() {
		return 0
	}
	q.mu.Lock()
	n := min(q.count/workers+1, q.count, len(dst))
	var drained *segment // unlinked below, chained through next
	for i := range n {
		if q.headPos == segmentLen {
			s := q.head
			q.head, q.headPos = s.next, 0
			s.next = drained
			drained = s
		}
		// Read only: a taker that cleared each entry here wrote to the
		// cache lines the submitter was filling a few entries further on,
		// and the two pulled them back and forth. Taken entries are cleared
		// in bulk instead, when their segment is drained or the queue
		// empties (so that the GC can have what they reference).
		dst[i] = q.head.entries[q.headPos]
		q.headPos++
	}
	q.count -= n
	if q.count == 0 {
		// Empty: start over at the beginning of the segment, which keeps a
		// queue that never backs up inside one segment.
		clear(q.head.entries[:q.headPos])
		q.headPos, q.tailPos = 0, 0
		if q.head != q.tail {
			panic("forage: internal error: injector empty with segments left")
		}
		q.nonEmpty.Store(0)
	}
	q.mu.Unlock()
	recycle(drained)
	return n
}

// recycle clears drained segments, every entry of which was taken, and
// gives them to freeSegments. Outside the lock: clearing 4 KiB there made
// submitters wait (spin) for it. Nothing else refers to them any more.
func recycle(s *segment) {
	for s != nil {
		next := s.next
		s.next = nil
		s.entries = [segmentLen]entry{}
		freeSegments.Put(s)
		s = next
	}
}

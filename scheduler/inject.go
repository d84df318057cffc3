package scheduler

import (
	"sync"
	"sync/atomic"
)

// injector is the pool's FIFO queue for work that arrives from outside the
// workers: Submit, Run from a non-worker goroutine, and Spawn. A mutex-guarded
// ring: such work arrives at most as fast as goroutines can call Submit, and
// workers take it in batches (takeBatch), so the lock is not the bottleneck
// the per-fork path would make it.
type injector struct {
	mu     sync.Mutex
	buf    []*job // ring of len power of two
	head   int    // index of the oldest job in buf
	count  int    // jobs in buf, guarded by mu
	closed bool   // no more pushes accepted; guarded by mu
	// size mirrors count for lock-free emptiness checks by searching and
	// sleeping workers. Stored under mu after every change; its SC store is
	// the "publish" half of the sleep protocol's Dekker pair.
	size atomic.Int64
}

// push appends j. It reports false if the injector is closed (check false).
// With check, accepted is called under the lock when j is accepted, so that
// acceptance and accounting (Close's wait group) are one step.
func (q *injector) push(j *job, check bool, accepted func()) bool {
	q.mu.Lock()
	if check && q.closed {
		q.mu.Unlock()
		return false
	}
	if accepted != nil {
		accepted()
	}
	if q.count == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.count)&(len(q.buf)-1)] = j
	q.count++
	q.size.Store(int64(q.count))
	q.mu.Unlock()
	return true
}

func (q *injector) grow() {
	n := max(2*len(q.buf), 64)
	buf := make([]*job, n)
	for i := 0; i < q.count; i++ {
		buf[i] = q.buf[(q.head+i)&(len(q.buf)-1)]
	}
	q.buf, q.head = buf, 0
}

// close stops accepting checked pushes.
func (q *injector) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}

// empty reports whether the injector looked empty. Lock-free.
func (q *injector) empty() bool { return q.size.Load() == 0 }

// take removes the oldest job, and moves up to extra more into into (the
// caller's own deque push function), so that a flood of submissions costs one
// lock round per batch rather than per job.
func (q *injector) take(extra int, into func(*job)) *job {
	if q.empty() {
		return nil
	}
	q.mu.Lock()
	if q.count == 0 {
		q.mu.Unlock()
		return nil
	}
	j := q.pop()
	for n := min(extra, q.count); n > 0; n-- {
		into(q.pop())
	}
	q.size.Store(int64(q.count))
	q.mu.Unlock()
	return j
}

func (q *injector) pop() *job {
	j := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.count--
	return j
}

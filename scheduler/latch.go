package scheduler

import "sync/atomic"

// latch is the completion flag of a forked job, after rayon-core's latches,
// made reusable without an atomic reset per fork: each fork of a frame gets a
// new epoch, and the latch is set for epoch e when state == e<<1. The low bit
// of state says the waiter is parked (or about to park) on epoch e.
//
// The rule that makes frame reuse safe: set is the setter's last access to
// the frame. After its Swap the owner may reuse the frame, so set reads all
// it needs (epoch, waiter) before.
type latch struct {
	state atomic.Uint64
	// epoch is the current fork's number. Written by the owner before it
	// publishes the job (deque push or injector), read by the setter after
	// it took the job: ordered by the publication.
	epoch uint64
	// waiter is the worker that waits for the job; fixed when the frame is
	// made (frames never move between workers).
	waiter *Worker
}

const latchSleepingBit = 1

// reset starts a new fork. Owner only, before the job is published.
func (l *latch) reset() { l.epoch++ }

// probe reports whether the current fork has finished. Owner only. The load
// pairs with set's Swap, so everything the setter wrote before it (results,
// panics) is visible after a true probe.
func (l *latch) probe() bool { return l.state.Load() == l.epoch<<1 }

// set marks the current fork finished and wakes the waiter if it parked.
func (l *latch) set() {
	e, w := l.epoch, l.waiter // read before the Swap: afterwards the frame may be reused
	// Swap publishes the job's results (release) and learns whether the
	// waiter announced that it parks; exactly one of us sees the other.
	if l.state.Swap(e<<1) == e<<1|latchSleepingBit {
		w.pool.sleep.wakeWorker(w)
	}
}

// announceSleep tells the setter that the waiter is about to park. It returns
// false if the fork finished meanwhile (then the waiter must not park).
func (l *latch) announceSleep() bool {
	cur := l.state.Load()
	if cur == l.epoch<<1 {
		return false
	}
	// CAS: if the setter's Swap comes first, this fails and we see it set.
	return l.state.CompareAndSwap(cur, l.epoch<<1|latchSleepingBit)
}

// cancelSleep withdraws announceSleep unless the setter came first.
func (l *latch) cancelSleep() {
	l.state.CompareAndSwap(l.epoch<<1|latchSleepingBit, (l.epoch-1)<<1)
}

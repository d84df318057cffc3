package scheduler

import (
	"runtime"
	"sync"
)

// spinMutex is a sync.Mutex that waits by spinning, with a yield now and
// then, before it blocks.
//
// Why not plain sync.Mutex: its waiter parks after a few dozen spins, and
// the unlocker readies it on the unlocker's own P — here, usually a worker's.
// A worker with work never yields, so the waiter sits behind it in that P's
// run queue until the scheduler preempts the worker (up to a 10 ms time
// slice). A submitter that parked so on the injector's lock left the two
// workers to drain the backlog and then idle: BenchmarkSubmit1M ran 63–81
// ns/task; spinning first, 49–53 (47–50 with the injector's other
// changes; docs/design.md §9). The critical sections it guards are short
// (copying up to 64 entries out, or one in; a segment is allocated or
// recycled once per 256 entries, and a drained one cleared outside the
// lock), so a spinning waiter almost always gets in within a round.
//
// After spinRounds rounds it falls back to Mutex.Lock, which parks the
// waiter; sync.Mutex then hands the lock over in FIFO order once a waiter
// has waited 1 ms (its starvation mode), so no waiter waits forever, which
// spinning alone would not promise. With GOMAXPROCS=1 a round cannot
// succeed while the holder is descheduled: it costs 64 failed loads, and the
// yield that ends it lets the holder run.
type spinMutex struct {
	sync.Mutex
}

const (
	// spinTries TryLocks per round; each is a load of the lock word, and a
	// CAS only when it looked free.
	spinTries = 64
	// spinRounds rounds, with runtime.Gosched between them (the holder may
	// be waiting for our P: GOMAXPROCS below the number of goroutines).
	spinRounds = 64
)

// Lock acquires m, spinning before it blocks.
func (m *spinMutex) Lock() {
	for range spinRounds {
		for range spinTries {
			if m.TryLock() {
				return
			}
		}
		runtime.Gosched()
	}
	m.Mutex.Lock()
}

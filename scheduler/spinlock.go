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
// ns/task; spinning first, 47–53 (docs/design.md §9). The critical sections
// it guards are a few dozen instructions, so a waiter that spins is almost
// always through within a spin.
//
// After spinRounds rounds it falls back to Mutex.Lock, which queues the
// waiter fairly (sync.Mutex's starvation mode): spinning alone promises no
// waiter that it ever gets the lock.
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

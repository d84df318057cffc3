package scheduler

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestSpinMutexExcludes: many goroutines, more than the Ps, bump a plain
// counter under the lock. A lost update fails the count; an overlap that
// happens to lose none still fails under -race (TryLock and Lock carry the
// race detector's happens-before edges).
func TestSpinMutexExcludes(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	var m spinMutex
	const goroutines, rounds = 16, 2000
	n := 0
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range rounds {
				m.Lock()
				n++
				m.Unlock()
			}
		})
	}
	wg.Wait()
	if n != goroutines*rounds {
		t.Fatalf("counter = %d, want %d", n, goroutines*rounds)
	}
}

// TestSpinMutexWaitsForHolder: a waiter does not get the lock while it is
// held, however long (it spins out and blocks), and gets it once it is
// released.
func TestSpinMutexWaitsForHolder(t *testing.T) {
	var m spinMutex
	m.Lock()
	spun := make(chan struct{})
	got := make(chan struct{})
	go func() {
		// Exhaust the spinning on our own first: the lock is held
		// throughout, so every TryLock fails.
		for range spinRounds * spinTries {
			if m.TryLock() {
				t.Error("TryLock succeeded while the lock was held")
			}
		}
		close(spun)
		m.Lock()
		close(got)
		m.Unlock()
	}()
	<-spun
	select {
	case <-got:
		t.Fatal("Lock returned while the lock was held")
	default:
	}
	m.Unlock()
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("Lock did not return after Unlock")
	}
}

package scheduler

import (
	"runtime"
	"strings"
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
// held, spins out and blocks in sync.Mutex.Lock (seen in its stack), and
// gets the lock once it is released.
func TestSpinMutexWaitsForHolder(t *testing.T) {
	var m spinMutex
	m.Lock()
	got := make(chan struct{})
	go func() {
		m.Lock()
		close(got)
		m.Unlock()
	}()
	deadline := time.Now().Add(10 * time.Second)
	buf := make([]byte, 1<<20)
	for !waiterBlocked(buf[:runtime.Stack(buf, true)]) {
		select {
		case <-got:
			t.Fatal("Lock returned while the lock was held")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the waiter never blocked in sync.Mutex.Lock: it spins forever")
		}
		runtime.Gosched()
	}
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

// waiterBlocked reports whether the dump of all goroutines shows the waiter
// of TestSpinMutexWaitsForHolder parked in sync.Mutex.Lock.
func waiterBlocked(dump []byte) bool {
	for _, g := range strings.Split(string(dump), "\n\n") {
		if strings.Contains(g, "[sync.Mutex.Lock") && strings.Contains(g, "TestSpinMutexWaitsForHolder.func1") {
			return true
		}
	}
	return false
}

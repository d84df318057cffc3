package scheduler_test

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/forage-go/forage/scheduler"
	"github.com/stretchr/testify/require"
)

// cycleTimeout bounds one wake-up: far above any real wake latency, it only
// turns a lost wake-up into a failure instead of a hang.
const cycleTimeout = 10 * time.Second

// waitUntil polls cond, yielding between polls, and fails the test with all
// goroutine stacks if it is not true within cycleTimeout.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(cycleTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v; all goroutines:\n%s", what, cycleTimeout, allStacks())
		}
		runtime.Gosched()
	}
}

// TestLostWakeupTorture: thousands of cycles of "the pool goes idle, one
// Submit from outside, wait for it". Each wait is bounded: a lost wake-up
// fails the test instead of hanging it. Cycles alternate between three
// moments to submit at: as the worker that ran the last task goes to park
// (its counts are published just before it parks: the tightest window), once
// every worker has announced that it parks, and a little after that, when
// they are blocked.
func TestLostWakeupTorture(t *testing.T) {
	cycles := 10000
	if testing.Short() {
		cycles = 2000
	}
	for _, workers := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := newPool(t, workers)
			ran := make(chan time.Time, 1)
			task := func(*scheduler.Worker) { ran <- time.Now() }
			var latency [3][]time.Duration
			for i := range cycles {
				mode := i % 3
				// The previous task's worker has published its counts:
				// it is at most about to park.
				waitUntil(t, fmt.Sprintf("cycle %d: the worker that ran the last task going idle", i),
					func() bool { return p.Stats().Total.Tasks >= uint64(i) })
				if mode >= 1 {
					waitUntil(t, fmt.Sprintf("cycle %d: all %d workers announcing sleep", i, workers),
						func() bool { return scheduler.SleepingWorkers(p) == workers })
				}
				if mode == 2 {
					for range 20 {
						runtime.Gosched()
					}
				}
				start := time.Now()
				require.NoError(t, p.Submit(task))
				select {
				case at := <-ran:
					latency[mode] = append(latency[mode], at.Sub(start))
				case <-time.After(cycleTimeout):
					t.Fatalf("cycle %d (mode %d): the submitted task did not run within %v: lost wake-up?\nstats %+v\n%s",
						i, mode, cycleTimeout, p.Stats().Total, allStacks())
				}
			}
			for mode, ls := range latency {
				slices.Sort(ls)
				t.Logf("submit-to-start latency, mode %d: median %v, p99 %v, max %v (%d cycles)",
					mode, ls[len(ls)/2], ls[len(ls)*99/100], ls[len(ls)-1], len(ls))
			}
			st := p.Stats().Total
			t.Logf("parks %d, wakeups %d", st.Parks, st.Wakeups)
			require.Greater(t, st.Parks, uint64(cycles/3), "workers parked between cycles")
		})
	}
}

// TestRunWakeupTorture: the same for Run from outside: every cycle waits
// until all workers announced sleep, then Runs a job that forks.
func TestRunWakeupTorture(t *testing.T) {
	cycles := 2000
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := newPool(t, workers)
			for i := range cycles {
				waitUntil(t, fmt.Sprintf("cycle %d: all workers announcing sleep", i),
					func() bool { return scheduler.SleepingWorkers(p) == workers })
				within(t, cycleTimeout, func() {
					var got int
					p.Run(func(w *scheduler.Worker) { got = fibFunc.Call(w, 8) })
					if got != fibSerial(8) {
						t.Errorf("cycle %d: fib(8) = %d", i, got)
					}
				})
			}
		})
	}
}

// TestJoinWaiterWakeup: a worker waiting in Join for a stolen b parks once it
// has nothing else to do; b's completion must wake it. b holds on until the
// waiter has announced its sleep, so every cycle exercises the latch's
// park/wake handshake — and a lost wake-up hangs the Join (a failure here).
// The same for a Scope whose owner waits for a spawned task.
func TestJoinWaiterWakeup(t *testing.T) {
	cycles := 2000
	if testing.Short() {
		cycles = 500
	}
	p := newPool(t, 2)
	// holdUntilWaiterSleeps: run on the one busy worker, so any worker
	// announcing sleep is the waiter.
	holdUntilWaiterSleeps := func(i int) func(*scheduler.Worker) {
		return func(*scheduler.Worker) {
			deadline := time.Now().Add(cycleTimeout)
			for scheduler.SleepingWorkers(p) == 0 {
				if time.Now().After(deadline) {
					t.Errorf("cycle %d: the waiting worker never parked", i)
					return
				}
				runtime.Gosched()
			}
		}
	}
	var f *scheduler.Func[int, int]
	f = scheduler.NewFunc(func(w *scheduler.Worker, i int) int {
		if i >= 0 {
			a, b := f.Join(w, -1, -2-i) // b is the slow one
			return a + b
		}
		if i == -1 {
			return 1
		}
		holdUntilWaiterSleeps(-2 - i)(w)
		return 2
	})
	for i := range cycles {
		var ids [2]int
		var got int
		within(t, cycleTimeout, func() {
			switch i % 3 {
			case 0:
				p.Run(func(w *scheduler.Worker) {
					forceStolenJoin(t, w, &ids, func(*scheduler.Worker) {}, holdUntilWaiterSleeps(i))
				})
			case 1:
				p.Run(func(w *scheduler.Worker) {
					ids[0] = w.ID()
					started := make(chan int, 1)
					w.Scope(func(s *scheduler.Scope) {
						s.Spawn(func(w *scheduler.Worker) {
							started <- w.ID()
							holdUntilWaiterSleeps(i)(w)
						})
						ids[1] = <-started // the body blocks its worker: the task runs on the other
					})
				})
			case 2:
				// Func: b must be stolen for the waiter to park; when it is
				// not (popped back), the cycle passes trivially.
				p.Run(func(w *scheduler.Worker) { got = f.Call(w, i) })
				ids = [2]int{0, 1}
				if got != 3 {
					t.Errorf("cycle %d: Func result %d, want 3", i, got)
				}
			}
		})
		require.NotEqualf(t, ids[0], ids[1], "cycle %d: the slow task ran on the waiting worker", i)
	}
}

// TestIdlePoolCPU: a pool whose workers have all parked costs (almost) no
// CPU: the process uses less than 1% of one core over a second of
// idleness (the target), with 8 workers on 2 cores.
func TestIdlePoolCPU(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a second")
	}
	const workers = 8
	p := newPool(t, workers)
	var got int
	p.Run(func(w *scheduler.Worker) { got = fibFunc.Call(w, 20) })
	require.Equal(t, fibSerial(20), got)
	waitUntil(t, "all workers announcing sleep", func() bool { return scheduler.SleepingWorkers(p) == workers })
	runtime.GC() // so that no GC work from the run above lands in the window
	before, ok := processCPU()
	if !ok {
		t.Skip("no process CPU time on this platform")
	}
	parks := p.Stats().Total
	const window = time.Second
	start := time.Now()
	<-time.After(window) // the measurement window, not a wait for completion
	elapsed := time.Since(start)
	after, _ := processCPU()
	share := float64(after-before) / float64(elapsed)
	t.Logf("idle: %v CPU over %v = %.3f%% of one core; stats before %+v after %+v",
		after-before, elapsed.Round(time.Millisecond), 100*share, parks, p.Stats().Total)
	require.Less(t, share, 0.01, "CPU share of one core used by an idle pool")
	require.Equal(t, workers, scheduler.SleepingWorkers(p), "workers still asleep")
}

package scheduler_test

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forage-go/forage/scheduler"
	"github.com/stretchr/testify/require"
)

// TestDefaultPool: the default pool is created once, sized by default, and
// serves Run, RunContext, Submit and Async.
func TestDefaultPool(t *testing.T) {
	var pools sync.Map
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { pools.Store(scheduler.Default(), true) })
	}
	wg.Wait()
	n := 0
	pools.Range(func(any, any) bool { n++; return true })
	require.Equal(t, 1, n, "Default must return one pool")

	p := scheduler.Default()
	if os.Getenv(scheduler.EnvWorkers) == "" {
		// Sized as New sizes a pool by default: GOMAXPROCS capped by the
		// CPUs this process may use (not GOMAXPROCS alone: the suite also
		// runs with GOMAXPROCS above the CPU count).
		q := newPoolDefault(t)
		require.Equal(t, q.Workers(), p.Workers())
		require.LessOrEqual(t, p.Workers(), max(1, runtime.GOMAXPROCS(0)))
	}

	var sum int
	var pool *scheduler.Pool
	scheduler.Run(func(w *scheduler.Worker) {
		pool = w.Pool()
		sum = scheduler.Reduce(w, 1000, func(_ *scheduler.Worker, lo, hi int) int { return hi - lo },
			func(a, b int) int { return a + b })
	})
	require.Same(t, p, pool)
	require.Equal(t, 1000, sum)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, scheduler.RunContext(ctx, func(*scheduler.Worker) { t.Error("ran after cancel") }), context.Canceled)
	require.NoError(t, scheduler.RunContext(context.Background(), func(*scheduler.Worker) {}))

	done := make(chan struct{})
	require.NoError(t, scheduler.Submit(func(*scheduler.Worker) { close(done) }))
	select {
	case <-done:
	case <-time.After(hangTimeout):
		t.Fatal("submitted task did not run")
	}

	v, err := scheduler.Async(scheduler.Default(), func(*scheduler.Worker) int { return 42 }).Wait()
	require.NoError(t, err)
	require.Equal(t, 42, v)
}

// TestDefaultSubmitPanicCrashes: a panic in a task submitted to the default
// pool ends the program, as in a goroutine (checked in a child process).
func TestDefaultSubmitPanicCrashes(t *testing.T) {
	if os.Getenv("FORAGE_TEST_DEFAULT_CRASH") == "1" {
		_ = scheduler.Submit(func(*scheduler.Worker) { panic("boom in default pool") })
		time.Sleep(hangTimeout)
		os.Exit(0) // not reached: the panic ends the process first
	}
	if testing.Short() {
		t.Skip("runs a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDefaultSubmitPanicCrashes$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FORAGE_TEST_DEFAULT_CRASH=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "the child should have crashed:\n%s", out)
	require.NotZero(t, ee.ExitCode())
	require.True(t, strings.Contains(string(out), "boom in default pool"), "child output:\n%s", out)
}

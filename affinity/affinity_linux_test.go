//go:build linux

package affinity

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// onFreshThread runs f in a new goroutine that locks its OS thread and
// exits while still locked, so the runtime destroys the thread afterwards
// whatever f did to its affinity.
func onFreshThread(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		f()
	}()
	<-done
}

// kernelAllowedList reads this thread's Cpus_allowed_list from procfs,
// an independent view of the mask that sched_setaffinity set.
func kernelAllowedList(t *testing.T) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/status", unix.Gettid()))
	if err != nil {
		t.Errorf("reading thread status: %v", err)
		return ""
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Errorf("no Cpus_allowed_list in thread status")
	return ""
}

// lockedMask reads the mask of the thread a goroutine is locked to.
func lockedMask(t *testing.T) []int {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	m, err := ThreadMask()
	require.NoError(t, err)
	return m
}

func TestSupported(t *testing.T) {
	assert.True(t, Supported)
}

func TestDetectRealMachine(t *testing.T) {
	topo, err := Detect()
	require.NoError(t, err)
	// runtime.NumCPU is the process's mask at startup; the test binary
	// pins nothing before this test runs.
	assert.Len(t, topo.Allowed, runtime.NumCPU())
	assert.Equal(t, runtime.GOMAXPROCS(0), topo.GOMAXPROCS)
	assert.GreaterOrEqual(t, topo.Usable(), 1)
	assert.LessOrEqual(t, topo.Usable(), len(topo.Allowed))
	assert.Len(t, topo.CPUs, len(topo.Allowed))
	for _, w := range topo.Warnings {
		t.Log("warning:", w)
	}
	plan, err := topo.Plan(Compact, len(topo.Allowed))
	require.NoError(t, err)
	assert.ElementsMatch(t, topo.Allowed, plan)
}

func TestPinConfirmedByKernel(t *testing.T) {
	full := lockedMask(t)
	cpu := full[len(full)-1]
	var pinErr error
	var got string
	var mask []int
	onFreshThread(func() {
		pinErr = Pin(cpu)
		got = kernelAllowedList(t)
		mask, _ = ThreadMask()
	})
	require.NoError(t, pinErr)
	assert.Equal(t, fmt.Sprint(cpu), got)
	assert.Equal(t, []int{cpu}, mask)
}

// After pinned goroutines exit while locked, their threads are gone:
// no later goroutine may run on a narrowed thread.
func TestPinDoesNotLeakToOtherGoroutines(t *testing.T) {
	full := lockedMask(t)
	if len(full) < 2 {
		t.Skip("a one-CPU mask cannot show a narrowed thread")
	}
	for i := range 16 {
		var err error
		onFreshThread(func() { err = Pin(full[i%len(full)]) })
		require.NoError(t, err)
	}
	const goroutines = 500
	masks := make([][]int, goroutines)
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			masks[i], _ = ThreadMask()
		})
	}
	wg.Wait()
	for i, m := range masks {
		require.Equal(t, full, m, "goroutine %d ran on a narrowed thread", i)
	}
}

// The mask is per thread, and so is detection: a thread narrowed to one
// CPU sees one allowed CPU and one usable worker, while GOMAXPROCS (a
// process-wide number) is unchanged.
func TestDetectFollowsThreadMask(t *testing.T) {
	full := lockedMask(t)
	cpu := full[0]
	var topo Topology
	var err error
	onFreshThread(func() {
		var set unix.CPUSet
		set.Set(cpu)
		if err = unix.SchedSetaffinity(0, &set); err != nil {
			return
		}
		topo, err = Detect()
	})
	require.NoError(t, err)
	assert.Equal(t, []int{cpu}, topo.Allowed)
	assert.Equal(t, 1, topo.Usable())
	assert.Equal(t, runtime.GOMAXPROCS(0), topo.GOMAXPROCS)

	// And back on an ordinary thread the full mask is seen again.
	topo, err = Detect()
	require.NoError(t, err)
	assert.Equal(t, full, topo.Allowed)
}

// A failed Pin leaves the thread's mask as it was and the goroutine's
// lock count as before the call.
func TestPinFailureKeepsMask(t *testing.T) {
	full := lockedMask(t)
	bad := 1023 // not a CPU of this machine, but within a CPU set
	if bad <= full[len(full)-1] {
		t.Skip("machine has CPU 1023")
	}
	var pinErr error
	var after []int
	onFreshThread(func() {
		pinErr = Pin(bad)
		after, _ = ThreadMask()
	})
	require.Error(t, pinErr)
	var pe *PinError
	require.ErrorAs(t, pinErr, &pe)
	assert.Equal(t, bad, pe.CPU)
	assert.False(t, pe.Locked)
	assert.ErrorIs(t, pinErr, syscall.EINVAL)
	assert.Contains(t, pinErr.Error(), "affinity: pin to CPU 1023")
	assert.Contains(t, pinErr.Error(), "outside this process's cpuset")
	assert.Equal(t, full, after)

	for _, id := range []int{-1, setSize, MaxCPUListID} {
		err := Pin(id)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "out of range")
		assert.False(t, errors.Is(err, errors.ErrUnsupported))
	}
}

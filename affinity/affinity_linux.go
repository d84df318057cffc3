//go:build linux

package affinity

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Supported reports whether Pin can pin threads on this platform. It is
// true on Linux, the only platform with a per-thread affinity syscall in
// golang.org/x/sys (Windows has no wrapper, macOS only affinity hints).
const Supported = true

// SystemSource describes the running machine: the root file system (for
// /sys and /proc), the calling thread's affinity mask, the current
// GOMAXPROCS and cpuid. Tests start from it and replace fields.
func SystemSource() Source {
	return Source{FS: os.DirFS("/"), Mask: ThreadMask, Processor: readCPUID()}
}

// setSize is the number of CPUs a unix.CPUSet holds (1024, glibc's
// CPU_SETSIZE): the golang.org/x/sys version this module pins (go.mod) has
// only the fixed-size set. On a machine whose kernel mask is wider,
// ThreadMask fails and detection falls back to the online list, and Pin
// refuses ids beyond it.
const setSize = int(unsafe.Sizeof(unix.CPUSet{})) * 8

// ThreadMask returns the CPUs the calling OS thread may run on, sorted.
// The mask is per thread: from a goroutine that is not locked it is the
// mask of whichever thread runs it at that instant, which equals the
// process's mask unless something pinned a thread and let it go back to the
// pool (see Pin).
func ThreadMask() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		// EINVAL here means the kernel's mask is wider than setSize.
		return nil, fmt.Errorf("affinity: sched_getaffinity: %w", err)
	}
	n := set.Count()
	ids := make([]int, 0, n)
	for id := 0; len(ids) < n && id < setSize; id++ {
		if set.IsSet(id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// Pin locks the calling goroutine to its OS thread and restricts that
// thread to exactly cpu.
//
// Pin never unlocks after success, and the caller must not either: keep
// the goroutine locked for the rest of its life and let it return while
// still locked, so that the runtime destroys the thread. A bare
// runtime.UnlockOSThread would hand the narrowed thread back to the pool,
// and unrelated goroutines would later run confined to that one CPU (1200
// of 2000 did in a measurement here). A caller that must keep the
// goroutine should restore the thread's old mask before unlocking. (If the
// goroutine happened to be on the process's main thread, the runtime cannot
// destroy that thread and parks it for good instead: one idle thread, still
// no leak. Pin from worker goroutines, not from main.)
//
// A locked goroutine that blocks cannot hand its thread to others, so
// every park and wake costs a futex wake of that thread (20–40 µs measured
// here against ~0.3 µs unlocked): pinned workers should spin and steal
// with bounded backoff before they park.
//
// On failure Pin returns a *PinError and the thread keeps its original
// mask; the goroutine is unlocked again (its lock count as before the
// call) unless that original mask could not be confirmed, in which case
// it stays locked so a possibly narrowed thread never reaches the pool
// (PinError.Locked). The usual failure is EINVAL: cpu offline, absent or
// outside the process's cpuset. Plan validates ids against the mask
// beforehand.
func Pin(cpu int) error {
	if cpu < 0 || cpu >= setSize {
		// CPUSet.Set would silently ignore the id and the empty set would
		// fail with a less helpful EINVAL.
		return &PinError{CPU: cpu, Err: fmt.Errorf("CPU id out of range 0-%d", setSize-1)}
	}
	runtime.LockOSThread()
	before, beforeErr := ThreadMask()
	var set unix.CPUSet
	set.Set(cpu)
	err := unix.SchedSetaffinity(0, &set)
	if err == nil {
		return nil
	}
	perr := &PinError{CPU: cpu, Err: err}
	// The kernel rejects a set before applying it, so the mask should be
	// unchanged; confirm before the thread may return to the pool.
	if after, afterErr := ThreadMask(); beforeErr == nil && afterErr == nil && slices.Equal(before, after) {
		runtime.UnlockOSThread()
		return perr
	}
	perr.Locked = true
	return perr
}

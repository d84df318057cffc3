package affinity

import (
	"errors"
	"fmt"
	"syscall"
)

// PinError reports a failed Pin. The worker should run unpinned and the
// scheduler should record the error; see Pin for the thread's state.
type PinError struct {
	// CPU is the CPU that was asked for.
	CPU int
	// Locked is true if the goroutine was left locked to its thread (only
	// when the original mask could not be confirmed or restored).
	Locked bool
	// Err is the cause: a syscall.Errno from the kernel, or an error
	// wrapping errors.ErrUnsupported on platforms without thread affinity.
	Err error
}

// Error explains the failure, with the usual reason for EINVAL.
func (e *PinError) Error() string {
	msg := fmt.Sprintf("affinity: pin to CPU %d: %v", e.CPU, e.Err)
	if errors.Is(e.Err, syscall.EINVAL) {
		// The kernel says EINVAL when no CPU in the requested set is both
		// online and inside the process's cpuset.
		msg += " (CPU offline, absent, or outside this process's cpuset)"
	}
	if e.Locked {
		msg += "; goroutine left locked to its thread"
	}
	return msg
}

// Unwrap returns the cause.
func (e *PinError) Unwrap() error { return e.Err }

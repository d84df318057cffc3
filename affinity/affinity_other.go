//go:build !linux

package affinity

import (
	"errors"
	"fmt"
	"runtime"
)

// Supported reports whether Pin can pin threads on this platform. Outside
// Linux golang.org/x/sys has no per-thread affinity call (Windows has no
// wrapper, macOS only affinity hints), so forage runs unpinned there.
const Supported = false

// errUnsupported explains why, and wraps errors.ErrUnsupported.
var errUnsupported = fmt.Errorf("thread affinity is not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// SystemSource describes the running machine. Without sysfs or a mask
// call, sizes come from runtime.NumCPU and GOMAXPROCS; CPU ids are
// synthetic (0..NumCPU-1) and only cpuid facts are real.
func SystemSource() Source {
	return Source{Processor: readCPUID()}
}

// ThreadMask is unsupported outside Linux; the error wraps
// errors.ErrUnsupported.
func ThreadMask() ([]int, error) {
	return nil, fmt.Errorf("affinity: %w", errUnsupported)
}

// Pin does nothing outside Linux and does not lock the goroutine to its
// thread (locking would cost park/wake latency for no placement benefit).
// It returns a *PinError wrapping errors.ErrUnsupported.
func Pin(cpu int) error {
	return &PinError{CPU: cpu, Err: errUnsupported}
}

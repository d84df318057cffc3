//go:build !unix

package scheduler_test

import "time"

// processCPU is not implemented here: the idle-CPU test skips.
func processCPU() (time.Duration, bool) { return 0, false }

package scheduler

import (
	"runtime"
	"sync"
)

// Go has no goroutine-local storage, so to tell whether Run is called from
// inside one of a pool's tasks (where it must run inline, not deadlock) the
// pool records its worker goroutines' ids. Reading the current goroutine's id
// costs about a microsecond (runtime.Stack), paid once per Run — never on
// the fork-join path, where the *Worker is passed explicitly.

var workerByGoid sync.Map // int64 goroutine id → *Worker

// goid returns the current goroutine's id, parsed from runtime.Stack's
// "goroutine 123 [running]:" header.
func goid() int64 {
	var buf [32]byte
	n := runtime.Stack(buf[:], false)
	const prefix = len("goroutine ")
	var id int64
	for _, c := range buf[prefix:n] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + int64(c-'0')
	}
	return id
}

// currentWorker returns the worker running on this goroutine, or nil.
func currentWorker() *Worker {
	if v, ok := workerByGoid.Load(goid()); ok {
		return v.(*Worker)
	}
	return nil
}

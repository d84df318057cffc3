package scheduler

import (
	"context"
	"sync/atomic"
)

// task is what a job runs. Implementations embed a job and point job.task at
// themselves, so that one allocation (or none, for reused frames) carries both.
type task interface {
	// execute runs the task on w and finally sets its latch (if it has one).
	// It must not let a panic escape: it records it for whoever waits.
	execute(w *Worker)
}

// job is what deques and the injector hold.
type job struct {
	task task
	// latch says whether the task has finished, for the worker that forked
	// it and waits in Join (latch.go).
	latch latch
	// thief is the worker that last stole the job (nil: never stolen): the
	// waiting owner steals back from it first (leapfrogging). Stored by the
	// thief before it runs the job, loaded by the waiter; only a hint, and
	// possibly a worker of another pool (a cross-pool Run).
	thief atomic.Pointer[Worker]
	// ctx is the context of the Run the job belongs to (nil: none); set by
	// the forking worker before the job is published. A worker that runs the
	// job takes it on for the job's duration (Worker.Context).
	ctx context.Context
}

package stress

import "github.com/forage-go/forage/scheduler"

// forRange runs body over [0, n) with scheduler.For, or with ForGrain when
// grain is positive.
func forRange(w *scheduler.Worker, n, grain int, body func(w *scheduler.Worker, lo, hi int)) {
	if grain > 0 {
		scheduler.ForGrain(w, n, grain, body)
		return
	}
	scheduler.For(w, n, body)
}

// reduceRange reduces leaf over [0, n) with scheduler.Reduce, or with
// ReduceDeterministic when grain is positive.
func reduceRange[T any](w *scheduler.Worker, n, grain int, leaf func(w *scheduler.Worker, lo, hi int) T, combine func(a, b T) T) T {
	if grain > 0 {
		return scheduler.ReduceDeterministic(w, n, grain, leaf, combine)
	}
	return scheduler.Reduce(w, n, leaf, combine)
}

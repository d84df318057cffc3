package stress_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/forage-go/forage/scheduler"
	"github.com/forage-go/forage/stress"
)

// price is user code under test: it forks on the worker it is given.
func price(w *scheduler.Worker, qty, unit int64) int64 {
	var a, b int64
	w.Join(func(*scheduler.Worker) { a = qty * unit }, func(*scheduler.Worker) { b = qty / 10 })
	return a - b
}

// A user's test tortures its own task code on forage: stress.Tasks runs the
// task at the leaves of random fork-join trees and compares the parallel sum
// with a serial run of the same leaves.
func ExampleTasks() {
	t := &testing.T{} // in a real test, the test's *testing.T
	pool, err := scheduler.New()
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	stress.Tasks(t, pool, 0, func(w *scheduler.Worker, rng *rand.Rand) int64 {
		return price(w, rng.Int64N(100), 1+rng.Int64N(50))
	})
}

// A test can run forage's own scenarios, to qualify forage on a CI machine.
func ExampleRun() {
	t := &testing.T{} // in a real test, the test's *testing.T
	for _, r := range stress.Run(t, stress.Options{Duration: 10 * time.Second}) {
		t.Logf("%s: %d rounds, %d tasks, %d steals", r.Scenario, r.Rounds, r.Tasks, r.Steals)
	}
}

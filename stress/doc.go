// Package stress tortures forage — and user code running on forage — under
// the race detector, and checks an exact expected outcome every time: never
// merely "it did not crash".
//
// Each scenario is a function that runs rounds until its time budget is
// spent and returns a [Result]:
//
//   - [Deque]: one owner pushing and popping in bursts against many thieves,
//     starting from capacity 1; every item taken exactly once, each thief's
//     items in increasing order, the owner's pops decreasing between pushes.
//   - [ForkJoin]: random trees of Join, Scope/Spawn, Func, For, Reduce,
//     nested and cross-pool Run and Submit, generated from the seed; the sum
//     must equal the serial sum and every node must run exactly once.
//   - [Panics]: panics injected at random tasks; each must surface exactly
//     once, at the right Run, Join or Close (or panic handler), after every
//     other task of its Run has finished, and the pool must stay usable.
//   - [Shutdown]: Close racing floods of Submit and Run from many
//     goroutines; every accepted task ran exactly once, every rejected call
//     got ErrClosed, and no goroutine is left behind.
//   - [Wakeups]: a pool left fully idle, then single tasks from outside; each
//     must start within a bound (a hang detector, not a performance test).
//   - [Oversubscription]: many more workers than GOMAXPROCS, and GOMAXPROCS
//     up to 64 on a small machine, with the fork-join checks.
//   - [UTS]: Unbalanced Tree Search trees counted through the scheduler must
//     have their published node counts (T1: 4,130,071; T3: 4,112,897).
//
// # Seeds
//
// Every scenario is a deterministic function of its seed: the seed picks the
// worker counts, the shapes, the injection points and the chaos sequence.
// Round 0 uses the seed itself and round k a seed derived from it, so a
// failing round's seed, given back as the seed, replays that round first. A
// failure reports the seed and the exact command that replays it. The
// interleaving itself is not reproducible — that is what the rounds and the
// chaos build are for.
//
// # As a library
//
// [Run] runs scenarios from a user's own test, and [Tasks] runs the user's own
// task function at the leaves of random fork-join trees on the user's pool,
// comparing the parallel result with a serial one:
//
//	func TestMyTaskUnderStress(t *testing.T) {
//		pool, _ := scheduler.New()
//		defer pool.Close()
//		stress.Tasks(t, pool, 0, func(w *scheduler.Worker, rng *rand.Rand) int64 {
//			return myTask(w, rng.IntN(1000))
//		})
//	}
//
// Run it with go test -race. FORAGE_STRESS_SEED and FORAGE_STRESS_DURATION
// override the seed and the time budget, which is how a reported failure is
// replayed.
//
// # Chaos
//
// Built with -tags forage_chaos, the deque and the sleep protocol yield or
// spin at their critical points, chosen by the round's seed, and deques start
// with two slots so that growth and wrap-around happen constantly. See
// docs/stress.md.
package stress

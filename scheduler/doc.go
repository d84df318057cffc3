// Package scheduler is forage's work-stealing fork-join scheduler: Rayon's
// model, done the Go way.
//
// # The model
//
// A Pool runs a fixed set of worker goroutines (one per usable CPU by
// default; see New, WithWorkers and FORAGE_WORKERS). Each worker owns a
// Chase-Lev deque (package deque) for its forks, and a second one for the
// tasks it queues for itself. User code runs as tasks on workers and
// receives the *Worker it runs on; forking goes through that worker:
//
//	p.Run(func(w *scheduler.Worker) {
//		w.Join(left, right)           // two closures, possibly in parallel
//		a, b := f.Join(w, x, y)       // f is a *Func: typed, allocation-free
//		w.Scope(func(s *scheduler.Scope) { s.Spawn(task) })
//		scheduler.For(w, n, body)     // loops, reductions, sort: loops.go
//	})
//
// Go has no goroutine-local storage, so the worker is passed explicitly;
// that keeps a fork as cheap as a few plain stores.
//
// A fork is child stealing, work-first: the first half runs at once, the
// second is recorded as a latent fork (past a few latent forks per worker,
// 4 to 16 depending on how often thieves take them, it simply runs after
// the first); whenever a worker's deque is empty it
// offers its oldest latent fork to thieves. Idle workers steal from random
// peers. At a join, a fork nobody took runs as a plain call; if a thief took
// it, the waiting worker keeps running other work — first the thief's, then
// anyone's — until it is done (help-while-waiting). No worker ever blocks
// while work exists, so nested fork-join never deadlocks, at any worker count
// including 1.
//
// Work from outside the workers (Submit, Run from a plain goroutine, Spawn,
// Async) goes through a FIFO injector that workers check regularly. Idle
// workers search for a while, then park; new work wakes them (the protocol,
// and why no wake-up is lost, is in docs/design.md).
//
// # Panics
//
// A panic in a task never kills a worker. Run and Scope re-panic in their
// caller with a *PanicError (value and the stack of the goroutine that
// panicked) after the other tasks involved have finished. Join and
// Func.Join let a panic go on once no part of the join runs any more: as a
// *PanicError when it came from a thief or crossed a join that recorded its
// fork (the few joins nearest the root of a task do; deeper ones are plain
// calls), else as the value itself, as in serial code — code that recovers
// inside a task should accept both (errors.As and PanicError.Value).
// Submit's panics go to the panic handler (WithPanicHandler) or are
// returned by Close.
//
// # Caveats
//
//   - A task that blocks (I/O, a channel, a mutex) blocks its worker. forage
//     is for CPU-bound work; give blocking work its own goroutines.
//   - A mutex held across Join can deadlock: while waiting, the worker may
//     run another task that takes the same mutex (rayon-rs/rayon#592).
//     Release locks before forking.
//   - Help-while-waiting nests stolen tasks on the waiting worker's goroutine
//     stack. Go stacks grow, but very deep nesting costs stack copying.
//   - A *Worker is valid only inside the task it was passed to.
//   - Calling Close from inside one of the pool's own tasks deadlocks.
//   - runtime.Goexit in a task (t.FailNow in a test) ends its worker's
//     goroutine: the pool runs on with one worker less, and with none left
//     Close never returns. Report failures with t.Error and return.
//   - Spawn costs about a Submit (the injector's lock); SpawnFrom, given the
//     caller's *Worker, pushes onto that worker's task deque instead. Join and Func
//     remain the cheapest forks.
//
// # Performance
//
// Most forks cost a few nanoseconds over serial code: a fork made while the
// worker already has one on offer and a few older forks recorded runs as a
// plain pair of calls. What is left is the price of the API — the recursion
// calls Join, which calls the function back, so every level has one frame
// and one call more than serial code, and the compiler cannot inline Join.
// On the machine of docs/design.md that layer alone costs about 1.4 ns per
// fork, which caps fib without cutoff at about 1.37× serial on two cores
// however well it scales.
//
// Hot recursive code can skip the layer: Func.Inline reports whether a join
// made now would run plainly, and is itself inlined, so the function can
// recurse directly in that case and call Join otherwise:
//
//	func fib(w *scheduler.Worker, n int) int {
//		if n < 2 {
//			return n
//		}
//		if fibF.Inline(w) {
//			return fib(w, n-1) + fib(w, n-2)
//		}
//		a, b := fibF.Join(w, n-1, n-2)
//		return a + b
//	}
//
// with fibF = scheduler.NewFunc(fib) set in an init function. The forks
// that pass the test are those Join would run on its plain fast path, now
// as direct calls; on that machine this took fib(30) at 2 workers from
// 1.2× to 1.6× serial, and an unbalanced tree walk from 1.45× to 1.75×.
// Profile-guided optimization (go build -pgo, with a CPU profile of the
// program) inlines Join's plain path into the caller as well, but it speeds
// up serial code too, fib's far more than forage's; docs/design.md gives
// both effects.
//
// The shape of the parallel code matters too. Fork where the serial code
// already loops or recurses instead of adding a pass to prepare the forks:
// the bench suite's N-Queens kernel ran 5–6% behind serial code at one
// worker when it first listed each row's legal columns and then split the
// list, and 2–6% behind when it joined at each legal column, with the rest
// of the row as the second call. And keep large structs out of hot calls'
// arguments and receivers: the suite's UTS code, serial and parallel alike,
// ran 3–7% faster once its 64-byte tree parameters were passed by pointer
// instead of by value.
package scheduler

package scheduler

import (
	"context"
	"runtime"
	"unsafe"

	"github.com/forage-go/forage/deque"
)

// injectorEvery: a worker looks at the injector before its own deque once
// every this many jobs, so that a flood of locally forked work cannot starve
// submitted work. 61, like the schedtick check in Go's runtime.
const injectorEvery = 61

// injectorBatch: at most how many entries a worker takes per trip to the
// injector lock; it runs one and pushes the rest onto its own task deque,
// where thieves can take them.
const injectorBatch = 64

// maxFree bounds each of a worker's free lists of task records: enough for
// a few batches in flight, while a worker that happens to run most records
// does not hoard them.
const maxFree = 512

// freeList recycles task records of one kind (submit frames, spawned tasks)
// on one worker; owner-only. A record goes on the list of whichever worker
// runs it, once nothing refers to it any more.
type freeList[T any] []*T

// get returns a recycled record, or nil if there is none.
func (l *freeList[T]) get() *T {
	n := len(*l)
	if n == 0 {
		return nil
	}
	x := (*l)[n-1]
	(*l)[n-1] = nil
	*l = (*l)[:n-1]
	return x
}

// put keeps x for reuse unless the list is full.
func (l *freeList[T]) put(x *T) {
	if len(*l) < maxFree {
		*l = append(*l, x)
	}
}

// searchRounds: how many full steal rounds an idle worker makes, yielding
// between rounds, before it parks. Parking costs a channel hand-off (~0.3 µs
// here) and waking it about as much, so a few rounds of looking are cheap
// insurance against parking just before work appears.
const searchRounds = 32

// pinnedSearchRounds and pinnedWaitSpins replace searchRounds and waitSpins
// for pinned pools: a locked thread's park and wake cost an OS thread
// hand-off, 20–40 µs here (REFERENCES.md §5.5), about a hundred times an
// unlocked goroutine's, so looking for work longer pays.
const (
	pinnedSearchRounds = 512
	pinnedWaitSpins    = 1024
)

// Worker is one of a pool's goroutines, handed to every task it runs. A
// *Worker is valid only inside the task it was passed to: do not keep it or
// use it from another goroutine.
type Worker struct {
	// Read by other workers (stealing, waking): written once, at New.
	id    int
	key   int // unique among all workers of all pools: index into Func stacks
	pool  *Pool
	deque *deque.Deque[job] // forks offered to thieves (latent.go)
	// tasks holds the rest of the work w queues for itself: tasks spawned
	// with Scope.SpawnFrom and the rest of an injector batch. Kept apart
	// from deque so that they do not look like a fork on offer to the lazy
	// splitting rule (offer a fork when deque is empty) nor sit between a
	// promoted fork and its join. w runs them after its own forks; thieves
	// take them after a victim's forks.
	tasks *deque.Deque[job]
	wake  chan struct{}
	// The owner writes the fields below all the time; keep them off the
	// cache lines that thieves read (the Worker structs of a pool are
	// allocated together).
	_ [128]byte

	// lastFunc and lastStack cache the Func whose Join w ran last and w's
	// frame stack for it (a *frameStack of that Func's types): a recursion
	// finds its stack with one compare instead of a walk through the Func's
	// stack table. Owner-only.
	lastFunc, lastStack unsafe.Pointer
	// closureStack is w's frame stack for closure joins (Worker.Join), once
	// made. Owner-only.
	closureStack *frameStack[func(*Worker), struct{}]

	rng  uint64 // xorshift state for victim selection; owner-only
	tick uint32 // jobs run, for the injector check; owner-only

	// Sleep-protocol bookkeeping. searching: owner-only; onIdleList:
	// guarded by pool.sleep.mu.
	searching  bool
	onIdleList bool

	// ctx is the context of the Run whose task w is running (nil: none).
	ctx context.Context

	// Pinning (pinning.go): the CPU from the plan (-1: none) and the error
	// if pinning to it failed. Written before the loop starts.
	pinCPU int
	pinErr error

	// inbox receives a batch from the injector; freeFrames holds recycled
	// submit frames. Owner-only.
	inbox      [injectorBatch]entry
	freeFrames freeList[submitFrame]
	freeSpawns freeList[spawnJob] // recycled Scope task records (SpawnFrom)

	// acceptedLocal counts accepted work (Submit, external Run) this worker
	// finished; acceptedPublished, how much of it is in pool.finished
	// (Pool.waitAccepted). Owner-only.
	acceptedLocal, acceptedPublished int64

	stats workerStats
	_     [128]byte // and off the next Worker's first line
}

// ID returns the worker's index in its pool, from 0 to Workers()-1.
func (w *Worker) ID() int { return w.id }

// Pool returns the pool the worker belongs to.
func (w *Worker) Pool() *Pool { return w.pool }

// loop is the worker goroutine: run jobs until the pool stops.
func (w *Worker) loop() {
	defer w.pool.workersDone.Done()
	// Also on runtime.Goexit in a task (unsupported: the worker is gone),
	// so that Close does not wait for a count that can no longer come.
	defer w.publishAccepted()
	for {
		if j := w.findWork(); j != nil {
			w.endSearch()
			w.execute(j)
			continue
		}
		if j := w.search(); j != nil {
			w.endSearch()
			w.execute(j)
			continue
		}
		// Stopping is set after all accepted work finished, so having found
		// none above, w may exit.
		if w.pool.stopping.Load() {
			w.stats.publish()
			return
		}
		w.stats.publish()
		w.publishAccepted()
		w.pool.sleep.park(w, w.pool.hasWorkOrStopping)
	}
}

// execute runs a job on w.
func (w *Worker) execute(j *job) {
	w.tick++
	w.stats.tasks++
	if w.stats.tasks&1023 == 0 {
		w.stats.publish()
	}
	saved := w.ctx
	w.ctx = j.ctx
	j.task.execute(w)
	w.ctx = saved
}

// Context returns the context of the RunContext call whose task w is running,
// or context.Background() outside RunContext. Long-running tasks can watch it
// to stop early.
func (w *Worker) Context() context.Context {
	if w.ctx == nil {
		return context.Background()
	}
	return w.ctx
}

// Err returns the error of the RunContext context whose task w is running:
// non-nil once it is cancelled. Always nil outside RunContext.
func (w *Worker) Err() error {
	if w.ctx == nil {
		return nil
	}
	return w.ctx.Err()
}

// cancelled reports whether the current Run was cancelled.
func (w *Worker) cancelled() bool { return w.ctx != nil && w.ctx.Err() != nil }

// findWork looks once, in order: own forks, own queued tasks, injector, one
// round of stealing. Every injectorEvery jobs the injector goes first, for
// one job: taking a batch there would push onto a task deque that still
// holds work, which grows without bound under a flood and buries the batch's
// oldest entries.
func (w *Worker) findWork() *job {
	if w.tick%injectorEvery == 0 {
		if j := w.takeInjected(1); j != nil {
			return j
		}
	}
	if j := w.popOwn(); j != nil {
		return j
	}
	if j := w.takeInjected(injectorBatch); j != nil {
		return j
	}
	return w.stealRound()
}

// popOwn takes w's own next job: its latest fork, else its latest queued
// task; nil if both deques are empty.
func (w *Worker) popOwn() *job {
	if j, ok := w.deque.Pop(); ok {
		return j
	}
	if j, ok := w.tasks.Pop(); ok {
		return j
	}
	return nil
}

// takeInjected takes up to limit entries from the injector (its fair share,
// see injector.take): one to run now, the rest onto the own task deque, where
// other workers can steal them. Callers pass a batch only when both own
// deques are empty, and 1 otherwise (the fairness check, a worker waiting in
// a Join), so that injected work never piles up.
func (w *Worker) takeInjected(limit int) *job {
	p := w.pool
	n := p.inject.take(w.inbox[:limit], len(p.workers))
	if n == 0 {
		return nil
	}
	w.stats.injected++
	// The lock is released: wrap and publish outside it, newest first, so
	// that the owner's LIFO pops run the batch in submission order.
	for i := n - 1; i >= 1; i-- {
		w.tasks.Push(w.frameFor(w.inbox[i]))
		w.inbox[i] = entry{}
	}
	j := w.frameFor(w.inbox[0])
	w.inbox[0] = entry{}
	if n > 1 {
		p.sleep.notify() // the batch is stealable now
	}
	return j
}

// frameFor returns the job for an injector entry: the entry's own job, or a
// submit frame (recycled when possible) around its function.
func (w *Worker) frameFor(e entry) *job {
	if e.j != nil {
		return e.j
	}
	sf := w.freeFrames.get()
	if sf == nil {
		sf = &submitFrame{}
		sf.task = sf
	}
	sf.fn = e.fn
	return &sf.job
}

// search looks for work for a while as a counted searcher, yielding between
// rounds. It returns nil when there is none, leaving w searching (park then
// moves it to sleeping in one step).
func (w *Worker) search() *job {
	if !w.searching {
		if !w.pool.sleep.startSearch() {
			return nil // enough searchers already: go to sleep
		}
		w.searching = true
	}
	for range w.pool.searchRounds {
		runtime.Gosched()
		if j := w.takeInjected(injectorBatch); j != nil {
			return j
		}
		if j := w.stealRound(); j != nil {
			return j
		}
	}
	return nil
}

// endSearch: w found work; stop counting it as searching.
func (w *Worker) endSearch() {
	if w.searching {
		w.searching = false
		w.pool.sleep.stopSearch()
	}
}

// next returns a pseudo-random number (xorshift64).
func (w *Worker) next() uint64 {
	x := w.rng
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	w.rng = x
	return x
}

// stealRound tries every other worker once, in a random order: a random
// start and a stride coprime with the worker count (as stealOrder in Go's
// runtime/proc.go), so every victim is visited exactly once. A victim whose
// deque was contended (Retry) is worth another round.
func (w *Worker) stealRound() *job {
	ws := w.pool.workers
	n := len(ws)
	if n == 1 {
		return nil
	}
	for attempt := 0; attempt < 4; attempt++ {
		r := w.next()
		start := int(r % uint64(n))
		stride := w.pool.strides[int(r>>32)%len(w.pool.strides)]
		contended := false
		for i, v := 0, start; i < n; i, v = i+1, (v+stride)%n {
			if v == w.id {
				continue
			}
			if j := w.stealFrom(ws[v], &contended); j != nil {
				return j
			}
		}
		if !contended {
			return nil
		}
	}
	return nil
}

// stealFrom makes one attempt on victim v: its forks first, then its
// queued tasks.
func (w *Worker) stealFrom(v *Worker, contended *bool) *job {
	w.stats.stealAttempts++
	j, res := v.deque.TrySteal()
	if res == deque.Empty {
		j, res = v.tasks.TrySteal()
	}
	switch res {
	case deque.Success:
		w.stats.steals++
		// Tell the job's waiter who runs it, for leapfrogging. Stored before
		// running it; the waiter only uses it as a hint.
		j.thief.Store(w)
		return j
	case deque.Retry:
		*contended = true
	}
	return nil
}

// push makes j stealable and wakes a sleeper if nobody is searching. j.ctx
// was set when the fork was recorded (frameStack.push).
func (w *Worker) push(j *job) {
	w.deque.Push(j)
	w.pool.sleep.notify()
}

package scheduler

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/forage-go/forage/deque"
)

// Pool is a set of worker goroutines, each owning work-stealing deques (one
// for its forks, one for the tasks it queues for itself). It is safe for
// concurrent use. Create one with New and release it with Close.
type Pool struct {
	workers []*Worker
	strides []int // numbers coprime with len(workers), for steal orders
	inject  injector
	sleep   sleeper
	cfg     config

	// finished counts accepted work (Submit, external Run) that workers
	// have finished and published (Worker.publishAccepted); once Close has
	// set target (draining), whoever brings finished to target closes
	// drained. All guarded by finishedMu.
	finishedMu sync.Mutex
	finished   int64
	target     int64
	draining   bool
	drained    chan struct{}
	// stopping tells workers to exit once out of work; set by Close after
	// all accepted work has finished.
	stopping    atomic.Bool
	workersDone sync.WaitGroup

	// Idle tuning: pinned workers search longer before parking.
	searchRounds, waitSpins int

	closeOnce sync.Once
	closeErr  error

	panicsMu sync.Mutex
	panics   []error // panics of submitted tasks with no handler, for Close
}

// New starts a pool. With no options it has one worker per usable CPU (see
// WithWorkers and FORAGE_WORKERS). An invalid option fails New with an error
// that names the option and the value.
func New(opts ...Option) (*Pool, error) {
	var cfg config
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("forage: New: nil Option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.workers == 0 {
		n, err := envWorkers()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			n = defaultWorkers()
		}
		cfg.workers = n
	}
	n := cfg.workers
	plan, err := pinPlan(cfg.pinning, n)
	if err != nil {
		return nil, err
	}
	p := &Pool{cfg: cfg, drained: make(chan struct{})}
	if plan != nil {
		p.searchRounds, p.waitSpins = pinnedSearchRounds, pinnedWaitSpins
	} else {
		p.searchRounds, p.waitSpins = searchRounds, waitSpins
	}
	p.sleep.workers = uint32(n)
	for s := 1; s <= n; s++ {
		if gcd(s, n) == 1 {
			p.strides = append(p.strides, s)
		}
	}
	p.workers = make([]*Worker, n)
	for i := range p.workers {
		p.workers[i] = &Worker{
			id:     i,
			key:    newWorkerKey(),
			pool:   p,
			deque:  deque.New[job](0),
			tasks:  deque.New[job](0),
			rng:    uint64(i)*0x9E3779B97F4A7C15 + 0x2545F4914F6CDD1D,
			wake:   make(chan struct{}, 1),
			pinCPU: -1,
		}
	}
	started := make(chan struct{}, n)
	p.workersDone.Add(n)
	for i, w := range p.workers {
		go func() {
			if plan != nil {
				w.pin(plan[i]) // locks the goroutine to its thread for good
			}
			workerByGoid.Store(goid(), w)
			defer workerByGoid.Delete(goid())
			started <- struct{}{}
			w.loop()
		}()
	}
	// Wait until every worker is registered, so that a Run from inside a
	// task always recognises its worker.
	for range n {
		<-started
	}
	return p, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Workers returns the number of workers.
func (p *Pool) Workers() int { return len(p.workers) }

// Stats returns a snapshot of the pool's counters.
func (p *Pool) Stats() Stats {
	s := Stats{Workers: make([]WorkerStats, len(p.workers))}
	for i, w := range p.workers {
		s.Workers[i] = w.stats.snapshot()
		s.Total.add(s.Workers[i])
	}
	return s
}

// hasWorkOrStopping is the sleeper's re-check: is there any job anywhere, or
// is the pool shutting down? Each load follows the caller's SC announce.
func (p *Pool) hasWorkOrStopping() bool {
	if p.stopping.Load() || !p.inject.empty() {
		return true
	}
	for _, w := range p.workers {
		if w.deque.Len() > 0 || w.tasks.Len() > 0 {
			return true
		}
	}
	return false
}

// Run runs fn on a worker of the pool and returns when fn, and everything it
// forked with Join, Scope and Func, has finished. It is safe to call from
// many goroutines at once.
//
// Called from inside a task of the same pool, Run runs fn inline on the
// calling worker. Called from a task of another pool, it queues fn on this
// pool and the calling worker keeps running its own pool's work while it
// waits, so pools may call each other without deadlock.
//
// If any task of the Run panics, Run panics in the caller with a *PanicError
// carrying the first panic's value and stack, after the other tasks of the
// Run have finished; the pool stays usable. After Close, Run panics with
// ErrClosed (use RunContext to get it as an error instead).
func (p *Pool) Run(fn func(w *Worker)) {
	if err := p.run(noContext, fn); err != nil {
		var pe *PanicError
		if errors.As(err, &pe) {
			panic(pe)
		}
		panic(err)
	}
}

// RunContext is Run with cancellation: when ctx is done, tasks of this Run
// that have not started are skipped (see Worker.Err), and RunContext returns
// ctx.Err() once nothing of it runs any more. It returns ErrClosed after
// Close, and a *PanicError if a task panicked.
func (p *Pool) RunContext(ctx context.Context, fn func(w *Worker)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := p.run(ctx, fn); err != nil {
		return err
	}
	return ctx.Err()
}

// noContext is the nil context of a plain Run: its tasks keep the context
// they inherit (none, or the outer RunContext's when Run runs inline), which
// context.Background would override.
var noContext context.Context

// run is Run and RunContext; a panic comes back as a *PanicError.
func (p *Pool) run(ctx context.Context, fn func(w *Worker)) error {
	if w := currentWorker(); w != nil && w.pool == p {
		return w.runInline(ctx, fn)
	} else if w != nil {
		return p.runFromOtherPool(w, ctx, fn)
	}
	rj := &rootJob{fn: fn, done: make(chan struct{})}
	rj.task, rj.ctx = rj, ctx
	if !p.inject.push(entry{j: &rj.job}, true) {
		return ErrClosed
	}
	p.sleep.notify()
	<-rj.done
	if rj.panic != nil {
		return rj.panic
	}
	return nil
}

// runInline runs fn on w itself (Run from inside a task of this pool).
func (w *Worker) runInline(ctx context.Context, fn func(w *Worker)) (err error) {
	saved := w.ctx
	if ctx != nil {
		w.ctx = ctx
	}
	defer func() {
		if v := recover(); v != nil {
			err = asPanicError(v)
		}
		w.ctx = saved
	}()
	fn(w)
	return nil
}

// runFromOtherPool queues fn on p and keeps w (a worker of another pool)
// busy with its own pool's work until fn has finished.
func (p *Pool) runFromOtherPool(w *Worker, ctx context.Context, fn func(w *Worker)) error {
	rj := &rootJob{fn: fn}
	rj.task, rj.ctx = rj, ctx
	rj.latch.waiter = w
	rj.latch.reset()
	if !p.inject.push(entry{j: &rj.job}, true) {
		return ErrClosed
	}
	p.sleep.notify()
	w.waitFor(&rj.job)
	if rj.panic != nil {
		return rj.panic
	}
	return nil
}

// rootJob is a Run queued from outside the pool.
type rootJob struct {
	job
	fn    func(w *Worker)
	done  chan struct{} // closed when finished, for a non-worker caller
	panic *PanicError
}

func (rj *rootJob) execute(w *Worker) {
	defer w.finishAccepted()
	defer func() {
		if v := recover(); v != nil {
			rj.panic = asPanicError(v)
		}
		if rj.done != nil {
			close(rj.done) // publishes rj.panic to the waiting caller
		} else {
			rj.latch.set()
		}
	}()
	if w.cancelled() {
		return // cancelled before it started
	}
	rj.fn(w)
}

// Submit queues fn to run on the pool and returns at once. It returns
// ErrClosed after Close has begun (and an error for a nil fn); otherwise fn
// will run exactly once. A panic in fn goes to the panic handler
// (WithPanicHandler), or else is kept and returned by Close. Safe from any
// goroutine, including tasks. Tasks submitted from one goroutine start
// roughly in submission order (FIFO, give or take a batch).
func (p *Pool) Submit(fn func(w *Worker)) error {
	if fn == nil {
		return errNilSubmit
	}
	// No allocation here: the worker that takes fn wraps it in one of its
	// recycled frames (submitFrame).
	if !p.inject.push(entry{fn: fn}, true) {
		return ErrClosed
	}
	p.sleep.notify()
	return nil
}

var errNilSubmit = errors.New("forage: Submit: nil func")

// submitFrame carries a submitted function through a worker's deque. Frames
// are recycled: whichever worker runs one keeps it on its own free list
// (Worker.frameFor), so a steady flood of Submits allocates nothing.
type submitFrame struct {
	job
	fn func(w *Worker)
}

func (sf *submitFrame) execute(w *Worker) {
	fn := sf.fn
	// Nothing else refers to sf once it is running: it left the deque when
	// it was popped or stolen, and a submitted task has no waiter.
	sf.fn = nil
	w.freeFrames.put(sf)
	w.runSubmitted(fn)
}

// runSubmitted runs a submitted function, handing a panic to the pool.
func (w *Worker) runSubmitted(fn func(w *Worker)) {
	defer func() {
		if v := recover(); v != nil {
			w.pool.reportPanic(asPanicError(v))
		}
		w.finishAccepted()
	}()
	fn(w)
}

// finishAccepted counts one piece of accepted work (Submit, external Run) as
// finished. The count stays owner-local, with no atomic and no signal per
// task, until w runs out of work: see Pool.waitAccepted.
func (w *Worker) finishAccepted() { w.acceptedLocal++ }

// publishAccepted adds what w finished since its last call to the pool's
// count, under finishedMu, and ends Close's wait if that was the last piece.
// Called whenever w runs out of work (Worker.loop, before it parks), and when
// its goroutine exits: a lock per idle transition that follows accepted work,
// never per task.
func (w *Worker) publishAccepted() {
	d := w.acceptedLocal - w.acceptedPublished
	if d == 0 {
		return
	}
	w.acceptedPublished = w.acceptedLocal
	p := w.pool
	p.finishedMu.Lock()
	p.finished += d
	if p.draining && p.finished == p.target {
		close(p.drained)
	}
	p.finishedMu.Unlock()
}

// reportPanic hands a submitted task's panic to the handler, or keeps it for
// Close. A panicking handler is kept too: nothing is lost, and the worker
// survives.
func (p *Pool) reportPanic(pe *PanicError) {
	if h := p.cfg.panicHandler; h != nil {
		func() {
			defer func() {
				if v := recover(); v != nil {
					p.keepPanic(asPanicError(v))
				}
			}()
			h(pe)
		}()
		return
	}
	p.keepPanic(pe)
}

func (p *Pool) keepPanic(pe *PanicError) {
	p.panicsMu.Lock()
	p.panics = append(p.panics, pe)
	p.panicsMu.Unlock()
}

// Close stops accepting work, waits for everything accepted to finish, then
// stops the workers and waits for their goroutines to exit. It returns the
// panics of submitted tasks that no handler took, joined (errors.Join), each
// a *PanicError. Close is idempotent and safe to call concurrently with
// Submit, Run and other Close calls: every call waits and returns the same
// result. Calling Close from inside one of the pool's own tasks deadlocks.
func (p *Pool) Close() error {
	p.closeOnce.Do(func() {
		p.waitAccepted(p.inject.close())
		// Set only once nothing accepted is left: a worker that sees it
		// (loop, or the sleep re-check) may exit. The SC store pairs with the
		// re-check's load, so no worker parks for good after it (wakeAll
		// takes the ones already on the list).
		p.stopping.Store(true)
		p.sleep.wakeAll()
		p.workersDone.Wait()
		keysMu.Lock()
		for _, w := range p.workers {
			keysFree = append(keysFree, w.key)
		}
		keysMu.Unlock()
		p.panicsMu.Lock()
		p.closeErr = errors.Join(p.panics...)
		p.panicsMu.Unlock()
	})
	return p.closeErr
}

// waitAccepted blocks until workers have finished the given number of
// pieces of accepted work (Submit, Run from outside). Workers count them owner-locally
// (finishAccepted: no atomic, no signal per task) and publish the count
// whenever they run out of work (publishAccepted). That is enough: once all
// accepted work is done, all work is (everything else is forked or spawned
// inside it and joined before it finishes), so every worker goes idle and
// publishes its final count. Signalling a waiting Close per task instead
// halved the rate at which two workers drained a backlog (docs/design.md §7).
func (p *Pool) waitAccepted(accepted int64) {
	p.finishedMu.Lock()
	p.target, p.draining = accepted, true
	if p.finished == accepted {
		close(p.drained)
	}
	p.finishedMu.Unlock()
	<-p.drained
}

// Worker keys index Func frame stacks; freed keys are reused so that a
// program that makes many short-lived pools does not grow those stacks.
var (
	keysMu   sync.Mutex
	keysFree []int
	keysNext int
)

func newWorkerKey() int {
	keysMu.Lock()
	defer keysMu.Unlock()
	if n := len(keysFree); n > 0 {
		k := keysFree[n-1]
		keysFree = keysFree[:n-1]
		return k
	}
	keysNext++
	return keysNext - 1
}

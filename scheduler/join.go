package scheduler

import "runtime"

// waitSpins: how many fruitless help rounds a worker waiting for a stolen
// job makes (yielding between them) before it parks until the job's latch
// is set or new work appears.
const waitSpins = 64

// Join runs a and b, possibly in parallel, and returns when both have
// finished. b is made stealable and a runs at once on w; if nobody stole b,
// w runs it next. If b was stolen, w keeps running other work — first the
// thief's, then anyone's — until b is done, so a waiting worker never blocks
// while work exists and Join never deadlocks, whatever the worker count.
//
// If a or b panics, Join still waits for the other, then panics with a
// *PanicError for the first panic observed (a's if both do, as a finishes
// first when b is not stolen). When w's deque already holds work for thieves,
// b is not made stealable: a and b run one after the other on w (lazy
// splitting), which keeps the cost of a fork near a plain call.
//
// The closures cost allocations: b is stored for thieves, so it escapes to
// the heap (one allocation), as does each variable it captures and writes
// (typically one more). Func avoids both for hot recursive code.
func (w *Worker) Join(a, b func(w *Worker)) {
	if w.deque.Len() > 0 {
		// Thieves already have something to take from us: no fork.
		a(w)
		b(w)
		return
	}
	fr := w.closureFrame()
	fr.fn = b
	fr.latch.reset()
	w.push(&fr.job)
	w.joinTail(a, &fr.job, func() { b(w) })
	p := fr.panic
	fr.fn = nil
	w.frames = append(w.frames, fr)
	if p != nil {
		panic(p)
	}
}

// joinTail runs a, then b's job: popped back and run inline (runB), or waited
// for if stolen. Panics in a are held until b's job has finished.
func (w *Worker) joinTail(a func(w *Worker), bj *job, runB func()) {
	var aPanic *PanicError
	func() {
		defer func() {
			if v := recover(); v != nil {
				aPanic = asPanicError(v)
			}
		}()
		a(w)
	}()
	if j, ok := w.deque.Pop(); ok {
		if j != bj {
			panic("forage: internal error: join popped a foreign job")
		}
		if aPanic != nil {
			defer panic(aPanic) // b still runs, then a's panic goes on
		}
		runB()
		return
	}
	w.waitFor(bj)
	if aPanic != nil {
		panic(aPanic)
	}
}

// closureFrame is a stealable job for closure Join.
type closureFrame struct {
	job
	fn    func(w *Worker)
	panic *PanicError
}

func (fr *closureFrame) execute(w *Worker) {
	defer fr.latch.set() // last touch of fr: the owner may reuse it after
	defer func() {
		if v := recover(); v != nil {
			fr.panic = asPanicError(v)
		}
	}()
	if w.cancelled() {
		return
	}
	fr.fn(w)
}

// closureFrame takes a frame from w's free list.
func (w *Worker) closureFrame() *closureFrame {
	if n := len(w.frames); n > 0 {
		fr := w.frames[n-1]
		w.frames = w.frames[:n-1]
		fr.panic = nil
		return fr
	}
	fr := &closureFrame{}
	fr.task = fr
	fr.latch.waiter = w
	return fr
}

// waitFor runs other work until j's latch is set: the stolen job j was
// forked by w. Order: own deque (jobs forked meanwhile), the thief's deque
// (leapfrogging: what it runs is part of j), any deque, the injector; after
// waitSpins fruitless rounds, park until the latch is set or work appears.
func (w *Worker) waitFor(j *job) {
	spins := 0
	for !j.latch.probe() {
		if t := w.helpFind(j); t != nil {
			w.endSearch()
			w.execute(t)
			spins = 0
			continue
		}
		if spins++; spins < waitSpins {
			runtime.Gosched()
			continue
		}
		spins = 0
		if j.latch.announceSleep() {
			w.pool.sleep.park(w, func() bool {
				return j.latch.probe() || w.pool.hasWorkOrStopping()
			})
			// Woken by the latch or by new work: withdraw the announcement
			// unless the latch was set.
			j.latch.cancelSleep()
		}
	}
	w.endSearch()
}

// helpFind finds one job for a worker waiting for j.
func (w *Worker) helpFind(j *job) *job {
	if t, ok := w.deque.Pop(); ok {
		return t
	}
	if th := j.thief.Load(); th > 0 {
		var contended bool
		if t := w.stealFrom(w.pool.workers[th-1], &contended); t != nil {
			return t
		}
	}
	if t := w.stealRound(); t != nil {
		return t
	}
	return w.takeInjected()
}

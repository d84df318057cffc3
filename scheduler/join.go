package scheduler

import (
	"runtime"

	"github.com/forage-go/forage/internal/chaos"
)

// waitSpins: how many fruitless help rounds a worker waiting for a stolen
// job makes (yielding between them) before it parks until the job's latch
// is set or new work appears.
const waitSpins = 64

// Join runs a and b, possibly in parallel, and returns when both have
// finished. a runs at once on w; b is recorded as a latent fork, offered to
// thieves oldest first whenever w has nothing else on offer (latent.go). If
// nobody stole b, w runs it next; if b was stolen, w keeps running other
// work — first the thief's, then anyone's — until b is done, so a waiting
// worker never blocks while work exists and Join never deadlocks, whatever
// the worker count.
//
// Panics: if a panics, Join does not run b itself — as in serial code. b
// runs only if a thief has taken it, or if this worker, while the panic
// waits for a stolen half of some join nested in a, helps with other work
// and picks b up like any offered job; in both cases Join waits until b has
// finished. If b panics, a has finished. Either way the panic leaves Join
// only when no part of the join runs any more: the first panic (a's if both
// panic), as a *PanicError or as the value itself (see the package doc,
// Panics). Run's caller always gets a *PanicError. (Always running b after
// a's panic, as rayon does, would need a deferred guard on every join:
// ~2.5 ns, half the cost of a fork; docs/design.md.)
//
// Under a RunContext whose context is cancelled, a half that a thief picks
// up after the cancellation is skipped, not run, and Join returns normally;
// code that must know whether both halves ran checks w.Err() after Join.
//
// The closures cost allocations: b is stored for thieves, so it escapes to
// the heap (one allocation), as does each variable the closures capture and
// write (typically one more). Func avoids both for hot recursive code.
func (w *Worker) Join(a, b func(w *Worker)) {
	// The common case first, as in Func.Join: enough forks are latent and
	// thieves have something to take, so the pair runs plainly. joinSlow
	// does the rest.
	if st := w.closureStack; st != nil && !alwaysOffer &&
		st.budgetMet() && w.deque.Len() != 0 {
		a(w)
		b(w)
		return
	}
	w.joinSlow(a, b)
}

// joinSlow is Join when its fast path's test fails: Func.Join's steps on
// closureJoin's frames, except that a is called directly (through the Func
// it would be an argument of an indirect call, which escape analysis must
// assume escapes: one more allocation).
func (w *Worker) joinSlow(a, b func(w *Worker)) {
	st := w.closureStack // closureJoin.stackFor(w), cached: one load
	if st == nil {
		st = closureJoin.stackFor(w)
		w.closureStack = st
	}
	if !alwaysOffer && st.budgetMet() {
		// Not recorded: run the pair plainly, after keeping one fork on
		// offer, as in Func.joinSlow.
		st.keepOffer(w)
		a(w)
		b(w)
		return
	}
	st.relax()
	fr := st.push(b)
	st.keepOffer(w)
	first := true
	defer func() {
		if first {
			st.afterPanic(w, fr, recover())
		}
	}()
	a(w)
	first = false
	if st.secondInline(w, fr) {
		b(w)
		return
	}
	if _, p := st.takeStolen(fr); p != nil {
		panic(p)
	}
}

// closureJoin provides the frames of closure joins: a thief runs b through
// it.
var closureJoin = NewFunc(func(w *Worker, fn func(w *Worker)) struct{} {
	fn(w)
	return struct{}{}
})

// waitFor runs other work until j's latch is set: the stolen job j was
// forked by w. Order: own deques (jobs forked or queued meanwhile), the
// thief's deques (leapfrogging: what it runs is part of j), any deque, the
// injector; after waitSpins fruitless rounds, park until the latch is set or
// work appears.
func (w *Worker) waitFor(j *job) {
	spins := 0
	for !j.latch.probe() {
		if t := w.helpFind(j); t != nil {
			w.endSearch()
			w.execute(t)
			spins = 0
			continue
		}
		if spins++; spins < w.pool.waitSpins {
			runtime.Gosched()
			continue
		}
		spins = 0
		if j.latch.announceSleep() {
			chaos.Point() // between announcing on the latch and parking
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
	if t := w.popOwn(); t != nil {
		return t
	}
	if th := j.thief.Load(); th != nil && th != w && th.pool == w.pool {
		var contended bool
		if t := w.stealFrom(th, &contended); t != nil {
			return t
		}
	}
	if t := w.stealRound(); t != nil {
		return t
	}
	return w.takeInjected(1)
}

package scheduler

import (
	"sync"
	"sync/atomic"

	"github.com/forage-go/forage/internal/chaos"
)

// The sleep protocol: how idle workers park and how new work wakes them
// without a lost wake-up. docs/design.md argues it in prose; sleep.pml
// model-checks it. In short:
//
//   - state packs two counts in one word: workers searching for work (low
//     half) and workers parked or about to park (high half). One atomic add
//     moves a worker from searching to sleeping, so no observer sees it as
//     neither.
//   - A worker that finds no work announces itself (idle list + state), then
//     re-checks every deque and the injector, and parks only if all are
//     still empty (Dekker: its announce is an SC write before those loads).
//   - Whoever publishes work (deque push, injector push) loads state after
//     the publishing SC store, and wakes one sleeper if there are sleepers and
//     no searcher. Either the publisher sees the announced sleeper, or the
//     sleeper's re-check sees the work. (An injector push into a non-empty
//     queue stores nothing: the push that made it non-empty did, and
//     inject.go's nonEmpty comment argues why that is enough.)
//   - A publisher that sees a searcher skips the wake: that searcher will
//     either find the work, or stop searching — and a searcher that stops
//     re-checks after announcing sleep, or, if it found other work and was
//     the last searcher, wakes a sleeper to keep searching.
//   - Woken workers come back as searchers: the waker moves them from the
//     sleeping to the searching count.
//
// No syscall and no lock on the fast path: a busy pool only loads state once
// per published job. The cap on searchers (at most about half of the busy
// workers, as in Go's runtime and Tokio) keeps a mostly idle pool from
// burning CPU on steal attempts.

const (
	searcherOne uint64 = 1
	sleeperOne  uint64 = 1 << 32
	// Two's-complement negations, for atomic adds that subtract.
	minusSearcher     = ^searcherOne + 1
	sleeperToSearcher = searcherOne + ^sleeperOne + 1
	searcherToSleeper = sleeperOne - searcherOne
)

func searchingOf(st uint64) uint32 { return uint32(st) }
func sleepingOf(st uint64) uint32  { return uint32(st >> 32) }

type sleeper struct {
	// state: searching count in the low 32 bits, sleeping count in the high.
	// Changed by atomic adds (search transitions) and under mu (sleep
	// transitions), loaded lock-free by publishers.
	state   atomic.Uint64
	workers uint32

	mu   sync.Mutex
	idle []*Worker // parked (or about to park) workers, LIFO; guarded by mu
}

// startSearch counts the caller as searching unless enough workers already
// search: at most half of the workers that are not sleeping, but always one.
func (s *sleeper) startSearch() bool {
	for {
		st := s.state.Load()
		busy := s.workers - sleepingOf(st)
		if n := searchingOf(st); n > 0 && 2*n >= busy {
			return false
		}
		// CAS so that the cap is checked against the state we change.
		if s.state.CompareAndSwap(st, st+searcherOne) {
			return true
		}
	}
}

// stopSearch removes the caller from the searching count. If it was the last
// searcher and workers sleep, it wakes one to search in its place: the caller
// found work, so more may be coming, and publishers that skipped their wake
// because the caller was searching are counting on a searcher.
func (s *sleeper) stopSearch() {
	st := s.state.Add(minusSearcher)
	if searchingOf(st) == 0 && sleepingOf(st) > 0 {
		s.wakeOne()
	}
}

// notify is called after publishing work: wake a sleeper if nobody searches.
func (s *sleeper) notify() {
	chaos.Point() // between publishing work and looking for sleepers
	// The load follows the SC store that published the work (Dekker).
	// Nobody searching and someone sleeping, in one test: the searching
	// count (low half) is zero and the word is not (kept small enough for
	// the compiler to inline notify).
	if st := s.state.Load(); uint32(st) == 0 && st != 0 {
		s.wakeOne()
	}
}

// wakeOne takes one parked worker off the idle list, counts it as searching,
// and hands it a wake token.
func (s *sleeper) wakeOne() {
	s.mu.Lock()
	n := len(s.idle)
	if n == 0 {
		s.mu.Unlock()
		return
	}
	w := s.idle[n-1]
	s.idle[n-1] = nil
	s.idle = s.idle[:n-1]
	w.onIdleList = false
	// Under mu: the worker's own cancel (unregister) checks onIdleList under
	// mu too, so exactly one of us moves its count.
	s.state.Add(sleeperToSearcher)
	s.mu.Unlock()
	s.wakeWorker(w)
}

// wakeAll wakes every parked worker (shutdown).
func (s *sleeper) wakeAll() {
	for {
		s.mu.Lock()
		n := len(s.idle)
		s.mu.Unlock()
		if n == 0 {
			return
		}
		s.wakeOne()
	}
}

// wakeWorker hands w a wake token. The channel holds one token; if one is
// already pending, w will wake anyway, and every park re-checks its
// conditions, so a dropped duplicate loses nothing.
func (s *sleeper) wakeWorker(w *Worker) {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// register announces w as sleeping; w stops counting as searching if it
// was. After it, w must re-check for work before parking.
func (s *sleeper) register(w *Worker) {
	delta := sleeperOne
	if w.searching {
		delta = searcherToSleeper
		w.searching = false
	}
	s.mu.Lock()
	s.idle = append(s.idle, w)
	w.onIdleList = true
	// SC add: the Dekker write that the re-check loads follow.
	s.state.Add(delta)
	s.mu.Unlock()
}

// unregister takes w off the idle list if a waker has not already done so,
// and counts it as searching (as a waker would have).
func (s *sleeper) unregister(w *Worker) {
	s.mu.Lock()
	if w.onIdleList {
		for i := len(s.idle) - 1; i >= 0; i-- {
			if s.idle[i] == w {
				s.idle = append(s.idle[:i], s.idle[i+1:]...)
				break
			}
		}
		w.onIdleList = false
		s.state.Add(sleeperToSearcher)
	}
	s.mu.Unlock()
	w.searching = true
}

// park blocks w until it is woken, unless ready reports true after w has
// announced itself (the re-check). On return w counts as searching.
func (s *sleeper) park(w *Worker, ready func() bool) {
	s.register(w)
	chaos.Point() // between announcing sleep and re-checking
	if ready() {
		s.unregister(w)
		return
	}
	w.stats.parks++
	<-w.wake
	w.stats.wakeups++
	s.unregister(w) // no-op if the waker took us off the list
}

package scheduler_test

import (
	"context"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forage-go/forage/scheduler"
)

// TestLateOfferKeepsItsRunsContext: a fork recorded as latent under one Run
// and offered later, while its worker runs code under another RunContext
// (here inline, and then cancelled), still belongs to the first Run: the
// thief that takes it runs it instead of skipping it as cancelled. (Found
// by review: the context used to be taken when the fork was offered, and
// the outer Join silently returned a zero second result.)
func TestLateOfferKeepsItsRunsContext(t *testing.T) {
	p := newPool(t, 2)
	release := make(chan struct{})
	blockerStarted := make(chan struct{})
	stolenOuter := make(chan struct{})
	ctxB, cancel := context.WithCancel(context.Background())
	defer cancel()
	var secondRan atomic.Bool
	var fa *scheduler.Func[int, int]
	fa = scheduler.NewFunc(func(w *scheduler.Worker, op int) int {
		switch op {
		case 1: // the first call of the latent join, on the Run's worker
			close(release) // the other worker is free now: it steals the outer fork
			select {
			case <-stolenOuter:
			case <-time.After(hangTimeout / 2):
				t.Error("the outer fork was never stolen")
				return 1
			}
			// Inline RunContext under ctxB: its first fork offers the
			// latent fa fork (the deque is empty again).
			_ = p.RunContext(ctxB, func(w *scheduler.Worker) { fa.Join(w, 3, 4) })
			return 1
		case 2:
			secondRan.Store(true)
			return 2
		case 3: // inside the inner RunContext, with the fa fork on offer
			cancel()
			// Until the free worker has taken the offer: only w pops its
			// deque, and w forks nothing here, so empty means stolen.
			// (Waiting for the steal count to move instead could wait
			// forever: workers publish their counts when they run out of
			// work, possibly before this snapshot. Found by review.)
			deadline := time.Now().Add(hangTimeout / 2)
			for scheduler.ForkDequeLen(w) != 0 && time.Now().Before(deadline) {
				runtime.Gosched()
			}
			if scheduler.ForkDequeLen(w) != 0 {
				t.Error("the free worker never took the offer")
			}
			return 3
		}
		return op
	})
	var r2 int
	within(t, hangTimeout, func() {
		if err := p.Submit(func(*scheduler.Worker) { close(blockerStarted); <-release }); err != nil {
			t.Fatal(err)
		}
		<-blockerStarted
		p.Run(func(w *scheduler.Worker) {
			w.Join(func(w *scheduler.Worker) {
				_, r2 = fa.Join(w, 1, 2) // the deque holds the outer fork: latent
			}, func(*scheduler.Worker) { close(stolenOuter) })
		})
	})
	if r2 != 2 || !secondRan.Load() {
		t.Fatalf("the Run was never cancelled, but its Join's second call was skipped: r2=%d ran=%v", r2, secondRan.Load())
	}
}

// TestJoinKeepsNothingAlive: once Join, Run and Close have returned, the
// frame that recorded b no longer references b or what b captured.
func TestJoinKeepsNothingAlive(t *testing.T) {
	p, err := scheduler.New(scheduler.WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	freed := make(chan struct{})
	func() {
		buf := new([1 << 20]byte)
		runtime.SetFinalizer(buf, func(*[1 << 20]byte) { close(freed) })
		p.Run(func(w *scheduler.Worker) {
			w.Join(func(*scheduler.Worker) {}, func(*scheduler.Worker) { buf[0]++ })
		})
	}()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	// A collection queues the finalizer, which then needs its goroutine to
	// run: collect again every 20 ms until it has, up to hangTimeout (the
	// bound only turns a hang into a failure; a loaded machine needs room).
	deadline := time.Now().Add(hangTimeout)
	for time.Now().Before(deadline) {
		runtime.GC()
		select {
		case <-freed:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatal("b's captured buffer is still reachable after Join, Run and Close returned")
}

// TestOneOfferAcrossFuncs: two Funcs whose recursions nest in each other,
// so that every join misses the worker's one-entry stack cache, never put a
// second fork on offer (latent.go: a fork is promoted only while the fork
// deque is empty). One worker, so nothing is stolen and the deque changes
// only by the joins themselves. (A fast path that left the emptiness test to
// the cache-hit case promoted onto a non-empty deque after a cache miss.)
func TestOneOfferAcrossFuncs(t *testing.T) {
	if scheduler.AlwaysOffer {
		t.Skip("the forage_alwayspush build offers every fork")
	}
	p := newPool(t, 1)
	most := 0 // written by the one worker; read after Run, which orders it
	// fs[i] forks through fs[1-i]: every join is of the other Func.
	var fs [2]*scheduler.Func[int, int]
	for i := range fs {
		other := &fs[1-i]
		fs[i] = scheduler.NewFunc(func(w *scheduler.Worker, n int) int {
			most = max(most, scheduler.ForkDequeLen(w))
			if n == 0 {
				return 1
			}
			x, y := (*other).Join(w, n-1, n-1)
			return x + y
		})
	}
	const depth = 12
	var got int
	p.Run(func(w *scheduler.Worker) { got = fs[0].Call(w, depth) })
	if got != 1<<depth {
		t.Fatalf("counted %d leaves, want %d", got, 1<<depth)
	}
	if most != 1 {
		t.Fatalf("the fork deque held up to %d forks, want exactly 1 (one offer at a time)", most)
	}
}

// TestInlineMatchesJoin: Func.Inline is true when Join would take its
// plain fast path, and then a fork is on offer. One worker, so nothing is
// stolen and the sequence is fixed: the first join records its fork and
// offers it (the deque was empty), the next LatentBudget joins record
// theirs as latent, and from then on Inline holds while the offer stays in
// the deque — except right after a join of another Func, which takes over
// the worker's one-entry cache until f's next join. A chain: each join's
// first call goes one level deeper, its second is a leaf.
func TestInlineMatchesJoin(t *testing.T) {
	if scheduler.AlwaysOffer {
		t.Skip("the forage_alwayspush build offers every fork")
	}
	p := newPool(t, 1)
	const depth = 2*scheduler.LatentBudget + 4
	const other = scheduler.LatentBudget + 2 // the level that joins g too
	var inline [depth]bool
	var offered [depth]int
	afterOther, insideOther := true, true
	// g is another chain, deep enough to meet its own budget; at its
	// bottom, the cache names g's stack, not f's.
	var f, g *scheduler.Func[int, int]
	g = scheduler.NewFunc(func(w *scheduler.Worker, n int) int {
		if n < 0 {
			return 1
		}
		if n == 0 {
			insideOther = f.Inline(w)
			return 1
		}
		x, y := g.Join(w, n-1, -1)
		return x + y
	})
	f = scheduler.NewFunc(func(w *scheduler.Worker, n int) int {
		if n < 0 || n == depth {
			return 1
		}
		inline[n] = f.Inline(w)
		offered[n] = scheduler.ForkDequeLen(w)
		if n == other {
			g.Call(w, scheduler.LatentBudget+2)
			afterOther = f.Inline(w)
		}
		x, y := f.Join(w, n+1, -1)
		return x + y
	})
	var got int
	early := true
	p.Run(func(w *scheduler.Worker) {
		early = f.Inline(w)
		got = f.Call(w, 0)
	})
	if early {
		t.Fatal("Inline is true before any join of f on this worker")
	}
	if got != depth+1 {
		t.Fatalf("counted %d leaves, want %d", got, depth+1)
	}
	for n := range depth {
		if want := n > scheduler.LatentBudget; inline[n] != want {
			t.Fatalf("Inline at join %d is %v, want %v", n, inline[n], want)
		}
		if inline[n] && offered[n] != 1 {
			t.Fatalf("%d forks on offer at join %d, where Inline is true; want 1", offered[n], n)
		}
	}
	if insideOther || afterOther {
		t.Fatalf("f.Inline is %v inside and %v right after another Func's joins; want false", insideOther, afterOther)
	}
}

// TestInlineFalseWhileNothingOnOffer: once a thief has taken the worker's
// offer, Inline is false although the latent budget is met — the next Join
// must run its slow path, which offers the oldest latent fork — and true
// again once the budget is refilled (the offer used one latent fork, so
// the join after it records its own). Two workers: the second is held by a submitted
// task until the chain is deep enough, then steals the offer (the first
// join's second call), which holds it until the checks are done, so that
// it cannot take the next offer as well.
func TestInlineFalseWhileNothingOnOffer(t *testing.T) {
	if scheduler.AlwaysOffer {
		t.Skip("the forage_alwayspush build offers every fork")
	}
	p := newPool(t, 2)
	hold := make(chan struct{})
	release := holdOneWorker(p) // the other worker is busy: the Run's task goes to this one

	const steal = scheduler.LatentBudget + 2 // the level where the offer is stolen
	var before, whileTaken, after bool
	var reoffered int
	stolen := false
	var f *scheduler.Func[int, int]
	f = scheduler.NewFunc(func(w *scheduler.Worker, n int) int {
		switch {
		case n == -2: // the first join's second call, run by the thief
			<-hold
			return 1
		case n < 0:
			return 1
		case n == steal:
			before = f.Inline(w)
			release() // the other worker goes idle and steals the offer
			deadline := time.Now().Add(hangTimeout / 2)
			for scheduler.ForkDequeLen(w) != 0 && time.Now().Before(deadline) {
				runtime.Gosched()
			}
			stolen = scheduler.ForkDequeLen(w) == 0
			whileTaken = f.Inline(w)
		case n == steal+2:
			// The join at steal offered the next latent fork, which left
			// the budget one short: the join at steal+1 recorded its fork.
			reoffered = scheduler.ForkDequeLen(w)
			after = f.Inline(w)
			close(hold)
			return 1
		}
		second := -1
		if n == 0 {
			second = -2
		}
		x, y := f.Join(w, n+1, second)
		return x + y
	})
	var got int
	within(t, hangTimeout, func() {
		p.Run(func(w *scheduler.Worker) { got = f.Call(w, 0) })
	})
	if got != steal+3 {
		t.Fatalf("counted %d leaves, want %d", got, steal+3)
	}
	if !before {
		t.Fatal("Inline is false with the budget met and the fork on offer")
	}
	if !stolen {
		t.Fatal("the idle worker never stole the offer")
	}
	if whileTaken {
		t.Fatal("Inline is true while nothing is on offer")
	}
	if reoffered != 1 || !after {
		t.Fatalf("two joins later: %d forks on offer and Inline %v; want 1 and true", reoffered, after)
	}
}

// TestBudgetAdapts: a stack's latent budget doubles, up to MaxLatentBudget,
// each time its owner reaches the join of a fork a thief took, and halves
// after BudgetRelax recorded forks without that happening again (latent.go,
// "The budget adapts"); the fast path then follows the new budget.
func TestBudgetAdapts(t *testing.T) {
	if scheduler.AlwaysOffer {
		t.Skip("the forage_alwayspush build records every fork: no budget")
	}
	p := newPool(t, 2)
	stolen := make(chan struct{}, 1)
	const chainLen = 12 // chain levels 1000..1000+chainLen: see below
	var inlines []bool
	var f *scheduler.Func[int, int]
	f = scheduler.NewFunc(func(w *scheduler.Worker, n int) int {
		switch {
		case n == 1: // a second call that a thief must take
			stolen <- struct{}{}
		case n == 2: // the first call: wait until the thief has the second
			select {
			case <-stolen:
			case <-time.After(hangTimeout / 2):
				panic("the idle worker never stole the offer")
			}
		case n >= 1000: // a chain of joins, level n-1000
			inlines = append(inlines, f.Inline(w))
			if n-1000 < chainLen {
				f.Join(w, n+1, 0)
			}
		}
		return n
	})
	var budgets []int
	within(t, hangTimeout, func() {
		p.Run(func(w *scheduler.Worker) {
			budgets = append(budgets, scheduler.StackBudget(f, w))
			// Three joins whose offered second call the idle worker takes:
			// the join finds it stolen each time.
			for range 3 {
				if x, y := f.Join(w, 2, 1); x != 2 || y != 1 {
					panic("wrong results")
				}
				budgets = append(budgets, scheduler.StackBudget(f, w))
			}
			// Keep the other worker busy, so that nothing is stolen, and
			// record forks: BudgetRelax of them halve the budget once.
			defer holdOneWorker(p)()
			for range scheduler.BudgetRelax - 1 {
				f.Join(w, 0, 0)
			}
			budgets = append(budgets, scheduler.StackBudget(f, w))
			f.Join(w, 0, 0)
			budgets = append(budgets, scheduler.StackBudget(f, w))
			// A chain of joins under the halved budget B: the first join
			// offers its fork, the next B-1 are latent, so Inline (the fast
			// path's test) is false down to level B and true below.
			f.Call(w, 1000)
		})
	})
	b, m := scheduler.LatentBudget, scheduler.MaxLatentBudget
	want := []int{b, min(2*b, m), min(4*b, m), min(8*b, m), min(8*b, m), min(8*b, m) / 2}
	if !slices.Equal(budgets, want) {
		t.Fatalf("budgets %v, want %v", budgets, want)
	}
	halved := want[len(want)-1]
	for level, got := range inlines {
		if got != (level > halved) {
			t.Fatalf("budget %d: Inline at chain level %d is %v (all levels: %v)", halved, level, got, inlines)
		}
	}
	if len(inlines) != chainLen+1 {
		t.Fatalf("chain ran %d levels, want %d", len(inlines), chainLen+1)
	}
}

// TestBudgetAdaptsClosureJoin: the same for Worker.Join's frame stack.
func TestBudgetAdaptsClosureJoin(t *testing.T) {
	if scheduler.AlwaysOffer {
		t.Skip("the forage_alwayspush build records every fork: no budget")
	}
	p := newPool(t, 2)
	noop := func(*scheduler.Worker) {}
	var budgets []int
	within(t, hangTimeout, func() {
		p.Run(func(w *scheduler.Worker) {
			var ids [2]int
			budgets = append(budgets, scheduler.ClosureBudget(w))
			forceStolenJoin(t, w, &ids, noop, noop)
			budgets = append(budgets, scheduler.ClosureBudget(w))
			defer holdOneWorker(p)()
			for range scheduler.BudgetRelax - 1 {
				w.Join(noop, noop)
			}
			budgets = append(budgets, scheduler.ClosureBudget(w))
			w.Join(noop, noop)
			budgets = append(budgets, scheduler.ClosureBudget(w))
		})
	})
	b, m := scheduler.LatentBudget, scheduler.MaxLatentBudget
	if want := []int{b, min(2*b, m), min(2*b, m), b}; !slices.Equal(budgets, want) {
		t.Fatalf("budgets %v, want %v", budgets, want)
	}
}

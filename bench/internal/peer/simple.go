package peer

import (
	"sync"

	"github.com/sourcegraph/conc"
	"github.com/sourcegraph/conc/pool"
)

// goroutinePeer starts a goroutine per fork or task and waits with a
// sync.WaitGroup: no pool at all, the Go runtime schedules everything.
type goroutinePeer struct{ wg sync.WaitGroup }

// Goroutine returns the goroutine-per-task peer.
func Goroutine() Factory {
	return Factory{
		Name:      "goroutine",
		Recursive: "`go a()`, run the other half, `sync.WaitGroup.Wait`",
		Flat:      "`go f()` per task, one `sync.WaitGroup`",
		New:       func(int, Mode) Peer { return new(goroutinePeer) },
	}
}

func (g *goroutinePeer) Fork(a func()) Handle {
	wg := new(sync.WaitGroup)
	wg.Add(1)
	go func() {
		defer wg.Done()
		a()
	}()
	return wg
}

func (g *goroutinePeer) Join(h Handle) { h.(*sync.WaitGroup).Wait() }

func (g *goroutinePeer) Go(f func()) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		f()
	}()
}

func (g *goroutinePeer) Wait()         { g.wg.Wait() }
func (g *goroutinePeer) Forked() int64 { return -1 }
func (g *goroutinePeer) Close()        {}

// concPeer uses github.com/sourcegraph/conc. Flat tasks go to a pool
// bounded to the worker count. Recursive forks cannot: conc's bounded pool
// deadlocks there (its Go blocks while every goroutine of the pool waits
// for children), and it has no non-blocking submit. So a recursive fork is
// the try-else-inline fallback a conc user would write by hand, the
// pattern errgroup's TryGo is made of: take one of P slots if one is free
// and start the closure with a conc.WaitGroup of its own (which carries a
// panic to Wait), else run it inline.
//
// The other fallback, an unbounded conc.WaitGroup per fork, is a goroutine
// per fork with a panic catcher, and measures as the goroutine peer does
// (fib(32) at one worker: 1,155 against 1,147 ns per fork, 2026-11-27): the
// goroutine row stands for it.
type concPeer struct {
	pool   *pool.Pool    // flat runs
	slots  chan struct{} // recursive runs: one element per forked closure still running
	forked counter
}

// Conc returns the sourcegraph/conc peer.
func Conc() Factory {
	return Factory{
		Name:      "conc",
		Recursive: "P slots (a buffered channel): a free slot → `conc.WaitGroup.Go`, else inline; `Wait` per fork",
		Flat:      "`pool.New().WithMaxGoroutines(P)`: `Go`, `Wait`",
		New: func(workers int, mode Mode) Peer {
			c := new(concPeer)
			if mode == Flat {
				c.pool = pool.New().WithMaxGoroutines(workers)
			} else {
				c.slots = make(chan struct{}, workers)
			}
			return c
		},
		Naive:     func(workers int) Peer { return &concNaive{pool: pool.New().WithMaxGoroutines(workers)} },
		NaiveDesc: "shared `pool.New().WithMaxGoroutines(P)`: `Go` inside a task, then wait",
	}
}

func (c *concPeer) Fork(a func()) Handle {
	select {
	case c.slots <- struct{}{}:
		wg := new(conc.WaitGroup)
		wg.Go(func() {
			defer func() { <-c.slots }() // free the slot even if a panics
			a()
		})
		c.forked.add()
		return wg
	default:
		a()
		return nil
	}
}

func (c *concPeer) Join(h Handle) {
	if h != nil {
		h.(*conc.WaitGroup).Wait() // re-panics with a's panic, if any
	}
}

func (c *concPeer) Go(f func())   { c.pool.Go(f) }
func (c *concPeer) Wait()         { c.pool.Wait() }
func (c *concPeer) Forked() int64 { return c.forked.load() }
func (c *concPeer) Close()        {}

// concNaive submits forks to a shared bounded conc pool, whose Go blocks
// while every goroutine of the pool is busy — busy waiting for children.
type concNaive struct {
	pool *pool.Pool
}

func (c *concNaive) Fork(a func()) Handle {
	wg := new(sync.WaitGroup)
	wg.Add(1)
	c.pool.Go(func() {
		defer wg.Done()
		a()
	})
	return wg
}

func (c *concNaive) Join(h Handle) { h.(*sync.WaitGroup).Wait() }
func (c *concNaive) Go(f func())   { c.pool.Go(f) }
func (c *concNaive) Wait()         {}
func (c *concNaive) Forked() int64 { return -1 }
func (c *concNaive) Close()        {}

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

// concPeer uses github.com/sourcegraph/conc: a conc.WaitGroup per fork
// for recursive work (an unbounded goroutine per fork: conc's bounded pool
// deadlocks there), and a pool bounded to the worker count for flat work.
type concPeer struct {
	pool *pool.Pool
}

// Conc returns the sourcegraph/conc peer.
func Conc() Factory {
	return Factory{
		Name:      "conc",
		Recursive: "`conc.WaitGroup` per fork (a goroutine per fork)",
		Flat:      "`pool.New().WithMaxGoroutines(P)`: `Go`, `Wait`",
		New: func(workers int, mode Mode) Peer {
			c := new(concPeer)
			if mode == Flat {
				c.pool = pool.New().WithMaxGoroutines(workers)
			}
			return c
		},
		Naive:     func(workers int) Peer { return &concNaive{pool: pool.New().WithMaxGoroutines(workers)} },
		NaiveDesc: "shared `pool.New().WithMaxGoroutines(P)`: `Go` inside a task, then wait",
	}
}

func (c *concPeer) Fork(a func()) Handle {
	wg := new(conc.WaitGroup)
	wg.Go(a)
	return wg
}

func (c *concPeer) Join(h Handle) { h.(*conc.WaitGroup).Wait() }
func (c *concPeer) Go(f func())   { c.pool.Go(f) }
func (c *concPeer) Wait()         { c.pool.Wait() }
func (c *concPeer) Forked() int64 { return -1 }
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

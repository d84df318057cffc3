package peer

import (
	"errors"
	"sync"

	"github.com/alitto/pond/v2"
	"github.com/panjf2000/ants/v2"
	"golang.org/x/sync/errgroup"
)

// errgroupPeer uses golang.org/x/sync/errgroup with SetLimit(P): TryGo
// else inline for recursive forks, blocking Go for flat tasks.
type errgroupPeer struct {
	g      errgroup.Group
	forked counter
}

// Errgroup returns the errgroup peer.
func Errgroup() Factory {
	return Factory{
		Name:      "errgroup",
		Recursive: "shared `errgroup.Group` with `SetLimit(P)`: `TryGo` else inline, `sync.WaitGroup` per fork",
		Flat:      "`errgroup.Group` with `SetLimit(P)`: blocking `Go`, `Wait`",
		New: func(workers int, _ Mode) Peer {
			e := new(errgroupPeer)
			e.g.SetLimit(workers)
			return e
		},
		Naive: func(workers int) Peer {
			e := new(errgroupNaive)
			e.g.SetLimit(workers)
			return e
		},
		NaiveDesc: "shared `SetLimit(P)` group: blocking `Go` inside a task, then wait",
	}
}

func (e *errgroupPeer) Fork(a func()) Handle {
	wg := new(sync.WaitGroup)
	wg.Add(1)
	if e.g.TryGo(func() error { defer wg.Done(); a(); return nil }) {
		e.forked.add()
		return wg
	}
	a()
	return nil
}

func (e *errgroupPeer) Join(h Handle) {
	if h != nil {
		h.(*sync.WaitGroup).Wait()
	}
}

func (e *errgroupPeer) Go(f func())   { e.g.Go(func() error { f(); return nil }) }
func (e *errgroupPeer) Wait()         { _ = e.g.Wait() }
func (e *errgroupPeer) Forked() int64 { return e.forked.load() }
func (e *errgroupPeer) Close()        {}

// errgroupNaive blocks in Go while P tasks run — tasks that wait for it.
type errgroupNaive struct{ g errgroup.Group }

func (e *errgroupNaive) Fork(a func()) Handle {
	wg := new(sync.WaitGroup)
	wg.Add(1)
	e.g.Go(func() error { defer wg.Done(); a(); return nil })
	return wg
}

func (e *errgroupNaive) Join(h Handle) { h.(*sync.WaitGroup).Wait() }

func (e *errgroupNaive) Go(f func())   { e.g.Go(func() error { f(); return nil }) }
func (e *errgroupNaive) Wait()         {}
func (e *errgroupNaive) Forked() int64 { return -1 }
func (e *errgroupNaive) Close()        {}

// antsPeer uses github.com/panjf2000/ants/v2 with a pool of P workers:
// non-blocking for recursive forks (ErrPoolOverload → inline), blocking
// Submit for flat tasks.
type antsPeer struct {
	pool   *ants.Pool
	wg     sync.WaitGroup
	forked counter
}

// Ants returns the ants peer.
func Ants() Factory {
	return Factory{
		Name:      "ants",
		Recursive: "`ants.NewPool(P, WithNonblocking(true))`: `Submit` else inline, `sync.WaitGroup` per fork",
		Flat:      "`ants.NewPool(P)`: blocking `Submit`, one `sync.WaitGroup`",
		New: func(workers int, mode Mode) Peer {
			p, err := ants.NewPool(workers, ants.WithNonblocking(mode == Recursive))
			if err != nil {
				panic(err)
			}
			return &antsPeer{pool: p}
		},
		Naive: func(workers int) Peer {
			p, err := ants.NewPool(workers)
			if err != nil {
				panic(err)
			}
			return &antsNaive{antsPeer{pool: p}}
		},
		NaiveDesc: "`ants.NewPool(P)`: blocking `Submit` inside a task, then wait",
	}
}

func (p *antsPeer) Fork(a func()) Handle {
	wg := new(sync.WaitGroup)
	wg.Add(1)
	err := p.pool.Submit(func() { defer wg.Done(); a() })
	switch {
	case err == nil:
		p.forked.add()
		return wg
	case errors.Is(err, ants.ErrPoolOverload):
		a()
		return nil
	default:
		panic(err)
	}
}

func (p *antsPeer) Join(h Handle) {
	if h != nil {
		h.(*sync.WaitGroup).Wait()
	}
}

func (p *antsPeer) Go(f func()) {
	p.wg.Add(1)
	if err := p.pool.Submit(func() { defer p.wg.Done(); f() }); err != nil {
		panic(err)
	}
}

func (p *antsPeer) Wait()         { p.wg.Wait() }
func (p *antsPeer) Forked() int64 { return p.forked.load() }
func (p *antsPeer) Close()        { p.pool.Release() }

// antsNaive submits with a blocking Submit from inside tasks.
type antsNaive struct{ antsPeer }

func (p *antsNaive) Fork(a func()) Handle {
	wg := new(sync.WaitGroup)
	wg.Add(1)
	if err := p.pool.Submit(func() { defer wg.Done(); a() }); err != nil {
		panic(err)
	}
	return wg
}

// Close abandons the pool: after a deadlock its workers never return.
func (p *antsNaive) Close() {}

// pondPeer uses github.com/alitto/pond/v2: a pool of P workers without a
// queue for recursive forks (TrySubmit else inline, Task.Wait), and the
// default pool (unbounded queue) with a task group for flat tasks.
type pondPeer struct {
	pool   pond.Pool
	group  pond.TaskGroup
	forked counter
}

// Pond returns the pond peer.
func Pond() Factory {
	return Factory{
		Name:      "pond",
		Recursive: "`pond.NewPool(P, WithQueueSize(0))`: `TrySubmit` else inline, `Task.Wait`",
		Flat:      "`pond.NewPool(P)`, a `TaskGroup`: `Submit`, `Wait`",
		New: func(workers int, mode Mode) Peer {
			if mode == Recursive {
				return &pondPeer{pool: pond.NewPool(workers, pond.WithQueueSize(0))}
			}
			p := pond.NewPool(workers)
			return &pondPeer{pool: p, group: p.NewGroup()}
		},
		Naive: func(workers int) Peer {
			return &pondNaive{pondPeer{pool: pond.NewPool(workers)}}
		},
		NaiveDesc: "`pond.NewPool(P)` (unbounded queue): `Submit` inside a task, then `Task.Wait`",
	}
}

func (p *pondPeer) Fork(a func()) Handle {
	if t, ok := p.pool.TrySubmit(a); ok {
		p.forked.add()
		return t
	}
	a()
	return nil
}

func (p *pondPeer) Join(h Handle) {
	if h == nil {
		return
	}
	if err := h.(pond.Task).Wait(); err != nil {
		panic(err)
	}
}

func (p *pondPeer) Go(f func()) { p.group.Submit(f) }

func (p *pondPeer) Wait() {
	if err := p.group.Wait(); err != nil {
		panic(err)
	}
}

func (p *pondPeer) Forked() int64 { return p.forked.load() }
func (p *pondPeer) Close()        { p.pool.StopAndWait() }

// pondNaive waits inside a task for a task queued behind it.
type pondNaive struct{ pondPeer }

func (p *pondNaive) Fork(a func()) Handle { return p.pool.Submit(a) }

// Close abandons the pool: after a deadlock its workers never return.
func (p *pondNaive) Close() {}

package peer

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// chanQueue is the buffer of the classic pool's task channel.
const chanQueue = 1024

// chanPool is the textbook thread pool: N worker goroutines receiving from
// one buffered chan func(). A fork tries to send its closure and runs it
// inline when the channel is full; a join helps: while the forked closure is
// pending, the joining goroutine runs tasks from the channel itself.
type chanPool struct {
	tasks  chan func()
	wg     sync.WaitGroup // flat tasks in flight
	done   sync.WaitGroup // worker goroutines
	forked counter
}

// ChanPool returns the classic channel-based pool.
func ChanPool() Factory {
	return Factory{
		Name:      "chanpool",
		Recursive: "P workers on a `chan func()` (buffer 1024): try-send else inline, then help run queued tasks while waiting",
		Flat:      "P workers on a `chan func()` (buffer 1024): blocking send, one `sync.WaitGroup`",
		New:       func(workers int, _ Mode) Peer { return newChanPool(workers) },
		Naive: func(workers int) Peer {
			return &chanNaive{newChanPool(workers)}
		},
		NaiveDesc: "blocking send, then `sync.WaitGroup.Wait` inside the task",
	}
}

func newChanPool(workers int) *chanPool {
	c := &chanPool{tasks: make(chan func(), chanQueue)}
	c.done.Add(workers)
	for range workers {
		go func() {
			defer c.done.Done()
			for t := range c.tasks {
				t()
			}
		}()
	}
	return c
}

func (c *chanPool) Fork(a func()) Handle {
	done := new(atomic.Bool)
	select {
	case c.tasks <- func() { a(); done.Store(true) }:
		c.forked.add()
		return done
	default:
		a()
		return nil
	}
}

func (c *chanPool) Join(h Handle) {
	if h == nil {
		return
	}
	// Help while waiting: a worker that blocked here could be the one the
	// queued closure needs.
	done := h.(*atomic.Bool)
	for !done.Load() {
		select {
		case t := <-c.tasks:
			t()
		default:
			runtime.Gosched()
		}
	}
}

func (c *chanPool) Go(f func()) {
	c.wg.Add(1)
	c.tasks <- func() {
		defer c.wg.Done()
		f()
	}
}

func (c *chanPool) Wait()         { c.wg.Wait() }
func (c *chanPool) Forked() int64 { return c.forked.load() }

func (c *chanPool) Close() {
	close(c.tasks)
	c.done.Wait()
}

// chanNaive is the pattern that deadlocks: a blocking send of the forked
// closure and a blocking wait for it inside a task.
type chanNaive struct{ *chanPool }

func (c *chanNaive) Fork(a func()) Handle {
	wg := new(sync.WaitGroup)
	wg.Add(1)
	c.tasks <- func() {
		defer wg.Done()
		a()
	}
	return wg
}

func (c *chanNaive) Join(h Handle) { h.(*sync.WaitGroup).Wait() }

// Close abandons the workers: after a deadlock they never return.
func (c *chanNaive) Close() {}

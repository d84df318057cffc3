package deque_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/forage-go/forage/deque"
)

// The benchmarks compare, in one run, the Chase-Lev deque with the two
// structures a Go programmer would otherwise reach for: a slice behind a
// mutex and a buffered channel. Each case is a sub-benchmark named impl=X so
// that `benchstat -col /impl` prints them side by side.

// queue is the common shape of the three implementations.
type queue interface {
	push(*int)
	pop() (*int, bool)   // owner end
	steal() (*int, bool) // other end
}

type chaseLev struct{ d *deque.Deque[int] }

func (q chaseLev) push(v *int)          { q.d.Push(v) }
func (q chaseLev) pop() (*int, bool)    { return q.d.Pop() }
func (q chaseLev) steal() (*int, bool)  { return q.d.Steal() }
func newChaseLev() queue                { return chaseLev{deque.New[int](0)} }
func (q *mutexDeque) push(v *int)       { q.mu.Lock(); q.s = append(q.s, v); q.mu.Unlock() }
func newMutexDeque() queue              { return &mutexDeque{} }
func newChanQueue() queue               { return chanQueue(make(chan *int, 1024)) }
func (q chanQueue) push(v *int)         { q <- v }
func (q chanQueue) pop() (*int, bool)   { return q.recv() }
func (q chanQueue) steal() (*int, bool) { return q.recv() }

// mutexDeque is the straightforward alternative: a slice and a mutex.
type mutexDeque struct {
	mu   sync.Mutex
	s    []*int
	head int
}

func (q *mutexDeque) pop() (*int, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.s) == q.head {
		return nil, false
	}
	v := q.s[len(q.s)-1]
	q.s[len(q.s)-1] = nil
	q.s = q.s[:len(q.s)-1]
	return v, true
}

func (q *mutexDeque) steal() (*int, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.s) == q.head {
		return nil, false
	}
	v := q.s[q.head]
	q.s[q.head] = nil
	q.head++
	if q.head == len(q.s) {
		q.s, q.head = q.s[:0], 0
	}
	return v, true
}

// chanQueue is a buffered channel: FIFO at both "ends".
type chanQueue chan *int

func (q chanQueue) recv() (*int, bool) {
	select {
	case v := <-q:
		return v, true
	default:
		return nil, false
	}
}

var impls = []struct {
	name string
	make func() queue
}{
	{"deque", newChaseLev},
	{"mutex", newMutexDeque},
	{"chan", newChanQueue},
}

func forEachImpl(b *testing.B, run func(b *testing.B, q queue)) {
	for _, im := range impls {
		b.Run("impl="+im.name, func(b *testing.B) { run(b, im.make()) })
	}
}

var item = new(int)

// BenchmarkPushPop: the scheduler's common case — push a job and pop it back
// with other items below it, so Pop needs no CAS.
func BenchmarkPushPop(b *testing.B) {
	forEachImpl(b, func(b *testing.B, q queue) {
		for range 8 {
			q.push(item)
		}
		b.ReportAllocs()
		for b.Loop() {
			q.push(item)
			q.pop()
		}
	})
}

// BenchmarkPushPopLast: push and pop the only item, where Chase-Lev must race
// thieves with a CAS.
func BenchmarkPushPopLast(b *testing.B) {
	forEachImpl(b, func(b *testing.B, q queue) {
		b.ReportAllocs()
		for b.Loop() {
			q.push(item)
			q.pop()
		}
	})
}

// BenchmarkPushSteal: push then steal from the same goroutine (uncontended
// steal: the cost of the thief's protocol alone).
func BenchmarkPushSteal(b *testing.B) {
	forEachImpl(b, func(b *testing.B, q queue) {
		b.ReportAllocs()
		for b.Loop() {
			q.push(item)
			q.steal()
		}
	})
}

// BenchmarkPushPopContended: the owner pushes and pops with items below while
// one thief keeps stealing from the other end; the owner tops the queue up to
// eight items so that the thief always finds some.
func BenchmarkPushPopContended(b *testing.B) {
	forEachImpl(b, func(b *testing.B, q queue) {
		var stop atomic.Bool
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				q.steal()
			}
		}()
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			q.push(item)
			q.pop()
			if n++; n%8 == 0 {
				for range 8 {
					q.push(item)
				}
			}
		}
		b.StopTimer()
		stop.Store(true)
		wg.Wait()
	})
}

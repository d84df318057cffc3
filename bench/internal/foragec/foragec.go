// Package foragec is forage's contender in the comparison suite: each
// workload written the way forage is meant to be used — typed, allocation-
// free fork-join with scheduler.Func for the recursive workloads, the
// library's Sort and Reduce where the workload is a sort or a loop, and
// Pool.Submit for independent tasks from outside the pool.
package foragec

import (
	"sync"

	"github.com/forage-go/forage/bench/internal/suite"
	"github.com/forage-go/forage/bench/internal/work"
	"github.com/forage-go/forage/internal/uts"
	"github.com/forage-go/forage/scheduler"
)

// Contender returns forage's contender.
func Contender() suite.Contender {
	return suite.Contender{
		Name:      "forage",
		Recursive: "`scheduler.Func` typed fork-join (`Func.Join`, direct calls where `Func.Inline` says the join would run plainly) inside `Pool.Run`; sort: `scheduler.Sort`",
		Flat:      "sum: `scheduler.Reduce` over the elements; tasks: `Pool.Submit` per task, one `sync.WaitGroup`",
		Start:     start,
	}
}

// engine runs one workload on a fresh pool.
type engine struct {
	pool *scheduler.Pool
	run  func(p *scheduler.Pool) work.Answer
}

func start(w work.Workload, workers int) (suite.Engine, error) {
	run, err := code(w)
	if err != nil {
		return nil, err
	}
	p, err := scheduler.New(scheduler.WithWorkers(workers))
	if err != nil {
		return nil, err
	}
	return &engine{pool: p, run: run}, nil
}

func (e *engine) Run(work.Workload) work.Answer { return e.run(e.pool) }

// Counters closes the pool first: its statistics are exact once it is idle.
func (e *engine) Counters() suite.Counters {
	_ = e.pool.Close()
	t := e.pool.Stats().Total
	return suite.Counters{Forked: -1, Steals: int64(t.Steals), Parks: int64(t.Parks), Tasks: int64(t.Tasks)}
}

func (e *engine) Close() {
	if err := e.pool.Close(); err != nil {
		panic(err)
	}
}

// code returns forage's code for w. The kernel constructors are never
// inlined: inlined here, their closures were cloned into code and compiled
// without the inlining they get on their own (the UTS kernel, when it was
// a closure, called uts.Stats.Add six times per node instead of inlining
// it).
func code(w work.Workload) (func(*scheduler.Pool) work.Answer, error) {
	switch w := w.(type) {
	case *work.Fib:
		return fib(w), nil
	case *work.NQueens:
		return nqueens(w), nil
	case *work.UTS:
		return utsCount(w), nil
	case *work.Sort:
		return sortInts(w), nil
	case *work.Sum:
		return sum(w), nil
	case *work.MatMul:
		return matmul(w), nil
	case *work.Tiny:
		return tiny(w), nil
	}
	return nil, suite.ErrUnsupported
}

// runOn runs f on a worker of p and returns its answer.
func runOn(p *scheduler.Pool, f func(w *scheduler.Worker) work.Answer) work.Answer {
	var a work.Answer
	p.Run(func(w *scheduler.Worker) { a = f(w) })
	return a
}

// fibKernel is fib's forage code. It is a method, so that where Func.Inline
// says the join would run plainly it calls itself directly, as serial code
// does (the idiom the README shows), instead of through its Func, whose
// stored function value it can only call indirectly.
type fibKernel struct {
	f      *scheduler.Func[int, int64]
	cutoff int
}

func (k *fibKernel) fib(w *scheduler.Worker, n int) int64 {
	if n < 2 { // a leaf: no call, as in FibSerial and the peers' kernel
		return int64(n)
	}
	if n <= k.cutoff {
		return work.FibSerial(n)
	}
	if k.f.Inline(w) { // the join would run plainly: skip its layer
		return k.fib(w, n-1) + k.fib(w, n-2)
	}
	x, y := k.f.Join(w, n-1, n-2)
	return x + y
}

//go:noinline
func fib(wl *work.Fib) func(*scheduler.Pool) work.Answer {
	k := &fibKernel{cutoff: wl.Cutoff}
	k.f = scheduler.NewFunc(k.fib)
	return func(p *scheduler.Pool) work.Answer {
		return runOn(p, func(w *scheduler.Worker) work.Answer { return work.Answer{k.fib(w, wl.N)} })
	}
}

// nqArgs: count the completions of board b whose queen in row j stands in
// a column from `from` on (rows before j are placed).
type nqArgs struct {
	b       work.Board
	j, from int32
}

// nqKernel.count is NQueensSerial's loop with a join at each valid placement:
// the placement's subtree runs first, inline, and the rest of the row — the
// loop's continuation — is the fork thieves may take (the oldest one on offer
// is the rest of the root's row). It joins at every valid placement (856,188
// times for N = 12, against the peers' 314,729 forks), which costs little
// because a join that is not offered is a pair of plain calls, and it checks
// the columns in the serial order with no second pass: the peers' shape lists
// a row's legal columns first and then splits the list, which cost forage
// 5-6% of serial speed at one worker (docs/benchmarks.md).
//
// nqKernel holds nqueens's Func; its method is the kernel, so that it calls
// itself directly where Func.Inline allows (see fibKernel).
type nqKernel struct {
	f *scheduler.Func[nqArgs, int64]
	n int
}

func (k *nqKernel) count(w *scheduler.Worker, a nqArgs) int64 {
	n, j := k.n, int(a.j)
	if j == n {
		return 1
	}
	b := a.b
	for i := int(a.from); i < n; i++ {
		b[j] = int8(i)
		if work.NQueensOK(j+1, &b) {
			if k.f.Inline(w) {
				return k.count(w, nqArgs{b, a.j + 1, 0}) + k.count(w, nqArgs{b, a.j, int32(i + 1)})
			}
			x, y := k.f.Join(w, nqArgs{b, a.j + 1, 0}, nqArgs{b, a.j, int32(i + 1)})
			return x + y
		}
	}
	return 0
}

//go:noinline
func nqueens(wl *work.NQueens) func(*scheduler.Pool) work.Answer {
	k := &nqKernel{n: wl.N}
	k.f = scheduler.NewFunc(k.count)
	return func(p *scheduler.Pool) work.Answer {
		return runOn(p, func(w *scheduler.Worker) work.Answer { return work.Answer{k.count(w, nqArgs{})} })
	}
}

// utsArgs visits children lo..hi-1 of node n.
type utsArgs struct {
	n      uts.Node
	lo, hi int32
}

// utsKernel is the suite's UTS traversal (work.UTS) with forage's Func; its
// method is the kernel, so that it calls itself directly where Func.Inline
// allows (see fibKernel).
type utsKernel struct {
	f *scheduler.Func[utsArgs, uts.Stats]
	t *uts.Params
}

func (k *utsKernel) visit(w *scheduler.Worker, a utsArgs) uts.Stats {
	if a.hi-a.lo > work.UTSWide {
		mid := (a.lo + a.hi) / 2
		x, y := k.f.Join(w, utsArgs{a.n, a.lo, mid}, utsArgs{a.n, mid, a.hi})
		return x.Add(y)
	}
	t := k.t
	var s uts.Stats
	for i := a.lo; i < a.hi; i++ {
		c := t.Child(a.n, int(i))
		n := t.NumChildren(c)
		if n == 0 {
			s = s.Add(uts.Stats{Nodes: 1, Leaves: 1, MaxDepth: int(c.Height)})
			continue
		}
		s = s.Add(uts.Stats{Nodes: 1, MaxDepth: int(c.Height)})
		if i+1 == a.hi {
			return s.Add(k.visit(w, utsArgs{c, 0, int32(n)}))
		}
		if k.f.Inline(w) {
			sub := k.visit(w, utsArgs{c, 0, int32(n)})
			return s.Add(sub).Add(k.visit(w, utsArgs{a.n, i + 1, a.hi}))
		}
		sub, rest := k.f.Join(w, utsArgs{c, 0, int32(n)}, utsArgs{a.n, i + 1, a.hi})
		return s.Add(sub).Add(rest)
	}
	return s
}

//go:noinline
func utsCount(wl *work.UTS) func(*scheduler.Pool) work.Answer {
	k := &utsKernel{t: wl.Params()}
	k.f = scheduler.NewFunc(k.visit)
	t := k.t
	return func(p *scheduler.Pool) work.Answer {
		return runOn(p, func(w *scheduler.Worker) work.Answer {
			root := t.Root()
			s := uts.Stats{Nodes: 1}
			if n := t.NumChildren(root); n > 0 {
				s = s.Add(k.visit(w, utsArgs{root, 0, int32(n)}))
			} else {
				s.Leaves = 1
			}
			return work.Answer{s.Nodes, s.Leaves, int64(s.MaxDepth)}
		})
	}
}

// sortInts calls scheduler.Sort: forage's own parallel merge sort, whose
// shape differs from the suite's (see docs/benchmarks.md).
//
//go:noinline
func sortInts(wl *work.Sort) func(*scheduler.Pool) work.Answer {
	return func(p *scheduler.Pool) work.Answer {
		return runOn(p, func(w *scheduler.Worker) work.Answer {
			scheduler.Sort(w, wl.Data)
			return work.Answer{}
		})
	}
}

// sum calls scheduler.Reduce over the elements: forage picks the chunks.
//
//go:noinline
func sum(wl *work.Sum) func(*scheduler.Pool) work.Answer {
	leaf := func(_ *scheduler.Worker, lo, hi int) int64 { return work.SumSlice(wl.Data[lo:hi]) }
	add := func(a, b int64) int64 { return a + b }
	return func(p *scheduler.Pool) work.Answer {
		return runOn(p, func(w *scheduler.Worker) work.Answer {
			return work.Answer{scheduler.Reduce(w, len(wl.Data), leaf, add)}
		})
	}
}

// mmArgs is a block product (q == nil) or the products q[lo:hi] of side n.
type mmArgs struct {
	c, a, b, n int
	q          *[8][3]int
	lo, hi     int
}

//go:noinline
func matmul(wl *work.MatMul) func(*scheduler.Pool) work.Answer {
	var f *scheduler.Func[mmArgs, struct{}]
	f = scheduler.NewFunc(func(w *scheduler.Worker, m mmArgs) struct{} {
		switch {
		case m.q != nil && m.hi-m.lo == 1:
			t := m.q[m.lo]
			f.Call(w, mmArgs{c: t[0], a: t[1], b: t[2], n: m.n})
		case m.q != nil:
			mid := (m.lo + m.hi) / 2
			l, r := m, m
			l.hi, r.lo = mid, mid
			f.Join(w, l, r)
		case m.n <= work.MatLeaf:
			wl.Kernel(m.c, m.a, m.b, m.n)
		default:
			q := wl.Quadrants(m.c, m.a, m.b, m.n)
			f.Call(w, mmArgs{q: &q, lo: 0, hi: 4, n: m.n / 2})
			f.Call(w, mmArgs{q: &q, lo: 4, hi: 8, n: m.n / 2})
		}
		return struct{}{}
	})
	return func(p *scheduler.Pool) work.Answer {
		return runOn(p, func(w *scheduler.Worker) work.Answer {
			f.Call(w, mmArgs{n: wl.N})
			return work.Answer{}
		})
	}
}

// tiny submits each task from outside the pool with Pool.Submit.
//
//go:noinline
func tiny(wl *work.Tiny) func(*scheduler.Pool) work.Answer {
	return func(p *scheduler.Pool) work.Answer {
		var wg sync.WaitGroup
		wl.Submit(func(lo, hi int) {
			for i := lo; i < hi; i++ {
				wg.Add(1)
				if err := p.Submit(func(*scheduler.Worker) {
					wl.Results[i] = work.TinyWork(i)
					wg.Done()
				}); err != nil {
					panic(err)
				}
			}
		})
		wg.Wait()
		return wl.Answer()
	}
}

package scheduler_test

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forage-go/forage/scheduler"
	"github.com/stretchr/testify/require"
)

// Shared helpers of the scheduler tests: hang guards, pools that close
// themselves, panic catching, and the fib and tree workloads with their
// serial oracles.

// workerCounts are the pool sizes every workload is checked at.
var workerCounts = []int{1, 2, 8, 32}

// hangTimeout bounds a step that should take well under a second; it only
// turns a hang into a failure. Generous, because other test binaries may
// share the two cores.
const hangTimeout = 60 * time.Second

// within runs fn on a new goroutine and waits at most d for it. On timeout the
// test fails with the stacks of all goroutines (the hung one stays blocked);
// a panic escaping fn fails the test with its stack. fn may use require (its
// FailNow ends fn's goroutine, and within then ends the test), but code
// running on a pool's workers must not: it would end a worker goroutine.
func within(t testing.TB, d time.Duration, fn func()) {
	t.Helper()
	type outcome struct {
		returned bool
		value    any // the panic value, if fn panicked
		stack    []byte
	}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		defer func() {
			if !o.returned {
				o.value = recover() // nil: runtime.Goexit (a failed require)
				o.stack = debug.Stack()
			}
			done <- o
		}()
		fn()
		o.returned = true
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case o := <-done:
		switch {
		case o.value != nil:
			t.Fatalf("unexpected panic: %v\n%s", o.value, o.stack)
		case !o.returned:
			t.FailNow() // fn called FailNow; its message is already logged
		}
	case <-timer.C:
		t.Fatalf("timed out after %v; all goroutines:\n%s", d, allStacks())
	}
}

// allStacks returns the stacks of every goroutine.
func allStacks() string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// newPool makes a pool of n workers that is closed when the test ends; the
// Close must return within hangTimeout and without error (a panic of a
// submitted task that nobody expected fails the test there). Tests that
// expect Close to return panics make their pool with scheduler.New.
func newPool(t testing.TB, n int, opts ...scheduler.Option) *scheduler.Pool {
	t.Helper()
	p, err := scheduler.New(append([]scheduler.Option{scheduler.WithWorkers(n)}, opts...)...)
	require.NoError(t, err)
	require.Equal(t, n, p.Workers())
	t.Cleanup(func() {
		var err error
		within(t, hangTimeout, func() { err = p.Close() })
		require.NoError(t, err, "Close")
	})
	return p
}

// strictPool is newPool with a panic handler that fails the test: for pools
// whose panics must all reach a Run caller, never the handler.
func strictPool(t testing.TB, n int) *scheduler.Pool {
	t.Helper()
	return newPool(t, n, scheduler.WithPanicHandler(func(pe *scheduler.PanicError) {
		t.Errorf("panic handler called for a panic that belongs to a Run: %v", pe)
	}))
}

// waitOthersIdle, called from a task on w, waits until every other worker
// of w's pool has announced that it parks. A fork made right after is
// offered to them at once under any splitting policy: tests that need a
// fork to be stolen (forceStolenJoin) start from there. It runs on a
// worker, so it reports a timeout with t.Error, not t.Fatal.
func waitOthersIdle(t testing.TB, w *scheduler.Worker) {
	p := w.Pool()
	deadline := time.Now().Add(hangTimeout / 2)
	for scheduler.SleepingWorkers(p) < p.Workers()-1 {
		if time.Now().After(deadline) {
			t.Errorf("the other workers never went idle")
			return
		}
		runtime.Gosched()
	}
}

// catch runs fn and returns what it panicked with (nil if it returned).
func catch(fn func()) (v any) {
	defer func() { v = recover() }()
	fn()
	return nil
}

// requirePanicError checks that v is a *PanicError carrying value and a
// stack that mentions fnName, and returns it.
func requirePanicError(t testing.TB, v any, value any, fnName string) *scheduler.PanicError {
	t.Helper()
	require.NotNil(t, v, "expected a panic")
	pe, ok := v.(*scheduler.PanicError)
	require.Truef(t, ok, "panic value is %T (%v), want *scheduler.PanicError", v, v)
	require.Equal(t, value, pe.Value, "PanicError.Value")
	require.Truef(t, strings.Contains(string(pe.Stack), fnName),
		"PanicError.Stack does not mention %s:\n%s", fnName, pe.Stack)
	require.Contains(t, pe.Error(), fmt.Sprint(value))
	return pe
}

// ---- fib ----

func fibSerial(n int) int {
	if n < 2 {
		return n
	}
	return fibSerial(n-1) + fibSerial(n-2)
}

// fibForks is the number of calls with n >= 2 that fib(n) makes: F(n+1)-1.
func fibForks(n int) int { return fibSerial(n+1) - 1 }

// fibJoin forks through closure Join.
func fibJoin(w *scheduler.Worker, n int) int {
	if n < 2 {
		return n
	}
	var a, b int
	w.Join(func(w *scheduler.Worker) { a = fibJoin(w, n-1) }, func(w *scheduler.Worker) { b = fibJoin(w, n-2) })
	return a + b
}

// fibFunc forks through the typed, allocation-free Func.
var fibFunc *scheduler.Func[int, int]

func init() {
	fibFunc = scheduler.NewFunc(func(w *scheduler.Worker, n int) int {
		if n < 2 {
			return n
		}
		a, b := fibFunc.Join(w, n-1, n-2)
		return a + b
	})
}

// fibInline forks through fibInlineFunc, recursing directly whenever
// Func.Inline says the join would run plainly (the idiom Inline documents).
var fibInlineFunc *scheduler.Func[int, int]

func fibInline(w *scheduler.Worker, n int) int {
	if n < 2 {
		return n
	}
	if fibInlineFunc.Inline(w) {
		return fibInline(w, n-1) + fibInline(w, n-2)
	}
	a, b := fibInlineFunc.Join(w, n-1, n-2)
	return a + b
}

func init() { fibInlineFunc = scheduler.NewFunc(fibInline) }

// fibScope spawns fib(n-1) into a scope and runs fib(n-2) in its body.
func fibScope(w *scheduler.Worker, n int) int {
	if n < 2 {
		return n
	}
	var a, b int
	w.Scope(func(s *scheduler.Scope) {
		s.Spawn(func(w *scheduler.Worker) { a = fibScope(w, n-1) })
		b = fibScope(w, n-2)
	})
	return a + b
}

// ---- trees ----

// node is an explicit tree for the tree-sum workloads.
type node struct {
	val  int
	kids []*node
}

// buildTree makes a deterministic random tree of n nodes and returns it with
// the sum of its values and its depth. Half the nodes hang below the
// previous node (long paths), the others below a random earlier node (bushy).
func buildTree(n int, seed uint64) (root *node, sum, depth int) {
	nodes := make([]*node, n)
	depths := make([]int, n)
	x := seed | 1
	next := func() uint64 { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x }
	for i := range nodes {
		nd := &node{val: int(next()%201) - 100}
		nodes[i] = nd
		sum += nd.val
		if i == 0 {
			continue
		}
		parent := i - 1
		if r := next(); r&1 == 0 {
			parent = int((r >> 1) % uint64(i))
		}
		nodes[parent].kids = append(nodes[parent].kids, nd)
		depths[i] = depths[parent] + 1
		depth = max(depth, depths[i])
	}
	return nodes[0], sum, depth
}

// sumJoin sums a tree with closure Join, splitting each child list in halves.
func sumJoin(w *scheduler.Worker, nd *node) int {
	return nd.val + sumKidsJoin(w, nd.kids)
}

func sumKidsJoin(w *scheduler.Worker, kids []*node) int {
	switch len(kids) {
	case 0:
		return 0
	case 1:
		return sumJoin(w, kids[0])
	}
	var a, b int
	mid := len(kids) / 2
	w.Join(func(w *scheduler.Worker) { a = sumKidsJoin(w, kids[:mid]) },
		func(w *scheduler.Worker) { b = sumKidsJoin(w, kids[mid:]) })
	return a + b
}

// sumFunc sums a list of subtrees with Func: one subtree directly, a longer
// list by joining its halves.
var sumFunc *scheduler.Func[[]*node, int]

func init() {
	sumFunc = scheduler.NewFunc(func(w *scheduler.Worker, ns []*node) int {
		switch len(ns) {
		case 0:
			return 0
		case 1:
			return ns[0].val + sumFunc.Call(w, ns[0].kids)
		}
		a, b := sumFunc.Join(w, ns[:len(ns)/2], ns[len(ns)/2:])
		return a + b
	})
}

// sumScopeFlat sums a tree in one scope: every task spawns its node's
// children into it, from whichever worker runs it — with Spawn, or, if mixed,
// alternately with SpawnFrom (onto the task's own worker) and Spawn.
func sumScopeFlat(w *scheduler.Worker, root *node, mixed bool) int {
	var total atomic.Int64
	w.Scope(func(s *scheduler.Scope) {
		var visit func(w *scheduler.Worker, nd *node)
		visit = func(w *scheduler.Worker, nd *node) {
			total.Add(int64(nd.val))
			for i, k := range nd.kids {
				if mixed && i%2 == 0 {
					s.SpawnFrom(w, func(w *scheduler.Worker) { visit(w, k) })
				} else {
					s.Spawn(func(w *scheduler.Worker) { visit(w, k) })
				}
			}
		}
		visit(w, root)
	})
	return int(total.Load())
}

// sumScopeNested sums a tree with one scope per inner node, nested as deep
// as the tree.
func sumScopeNested(w *scheduler.Worker, nd *node) int {
	if len(nd.kids) == 0 {
		return nd.val
	}
	sums := make([]int, len(nd.kids))
	w.Scope(func(s *scheduler.Scope) {
		for i, k := range nd.kids {
			s.Spawn(func(w *scheduler.Worker) { sums[i] = sumScopeNested(w, k) })
		}
	})
	total := nd.val
	for _, v := range sums {
		total += v
	}
	return total
}

// ---- the call-layer floor ----

// callLayer models the plain path of any fork-join call the compiler
// cannot inline, with every scheduler test removed: serial code whose
// recursion goes through a join function, not inlined, that calls a func
// value twice. Func.Join's plain path is this plus its tests (the worker's
// cache, the latent budget, the deque's length), and Go's inliner cannot
// remove the layer: Join's body has three calls, each costed at 57 of the
// budget of 80 (docs/design.md §9, "The call-layer floor"). Benchmarks
// report it beside serial code as the best any such fork can do on one
// worker.
type callLayer[A, R any] struct {
	fn func(w *scheduler.Worker, a A) R
}

//go:noinline
func (l *callLayer[A, R]) join(w *scheduler.Worker, a1, a2 A) (R, R) {
	r1 := l.fn(w, a1)
	return r1, l.fn(w, a2)
}

// fibLayer is fibFunc's function over callLayer instead of Func.
var fibLayer callLayer[int, int]

func init() {
	fibLayer.fn = func(w *scheduler.Worker, n int) int {
		if n < 2 {
			return n
		}
		a, b := fibLayer.join(w, n-1, n-2)
		return a + b
	}
}

// holdOneWorker submits a task that keeps one worker of p busy until release
// is called, and returns once a worker runs it. Safe to call from a task
// (it panics rather than failing the test from a worker's goroutine).
func holdOneWorker(p *scheduler.Pool) (release func()) {
	started, gate := make(chan struct{}), make(chan struct{})
	if err := p.Submit(func(*scheduler.Worker) { close(started); <-gate }); err != nil {
		panic(err)
	}
	select {
	case <-started:
	case <-time.After(hangTimeout / 2):
		panic("no worker took the holding task")
	}
	return func() { close(gate) }
}

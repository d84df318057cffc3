package stress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/forage-go/forage/scheduler"
)

// A tree is a random fork-join program: each node adds its value to the sum
// of its children, computed with the node's construct (Join, Func, Scope,
// For, Reduce, nested Run, Submit...). Evaluated on a pool it must give the
// serial sum, and run every node exactly once.

// kind is a node's fork-join construct.
type kind uint8

const (
	kLeaf     kind = iota // no children: spin a little, call the user task if any
	kSeq                  // children one after another, by plain calls
	kJoin                 // Worker.Join of two children
	kFunc                 // Func.Join of two children
	kScope                // Worker.Scope spawning every child (respawn children spawn theirs)
	kFor                  // For (or ForGrain) over the children
	kReduce               // Reduce (or ReduceDeterministic) over the children
	kRun                  // Pool.Run of the child on the worker's own pool (inline)
	kRunOther             // Pool.Run of the child on the other pool (cross-pool)
	kSubmit               // Pool.Submit of the child; its sum is added to the detached total
	kCatch                // recover the child's panic and check it (panics scenario)
	numKinds
)

var kindNames = [numKinds]string{"leaf", "seq", "Join", "Func", "Scope", "For", "Reduce", "Run", "Run(other pool)", "Submit", "catch"}

func (k kind) String() string { return kindNames[k] }

// node is one task of a tree.
type node struct {
	kind    kind
	respawn bool  // a Scope's kSeq child: spawns its children into the scope
	panics  bool  // panics after its children (panics scenario)
	spin    int32 // busy work at a leaf
	id      int32 // index in tree.nodes and tree.exec
	leaf    int32 // leaf index, for the user task's generator
	val     int64
	kids    []*node
	parent  *node
	t       *tree
	reg     *region // the region the node belongs to (panics scenario)
	sub     *region // kCatch, kSubmit: the region of kids[0]
}

// region is the part of a tree whose panic surfaces at one place: a Run
// (root), a catch node, or a Submit (the handler or Close). Regions nest;
// a Submit starts a detached region.
type region struct {
	want *marker // the panic injected in it, nil if none
	// wrapped: between the injected panic and the region's end lies a
	// call that must deliver it as a *scheduler.PanicError (Scope, For,
	// Reduce, Run, or the region ends at a Run or Submit); otherwise plain
	// calls deliver the bare value to the catch, and joins (viaJoin: Join,
	// Func.Join) deliver either (the package doc, Panics).
	wrapped  bool
	viaJoin  bool
	boundary *node   // the catch or Submit node that ends the region; nil: the tree's root
	parent   *region // enclosing region, nil for root and Submit regions
	inflight atomic.Int64
	nodes    []*node // own nodes, for choosing the injection point
}

// marker is an injected panic's value (sometimes wrapped in an error).
type marker struct {
	tree, node int32
	reg        *region
}

func (m *marker) Error() string { return fmt.Sprintf("injected panic #%d.%d", m.tree, m.node) }

// Task is user code under test: Tasks calls it at every leaf of random
// fork-join trees, with the worker running the leaf and a generator seeded
// by the leaf, and sums the results. It must return the same value for the
// same generator sequence whether it runs alone or among other tasks: that
// is what Tasks checks.
type Task func(w *scheduler.Worker, rng *rand.Rand) int64

// roundState is what a round's trees share: the pools, the first error, the
// panics expected at and received by each pool.
type roundState struct {
	pools [2]*scheduler.Pool // [1] may be nil (no cross-pool Run)
	task  Task

	errMu sync.Mutex
	err   error

	mu       sync.Mutex
	expected [2]map[*marker]int // Submit-region panics whose Submit was accepted
	got      [2]map[*marker]int // panics seen by the handler or returned by Close
	caught   atomic.Int64       // panics verified where they surfaced
}

func newRoundState() *roundState {
	st := &roundState{}
	for i := range st.expected {
		st.expected[i] = map[*marker]int{}
		st.got[i] = map[*marker]int{}
	}
	return st
}

// fail records the round's first error.
func (st *roundState) fail(err error) {
	st.errMu.Lock()
	if st.err == nil {
		st.err = err
	}
	st.errMu.Unlock()
}

// failed returns the first error, if any.
func (st *roundState) failed() error {
	st.errMu.Lock()
	defer st.errMu.Unlock()
	return st.err
}

// poolIndex returns p's index in st.pools.
func (st *roundState) poolIndex(p *scheduler.Pool) int {
	if p == st.pools[1] {
		return 1
	}
	return 0
}

// other returns the pool that is not p (p itself if there is only one).
func (st *roundState) other(p *scheduler.Pool) *scheduler.Pool {
	if st.pools[1] == nil {
		return p
	}
	if p == st.pools[0] {
		return st.pools[1]
	}
	return st.pools[0]
}

func (st *roundState) expect(pool int, m *marker) {
	st.mu.Lock()
	st.expected[pool][m]++
	st.mu.Unlock()
}

// handler is pool i's panic handler: it checks and records a Submit
// region's panic.
func (st *roundState) handler(i int) func(*scheduler.PanicError) {
	return func(pe *scheduler.PanicError) { st.received(i, pe, true) }
}

// received checks a panic that surfaced at pool i's handler or Close.
func (st *roundState) received(i int, pe *scheduler.PanicError, atHandler bool) {
	m := markerOf(pe)
	if m == nil {
		st.fail(fmt.Errorf("pool %d: a panic that was never injected reached the handler/Close: %v", i, pe.Value))
		return
	}
	if err := checkPanic(pe, m); err != nil {
		st.fail(err)
		return
	}
	if atHandler {
		if c := m.reg.inflight.Load(); c != 0 {
			st.fail(fmt.Errorf("%v reached the panic handler while %d tasks of its Submit still ran", m, c))
		}
	}
	st.mu.Lock()
	st.got[i][m]++
	st.mu.Unlock()
}

// checkDetached compares the Submit-region panics expected at each pool with
// those its handler or Close delivered: each exactly once.
func (st *roundState) checkDetached() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	for i := range st.expected {
		for m, n := range st.expected[i] {
			if g := st.got[i][m]; g != n {
				return fmt.Errorf("%v (Submit to pool %d) surfaced %d times at its handler/Close, want %d", m, i, g, n)
			}
		}
		for m, g := range st.got[i] {
			if st.expected[i][m] == 0 {
				return fmt.Errorf("%v surfaced %d times at pool %d's handler/Close, want 0", m, g, i)
			}
		}
	}
	for i := range st.got {
		for _, g := range st.got[i] {
			st.caught.Add(int64(g))
		}
	}
	return nil
}

// closeErr checks the error of pool i's Close: the joined panics of its
// submitted tasks, when it has no handler.
func (st *roundState) closeErr(i int, err error) {
	for _, e := range flatten(err) {
		var pe *scheduler.PanicError
		if !errors.As(e, &pe) {
			st.fail(fmt.Errorf("pool %d: Close returned %v, want nil or panics", i, e))
			continue
		}
		st.received(i, pe, false)
	}
}

// flatten splits a joined error into its parts.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// markerOf returns the injected marker a panic carries, if any.
func markerOf(pe *scheduler.PanicError) *marker {
	if m, ok := pe.Value.(*marker); ok {
		return m
	}
	var m *marker
	if errors.As(pe, &m) {
		return m
	}
	return nil
}

// checkPanic checks that pe is the injected panic m, with the stack of the
// task that panicked.
func checkPanic(pe *scheduler.PanicError, m *marker) error {
	if got := markerOf(pe); got != m {
		return fmt.Errorf("got panic %v, want %v", pe.Value, m)
	}
	if !bytes.Contains(pe.Stack, []byte("stress.injectPanic")) {
		return fmt.Errorf("%v: PanicError.Stack does not show the panicking task:\n%s", m, pe.Stack)
	}
	return nil
}

// tree is one random fork-join program and its bookkeeping.
type tree struct {
	st       *roundState
	index    int32
	nodes    []*node
	root     *node
	rootReg  *region
	regions  []*region
	leaves   int32
	leafSeed uint64
	exec     []atomic.Int32 // times each node ran
	detached atomic.Int64   // sums of Submit subtrees
	pending  sync.WaitGroup // Submit subtrees not yet finished
	rootSum  int64          // the root's result when it came back from a Run
}

// genConfig shapes generated trees.
type genConfig struct {
	size    int  // nodes
	other   bool // cross-pool Run nodes
	submit  bool // Submit nodes
	catches bool // catch nodes and regions (panics scenario)
	nest    int  // Run/Submit nodes on one path at most
	zeroVal bool // all node values 0 (Tasks: the user's results are the sum)
}

// genTree generates a tree of about cfg.size nodes from rng.
func genTree(st *roundState, index int, rng *rand.Rand, cfg genConfig) *tree {
	t := &tree{st: st, index: int32(index), leafSeed: rng.Uint64()}
	t.rootReg = &region{}
	t.regions = append(t.regions, t.rootReg)
	t.root = t.gen(rng, &cfg, max(cfg.size, 1), 0, t.rootReg, false)
	t.exec = make([]atomic.Int32, len(t.nodes))
	return t
}

// gen makes a subtree of budget nodes.
func (t *tree) gen(rng *rand.Rand, cfg *genConfig, budget, nest int, reg *region, inScope bool) *node {
	n := &node{id: int32(len(t.nodes)), t: t, reg: reg}
	t.nodes = append(t.nodes, n)
	reg.nodes = append(reg.nodes, n)
	if !cfg.zeroVal {
		n.val = rng.Int64N(1000)
	}
	if budget <= 1 {
		n.kind = kLeaf
		n.leaf = t.leaves
		t.leaves++
		if !cfg.zeroVal {
			n.val = rng.Int64N(1 << 20)
		}
		n.spin = int32(rng.IntN(64))
		if rng.IntN(16) == 0 {
			n.spin = int32(rng.IntN(4000))
		}
		return n
	}
	n.kind = t.chooseKind(rng, cfg, budget, nest)
	if inScope && n.kind == kSeq && rng.IntN(2) == 0 {
		n.respawn = true
	}
	k := 1
	switch n.kind {
	case kJoin, kFunc:
		k = 2
	case kSeq:
		k = 1 + rng.IntN(min(budget-1, 3))
	case kScope, kFor, kReduce:
		k = 1 + rng.IntN(min(budget-1, 12))
	}
	childNest := nest
	childReg := reg
	switch n.kind {
	case kRun, kRunOther:
		childNest++
	case kSubmit:
		childNest++
		n.sub = &region{}
		t.regions = append(t.regions, n.sub)
		childReg = n.sub
	case kCatch:
		n.sub = &region{parent: reg}
		t.regions = append(t.regions, n.sub)
		childReg = n.sub
	}
	childScope := n.kind == kScope || n.respawn
	if n.sub != nil {
		n.sub.boundary = n
	}
	for _, b := range splitBudget(rng, budget-1, k) {
		kid := t.gen(rng, cfg, b, childNest, childReg, childScope)
		kid.parent = n
		n.kids = append(n.kids, kid)
	}
	return n
}

// chooseKind picks a construct that fits the budget and the configuration.
func (t *tree) chooseKind(rng *rand.Rand, cfg *genConfig, budget, nest int) kind {
	type choice struct {
		k kind
		w int
	}
	cs := make([]choice, 0, numKinds)
	add := func(k kind, w int, ok bool) {
		if ok {
			cs = append(cs, choice{k, w})
		}
	}
	add(kJoin, 28, budget >= 3)
	add(kFunc, 22, budget >= 3)
	add(kSeq, 6, true)
	add(kScope, 12, true)
	add(kFor, 8, true)
	add(kReduce, 8, true)
	add(kRun, 4, nest < cfg.nest)
	add(kRunOther, 4, nest < cfg.nest && cfg.other)
	add(kSubmit, 5, nest < cfg.nest && cfg.submit)
	add(kCatch, 8, cfg.catches)
	total := 0
	for _, c := range cs {
		total += c.w
	}
	r := rng.IntN(total)
	for _, c := range cs {
		if r < c.w {
			return c.k
		}
		r -= c.w
	}
	return kSeq
}

// splitBudget splits total into k positive parts with random weights.
func splitBudget(rng *rand.Rand, total, k int) []int {
	parts := make([]int, k)
	extra := total - k
	ws := make([]float64, k)
	sum := 0.0
	for i := range ws {
		ws[i] = rng.Float64() + 0.02
		sum += ws[i]
	}
	used := 0
	for i := range parts {
		e := int(float64(extra) * ws[i] / sum)
		parts[i] = 1 + e
		used += e
	}
	parts[rng.IntN(k)] += extra - used
	return parts
}

// injectPanics puts at most one panic into each region, with probability
// pct percent, at a random node of the region itself (not of a nested one).
func (t *tree) injectPanics(rng *rand.Rand, pct int) {
	for _, r := range t.regions {
		if len(r.nodes) == 0 || rng.IntN(100) >= pct {
			continue
		}
		n := r.nodes[rng.IntN(len(r.nodes))]
		n.panics = true
		r.want = &marker{tree: t.index, node: n.id, reg: r}
		r.wrapped = r.boundary == nil || r.boundary.kind == kSubmit
		for a := n.parent; a != nil && a != r.boundary; a = a.parent {
			switch a.kind {
			case kJoin, kFunc:
				r.viaJoin = true
			case kScope, kFor, kReduce, kRun, kRunOther:
				r.wrapped = true
			}
		}
	}
}

// serialSum is the value every correct evaluation returns: the sum of all
// node values (plus the user task's results, added by the caller).
func (t *tree) serialSum() int64 {
	var s int64
	for _, n := range t.nodes {
		s += n.val
	}
	return s
}

// evalFunc is the Func that Func nodes fork with.
var evalFunc *scheduler.Func[*node, int64]

func init() {
	evalFunc = scheduler.NewFunc(func(w *scheduler.Worker, n *node) int64 { return n.t.eval(w, n) })
}

// spinSink keeps leaf busy work observable.
var spinSink atomic.Uint64

// enter counts n's execution and its regions' running tasks.
func (t *tree) enter(n *node) {
	if c := t.exec[n.id].Add(1); c != 1 {
		t.st.fail(fmt.Errorf("tree %d: node %d (%v) ran %d times", t.index, n.id, n.kind, c))
	}
	for r := n.reg; r != nil; r = r.parent {
		r.inflight.Add(1)
	}
}

// leave undoes enter's region counts; deferred, so it runs on panics too.
func (t *tree) leave(n *node) {
	for r := n.reg; r != nil; r = r.parent {
		r.inflight.Add(-1)
	}
}

// eval runs n's subtree on w and returns its sum.
func (t *tree) eval(w *scheduler.Worker, n *node) int64 {
	t.enter(n)
	defer t.leave(n)
	sum := n.val
	switch n.kind {
	case kLeaf:
		if n.spin > 0 {
			x := uint64(n.id) | 1
			for range n.spin {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
			}
			if x == 0 {
				spinSink.Add(1)
			}
		}
		if t.st.task != nil {
			sum += t.st.task(w, newRand(subSeed(t.leafSeed, int(n.leaf))))
		}
	case kSeq:
		for _, k := range n.kids {
			sum += t.eval(w, k)
		}
	case kJoin:
		var a, b int64
		w.Join(func(w *scheduler.Worker) { a = t.eval(w, n.kids[0]) },
			func(w *scheduler.Worker) { b = t.eval(w, n.kids[1]) })
		sum += a + b
	case kFunc:
		// Odd nodes use the Func.Inline idiom: evaluate the children
		// directly while a join would run them plainly anyway.
		if n.id%2 == 1 && evalFunc.Inline(w) {
			a := t.eval(w, n.kids[0])
			sum += a + t.eval(w, n.kids[1])
			break
		}
		a, b := evalFunc.Join(w, n.kids[0], n.kids[1])
		sum += a + b
	case kScope:
		var acc atomic.Int64
		w.Scope(func(s *scheduler.Scope) {
			for _, k := range n.kids {
				t.spawn(s, w, k, &acc)
			}
		})
		sum += acc.Load()
	case kFor:
		res := make([]int64, len(n.kids))
		forRange(w, len(n.kids), int(n.id%3), func(w *scheduler.Worker, lo, hi int) {
			for i := lo; i < hi; i++ {
				res[i] = t.eval(w, n.kids[i])
			}
		})
		for _, r := range res {
			sum += r
		}
	case kReduce:
		sum += reduceRange(w, len(n.kids), int(n.id%3), func(w *scheduler.Worker, lo, hi int) int64 {
			var s int64
			for i := lo; i < hi; i++ {
				s += t.eval(w, n.kids[i])
			}
			return s
		}, func(a, b int64) int64 { return a + b })
	case kRun, kRunOther:
		p := w.Pool()
		if n.kind == kRunOther {
			p = t.st.other(p)
		}
		var r int64
		p.Run(func(w *scheduler.Worker) { r = t.eval(w, n.kids[0]) })
		sum += r
	case kSubmit:
		p := w.Pool()
		if n.sub.want != nil {
			t.st.expect(t.st.poolIndex(p), n.sub.want)
		}
		t.submit(p, n.kids[0])
	case kCatch:
		var got any
		var r int64
		func() {
			defer func() { got = recover() }()
			r = t.eval(w, n.kids[0])
		}()
		if err := t.checkRegion(n.sub, got, "a catch around "+n.kids[0].kind.String()); err != nil {
			t.st.fail(err)
		}
		sum += r
	}
	if n.panics {
		injectPanic(n)
	}
	return sum
}

// injectPanic panics with n's region's marker, sometimes wrapped in an error.
// Its name is what checkPanic looks for in PanicError.Stack.
//
//go:noinline
func injectPanic(n *node) {
	m := n.reg.want
	if n.id%2 == 0 {
		panic(fmt.Errorf("stress: wrapped: %w", m))
	}
	panic(m)
}

// spawn spawns n into s from a caller running on w; a respawn node spawns
// its own children into s from inside its task, to any depth. Nodes with an
// odd id go through SpawnFrom (w's own deque), the others through Spawn (the
// injector), so that both paths and their mixture are exercised.
func (t *tree) spawn(s *scheduler.Scope, w *scheduler.Worker, n *node, acc *atomic.Int64) {
	spawn := s.Spawn
	if n.id%2 == 1 {
		spawn = func(fn func(w *scheduler.Worker)) { s.SpawnFrom(w, fn) }
	}
	if n.respawn {
		spawn(func(w *scheduler.Worker) {
			t.enter(n)
			defer t.leave(n)
			acc.Add(n.val)
			for _, k := range n.kids {
				t.spawn(s, w, k, acc)
			}
			if n.panics {
				injectPanic(n)
			}
		})
		return
	}
	spawn(func(w *scheduler.Worker) { acc.Add(t.eval(w, n)) })
}

// submit submits n's subtree to p; its sum goes to the detached total.
func (t *tree) submit(p *scheduler.Pool, n *node) {
	t.pending.Add(1)
	err := p.Submit(func(w *scheduler.Worker) {
		defer t.pending.Done()
		if t.st.task != nil {
			// Tasks: the user's pool keeps a submitted task's panic for
			// its handler or Close, which Tasks never sees; catch it here.
			defer func() {
				if v := recover(); v != nil {
					t.st.fail(fmt.Errorf("tree %d: a submitted subtree panicked: %v\n%s", t.index, v, shortStack(debug.Stack())))
				}
			}()
		}
		t.detached.Add(t.eval(w, n))
	})
	if err != nil {
		t.pending.Done()
		t.st.fail(fmt.Errorf("tree %d: Submit on an open pool: %v", t.index, err))
	}
}

// checkRegion checks what surfaced at the end of region reg: its injected
// panic (exactly that, with its stack) or nothing, and only after every task
// of the region finished.
//
// The contract checked is the documented one: Run, Scope, For and Reduce
// re-panic with a *scheduler.PanicError, Join and Func.Join with it or the
// bare value, and all only after the other tasks they started have finished
// (the scheduler package doc, Panics).
func (t *tree) checkRegion(reg *region, got any, where string) error {
	running := reg.inflight.Load()
	if reg.want == nil {
		if got != nil {
			if pe, ok := got.(*scheduler.PanicError); ok {
				return fmt.Errorf("tree %d: unexpected panic at %s (%d of its tasks still running): %v\n%s",
					t.index, where, running, pe.Value, shortStack(pe.Stack))
			}
			return fmt.Errorf("tree %d: unexpected panic at %s (%d of its tasks still running): %T %v", t.index, where, running, got, got)
		}
		if running != 0 {
			return fmt.Errorf("tree %d: %d tasks still running when %s returned", t.index, running, where)
		}
		return nil
	}
	if got == nil {
		return fmt.Errorf("tree %d: %v vanished: %s returned normally", t.index, reg.want, where)
	}
	pe, ok := got.(*scheduler.PanicError)
	if !reg.wrapped && (!ok || !reg.viaJoin) {
		// Only plain calls and joins between the panic and the catch: the
		// bare value (joins may also wrap it; then the checks below apply).
		if ok || markerOf(&scheduler.PanicError{Value: got}) != reg.want {
			return fmt.Errorf("tree %d: %s recovered %T %v, want the bare %v (only plain calls and joins in between)", t.index, where, got, got, reg.want)
		}
		if running != 0 {
			return fmt.Errorf("tree %d: %v surfaced at %s while %d of its tasks were still running", t.index, reg.want, where, running)
		}
		t.st.caught.Add(1)
		return nil
	}
	if !ok {
		return fmt.Errorf("tree %d: %s panicked with the bare value %T %v, want a *scheduler.PanicError carrying it (%d of its tasks still running)",
			t.index, where, got, got, running)
	}
	if err := checkPanic(pe, reg.want); err != nil {
		return fmt.Errorf("tree %d at %s: %w", t.index, where, err)
	}
	if running != 0 {
		return fmt.Errorf("tree %d: %v surfaced at %s while %d of its tasks were still running", t.index, reg.want, where, running)
	}
	t.st.caught.Add(1)
	return nil
}

// launchMode is how a tree's root reaches the pool from outside.
type launchMode int

const (
	launchRun launchMode = iota
	launchRunContext
	launchSubmit
)

// launch starts the tree on p from a new goroutine (Run, RunContext) or by
// Submit, and returns a channel closed when the launch call has returned.
func (t *tree) launch(p *scheduler.Pool, mode launchMode) <-chan struct{} {
	done := make(chan struct{})
	switch mode {
	case launchSubmit:
		if t.rootReg.want != nil {
			t.st.expect(t.st.poolIndex(p), t.rootReg.want)
		}
		t.submit(p, t.root)
		close(done)
	default:
		go func() {
			defer close(done)
			var got any
			if mode == launchRunContext {
				err := p.RunContext(context.Background(), func(w *scheduler.Worker) { t.rootSum = t.eval(w, t.root) })
				var pe *scheduler.PanicError
				if errors.As(err, &pe) {
					got = pe
				} else if err != nil {
					t.st.fail(fmt.Errorf("tree %d: RunContext: %v", t.index, err))
					return
				}
			} else {
				func() {
					defer func() { got = recover() }()
					p.Run(func(w *scheduler.Worker) { t.rootSum = t.eval(w, t.root) })
				}()
			}
			what := "Pool.Run"
			if mode == launchRunContext {
				what = "Pool.RunContext"
			}
			if err := t.checkRegion(t.rootReg, got, what); err != nil {
				t.st.fail(err)
			}
		}()
	}
	return done
}

// waitDetached waits for the tree's Submit subtrees.
func (t *tree) waitDetached() error {
	done := make(chan struct{})
	go func() {
		t.pending.Wait()
		close(done)
	}()
	return waitOrHang(done, roundTimeout, fmt.Sprintf("tree %d's submitted tasks", t.index))
}

// runTrees launches every tree on a pool picked from pools, in a random
// launch mode, waits for their Runs (a hang is an error) and then for their
// detached work. A tree that failed may still have tasks running (and
// submitting): that is reported at once rather than waited for.
func runTrees(st *roundState, rng *rand.Rand, trees []*tree, pools []*scheduler.Pool) error {
	dones := make([]<-chan struct{}, len(trees))
	for i, t := range trees {
		dones[i] = t.launch(pick(rng, pools...), launchMode(rng.IntN(3)))
	}
	for _, done := range dones {
		if err := waitOrHang(done, roundTimeout, "Run of a tree"); err != nil {
			return err
		}
	}
	if err := st.failed(); err != nil {
		return err
	}
	for _, t := range trees {
		if err := t.waitDetached(); err != nil {
			return err
		}
	}
	return nil
}

// checkSum checks a panic-free evaluation: the root's result plus the
// detached sums equal want, and every node ran exactly once.
func (t *tree) checkSum(want int64) error {
	for i := range t.exec {
		if c := t.exec[i].Load(); c != 1 {
			n := t.nodes[i]
			return fmt.Errorf("tree %d: node %d (%v, %d children) ran %d times, want 1", t.index, i, n.kind, len(n.kids), c)
		}
	}
	if got := t.rootSum + t.detached.Load(); got != want {
		return fmt.Errorf("tree %d (%d nodes): parallel sum %d, serial sum %d", t.index, len(t.nodes), got, want)
	}
	return nil
}

// ran counts the nodes that ran.
func (t *tree) ran() int64 {
	var n int64
	for i := range t.exec {
		n += int64(t.exec[i].Load())
	}
	return n
}

// shortStack keeps the part of a panic's stack from the panic on, at most
// a dozen frames: enough to see where a task panicked.
func shortStack(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "panic(") {
			lines = lines[i:]
			break
		}
	}
	if len(lines) > 25 {
		lines = append(lines[:25], "\t...")
	}
	return strings.Join(lines, "\n")
}

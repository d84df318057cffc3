package scheduler_test

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forage-go/forage/scheduler"
)

// Benchmarks of the scheduler core beside in-package baselines (issue 3).
// Sub-benchmark names are key=value pairs so that benchstat can put the
// implementations side by side, e.g.
//
//	go test -run '^$' -bench 'Fib30|Submit1M|UnbalancedTree' -count 6 ./scheduler/ > b.txt
//	benchstat -col /impl b.txt
//
// Every fib benchmark reports ns/fork, forks being fib calls with n >= 2
// (fibForks). Baselines that do not depend on the worker count (serial) are
// repeated under each workers= value so that they line up in those tables.

var (
	sinkInt  int
	sinkBool atomic.Bool
)

func reportPer(b *testing.B, per float64, unit string) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/per, unit)
}

// ---- fib(30) without cutoff ----

// fibGo forks with a goroutine and a sync.WaitGroup per call.
func fibGo(n int) int {
	if n < 2 {
		return n
	}
	var a int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a = fibGo(n - 1)
	}()
	b := fibGo(n - 2)
	wg.Wait()
	return a + b
}

// chanPool is the best classic pool that really forks (REFERENCES.md §6): N
// workers reading a chan func() (buffer 1024), a TrySubmit that runs the task
// inline when the buffer is full, and a join that runs queued tasks while it
// waits for its forked half (help-while-waiting), so that recursion cannot
// deadlock it.
type chanPool struct {
	ch chan func()
	wg sync.WaitGroup
}

func newChanPool(workers int) *chanPool {
	c := &chanPool{ch: make(chan func(), 1024)}
	for range workers {
		c.wg.Go(func() {
			for f := range c.ch {
				f()
			}
		})
	}
	return c
}

func (c *chanPool) close() {
	close(c.ch)
	c.wg.Wait()
}

// trySubmit queues f unless the buffer is full.
func (c *chanPool) trySubmit(f func()) bool {
	select {
	case c.ch <- f:
		return true
	default:
		return false
	}
}

// helpUntil runs queued tasks until *pending is false: the join of the
// help-while-waiting pool.
func (c *chanPool) helpUntil(pending *atomic.Bool) {
	for pending.Load() {
		select {
		case f := <-c.ch:
			f()
		default:
			runtime.Gosched()
		}
	}
}

// run runs fn on a pool worker and waits for it.
func (c *chanPool) run(fn func()) {
	done := make(chan struct{})
	c.ch <- func() { fn(); close(done) }
	<-done
}

// fibChan forks fib(n-1) through the channel pool (inline if its buffer is
// full) and runs fib(n-2) inline: 2 allocations per fork (the closure and
// the state it shares with the join).
func fibChan(c *chanPool, n int) int {
	if n < 2 {
		return n
	}
	st := &struct {
		a       int
		pending atomic.Bool
	}{}
	st.pending.Store(true)
	task := func() { st.a = fibChan(c, n-1); st.pending.Store(false) }
	if !c.trySubmit(task) {
		task()
	}
	b := fibChan(c, n-2)
	c.helpUntil(&st.pending)
	return st.a + b
}

// BenchmarkFib30: fib(30) with a fork at every call (1,346,268 forks)
// through Func.Join, the Func.Inline idiom (impl=inline) and closure Join
// at 1 and 2 workers, beside serial fib, the call-layer floor
// (impl=calllayer: serial fib through a join the compiler cannot inline),
// the channel pool with help-while-waiting (its worker count), and a goroutine
// plus WaitGroup per fork (fib(25) for that one, which is far slower; its
// parallelism is GOMAXPROCS, set to the workers value for the run). Compare
// the ns/fork column.
func BenchmarkFib30(b *testing.B) {
	const n = 30
	forks := float64(fibForks(n))
	if fibSerial(n) != 832040 {
		b.Fatal("fibSerial is wrong")
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("impl=serial/workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				sinkInt = fibSerial(n)
			}
			reportPer(b, forks, "ns/fork")
		})
		b.Run(fmt.Sprintf("impl=calllayer/workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				sinkInt = fibLayer.fn(nil, n)
			}
			reportPer(b, forks, "ns/fork")
			checkFib(b, n)
		})
		for _, impl := range []struct {
			name string
			fib  func(w *scheduler.Worker, n int) int
		}{{"func", fibFunc.Call}, {"inline", fibInline}, {"closure", fibJoin}} {
			b.Run(fmt.Sprintf("impl=%s/workers=%d", impl.name, workers), func(b *testing.B) {
				p := benchPool(b, workers)
				b.ReportAllocs()
				for b.Loop() {
					p.Run(func(w *scheduler.Worker) { sinkInt = impl.fib(w, n) })
				}
				reportPer(b, forks, "ns/fork")
				checkFib(b, n)
			})
		}
		b.Run(fmt.Sprintf("impl=chanpool/workers=%d", workers), func(b *testing.B) {
			c := newChanPool(workers)
			defer c.close()
			b.ReportAllocs()
			for b.Loop() {
				c.run(func() { sinkInt = fibChan(c, n) })
			}
			reportPer(b, forks, "ns/fork")
			checkFib(b, n)
		})
		b.Run(fmt.Sprintf("impl=goroutine/workers=%d", workers), func(b *testing.B) {
			const n = 25 // see above: ns/fork stays comparable
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(workers))
			b.ReportAllocs()
			for b.Loop() {
				sinkInt = fibGo(n)
			}
			reportPer(b, float64(fibForks(n)), "ns/fork")
			checkFib(b, n)
		})
	}
}

// benchPool makes a pool for a benchmark, closed when it ends.
func benchPool(b *testing.B, workers int) *scheduler.Pool {
	p, err := scheduler.New(scheduler.WithWorkers(workers))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := p.Close(); err != nil {
			b.Error(err)
		}
	})
	return p
}

func checkFib(b *testing.B, n int) {
	if sinkInt != fibSerial(n) {
		b.Fatalf("fib(%d) = %d, want %d", n, sinkInt, fibSerial(n))
	}
}

// ---- 10^6 submitted tiny tasks ----

// busyIters makes busy() take about 50 ns here (50.6 ns: the fastest of 200
// timed batches; impl=serial in BenchmarkSubmit1M reports it under load).
const busyIters = 40

// busy is the tiny task's work: dependent xorshift steps.
//
//go:noinline
func busy(x uint64) uint64 {
	for range busyIters {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func tinyTask() {
	if busy(0x2545F4914F6CDD1D) == 0 {
		sinkBool.Store(true) // never: keeps busy from being optimised away
	}
}

// BenchmarkSubmit1M: 10^6 tiny tasks (~50 ns of work each) submitted from 1
// and from 8 goroutines to 2 workers, fire-and-forget; an op ends when every
// task has run (the pool is made per op and Close waits for its tasks; the
// channel pool likewise closes its channel and waits for its workers).
// Beside: the channel pool with blocking sends, and the tasks run serially.
// Compare ns/task.
func BenchmarkSubmit1M(b *testing.B) {
	const tasks = 1_000_000
	const workers = 2
	fTask := func(*scheduler.Worker) { tinyTask() }
	for _, submitters := range []int{1, 8} {
		b.Run(fmt.Sprintf("impl=serial/submitters=%d", submitters), func(b *testing.B) {
			for b.Loop() {
				for range tasks {
					tinyTask()
				}
			}
			reportPer(b, tasks, "ns/task")
		})
		b.Run(fmt.Sprintf("impl=forage/submitters=%d", submitters), func(b *testing.B) {
			b.ReportAllocs()
			var parks, takes float64
			for b.Loop() {
				p, err := scheduler.New(scheduler.WithWorkers(workers))
				if err != nil {
					b.Fatal(err)
				}
				var wg sync.WaitGroup
				for range submitters {
					wg.Go(func() {
						for range tasks / submitters {
							if err := p.Submit(fTask); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				if err := p.Close(); err != nil {
					b.Fatal(err)
				}
				st := p.Stats().Total
				if st.Tasks != tasks {
					b.Fatalf("%d tasks ran, want %d", st.Tasks, tasks)
				}
				parks += float64(st.Parks)
				takes += float64(st.Injected)
			}
			reportPer(b, tasks, "ns/task")
			// How the workers kept up: parks per op (each costs the
			// submitter that wakes the worker a futex call), and the
			// injector batches they took.
			b.ReportMetric(parks/float64(b.N), "parks/op")
			b.ReportMetric(takes/float64(b.N), "takes/op")
		})
		b.Run(fmt.Sprintf("impl=chanpool/submitters=%d", submitters), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c := newChanPool(workers)
				var wg sync.WaitGroup
				for range submitters {
					wg.Go(func() {
						for range tasks / submitters {
							c.ch <- tinyTask
						}
					})
				}
				wg.Wait()
				c.close()
			}
			reportPer(b, tasks, "ns/task")
		})
	}
}

// ---- unbalanced random binary tree ----

// The tree of REFERENCES.md §9, smaller: the first 12 levels are full; below,
// a node has two children with probability utsQ, else none, decided by a hash
// of the node, so the tree is the same in every run. With utsQ = 0.499 and
// this root it has 2,342,279 nodes and depth 2,063 (the §9 tree: 0.49995,
// 12.7M nodes; refTree below is one of its size).
const (
	utsQ     = 0.499
	utsRoot  = 8
	utsNodes = 2_342_279
	utsDepth = 2063
)

// utsThreshold: a node has children when the top 53 bits of its hash are
// below it. A variable, so that BenchmarkUnbalancedTreeRef can switch the
// walks to refTree's probability (useTree) without a second copy of them.
var utsThreshold = threshold(utsQ)

func threshold(q float64) uint64 { return uint64(q * (1 << 53)) }

// refTree is a tree of the size of REFERENCES.md §9's, where the issue's
// target for unbalanced trees comes from: children with probability
// 0.49995 (nearly critical: a node has 0.9999 children on average, and a
// few subtrees hold most of the nodes), 12,244,297 nodes, depth 4,565.
// The root was chosen, before any timing, as the first seed below 400 whose
// tree came within 5% of §9's 12,693,229 nodes and within 10% of its depth
// 5,051 (our node hash is not §9's, so its tree cannot be reproduced).
var refTree = treeSpec{0.49995, 50, 12_244_297, 4565}

// treeSpec names an unbalanced tree: its probability of children below
// level 12, its root's seed, and its size and depth.
type treeSpec struct {
	q            float64
	root         uint64
	nodes, depth int
}

// useTree switches the walks to probability q for the rest of b and back to
// utsQ afterwards. Benchmarks run one at a time, after the tests.
func useTree(b *testing.B, q float64) {
	utsThreshold = threshold(q)
	b.Cleanup(func() { utsThreshold = threshold(utsQ) })
}

type utsNode struct {
	h     uint64
	depth int32
}

// splitmix64's finaliser: the per-node hash.
func mix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

func utsKids(n utsNode) (a, b utsNode, ok bool) {
	if n.depth >= 12 && n.h>>11 >= utsThreshold {
		return a, b, false
	}
	return utsNode{mix64(n.h ^ 1), n.depth + 1}, utsNode{mix64(n.h ^ 2), n.depth + 1}, true
}

func utsSerial(n utsNode) int {
	a, b, ok := utsKids(n)
	if !ok {
		return 1
	}
	return 1 + utsSerial(a) + utsSerial(b)
}

var utsFunc *scheduler.Func[utsNode, int]

// utsLayer is utsFunc's function over callLayer: the call-layer floor.
var utsLayer callLayer[utsNode, int]

// utsInline walks through utsInlineFunc with the Func.Inline idiom.
var utsInlineFunc *scheduler.Func[utsNode, int]

func utsInline(w *scheduler.Worker, n utsNode) int {
	a, b, ok := utsKids(n)
	if !ok {
		return 1
	}
	if utsInlineFunc.Inline(w) {
		return 1 + utsInline(w, a) + utsInline(w, b)
	}
	x, y := utsInlineFunc.Join(w, a, b)
	return 1 + x + y
}

func init() {
	utsFunc = scheduler.NewFunc(func(w *scheduler.Worker, n utsNode) int {
		a, b, ok := utsKids(n)
		if !ok {
			return 1
		}
		x, y := utsFunc.Join(w, a, b)
		return 1 + x + y
	})
	utsInlineFunc = scheduler.NewFunc(utsInline)
	utsLayer.fn = func(w *scheduler.Worker, n utsNode) int {
		a, b, ok := utsKids(n)
		if !ok {
			return 1
		}
		x, y := utsLayer.join(w, a, b)
		return 1 + x + y
	}
}

// BenchmarkUnbalancedTree: count the nodes of the unbalanced tree through
// Func.Join and the Func.Inline idiom at 1 and 2 workers, beside a serial
// walk and the call-layer floor. Compare ns/node.
func BenchmarkUnbalancedTree(b *testing.B) {
	benchTree(b, mix64(utsRoot), utsNodes)
}

// BenchmarkUnbalancedTreeRef: the same on refTree, five times larger and
// nearly critical (docs/design.md §9 reports both).
func BenchmarkUnbalancedTreeRef(b *testing.B) {
	useTree(b, refTree.q)
	benchTree(b, mix64(refTree.root), refTree.nodes)
}

func benchTree(b *testing.B, rootHash uint64, nodes int) {
	root := utsNode{h: rootHash}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("impl=serial/workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				sinkInt = utsSerial(root)
			}
			reportPer(b, float64(nodes), "ns/node")
			checkNodes(b, nodes)
		})
		b.Run(fmt.Sprintf("impl=calllayer/workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				sinkInt = utsLayer.fn(nil, root)
			}
			reportPer(b, float64(nodes), "ns/node")
			checkNodes(b, nodes)
		})
		for _, impl := range []struct {
			name string
			walk func(w *scheduler.Worker, n utsNode) int
		}{{"func", utsFunc.Call}, {"inline", utsInline}} {
			b.Run(fmt.Sprintf("impl=%s/workers=%d", impl.name, workers), func(b *testing.B) {
				p := benchPool(b, workers)
				b.ReportAllocs()
				st0 := p.Stats().Total
				for b.Loop() {
					p.Run(func(w *scheduler.Worker) { sinkInt = impl.walk(w, root) })
				}
				reportPer(b, float64(nodes), "ns/node")
				checkNodes(b, nodes)
				st := p.Stats().Total
				b.ReportMetric(float64(st.Steals-st0.Steals)/float64(b.N), "steals/op")
				b.ReportMetric(float64(st.StealAttempts-st0.StealAttempts)/float64(b.N), "attempts/op")
				b.ReportMetric(float64(st.Parks-st0.Parks)/float64(b.N), "parks/op")
			})
		}
	}
}

// checkNodes fails b unless the last walk counted nodes.
func checkNodes(b *testing.B, nodes int) {
	if sinkInt != nodes {
		b.Fatalf("counted %d nodes, want %d", sinkInt, nodes)
	}
}

// TestUnbalancedTreeShape: the benchmark trees have the advertised sizes
// and depths, and Func counts them right (at 2 workers; skipped under -race,
// where millions of forks take too long).
func TestUnbalancedTreeShape(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("millions of nodes: too slow under the race detector")
	}
	// No other test walks these trees; benchmarks run after the tests.
	t.Cleanup(func() { utsThreshold = threshold(utsQ) })
	for _, tree := range []treeSpec{{utsQ, utsRoot, utsNodes, utsDepth}, refTree} {
		utsThreshold = threshold(tree.q)
		root := utsNode{h: mix64(tree.root)}
		var depth int32
		var walk func(n utsNode) int
		walk = func(n utsNode) int {
			depth = max(depth, n.depth)
			a, b, ok := utsKids(n)
			if !ok {
				return 1
			}
			return 1 + walk(a) + walk(b)
		}
		if got := walk(root); got != tree.nodes || int(depth) != tree.depth {
			t.Fatalf("q=%v: tree has %d nodes and depth %d, want %d and %d", tree.q, got, depth, tree.nodes, tree.depth)
		}
		p := newPool(t, 2)
		var got int
		p.Run(func(w *scheduler.Worker) { got = utsFunc.Call(w, root) })
		if got != tree.nodes {
			t.Fatalf("q=%v: Func counted %d nodes, want %d", tree.q, got, tree.nodes)
		}
	}
}

// ---- wake-up latency ----

// BenchmarkIdleSubmitLatency: the time from Submit to the task starting when
// every worker has parked (the target: a median under 50 µs).
// Reports the median and 99th percentile; ns/op includes waiting for the
// pool to go idle again and is not the figure of interest.
func BenchmarkIdleSubmitLatency(b *testing.B) {
	for _, workers := range []int{1, 2, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			p := benchPool(b, workers)
			started := make(chan time.Time, 1)
			task := func(*scheduler.Worker) { started <- time.Now() }
			var lat []time.Duration
			for b.Loop() {
				for scheduler.SleepingWorkers(p) != workers {
					runtime.Gosched()
				}
				t0 := time.Now()
				if err := p.Submit(task); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, (<-started).Sub(t0))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
		})
	}
}

// BenchmarkScopeTree: the unbalanced tree walked through one Scope, each
// inner node spawning one child and visiting the other itself, with Spawn
// (through the injector) and with SpawnFrom (onto the worker's own deque);
// nodes are counted per worker. Compare ns/node with BenchmarkUnbalancedTree.
func BenchmarkScopeTree(b *testing.B) {
	root := utsNode{h: mix64(utsRoot)}
	type padded struct {
		n int
		_ [120]byte
	}
	for _, workers := range []int{1, 2} {
		for _, from := range []bool{false, true} {
			impl := "spawn"
			if from {
				impl = "spawnfrom"
			}
			b.Run(fmt.Sprintf("impl=%s/workers=%d", impl, workers), func(b *testing.B) {
				p := benchPool(b, workers)
				b.ReportAllocs()
				for b.Loop() {
					counts := make([]padded, workers)
					p.Run(func(w *scheduler.Worker) {
						w.Scope(func(s *scheduler.Scope) {
							var visit func(w *scheduler.Worker, n utsNode)
							visit = func(w *scheduler.Worker, n utsNode) {
								counts[w.ID()].n++
								l, r, ok := utsKids(n)
								if !ok {
									return
								}
								child := func(w *scheduler.Worker) { visit(w, l) }
								if from {
									s.SpawnFrom(w, child)
								} else {
									s.Spawn(child)
								}
								visit(w, r)
							}
							visit(w, root)
						})
					})
					total := 0
					for _, c := range counts {
						total += c.n
					}
					if total != utsNodes {
						b.Fatalf("counted %d nodes, want %d", total, utsNodes)
					}
				}
				reportPer(b, utsNodes, "ns/node")
			})
		}
	}
}

// ---- the machine ----

// BenchmarkCacheLinePingPong: two goroutines on their own threads pass a
// counter back and forth through one cache line; ns/one-way is the time a
// write on one CPU takes to be seen on another. On our 2-vCPU guest it
// reads 25–35 ns most of the time and 160–170 ns in phases when the host
// places the vCPUs far apart; steal-heavy benchmarks (the reference tree)
// slow down in those phases, so run it before and after comparing them
// (docs/design.md §9, "The adaptive budget").
func BenchmarkCacheLinePingPong(b *testing.B) {
	if runtime.GOMAXPROCS(0) < 2 {
		b.Skip("needs two threads running at once")
	}
	var line struct {
		_ [64]byte
		n atomic.Int64 // even: the benchmark goroutine's turn; odd: the partner's
		_ [64]byte
	}
	// play takes every other turn, starting with turn first: wait until the
	// counter says it is ours, then hand it over.
	play := func(first int64) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := first; i < 2*int64(b.N); i += 2 {
			for line.n.Load() != i {
			}
			line.n.Store(i + 1)
		}
	}
	done := make(chan struct{})
	b.ResetTimer()
	go func() { defer close(done); play(1) }()
	play(0)
	<-done
	reportPer(b, 2, "ns/one-way")
}

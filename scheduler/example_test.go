package scheduler_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"

	"github.com/forage-go/forage/scheduler"
)

// Fib forks at every call through a Func: its Join allocates nothing, so
// even this extremely fine-grained recursion stays cheap.
func ExampleNewFunc() {
	var fib *scheduler.Func[int, int]
	fib = scheduler.NewFunc(func(w *scheduler.Worker, n int) int {
		if n < 2 {
			return n
		}
		a, b := fib.Join(w, n-1, n-2) // fib(n-1) here, fib(n-2) possibly elsewhere
		return a + b
	})

	p, err := scheduler.New(scheduler.WithWorkers(2))
	if err != nil {
		panic(err)
	}
	defer p.Close()

	var r int
	p.Run(func(w *scheduler.Worker) { r = fib.Call(w, 25) })
	fmt.Println("fib(25) =", r)
	// Output: fib(25) = 75025
}

// numRange is the half-open range of integers [lo, hi).
type numRange struct{ lo, hi int }

// addRangeF forks addRange's halves (set in init: addRange refers to it).
var addRangeF *scheduler.Func[numRange, int]

func init() { addRangeF = scheduler.NewFunc(addRange) }

// addRange adds the integers of r by halving it. Where a join would run its two
// calls plainly anyway, it recurses directly: Func.Inline says when.
func addRange(w *scheduler.Worker, r numRange) int {
	switch r.hi - r.lo {
	case 0:
		return 0
	case 1:
		return r.lo
	}
	mid := r.lo + (r.hi-r.lo)/2
	if addRangeF.Inline(w) {
		return addRange(w, numRange{r.lo, mid}) + addRange(w, numRange{mid, r.hi})
	}
	a, b := addRangeF.Join(w, numRange{r.lo, mid}, numRange{mid, r.hi})
	return a + b
}

// Hot recursion that tests Func.Inline before each fork pays for a join
// only when the join may really fork: the other forks are direct calls,
// as in serial code.
func ExampleFunc_Inline() {
	p, err := scheduler.New(scheduler.WithWorkers(2))
	if err != nil {
		panic(err)
	}
	defer p.Close()

	var r int
	p.Run(func(w *scheduler.Worker) { r = addRange(w, numRange{0, 1_000_000}) })
	fmt.Println(r)
	// Output: 499999500000
}

// quicksort sorts s, sorting the two sides of each partition in parallel.
func quicksort(w *scheduler.Worker, s []int) {
	if len(s) <= 64 {
		slices.Sort(s) // small pieces: a fork would cost more than it saves
		return
	}
	// Lomuto partition around the middle element.
	mid := len(s) / 2
	s[mid], s[len(s)-1] = s[len(s)-1], s[mid]
	pivot, store := s[len(s)-1], 0
	for i := range len(s) - 1 {
		if s[i] < pivot {
			s[i], s[store] = s[store], s[i]
			store++
		}
	}
	s[store], s[len(s)-1] = s[len(s)-1], s[store]
	lo, hi := s[:store], s[store+1:]
	w.Join(
		func(w *scheduler.Worker) { quicksort(w, lo) },
		func(w *scheduler.Worker) { quicksort(w, hi) },
	)
}

// A parallel quicksort with Join: the two halves of each partition are
// disjoint, so they can be sorted at the same time without locks.
func ExampleWorker_Join() {
	rng := rand.New(rand.NewPCG(1, 2))
	s := make([]int, 100_000)
	for i := range s {
		s[i] = rng.IntN(1_000_000)
	}

	p, err := scheduler.New(scheduler.WithWorkers(2))
	if err != nil {
		panic(err)
	}
	defer p.Close()

	p.Run(func(w *scheduler.Worker) { quicksort(w, s) })
	fmt.Println("sorted:", slices.IsSorted(s), "len:", len(s))
	// Output: sorted: true len: 100000
}

// dir is a node of a file tree for the Scope example.
type dir struct {
	name  string
	files []int64 // file sizes
	subs  []*dir
}

// A tree walk with Scope: every directory is a task, spawned by the task of
// its parent into one scope that Scope waits for — however deep the tree and
// whichever workers the tasks land on.
func ExampleWorker_Scope() {
	// A tree 6 levels deep, 3 subdirectories and 4 files per directory.
	var build func(name string, depth int) *dir
	build = func(name string, depth int) *dir {
		d := &dir{name: name, files: []int64{1, 10, 100, 1000}}
		if depth > 0 {
			for i := range 3 {
				d.subs = append(d.subs, build(fmt.Sprintf("%s/%d", name, i), depth-1))
			}
		}
		return d
	}
	root := build("root", 5)

	p, err := scheduler.New(scheduler.WithWorkers(2))
	if err != nil {
		panic(err)
	}
	defer p.Close()

	var dirs, files, bytes atomic.Int64
	p.Run(func(w *scheduler.Worker) {
		w.Scope(func(s *scheduler.Scope) {
			var walk func(d *dir)
			walk = func(d *dir) {
				dirs.Add(1)
				for _, size := range d.files {
					files.Add(1)
					bytes.Add(size)
				}
				for _, sub := range d.subs {
					s.Spawn(func(*scheduler.Worker) { walk(sub) })
				}
			}
			walk(root)
		})
	})
	fmt.Println(dirs.Load(), "directories,", files.Load(), "files,", bytes.Load(), "bytes")
	// Output: 364 directories, 1456 files, 404404 bytes
}

// SpawnFrom: the same kind of walk, with each task passing the worker it
// runs on, so that its children go onto that worker's own deque (no
// injector lock) — the faster choice for many small tasks.
func ExampleScope_SpawnFrom() {
	p, err := scheduler.New(scheduler.WithWorkers(2))
	if err != nil {
		panic(err)
	}
	defer p.Close()

	// Count the nodes of a complete binary tree of depth 16.
	var nodes atomic.Int64
	p.Run(func(w *scheduler.Worker) {
		w.Scope(func(s *scheduler.Scope) {
			var visit func(w *scheduler.Worker, depth int)
			visit = func(w *scheduler.Worker, depth int) {
				nodes.Add(1)
				if depth == 0 {
					return
				}
				s.SpawnFrom(w, func(w *scheduler.Worker) { visit(w, depth-1) })
				visit(w, depth-1)
			}
			visit(w, 16)
		})
	})
	fmt.Println(nodes.Load(), "nodes")
	// Output: 131071 nodes
}

package scheduler_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/forage-go/forage/scheduler"
)

// Benchmarks of the loops and the sort against a serial loop and the two
// ways Go programs usually parallelise without a scheduler: one goroutine
// per chunk with a WaitGroup, and errgroup-style bounded concurrency (a
// semaphore of P slots, as errgroup.SetLimit(P); plain goroutines, so the
// root module needs no dependency). Each contender runs at P = 1 and 2
// (GOMAXPROCS and, for forage, the worker count), in the same process.
// Names are impl=NAME/workers=P, for
//
//	go test -run '^$' -bench 'Loops' -count 5 ./scheduler/ > out.txt
//	benchstat -col /impl out.txt
//
// docs/loops.md has the figures.

// benchChunks: how many chunks the goroutine contenders cut a loop into, as
// in the reference measurements (docs/ REFERENCES §6: 1024 chunks).
const benchChunks = 1024

var benchImpls = []string{"serial", "forage", "goroutines", "errgroup"}

// benchAt runs body as sub-benchmark impl=NAME/workers=P for every contender
// and P in {1, 2}, with GOMAXPROCS set to P and a forage pool of P workers.
func benchAt(b *testing.B, body func(b *testing.B, impl string, p *scheduler.Pool, procs int)) {
	for _, procs := range []int{1, 2} {
		for _, impl := range benchImpls {
			b.Run(fmt.Sprintf("impl=%s/workers=%d", impl, procs), func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				var p *scheduler.Pool
				if impl == "forage" {
					var err error
					p, err = scheduler.New(scheduler.WithWorkers(procs))
					if err != nil {
						b.Fatal(err)
					}
					defer p.Close()
				}
				body(b, impl, p, procs)
			})
		}
	}
}

// chunked runs fn over benchChunks chunks of [0, n) on goroutines: one per
// chunk (limit 0), or at most limit at once (errgroup.SetLimit style: the
// spawner blocks while limit goroutines run).
func chunked(n, limit int, fn func(c, lo, hi int)) {
	var wg sync.WaitGroup
	var sem chan struct{}
	if limit > 0 {
		sem = make(chan struct{}, limit)
	}
	for c := range benchChunks {
		lo, hi := c*n/benchChunks, (c+1)*n/benchChunks
		if sem != nil {
			sem <- struct{}{}
		}
		wg.Go(func() {
			fn(c, lo, hi)
			if sem != nil {
				<-sem
			}
		})
	}
	wg.Wait()
}

// ---- sum: memory-bound ----

var benchSumData = sync.OnceValue(func() []int64 {
	s := make([]int64, 50_000_000) // 400 MB: far beyond any cache
	for i := range s {
		s[i] = int64(i) & 0xffff
	}
	return s
})

// sumRange is the one summing loop every contender calls. Not inlined, so
// that all run the same machine code: inlined copies of a loop this tight
// ran 1.7x apart here depending on where the compiler placed them (code
// alignment), which would swamp the scheduling differences measured.
// Four accumulators keep it bound by memory, not by one chain of adds.
//
//go:noinline
func sumRange(s []int64) int64 {
	var t0, t1, t2, t3 int64
	i := 0
	for ; i+4 <= len(s); i += 4 {
		t0 += s[i]
		t1 += s[i+1]
		t2 += s[i+2]
		t3 += s[i+3]
	}
	for ; i < len(s); i++ {
		t0 += s[i]
	}
	return t0 + t1 + t2 + t3
}

// BenchmarkLoopsSum: the sum of 5·10^7 int64 (400 MB), reported in bytes/s.
// Memory-bound: two cores share the memory bandwidth, so ~1.5x is the
// ceiling here (REFERENCES §6).
func BenchmarkLoopsSum(b *testing.B) {
	s := benchSumData()
	want := sumRange(s)
	benchAt(b, func(b *testing.B, impl string, p *scheduler.Pool, procs int) {
		b.SetBytes(int64(8 * len(s)))
		var got int64
		for b.Loop() {
			switch impl {
			case "serial":
				got = sumRange(s)
			case "forage":
				p.Run(func(w *scheduler.Worker) {
					got = scheduler.Reduce(w, len(s),
						func(_ *scheduler.Worker, lo, hi int) int64 { return sumRange(s[lo:hi]) },
						func(a, b int64) int64 { return a + b })
				})
			default:
				parts := make([]int64, benchChunks)
				chunked(len(s), limitFor(impl, procs), func(c, lo, hi int) { parts[c] = sumRange(s[lo:hi]) })
				got = sumRange(parts)
			}
		}
		if got != want {
			b.Fatalf("sum %d, want %d", got, want)
		}
	})
}

func limitFor(impl string, procs int) int {
	if impl == "errgroup" {
		return procs
	}
	return 0
}

// ---- map: compute-bound ----

// mix is 128 dependent multiply-xorshift rounds: ~150 ns of pure compute
// per element, no memory traffic to speak of. (Map calls its function
// through a func value, ~1-2 ns a call, which the serial and goroutine
// loops inline: with much cheaper elements that call, not scheduling, would
// be what the comparison measures.)
func mix(x uint64) uint64 {
	for range 128 {
		x ^= x >> 29
		x *= 0xbf58476d1ce4e5b9
	}
	return x
}

// BenchmarkLoopsMap: Map of mix over 2^18 elements into a new slice.
func BenchmarkLoopsMap(b *testing.B) {
	in := make([]uint64, 1<<18)
	for i := range in {
		in[i] = uint64(i)
	}
	benchAt(b, func(b *testing.B, impl string, p *scheduler.Pool, procs int) {
		var out []uint64
		for b.Loop() {
			switch impl {
			case "serial":
				out = make([]uint64, len(in))
				for i, v := range in {
					out[i] = mix(v)
				}
			case "forage":
				p.Run(func(w *scheduler.Worker) {
					out = scheduler.Map(w, in, func(_ *scheduler.Worker, v uint64) uint64 { return mix(v) })
				})
			default:
				out = make([]uint64, len(in))
				chunked(len(in), limitFor(impl, procs), func(_, lo, hi int) {
					for i := lo; i < hi; i++ {
						out[i] = mix(in[i])
					}
				})
			}
		}
		if out[12345] != mix(12345) {
			b.Fatal("wrong map result")
		}
	})
}

// ---- adaptive splitting: no grain for very cheap or very dear iterations ----

// cheapLeaf is the body of BenchmarkLoopsCheap: one multiply-add per
// iteration in a dependent chain, ~1.1 ns. Not inlined, so that every
// contender runs the same machine code (see sumRange). A loop whose
// iterations are independent (one cycle each) was tried first and rejected:
// here its speed flipped between one and two cycles per iteration with
// unrelated changes in the code around the call (two ways of computing the
// next chunk size, or a clock read between chunks), for the serial loop as
// much as for the chunked contenders; a latency-bound chain runs at the
// same speed whatever surrounds it.
//
//go:noinline
func cheapLeaf(lo, hi int) uint64 {
	x := uint64(lo)
	for i := lo; i < hi; i++ {
		x = x*6364136223846793005 + uint64(i)
	}
	return x
}

// benchSink keeps results alive.
var benchSink uint64

// BenchmarkLoopsCheap: 10^8 iterations of a ~1 ns body, with For and no
// grain (Reduce, to keep the work from being optimised away).
func BenchmarkLoopsCheap(b *testing.B) {
	const n = 100_000_000
	leaf := cheapLeaf
	benchAt(b, func(b *testing.B, impl string, p *scheduler.Pool, procs int) {
		var got uint64
		for b.Loop() {
			switch impl {
			case "serial":
				got = leaf(0, n)
			case "forage":
				p.Run(func(w *scheduler.Worker) {
					got = scheduler.Reduce(w, n, func(_ *scheduler.Worker, lo, hi int) uint64 { return leaf(lo, hi) },
						func(a, b uint64) uint64 { return a + b })
				})
			default:
				parts := make([]uint64, benchChunks)
				chunked(n, limitFor(impl, procs), func(c, lo, hi int) { parts[c] = leaf(lo, hi) })
				got = 0
				for _, v := range parts {
					got += v
				}
			}
		}
		benchSink = got // the value depends on the chunking; the work does not
	})
}

// BenchmarkLoopsDear: 100 iterations of ~1 ms each, with For and no grain.
func BenchmarkLoopsDear(b *testing.B) {
	const n = 100
	out := make([]uint64, n)
	dear := func(i int) {
		x := uint64(i)
		for range 5_000 {
			x = mix(x)
		}
		out[i] = x
	}
	benchAt(b, func(b *testing.B, impl string, p *scheduler.Pool, procs int) {
		for b.Loop() {
			switch impl {
			case "serial":
				for i := range n {
					dear(i)
				}
			case "forage":
				p.Run(func(w *scheduler.Worker) {
					scheduler.For(w, n, func(_ *scheduler.Worker, lo, hi int) {
						for i := lo; i < hi; i++ {
							dear(i)
						}
					})
				})
			default:
				chunked(n, limitFor(impl, procs), func(_, lo, hi int) {
					for i := lo; i < hi; i++ {
						dear(i)
					}
				})
			}
		}
	})
}

// ---- sort ----

var benchSortData = sync.OnceValue(func() []int {
	r := rand.New(rand.NewPCG(1, 2))
	s := make([]int, 10_000_000)
	for i := range s {
		s[i] = int(r.Uint64() >> 1)
	}
	return s
})

// BenchmarkLoopsSort: sorting 10^7 random ints (each op copies the input
// first: ~1% of the serial time, the same for every contender).
func BenchmarkLoopsSort(b *testing.B) {
	benchSort(b, benchSortData())
}

// BenchmarkLoopsSortSorted: the same 10^7 ints, already sorted: forage must
// not be slower than slices.Sort's linear-time handling of this case.
func BenchmarkLoopsSortSorted(b *testing.B) {
	benchSort(b, slices.Sorted(slices.Values(benchSortData())))
}

// BenchmarkLoopsSortSmall: 1000 ints, where Sort must be slices.Sort.
func BenchmarkLoopsSortSmall(b *testing.B) {
	benchSort(b, benchSortData()[:1000])
}

// BenchmarkLoopsSort32K: 2^15 ints, just above the size where Sort starts
// sorting in parallel (2^14).
func BenchmarkLoopsSort32K(b *testing.B) {
	benchSort(b, benchSortData()[:1<<15])
}

func benchSort(b *testing.B, src []int) {
	s := make([]int, len(src))
	benchAt(b, func(b *testing.B, impl string, p *scheduler.Pool, procs int) {
		if impl == "forage" {
			// All iterations inside one Run: what is measured is Sort, not
			// the hand-off of a Run to the pool (microseconds, which would
			// dominate the small case).
			p.Run(func(w *scheduler.Worker) {
				for range b.N {
					copy(s, src)
					scheduler.Sort(w, s)
				}
			})
		}
		for impl != "forage" && b.Loop() {
			copy(s, src)
			switch impl {
			case "serial":
				slices.Sort(s)
			case "goroutines":
				goMergeSort(s, make([]int, len(s)), 3, nil)
			default:
				goMergeSort(s, make([]int, len(s)), 3, make(chan struct{}, procs-1))
			}
		}
		if !slices.IsSorted(s) {
			b.Fatal("not sorted")
		}
	})
}

// goMergeSort is the merge sort Go programs write without a scheduler: 2^d
// leaves sorted with slices.Sort, a goroutine for one half at each split
// (sem == nil), or only while a slot of sem is free, else inline (errgroup
// TryGo style), and a serial merge at each level. d = 3: eight leaves.
func goMergeSort(s, buf []int, d int, sem chan struct{}) {
	if d == 0 || len(s) < 1<<14 {
		slices.Sort(s)
		return
	}
	mid := len(s) / 2
	var wg sync.WaitGroup
	spawn := sem == nil
	if !spawn {
		select {
		case sem <- struct{}{}:
			spawn = true
		default:
		}
	}
	if spawn {
		wg.Go(func() {
			goMergeSort(s[:mid], buf[:mid], d-1, sem)
			if sem != nil {
				<-sem
			}
		})
	} else {
		goMergeSort(s[:mid], buf[:mid], d-1, sem)
	}
	goMergeSort(s[mid:], buf[mid:], d-1, sem)
	wg.Wait()
	// Merge into buf, copy back: the simple way.
	i, j, k := 0, mid, 0
	for i < mid && j < len(s) {
		if s[j] < s[i] {
			buf[k] = s[j]
			j++
		} else {
			buf[k] = s[i]
			i++
		}
		k++
	}
	k += copy(buf[k:], s[i:mid])
	copy(buf[k:], s[j:])
	copy(s, buf[:len(s)])
}

package scheduler_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/forage-go/forage/scheduler"
)

// For squares a slice in place; each call gets a range of indices.
func ExampleFor() {
	s := make([]int, 10)
	scheduler.Run(func(w *scheduler.Worker) {
		scheduler.For(w, len(s), func(_ *scheduler.Worker, lo, hi int) {
			for i := lo; i < hi; i++ {
				s[i] = i * i
			}
		})
	})
	fmt.Println(s)
	// Output: [0 1 4 9 16 25 36 49 64 81]
}

// ForGrain hands out fixed, aligned blocks: here one block per row of a
// 3-column matrix stored flat.
func ExampleForGrain() {
	const cols = 3
	m := []int{1, 2, 3, 4, 5, 6, 7, 8, 9}
	rowSums := make([]int, len(m)/cols)
	scheduler.Run(func(w *scheduler.Worker) {
		scheduler.ForGrain(w, len(m), cols, func(_ *scheduler.Worker, lo, hi int) {
			for _, v := range m[lo:hi] {
				rowSums[lo/cols] += v
			}
		})
	})
	fmt.Println(rowSums)
	// Output: [6 15 24]
}

// Reduce sums 1..1000: each leaf sums its range, combine adds the partial
// sums.
func ExampleReduce() {
	var sum int
	scheduler.Run(func(w *scheduler.Worker) {
		sum = scheduler.Reduce(w, 1000,
			func(_ *scheduler.Worker, lo, hi int) int {
				s := 0
				for i := lo; i < hi; i++ {
					s += i + 1
				}
				return s
			},
			func(a, b int) int { return a + b })
	})
	fmt.Println(sum)
	// Output: 500500
}

// ReduceDeterministic gives the same floating-point sum on every run and at
// every worker count.
func ExampleReduceDeterministic() {
	x := make([]float64, 100_000)
	for i := range x {
		x[i] = 1 / float64(i+1)
	}
	sum := func(w *scheduler.Worker) float64 {
		return scheduler.ReduceDeterministic(w, len(x), 1000,
			func(_ *scheduler.Worker, lo, hi int) float64 {
				s := 0.0
				for _, v := range x[lo:hi] {
					s += v
				}
				return s
			},
			func(a, b float64) float64 { return a + b })
	}
	var a, b float64
	scheduler.Run(func(w *scheduler.Worker) { a = sum(w) })
	one, _ := scheduler.New(scheduler.WithWorkers(1))
	defer one.Close()
	one.Run(func(w *scheduler.Worker) { b = sum(w) })
	fmt.Printf("%.6f %v\n", a, a == b)
	// Output: 12.090146 true
}

// Map computes a new slice from an old one, keeping the order.
func ExampleMap() {
	words := []string{"fork", "join", "steal"}
	var upper []string
	scheduler.Run(func(w *scheduler.Worker) {
		upper = scheduler.Map(w, words, func(_ *scheduler.Worker, s string) string { return strings.ToUpper(s) })
	})
	fmt.Println(upper)
	// Output: [FORK JOIN STEAL]
}

// ForEach updates elements in place through a pointer.
func ExampleForEach() {
	type item struct {
		name string
		n    int
	}
	items := []item{{"a", 1}, {"b", 2}, {"c", 3}}
	scheduler.Run(func(w *scheduler.Worker) {
		scheduler.ForEach(w, items, func(_ *scheduler.Worker, i int, it *item) { it.n *= 10 + i })
	})
	fmt.Println(items)
	// Output: [{a 10} {b 22} {c 36}]
}

// Sort sorts in parallel; it behaves exactly as slices.Sort.
func ExampleSort() {
	s := []int{5, 2, 8, 1, 9, 3}
	scheduler.Run(func(w *scheduler.Worker) { scheduler.Sort(w, s) })
	fmt.Println(s)
	// Output: [1 2 3 5 8 9]
}

// SortFunc sorts with a comparison function, here by length, then
// alphabetically.
func ExampleSortFunc() {
	s := []string{"steal", "go", "fork", "join", "pool"}
	scheduler.Run(func(w *scheduler.Worker) {
		scheduler.SortFunc(w, s, func(a, b string) int {
			return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
		})
	})
	fmt.Println(s)
	// Output: [go fork join pool steal]
}

// SortStableFunc keeps equal elements in their original order.
func ExampleSortStableFunc() {
	type person struct {
		name string
		age  int
	}
	people := []person{{"Ada", 36}, {"Bob", 25}, {"Cy", 36}, {"Di", 25}}
	scheduler.Run(func(w *scheduler.Worker) {
		scheduler.SortStableFunc(w, people, func(a, b person) int { return cmp.Compare(a.age, b.age) })
	})
	fmt.Println(people)
	// Output: [{Bob 25} {Di 25} {Ada 36} {Cy 36}]
}

// Async runs a function on a pool from any goroutine and hands back its
// typed result.
func ExampleAsync() {
	p, _ := scheduler.New(scheduler.WithWorkers(2))
	defer p.Close()
	f := scheduler.Async(p, func(w *scheduler.Worker) int {
		return scheduler.Reduce(w, 100, func(_ *scheduler.Worker, lo, hi int) int { return hi - lo },
			func(a, b int) int { return a + b })
	})
	v, err := f.Wait()
	fmt.Println(v, err)

	// A panic comes back as an error.
	_, err = scheduler.Async(p, func(*scheduler.Worker) int { panic("oops") }).Wait()
	var pe *scheduler.PanicError
	fmt.Println(errors.As(err, &pe), pe.Value)
	// Output:
	// 100 <nil>
	// true oops
}

// WaitAll waits for several futures and returns their values in order.
func ExampleWaitAll() {
	p := scheduler.Default()
	var fs []*scheduler.Future[string]
	for _, name := range []string{"a", "b", "c"} {
		fs = append(fs, scheduler.Async(p, func(*scheduler.Worker) string { return name + name }))
	}
	vals, err := scheduler.WaitAll(fs...)
	fmt.Println(vals, err)
	// Output: [aa bb cc] <nil>
}

// Run uses the default pool: no pool to build or close.
func ExampleRun() {
	var fib func(w *scheduler.Worker, n int) int
	fib = func(w *scheduler.Worker, n int) int {
		if n < 2 {
			return n
		}
		var a, b int
		w.Join(func(w *scheduler.Worker) { a = fib(w, n-1) }, func(w *scheduler.Worker) { b = fib(w, n-2) })
		return a + b
	}
	var v int
	scheduler.Run(func(w *scheduler.Worker) { v = fib(w, 20) })
	fmt.Println(v)
	// Output: 6765
}

// RunContext stops a loop when its context is cancelled.
func ExampleRunContext() {
	ctx, cancel := context.WithCancel(context.Background())
	err := scheduler.RunContext(ctx, func(w *scheduler.Worker) {
		scheduler.For(w, 1_000_000, func(w *scheduler.Worker, lo, hi int) {
			cancel() // e.g. the first range found what we were looking for
		})
	})
	fmt.Println(err)
	// Output: context canceled
}

// Submit queues a task on the default pool and returns at once.
func ExampleSubmit() {
	done := make(chan string)
	_ = scheduler.Submit(func(w *scheduler.Worker) { done <- "ran on the default pool" })
	fmt.Println(<-done)
	// Output: ran on the default pool
}

// Default is the pool behind Run, RunContext and Submit.
func ExampleDefault() {
	p := scheduler.Default()
	fmt.Println(p == scheduler.Default(), p.Workers() > 0)
	// Output: true true
}

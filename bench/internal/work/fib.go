package work

import (
	"fmt"

	"github.com/forage-go/forage/bench/internal/peer"
)

// Fib computes Fibonacci numbers by binary recursion, forking fib(n−1) and
// running fib(n−2) inline: the classic fork-join overhead test. Below or at
// Cutoff the recursion runs serially; Cutoff 1 means no cutoff.
//
// Answer: {fib(N), 0, 0}.
type Fib struct {
	N, Cutoff int
	Cut       bool // name the workload as the cutoff variant
	want      int64
	forks     int64
}

// Name implements [Workload].
func (f *Fib) Name() string {
	if f.Cut {
		return "fibcut"
	}
	return "fib"
}

// Title implements [Workload].
func (f *Fib) Title() string {
	if f.Cutoff <= 1 {
		return fmt.Sprintf("fib(%d), no cutoff", f.N)
	}
	return fmt.Sprintf("fib(%d), cutoff %d", f.N, f.Cutoff)
}

// Kind implements [Workload].
func (f *Fib) Kind() Kind { return Recursive }

// Unit implements [Workload].
func (f *Fib) Unit() string { return "fork" }

// Units implements [Workload]: the calls with n above the cutoff.
func (f *Fib) Units() int64 { return f.forks }

// Setup implements [Workload].
func (f *Fib) Setup() {
	a, b := int64(0), int64(1)
	for i := 0; i < f.N; i++ {
		a, b = b, a+b
	}
	f.want = a
	memo := map[int]int64{}
	var count func(n int) int64
	count = func(n int) int64 {
		if n <= f.Cutoff {
			return 0
		}
		if c, ok := memo[n]; ok {
			return c
		}
		c := 1 + count(n-1) + count(n-2)
		memo[n] = c
		return c
	}
	f.forks = count(f.N)
}

// Reset implements [Workload].
func (f *Fib) Reset() {}

// FibSerial is the serial reference: plain recursion.
func FibSerial(n int) int64 {
	if n < 2 {
		return int64(n)
	}
	return FibSerial(n-1) + FibSerial(n-2)
}

// Serial implements [Workload].
func (f *Fib) Serial() Answer { return Answer{FibSerial(f.N)} }

// Peer implements [Workload].
func (f *Fib) Peer(p peer.Peer) Answer { return Answer{fibPeer(p, f.N, f.Cutoff)} }

func fibPeer(p peer.Peer, n, cutoff int) int64 {
	if n < 2 { // a leaf: no call, as in FibSerial
		return int64(n)
	}
	if n <= cutoff {
		return FibSerial(n)
	}
	var x int64
	h := p.Fork(func() { x = fibPeer(p, n-1, cutoff) })
	y := fibPeer(p, n-2, cutoff)
	p.Join(h)
	return x + y
}

// Verify implements [Workload].
func (f *Fib) Verify(a Answer) error {
	if a[0] != f.want {
		return mismatch(f, a[0], f.want)
	}
	return nil
}

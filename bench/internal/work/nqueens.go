package work

import (
	"fmt"

	"github.com/forage-go/forage/bench/internal/peer"
)

// Board holds a queen's column per row, as the BOTS kernel's char array.
type Board [16]int8

// nqSolutions are the published solution counts (OEIS A000170).
var nqSolutions = [...]int64{1, 1, 0, 0, 2, 10, 4, 40, 92, 352, 724, 2680, 14200, 73712, 365596, 2279184, 14772512}

// NQueens counts the placements of N non-attacking queens with the kernel
// of the Barcelona OpenMP Tasks Suite (Duran et al., ICPP 2009): a board
// copied per task, every pair re-checked on each placement. Every valid
// placement of the next row is a fork point; the first runs inline.
//
// Answer: {solutions, 0, 0}.
type NQueens struct {
	N     int
	forks int64
}

// Name implements [Workload].
func (q *NQueens) Name() string { return "nqueens" }

// Title implements [Workload].
func (q *NQueens) Title() string { return fmt.Sprintf("N-Queens(%d)", q.N) }

// Kind implements [Workload].
func (q *NQueens) Kind() Kind { return Recursive }

// Unit implements [Workload].
func (q *NQueens) Unit() string { return "fork" }

// Units implements [Workload].
func (q *NQueens) Units() int64 { return q.forks }

// nqForks are the fork points of the full size (REFERENCES.md §6 counts the
// same 314,729), so that its cell need not count them; TestSerialAndInline
// and TestNQueensForks check them.
var nqForks = map[int]int64{12: 314729}

// Setup implements [Workload]: it counts the fork points with a serial
// pass through the peer code.
func (q *NQueens) Setup() {
	if q.N < 1 || q.N > 16 {
		panic("nqueens: N must be in 1..16")
	}
	if f, ok := nqForks[q.N]; ok {
		q.forks = f
		return
	}
	p := peer.Inline()
	q.Peer(p)
	q.forks = p.Forks
}

// Reset implements [Workload].
func (q *NQueens) Reset() {}

// NQueensOK reports whether the first n rows of b hold no two queens that
// attack each other, checking every pair as the BOTS kernel does.
//
// It is never inlined, so that every contender runs the same machine code
// for it: inlined, its loop's speed followed where the linker happened to
// put the caller (the serial reference took 268 ms in one test binary and
// 347 ms in another, built from the same source).
//
//go:noinline
func NQueensOK(n int, b *Board) bool {
	for i := 0; i < n; i++ {
		p := b[i]
		for j := i + 1; j < n; j++ {
			q := b[j]
			d := int8(j - i)
			if q == p || q == p-d || q == p+d {
				return false
			}
		}
	}
	return true
}

// NQueensSerial counts the completions of the first j rows of b.
func NQueensSerial(n, j int, b Board) int64 {
	if j == n {
		return 1
	}
	var s int64
	for i := 0; i < n; i++ {
		b[j] = int8(i)
		if NQueensOK(j+1, &b) {
			s += NQueensSerial(n, j+1, b)
		}
	}
	return s
}

// NQueensMoves returns the columns where row j of b can take a queen.
func NQueensMoves(n, j int, b Board) (cols Board, k int) {
	for i := 0; i < n; i++ {
		b[j] = int8(i)
		if NQueensOK(j+1, &b) {
			cols[k] = int8(i)
			k++
		}
	}
	return cols, k
}

// Serial implements [Workload].
func (q *NQueens) Serial() Answer { return Answer{NQueensSerial(q.N, 0, Board{})} }

// Peer implements [Workload].
func (q *NQueens) Peer(p peer.Peer) Answer { return Answer{nqPeer(p, q.N, 0, Board{})} }

func nqPeer(p peer.Peer, n, j int, b Board) int64 {
	if j == n {
		return 1
	}
	cols, k := NQueensMoves(n, j, b)
	if k == 0 {
		return 0
	}
	return nqRange(p, n, j, b, cols, 0, k)
}

// nqRange places row j's queen on each of cols[lo:hi], forking halves.
func nqRange(p peer.Peer, n, j int, b, cols Board, lo, hi int) int64 {
	if hi-lo == 1 {
		b[j] = cols[lo]
		return nqPeer(p, n, j+1, b)
	}
	mid := (lo + hi) / 2
	var x int64
	h := p.Fork(func() { x = nqRange(p, n, j, b, cols, lo, mid) })
	y := nqRange(p, n, j, b, cols, mid, hi)
	p.Join(h)
	return x + y
}

// Verify implements [Workload].
func (q *NQueens) Verify(a Answer) error {
	if want := nqSolutions[q.N]; a[0] != want {
		return mismatch(q, a[0], want)
	}
	return nil
}

package work

import (
	"fmt"
	"slices"

	"github.com/forage-go/forage/bench/internal/peer"
)

// MatLeaf is the side of the blocks the matrix multiply's kernel handles.
const MatLeaf = 64

// MatMul computes C = A·B for N×N float64 matrices (N a power of two) by
// divide and conquer: C's quadrants are updated in two phases of four
// independent block products (the Cilk matmul), down to MatLeaf-sided
// blocks. Entries are small integers, so every order of summation gives
// the same, exact result.
//
// Answer: {0, 0, 0}; Verify compares C with the serial product.
type MatMul struct {
	N       int
	A, B, C []float64
	want    []float64
	forks   int64
}

// Name implements [Workload].
func (m *MatMul) Name() string { return "matmul" }

// Title implements [Workload].
func (m *MatMul) Title() string {
	return fmt.Sprintf("matmul %d×%d (D&C, %d² blocks)", m.N, m.N, MatLeaf)
}

// Kind implements [Workload].
func (m *MatMul) Kind() Kind { return Recursive }

// Unit implements [Workload].
func (m *MatMul) Unit() string { return "fork" }

// Units implements [Workload].
func (m *MatMul) Units() int64 { return m.forks }

// Setup implements [Workload].
func (m *MatMul) Setup() {
	if m.N < MatLeaf || m.N&(m.N-1) != 0 {
		panic("matmul: N must be a power of two ≥ MatLeaf")
	}
	n2 := m.N * m.N
	m.A, m.B, m.C = make([]float64, n2), make([]float64, n2), make([]float64, n2)
	for i := range m.A {
		m.A[i] = float64(splitmix(uint64(i)) % 4)
		m.B[i] = float64(splitmix(uint64(i+n2)) % 4)
	}
	m.Serial()
	m.want = slices.Clone(m.C)
	for s := m.N; s > MatLeaf; s /= 2 {
		n := int64(m.N / s)
		m.forks += 6 * n * n * n // each product of side s forks 3 per phase
	}
	m.Reset()
}

// Reset implements [Workload]: C = 0.
func (m *MatMul) Reset() { clear(m.C) }

// Quadrants returns the offsets of the eight block products of a product
// of side n at offsets c, a, b, as {c, a, b} triples: the first four form
// phase one, the last four phase two.
func (m *MatMul) Quadrants(c, a, b, n int) [8][3]int {
	h, s := n/2, m.N
	q := func(x, i, j int) int { return x + i*h*s + j*h }
	return [8][3]int{
		{q(c, 0, 0), q(a, 0, 0), q(b, 0, 0)},
		{q(c, 0, 1), q(a, 0, 0), q(b, 0, 1)},
		{q(c, 1, 0), q(a, 1, 0), q(b, 0, 0)},
		{q(c, 1, 1), q(a, 1, 0), q(b, 0, 1)},
		{q(c, 0, 0), q(a, 0, 1), q(b, 1, 0)},
		{q(c, 0, 1), q(a, 0, 1), q(b, 1, 1)},
		{q(c, 1, 0), q(a, 1, 1), q(b, 1, 0)},
		{q(c, 1, 1), q(a, 1, 1), q(b, 1, 1)},
	}
}

// Kernel adds the product of the n-sided blocks of A at a and B at b to the
// block of C at c.
func (m *MatMul) Kernel(c, a, b, n int) {
	s := m.N
	for i := 0; i < n; i++ {
		crow := m.C[c+i*s : c+i*s+n]
		arow := m.A[a+i*s : a+i*s+n]
		for k := 0; k+4 <= n; k += 4 {
			a0, a1, a2, a3 := arow[k], arow[k+1], arow[k+2], arow[k+3]
			o := b + k*s
			b0 := m.B[o : o+n]
			b1 := m.B[o+s : o+s+n]
			b2 := m.B[o+2*s : o+2*s+n]
			b3 := m.B[o+3*s : o+3*s+n]
			b0, b1, b2, b3 = b0[:len(crow)], b1[:len(crow)], b2[:len(crow)], b3[:len(crow)]
			for j := range crow {
				crow[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]
			}
		}
	}
}

// Serial implements [Workload].
func (m *MatMul) Serial() Answer {
	m.serial(0, 0, 0, m.N)
	return Answer{}
}

func (m *MatMul) serial(c, a, b, n int) {
	if n <= MatLeaf {
		m.Kernel(c, a, b, n)
		return
	}
	q := m.Quadrants(c, a, b, n)
	for _, t := range q {
		m.serial(t[0], t[1], t[2], n/2)
	}
}

// Peer implements [Workload].
func (m *MatMul) Peer(p peer.Peer) Answer {
	m.peer(p, 0, 0, 0, m.N)
	return Answer{}
}

func (m *MatMul) peer(p peer.Peer, c, a, b, n int) {
	if n <= MatLeaf {
		m.Kernel(c, a, b, n)
		return
	}
	q := m.Quadrants(c, a, b, n)
	m.phase(p, &q, 0, 4, n/2)
	m.phase(p, &q, 4, 8, n/2)
}

// phase runs products q[lo:hi] of side n, forking halves.
func (m *MatMul) phase(p peer.Peer, q *[8][3]int, lo, hi, n int) {
	if hi-lo == 1 {
		m.peer(p, q[lo][0], q[lo][1], q[lo][2], n)
		return
	}
	mid := (lo + hi) / 2
	h := p.Fork(func() { m.phase(p, q, lo, mid, n) })
	m.phase(p, q, mid, hi, n)
	p.Join(h)
}

// Verify implements [Workload].
func (m *MatMul) Verify(Answer) error {
	for i := range m.want {
		if m.C[i] != m.want[i] {
			return mismatch(m, fmt.Sprintf("C[%d] = %g", i, m.C[i]), m.want[i])
		}
	}
	return nil
}

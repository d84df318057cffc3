package work

import (
	"fmt"

	"github.com/forage-go/forage/bench/internal/peer"
)

// Sum adds N int64s split into Chunks equal chunks, each a task submitted
// from the caller: a memory-bandwidth-bound parallel loop.
//
// Answer: {sum, 0, 0}.
type Sum struct {
	N, Chunks int
	Data      []int64
	want      int64
}

// Name implements [Workload].
func (s *Sum) Name() string { return "sum" }

// Title implements [Workload].
func (s *Sum) Title() string {
	return fmt.Sprintf("sum of %s int64 (%d chunks)", commas(int64(s.N)), s.Chunks)
}

// Kind implements [Workload].
func (s *Sum) Kind() Kind { return Loop }

// Unit implements [Workload].
func (s *Sum) Unit() string { return "task" }

// Units implements [Workload].
func (s *Sum) Units() int64 { return int64(s.Chunks) }

// Setup implements [Workload].
func (s *Sum) Setup() {
	s.Data = make([]int64, s.N)
	for i := range s.Data {
		s.Data[i] = int64(splitmix(uint64(i))&0xffff) - 0x8000
	}
	s.want = SumSlice(s.Data)
}

// Reset implements [Workload].
func (s *Sum) Reset() {}

// Chunk returns the bounds of chunk c.
func (s *Sum) Chunk(c int) (lo, hi int) {
	return c * s.N / s.Chunks, (c + 1) * s.N / s.Chunks
}

// SumSlice adds the elements of a.
func SumSlice(a []int64) int64 {
	var s0, s1, s2, s3 int64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i]
		s1 += a[i+1]
		s2 += a[i+2]
		s3 += a[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i]
	}
	return s0 + s1 + s2 + s3
}

// Serial implements [Workload].
func (s *Sum) Serial() Answer { return Answer{SumSlice(s.Data)} }

// Peer implements [Workload].
func (s *Sum) Peer(p peer.Peer) Answer {
	partial := make([]int64, s.Chunks)
	for c := range partial {
		lo, hi := s.Chunk(c)
		p.Go(func() { partial[c] = SumSlice(s.Data[lo:hi]) })
	}
	p.Wait()
	var t int64
	for _, x := range partial {
		t += x
	}
	return Answer{t}
}

// Verify implements [Workload].
func (s *Sum) Verify(a Answer) error {
	if a[0] != s.want {
		return mismatch(s, a[0], s.want)
	}
	return nil
}

package work

import (
	"fmt"
	"slices"

	"github.com/forage-go/forage/bench/internal/peer"
)

// Leaf sizes of the merge sort: runs of at most SortLeaf elements are
// sorted with slices.Sort, merges of at most MergeLeaf outputs run serially.
const (
	SortLeaf  = 2048
	MergeLeaf = 1 << 14
)

// Sort is a merge sort of N pseudo-random ints that forks both the two
// half sorts and, above MergeLeaf outputs, the merge itself (split at the
// output's midpoint by a co-rank search), ping-ponging between the array
// and a scratch buffer. The serial reference runs the same algorithm with
// serial merges. The fork points depend on N only.
//
// Answer: {0, 0, 0}; Verify checks that Data is in order and holds the
// input's elements (an order-independent hash of the multiset).
type Sort struct {
	N         int
	Data, Tmp []int
	orig      []int
	hash      uint64
	forks     int64
}

// Name implements [Workload].
func (s *Sort) Name() string { return "sort" }

// Title implements [Workload].
func (s *Sort) Title() string { return fmt.Sprintf("merge sort of %s ints", commas(int64(s.N))) }

// Kind implements [Workload].
func (s *Sort) Kind() Kind { return Recursive }

// Unit implements [Workload].
func (s *Sort) Unit() string { return "fork" }

// Units implements [Workload].
func (s *Sort) Units() int64 { return s.forks }

// Setup implements [Workload].
func (s *Sort) Setup() {
	s.orig = make([]int, s.N)
	for i := range s.orig {
		s.orig[i] = int(splitmix(uint64(i)) >> 1)
	}
	s.hash = multisetHash(s.orig)
	s.Data = make([]int, s.N)
	s.Tmp = make([]int, s.N)
	s.forks = sortForks(s.N)
	s.Reset()
}

// sortForks counts the fork points of sorting n elements.
func sortForks(n int) int64 {
	if n <= SortLeaf {
		return 0
	}
	m := n / 2
	return 1 + sortForks(m) + sortForks(n-m) + mergeForks(n)
}

// mergeForks counts the fork points of a merge with n outputs.
func mergeForks(n int) int64 {
	if n <= MergeLeaf {
		return 0
	}
	k := n / 2
	return 1 + mergeForks(k) + mergeForks(n-k)
}

// Reset implements [Workload]: it restores the unsorted input.
func (s *Sort) Reset() { copy(s.Data, s.orig) }

// Serial implements [Workload].
func (s *Sort) Serial() Answer {
	SortSerial(s.Data, s.Tmp, false)
	return Answer{}
}

// SortSerial sorts src with dst as scratch; the result ends in dst if toDst,
// else in src. The two slices have the same length.
func SortSerial(src, dst []int, toDst bool) {
	if len(src) <= SortLeaf {
		SortLeafRun(src, dst, toDst)
		return
	}
	m := len(src) / 2
	SortSerial(src[:m], dst[:m], !toDst)
	SortSerial(src[m:], dst[m:], !toDst)
	if toDst {
		Merge(src[:m], src[m:], dst)
	} else {
		Merge(dst[:m], dst[m:], src)
	}
}

// SortLeafRun sorts a leaf run in place and copies it to dst if toDst.
func SortLeafRun(src, dst []int, toDst bool) {
	slices.Sort(src)
	if toDst {
		copy(dst, src)
	}
}

// Merge merges the sorted a and b into dst, of length len(a)+len(b).
func Merge(a, b, dst []int) {
	i, j, k := 0, 0, 0
	for i < len(a) && j < len(b) {
		if b[j] < a[i] {
			dst[k] = b[j]
			j++
		} else {
			dst[k] = a[i]
			i++
		}
		k++
	}
	k += copy(dst[k:], a[i:])
	copy(dst[k:], b[j:])
}

// CoRank returns how many of the first k outputs of merging the sorted a
// and b come from a (ties taken from a first).
func CoRank(k int, a, b []int) int {
	lo, hi := max(0, k-len(b)), min(k, len(a))
	for lo < hi {
		i := int(uint(lo+hi) >> 1) // i < len(a) and k-i-1 ≥ 0
		if a[i] <= b[k-i-1] {
			lo = i + 1
		} else {
			hi = i
		}
	}
	return lo
}

// Peer implements [Workload].
func (s *Sort) Peer(p peer.Peer) Answer {
	sortPeer(p, s.Data, s.Tmp, false)
	return Answer{}
}

func sortPeer(p peer.Peer, src, dst []int, toDst bool) {
	if len(src) <= SortLeaf {
		SortLeafRun(src, dst, toDst)
		return
	}
	m := len(src) / 2
	h := p.Fork(func() { sortPeer(p, src[:m], dst[:m], !toDst) })
	sortPeer(p, src[m:], dst[m:], !toDst)
	p.Join(h)
	if toDst {
		mergePeer(p, src[:m], src[m:], dst)
	} else {
		mergePeer(p, dst[:m], dst[m:], src)
	}
}

func mergePeer(p peer.Peer, a, b, dst []int) {
	if len(dst) <= MergeLeaf {
		Merge(a, b, dst)
		return
	}
	k := len(dst) / 2
	i := CoRank(k, a, b)
	j := k - i
	h := p.Fork(func() { mergePeer(p, a[:i], b[:j], dst[:k]) })
	mergePeer(p, a[i:], b[j:], dst[k:])
	p.Join(h)
}

// Verify implements [Workload].
func (s *Sort) Verify(Answer) error {
	for i := 1; i < len(s.Data); i++ {
		if s.Data[i] < s.Data[i-1] {
			return mismatch(s, fmt.Sprintf("element %d = %d after %d", i, s.Data[i], s.Data[i-1]), "ascending order")
		}
	}
	if h := multisetHash(s.Data); h != s.hash {
		return mismatch(s, fmt.Sprintf("elements hashing to %#x", h), fmt.Sprintf("the input's %#x", s.hash))
	}
	return nil
}

// multisetHash is a hash of the elements of a that ignores their order.
func multisetHash(a []int) uint64 {
	var h uint64
	for _, x := range a {
		h += splitmix(uint64(x))
	}
	return h
}

// splitmix is the SplitMix64 finaliser: deterministic inputs.
func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
	x = (x ^ x>>27) * 0x94D049BB133111EB
	return x ^ x>>31
}

package work

import (
	"fmt"

	"github.com/forage-go/forage/bench/internal/peer"
	"github.com/forage-go/forage/internal/uts"
)

// UTS counts the nodes of an Unbalanced Tree Search tree (Olivier et al.,
// LCPC 2006) with the SHA-1 splittable generator. A node's children are
// visited as a range of child indices (see utsRange): wide ranges are
// halved, narrow ones scanned, counting leaves on the spot and forking the
// rest of the range at each child that has children of its own. Leaves —
// 80–87% of the nodes of T1 and T3, each one SHA-1 block of work — are
// thus never forked.
//
// Answer: {nodes, leaves, depth}.
type UTS struct {
	name  string
	Tree  uts.Tree // Nodes < 0 when the size is not published
	want  uts.Stats
	forks int64
}

// newUTS returns the T1-like (geometric, fixed shape) or T3-like
// (binomial) workload at the given size: the published trees at Full,
// smaller cuts of them otherwise.
func newUTS(name string, size Size, t1 bool) *UTS {
	tr := uts.T3
	if t1 {
		tr = uts.T1
	}
	switch size {
	case Quick:
		tr.Nodes, tr.Depth, tr.Leaves = -1, -1, -1
		if t1 {
			tr.Name, tr.Params.GenMax = "T1 -d 8", 8 // 257,042 nodes
		} else {
			tr.Name, tr.Params.Q = "T3 -q 0.123", 0.123 // 247,729 nodes
		}
	case Small:
		tr.Nodes, tr.Depth, tr.Leaves = -1, -1, -1
		if t1 {
			tr.Name, tr.Params.GenMax = "T1 -d 5", 5
		} else {
			tr.Name, tr.Params.B0, tr.Params.Q = "T3 -b 200 -q 0.1", 200, 0.1
		}
	}
	return &UTS{name: name, Tree: tr}
}

// Name implements [Workload].
func (u *UTS) Name() string { return u.name }

// Title implements [Workload].
func (u *UTS) Title() string {
	if u.Tree.Nodes > 0 {
		return fmt.Sprintf("UTS %s (%s nodes)", u.Tree.Name, commas(u.Tree.Nodes))
	}
	return "UTS " + u.Tree.Name
}

// Kind implements [Workload].
func (u *UTS) Kind() Kind { return Recursive }

// Unit implements [Workload].
func (u *UTS) Unit() string { return "fork" }

// Units implements [Workload].
func (u *UTS) Units() int64 { return u.forks }

// Params returns the tree's parameters.
func (u *UTS) Params() *uts.Params { return &u.Tree.Params }

// utsForks are the fork points of the published trees with utsRange, as
// counted by an inline run (TestUTSForkCounts checks them).
var utsForks = map[string]int64{"T1": 679879, "T3": 449554}

// Setup implements [Workload]: published trees are checked against their
// published statistics, others against a serial count made here.
func (u *UTS) Setup() {
	if u.Tree.Nodes > 0 {
		u.want = uts.Stats{Nodes: u.Tree.Nodes, Leaves: u.Tree.Leaves, MaxDepth: u.Tree.Depth}
	} else {
		u.want = u.Params().CountSerial()
	}
	if f, ok := utsForks[u.Tree.Name]; ok {
		u.forks = f
		return
	}
	p := peer.Inline()
	u.Peer(p)
	u.forks = p.Forks
}

// Reset implements [Workload].
func (u *UTS) Reset() {}

// UTSSerial counts the subtree rooted at n by plain recursion.
func UTSSerial(t *uts.Params, n uts.Node) uts.Stats {
	s := uts.Stats{Nodes: 1, MaxDepth: int(n.Height)}
	k := t.NumChildren(n)
	if k == 0 {
		s.Leaves = 1
		return s
	}
	for i := 0; i < k; i++ {
		s = s.Add(UTSSerial(t, t.Child(n, i)))
	}
	return s
}

// Serial implements [Workload].
func (u *UTS) Serial() Answer {
	t := u.Params()
	return statsAnswer(UTSSerial(t, t.Root()))
}

// Peer implements [Workload].
func (u *UTS) Peer(p peer.Peer) Answer {
	t := u.Params()
	return statsAnswer(utsPeer(p, t, t.Root()))
}

func utsPeer(p peer.Peer, t *uts.Params, n uts.Node) uts.Stats {
	s := uts.Stats{Nodes: 1, MaxDepth: int(n.Height)}
	k := t.NumChildren(n)
	if k == 0 {
		s.Leaves = 1
		return s
	}
	return s.Add(utsRange(p, t, n, 0, k))
}

// UTSWide is the number of children above which a range of siblings is
// halved (both halves forkable) rather than scanned.
const UTSWide = 16

// utsRange visits children lo..hi-1 of n. A wide range is halved and one
// half forked. A narrow one is scanned: leaves are counted on the spot, and
// at the first child with children of its own the rest of the range is
// forked while this goroutine descends into that child.
func utsRange(p peer.Peer, t *uts.Params, n uts.Node, lo, hi int) uts.Stats {
	if hi-lo > UTSWide {
		mid := (lo + hi) / 2
		var x uts.Stats
		h := p.Fork(func() { x = utsRange(p, t, n, lo, mid) })
		y := utsRange(p, t, n, mid, hi)
		p.Join(h)
		return x.Add(y)
	}
	var s uts.Stats
	for i := lo; i < hi; i++ {
		c := t.Child(n, i)
		k := t.NumChildren(c)
		if k == 0 {
			s = s.Add(uts.Stats{Nodes: 1, Leaves: 1, MaxDepth: int(c.Height)})
			continue
		}
		sub := uts.Stats{Nodes: 1, MaxDepth: int(c.Height)}
		if i+1 == hi {
			return s.Add(sub).Add(utsRange(p, t, c, 0, k))
		}
		var rest uts.Stats
		h := p.Fork(func() { rest = utsRange(p, t, n, i+1, hi) })
		sub = sub.Add(utsRange(p, t, c, 0, k))
		p.Join(h)
		return s.Add(sub).Add(rest)
	}
	return s
}

func statsAnswer(s uts.Stats) Answer { return Answer{s.Nodes, s.Leaves, int64(s.MaxDepth)} }

// Verify implements [Workload].
func (u *UTS) Verify(a Answer) error {
	if want := statsAnswer(u.want); a != want {
		return mismatch(u, fmt.Sprintf("nodes/leaves/depth %v", a), want)
	}
	return nil
}

// commas formats n with thousands separators.
func commas(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

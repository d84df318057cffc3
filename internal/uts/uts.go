// Package uts implements the Unbalanced Tree Search benchmark (UTS) of
// Olivier, Huan, Liu, Prins, Dinan, Sadayappan and Tseng, "UTS: An Unbalanced
// Tree Search Benchmark", LCPC 2006, with the splittable SHA-1 random number
// generator of the reference implementation (UTS 2.1).
//
// A tree is described by [Params]. Every node carries a 20-byte SHA-1 state;
// a node's number of children is a function of its own state and height, and
// child i's state is SHA-1(parent state ‖ i). The tree is therefore fully
// determined by its parameters and can be traversed in any order, by any
// number of workers, always giving the same node count. The published sample
// trees (T1–T5 and their larger variants) are available as presets whose
// expected node counts, depths and leaf counts are those published with UTS.
//
// Nodes are small values: computing a child costs one SHA-1 block and no
// allocation, so the package suits fork-join benchmarks and stress tests.
package uts

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"math"
)

// TreeType selects how the number of children of a node is drawn.
type TreeType int

// Tree types, numbered as the reference implementation's -t flag.
const (
	// Binomial: the root has ⌊b0⌋ children; every other node has M
	// children with probability Q and none otherwise.
	Binomial TreeType = 0
	// Geometric: the number of children is geometrically distributed with
	// an expected value b_i given by the Shape function of the depth.
	Geometric TreeType = 1
	// Hybrid: geometric above ShiftDepth·GenMax, binomial below.
	Hybrid TreeType = 2
	// Balanced: every node above depth GenMax has ⌊b0⌋ children.
	Balanced TreeType = 3
)

// String returns the reference implementation's name of the tree type.
func (t TreeType) String() string {
	switch t {
	case Binomial:
		return "Binomial"
	case Geometric:
		return "Geometric"
	case Hybrid:
		return "Hybrid"
	case Balanced:
		return "Balanced"
	}
	return fmt.Sprintf("TreeType(%d)", int(t))
}

// Shape is the geometric trees' shape function: how the expected branching
// factor b_i varies with depth d.
type Shape int

// Shape functions, numbered as the reference implementation's -a flag.
const (
	// Linear: b_i = b0·(1 − d/GenMax).
	Linear Shape = 0
	// ExpDec: b_i = b0·d^(−ln b0 / ln GenMax).
	ExpDec Shape = 1
	// Cyclic: b_i = b0^sin(2πd/GenMax), and 0 beyond depth 5·GenMax.
	Cyclic Shape = 2
	// Fixed: b_i = b0 below depth GenMax, 0 from there on.
	Fixed Shape = 3
)

// String returns the reference implementation's name of the shape function.
func (s Shape) String() string {
	switch s {
	case Linear:
		return "LINEAR"
	case ExpDec:
		return "EXPDEC"
	case Cyclic:
		return "CYCLIC"
	case Fixed:
		return "FIXED"
	}
	return fmt.Sprintf("Shape(%d)", int(s))
}

// MaxChildren caps the number of children of every node except a binomial
// tree's root (whose cap is ⌈b0⌉) and balanced trees' nodes, as in the
// reference implementation (MAXNUMCHILDREN).
const MaxChildren = 100

// Params describes a UTS tree. The zero value is not useful; start from
// [Default] or a preset such as [T1] and change fields.
//
// Its per-node methods take it by pointer: by value, every Child and
// NumChildren call copied its 64 bytes, which cost the bench suite's
// serial and forage UTS kernels 3-7% of their time (the two measured).
type Params struct {
	Type       TreeType // -t: tree type
	B0         float64  // -b: root branching factor (expected, for geometric trees)
	Seed       int32    // -r: root seed
	Shape      Shape    // -a: geometric shape function
	GenMax     int      // -d: depth parameter of geometric, hybrid and balanced trees
	Q          float64  // -q: binomial probability that a node has children
	M          int      // -m: binomial number of children of a non-leaf
	ShiftDepth float64  // -f: hybrid trees switch to binomial at ShiftDepth·GenMax
}

// Default returns the reference implementation's default parameters:
// -t 1 -b 4 -r 0 -a 0 -d 6 -q 15/64 -m 4 -f 0.5 (1,732 nodes, 1,050 leaves).
func Default() Params {
	return Params{
		Type:       Geometric,
		B0:         4,
		Seed:       0,
		Shape:      Linear,
		GenMax:     6,
		Q:          15.0 / 64.0,
		M:          4,
		ShiftDepth: 0.5,
	}
}

// String renders the parameters as reference-implementation flags.
func (p Params) String() string {
	switch p.Type {
	case Binomial:
		return fmt.Sprintf("-t %d -b %g -q %g -m %d -r %d", int(p.Type), p.B0, p.Q, p.M, p.Seed)
	case Geometric:
		return fmt.Sprintf("-t %d -a %d -d %d -b %g -r %d", int(p.Type), int(p.Shape), p.GenMax, p.B0, p.Seed)
	case Hybrid:
		return fmt.Sprintf("-t %d -a %d -d %d -b %g -r %d -q %g -m %d -f %g",
			int(p.Type), int(p.Shape), p.GenMax, p.B0, p.Seed, p.Q, p.M, p.ShiftDepth)
	default:
		return fmt.Sprintf("-t %d -d %d -b %g -r %d", int(p.Type), p.GenMax, p.B0, p.Seed)
	}
}

// Node is one tree node: its SHA-1 state and its height (the root's is 0).
// Nodes are values; computing one allocates nothing.
type Node struct {
	State  [sha1.Size]byte
	Height int32
}

// Rand returns the node's random number: the last four bytes of its state,
// big-endian, with the sign bit cleared (rng_rand in the reference).
func (n Node) Rand() int32 {
	return int32(binary.BigEndian.Uint32(n.State[16:20]) & 0x7fffffff)
}

// toProb maps a random number to [0, 1) as the reference's rng_toProb.
func toProb(r int32) float64 {
	return float64(r) / 2147483648.0
}

// Root returns the tree's root: SHA-1 of 16 zero bytes followed by the seed
// as four big-endian bytes, at height 0.
func (p *Params) Root() Node {
	var buf [20]byte
	binary.BigEndian.PutUint32(buf[16:], uint32(p.Seed))
	return Node{State: sha1.Sum(buf[:])}
}

// Child returns child i of n: SHA-1 of n's state followed by i as four
// big-endian bytes, one level deeper. It does not check i against
// [Params.NumChildren].
func (p *Params) Child(n Node, i int) Node {
	var buf [24]byte
	copy(buf[:20], n.State[:])
	binary.BigEndian.PutUint32(buf[20:], uint32(i))
	return Node{State: sha1.Sum(buf[:]), Height: n.Height + 1}
}

// NumChildren returns how many children n has.
func (p *Params) NumChildren(n Node) int {
	var k int
	switch p.Type {
	case Binomial:
		if n.Height == 0 {
			k = int(math.Floor(p.B0))
		} else {
			k = p.binomial(n)
		}
	case Geometric:
		k = p.geometric(n)
	case Hybrid:
		if float64(n.Height) < p.ShiftDepth*float64(p.GenMax) {
			k = p.geometric(n)
		} else {
			k = p.binomial(n)
		}
	case Balanced:
		if int(n.Height) < p.GenMax {
			k = int(p.B0)
		}
		return k
	}
	// Only a binomial root may exceed MaxChildren; it is capped at ⌈b0⌉.
	if n.Height == 0 && p.Type == Binomial {
		if c := int(math.Ceil(p.B0)); k > c {
			k = c
		}
	} else if k > MaxChildren {
		k = MaxChildren
	}
	return k
}

// binomial draws a non-root binomial node's children: M with probability Q.
func (p *Params) binomial(n Node) int {
	if toProb(n.Rand()) < p.Q {
		return p.M
	}
	return 0
}

// geometric draws a geometric node's children: the expected branching factor
// b_i follows the shape function of the depth, and the count is drawn by the
// inverse geometric CDF, ⌊ln(1−u)/ln(1−p)⌋ with p = 1/(1+b_i).
func (p *Params) geometric(n Node) int {
	bi := p.B0
	if d := float64(n.Height); d > 0 {
		gen := float64(p.GenMax)
		switch p.Shape {
		case ExpDec:
			bi = p.B0 * math.Pow(d, -math.Log(p.B0)/math.Log(gen))
		case Cyclic:
			if d > 5*gen {
				bi = 0
			} else {
				bi = math.Pow(p.B0, math.Sin(2*math.Pi*d/gen))
			}
		case Fixed:
			if d >= gen {
				bi = 0
			}
		default: // Linear
			bi = p.B0 * (1 - d/gen)
		}
	}
	prob := 1 / (1 + bi)
	u := toProb(n.Rand())
	k := math.Floor(math.Log(1-u) / math.Log(1-prob))
	if k > MaxChildren { // also keeps the conversion below in range
		return MaxChildren
	}
	return int(k)
}

// Stats summarises a tree.
type Stats struct {
	Nodes    int64 // all nodes, the root included
	Leaves   int64 // nodes without children
	MaxDepth int   // the greatest height of any node
}

// Add returns the sum of two disjoint subtrees' statistics (depths combine
// by maximum).
func (s Stats) Add(o Stats) Stats {
	s.Nodes += o.Nodes
	s.Leaves += o.Leaves
	if o.MaxDepth > s.MaxDepth {
		s.MaxDepth = o.MaxDepth
	}
	return s
}

// CountSerial traverses the whole tree on the calling goroutine and returns
// its statistics. It keeps an explicit stack, so deep trees such as T3
// (depth 1,572) need no deep goroutine stack.
func (p *Params) CountSerial() Stats {
	return p.CountFrom(p.Root())
}

// CountFrom traverses the subtree rooted at n, n included, on the calling
// goroutine.
func (p *Params) CountFrom(n Node) Stats {
	type frame struct {
		node Node
		next int // next child to visit
		kids int // number of children
	}
	var s Stats
	stack := make([]frame, 0, 64)
	visit := func(n Node) {
		s.Nodes++
		if int(n.Height) > s.MaxDepth {
			s.MaxDepth = int(n.Height)
		}
		k := p.NumChildren(n)
		if k == 0 {
			s.Leaves++
			return
		}
		stack = append(stack, frame{node: n, kids: k})
	}
	visit(n)
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next == top.kids {
			stack = stack[:len(stack)-1]
			continue
		}
		i := top.next
		top.next++
		visit(p.Child(top.node, i))
	}
	return s
}

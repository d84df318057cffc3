package uts

import (
	"encoding/hex"
	"fmt"
	"testing"
)

// TestKnownAnswers checks the SHA-1 generator against the reference digests
// for seed 19 (REFERENCES.md §7).
func TestKnownAnswers(t *testing.T) {
	p := Default()
	p.Seed = 19
	root := p.Root()
	if got, want := hex.EncodeToString(root.State[:]), "c6988ab70cc9559ae4d6cba254e29a845a85f86b"; got != want {
		t.Fatalf("root state = %s, want %s", got, want)
	}
	if got, want := root.Rand(), int32(1518729323); got != want {
		t.Fatalf("root rand = %d, want %d", got, want)
	}
	for i, want := range []string{
		"2fb3131030280c1617a81d6a49c1e29effb19645",
		"4a8304c7c88f903ac06b01b07c7b2590e9397b5b",
	} {
		c := p.Child(root, i)
		if got := hex.EncodeToString(c.State[:]); got != want {
			t.Errorf("child %d state = %s, want %s", i, got, want)
		}
		if c.Height != 1 {
			t.Errorf("child %d height = %d, want 1", i, c.Height)
		}
	}
}

func TestSmokeTrees(t *testing.T) {
	balanced := Default()
	balanced.Type, balanced.B0, balanced.GenMax = Balanced, 4, 6
	for _, tc := range []struct {
		name string
		p    Params
		want Stats
	}{
		{"default", Default(), Stats{Nodes: 1732, Leaves: 1050, MaxDepth: -1}},
		{"balanced", balanced, Stats{Nodes: 5461, Leaves: 4096, MaxDepth: 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.p.CountSerial()
			if tc.want.MaxDepth < 0 {
				tc.want.MaxDepth = got.MaxDepth
			}
			if got != tc.want {
				t.Fatalf("%v: got %+v, want %+v", tc.p, got, tc.want)
			}
		})
	}
}

// TestSubtreesAdd checks that counting the root's subtrees separately and
// adding them gives the whole tree, as a parallel traversal does.
func TestSubtreesAdd(t *testing.T) {
	for _, p := range []Params{Default(), T3.Params} {
		if p.Type == Binomial {
			p.Q = 0.1 // a small binomial tree with T3's 2000-wide root
		}
		whole := p.CountSerial()
		root := p.Root()
		sum := Stats{Nodes: 1, MaxDepth: 0}
		k := p.NumChildren(root)
		if k == 0 {
			sum.Leaves = 1
		}
		for i := 0; i < k; i++ {
			sum = sum.Add(p.CountFrom(p.Child(root, i)))
		}
		if sum != whole {
			t.Errorf("%v: subtrees add to %+v, whole tree %+v", p, sum, whole)
		}
	}
}

// TestPublishedTrees counts the five published sample trees (about 0.5 s
// each); the race detector makes that too slow, so it is skipped there.
func TestPublishedTrees(t *testing.T) {
	if raceEnabled {
		t.Skip("full-size trees are too slow under the race detector")
	}
	for _, tr := range []Tree{T1, T2, T3, T4, T5} {
		t.Run(tr.Name, func(t *testing.T) {
			t.Parallel()
			got := tr.Params.CountSerial()
			want := Stats{Nodes: tr.Nodes, Leaves: tr.Leaves, MaxDepth: tr.Depth}
			if got != want {
				t.Fatalf("%s (%v): got %+v, want %+v", tr.Name, tr.Params, got, want)
			}
		})
	}
}

func TestNumChildrenCaps(t *testing.T) {
	// A binomial root gets ⌊b0⌋ children, capped at ⌈b0⌉.
	if got := T3.Params.NumChildren(T3.Params.Root()); got != 2000 {
		t.Errorf("T3 root children = %d, want 2000", got)
	}
	// A geometric node with a huge expected branching factor is capped.
	p := Default()
	p.B0 = 1e9
	root := p.Root()
	for i := 0; i < 16; i++ {
		if got := p.NumChildren(p.Child(root, i)); got > MaxChildren {
			t.Fatalf("child %d has %d children, cap is %d", i, got, MaxChildren)
		}
	}
	// Shapes that reach zero branching give leaves.
	for _, s := range []Shape{Linear, ExpDec, Cyclic, Fixed} {
		q := Default()
		q.Shape = s
		n := Node{Height: 1000}
		if s == ExpDec {
			continue // EXPDEC decays but never reaches zero
		}
		if got := q.NumChildren(n); got != 0 {
			t.Errorf("%v at depth 1000: %d children, want 0", s, got)
		}
	}
}

func TestChildDoesNotAllocate(t *testing.T) {
	p := T1.Params
	root := p.Root()
	var sink Node
	allocs := testing.AllocsPerRun(100, func() {
		sink = p.Child(root, 3)
		_ = p.NumChildren(sink)
	})
	if allocs != 0 {
		t.Fatalf("Child+NumChildren allocate %v times per call, want 0", allocs)
	}
}

func TestLookup(t *testing.T) {
	for _, tr := range Trees {
		got, ok := Lookup(tr.Name)
		if !ok || got.Name != tr.Name || got.Nodes != tr.Nodes {
			t.Errorf("Lookup(%q) = %v, %v", tr.Name, got, ok)
		}
	}
	if _, ok := Lookup("t3"); !ok {
		t.Error("Lookup is case-sensitive")
	}
	if _, ok := Lookup("T9"); ok {
		t.Error("Lookup(T9) found something")
	}
}

func TestStrings(t *testing.T) {
	if got, want := T1.Params.String(), "-t 1 -a 3 -d 10 -b 4 -r 19"; got != want {
		t.Errorf("T1 = %q, want %q", got, want)
	}
	if got, want := T3.Params.String(), "-t 0 -b 2000 -q 0.124875 -m 8 -r 42"; got != want {
		t.Errorf("T3 = %q, want %q", got, want)
	}
	for _, s := range []fmt.Stringer{Binomial, Hybrid, Balanced, TreeType(9), ExpDec, Shape(9), T4.Params} {
		if s.String() == "" {
			t.Errorf("%#v has an empty name", s)
		}
	}
}

func BenchmarkChild(b *testing.B) {
	p := T1.Params
	n := p.Root()
	for i := 0; i < b.N; i++ {
		n = p.Child(n, i&3)
	}
	_ = n
}

// Example counts the reference implementation's default tree.
func Example() {
	p := Default()
	s := p.CountSerial()
	fmt.Println(s.Nodes, s.Leaves)
	// Output: 1732 1050
}

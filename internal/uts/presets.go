package uts

import "strings"

// Tree is a named sample tree with its published size. Depth and Leaves
// are -1 where they were not published.
type Tree struct {
	Name   string
	Params Params
	Nodes  int64
	Depth  int
	Leaves int64
}

// geo returns geometric-tree parameters (-t 1 -a shape -d gen -b b0 -r seed).
func geo(shape Shape, gen int, b0 float64, seed int32) Params {
	p := Default()
	p.Type, p.Shape, p.GenMax, p.B0, p.Seed = Geometric, shape, gen, b0, seed
	return p
}

// bin returns binomial-tree parameters (-t 0 -b b0 -q q -m m -r seed).
func bin(b0, q float64, m int, seed int32) Params {
	p := Default()
	p.Type, p.B0, p.Q, p.M, p.Seed = Binomial, b0, q, m, seed
	return p
}

// The published sample trees of UTS 2.1 (sample_trees.sh). Counts hold for
// the SHA-1 generator only.
var (
	// T1: geometric, fixed shape; 4,130,071 nodes, depth 10.
	T1 = Tree{"T1", geo(Fixed, 10, 4, 19), 4130071, 10, 3305118}
	// T5: geometric, linear shape; 4,147,582 nodes, depth 20.
	T5 = Tree{"T5", geo(Linear, 20, 4, 34), 4147582, 20, 2181318}
	// T2: geometric, cyclic shape; 4,117,769 nodes, depth 81.
	T2 = Tree{"T2", geo(Cyclic, 16, 6, 502), 4117769, 81, 2342762}
	// T3: binomial with a 2000-wide root and chains 1,572 deep; 4,112,897
	// nodes. The work-stealing torture test.
	T3 = Tree{"T3", bin(2000, 0.124875, 8, 42), 4112897, 1572, 3599034}
	// T4: hybrid; 4,132,453 nodes, depth 134.
	T4 = Tree{"T4", hybrid(), 4132453, 134, 3108986}

	// T1L: the larger T1; 102,181,082 nodes.
	T1L = Tree{"T1L", geo(Fixed, 13, 4, 29), 102181082, 13, 81746377}
	// T2L: the larger T2; 96,793,510 nodes.
	T2L = Tree{"T2L", geo(Cyclic, 23, 7, 220), 96793510, 67, 53791152}
	// T3L: the larger T3; 111,345,631 nodes, depth 17,844.
	T3L = Tree{"T3L", bin(2000, 0.200014, 5, 7), 111345631, 17844, 89076904}
	// T1XL: 1,635,119,272 nodes.
	T1XL = Tree{"T1XL", geo(Fixed, 15, 4, 29), 1635119272, 15, 1308100063}
	// T1XXL: 4,230,646,601 nodes.
	T1XXL = Tree{"T1XXL", geo(Fixed, 15, 4, 19), 4230646601, 15, -1}
	// T3XXL: 2,793,220,501 nodes.
	T3XXL = Tree{"T3XXL", bin(2000, 0.499995, 2, 316), 2793220501, -1, -1}
	// T2XXL: 10,612,052,303 nodes, depth 216,370.
	T2XXL = Tree{"T2XXL", bin(2000, 0.499999995, 2, 0), 10612052303, 216370, 5306027151}
	// T1WL: 270,751,679,750 nodes.
	T1WL = Tree{"T1WL", geo(Fixed, 18, 4, 19), 270751679750, 18, 216601257283}
	// T2WL: 295,393,891,003 nodes, depth 1,021,239.
	T2WL = Tree{"T2WL", bin(2000, 0.4999999995, 2, 559), 295393891003, 1021239, 147696946501}
	// T3WL: 157,063,495,159 nodes, depth 758,577.
	T3WL = Tree{"T3WL", bin(2000, 0.4999995, 2, 559), 157063495159, 758577, 78531748579}
)

// hybrid returns T4's parameters: -t 2 -a 0 -d 16 -b 6 -r 1 -q 0.234375 -m 4.
func hybrid() Params {
	p := geo(Linear, 16, 6, 1)
	p.Type, p.Q, p.M = Hybrid, 0.234375, 4
	return p
}

// Trees lists every preset, smallest first within each family.
var Trees = []Tree{T1, T2, T3, T4, T5, T1L, T2L, T3L, T1XL, T1XXL, T3XXL, T2XXL, T1WL, T2WL, T3WL}

// Lookup returns the preset with the given name, ignoring case.
func Lookup(name string) (Tree, bool) {
	for _, t := range Trees {
		if strings.EqualFold(t.Name, name) {
			return t, true
		}
	}
	return Tree{}, false
}

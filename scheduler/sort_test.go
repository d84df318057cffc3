package scheduler_test

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/forage-go/forage/scheduler"
	"github.com/stretchr/testify/require"
)

// sortSizes: empty, tiny, around the serial cutoff (2^14), and large enough
// for several merge levels and split merges (10^6 only without the race
// detector, which makes it ~10x slower).
func sortSizes() []int {
	small := []int{0, 1, 2, 100, 1<<14 - 1, 1 << 14, 1<<14 + 1}
	if raceEnabled {
		return append(small, 100_003)
	}
	return append(small, 100_003, 1_000_000)
}

// sortInputs makes the input shapes of the tests: random, sorted, reversed,
// all equal, many duplicates, nearly sorted, and sawtooth (sorted runs).
func sortInputs(n int, seed uint64) map[string][]int {
	r := rand.New(rand.NewPCG(seed, 1))
	in := map[string][]int{}
	random := make([]int, n)
	for i := range random {
		random[i] = int(r.Uint64() >> 1)
	}
	in["random"] = random
	sorted := slices.Sorted(slices.Values(random))
	in["sorted"] = sorted
	reversed := slices.Clone(sorted)
	slices.Reverse(reversed)
	in["reversed"] = reversed
	in["equal"] = make([]int, n)
	dups := make([]int, n)
	for i := range dups {
		dups[i] = r.IntN(10)
	}
	in["duplicates"] = dups
	// Sorted, then duplicates descending (non-strict): tests reversal with
	// equal elements.
	desc := slices.Clone(dups)
	slices.SortFunc(desc, func(a, b int) int { return b - a })
	in["descending-dups"] = desc
	nearly := slices.Clone(sorted)
	for range n / 100 {
		i, j := r.IntN(n), r.IntN(n)
		nearly[i], nearly[j] = nearly[j], nearly[i]
	}
	in["nearly-sorted"] = nearly
	saw := make([]int, n)
	for i := range saw {
		saw[i] = i % 1000
	}
	in["sawtooth"] = saw
	return in
}

// TestSortMatchesSlices: Sort and SortFunc give what slices.Sort gives, on
// every input shape, size and worker count.
func TestSortMatchesSlices(t *testing.T) {
	pools := make([]*scheduler.Pool, len(loopWorkerCounts))
	for i, workers := range loopWorkerCounts {
		pools[i] = strictPool(t, workers)
	}
	for _, n := range sortSizes() {
		for name, in := range sortInputs(n, uint64(n)) {
			want := slices.Sorted(slices.Values(in))
			for _, p := range pools {
				s := slices.Clone(in)
				f := slices.Clone(in)
				within(t, hangTimeout, func() {
					p.Run(func(w *scheduler.Worker) {
						scheduler.Sort(w, s)
						scheduler.SortFunc(w, f, func(a, b int) int { return cmp.Compare(b, a) }) // descending
					})
				})
				if !slices.Equal(want, s) {
					t.Fatalf("Sort workers=%d n=%d %s: wrong result", p.Workers(), n, name)
				}
				slices.Reverse(f)
				if !slices.Equal(want, f) {
					t.Fatalf("SortFunc workers=%d n=%d %s: wrong result", p.Workers(), n, name)
				}
			}
		}
	}
}

// TestSortFloatsNaN: Sort orders floats as slices.Sort does: NaNs first.
func TestSortFloatsNaN(t *testing.T) {
	n := 200_000
	r := rand.New(rand.NewPCG(3, 4))
	in := make([]float64, n)
	for i := range in {
		switch r.IntN(20) {
		case 0:
			in[i] = math.NaN()
		case 1:
			in[i] = math.Inf(-1)
		default:
			in[i] = r.NormFloat64()
		}
	}
	want := slices.Clone(in)
	slices.Sort(want)
	for _, workers := range []int{2, 7} {
		p := strictPool(t, workers)
		s := slices.Clone(in)
		p.Run(func(w *scheduler.Worker) { scheduler.Sort(w, s) })
		for i := range s {
			if cmp.Compare(s[i], want[i]) != 0 {
				t.Fatalf("workers=%d: s[%d]=%v, want %v", workers, i, s[i], want[i])
			}
		}
	}
}

// record is a sort element with a key and its original position.
type record struct{ key, pos int }

// TestSortStableFunc: SortStableFunc keeps equal keys in input order, like
// slices.SortStableFunc, on every shape, including strictly and non-strictly
// descending input (which it may reverse only when strictly descending).
func TestSortStableFunc(t *testing.T) {
	byKey := func(a, b record) int { return cmp.Compare(a.key, b.key) }
	pools := make([]*scheduler.Pool, len(loopWorkerCounts))
	for i, workers := range loopWorkerCounts {
		pools[i] = strictPool(t, workers)
	}
	for _, n := range sortSizes() {
		for name, keys := range sortInputs(n, uint64(n)+1) {
			in := make([]record, n)
			for i, k := range keys {
				in[i] = record{k % 1000, i} // few distinct keys: many ties
			}
			// The stable order, without slices.SortStableFunc (slow on
			// large n): ties are ordered by original position.
			want := slices.Clone(in)
			slices.SortFunc(want, func(a, b record) int { return cmp.Or(byKey(a, b), cmp.Compare(a.pos, b.pos)) })
			for _, p := range pools {
				s := slices.Clone(in)
				within(t, hangTimeout, func() {
					p.Run(func(w *scheduler.Worker) { scheduler.SortStableFunc(w, s, byKey) })
				})
				if !slices.Equal(want, s) {
					t.Fatalf("workers=%d n=%d %s: not the stable order", p.Workers(), n, name)
				}
			}
		}
	}
}

// TestSortIgnoresCancel: a sort whose Run is cancelled halfway still sorts
// all of s (a cancelled scheduler skips stolen tasks: the sort must redo
// them, not lose elements).
func TestSortIgnoresCancel(t *testing.T) {
	n := 400_000
	if raceEnabled {
		n = 100_000
	}
	in := sortInputs(n, 5)["random"]
	want := slices.Sorted(slices.Values(in))
	for _, workers := range loopWorkerCounts {
		for _, stable := range []bool{false, true} {
			s := slices.Clone(in)
			p := strictPool(t, workers)
			ctx, cancel := context.WithCancel(context.Background())
			var calls atomic.Int64
			byValue := func(a, b int) int {
				if calls.Add(1) == int64(n) {
					cancel() // somewhere in the leaves
				}
				return cmp.Compare(a, b)
			}
			var err error
			within(t, hangTimeout, func() {
				err = p.RunContext(ctx, func(w *scheduler.Worker) {
					if stable {
						scheduler.SortStableFunc(w, s, byValue)
					} else {
						scheduler.SortFunc(w, s, byValue)
					}
				})
			})
			cancel()
			require.ErrorIs(t, err, context.Canceled, "the cancel happened during the sort")
			require.True(t, slices.Equal(want, s), fmt.Sprintf("workers=%d stable=%v: not sorted after cancellation", workers, stable))
		}
	}
}

// TestSortPanicPropagates: a panicking comparison reaches the caller once,
// and the pool stays usable.
func TestSortPanicPropagates(t *testing.T) {
	p := strictPool(t, 2)
	s := sortInputs(100_000, 6)["random"]
	var calls atomic.Int64
	v := catch(func() {
		p.Run(func(w *scheduler.Worker) {
			scheduler.SortFunc(w, s, func(a, b int) int {
				if calls.Add(1) == 50_000 {
					panicInCompare()
				}
				return cmp.Compare(a, b)
			})
		})
	})
	requirePanicError(t, v, "compare", "panicInCompare")
	p.Run(func(w *scheduler.Worker) { scheduler.Sort(w, s) })
	require.True(t, slices.IsSorted(s))
}

func panicInCompare() { panic("compare") }

type myInt int32

// TestSortOtherTypes: Sort on strings, bytes (all duplicates) and a named
// integer type (which takes the branch-free integer merge) matches
// slices.Sort.
func TestSortOtherTypes(t *testing.T) {
	n := 300_000
	if raceEnabled {
		n = 60_000
	}
	r := rand.New(rand.NewPCG(8, 9))
	strs := make([]string, n)
	bytes := make([]uint8, n)
	named := make([]myInt, n)
	for i := range n {
		strs[i] = fmt.Sprint(r.IntN(n))
		bytes[i] = uint8(r.Uint32())
		named[i] = myInt(r.Int32() - math.MaxInt32/2)
	}
	p := strictPool(t, 2)
	check := func(name string, sorted bool) {
		if !sorted {
			t.Errorf("%s: not sorted", name)
		}
	}
	ws, wb, wn := slices.Sorted(slices.Values(strs)), slices.Sorted(slices.Values(bytes)), slices.Sorted(slices.Values(named))
	p.Run(func(w *scheduler.Worker) {
		scheduler.Sort(w, strs)
		scheduler.Sort(w, bytes)
		scheduler.Sort(w, named)
	})
	check("strings", slices.Equal(ws, strs))
	check("uint8", slices.Equal(wb, bytes))
	check("named int32", slices.Equal(wn, named))
}

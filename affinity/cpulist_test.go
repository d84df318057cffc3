package affinity

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCPUList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
	}{
		{"", nil},
		{"\n", nil},
		{"0", []int{0}},
		{"0-3\n", []int{0, 1, 2, 3}},
		{"0-3,8,10-11", []int{0, 1, 2, 3, 8, 10, 11}},
		{"8,0-1", []int{0, 1, 8}},        // unsorted input sorts
		{"0-2,1-3,2", []int{0, 1, 2, 3}}, // overlaps merge
		{" 1 , 3 - 4 ", []int{1, 3, 4}},
		{"5-5", []int{5}},
	} {
		got, err := ParseCPUList(tc.in)
		require.NoError(t, err, "input %q", tc.in)
		assert.Equal(t, tc.want, got, "input %q", tc.in)
	}
}

func TestParseCPUListErrors(t *testing.T) {
	for _, in := range []string{
		",", "0,", ",0", "0,,1", "a", "-1", "1-", "-", "3-1", "1-2-3", "+1",
		"0x1", "1.5", "99999999999999999999", "0-70000",
	} {
		_, err := ParseCPUList(in)
		assert.Error(t, err, "input %q", in)
	}
}

func TestFormatCPUList(t *testing.T) {
	assert.Equal(t, "", FormatCPUList(nil))
	assert.Equal(t, "0", FormatCPUList([]int{0}))
	assert.Equal(t, "0-3,8,10-11", FormatCPUList([]int{11, 10, 8, 3, 2, 1, 0, 2}))
	assert.Equal(t, "1,3,5", FormatCPUList([]int{5, 3, 1}))
}

// FuzzParseCPUList checks that the parser never panics, that everything it
// accepts is sorted, unique and in range, and that Format/Parse round-trip.
func FuzzParseCPUList(f *testing.F) {
	for _, s := range []string{"", "0", "0-3,8,10-11", "0-1\n", "1,0", "3-1", "0-65536", "7,7,7", " 2 - 4 ,9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := ParseCPUList(s)
		if err != nil {
			return
		}
		if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
			t.Fatalf("ParseCPUList(%q) = %v: not sorted and unique", s, ids)
		}
		for _, id := range ids {
			if id < 0 || id > MaxCPUListID {
				t.Fatalf("ParseCPUList(%q) yields out-of-range id %d", s, id)
			}
		}
		again, err := ParseCPUList(FormatCPUList(ids))
		if err != nil {
			t.Fatalf("re-parsing %q: %v", FormatCPUList(ids), err)
		}
		if !slices.Equal(ids, again) {
			t.Fatalf("round trip of %q: %v became %v", s, ids, again)
		}
	})
}

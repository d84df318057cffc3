package affinity

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPolicyString(t *testing.T) {
	var zero Policy
	assert.Equal(t, None, zero, "the zero value is None")
	assert.Equal(t, "none", None.String())
	assert.Equal(t, "compact", Compact.String())
	assert.Equal(t, "scatter", Scatter.String())
	assert.Equal(t, "cpus:3,1,2", CPUs(3, 1, 2).String())
	assert.False(t, None.Pinned())
	assert.True(t, Compact.Pinned())
	assert.True(t, CPUs(0).Pinned())
}

func TestPolicyEquality(t *testing.T) {
	a, b := CPUs(1, 2), CPUs(1, 2)
	assert.True(t, a == b, "equal lists compare equal")
	assert.False(t, CPUs(1, 2) == CPUs(2, 1), "order matters: worker i gets ids[i]")
	assert.False(t, Compact == Scatter)
	assert.Equal(t, []int{3, 1, 2}, CPUs(3, 1, 2).List())
	assert.Nil(t, Compact.List())
	assert.Nil(t, CPUs().List())
}

func TestParsePolicy(t *testing.T) {
	for _, p := range []Policy{None, Compact, Scatter, CPUs(0), CPUs(3, 1, 2), CPUs(7, 7)} {
		got, err := ParsePolicy(p.String())
		require.NoError(t, err, p.String())
		assert.Equal(t, p, got, "round trip of %s", p)
	}
	for in, want := range map[string]Policy{
		"":             None,
		" Compact ":    Compact,
		"SCATTER":      Scatter,
		"cpus:4-7,0":   CPUs(4, 5, 6, 7, 0),
		"cpus:2,0-1,3": CPUs(2, 0, 1, 3),
		"cpus: 1 , 0 ": CPUs(1, 0),
	} {
		got, err := ParsePolicy(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"close", "cpus:", "cpus:1,,2", "cpus:3-1", "cpus:-1"} {
		_, err := ParsePolicy(in)
		assert.Error(t, err, in)
	}
}

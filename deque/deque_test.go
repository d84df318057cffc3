package deque_test

import (
	"testing"

	"github.com/forage-go/forage/deque"
	"github.com/forage-go/forage/internal/chaos"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ints(n int) []*int {
	out := make([]*int, n)
	for i := range out {
		v := i
		out[i] = &v
	}
	return out
}

func TestNewCapacity(t *testing.T) {
	if chaos.SmallRing {
		t.Skip("the chaos build shrinks every ring")
	}
	for _, tc := range []struct{ in, want int }{
		{-5, deque.DefaultCapacity}, {0, deque.DefaultCapacity}, {1, 1}, {2, 2},
		{3, 4}, {5, 8}, {64, 64}, {65, 128}, {1000, 1024},
	} {
		assert.Equal(t, tc.want, deque.New[int](tc.in).Cap(), "New(%d)", tc.in)
	}
}

func TestEmpty(t *testing.T) {
	d := deque.New[int](4)
	_, ok := d.Pop()
	assert.False(t, ok)
	_, ok = d.Steal()
	assert.False(t, ok)
	_, res := d.TrySteal()
	assert.Equal(t, deque.Empty, res)
	assert.Zero(t, d.Len())
}

func TestLIFOOwnerFIFOThief(t *testing.T) {
	d := deque.New[int](1)
	items := ints(100)
	for _, it := range items {
		d.Push(it)
	}
	require.Equal(t, 100, d.Len())
	require.GreaterOrEqual(t, d.Cap(), 100, "grew from capacity 1")
	for want := 0; want < 10; want++ { // thieves take the oldest
		v, ok := d.Steal()
		require.True(t, ok)
		require.Equal(t, want, *v)
	}
	for want := 99; want >= 10; want-- { // the owner takes the newest
		v, ok := d.Pop()
		require.True(t, ok)
		require.Equal(t, want, *v)
	}
	_, ok := d.Pop()
	assert.False(t, ok)
}

func TestWrapAroundKeepsOrder(t *testing.T) {
	// Alternate pushes with steals so that indices wrap the ring many times
	// without growing it.
	d := deque.New[int](4)
	items := ints(1000)
	next := 0
	for i, it := range items {
		d.Push(it)
		if i%2 == 1 {
			for d.Len() > 1 {
				v, ok := d.Steal()
				require.True(t, ok)
				require.Equal(t, next, *v)
				next++
			}
		}
	}
	for {
		v, ok := d.Steal()
		if !ok {
			break
		}
		require.Equal(t, next, *v)
		next++
	}
	assert.Equal(t, 1000, next)
	if !chaos.SmallRing {
		assert.Equal(t, 4, d.Cap(), "steals kept up, so the ring never had to grow")
	}
}

func TestLastItemBothWays(t *testing.T) {
	d := deque.New[int](2)
	items := ints(2)
	d.Push(items[0])
	v, ok := d.Pop() // the CAS path
	require.True(t, ok)
	assert.Same(t, items[0], v)
	d.Push(items[1])
	v, ok = d.Steal()
	require.True(t, ok)
	assert.Same(t, items[1], v)
	_, ok = d.Pop()
	assert.False(t, ok)
}

func TestStealHalf(t *testing.T) {
	victim := deque.New[int](8)
	mine := deque.New[int](8)
	for _, it := range ints(10) {
		victim.Push(it)
	}
	first, n := victim.StealHalf(mine)
	require.NotNil(t, first)
	assert.Equal(t, 0, *first, "the oldest item comes back to run now")
	assert.Equal(t, 6, n, "one plus half of the nine left, rounded up")
	assert.Equal(t, 5, mine.Len())
	assert.Equal(t, 4, victim.Len())
	// The moved items keep their relative order in the thief's deque.
	v, _ := mine.Steal()
	assert.Equal(t, 1, *v)
	v, _ = mine.Pop()
	assert.Equal(t, 5, *v)

	empty := deque.New[int](1)
	first, n = empty.StealHalf(mine)
	assert.Nil(t, first)
	assert.Zero(t, n)
	assert.Panics(t, func() { mine.StealHalf(mine) })
}

func TestStealHalfBounded(t *testing.T) {
	victim := deque.New[int](1)
	mine := deque.New[int](1)
	for _, it := range ints(1000) {
		victim.Push(it)
	}
	_, n := victim.StealHalf(mine)
	assert.Equal(t, deque.MaxBatch, n)
}

func TestStealResultString(t *testing.T) {
	assert.Equal(t, "Empty", deque.Empty.String())
	assert.Equal(t, "Success", deque.Success.String())
	assert.Equal(t, "Retry", deque.Retry.String())
	assert.Equal(t, "StealResult(?)", deque.StealResult(9).String())
}

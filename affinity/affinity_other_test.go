//go:build !linux

package affinity

import (
	"errors"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnsupportedPlatform(t *testing.T) {
	assert.False(t, Supported)
	err := Pin(0)
	require.Error(t, err)
	assert.ErrorIs(t, err, errors.ErrUnsupported)
	_, err = ThreadMask()
	assert.ErrorIs(t, err, errors.ErrUnsupported)

	topo, err := Detect()
	require.NoError(t, err)
	assert.Len(t, topo.Allowed, runtime.NumCPU())
	assert.Equal(t, max(1, min(runtime.GOMAXPROCS(0), runtime.NumCPU())), topo.Usable())
}

//go:build forage_chaos

package chaos

import (
	"runtime"
	"sync/atomic"
)

// Enabled reports whether this build injects chaos.
const Enabled = true

// SmallRing reports whether deques should start at a tiny capacity.
const SmallRing = true

// state is a shared counter, advanced by a constant and mixed by a
// splitmix-style finaliser into each decision. Callers on many goroutines
// race to advance it with atomic read-modify-write operations, so the
// sequence of decisions depends on the seed and on the interleaving, which
// is what we want: the seed changes the perturbation, the perturbation
// changes the interleaving.
var state atomic.Uint64

func init() { state.Store(0x9E3779B97F4A7C15) }

// Seed sets the seed of the chaos sequence.
func Seed(s uint64) {
	if s == 0 {
		s = 0x9E3779B97F4A7C15
	}
	// Plain publication of a new seed; any interleaving of concurrent Seeds is fine.
	state.Store(s)
}

// Point perturbs the schedule at a critical interleaving: about one call in
// four yields the processor, one in eight spins briefly.
func Point() {
	// The RMW makes every caller advance the shared sequence exactly once.
	x := state.Add(0x9E3779B97F4A7C15)
	x ^= x >> 31
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 29
	switch x & 7 {
	case 0, 1:
		runtime.Gosched()
	case 2:
		for i := 0; i < int(x>>59); i++ {
			spinSink.Add(1)
		}
	}
}

// spinSink gives the short spin in Point an observable effect so that it is
// not optimised away.
var spinSink atomic.Uint64

package stress

import (
	"math/rand/v2"
	"time"
)

// mix is the splitmix64 finaliser: a bijection that scatters nearby seeds.
func mix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
	x = (x ^ x>>27) * 0x94D049BB133111EB
	return x ^ x>>31
}

// RoundSeed returns the seed of round k of a scenario run with seed: the seed
// itself for round 0, so that a failing round's seed, passed back as the
// seed, replays that round first.
func RoundSeed(seed uint64, round int) uint64 {
	if round == 0 {
		return seed
	}
	return mix(seed ^ mix(uint64(round)))
}

// newRand returns a deterministic generator for seed.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, mix(seed^0x5851F42D4C957F2D)))
}

// subSeed derives an independent seed for the i-th part of a round (a
// goroutine, a tree, a leaf), so that parts do not share a generator.
func subSeed(seed uint64, i int) uint64 { return mix(seed + mix(uint64(i)+1)) }

// freshSeed returns a seed for a run that was not given one.
func freshSeed() uint64 {
	s := mix(uint64(time.Now().UnixNano()))
	if s == 0 {
		s = 1
	}
	return s
}

// pick returns one of vs, chosen by rng.
func pick[T any](rng *rand.Rand, vs ...T) T { return vs[rng.IntN(len(vs))] }

//go:build !forage_chaos

package chaos

// Enabled reports whether this build injects chaos.
const Enabled = false

// SmallRing reports whether deques should start at a tiny capacity.
const SmallRing = false

// Point marks a critical interleaving; without the forage_chaos tag it does nothing.
func Point() {}

// Seed sets the seed of the chaos sequence; without the tag it does nothing.
func Seed(uint64) {}

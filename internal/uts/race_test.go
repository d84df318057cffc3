//go:build race

package uts

// raceEnabled reports whether the race detector is on: full-size trees are
// then too slow to count.
const raceEnabled = true

//go:build !race

package uts

// raceEnabled reports whether the race detector is on.
const raceEnabled = false

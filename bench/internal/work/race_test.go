//go:build race

package work

// raceEnabled reports whether the race detector is on.
const raceEnabled = true

//go:build race

package stress

// raceEnabled reports whether the race detector is on.
const raceEnabled = true

//go:build !race

package scheduler_test

// raceEnabled reports whether the race detector is on: some tests then use
// smaller sizes to stay within their time budget.
const raceEnabled = false

// Package chaos widens race windows for stress testing.
//
// forage's lock-free code calls [Point] at its critical interleavings: in the
// deque between reading an index and the CAS that claims it, in the sleep
// protocol between announcing sleep and re-checking for work, and between
// publishing work and waking a sleeper. In a normal build Point is an empty
// function that the compiler inlines away, so it costs nothing. Built with the
// forage_chaos tag, each call may yield the processor or spin for a moment,
// decided by a seeded pseudo-random sequence, so that rare interleavings
// become common under the stress suite. The tag also shrinks initial deque
// capacities (see [SmallRing]) so that growth and wrap-around happen early, as
// Tokio shrinks its run queue to four slots under its model checker.
package chaos

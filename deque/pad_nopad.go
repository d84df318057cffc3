//go:build forage_nopad

package deque

// No padding: the measurement build for docs/deque.md.
const (
	padTop   = 0
	padOwner = 0
)

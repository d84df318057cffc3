//go:build !forage_nopad

package deque

// cacheLine separates the field that thieves write (top) from the fields
// only the owner writes (bottom, ring, its private state), so that a thief's
// CAS does not invalidate the owner's line on every push and pop. 128 bytes,
// not 64: x86 prefetches cache lines in adjacent pairs (crossbeam's
// CachePadded uses 128 on x86-64 for this reason). The forage_nopad build
// tag removes the padding, to measure what it is worth (docs/deque.md).
const cacheLine = 128

const (
	padTop   = cacheLine - 8
	padOwner = cacheLine - 16 - ownerStateSize
)

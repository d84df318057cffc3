package deque

import (
	"math/bits"
	"sync/atomic"

	"github.com/forage-go/forage/internal/chaos"
)

// DefaultCapacity is the capacity New uses when asked for less than 1.
const DefaultCapacity = 64

// maxCapacity bounds growth: a ring of 2^40 pointers is 8 TiB, far beyond any
// machine; reaching it means a runaway producer, and panicking beats silently
// corrupting indices.
const maxCapacity = 1 << 40

// ring is a power-of-two circular buffer. Index i lives in slots[i&mask].
// Package doc, "Slots are plain memory", says who may touch a slot when.
type ring[T any] struct {
	mask  int64
	slots []slot[T]
	// base is the first index this ring ever held: indices below it were
	// claimed before the ring existed and are never read from it.
	base int64
	// next is the ring that replaced this one, nil while it is current.
	// Stored by the owner when it grows; loaded by thieves releasing a slot
	// (see release).
	next atomic.Pointer[ring[T]]
}

// slot holds one item and says whether its last reader has finished.
type slot[T any] struct {
	// item is a plain pointer: every access to it is ordered by an atomic
	// (bottom before a thief's read, done before the owner's next write).
	item *T
	// done is the last index held in this slot whose claimer has finished
	// reading it (or a virtual index one lap earlier when there was none).
	// The owner may write index b here only when done == b-cap or when it
	// claimed b-cap itself (owned). Accessed only atomically.
	done atomic.Int64
	// owned is the last index held in this slot that the owner claimed
	// itself, by CAS: no reader will touch it, so it needs no release.
	// Owner-private.
	owned int64
}

// newRing makes a ring of the given capacity for the indices from base on,
// whose next push is index b: every slot is released for its first index
// >= b. Slots for [base, b) are filled in by grow.
func newRing[T any](capacity, base, b int64) *ring[T] {
	r := &ring[T]{
		mask:  capacity - 1,
		slots: make([]slot[T], capacity),
		base:  base,
	}
	for i := b; i < b+capacity; i++ {
		// Not yet visible to any thief: the ring is published later.
		s := &r.slots[i&r.mask]
		s.done.Store(i - capacity)
		s.owned = -1
	}
	return r
}

func (r *ring[T]) size() int64 { return r.mask + 1 }

// writable reports whether the owner may write index b into its slot: the
// slot's previous index, b-cap, was claimed by the owner itself, or by a
// thief that has finished reading it. Owner only.
func (r *ring[T]) writable(b int64) bool {
	s := &r.slots[b&r.mask]
	prev := b - r.size()
	// The load pairs with the claimer's store in release, so its read of
	// the item happens before our write of it.
	return s.owned == prev || s.done.Load() == prev
}

// release marks index t, claimed by a thief that read it from r, as read: in
// r and in every ring that replaced r and holds t. Any goroutine.
func (r *ring[T]) release(t int64) {
	for {
		// Release the slot: orders our read before the owner's next write
		// of it (ring.writable).
		r.slots[t&r.mask].done.Store(t)
		// Dekker with grow: it stores next and then re-reads done of the
		// indices it copied. Either it sees our store above, or we see its
		// next here and release t there too; both storing t is harmless.
		n := r.next.Load()
		if n == nil || t < n.base {
			return
		}
		r = n
	}
}

// Deque is a Chase-Lev work-stealing deque of *T. The zero value is not
// usable; call [New].
//
// Push and Pop may be called only by the deque's owner: one goroutine at a
// time, with the calls ordered (the owner may change, for example when a
// worker's goroutine is replaced, if the hand-over is itself synchronized).
// Steal, TrySteal, StealHalf and Len may be called by any goroutine.
type Deque[T any] struct {
	// top is the oldest index. Incremented only by a successful CAS, which
	// claims index top for exactly one party (thief, or owner on the last
	// item). Thieves CAS it: it gets a cache line of its own.
	top atomic.Int64
	_   [padTop]byte

	// bottom is one past the newest index. Stored only by the owner.
	bottom atomic.Int64
	// ring is the current buffer. Stored only by the owner, when it grows;
	// loaded by thieves after bottom (see package doc).
	ring atomic.Pointer[ring[T]]

	// Owner-private state: never touched by thieves, so plain fields.
	own ownerState[T]
	_   [padOwner]byte
}

// ownerState is what the owner keeps to itself.
type ownerState[T any] struct {
	ring *ring[T] // same as Deque.ring, without the atomic load
	// topSeen is a top the owner loaded earlier; top only grows, so
	// bottom-topSeen overestimates the length and is a safe capacity check.
	topSeen int64
	// clean: every stolen slot below it has been cleared or overwritten.
	clean int64
}

const ownerStateSize = 8 * 3

// New returns an empty deque whose ring holds capacity items before it grows.
// The capacity is rounded up to a power of two; capacity < 1 gives
// DefaultCapacity.
func New[T any](capacity int) *Deque[T] {
	c := int64(capacity)
	if capacity < 1 {
		c = DefaultCapacity
	}
	if chaos.SmallRing && c > 2 {
		c = 2 // stress builds: grow and wrap early and often
	}
	if c > maxCapacity {
		c = maxCapacity
	}
	c = int64(1) << bits.Len64(uint64(c-1))
	d := &Deque[T]{}
	r := newRing[T](c, 0, 0)
	d.own.ring = r
	// Publication of the first ring; the Deque itself reaches thieves through
	// whatever hands them the pointer, which orders this store before them.
	d.ring.Store(r)
	return d
}

// Push adds v at the bottom. Owner only.
func (d *Deque[T]) Push(v *T) {
	// Owner's own field: no other goroutine stores bottom, so this load
	// returns the owner's last store.
	b := d.bottom.Load()
	r := d.own.ring
	// Is there room? top only grows, so topSeen is a lower bound for top and
	// b-topSeen an upper bound for the length; reload top only when the bound
	// says full.
	if b-d.own.topSeen > r.mask {
		d.own.topSeen = d.top.Load() // how far the claims have advanced
		if b-d.own.topSeen > r.mask {
			r = d.grow(b, d.own.topSeen)
		}
	}
	// Has the claimer of the slot's previous index, b-cap, finished reading
	// it? If not, a thief is inside its few instructions between claim and
	// release: grow rather than wait, so the owner never blocks on a thief.
	if !r.writable(b) {
		r = d.grow(b, d.top.Load())
	}
	r.slots[b&r.mask].item = v // plain: ordered after the previous reader
	// Publish: SC store, a release for the slot write above (rule 3). Push
	// linearizes here.
	d.bottom.Store(b + 1)
}

// grow replaces the ring with one twice as large holding [t, b). Owner only.
// Readers of the old ring keep reading it safely: it is never written again.
func (d *Deque[T]) grow(b, t int64) *ring[T] {
	old := d.own.ring
	size := old.size() * 2
	for b-t >= size {
		size *= 2
	}
	if size > maxCapacity {
		panic("deque: capacity exceeds 2^40 items")
	}
	r := newRing[T](size, t, b)
	for i := t; i < b; i++ {
		// Plain reads of the old ring race with nothing: thieves only read
		// items. Index i is live or being claimed right now; either way it
		// is not yet released in the new ring.
		ns := &r.slots[i&r.mask]
		ns.item = old.slots[i&old.mask].item
		ns.done.Store(i - size)
	}
	// Publish the new ring to thieves releasing slots of the old one, then
	// carry over the releases that happened before they could see it (the
	// other half of the Dekker pair in ring.release).
	old.next.Store(r)
	chaos.Point() // let thieves release into the old ring meanwhile
	for i := t; i < b; i++ {
		if old.slots[i&old.mask].done.Load() == i {
			r.slots[i&r.mask].done.Store(i)
		}
	}
	d.own.ring = r
	d.own.topSeen = t
	d.own.clean = t // stale slots of the old ring go with it
	// Publish the new ring to thieves: its slot writes above happen before
	// any thief's load of this pointer. A thief that loads it loaded bottom
	// earlier and so claims an index >= t (package doc, Steal).
	d.ring.Store(r)
	return r
}

// Pop removes and returns the newest item. Owner only. It reports false
// when the deque is empty.
func (d *Deque[T]) Pop() (*T, bool) {
	b := d.bottom.Load() // owner's own field
	t := d.top.Load()
	r := d.own.ring
	switch {
	case b <= t:
		// Empty. Items are added only by the owner, so bottom <= top means
		// empty, and no store is needed to say so.
		d.cleanStolen(r, t)
		return nil, false
	case b-t == 1:
		// One item, index t. Claim it the way a thief would, with a CAS on
		// top, and leave bottom alone: one SC operation instead of the
		// textbook's store-bottom, CAS, restore-bottom. A failed CAS means a
		// thief claimed t, and top == b now: empty.
		chaos.Point() // widen the last-item race
		if !d.top.CompareAndSwap(t, t+1) {
			return nil, false
		}
		return d.takeClaimed(r, t), true
	}
	b--
	// Announce the candidate before looking at top again (Dekker, StoreLoad):
	// a thief that loads bottom after this store will not try index b.
	d.bottom.Store(b)
	chaos.Point() // between announcing the candidate and reading top
	t = d.top.Load()
	switch {
	case t < b:
		// More than one item: no thief can claim b (package doc, Pop). The
		// slot stays free for b, which the next Push writes again.
		s := &r.slots[b&r.mask]
		v := s.item
		s.item = nil // ours alone: no retention
		return v, true
	case t == b:
		// Thieves took all but b meanwhile: race them for it with a CAS.
		won := d.top.CompareAndSwap(t, t+1)
		// Either way the deque is now empty at b+1; restore bottom so that
		// top <= bottom holds again.
		d.bottom.Store(b + 1)
		if !won {
			return nil, false
		}
		return d.takeClaimed(r, b), true
	default:
		// A thief took the last item between our two loads of top.
		d.bottom.Store(b + 1)
		return nil, false
	}
}

// takeClaimed reads and clears index i, which the owner has just claimed by a
// CAS on top. No thief reads this slot: none could claim i.
func (d *Deque[T]) takeClaimed(r *ring[T], i int64) *T {
	s := &r.slots[i&r.mask]
	v := s.item
	s.item = nil
	s.owned = i // released at once, privately: no reader will ever touch it
	if d.own.clean == i {
		d.own.clean = i + 1
	}
	return v
}

// cleanStolen clears the stale pointers that stolen slots still hold once the
// deque is empty (top == bottom == t). Owner only. Cheap when nothing was
// stolen since the last call.
func (d *Deque[T]) cleanStolen(r *ring[T], t int64) {
	i := max(d.own.clean, t-r.size())
	for ; i < t; i++ {
		s := &r.slots[i&r.mask]
		// Clear only after the thief that claimed i has released the slot;
		// the atomic load orders its read before our write. No new claim
		// can happen while the deque is empty.
		if s.done.Load() != i {
			break
		}
		s.item = nil
	}
	d.own.clean = i
}

// StealResult says how a steal attempt ended.
type StealResult int

const (
	// Empty: the deque was observed empty.
	Empty StealResult = iota
	// Success: an item was taken.
	Success
	// Retry: another party took the item this thief was about to take; the
	// deque may still hold items.
	Retry
)

// String names the result.
func (s StealResult) String() string {
	switch s {
	case Empty:
		return "Empty"
	case Success:
		return "Success"
	case Retry:
		return "Retry"
	}
	return "StealResult(?)"
}

// TrySteal makes one attempt to take the oldest item. Any goroutine. A
// scheduler uses it to tell an empty victim (move on) from a contended one
// (worth another try).
func (d *Deque[T]) TrySteal() (*T, StealResult) {
	// Load top before bottom (Lê et al.'s steal fence): a thief must not pair
	// a bottom older than its top, or it could see a stale non-empty range.
	t := d.top.Load()
	chaos.Point() // widen the window between reading top and the CAS
	b := d.bottom.Load()
	if t >= b {
		return nil, Empty
	}
	// Load the ring after bottom: it is at least as new as the ring index t
	// was written into (package doc, Steal).
	r := d.ring.Load()
	chaos.Point()
	// Claim index t. Success makes us its only taker and makes the slot ours
	// to read until we release it below.
	if !d.top.CompareAndSwap(t, t+1) {
		return nil, Retry
	}
	s := &r.slots[t&r.mask]
	v := s.item // plain: claimed, and ordered after the owner's write via bottom
	r.release(t)
	return v, Success
}

// Steal takes the oldest item, retrying lost races; it reports false only if
// it observed the deque empty. Any goroutine.
func (d *Deque[T]) Steal() (*T, bool) {
	for {
		v, res := d.TrySteal()
		switch res {
		case Success:
			return v, true
		case Empty:
			return nil, false
		}
	}
}

// Len estimates the number of items. Exact when called by the owner with no
// steal in flight; otherwise a snapshot that may already be stale. Any
// goroutine.
func (d *Deque[T]) Len() int {
	t := d.top.Load()
	b := d.bottom.Load()
	if b <= t {
		return 0
	}
	return int(b - t)
}

// Cap reports the size of the current ring. Owner only.
func (d *Deque[T]) Cap() int { return int(d.own.ring.size()) }

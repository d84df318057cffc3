// Package deque is the Chase-Lev work-stealing deque that every forage worker
// owns.
//
// One goroutine, the owner, pushes and pops at the bottom (LIFO); any number
// of thieves steal at the top (FIFO). The algorithm is Chase & Lev, "Dynamic
// Circular Work-Stealing Deque" (SPAA 2005), with the memory orderings of Lê,
// Pop, Cohen and Zappa Nardelli, "Correct and Efficient Work-Stealing for Weak
// Memory Models" (PPoPP 2013), adapted so that every access is race-free under
// the Go memory model and `go test -race` without hiding anything from the
// race detector.
//
// # State
//
//   - top (atomic): the index of the oldest item. Only ever incremented, and
//     only by a successful CAS — by a thief, or by the owner when it takes the
//     last item. A successful CAS from t to t+1 "claims" index t: exactly one
//     party can ever claim a given index.
//   - bottom (atomic): one past the newest item. Written only by the owner.
//   - ring (atomic pointer): a power-of-two circular buffer; index i lives in
//     slot i & mask. It only grows; an outgrown ring is never written again and
//     the garbage collector frees it once no thief holds it.
//   - per slot, done (atomic): the last index held in the slot whose claimer
//     has finished reading it; and owned (owner-private): the last index held
//     there that the owner claimed itself. The owner uses them to know when a
//     slot may be written again.
//
// The deque holds the indices [top, bottom). Indices are int64 and never wrap
// (2^63 operations at one per nanosecond take 292 years), so a CAS on top can
// never succeed on a recycled value: there is no ABA problem and no tag is
// needed (compare tokio-rs/tokio#5041, where 16-bit indices wrapped in < 1 ms).
//
// # Slots are plain memory: who may touch a slot, and when
//
// The textbook thief reads its slot speculatively before the CAS on top, and
// that read races with the owner's wrap-around write of the same slot. The
// race is harmless on hardware (the CAS fails and the value is dropped) but it
// is a data race under the Go memory model, and -race reports it. Making every
// slot an atomic.Pointer fixes that at the price of a sequentially consistent
// store (XCHG on amd64, ≈ 5 ns here) per push and per clear. This package
// instead keeps slots as plain pointers and makes every slot access ordered:
//
//  1. A thief reads slot t only after its CAS has claimed index t. Nobody else
//     will ever take index t, so only the owner could still write that slot,
//     and only by wrapping around to index t+cap.
//  2. The owner writes the slot of index b (a push) only when the slot's
//     previous occupant, index b-cap, has been released: the owner claimed it
//     itself (owned == b-cap), or its claimer stored done = b-cap after
//     reading it, and the owner loads that. The store/load pair orders the
//     thief's read before the owner's next write. A thief releases in the
//     ring it read from and in every ring that replaced it and holds the
//     index (ring.release follows ring.next), so growth cannot lose a
//     release. When a thief is still reading, the owner grows the ring
//     instead of waiting for it, so the owner never blocks on a thief
//     (lock-free).
//  3. The owner's write of index b happens before its store of bottom = b+1;
//     a thief loads bottom before claiming, so the write happens before the
//     thief's read.
//  4. The owner reads and clears its own slots freely: a thief never writes a
//     slot's item (only its done mark), and the owner takes an index without
//     a CAS only when no thief can have claimed it (the Chase-Lev argument
//     below).
//
// A push therefore costs one sequentially consistent store (bottom) and a pop
// one (bottom again; a CAS on top instead when it takes the last item),
// instead of three or four with atomic slots.
//
// # Operations and linearization points
//
// Push (owner): write slot b, then store bottom = b+1. Linearizes at the
// store of bottom: from then on a thief can see the item.
//
// Pop (owner): if bottom <= top the deque is empty and Pop returns without
// writing top or bottom (linearizes at the load of top). If it holds one item,
// index t, Pop claims it as a thief would, with a CAS on top from t to t+1,
// and leaves bottom alone (linearizes at the CAS; a failed CAS means a thief
// claimed t: empty). Otherwise store bottom = b-1 (b is now the candidate),
// then load top = t:
//   - t < b: at least one other item remains below b. Any thief that loads
//     bottom from now on sees b and will not try index b; a thief that loaded
//     an older bottom has also loaded a top <= t < b, and will claim at most
//     the index it loaded as top, which is below b. Pop takes b with no CAS.
//     Linearizes at the store of bottom.
//   - t == b: b is the last item; owner and thieves race with a CAS on top.
//     The winner takes it; the owner restores bottom = b+1 either way.
//     Linearizes at the CAS (success: taken; failure: empty).
//   - t > b: a thief took the last item first; restore bottom, empty.
//
// The store of bottom followed by the load of top is the Dekker pattern
// (StoreLoad): the owner must not read a top that is older than its own
// bottom store, or owner and thief could both take the last item. C11 needs
// a seq_cst fence between the two (Lê et al., take: "store bottom; fence
// seq_cst; load top").
//
// Steal (thief): load top = t, then bottom = b (the order matters: the
// seq_cst fence in Lê et al.'s steal sits between these two loads); if t >= b
// the deque is empty. Load the ring, CAS top t -> t+1; on failure another
// party claimed t first and the thief retries (or, in [Deque.TrySteal],
// reports [Retry]). On success read slot t of the ring loaded before the CAS
// and release it (store done = t in its slot). Linearizes at the successful
// CAS.
//
// The ring is loaded after bottom, so it is at least as new as the ring that
// index t was written into; if it is newer, growth copied index t into it,
// because growth copies [top, bottom) and top was still <= t (the thief's CAS
// succeeded later). An older ring is never written again, so its slot t is
// still valid. This is why shrinking or buffer reuse would need the buffer
// identity re-check whose omission was crossbeam's CVE-2021-32810: we never
// shrink and never reuse a ring.
//
// # Why Go's sequentially consistent atomics are sufficient
//
// Every sync/atomic operation in Go is sequentially consistent
// (https://go.dev/ref/mem): all of them fall into one total order that agrees
// with each goroutine's program order, and an atomic load that observes a
// store is synchronized after it. That subsumes each ordering in Lê et al.:
//   - push's release fence before storing bottom: the store of bottom is a
//     release; the plain slot write before it is visible to any thief whose
//     load of bottom observes it (rule 3 above);
//   - take's seq_cst fence between "store bottom" and "load top": SC forbids
//     the load from being ordered before the store;
//   - steal's seq_cst fence between "load top" and "load bottom", and the
//     seq_cst CAS: the two loads and the CAS are SC operations in program
//     order;
//   - the acquire on the thief's slot read: replaced by the claim-then-read
//     rule and the per-slot done marks, which are ordinary SC atomics.
//
// The price is that Go cannot express a release-only store: on amd64 every
// atomic store compiles to XCHG, a full barrier. Hence the effort above to
// need as few of them as possible.
//
// # Garbage retention
//
// The owner clears the slot of every item it pops. A thief cannot clear the
// slot it stole (the owner's growth copy may be reading it), so stolen slots
// keep their stale pointer until the owner overwrites them on wrap-around, or
// clears them the next time it finds its deque empty with no steal in flight.
// The bound: at most Cap() stale pointers per deque, and none once the owner
// has observed its deque empty after the last steal finished.
//
// # Batch stealing
//
// [Deque.StealHalf] moves about half of a victim's items into the thief's own
// deque in one call. Each item is still claimed with its own CAS on top: a
// single CAS from t to t+k would be wrong here, because the owner pops index
// b without a CAS whenever it sees top < b, and a thief that loaded bottom
// before those pops could claim items the owner already took (the overshoot
// of crossbeam-rs/crossbeam#148). Go's runtime and Tokio can batch with one
// CAS only because their owners also consume from the head by CAS.
package deque

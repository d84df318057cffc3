package deque

// MaxBatch bounds how many items one StealHalf moves, as crossbeam's
// steal_batch does (32): taking more only moves the imbalance to the thief.
const MaxBatch = 32

// StealHalf moves about half of d's items (at most MaxBatch) into into, the
// thief's own deque, and returns the oldest of them for the thief to run now,
// with the number of items taken including it. It returns (nil, 0) when d was
// observed empty.
//
// Any goroutine may call it, provided it is the owner of into; into must not
// be d. Each item is claimed with its own CAS (package doc, "Batch stealing"),
// so StealHalf is as safe as repeated Steal calls; what it saves is the
// thief's search for a victim and its re-reads of the victim's indices.
func (d *Deque[T]) StealHalf(into *Deque[T]) (*T, int) {
	if into == d {
		panic("deque: StealHalf into the same deque")
	}
	first, ok := d.Steal()
	if !ok {
		return nil, 0
	}
	n := 1
	// Half of what is left, rounded up, like Go's runqgrab (n - n/2).
	want := d.Len()
	want -= want / 2
	want = min(want, MaxBatch-1)
	for ; want > 0; want-- {
		v, res := d.TrySteal()
		if res != Success {
			break // empty, or contended: keep what we have
		}
		into.Push(v)
		n++
	}
	return first, n
}

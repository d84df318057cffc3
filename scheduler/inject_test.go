package scheduler

import "testing"

// TestInjectorFIFOAcrossSegments pushes and takes across several segment
// boundaries, in uneven batches, and checks order, counts and emptiness.
func TestInjectorFIFOAcrossSegments(t *testing.T) {
	var q injector
	jobs := make([]job, 3*segmentLen+7)
	next := 0 // next index expected out
	pushed := 0
	dst := make([]entry, 37)
	for round := 0; round < 4; round++ {
		for ; pushed < len(jobs) && pushed < (round+1)*len(jobs)/4+segmentLen/3; pushed++ {
			if !q.push(entry{j: &jobs[pushed]}, true) {
				t.Fatal("push refused while open")
			}
		}
		for take := 0; take < 5; take++ {
			n := q.take(dst, 1)
			for i := range n {
				if dst[i].j != &jobs[next] {
					t.Fatalf("took job %v, want index %d", dst[i].j, next)
				}
				next++
			}
		}
		if got, want := q.count, pushed-next; got != want {
			t.Fatalf("count %d, want %d", got, want)
		}
		if q.empty() != (pushed == next) {
			t.Fatalf("empty() = %v with %d queued", q.empty(), pushed-next)
		}
	}
	for next < pushed {
		n := q.take(dst, 1)
		if n == 0 {
			t.Fatalf("empty with %d queued", pushed-next)
		}
		for i := range n {
			if dst[i].j != &jobs[next] {
				t.Fatalf("took a job out of order at index %d", next)
			}
			next++
		}
	}
	if next != len(jobs) || !q.empty() || q.take(dst, 1) != 0 {
		t.Fatalf("took %d of %d; empty %v", next, len(jobs), q.empty())
	}
	for i := range q.head.entries {
		if q.head.entries[i].j != nil || q.head.entries[i].fn != nil {
			t.Fatalf("taken entry %d still referenced", i)
		}
	}
	if got := q.close(); got != int64(len(jobs)) {
		t.Errorf("close reports %d accepted, want %d", got, len(jobs))
	}
	if q.push(entry{j: &jobs[0]}, true) {
		t.Error("checked push accepted after close")
	}
	if !q.push(entry{j: &jobs[0]}, false) {
		t.Error("unchecked push refused after close")
	}
}

// TestInjectorFairShare: a take gets count/workers+1 entries, capped by the
// destination.
func TestInjectorFairShare(t *testing.T) {
	var q injector
	fn := func(*Worker) {}
	for range 100 {
		q.push(entry{fn: fn}, false)
	}
	dst := make([]entry, 64)
	if n := q.take(dst, 4); n != 26 {
		t.Errorf("took %d of 100 with 4 workers, want 26", n)
	}
	if n := q.take(dst, 1); n != 64 {
		t.Errorf("took %d of 74 with 1 worker, want 64 (the cap)", n)
	}
	if n := q.take(dst, 8); n != 2 {
		t.Errorf("took %d of 10 with 8 workers, want 2", n)
	}
}

// FuzzInjector drives the injector with a byte program against a slice
// model: push (checked or not), take with a destination size and a worker
// count, close. Every take must return the model's oldest entries, in order,
// and exactly its fair share; empty() must track emptiness; after close,
// checked pushes are refused and accepted counts them all.
func FuzzInjector(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 2, 3, 0, 9, 9, 9})
	f.Add([]byte{255, 254, 253, 0, 0, 0, 0, 128, 7})
	f.Fuzz(func(t *testing.T, prog []byte) {
		var q injector
		jobs := make([]job, len(prog)*40+1)
		var model []*job
		next := 0
		var accepted int64
		closed := false
		dst := make([]entry, 64)
		for _, op := range prog {
			switch {
			case op < 160: // push a run of 1..40 entries
				n := int(op%40) + 1
				check := op%2 == 0
				for range n {
					j := &jobs[next]
					ok := q.push(entry{j: j}, check)
					if check && closed {
						if ok {
							t.Fatal("checked push accepted after close")
						}
						continue
					}
					if !ok {
						t.Fatal("push refused")
					}
					if check {
						accepted++
					}
					next++
					model = append(model, j)
				}
			case op < 250: // take
				limit := int(op%64) + 1
				workers := int(op%7) + 1
				n := q.take(dst[:limit], workers)
				want := min(len(model)/workers+1, len(model), limit)
				if n != want {
					t.Fatalf("took %d, want %d (queued %d, limit %d, workers %d)", n, want, len(model), limit, workers)
				}
				for i := range n {
					if dst[i].j != model[i] {
						t.Fatalf("entry %d of a take out of order", i)
					}
				}
				model = model[n:]
			default:
				if got := q.close(); got != accepted {
					t.Fatalf("close reports %d accepted, want %d", got, accepted)
				}
				closed = true
			}
			if q.empty() != (len(model) == 0) {
				t.Fatalf("empty() = %v with %d queued", q.empty(), len(model))
			}
		}
	})
}

// TestInjectorRecyclesEmptySegments: segments drained by one injector come
// back empty to the next (freeSegments), whose FIFO order is intact.
func TestInjectorRecyclesEmptySegments(t *testing.T) {
	jobs := make([]job, 4*segmentLen)
	dst := make([]entry, 64)
	for round := range 3 {
		var q injector
		for i := range jobs {
			q.push(entry{j: &jobs[i]}, true)
		}
		next := 0
		for {
			n := q.take(dst, 1)
			if n == 0 {
				break
			}
			for _, e := range dst[:n] {
				if e.j != &jobs[next] || e.fn != nil {
					t.Fatalf("round %d: entry %d is not job %d", round, next, next)
				}
				next++
			}
		}
		if next != len(jobs) {
			t.Fatalf("round %d: took %d of %d", round, next, len(jobs))
		}
	}
	// Whatever the pool holds now is empty.
	for range 8 {
		s := freeSegments.Get().(*segment)
		if s.next != nil {
			t.Fatal("freeSegments returned a linked segment")
		}
		for i, e := range s.entries {
			if e.fn != nil || e.j != nil {
				t.Fatalf("freeSegments returned a segment with entry %d set", i)
			}
		}
	}
}

// TestInjectorEmptiedHoldsNothing: taken entries are not cleared one by
// one, but once the queue is empty the segment it keeps references nothing,
// so an idle pool does not keep submitted closures alive.
func TestInjectorEmptiedHoldsNothing(t *testing.T) {
	var q injector
	jobs := make([]job, 40)
	dst := make([]entry, 16)
	for i := range jobs {
		q.push(entry{j: &jobs[i]}, true)
	}
	for q.take(dst, 1) > 0 {
	}
	for i, e := range q.head.entries {
		if e.fn != nil || e.j != nil {
			t.Fatalf("entry %d still set after the queue emptied", i)
		}
	}
}

package scheduler

import "testing"

// TestInjectorFIFOAcrossSegments pushes and takes across several segment
// boundaries, in uneven batches, and checks order, counts and the spare.
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
		if got, want := int(q.size.Load()), pushed-next; got != want {
			t.Fatalf("size %d, want %d", got, want)
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
	if q.spare == nil {
		t.Error("no spare segment kept after draining several")
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

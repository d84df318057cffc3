package deque_test

import (
	"testing"

	"github.com/forage-go/forage/deque"
)

// FuzzModel drives random Push/Pop/Steal/StealHalf sequences on one goroutine
// and checks every result against a plain slice. The first byte picks the
// initial capacity (1 up to 8), so growth from capacity 1 is covered.
func FuzzModel(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 1, 2, 1, 1})
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 2, 2, 1, 3, 0, 0, 2})
	f.Add([]byte{7, 0, 2, 0, 1, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) == 0 {
			return
		}
		d := deque.New[int](int(ops[0]%8) + 1)
		other := deque.New[int](1)
		var model []int // model[0] is the top (oldest)
		next := 0
		for i, op := range ops[1:] {
			switch op % 4 {
			case 0, 3: // push, twice as likely so the deque fills up
				v := next
				next++
				d.Push(&v)
				model = append(model, v)
			case 1:
				v, ok := d.Pop()
				if len(model) == 0 {
					if ok {
						t.Fatalf("op %d: Pop on empty returned %d", i, *v)
					}
					continue
				}
				want := model[len(model)-1]
				model = model[:len(model)-1]
				if !ok || *v != want {
					t.Fatalf("op %d: Pop = %v,%v, want %d", i, v, ok, want)
				}
			case 2:
				if op%8 == 6 { // StealHalf into another deque
					first, n := d.StealHalf(other)
					if len(model) == 0 {
						if n != 0 {
							t.Fatalf("op %d: StealHalf on empty took %d", i, n)
						}
						continue
					}
					rest := len(model) - 1
					wantN := 1 + min(rest-rest/2, deque.MaxBatch-1)
					if n != wantN || *first != model[0] {
						t.Fatalf("op %d: StealHalf = %d,%d, want %d,%d", i, *first, n, model[0], wantN)
					}
					for k := 1; k < n; k++ {
						v, ok := other.Steal()
						if !ok || *v != model[k] {
							t.Fatalf("op %d: moved item %d = %v, want %d", i, k, v, model[k])
						}
					}
					model = model[n:]
					continue
				}
				v, ok := d.Steal()
				if len(model) == 0 {
					if ok {
						t.Fatalf("op %d: Steal on empty returned %d", i, *v)
					}
					continue
				}
				want := model[0]
				model = model[1:]
				if !ok || *v != want {
					t.Fatalf("op %d: Steal = %v,%v, want %d", i, v, ok, want)
				}
			}
			if d.Len() != len(model) {
				t.Fatalf("op %d: Len = %d, want %d", i, d.Len(), len(model))
			}
		}
	})
}

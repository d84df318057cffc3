package deque_test

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/forage-go/forage/deque"
)

// stressItems is how many items each exactly-once run pushes: at least 10^6
// under `make stress` (FORAGE_STRESS_LONG=1), fewer in `make test`.
func stressItems() int {
	if os.Getenv("FORAGE_STRESS_LONG") != "" {
		return 1_000_000
	}
	if testing.Short() {
		return 20_000
	}
	return 100_000
}

// TestStressExactlyOnce: one owner pushes and pops in bursts while K thieves
// steal (some with StealHalf), starting from capacity 1 so that the ring grows
// and wraps while steals are in flight. Every item must be taken exactly once,
// and each plain thief must see its items in increasing push order — a cheap
// linearizability check (crossbeam's stampede test).
func TestStressExactlyOnce(t *testing.T) {
	for _, thieves := range []int{1, 3, 15} {
		for _, procs := range []int{0, 64} {
			t.Run(fmt.Sprintf("thieves=%d/gomaxprocs=%d", thieves, procs), func(t *testing.T) {
				if procs > 0 {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				}
				runExactlyOnce(t, stressItems(), thieves)
			})
		}
	}
}

func runExactlyOnce(t *testing.T, n, thieves int) {
	d := deque.New[int](1)
	items := ints(n)
	seen := make([]atomic.Int32, n) // each taker increments its item's counter
	var stop atomic.Bool            // set by the owner when it has drained its share
	var wg sync.WaitGroup
	errs := make(chan error, thieves)
	for k := 0; k < thieves; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			if k%3 == 2 { // batch thief: exactly-once only, its own deque reorders
				mine := deque.New[int](1)
				for !stop.Load() || d.Len() > 0 {
					first, got := d.StealHalf(mine)
					if got == 0 {
						runtime.Gosched()
						continue
					}
					seen[*first].Add(1)
					for v, ok := mine.Pop(); ok; v, ok = mine.Pop() {
						seen[*v].Add(1)
					}
				}
				return
			}
			last := -1
			for !stop.Load() || d.Len() > 0 {
				v, res := d.TrySteal()
				switch res {
				case deque.Success:
					if *v <= last {
						errs <- fmt.Errorf("thief %d stole %d after %d", k, *v, last)
						return
					}
					last = *v
					seen[*v].Add(1)
				case deque.Empty:
					runtime.Gosched()
				}
			}
		}(k)
	}
	// Owner: push bursts of 1..64 items, then pop a few of them back.
	rng := uint64(0x2545F4914F6CDD1D)
	pushed := 0
	for pushed < n {
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		burst := min(int(rng%64)+1, n-pushed)
		for i := 0; i < burst; i++ {
			d.Push(items[pushed])
			pushed++
		}
		for i := int(rng>>8) % (burst + 1); i > 0; i-- {
			v, ok := d.Pop()
			if !ok {
				break
			}
			seen[*v].Add(1)
		}
	}
	for v, ok := d.Pop(); ok; v, ok = d.Pop() {
		seen[*v].Add(1)
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	lost, dup := 0, 0
	for i := range seen {
		switch c := seen[i].Load(); {
		case c == 0:
			lost++
		case c > 1:
			dup++
		}
	}
	if lost != 0 || dup != 0 {
		t.Fatalf("%d items lost, %d taken more than once (of %d)", lost, dup, n)
	}
}

// TestStressLastItemRace hammers the Pop/Steal race on a single item: the
// owner pushes one item and pops it while thieves try to steal it. Exactly one
// side must get each item.
func TestStressLastItemRace(t *testing.T) {
	n := stressItems()
	d := deque.New[int](1)
	items := ints(n)
	var ownerGot, thiefGot atomic.Int64
	taken := make([]atomic.Int32, n)
	var done atomic.Bool
	var wg sync.WaitGroup
	for k := 0; k < 3; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() {
				if v, ok := d.Steal(); ok {
					taken[*v].Add(1)
					thiefGot.Add(1)
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		d.Push(items[i])
		if v, ok := d.Pop(); ok {
			taken[*v].Add(1)
			ownerGot.Add(1)
		}
		// Wait until the item is gone one way or the other, so that every
		// round is a fresh single-item race.
		for d.Len() > 0 {
			runtime.Gosched()
		}
	}
	done.Store(true)
	wg.Wait()
	for i := range taken {
		if c := taken[i].Load(); c != 1 {
			t.Fatalf("item %d taken %d times (owner %d, thieves %d)", i, c, ownerGot.Load(), thiefGot.Load())
		}
	}
	t.Logf("owner won %d, thieves won %d", ownerGot.Load(), thiefGot.Load())
}

package stress

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/forage-go/forage/deque"
)

// Deque tortures the Chase-Lev deque directly. Each round makes a deque of
// capacity 1 (so it grows, and wraps, while thieves are mid-steal), and one
// owner pushes the items 0..n-1 in increasing order in bursts, popping some
// after each burst, while 1 to 15 thieves take from the top with TrySteal,
// Steal or StealHalf. Checks, all exact:
//
//   - every item is taken exactly once (no loss, no duplicate);
//   - each thief's items are strictly increasing (the top only advances), and
//     a StealHalf batch is claimed in increasing order;
//   - the owner's pops between two pushes are strictly decreasing (LIFO).
func Deque(ctx context.Context, cfg Config) Result {
	return rounds(ctx, cfg, "deque", dequeRound)
}

// dequeThief is how a thief takes items.
type dequeThief int

const (
	thiefTry   dequeThief = iota // TrySteal, retrying on Retry
	thiefSteal                   // Steal
	thiefHalf                    // StealHalf into its own deque
)

func dequeRound(_ context.Context, seed uint64, res *Result) error {
	rng := newRand(seed)
	n := pick(rng, 5_000, 20_000, 50_000)
	if raceEnabled {
		n /= 2
	}
	thieves := pick(rng, 1, 2, 3, 4, 7, 15)
	maxBurst := pick(rng, 1, 2, 8, 64, 300)
	popPct := pick(rng, 0, 25, 50, 90)

	d := deque.New[int](1)
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	seen := make([]atomic.Int32, n)
	var stop atomic.Bool
	var ops, steals atomic.Int64
	errs := make(chan error, thieves+1)
	var wg sync.WaitGroup
	for k := range thieves {
		kind := dequeThief(newRand(subSeed(seed, k)).IntN(3))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := dequeSteal(d, kind, k, seen, &stop, &ops, &steals); err != nil {
				errs <- err
			}
		}()
	}

	// The owner.
	var ownerOps int64
	last := -1   // last value pushed
	lastPop := n // last value popped since the last push
	for next := 0; next < n; {
		burst := 1 + rng.IntN(maxBurst)
		for i := 0; i < burst && next < n; i++ {
			d.Push(&items[next])
			last, lastPop = next, n
			next++
			ownerOps++
		}
		pops := 0
		if rng.IntN(100) < popPct {
			pops = 1 + rng.IntN(burst+1)
		}
		for range pops {
			ownerOps++
			v, ok := d.Pop()
			if !ok {
				break
			}
			if v == nil {
				stop.Store(true)
				wg.Wait()
				return errNil("owner", 0, "Pop")
			}
			if *v > last || *v >= lastPop {
				stop.Store(true)
				wg.Wait()
				return fmt.Errorf("owner popped %d after pushing up to %d and popping %d: not LIFO", *v, last, lastPop)
			}
			lastPop = *v
			seen[*v].Add(1)
		}
		if rng.IntN(8) == 0 {
			runtime.Gosched() // let thieves catch up and empty the deque now and then
		}
	}
	// Drain what the thieves leave.
	for {
		ownerOps++
		v, ok := d.Pop()
		if !ok {
			break
		}
		if v == nil {
			stop.Store(true)
			wg.Wait()
			return errNil("owner", 0, "Pop")
		}
		if *v >= lastPop {
			stop.Store(true)
			wg.Wait()
			return fmt.Errorf("owner drained %d after popping %d: not LIFO", *v, lastPop)
		}
		lastPop = *v
		seen[*v].Add(1)
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	res.Ops += ownerOps + ops.Load()
	res.Tasks += int64(n)
	res.Steals += steals.Load()
	for i := range seen {
		if c := seen[i].Load(); c != 1 {
			return fmt.Errorf("item %d of %d taken %d times (thieves %d, max burst %d, pop %d%%)",
				i, n, c, thieves, maxBurst, popPct)
		}
	}
	return nil
}

// dequeSteal is thief k's loop: steal until the owner has stopped and the
// deque is empty, checking the order of what it gets.
func dequeSteal(d *deque.Deque[int], kind dequeThief, k int, seen []atomic.Int32, stop *atomic.Bool, ops, steals *atomic.Int64) error {
	last := -1
	var mine *deque.Deque[int]
	if kind == thiefHalf {
		mine = deque.New[int](1)
	}
	var myOps, mySteals int64
	defer func() { ops.Add(myOps); steals.Add(mySteals) }()
	// took checks an item a steal returned: present, and above the last one
	// (the top only advances).
	took := func(v *int, op string) error {
		if v == nil {
			return errNil("thief", k, op)
		}
		if *v <= last {
			return fmt.Errorf("thief %d (%s) took %d after %d: the top went back", k, op, *v, last)
		}
		return nil
	}
	for !stop.Load() || d.Len() > 0 {
		myOps++
		switch kind {
		case thiefTry:
			v, r := d.TrySteal()
			if r == deque.Retry {
				continue
			}
			if r == deque.Empty {
				runtime.Gosched()
				continue
			}
			if err := took(v, "TrySteal"); err != nil {
				return err
			}
			last = *v
			seen[*v].Add(1)
			mySteals++
		case thiefSteal:
			v, ok := d.Steal()
			if !ok {
				runtime.Gosched()
				continue
			}
			if err := took(v, "Steal"); err != nil {
				return err
			}
			last = *v
			seen[*v].Add(1)
			mySteals++
		case thiefHalf:
			first, got := d.StealHalf(mine)
			if got == 0 {
				runtime.Gosched()
				continue
			}
			if err := took(first, "StealHalf"); err != nil {
				return err
			}
			seen[*first].Add(1)
			mySteals += int64(got)
			// The rest were claimed in increasing order after first and
			// pushed onto mine, so they pop in decreasing order.
			top, prev := *first, -1
			for i := 1; i < got; i++ {
				v, ok := mine.Pop()
				if !ok {
					return fmt.Errorf("thief %d: StealHalf reported %d items but its deque holds %d", k, got, i-1)
				}
				if v == nil {
					return errNil("thief", k, "StealHalf (batch)")
				}
				if *v <= *first || prev >= 0 && *v >= prev {
					return fmt.Errorf("thief %d: StealHalf batch out of order: %d after %d (first %d)", k, *v, prev, *first)
				}
				prev = *v
				top = max(top, *v)
				seen[*v].Add(1)
			}
			if v, ok := mine.Pop(); ok {
				return fmt.Errorf("thief %d: StealHalf reported %d items but left %d more", k, got, *v)
			}
			last = top
		}
	}
	return nil
}

// errNil reports an item that came back nil although only non-nil items
// were pushed: its slot was cleared by another taker, so the item was taken
// twice.
func errNil(who string, k int, call string) error {
	return fmt.Errorf("%s %d: %s succeeded with a nil item: its slot had been cleared by another taker (taken twice)", who, k, call)
}

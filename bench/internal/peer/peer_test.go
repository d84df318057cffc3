package peer

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fib forks through p as the workloads do.
func fib(p Peer, n int) int {
	if n < 2 {
		return n
	}
	var x int
	h := p.Fork(func() { x = fib(p, n-1) })
	y := fib(p, n-2)
	p.Join(h)
	return x + y
}

func TestForkJoin(t *testing.T) {
	for _, f := range All() {
		for _, workers := range []int{1, 2, 4} {
			p := f.New(workers, Recursive)
			if got := fib(p, 18); got != 2584 {
				t.Errorf("%s, %d workers: fib(18) = %d", f.Name, workers, got)
			}
			if n := p.Forked(); n != -1 && (n < 0 || n > 4180) {
				t.Errorf("%s: forked %d of 4180 fork points", f.Name, n)
			}
			p.Close()
		}
	}
}

func TestGoWait(t *testing.T) {
	for _, f := range All() {
		p := f.New(2, Flat)
		var n atomic.Int64
		var submitters sync.WaitGroup
		for s := 0; s < 4; s++ {
			submitters.Add(1)
			go func() {
				defer submitters.Done()
				for i := 0; i < 500; i++ {
					p.Go(func() { n.Add(1) })
				}
			}()
		}
		submitters.Wait()
		p.Wait()
		p.Close()
		if n.Load() != 2000 {
			t.Errorf("%s: %d of 2000 tasks ran", f.Name, n.Load())
		}
	}
}

func TestMetadata(t *testing.T) {
	for _, f := range All() {
		if f.Name == "" || f.Recursive == "" || f.Flat == "" || f.New == nil {
			t.Errorf("incomplete factory %+v", f)
		}
		if (f.Naive == nil) != (f.NaiveDesc == "") {
			t.Errorf("%s: naive pattern without description or the reverse", f.Name)
		}
		if g, ok := Lookup(f.Name); !ok || g.Name != f.Name {
			t.Errorf("Lookup(%s) failed", f.Name)
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup found nope")
	}
}

func TestInline(t *testing.T) {
	p := Inline()
	if got := fib(p, 10); got != 55 || p.Forks != 88 {
		t.Fatalf("fib(10) = %d with %d forks, want 55 with 88", got, p.Forks)
	}
	ran := false
	p.Go(func() { ran = true })
	p.Wait()
	p.Close()
	if !ran || p.Forked() != 0 {
		t.Fatal("Inline.Go did not run its task")
	}
}

func TestCounter(t *testing.T) {
	var c counter
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				c.add()
			}
		}()
	}
	wg.Wait()
	if c.load() != 8000 {
		t.Fatalf("counter = %d, want 8000", c.load())
	}
}

// TestConcForkBounded checks conc's try-else-inline fork: at most P forked
// closures at a time, the next fork inline, slots freed by Join (also when
// the forked closure panics, whose panic reaches Join).
func TestConcForkBounded(t *testing.T) {
	p := Conc().New(2, Recursive)
	defer p.Close()
	slots := p.(*concPeer).slots
	// forkHeld forks two closures that run until release is called, each of
	// which must take a slot. It checks first that both slots are free: a
	// closure that blocks would block its test if it ran inline.
	forkHeld := func(what string) (hs []Handle, release func()) {
		if n := len(slots); n != 0 {
			t.Fatalf("%s: %d slots taken", what, n)
		}
		gate := make(chan struct{})
		release = sync.OnceFunc(func() { close(gate) })
		t.Cleanup(release) // a failed check must not leave forks blocked
		for range 2 {
			h := p.Fork(func() { <-gate })
			if h == nil {
				t.Fatal(what)
			}
			hs = append(hs, h)
		}
		return hs, release
	}
	joinAll := func(hs []Handle) {
		for _, h := range hs {
			p.Join(h)
		}
	}

	held, release := forkHeld("a fork with a free slot ran inline")
	ranInline := false
	if h := p.Fork(func() { ranInline = true }); h != nil || !ranInline {
		t.Fatalf("with both slots taken the fork returned %v, ran inline: %v", h, ranInline)
	}
	release()
	joinAll(held)
	if n := p.Forked(); n != 2 {
		t.Fatalf("Forked() = %d, want 2", n)
	}

	h := p.Fork(func() { panic("boom") })
	if h == nil {
		t.Fatal("a fork after the joins ran inline: a slot was not freed")
	}
	func() {
		defer func() {
			if r := recover(); !strings.Contains(fmt.Sprint(r), "boom") {
				t.Errorf("Join recovered %v, want the forked closure's panic", r)
			}
		}()
		p.Join(h)
	}()
	held, release = forkHeld("the panicking closure kept its slot")
	release()
	joinAll(held)
	if n := p.Forked(); n != 5 {
		t.Fatalf("Forked() = %d, want 5", n)
	}
}

package work

import (
	"fmt"
	"sync"

	"github.com/forage-go/forage/bench/internal/peer"
)

// TinyRounds is the number of mixing rounds of a tiny task: about 50 ns.
const TinyRounds = 48

// Tiny runs Tasks independent tasks of about 50 ns each, submitted from
// Submitters goroutines (the caller itself when there is one); task i
// stores its result in Results[i].
//
// Answer: {sum of results, 0, 0}.
type Tiny struct {
	Tasks, Submitters int
	Results           []uint64
	want              int64
}

// Name implements [Workload].
func (t *Tiny) Name() string {
	if t.Submitters == 1 {
		return "tiny"
	}
	return fmt.Sprintf("tiny%d", t.Submitters)
}

// Title implements [Workload].
func (t *Tiny) Title() string {
	s := "1 submitter"
	if t.Submitters != 1 {
		s = fmt.Sprintf("%d submitters", t.Submitters)
	}
	return fmt.Sprintf("%s tiny tasks, %s", commas(int64(t.Tasks)), s)
}

// Kind implements [Workload].
func (t *Tiny) Kind() Kind { return Tasks }

// Unit implements [Workload].
func (t *Tiny) Unit() string { return "task" }

// Units implements [Workload].
func (t *Tiny) Units() int64 { return int64(t.Tasks) }

// Setup implements [Workload].
func (t *Tiny) Setup() {
	t.Results = make([]uint64, t.Tasks)
	t.want = t.Serial()[0]
	t.Reset()
}

// Reset implements [Workload].
func (t *Tiny) Reset() { clear(t.Results) }

// TinyWork is the body of task i.
func TinyWork(i int) uint64 {
	x := uint64(i)*0x9E3779B97F4A7C15 + 1
	for r := 0; r < TinyRounds; r++ {
		x ^= x >> 31
		x *= 0xBF58476D1CE4E5B9
	}
	return x
}

// Serial implements [Workload].
func (t *Tiny) Serial() Answer {
	for i := range t.Results {
		t.Results[i] = TinyWork(i)
	}
	return t.Answer()
}

// Answer sums the results.
func (t *Tiny) Answer() Answer {
	var s uint64
	for _, r := range t.Results {
		s += r
	}
	return Answer{int64(s)}
}

// Share returns the tasks of submitter k: lo..hi-1.
func (t *Tiny) Share(k int) (lo, hi int) {
	return k * t.Tasks / t.Submitters, (k + 1) * t.Tasks / t.Submitters
}

// Submit calls submit(lo, hi) for each submitter's share, from Submitters
// goroutines (on the caller when there is one), and returns when all
// submitters have returned.
func (t *Tiny) Submit(submit func(lo, hi int)) {
	if t.Submitters == 1 {
		submit(0, t.Tasks)
		return
	}
	var wg sync.WaitGroup
	for k := range t.Submitters {
		lo, hi := t.Share(k)
		wg.Add(1)
		go func() {
			defer wg.Done()
			submit(lo, hi)
		}()
	}
	wg.Wait()
}

// Peer implements [Workload].
func (t *Tiny) Peer(p peer.Peer) Answer {
	t.Submit(func(lo, hi int) {
		for i := lo; i < hi; i++ {
			p.Go(func() { t.Results[i] = TinyWork(i) })
		}
	})
	p.Wait()
	return t.Answer()
}

// Verify implements [Workload].
func (t *Tiny) Verify(a Answer) error {
	if a[0] != t.want {
		return mismatch(t, a[0], t.want)
	}
	return nil
}

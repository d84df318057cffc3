package stress

import (
	"context"
	"fmt"
	"time"

	"github.com/forage-go/forage/internal/uts"
	"github.com/forage-go/forage/scheduler"
)

// UTS counts Unbalanced Tree Search trees (Olivier et al., LCPC 2006) through
// the scheduler, forking at every node, and compares the node count, leaf
// count and depth with the known answer. The tree is a deterministic
// function of its parameters, so any lost, duplicated or misrouted task
// changes the count. Whenever the time left allows (estimated from the
// previous rounds), a round counts a published tree, T3 (4,112,897 nodes:
// a 2000-wide root and chains 1,572 deep, the stealing torture test) or T1
// (4,130,071 nodes), alternating; otherwise it counts a smaller cut of them,
// whose answer was counted serially by package uts's reference traversal
// (internal/uts checks that traversal against the published trees).
func UTS(ctx context.Context, cfg Config) Result {
	var perNode time.Duration // cost per node measured by the last round
	fullRuns := 0
	return rounds(ctx, cfg, "uts", func(ctx context.Context, seed uint64, res *Result) error {
		rng := newRand(seed)
		tr := pick(rng, utsSmall...)
		if perNode > 0 {
			left := time.Hour
			if dl, ok := ctx.Deadline(); ok {
				left = time.Until(dl)
			}
			for i := range utsFull {
				c := utsFull[(fullRuns+i)%len(utsFull)]
				if est := perNode * time.Duration(c.Nodes) * 3 / 2; est < left {
					tr = c
					fullRuns++
					break
				}
			}
		}
		workers := workersFor(cfg, seed, 1, 2, 3, 4, 8)
		p, err := newPool(workers)
		if err != nil {
			return err
		}
		how := utsFork(rng.IntN(int(numUTSFork)))
		start := time.Now()
		var got uts.Stats
		done := make(chan struct{})
		go func() {
			defer close(done)
			p.Run(func(w *scheduler.Worker) { got = countUTS(w, &tr.Params, tr.Params.Root(), how) })
		}()
		// A full tree takes seconds under the race detector: allow for it.
		if err := waitOrHang(done, roundTimeout+3*perNode*time.Duration(tr.Nodes), "UTS "+tr.Name); err != nil {
			return err
		}
		elapsed := time.Since(start)
		perNode = elapsed / time.Duration(tr.Nodes)
		if err := closeOrHang(p); err != nil {
			return closeFailure(err)
		}
		addStats(res, p)
		res.Ops += got.Nodes
		want := uts.Stats{Nodes: tr.Nodes, Leaves: tr.Leaves, MaxDepth: tr.Depth}
		if got != want {
			return fmt.Errorf("UTS %s (%s) with %s on %d workers: got %+v, want %+v", tr.Name, tr.Params, how, workers, got, want)
		}
		if tr.Nodes > 1_000_000 {
			cfg.Logf("uts: %s counted %s nodes (published) with %s on %d workers in %v",
				tr.Name, commas(tr.Nodes), how, workers, elapsed.Round(time.Millisecond))
			res.Notes = append(res.Notes, fmt.Sprintf("%s = %s nodes", tr.Name, commas(tr.Nodes)))
		}
		return nil
	})
}

// utsFull are the published trees the scenario counts when time allows.
var utsFull = []uts.Tree{uts.T3, uts.T1}

// utsSmall are cuts of the published trees, with their node counts, leaf
// counts and depths as counted serially by uts.Params.CountSerial (see
// TestUTSSmallAnswers).
var utsSmall = []uts.Tree{
	cut("T1 -d 7", uts.T1.Params, func(p *uts.Params) { p.GenMax = 7 }, 63914, 51124, 7),
	cut("T1 -d 8", uts.T1.Params, func(p *uts.Params) { p.GenMax = 8 }, 257042, 205878, 8),
	cut("T3 -q 0.12", uts.T3.Params, func(p *uts.Params) { p.Q = 0.12 }, 62689, 55102, 124),
	cut("T3 -q 0.123", uts.T3.Params, func(p *uts.Params) { p.Q = 0.123 }, 247729, 217012, 261),
	cut("T4 -d 10", uts.T4.Params, func(p *uts.Params) { p.GenMax = 10 }, 45120, 34011, 103),
	cut("T5 -d 12", uts.T5.Params, func(p *uts.Params) { p.GenMax = 12 }, 21579, 11664, 12),
}

func cut(name string, p uts.Params, f func(*uts.Params), nodes, leaves int64, depth int) uts.Tree {
	f(&p)
	return uts.Tree{Name: name, Params: p, Nodes: nodes, Depth: depth, Leaves: leaves}
}

// utsFork is how countUTS forks over a node's children.
type utsFork int

const (
	utsByFunc   utsFork = iota // Func.Join, halving the child range
	utsByJoin                  // Worker.Join, halving the child range
	utsByReduce                // Reduce over the children
	utsByInline                // Func.Inline, else Func.Join, halving the child range
	numUTSFork
)

func (f utsFork) String() string {
	return [...]string{"Func.Join", "Worker.Join", "Reduce", "Func.Inline"}[f]
}

// utsArg is a range of a node's children.
type utsArg struct {
	p      *uts.Params
	n      uts.Node
	lo, hi int
}

// utsCount and utsCountInline fork utsRange for utsByFunc and utsByInline.
var utsCount, utsCountInline *scheduler.Func[utsArg, uts.Stats]

func init() {
	utsCount = scheduler.NewFunc(func(w *scheduler.Worker, a utsArg) uts.Stats {
		return utsRange(w, a.p, a.n, a.lo, a.hi, utsByFunc)
	})
	utsCountInline = scheduler.NewFunc(func(w *scheduler.Worker, a utsArg) uts.Stats {
		return utsRange(w, a.p, a.n, a.lo, a.hi, utsByInline)
	})
}

// countUTS counts the subtree rooted at n, forking over every node's
// children.
func countUTS(w *scheduler.Worker, p *uts.Params, n uts.Node, how utsFork) uts.Stats {
	k := p.NumChildren(n)
	s := uts.Stats{Nodes: 1, MaxDepth: int(n.Height)}
	if k == 0 {
		s.Leaves = 1
		return s
	}
	if how == utsByReduce {
		return s.Add(reduceStats(w, p, n, k))
	}
	return s.Add(utsRange(w, p, n, 0, k, how))
}

// utsRange counts the subtrees of n's children lo..hi-1.
func utsRange(w *scheduler.Worker, p *uts.Params, n uts.Node, lo, hi int, how utsFork) uts.Stats {
	if hi-lo == 1 {
		return countUTS(w, p, p.Child(n, lo), how)
	}
	mid := lo + (hi-lo)/2
	switch how {
	case utsByFunc:
		a, b := utsCount.Join(w, utsArg{p, n, lo, mid}, utsArg{p, n, mid, hi})
		return a.Add(b)
	case utsByInline:
		if utsCountInline.Inline(w) {
			a := utsRange(w, p, n, lo, mid, how)
			return a.Add(utsRange(w, p, n, mid, hi, how))
		}
		a, b := utsCountInline.Join(w, utsArg{p, n, lo, mid}, utsArg{p, n, mid, hi})
		return a.Add(b)
	}
	var a, b uts.Stats
	w.Join(func(w *scheduler.Worker) { a = utsRange(w, p, n, lo, mid, how) },
		func(w *scheduler.Worker) { b = utsRange(w, p, n, mid, hi, how) })
	return a.Add(b)
}

// reduceStats counts n's k children's subtrees with a parallel reduction.
func reduceStats(w *scheduler.Worker, p *uts.Params, n uts.Node, k int) uts.Stats {
	return reduceRange(w, k, 0, func(w *scheduler.Worker, lo, hi int) uts.Stats {
		var s uts.Stats
		for i := lo; i < hi; i++ {
			s = s.Add(countUTS(w, p, p.Child(n, i), utsByReduce))
		}
		return s
	}, uts.Stats.Add)
}

// Package suite runs the comparison: it measures every (workload, workers)
// cell, all its contenders, in a child process of its own, probes the
// patterns that deadlock, and hands the results to the report package.
package suite

import (
	"errors"
	"fmt"
	"strings"

	"github.com/forage-go/forage/bench/internal/peer"
	"github.com/forage-go/forage/bench/internal/work"
)

// ErrUnsupported is returned by a contender that has no code for a workload.
var ErrUnsupported = errors.New("workload not supported")

// Counters are what a run reports besides time: -1 where not applicable.
type Counters struct {
	Forked int64 // forks handed to another goroutine (try-else-inline peers)
	Steals int64 // forage: tasks stolen
	Parks  int64 // forage: times a worker parked
	Tasks  int64 // forage: tasks run
}

// NoCounters is the Counters of a contender that counts nothing.
var NoCounters = Counters{-1, -1, -1, -1}

// Engine runs one workload once.
type Engine interface {
	// Run runs the workload and returns its answer.
	Run(w work.Workload) work.Answer
	// Counters returns the run's counters; called after Run.
	Counters() Counters
	// Close releases the engine; it is not called after a hang.
	Close()
}

// Contender is one way of running the workloads.
type Contender struct {
	Name string
	// Recursive and Flat describe how the contender runs recursive and
	// flat (loop, tasks) workloads, for the report's legend.
	Recursive, Flat string
	// Start prepares an engine for one run of w on the given number of
	// workers; it is not timed. It returns ErrUnsupported for workloads
	// the contender has no code for.
	Start func(w work.Workload, workers int) (Engine, error)
	// Naive, if set, is the contender's pattern that deadlocks on recursive
	// workloads; the probe runs it.
	Naive     func(workers int) peer.Peer
	NaiveDesc string
}

// serialEngine runs a workload's serial code.
type serialEngine struct{}

func (serialEngine) Run(w work.Workload) work.Answer { return w.Serial() }
func (serialEngine) Counters() Counters              { return NoCounters }
func (serialEngine) Close()                          {}

// Serial is the reference contender: the workload's plain serial code.
func Serial() Contender {
	return Contender{
		Name:      "serial",
		Recursive: "plain recursion on one goroutine",
		Flat:      "a plain loop on one goroutine",
		Start:     func(work.Workload, int) (Engine, error) { return serialEngine{}, nil },
	}
}

// peerEngine runs a workload through a peer.
type peerEngine struct{ p peer.Peer }

func (e peerEngine) Run(w work.Workload) work.Answer { return w.Peer(e.p) }
func (e peerEngine) Close()                          { e.p.Close() }

func (e peerEngine) Counters() Counters {
	c := NoCounters
	c.Forked = e.p.Forked()
	return c
}

// FromPeer makes a contender of a peer.
func FromPeer(f peer.Factory) Contender {
	return Contender{
		Name:      f.Name,
		Recursive: f.Recursive,
		Flat:      f.Flat,
		Start: func(w work.Workload, workers int) (Engine, error) {
			return peerEngine{f.New(workers, w.Kind().Mode())}, nil
		},
		Naive:     f.Naive,
		NaiveDesc: f.NaiveDesc,
	}
}

// registry holds the contenders in table order.
var registry []Contender

// Register adds a contender (forage registers itself from the command).
// Names must be unique.
func Register(c Contender) {
	for _, r := range registry {
		if r.Name == c.Name {
			panic("suite: contender " + c.Name + " registered twice")
		}
	}
	registry = append(registry, c)
}

func init() {
	Register(Serial())
	for _, f := range peer.All() {
		Register(FromPeer(f))
	}
}

// Contenders returns the registered contenders in table order.
func Contenders() []Contender { return append([]Contender(nil), registry...) }

// Select returns the named contenders in table order; serial is always
// included, as the reference. An empty list selects all.
func Select(names []string) ([]Contender, error) {
	want := map[string]bool{"serial": true}
	all := true
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		found := false
		for _, c := range registry {
			if c.Name == n {
				found = true
			}
		}
		if !found {
			var have []string
			for _, c := range registry {
				have = append(have, c.Name)
			}
			return nil, fmt.Errorf("unknown contender %q (have %s)", n, strings.Join(have, ", "))
		}
		want[n] = true
		all = false
	}
	var out []Contender
	for _, c := range registry {
		if all || want[c.Name] {
			out = append(out, c)
		}
	}
	return out, nil
}

// lookup returns the registered contender with the given name.
func lookup(name string) (Contender, bool) {
	for _, c := range registry {
		if c.Name == name {
			return c, true
		}
	}
	return Contender{}, false
}

// Package peer drives the concurrency libraries forage is compared with,
// each through the patterns a Go user would write with it.
//
// Every peer offers two patterns. Fork and Join are the fork-join of the
// recursive workloads: Fork starts a closure that may run on another
// goroutine, the caller goes on with the other half itself, and Join waits
// for the forked one — the shape of `go a(); b(); wg.Wait()`, without an
// extra closure for the inline half. Go and Wait are the flat pattern:
// independent tasks submitted from goroutines that are not the peer's own,
// then one wait for all of them.
//
// A bounded pool whose task blocks waiting for its children deadlocks once
// every worker waits (see [Factory.Naive]); so the recursive fork of each
// bounded peer is the fallback a user reaches for — try to submit, else run
// inline, or help run queued tasks while waiting — and counts how often it
// really forked.
package peer

import (
	"sync/atomic"
	"unsafe"
)

// Peer is one library driven through the user's patterns. A Peer serves
// one run of one workload and is then closed.
type Peer interface {
	// Fork starts a, possibly on another goroutine, possibly inline before
	// returning, and returns what Join needs to wait for it. a may fork.
	Fork(a func()) Handle
	// Join returns when the forked closure of h has returned. Each handle
	// is joined exactly once, by the goroutine that forked it.
	Join(h Handle)
	// Go runs f asynchronously. It is called only from goroutines that are
	// not running the peer's tasks, possibly from several at once.
	Go(f func())
	// Wait returns when every f passed to Go has returned.
	Wait()
	// Forked returns how many Fork calls handed their closure to another
	// goroutine, or -1 when every Fork does.
	Forked() int64
	// Close releases the peer's goroutines.
	Close()
}

// Handle is what Join needs to wait for a forked closure; nil when the
// closure already ran inline.
type Handle any

// Mode tells a peer which of its entry points a run will use, so that it
// can configure its pool for it (ants, for example, is non-blocking for
// try-else-inline forks and blocking for flat submission).
type Mode int

const (
	// Recursive runs use Fork and Join.
	Recursive Mode = iota
	// Flat runs use Go and Wait.
	Flat
)

// Factory describes a peer and creates a fresh instance for one run.
type Factory struct {
	Name string // short name used in tables and flags
	// Recursive describes the pattern of Fork and Join; Flat that of Go.
	Recursive, Flat string
	// New creates an instance with the given number of workers.
	New func(workers int, mode Mode) Peer
	// Naive, if set, creates the pattern that deadlocks on recursive
	// workloads: a blocking submit or a blocking wait inside a task.
	Naive func(workers int) Peer
	// NaiveDesc describes the Naive pattern.
	NaiveDesc string
}

// All lists the peers in table order. The serial reference and forage
// itself are not peers: they are registered by the suite.
func All() []Factory {
	return []Factory{Goroutine(), ChanPool(), Errgroup(), Ants(), Conc(), Pond()}
}

// Lookup returns the peer with the given name.
func Lookup(name string) (Factory, bool) {
	for _, f := range All() {
		if f.Name == name {
			return f, true
		}
	}
	return Factory{}, false
}

// counter is an event counter that goroutines can bump without sharing a
// cache line: the shard is chosen by the address of the caller's stack, so
// each goroutine keeps to one shard while its stack does not move. Counting
// forks must not add the cross-core traffic it is meant to observe.
type counter struct {
	shards [counterShards]struct {
		n atomic.Int64
		_ [120]byte // keep shards on separate cache lines (and line pairs)
	}
}

const counterShards = 32

// add counts one event.
func (c *counter) add() {
	var local byte
	h := uint64(uintptr(unsafe.Pointer(&local))>>12) * 0x9E3779B97F4A7C15
	c.shards[h>>59].n.Add(1) // top 5 bits: 32 shards
}

// load returns the count.
func (c *counter) load() int64 {
	var t int64
	for i := range c.shards {
		t += c.shards[i].n.Load()
	}
	return t
}

// Inline returns a peer that runs every closure on the caller and counts
// forks: the suite uses it to count a workload's fork points and the tests
// use it as a reference. It is not safe for concurrent use.
func Inline() *InlinePeer { return new(InlinePeer) }

// InlinePeer runs everything on the caller; see [Inline].
type InlinePeer struct {
	// Forks counts Fork calls.
	Forks int64
}

// Fork runs a at once and counts it.
func (p *InlinePeer) Fork(a func()) Handle { p.Forks++; a(); return nil }

// Join does nothing: the closure already ran.
func (p *InlinePeer) Join(Handle) {}

// Go runs f at once.
func (p *InlinePeer) Go(f func()) { f() }

// Wait does nothing.
func (p *InlinePeer) Wait() {}

// Forked returns 0: nothing ran on another goroutine.
func (p *InlinePeer) Forked() int64 { return 0 }

// Close does nothing.
func (p *InlinePeer) Close() {}

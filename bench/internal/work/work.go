// Package work defines the benchmark workloads: their inputs, their serial
// reference code, their code for the peers (driven through [peer.Peer]),
// and the check that a contender's answer equals the serial one.
//
// Native contenders (forage) bring their own code for each workload; the
// workload types therefore export their inputs and kernels.
package work

import (
	"fmt"
	"strings"

	"github.com/forage-go/forage/bench/internal/peer"
)

// Kind is the shape of a workload.
type Kind int

const (
	// Recursive workloads fork and join inside tasks: bounded pools
	// deadlock on them unless tasks avoid blocking.
	Recursive Kind = iota
	// Loop workloads split a range into chunks submitted from outside.
	Loop
	// Tasks workloads submit many independent tiny tasks from outside.
	Tasks
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case Recursive:
		return "recursive"
	case Loop:
		return "loop"
	case Tasks:
		return "tasks"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Mode returns the peer mode that runs a workload of this kind.
func (k Kind) Mode() peer.Mode {
	if k == Recursive {
		return peer.Recursive
	}
	return peer.Flat
}

// Answer is a workload's result as three numbers (a value, a count, a
// checksum: each workload says what they mean).
type Answer [3]int64

// Size selects a workload's input size.
type Size int

const (
	// Full is the size of the default suite (issue 7).
	Full Size = iota
	// Quick is the size of the -quick suite.
	Quick
	// Small is a size for unit tests, fast even under the race detector.
	Small
)

// Workload is one benchmark. Setup runs once per process, Reset before each
// timed run; neither is timed. A run is one call of Serial, Peer, or a
// native contender's code, then Verify of its answer.
type Workload interface {
	// Name is the short name used by the -workloads flag.
	Name() string
	// Title describes the workload and its size, e.g. "fib(32), no cutoff".
	Title() string
	// Kind is the workload's shape.
	Kind() Kind
	// Unit names what Units counts: "fork" or "task".
	Unit() string
	// Units is the number of fork points or tasks of one run.
	Units() int64
	// Setup builds inputs and the reference answer.
	Setup()
	// Reset restores the inputs a run consumes (e.g. the unsorted array).
	Reset()
	// Serial runs the workload on the calling goroutine, without forks.
	Serial() Answer
	// Peer runs the workload through p.
	Peer(p peer.Peer) Answer
	// Verify returns an error unless a (and any output in memory) is the
	// serial answer.
	Verify(a Answer) error
}

// Names lists the workload names in suite order.
var Names = []string{"fib", "fibcut", "nqueens", "uts-t1", "uts-t3", "sort", "sum", "matmul", "tiny", "tiny8"}

// New returns the workload with the given name at the given size.
func New(name string, size Size) (Workload, error) {
	pick := func(full, quick, small int) int {
		switch size {
		case Quick:
			return quick
		case Small:
			return small
		}
		return full
	}
	switch strings.ToLower(name) {
	case "fib":
		return &Fib{N: pick(32, 27, 16), Cutoff: 1}, nil
	case "fibcut":
		return &Fib{N: pick(35, 30, 18), Cutoff: pick(20, 15, 8), Cut: true}, nil
	case "nqueens":
		return &NQueens{N: pick(12, 10, 7)}, nil
	case "uts-t1":
		return newUTS("uts-t1", size, true), nil
	case "uts-t3":
		return newUTS("uts-t3", size, false), nil
	case "sort":
		return &Sort{N: pick(10_000_000, 1_000_000, 20_000)}, nil
	case "sum":
		return &Sum{N: pick(50_000_000, 10_000_000, 100_000), Chunks: pick(1024, 1024, 64)}, nil
	case "matmul":
		return &MatMul{N: pick(1024, 512, 128)}, nil
	case "tiny":
		return &Tiny{Tasks: pick(1_000_000, 200_000, 2_000), Submitters: 1}, nil
	case "tiny8":
		return &Tiny{Tasks: pick(1_000_000, 200_000, 2_000), Submitters: 8}, nil
	}
	return nil, fmt.Errorf("unknown workload %q (have %s)", name, strings.Join(Names, ", "))
}

// mismatch formats a wrong answer.
func mismatch(w Workload, got, want any) error {
	return fmt.Errorf("%s: wrong answer %v, want %v", w.Title(), got, want)
}

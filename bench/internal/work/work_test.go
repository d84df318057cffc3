package work

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/forage-go/forage/bench/internal/peer"
)

func small(t *testing.T, name string) Workload {
	t.Helper()
	w, err := New(name, Small)
	if err != nil {
		t.Fatal(err)
	}
	w.Setup()
	return w
}

// TestSerialAndInline checks every workload's serial code and its peer code
// run inline, and that the inline run makes exactly Units fork points.
func TestSerialAndInline(t *testing.T) {
	for _, name := range Names {
		t.Run(name, func(t *testing.T) {
			w := small(t, name)
			if w.Name() != name || w.Title() == "" || w.Unit() == "" || w.Units() <= 0 {
				t.Fatalf("bad metadata: %q %q %q %d", w.Name(), w.Title(), w.Unit(), w.Units())
			}
			w.Reset()
			if err := w.Verify(w.Serial()); err != nil {
				t.Fatalf("serial: %v", err)
			}
			w.Reset()
			p := peer.Inline()
			if err := w.Verify(w.Peer(p)); err != nil {
				t.Fatalf("inline: %v", err)
			}
			if w.Kind() == Recursive && p.Forks != w.Units() {
				t.Errorf("inline run forked %d times, Units says %d", p.Forks, w.Units())
			}
		})
	}
}

// TestPeers runs every workload on every peer with two workers.
func TestPeers(t *testing.T) {
	for _, name := range Names {
		w := small(t, name)
		for _, f := range peer.All() {
			t.Run(name+"/"+f.Name, func(t *testing.T) {
				w.Reset()
				p := f.New(2, w.Kind().Mode())
				a := w.Peer(p)
				p.Close()
				if err := w.Verify(a); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestVerifyRejects checks that wrong answers and corrupted outputs fail.
func TestVerifyRejects(t *testing.T) {
	for _, name := range Names {
		w := small(t, name)
		w.Reset()
		a := w.Serial()
		switch w := w.(type) {
		case *Sort:
			w.Data[len(w.Data)-1]++ // still in order, but not the input's elements
		case *MatMul:
			w.C[7]++
		default:
			a[0]++
		}
		if err := w.Verify(a); err == nil || !strings.Contains(err.Error(), "wrong answer") {
			t.Errorf("%s: corrupted answer accepted (%v)", name, err)
		}
	}
}

func TestMergeAndCoRank(t *testing.T) {
	for _, sizes := range [][2]int{{0, 0}, {0, 5}, {5, 0}, {1, 1}, {7, 3}, {100, 37}, {500, 500}} {
		a := make([]int, sizes[0])
		b := make([]int, sizes[1])
		for i := range a {
			a[i] = int(splitmix(uint64(i)) % 16) // many ties
		}
		for i := range b {
			b[i] = int(splitmix(uint64(i+1000)) % 16)
		}
		slices.Sort(a)
		slices.Sort(b)
		want := slices.Sorted(slices.Values(append(slices.Clone(a), b...)))
		for k := 0; k <= len(want); k++ {
			i := CoRank(k, a, b)
			j := k - i
			if i < 0 || i > len(a) || j < 0 || j > len(b) {
				t.Fatalf("%v k=%d: co-rank %d out of range", sizes, k, i)
			}
			got := make([]int, len(want))
			Merge(a[:i], b[:j], got[:k])
			Merge(a[i:], b[j:], got[k:])
			if !slices.Equal(got, want) {
				t.Fatalf("%v k=%d: split merge gives %v, want %v", sizes, k, got, want)
			}
		}
	}
}

func TestUnknownWorkload(t *testing.T) {
	if _, err := New("nope", Full); err == nil {
		t.Fatal("New accepted an unknown workload")
	}
}

func TestFullSizes(t *testing.T) {
	want := map[string]string{
		"fib":     "fib(32), no cutoff",
		"fibcut":  "fib(35), cutoff 20",
		"nqueens": "N-Queens(12)",
		"uts-t1":  "UTS T1 (4,130,071 nodes)",
		"uts-t3":  "UTS T3 (4,112,897 nodes)",
		"sort":    "merge sort of 10,000,000 ints",
		"sum":     "sum of 50,000,000 int64 (1024 chunks)",
		"matmul":  "matmul 1024×1024 (D&C, 64² blocks)",
		"tiny":    "1,000,000 tiny tasks, 1 submitter",
		"tiny8":   "1,000,000 tiny tasks, 8 submitters",
	}
	for _, name := range Names {
		w, err := New(name, Full)
		if err != nil {
			t.Fatal(err)
		}
		if w.Title() != want[name] {
			t.Errorf("%s: title %q, want %q", name, w.Title(), want[name])
		}
	}
	f := &Fib{N: 32, Cutoff: 1}
	f.Setup()
	if f.Units() != 3524577 {
		t.Errorf("fib(32) forks = %d, want 3,524,577", f.Units())
	}
	f = &Fib{N: 35, Cutoff: 20}
	f.Setup()
	if f.Units() != 1596 {
		t.Errorf("fib(35) cutoff 20 forks = %d, want 1,596", f.Units())
	}
	if got := fmt.Sprint(commas(-1234567)); got != "-1,234,567" {
		t.Errorf("commas = %s", got)
	}
}

// TestUTSForkCounts checks the fork counts recorded for the published
// trees against an inline run (about 1.5 s; skipped under the race detector).
func TestUTSForkCounts(t *testing.T) {
	if raceEnabled {
		t.Skip("full-size trees are too slow under the race detector")
	}
	for _, name := range []string{"uts-t1", "uts-t3"} {
		w, _ := New(name, Full)
		w.Setup()
		p := peer.Inline()
		if err := w.Verify(w.Peer(p)); err != nil {
			t.Fatal(err)
		}
		if p.Forks != w.Units() {
			t.Errorf("%s: %d forks, Units says %d", name, p.Forks, w.Units())
		}
	}
}

func TestNQueensForks(t *testing.T) {
	if raceEnabled {
		t.Skip("slow under the race detector")
	}
	q := &NQueens{N: 12}
	q.Setup()
	p := peer.Inline()
	if err := q.Verify(q.Peer(p)); err != nil {
		t.Fatal(err)
	}
	if p.Forks != q.Units() {
		t.Errorf("N-Queens(12): %d forks, Units says %d", p.Forks, q.Units())
	}
}

func TestSortOrderChecked(t *testing.T) {
	s := small(t, "sort").(*Sort)
	s.Reset()
	s.Serial()
	s.Data[0], s.Data[1] = s.Data[1], s.Data[0]+0
	if s.Data[0] == s.Data[1] {
		t.Skip("equal neighbours")
	}
	if err := s.Verify(Answer{}); err == nil {
		t.Error("an unsorted permutation passed")
	}
}

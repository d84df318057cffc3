package stress

import (
	"testing"

	"github.com/forage-go/forage/internal/uts"
)

// TestUTSSmallAnswers checks the answers the UTS scenario uses for its small
// trees against package uts's serial traversal (itself checked against the
// published trees in internal/uts).
func TestUTSSmallAnswers(t *testing.T) {
	for _, tr := range utsSmall {
		got := tr.Params.CountSerial()
		want := uts.Stats{Nodes: tr.Nodes, Leaves: tr.Leaves, MaxDepth: tr.Depth}
		if got != want {
			t.Errorf("%s (%s): CountSerial = %+v, the scenario expects %+v", tr.Name, tr.Params, got, want)
		}
	}
	for _, tr := range utsFull {
		if p, ok := uts.Lookup(tr.Name); !ok || p.Nodes != tr.Nodes {
			t.Errorf("%s: not the published preset", tr.Name)
		}
	}
}

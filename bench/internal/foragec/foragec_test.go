package foragec

import (
	"testing"

	"github.com/forage-go/forage/bench/internal/work"
)

// TestWorkloads runs every workload at its small size on forage with one
// and two workers and checks the answers.
func TestWorkloads(t *testing.T) {
	c := Contender()
	for _, name := range work.Names {
		w, err := work.New(name, work.Small)
		if err != nil {
			t.Fatal(err)
		}
		w.Setup()
		for _, workers := range []int{1, 2} {
			for rep := 0; rep < 2; rep++ { // the Funcs are reused across runs
				w.Reset()
				e, err := c.Start(w, workers)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				a := e.Run(w)
				cs := e.Counters()
				e.Close()
				if err := w.Verify(a); err != nil {
					t.Errorf("%d workers: %v", workers, err)
				}
				if cs.Steals < 0 || cs.Parks < 0 || cs.Tasks < 1 || cs.Forked != -1 {
					t.Errorf("%s, %d workers: counters %+v", name, workers, cs)
				}
			}
		}
	}
}

type unknown struct{ work.Workload }

func TestUnsupported(t *testing.T) {
	if _, err := Contender().Start(unknown{}, 1); err == nil {
		t.Fatal("Start accepted an unknown workload")
	}
}

package suite

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/forage-go/forage/bench/internal/work"
)

// cellCost estimates a full-size cell's CPU seconds with the 8 contenders
// (serial included), 5 runs: the one-worker cells' wall times on the 2-vCPU
// development machine (make bench, 2026-11-27 14:50 UTC). It weighs the
// ETA and orders the cells (startOrder).
var cellCost = map[string]float64{
	"fib": 37, "fibcut": 2, "nqueens": 17, "uts-t1": 38, "uts-t3": 26,
	"sort": 38, "sum": 1.5, "matmul": 14, "tiny": 16, "tiny8": 17,
}

// progress prints which cells run, how far they are, and an ETA.
type progress struct {
	mu       sync.Mutex
	out      *os.File
	tty      bool
	start    time.Time
	weights  []float64       // per cell, in suite order
	frac     map[int]float64 // fraction done of cells started
	lastRep  map[int]int
	disabled bool
}

func newProgress(o Options, cells []CellSpec) *progress {
	p := &progress{start: time.Now(), disabled: o.Progress == nil, frac: map[int]float64{}, lastRep: map[int]int{}}
	if f, ok := o.Progress.(*os.File); ok {
		p.out = f
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	} else if o.Progress != nil {
		p.disabled = true // only files get progress lines
	}
	for _, c := range cells {
		w := cellCost[c.Workload]
		if w == 0 {
			w = 10
		}
		w *= float64(c.Runs) / 5 * float64(len(c.Contenders)) / 8
		if c.Size != work.Full {
			w /= 10
		}
		p.weights = append(p.weights, w)
	}
	return p
}

// eta estimates the time left from the weighted fraction done.
func (p *progress) eta() (done float64, left time.Duration) {
	var total, finished float64
	for i, w := range p.weights {
		total += w
		finished += w * p.frac[i]
	}
	if total == 0 || finished == 0 {
		return 0, -1
	}
	f := finished / total
	el := time.Since(p.start)
	return f, time.Duration(float64(el) * (1 - f) / f)
}

// cellDone marks cell i finished.
func (p *progress) cellDone(i int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frac[i] = 1
}

// update records a progress event of cell i.
func (p *progress) update(i int, spec CellSpec, pr Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr.Total > 0 && !pr.Starting {
		p.frac[i] = float64(pr.Done) / float64(pr.Total)
	}
	switch {
	case p.disabled:
	case p.tty:
		p.line(i, spec, pr)
	case !pr.Starting && pr.Run != p.lastRep[i] && (pr.Done == pr.Total || pr.Done%max(1, len(spec.Contenders)) == 0):
		// Not a terminal: a line per finished repetition.
		p.lastRep[i] = pr.Run
		p.line(i, spec, pr)
	}
}

func (p *progress) line(i int, spec CellSpec, pr Progress) {
	f, left := p.eta()
	eta := "ETA ?"
	if left >= 0 {
		eta = "ETA " + left.Round(time.Second).String()
	}
	verb := "ran"
	if pr.Starting {
		verb = "running"
	}
	workers := fmt.Sprintf("%d workers", spec.Workers)
	if spec.Workers == 1 {
		workers = "1 worker"
	}
	msg := fmt.Sprintf("[%3.0f%% %s elapsed, %s] cell %d/%d %s, %s: run %d/%d, %s %s",
		100*f, time.Since(p.start).Round(time.Second), eta, i+1, len(p.weights),
		spec.Workload, workers, pr.Run, pr.Runs, verb, pr.Contender)
	if p.tty {
		fmt.Fprintf(p.out, "\r\033[K%s", msg)
	} else {
		fmt.Fprintln(p.out, msg)
	}
}

// note prints a message on a line of its own.
func (p *progress) note(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.disabled {
		return
	}
	if p.tty {
		fmt.Fprint(p.out, "\r\033[K")
	}
	fmt.Fprintln(p.out, strings.TrimSpace(msg))
}

// finish prints the suite's total time.
func (p *progress) finish() {
	p.note(fmt.Sprintf("suite done in %s", time.Since(p.start).Round(time.Second)))
}

package suite

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/forage-go/forage/bench/internal/work"
)

// cellCost estimates a full-size cell's seconds with 9 contenders, 5 runs
// and one worker, measured on the 2-vCPU development machine; it only
// weighs the ETA.
var cellCost = map[string]float64{
	"fib": 25, "fibcut": 2, "nqueens": 7, "uts-t1": 40, "uts-t3": 40,
	"sort": 25, "sum": 3, "matmul": 20, "tiny": 15, "tiny8": 15,
}

// progress prints which cell runs, how far it is, and an ETA.
type progress struct {
	out      *os.File
	tty      bool
	start    time.Time
	weights  []float64 // per cell, in run order
	cell     int       // index of the cell in flight
	frac     float64   // fraction of that cell done
	lastRep  int
	disabled bool
}

func newProgress(o Options, contenders int) *progress {
	p := &progress{start: time.Now(), disabled: o.Progress == nil}
	if f, ok := o.Progress.(*os.File); ok {
		p.out = f
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	} else if o.Progress != nil {
		p.disabled = true // only files get progress lines
	}
	scale := float64(o.Runs) / 5 * float64(contenders) / 9
	if o.Size != work.Full {
		scale /= 10
	}
	for _, w := range o.Workloads {
		for _, n := range o.Workers {
			c := cellCost[w]
			if c == 0 {
				c = 10
			}
			if n > 1 {
				c *= 0.7
			}
			p.weights = append(p.weights, c*scale)
		}
	}
	return p
}

func (p *progress) startCell(CellSpec) { p.frac, p.lastRep = 0, 0 }

func (p *progress) cellDone() { p.cell++; p.frac = 0 }

// eta estimates the time left from the weighted fraction done.
func (p *progress) eta() (done float64, left time.Duration) {
	var total, finished float64
	for i, w := range p.weights {
		total += w
		if i < p.cell {
			finished += w
		} else if i == p.cell {
			finished += w * p.frac
		}
	}
	if total == 0 || finished == 0 {
		return 0, -1
	}
	f := finished / total
	el := time.Since(p.start)
	return f, time.Duration(float64(el) * (1 - f) / f)
}

func (p *progress) update(spec CellSpec, pr Progress) {
	if p.disabled || pr.Starting {
		if !p.disabled && p.tty {
			p.line(spec, pr)
		}
		return
	}
	if pr.Total > 0 {
		p.frac = float64(pr.Done) / float64(pr.Total)
	}
	if p.tty {
		p.line(spec, pr)
		return
	}
	// Not a terminal: a line per finished repetition.
	if pr.Done == pr.Total || pr.Done%max(1, len(spec.Contenders)) == 0 {
		if pr.Run != p.lastRep {
			p.lastRep = pr.Run
			p.line(spec, pr)
		}
	}
}

func (p *progress) line(spec CellSpec, pr Progress) {
	f, left := p.eta()
	eta := "ETA ?"
	if left >= 0 {
		eta = "ETA " + left.Round(time.Second).String()
	}
	verb := "ran"
	if pr.Starting {
		verb = "running"
	}
	msg := fmt.Sprintf("[cell %d/%d %3.0f%% %s elapsed, %s] %s, %d workers: run %d/%d, %s %s",
		p.cell+1, len(p.weights), 100*f, time.Since(p.start).Round(time.Second), eta,
		spec.Workload, spec.Workers, pr.Run, pr.Runs, verb, pr.Contender)
	if p.tty {
		fmt.Fprintf(p.out, "\r\033[K%s", msg)
	} else {
		fmt.Fprintln(p.out, msg)
	}
}

// note prints a message on a line of its own.
func (p *progress) note(msg string) {
	if p.disabled {
		return
	}
	if p.tty {
		fmt.Fprint(p.out, "\r\033[K")
	}
	fmt.Fprintln(p.out, strings.TrimSpace(msg))
}

func (p *progress) finish() {
	if p.disabled {
		return
	}
	if p.tty {
		fmt.Fprint(p.out, "\r\033[K")
	}
	fmt.Fprintf(p.out, "suite done in %s\n", time.Since(p.start).Round(time.Second))
}

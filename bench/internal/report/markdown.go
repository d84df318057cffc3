package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/forage-go/forage/bench/internal/suite"
)

// Markdown writes the results as Markdown: the machine, a summary of
// speedups and per-fork costs, a table per workload, the deadlock probes
// and the contenders' legend.
func Markdown(out io.Writer, res *suite.Results) error {
	w := bufio.NewWriter(out)
	rows := Rows(res)
	m := res.Machine
	fmt.Fprintf(w, "# forage benchmark results\n\n")
	fmt.Fprintf(w, "- machine: %s", m.Name())
	if m.Kernel != "" {
		fmt.Fprintf(w, ", Linux %s", m.Kernel)
	}
	var cpu, wall time.Duration
	for _, c := range res.Cells {
		cpu += c.CPU
		wall += c.Wall
	}
	fmt.Fprintf(w, "\n- date: %s; the suite took %s", m.Date.Format("2006-01-02 15:04 MST"), fmtDur(res.Elapsed))
	if cpu > 0 {
		fmt.Fprintf(w, " (cell processes: %s wall, %s CPU)", fmtDur(wall), fmtDur(cpu))
	}
	if m.LoadBefore != "" {
		fmt.Fprintf(w, "; load average before %s, after %s", m.LoadBefore, m.LoadAfter)
	}
	runs := fmt.Sprintf("%d runs per cell", res.Runs)
	if res.MinCellTime > 0 {
		runs += fmt.Sprintf(" (up to %d in cells that took less than %s)", 4*res.Runs, fmtDur(res.MinCellTime))
	}
	fmt.Fprintf(w, "\n- %s sizes; %s: median, min–max; each (workload, workers) cell in a process of its own with GOMAXPROCS = workers, every contender run once per repetition in a rotating order; speedup = serial median ÷ median, both from the same process", res.Size, runs)
	if res.CellsAtOnce > 1 {
		fmt.Fprintf(w, "; up to %d cells at a time while their workers fit in the CPUs (memory-bound workloads alone)", res.CellsAtOnce)
	} else {
		fmt.Fprintf(w, "; one cell at a time")
	}
	fmt.Fprintf(w, "\n\n")

	names := contenderNames(res)
	workloads, titles := workloadOrder(res)
	maxW := slices.Max(append([]int{0}, res.Workers...))
	find := func(wl string, p int, c string) *Row {
		for i := range rows {
			r := &rows[i]
			if r.Cell.Workload == wl && r.Cell.Workers == p && r.Result.Contender == c {
				return r
			}
		}
		return nil
	}

	// Summary tables at the largest worker count.
	fmt.Fprintf(w, "## Speedup over serial at %d workers (higher is better)\n\n", maxW)
	header(w, "workload", names)
	for _, wl := range workloads {
		cells := []string{titles[wl]}
		best := bestOf(rows, wl, maxW, func(r Row) float64 { return r.Speedup })
		for _, c := range names {
			r := find(wl, maxW, c)
			switch {
			case r == nil:
				cells = append(cells, "")
			case c == "serial" && r.OK():
				cells = append(cells, fmtDur(r.Stats.Median))
			case !r.OK():
				cells = append(cells, status(r))
			default:
				s := sig(r.Speedup) + "×"
				if c == best {
					s = "**" + s + "**"
				}
				cells = append(cells, s)
			}
		}
		line(w, cells)
	}
	fmt.Fprintf(w, "\nThe serial column is the serial median time.\n\n")

	fmt.Fprintf(w, "## Time per fork or task at %d workers, ns (lower is better)\n\n", maxW)
	header(w, "workload", names)
	for _, wl := range workloads {
		cells := []string{titles[wl]}
		best := bestOf(rows, wl, maxW, func(r Row) float64 {
			if r.PerUnit() == 0 {
				return 0
			}
			return 1 / r.PerUnit()
		})
		for _, c := range names {
			r := find(wl, maxW, c)
			switch {
			case r == nil:
				cells = append(cells, "")
			case !r.OK():
				cells = append(cells, status(r))
			default:
				s := sig(r.PerUnit())
				if c == best {
					s = "**" + s + "**"
				}
				cells = append(cells, s)
			}
		}
		line(w, cells)
	}
	fmt.Fprintf(w, "\nWall time of a run divided by its fork points (recursive workloads) or tasks; the serial column divides the serial time by the same count.\n\n")

	// Per-workload tables.
	fmt.Fprintf(w, "## Per workload\n\n")
	for _, wl := range workloads {
		var unit string
		var units int64
		for _, c := range res.Cells {
			if c.Workload == wl {
				unit, units = c.Unit, c.Units
			}
		}
		fmt.Fprintf(w, "### %s — %s %ss per run\n\n", titles[wl], fmtCount(units), unit)
		hasForked, hasForage := false, false
		for _, r := range rows {
			if r.Cell.Workload == wl && r.OK() {
				hasForked = hasForked || r.ForkedShare() >= 0
				hasForage = hasForage || r.Stats.Counters.Steals >= 0
			}
		}
		cols := []string{"contender", "workers", "median", "min – max", "speedup", "ns/" + unit, "allocs/" + unit, "peak heap Δ"}
		if hasForked {
			cols = append(cols, "really forked")
		}
		if hasForage {
			cols = append(cols, "steals", "parks")
		}
		line(w, cols)
		line(w, rule(len(cols), 1))
		for _, c := range names {
			for _, p := range res.Workers {
				r := find(wl, p, c)
				if r == nil {
					continue
				}
				cells := []string{c, fmt.Sprint(p)}
				if !r.OK() {
					cells = append(cells, status(r))
					for len(cells) < len(cols) {
						cells = append(cells, "")
					}
					line(w, cells)
					continue
				}
				st := r.Stats
				cells = append(cells, fmtDur(st.Median), fmtDur(st.Min)+" – "+fmtDur(st.Max),
					sig(r.Speedup)+"×", sig(r.PerUnit()), sig(r.AllocsPerUnit()), fmtBytes(st.PeakHeap))
				if hasForked {
					switch f := r.ForkedShare(); {
					case f >= 0:
						cells = append(cells, fmt.Sprintf("%s (%s%%)", fmtCount(st.Counters.Forked), sig(100*f)))
					case c == "serial" || r.Cell.Kind != "recursive":
						cells = append(cells, "")
					case st.Counters.Steals >= 0:
						cells = append(cells, "")
					default:
						cells = append(cells, "all")
					}
				}
				if hasForage {
					if st.Counters.Steals >= 0 {
						cells = append(cells, fmtCount(st.Counters.Steals), fmtCount(st.Counters.Parks))
					} else {
						cells = append(cells, "", "")
					}
				}
				line(w, cells)
			}
		}
		for _, c := range res.Cells {
			if c.Workload != wl {
				continue
			}
			for _, r := range c.Results {
				if r.Err != "" {
					fmt.Fprintf(w, "\n%s, %s: %s: %s\n", r.Contender, plural(c.Workers, "worker"), r.Status, r.Err)
				}
			}
		}
		fmt.Fprintln(w)
	}

	if len(res.Probes) > 0 {
		probes(w, res)
	}
	legend(w, res)
	return w.Flush()
}

// probes writes the deadlock probe table.
func probes(w io.Writer, res *suite.Results) {
	fmt.Fprintf(w, "## Deadlock probes\n\n")
	fmt.Fprintf(w, "Each bounded peer's naive pattern — a task that submits its child with a blocking call or waits for it with a blocking wait — run on the recursive workloads (quick sizes: a deadlock is structural). A probe whose fork counter stops moving while unfinished has deadlocked; its goroutines are abandoned in a process of its own. The count is the forks entered before the hang.\n\n")
	var workers []int
	for _, p := range res.Probes {
		if !slices.Contains(workers, p.Workers) {
			workers = append(workers, p.Workers)
		}
	}
	cols := []string{"workload", "contender", "pattern"}
	for _, p := range workers {
		cols = append(cols, plural(p, "worker"))
	}
	line(w, cols)
	line(w, rule(len(cols), 3))
	type key struct{ wl, c string }
	var keys []key
	byKey := map[key]map[int]suite.Probe{}
	for _, p := range res.Probes {
		k := key{p.Title, p.Contender}
		if byKey[k] == nil {
			byKey[k] = map[int]suite.Probe{}
			keys = append(keys, k)
		}
		byKey[k][p.Workers] = p
	}
	for _, k := range keys {
		var pattern string
		cells := []string{k.wl, k.c, ""}
		for _, p := range workers {
			pr, ok := byKey[k][p]
			if !ok {
				cells = append(cells, "")
				continue
			}
			pattern = pr.Pattern
			switch pr.Status {
			case suite.ProbeDeadlock:
				cells = append(cells, fmt.Sprintf("**deadlock** (%s forks)", fmtCount(pr.Forks)))
			case suite.ProbeCompletes:
				cells = append(cells, fmt.Sprintf("completes (%s)", fmtDur(pr.Elapsed)))
			default:
				cells = append(cells, fmt.Sprintf("%s (%s forks)", pr.Status, fmtCount(pr.Forks)))
			}
		}
		cells[2] = pattern
		line(w, cells)
	}
	fmt.Fprintln(w)
}

// legend describes the contenders.
func legend(w io.Writer, res *suite.Results) {
	fmt.Fprintf(w, "## Contenders\n\n")
	line(w, []string{"contender", "recursive workloads", "loop and task workloads"})
	line(w, rule(3, 3))
	for _, c := range res.Contenders {
		line(w, []string{c.Name, c.Recursive, c.Flat})
	}
	fmt.Fprintf(w, "\n\"really forked\" counts the fork points whose closure a try-else-inline peer handed to another goroutine (the rest ran inline); the goroutine peer forks every time. forage's steals are tasks run by a worker other than the one that forked them; parks are times a worker went to sleep.\n")
}

// contenderNames returns the contenders in table order.
func contenderNames(res *suite.Results) []string {
	var names []string
	for _, c := range res.Contenders {
		names = append(names, c.Name)
	}
	return names
}

// workloadOrder returns the workloads in suite order, with titles.
func workloadOrder(res *suite.Results) ([]string, map[string]string) {
	var order []string
	titles := map[string]string{}
	for _, c := range res.Cells {
		if _, ok := titles[c.Workload]; !ok {
			order = append(order, c.Workload)
		}
		titles[c.Workload] = c.Title
	}
	return order, titles
}

// bestOf returns the non-serial contender with the greatest score in a
// workload at p workers.
func bestOf(rows []Row, wl string, p int, score func(Row) float64) string {
	best, bestScore := "", 0.0
	for _, r := range rows {
		if r.Cell.Workload != wl || r.Cell.Workers != p || r.Result.Contender == "serial" || !r.OK() {
			continue
		}
		if s := score(r); s > bestScore {
			best, bestScore = r.Result.Contender, s
		}
	}
	return best
}

// status renders a row without measurements.
func status(r *Row) string {
	switch r.Result.Status {
	case suite.StatusOK:
		return "no runs"
	case suite.StatusWrong:
		return "**WRONG**"
	case suite.StatusHang:
		return "**hang**"
	}
	return r.Result.Status
}

func header(w io.Writer, first string, names []string) {
	line(w, append([]string{first}, names...))
	line(w, rule(len(names)+1, 1))
}

// rule returns a header rule for n columns, the first text ones
// left-aligned and the rest right-aligned.
func rule(n, text int) []string {
	var r []string
	for i := 0; i < n; i++ {
		if i < text {
			r = append(r, "---")
		} else {
			r = append(r, "---:")
		}
	}
	return r
}

// plural formats a count with its noun.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func line(w io.Writer, cells []string) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
}

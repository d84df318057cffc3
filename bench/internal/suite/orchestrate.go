package suite

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forage-go/forage/bench/internal/work"
)

// Options select what the suite runs.
type Options struct {
	Workloads  []string // names, in suite order
	Contenders []string // names; serial is always included
	Workers    []int
	Runs       int
	Size       work.Size
	RunTimeout time.Duration // per run; a run past it is a hang
	// MinCellTime: a cell whose Runs repetitions take less repeats (up to
	// 4×Runs) until it has measured this long (CellSpec.MinTime).
	MinCellTime time.Duration
	// CellsAtOnce is how many cells may run at the same time, as long as
	// their workers add up to at most the CPU count and none of them is
	// memory-bound (sum); 1 runs the cells one by one, and 0 picks 2
	// on an idle machine and 1 on a busy one (see AutoCellsAtOnce).
	CellsAtOnce int
	Probe       bool      // run the deadlock probes
	Progress    io.Writer // progress and ETA; nil for none
	Exe         string    // the binary to re-execute; "" for os.Executable
}

// Results is everything a suite run produced.
type Results struct {
	Machine Machine
	Size    string
	Runs    int
	Workers []int
	// MinCellTime is Options.MinCellTime: short cells ran more repetitions.
	MinCellTime time.Duration
	// CellsAtOnce is the most cells that ran at the same time.
	CellsAtOnce int
	Contenders  []ContenderInfo
	Cells       []Cell
	Probes      []Probe
	Elapsed     time.Duration
}

// ContenderInfo describes a contender for the report's legend.
type ContenderInfo struct {
	Name, Recursive, Flat, Naive string
}

// Failed reports whether any run gave a wrong answer, panicked or crashed.
func (r *Results) Failed() bool {
	for _, c := range r.Cells {
		for _, x := range c.Results {
			switch x.Status {
			case StatusWrong, StatusPanic, StatusKilled:
				return true
			}
		}
	}
	return false
}

// sizeName names a size for the report.
func sizeName(s work.Size) string {
	switch s {
	case work.Quick:
		return "quick"
	case work.Small:
		return "small"
	}
	return "full"
}

// Run runs the suite: a child process per (workload, workers) cell, up to
// CellsAtOnce at a time, then the deadlock probes, one child per worker
// count.
func Run(ctx context.Context, o Options) (*Results, error) {
	cs, err := Select(o.Contenders)
	if err != nil {
		return nil, err
	}
	var names []string
	if o.CellsAtOnce <= 0 {
		busy, sampled := otherCPUBusy(time.Second)
		o.CellsAtOnce = AutoCellsAtOnce(loadavg(), busy, sampled)
	}
	res := &Results{Machine: DescribeMachine(), Size: sizeName(o.Size), Runs: o.Runs, Workers: o.Workers, MinCellTime: o.MinCellTime, CellsAtOnce: o.CellsAtOnce}
	for _, c := range cs {
		names = append(names, c.Name)
		res.Contenders = append(res.Contenders, ContenderInfo{c.Name, c.Recursive, c.Flat, c.NaiveDesc})
	}
	for _, w := range o.Workloads {
		if _, err := work.New(w, o.Size); err != nil {
			return nil, err
		}
	}
	if o.Exe == "" {
		if o.Exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	var specs []CellSpec
	for _, wl := range o.Workloads {
		for _, p := range o.Workers {
			specs = append(specs, CellSpec{Workload: wl, Size: o.Size, Workers: p, Contenders: names, Runs: o.Runs, RunTimeout: o.RunTimeout, MinTime: o.MinCellTime})
		}
	}
	pr := newProgress(o, specs)
	cells, err := runCells(ctx, o, specs, pr)
	if err != nil {
		return nil, err
	}
	res.Cells = cells
	if o.Probe {
		var rec []string
		for _, wl := range o.Workloads {
			if w, _ := work.New(wl, o.Size); w.Kind() == work.Recursive {
				rec = append(rec, wl)
			}
		}
		if len(rec) > 0 {
			// One process per worker count, all at once: a probe costs
			// little CPU before it deadlocks, and then none.
			pr.note(fmt.Sprintf("deadlock probes on %d workloads", len(rec)))
			probes := make([][]Probe, len(o.Workers))
			errs := make([]error, len(o.Workers))
			var wg sync.WaitGroup
			for i, p := range o.Workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					spec := ProbeSpec{Workloads: rec, Size: probeSize(o.Size), Workers: p, Contenders: names}
					probes[i], errs[i] = runProbeProcess(ctx, o.Exe, spec)
				}()
			}
			wg.Wait()
			for i := range probes {
				if errs[i] != nil {
					return nil, errs[i]
				}
				res.Probes = append(res.Probes, probes[i]...)
			}
		}
	}
	pr.finish()
	res.Elapsed = time.Since(start)
	res.Machine.LoadAfter = loadavg()
	return res, nil
}

// busyLoad is the one-minute load average above which the machine counts
// as busy: other processes then already use part of a CPU, and a cell
// sharing the machine with another cell would share it with them too.
const busyLoad = 0.5

// busyCPUs is the same threshold for a direct sample of /proc/stat: CPUs
// kept busy by other processes while the suite waited.
const busyCPUs = 0.25

// AutoCellsAtOnce returns the cells to run at once: 2 on an idle machine
// (one-worker cells in pairs), 1 on a busy one. busy is the number of CPUs
// other processes kept busy during a short sample taken before the suite
// starts (sampled reports whether /proc/stat could be read); without a
// sample, the one-minute load average (/proc/loadavg's text) decides. The
// sample comes first because the load average lags: it stays above the
// threshold for a minute or two after the machine went idle (after
// compiling this binary, for one).
func AutoCellsAtOnce(load string, busy float64, sampled bool) int {
	if sampled {
		if busy > busyCPUs {
			return 1
		}
		return 2
	}
	f := strings.Fields(load)
	if len(f) == 0 {
		return 1
	}
	l, err := strconv.ParseFloat(f[0], 64)
	if err != nil || l > busyLoad {
		return 1
	}
	return 2
}

// memoryBound workloads stream memory at the bandwidth limit (sum reads
// 400 MB at ~30 GiB/s): they run alone, so that no other cell competes for
// memory bandwidth with them. Sort is not among them: a merge pass is
// limited by its compares and branches, not by bandwidth.
var memoryBound = map[string]bool{"sum": true}

// startOrder returns the indices of specs in the order cells should start:
// fewest workers first (on 2 CPUs the one-worker cells pair up), then
// longest first by cellCost, so that the cells running in pairs end close
// together.
func startOrder(specs []CellSpec) []int {
	order := make([]int, len(specs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		sa, sb := specs[a], specs[b]
		if sa.Workers != sb.Workers {
			return sa.Workers - sb.Workers
		}
		return cmp.Compare(cellCost[sb.Workload], cellCost[sa.Workload])
	})
	return order
}

// runCells measures the cells, up to o.CellsAtOnce at a time: a cell
// starts when its workers fit in the CPUs the running cells leave free
// (the first waiting cell that fits, in startOrder), and memory-bound
// cells only on an otherwise idle machine. On 2 CPUs that pairs the
// one-worker cells; cells with more workers than half the CPUs run alone.
func runCells(ctx context.Context, o Options, specs []CellSpec, pr *progress) ([]Cell, error) {
	cpus := runtime.NumCPU()
	limit := max(o.CellsAtOnce, 1)
	type outcome struct {
		i    int
		cell *Cell
		err  error
	}
	done := make(chan outcome)
	cells := make([]Cell, len(specs))
	started := make([]bool, len(specs))
	running, busy, heavy := 0, 0, false
	var firstErr error
	order := startOrder(specs)
	for finished := 0; finished < len(specs); {
		for _, i := range order {
			s := specs[i]
			if started[i] || firstErr != nil {
				continue
			}
			fits := running == 0 ||
				(running < limit && busy+s.Workers <= cpus && !heavy && !memoryBound[s.Workload])
			if !fits {
				continue
			}
			started[i] = true
			running++
			busy += s.Workers
			heavy = heavy || memoryBound[s.Workload]
			go func() {
				c, err := runCellProcess(ctx, o.Exe, i, s, pr)
				done <- outcome{i, c, err}
			}()
		}
		if running == 0 {
			break // an error stopped new cells
		}
		r := <-done
		finished++
		running--
		busy -= specs[r.i].Workers
		if memoryBound[specs[r.i].Workload] {
			heavy = false
		}
		pr.cellDone(r.i)
		if r.err != nil && firstErr == nil {
			firstErr = r.err
		}
		if r.cell != nil {
			cells[r.i] = *r.cell
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return cells, nil
}

// probeSize is the size the probes use: deadlocks are structural, so the
// quick inputs show them as well as the full ones, and cost less to set up.
func probeSize(s work.Size) work.Size {
	if s == work.Full {
		return work.Quick
	}
	return s
}

// Child-process flags: the command passes the JSON argument to ChildMain.
const (
	ChildCellFlag  = "child-cell"
	ChildProbeFlag = "child-probe"
)

// ChildMain runs a cell or the probes in this process, as asked by the
// parent, writing events as JSON lines to out. It returns the exit code.
func ChildMain(flag, arg string, out io.Writer) int {
	enc := json.NewEncoder(out)
	var mu sync.Mutex
	emit := func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(e)
	}
	switch flag {
	case ChildCellFlag:
		var spec CellSpec
		if err := json.Unmarshal([]byte(arg), &spec); err != nil {
			emit(Event{Error: err.Error()})
			return 2
		}
		cell, err := RunCell(spec, emit)
		if err != nil {
			emit(Event{Error: err.Error()})
			return 1
		}
		emit(Event{Cell: cell})
	case ChildProbeFlag:
		var spec ProbeSpec
		if err := json.Unmarshal([]byte(arg), &spec); err != nil {
			emit(Event{Error: err.Error()})
			return 2
		}
		probes, err := RunProbes(spec)
		if err != nil {
			emit(Event{Error: err.Error()})
			return 1
		}
		emit(Event{Probes: probes})
	default:
		emit(Event{Error: "unknown child mode " + flag})
		return 2
	}
	return 0
}

// child runs the binary with one child flag and GOMAXPROCS=workers,
// calling onEvent for each event line, and returns the process's error
// and the tail of its stderr.
func child(ctx context.Context, exe, flag string, spec any, workers int, timeout time.Duration, onEvent func(Event)) (string, usage, error) {
	var u usage
	arg, err := json.Marshal(spec)
	if err != nil {
		return "", u, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-"+flag, string(arg))
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(workers))
	var stderr tail
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", u, err
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return "", u, err
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			continue // not ours: ignore stray output
		}
		onEvent(e)
	}
	err = cmd.Wait()
	u.wall = time.Since(t0)
	if ps := cmd.ProcessState; ps != nil {
		u.cpu = ps.UserTime() + ps.SystemTime()
	}
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("killed after %v", timeout)
	}
	return stderr.String(), u, err
}

// usage is what a child process cost.
type usage struct{ cpu, wall time.Duration }

// cellProcessTimeout bounds one cell process: generous, since runs have
// their own timeout; it only guards against a process that stops talking.
const cellProcessTimeout = 20 * time.Minute

// runCellProcess measures a cell in a child process. A contender that
// hangs or crashes the process is recorded and the cell is measured again
// without it, in a fresh process, so that its goroutines disturb nobody.
func runCellProcess(ctx context.Context, exe string, idx int, spec CellSpec, pr *progress) (*Cell, error) {
	excluded := map[string]ContenderResult{}
	var used usage
	for {
		var cell *Cell
		var errMsg, starting string
		stderr, u, err := child(ctx, exe, ChildCellFlag, spec, spec.Workers, cellProcessTimeout, func(e Event) {
			switch {
			case e.Progress != nil:
				if e.Progress.Starting {
					starting = e.Progress.Contender
				}
				pr.update(idx, spec, *e.Progress)
			case e.Cell != nil:
				cell = e.Cell
			case e.Error != "":
				errMsg = e.Error
			}
		})
		used.cpu += u.cpu
		used.wall += u.wall
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errMsg != "" {
			return nil, fmt.Errorf("%s, %d workers: %s", spec.Workload, spec.Workers, errMsg)
		}
		var culprit string
		if cell == nil {
			// The process died or was killed: blame the run in flight.
			if starting == "" || starting == "serial" {
				return nil, fmt.Errorf("%s, %d workers: cell process failed (%v): %s", spec.Workload, spec.Workers, err, lastLines(stderr, 20))
			}
			culprit = starting
			excluded[culprit] = ContenderResult{Contender: culprit, Status: StatusKilled,
				Err: fmt.Sprintf("process died (%v): %s", err, lastLines(stderr, 8))}
		} else {
			for _, r := range cell.Results {
				if r.Status == StatusHang {
					culprit = r.Contender
					excluded[culprit] = r
				}
			}
		}
		if culprit == "serial" {
			return nil, fmt.Errorf("%s, %d workers: the serial reference hung", spec.Workload, spec.Workers)
		}
		if culprit == "" {
			// Put the excluded contenders back in table order.
			for _, r := range excluded {
				cell.Results = append(cell.Results, r)
			}
			order := map[string]int{}
			for i, c := range registry {
				order[c.Name] = i
			}
			slices.SortStableFunc(cell.Results, func(a, b ContenderResult) int { return order[a.Contender] - order[b.Contender] })
			cell.CPU, cell.Wall = used.cpu, used.wall
			return cell, nil
		}
		pr.note(fmt.Sprintf("%s, %d workers: %s %s; measuring the cell again without it",
			spec.Workload, spec.Workers, culprit, excluded[culprit].Status))
		spec.Contenders = slices.DeleteFunc(slices.Clone(spec.Contenders), func(n string) bool { return n == culprit })
	}
}

// probeProcessTimeout bounds a probe process.
const probeProcessTimeout = 10 * time.Minute

// runProbeProcess runs the probes in a child process, which exits leaving
// the deadlocked goroutines behind.
func runProbeProcess(ctx context.Context, exe string, spec ProbeSpec) ([]Probe, error) {
	var probes []Probe
	var errMsg string
	stderr, _, err := child(ctx, exe, ChildProbeFlag, spec, spec.Workers, probeProcessTimeout, func(e Event) {
		if e.Probes != nil {
			probes = e.Probes
		}
		if e.Error != "" {
			errMsg = e.Error
		}
	})
	if errMsg != "" {
		return nil, errors.New(errMsg)
	}
	if probes == nil && err != nil {
		return nil, fmt.Errorf("probe process failed (%v): %s", err, lastLines(stderr, 20))
	}
	return probes, nil
}

// tail keeps the last 64 KiB written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 64<<10 {
		t.buf = t.buf[len(t.buf)-64<<10:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// lastLines returns the last n lines of s, joined by " | ".
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

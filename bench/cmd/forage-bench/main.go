// Command forage-bench runs forage's comparison suite: workloads from
// fork-join microbenchmarks to tiny independent tasks, on forage and on the
// pools a Go user would pick instead (goroutines with a WaitGroup, a
// channel-based pool, errgroup, ants, conc, pond), each verified against
// serial code.
//
// It prints a Markdown table on stdout and writes into -out: the tables
// (bench-results.md), a CSV, benchstat-readable raw lines
// (bench-results.txt), the raw results as JSON, and plots of speedup
// against workers and of time per fork or task. Progress and an ETA go to
// stderr.
//
// Every (workload, workers) cell runs in a child process of its own (the
// binary re-executes itself) with GOMAXPROCS = workers, so that a contender
// that deadlocks or crashes is contained and cells do not share a heap.
//
// Usage:
//
//	forage-bench [-quick] [-workloads fib,sort] [-contenders forage,ants]
//	             [-workers 1,2] [-runs 5] [-min-cell-time 1.2s] [-out dir]
//	             [-formats png,svg]
//
// See docs/benchmarks.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/forage-go/forage/bench/internal/foragec"
	"github.com/forage-go/forage/bench/internal/report"
	"github.com/forage-go/forage/bench/internal/suite"
	"github.com/forage-go/forage/bench/internal/work"
)

func main() {
	register()
	os.Exit(run(os.Args[1:]))
}

// register adds forage to the peers the suite knows.
func register() { suite.Register(foragec.Contender()) }

// defaultWorkers is 1, 2, then doubling up to the CPU count, which is
// always included.
func defaultWorkers() string {
	n := runtime.NumCPU()
	ws := []string{"1"}
	for w := 2; w < n; w *= 2 {
		ws = append(ws, strconv.Itoa(w))
	}
	if n > 1 {
		ws = append(ws, strconv.Itoa(n))
	}
	if n == 1 {
		ws = append(ws, "2")
	}
	return strings.Join(ws, ",")
}

// defaultMinCellTime: at full size, a cell shorter than this (the sum
// takes about 0.6 s for 5 repetitions of 8 contenders) repeats until it has
// measured this long, so that its medians come from more than 5 runs of
// 16 ms; it adds about 2 s to the default suite (2 s, the first value,
// added about 10 s and pushed the suite past its five minutes).
const defaultMinCellTime = 1200 * time.Millisecond

func run(args []string) int {
	fs := flag.NewFlagSet("forage-bench", flag.ContinueOnError)
	var (
		quick      = fs.Bool("quick", false, "smaller inputs (a run of about 30 s on 2 CPUs); same as -size quick")
		size       = fs.String("size", "full", "input sizes: full, quick, or small (for tests)")
		workloads  = fs.String("workloads", strings.Join(work.Names, ","), "comma-separated workloads to run")
		contenders = fs.String("contenders", "", "comma-separated contenders (default all; serial always runs)")
		workers    = fs.String("workers", defaultWorkers(), "comma-separated worker counts")
		runs       = fs.Int("runs", 5, "timed runs per contender and cell (median, min, max)")
		minCell    = fs.Duration("min-cell-time", -1, "repeat a cell whose runs took less than this (up to 4×runs); default 1.2s at full size, 0 otherwise")
		out        = fs.String("out", "results", "directory for the tables, CSV, raw lines and plots (\"\" for none)")
		formats    = fs.String("formats", "png,svg", "plot formats")
		runTimeout = fs.Duration("run-timeout", time.Minute, "a run taking longer is a hang")
		probe      = fs.Bool("probe", true, "probe the peers' naive patterns for deadlocks")
		atOnce     = fs.Int("cells-at-once", 0, "cells that may run at the same time while their workers fit in the CPUs (1: one by one; 0: 2 when the machine is idle, else 1)")
		from       = fs.String("from", "", "render the results in this JSON file instead of running")
		childCell  = fs.String(suite.ChildCellFlag, "", "internal: measure one cell")
		childProbe = fs.String(suite.ChildProbeFlag, "", "internal: run the deadlock probes")
		list       = fs.Bool("list", false, "list workloads and contenders, then exit")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case *childCell != "":
		return suite.ChildMain(suite.ChildCellFlag, *childCell, os.Stdout)
	case *childProbe != "":
		return suite.ChildMain(suite.ChildProbeFlag, *childProbe, os.Stdout)
	}
	if *list {
		for _, n := range work.Names {
			w, _ := work.New(n, work.Full)
			fmt.Printf("workload   %-10s %s\n", n, w.Title())
		}
		for _, c := range suite.Contenders() {
			fmt.Printf("contender  %-10s %s\n", c.Name, c.Recursive)
		}
		return 0
	}
	var res *suite.Results
	if *from != "" {
		f, err := os.Open(*from)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		res, err = report.ReadJSON(f)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	} else {
		o := suite.Options{
			Workloads:   split(*workloads),
			Contenders:  split(*contenders),
			Runs:        *runs,
			MinCellTime: *minCell,
			RunTimeout:  *runTimeout,
			Probe:       *probe,
			CellsAtOnce: *atOnce,
			Progress:    os.Stderr,
		}
		switch {
		case *quick || *size == "quick":
			o.Size = work.Quick
		case *size == "small":
			o.Size = work.Small
		case *size != "full":
			fmt.Fprintf(os.Stderr, "bad -size %q\n", *size)
			return 2
		}
		if o.MinCellTime < 0 {
			o.MinCellTime = 0
			if o.Size == work.Full {
				o.MinCellTime = defaultMinCellTime
			}
		}
		for _, s := range split(*workers) {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				fmt.Fprintf(os.Stderr, "bad -workers entry %q\n", s)
				return 2
			}
			o.Workers = append(o.Workers, n)
		}
		if o.Runs < 1 || len(o.Workers) == 0 || len(o.Workloads) == 0 {
			fmt.Fprintln(os.Stderr, "need -runs ≥ 1, a worker count and a workload")
			return 2
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		var err error
		res, err = suite.Run(ctx, o)
		if err != nil {
			fmt.Fprintln(os.Stderr, "forage-bench:", err)
			return 1
		}
	}
	if err := report.Markdown(os.Stdout, res); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if *out != "" {
		files, err := report.WriteAll(*out, res, split(*formats))
		if err != nil {
			fmt.Fprintln(os.Stderr, "forage-bench:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "wrote %s\n", strings.Join(files, ", "))
	}
	if res.Failed() {
		fmt.Fprintln(os.Stderr, "forage-bench: some runs gave wrong answers or failed")
		return 1
	}
	return 0
}

// split splits a comma-separated list, dropping empty entries.
func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

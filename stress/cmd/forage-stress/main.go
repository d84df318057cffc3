// Command forage-stress runs forage's stress scenarios (package stress) for
// a fixed time and prints one table row per scenario: rounds, operations,
// tasks run, successful steals, panics caught and the longest wake-up
// latency. It exits 0 when every check held and 1 otherwise, after printing
// each failure with its seed and the exact command that replays it.
//
// Usage:
//
//	go run -race ./stress/cmd/forage-stress -duration 45s
//	GOMAXPROCS=64 go run -race -tags forage_chaos ./stress/cmd/forage-stress -duration 60s
//	go run -race ./stress/cmd/forage-stress -scenario forkjoin -seed 0x1234 -duration 10s
//
// -duration is the total time, split across the scenarios by weight; the
// command finishes within it plus the time to close the last round. A
// watchdog turns a hang into a failure: it writes every goroutine's stack to
// standard error and exits 1.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/forage-go/forage/stress"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("forage-stress", flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("duration", 45*time.Second, "total time, split across the scenarios (make test uses 45s)")
	seedFlag := fs.String("seed", "", "seed (decimal or 0x hex); empty: a fresh one, printed")
	workers := fs.Int("workers", 0, "worker count of every pool (0: chosen per round from the seed)")
	scenario := fs.String("scenario", "all", "comma-separated scenarios: "+names())
	gomaxprocs := fs.Int("gomaxprocs", 0, "set GOMAXPROCS (0: leave it)")
	rounds := fs.Int("rounds", 0, "stop each scenario after this many rounds (0: run until its time is up)")
	wake := fs.Duration("wake-bound", stress.DefaultWakeBound, "hang threshold for a task to start on an idle pool")
	grace := fs.Duration("grace", 10*time.Second, "watchdog slack beyond a scenario's time before it is a hang")
	verbose := fs.Bool("v", false, "log progress to standard error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "forage-stress: unexpected arguments %q\n", fs.Args())
		return 2
	}
	scenarios, err := stress.Select(*scenario)
	if err != nil {
		fmt.Fprintf(stderr, "forage-stress: -scenario: %v\n", err)
		return 2
	}
	var seed uint64
	if *seedFlag != "" {
		if seed, err = stress.ParseSeed(*seedFlag); err != nil {
			fmt.Fprintf(stderr, "forage-stress: -seed: %v\n", err)
			return 2
		}
	} else {
		seed = uint64(time.Now().UnixNano())*0x9E3779B97F4A7C15 | 1
	}
	if *gomaxprocs > 0 {
		runtime.GOMAXPROCS(*gomaxprocs)
	}

	// The last line of defence: if Execute itself never returns, dump and
	// fail well after every per-scenario watchdog should have fired.
	hard := time.AfterFunc(*duration+2**grace+30*time.Second, func() {
		fmt.Fprintf(stderr, "forage-stress: FAIL: hang: still running %v after the start\n", *duration+2**grace+30*time.Second)
		_ = pprof.Lookup("goroutine").WriteTo(stderr, 2)
		os.Exit(1)
	})
	defer hard.Stop()

	replay := func(name string, s uint64) string {
		var b strings.Builder
		if g := os.Getenv("GOMAXPROCS"); g != "" {
			fmt.Fprintf(&b, "GOMAXPROCS=%s ", g)
		}
		b.WriteString("go run ")
		if f := stress.BuildFlags(); f != "" {
			b.WriteString(f + " ")
		}
		fmt.Fprintf(&b, "./stress/cmd/forage-stress -scenario %s -seed %#x", name, s)
		if *workers > 0 {
			fmt.Fprintf(&b, " -workers %d", *workers)
		}
		if *gomaxprocs > 0 {
			fmt.Fprintf(&b, " -gomaxprocs %d", *gomaxprocs)
		}
		fmt.Fprintf(&b, " -duration %v", *duration)
		return b.String()
	}
	opts := stress.Options{
		Seed: seed, Duration: *duration, Workers: *workers, Rounds: *rounds,
		WakeBound: *wake, Grace: *grace, Replay: replay,
	}
	if *verbose {
		opts.Logf = func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	}
	build := stress.BuildFlags()
	if build == "" {
		build = "none"
	}
	fmt.Fprintf(stdout, "forage-stress: seed %#x, duration %v, GOMAXPROCS %d, %d CPUs, build flags: %s\n",
		seed, *duration, runtime.GOMAXPROCS(0), runtime.NumCPU(), build)
	start := time.Now()
	// Rows are printed as scenarios finish, so that a crash later (a
	// runtime fault inside the scheduler kills the process) still leaves
	// the results so far.
	fmt.Fprint(stdout, stress.TableHeader())
	failed := 0
	results := stress.Execute(opts, scenarios, func(r stress.Result) {
		fmt.Fprint(stdout, stress.FormatRow(r))
		for _, n := range r.Notes {
			fmt.Fprintf(stdout, "    %s\n", n)
		}
		if r.Err == nil {
			return
		}
		failed++
		seed := r.Seed
		var f *stress.Failure
		if errors.As(r.Err, &f) {
			seed = f.Seed
			if len(f.Stacks) > 0 {
				fmt.Fprintf(stderr, "forage-stress: %s: goroutine stacks at the failure:\n%s\n", r.Scenario, f.Stacks)
			}
		}
		fmt.Fprintf(stdout, "    FAIL %v\n", r.Err)
		fmt.Fprintf(stdout, "    replay: %s\n", replay(r.Scenario, seed))
	})
	if len(results) < len(scenarios) {
		fmt.Fprintf(stdout, "(%d scenarios not run after the hang)\n", len(scenarios)-len(results))
	}
	status := "PASS"
	if failed > 0 {
		var names []string
		for _, r := range results {
			if r.Err != nil {
				names = append(names, r.Scenario)
			}
		}
		status = fmt.Sprintf("FAIL (%s)", strings.Join(names, ", "))
	}
	fmt.Fprintf(stdout, "%s in %v, seed %#x\n", status, time.Since(start).Round(10*time.Millisecond), seed)
	if failed > 0 {
		return 1
	}
	return 0
}

// names lists the scenarios for the usage message.
func names() string {
	var n []string
	for _, s := range stress.Scenarios() {
		n = append(n, s.Name)
	}
	return strings.Join(n, ", ")
}

package stress

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/forage-go/forage/internal/chaos"
)

// Environment variables read by Run and Tasks, so that a failure seen in CI
// can be replayed without editing the test.
const (
	// EnvSeed overrides Options.Seed (decimal, or hexadecimal with 0x).
	EnvSeed = "FORAGE_STRESS_SEED"
	// EnvDuration overrides Options.Duration (a time.ParseDuration string).
	EnvDuration = "FORAGE_STRESS_DURATION"
	// EnvScenario restricts Run to the comma-separated scenario names.
	EnvScenario = "FORAGE_STRESS_SCENARIO"
)

// DefaultWakeBound is how long a task submitted to an idle pool may take to
// start before the Wakeups scenario calls it a hang (a lost wake-up). It is a
// failure threshold, not a performance target: real wake-ups take
// microseconds.
const DefaultWakeBound = time.Second

// DefaultGrace is how long the watchdog lets a scenario run beyond its budget
// before it declares a hang and dumps every goroutine's stack.
const DefaultGrace = 10 * time.Second

// Options configures Run, Execute and the forage-stress command.
type Options struct {
	// Seed drives every random choice. 0: FORAGE_STRESS_SEED if set (Run),
	// else a fresh seed, which is reported.
	Seed uint64
	// Duration is the total time budget, split across the scenarios by
	// weight. 0: FORAGE_STRESS_DURATION if set (Run), else one second per
	// scenario (a quarter of that with go test -short).
	Duration time.Duration
	// Workers fixes the worker count of the pools that scenarios make. 0:
	// each round picks counts from its seed.
	Workers int
	// Rounds, if positive, stops each scenario after that many rounds even
	// if time remains.
	Rounds int
	// WakeBound is the Wakeups scenario's hang threshold; 0 means
	// DefaultWakeBound.
	WakeBound time.Duration
	// Grace is the watchdog's slack beyond a scenario's budget; 0 means
	// DefaultGrace.
	Grace time.Duration
	// Logf, if set, receives progress lines.
	Logf func(format string, args ...any)
	// Replay, if set, renders the command that replays scenario with seed;
	// failures quote it. Run sets one for go test, the command its own.
	Replay func(scenario string, seed uint64) string
}

// Config is what a scenario function receives: Options resolved for one
// scenario.
type Config struct {
	// Seed is the scenario's seed; round k uses RoundSeed(Seed, k).
	Seed uint64
	// Workers fixes pool sizes when positive.
	Workers int
	// Rounds caps the number of rounds when positive.
	Rounds int
	// WakeBound is the Wakeups hang threshold.
	WakeBound time.Duration
	// Logf receives progress lines; never nil.
	Logf func(format string, args ...any)
}

// Result is what one scenario did and whether its checks held.
type Result struct {
	Scenario string
	Seed     uint64        // the seed the scenario started from
	Rounds   int           // rounds run (the last one failed if Err is set)
	Ops      int64         // operations: deque calls, Joins, Submits, Runs, nodes...
	Tasks    int64         // tasks the pools ran (scheduler.Stats), or items moved
	Steals   int64         // successful steals
	Panics   int64         // injected panics caught where they had to surface
	MaxWake  time.Duration // longest time from Submit to the task's start (Wakeups)
	Elapsed  time.Duration
	Notes    []string // remarks worth a line, such as the published UTS trees counted
	Err      error    // nil when every check held; otherwise a *Failure
}

// OK reports whether every check held.
func (r Result) OK() bool { return r.Err == nil }

// Failure is a failed check: the scenario, the failing round and its seed.
type Failure struct {
	Scenario string
	Round    int
	// Seed is the failing round's seed: passed as the seed, it replays that
	// round first.
	Seed uint64
	Err  error
	// Stacks holds every goroutine's stack when the failure is a hang.
	Stacks []byte
}

// Error describes the failure with its seed.
func (f *Failure) Error() string {
	return fmt.Sprintf("%s: round %d (seed %#x): %v", f.Scenario, f.Round, f.Seed, f.Err)
}

// Unwrap returns the failed check's error.
func (f *Failure) Unwrap() error { return f.Err }

// ErrHang is the error of a scenario that the watchdog stopped waiting for.
var ErrHang = errors.New("hang: the scenario overran its budget and the watchdog's grace period")

// Scenario is a named scenario function.
type Scenario struct {
	// Name is the scenario's name for -scenario and FORAGE_STRESS_SCENARIO.
	Name string
	// Doc says in a line what the scenario proves.
	Doc string
	// Weight is the scenario's share when a duration is split.
	Weight int
	// Fn runs rounds until ctx is done (at least one) and checks each.
	Fn func(ctx context.Context, cfg Config) Result
}

// Scenarios returns every scenario, in the order the command runs them.
func Scenarios() []Scenario {
	return []Scenario{
		{"deque", "Chase-Lev deque: exactly once, per-thief FIFO order, growth from capacity 1", 2, Deque},
		{"forkjoin", "random Join/Scope/Func/For/Reduce/Run/Submit trees: serial sum, every node once", 3, ForkJoin},
		{"panics", "injected panics surface once at the right Run/Join/Close; pool usable after", 2, Panics},
		{"shutdown", "Close vs Submit/Run floods: accepted ran once, rejected got ErrClosed, no leak", 2, Shutdown},
		{"wakeups", "idle pool, single outside tasks: each starts within the bound", 2, Wakeups},
		{"oversub", "workers >> GOMAXPROCS and GOMAXPROCS >> cores: fork-join checks hold", 2, Oversubscription},
		{"uts", "UTS T1/T3 node counts through the scheduler equal the published ones", 5, UTS},
	}
}

// Lookup returns the scenario with the given name.
func Lookup(name string) (Scenario, bool) {
	for _, s := range Scenarios() {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return Scenario{}, false
}

// Select returns the scenarios named in the comma-separated list; "" or
// "all" selects every scenario.
func Select(names string) ([]Scenario, error) {
	names = strings.TrimSpace(names)
	if names == "" || names == "all" {
		return Scenarios(), nil
	}
	var out []Scenario
	for _, n := range strings.Split(names, ",") {
		s, ok := Lookup(strings.TrimSpace(n))
		if !ok {
			var known []string
			for _, s := range Scenarios() {
				known = append(known, s.Name)
			}
			return nil, fmt.Errorf("unknown scenario %q (known: %s)", n, strings.Join(known, ", "))
		}
		out = append(out, s)
	}
	return out, nil
}

// Execute runs the scenarios one after another, splitting opts.Duration by
// weight (each scenario gets its share of the time still left, so an overrun
// shrinks the ones after it), under a watchdog. each, if set, receives every
// result as it comes. If a scenario hangs past its budget plus the grace
// period, Execute returns at once with a *Failure wrapping ErrHang that
// carries every goroutine's stack; the hung goroutines are left behind.
func Execute(opts Options, scenarios []Scenario, each func(Result)) []Result {
	opts = opts.defaults(len(scenarios))
	deadline := time.Now().Add(opts.Duration)
	weights := 0
	for _, s := range scenarios {
		weights += max(1, s.Weight)
	}
	var results []Result
	for _, s := range scenarios {
		w := max(1, s.Weight)
		budget := time.Duration(float64(time.Until(deadline)) * float64(w) / float64(weights))
		weights -= w
		budget = max(budget, 50*time.Millisecond)
		r, hung := runOne(s, opts, budget)
		results = append(results, r)
		if each != nil {
			each(r)
		}
		if hung {
			break
		}
	}
	return results
}

// runOne runs one scenario under the watchdog.
func runOne(s Scenario, opts Options, budget time.Duration) (Result, bool) {
	cfg := Config{
		Seed:      opts.Seed,
		Workers:   opts.Workers,
		Rounds:    opts.Rounds,
		WakeBound: opts.WakeBound,
		Logf:      opts.Logf,
	}
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	done := make(chan Result, 1)
	start := time.Now()
	go func() { done <- s.Fn(ctx, cfg) }()
	watchdog := time.NewTimer(budget + opts.Grace)
	defer watchdog.Stop()
	select {
	case r := <-done:
		r.Scenario = s.Name
		return r, false
	case <-watchdog.C:
		return Result{
			Scenario: s.Name,
			Seed:     opts.Seed,
			Elapsed:  time.Since(start),
			Err: &Failure{
				Scenario: s.Name, Seed: opts.Seed,
				Err:    fmt.Errorf("%w (budget %v, grace %v)", ErrHang, budget.Round(time.Millisecond), opts.Grace),
				Stacks: allStacks(),
			},
		}, true
	}
}

// defaults fills in the zero fields of opts.
func (o Options) defaults(n int) Options {
	if o.Seed == 0 {
		o.Seed = freshSeed()
	}
	if o.Duration <= 0 {
		per := time.Second
		if testing.Testing() && testing.Short() {
			per /= 4
		}
		o.Duration = time.Duration(max(n, 1)) * per
	}
	if o.WakeBound <= 0 {
		o.WakeBound = DefaultWakeBound
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o
}

// fromEnv applies FORAGE_STRESS_SEED and FORAGE_STRESS_DURATION.
func (o Options) fromEnv() (Options, error) {
	if s := strings.TrimSpace(os.Getenv(EnvSeed)); s != "" {
		v, err := ParseSeed(s)
		if err != nil {
			return o, fmt.Errorf("%s: %w", EnvSeed, err)
		}
		o.Seed = v
	}
	if s := strings.TrimSpace(os.Getenv(EnvDuration)); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return o, fmt.Errorf("%s: %w", EnvDuration, err)
		}
		o.Duration = d
	}
	return o, nil
}

// ParseSeed parses a seed written in decimal or, with 0x, hexadecimal.
func ParseSeed(s string) (uint64, error) {
	return strconv.ParseUint(strings.TrimSpace(s), 0, 64)
}

// BuildFlags returns the go command flags this binary was built with that
// matter for a replay: -race and -tags forage_chaos.
func BuildFlags() string {
	var f []string
	if raceEnabled {
		f = append(f, "-race")
	}
	if chaos.Enabled {
		f = append(f, "-tags forage_chaos")
	}
	return strings.Join(f, " ")
}

// Run runs the scenarios (all of them if none are given) from a test, under
// the watchdog, and reports each failure with its seed and the go test
// command that replays it. It logs one line per scenario. A hang fails the
// test at once (t.FailNow) after logging every goroutine's stack. It returns
// the results.
//
// Scenarios change process-wide state while they run (Oversubscription sets
// GOMAXPROCS; Shutdown counts goroutines), so do not call Run from parallel
// tests. FORAGE_STRESS_SEED, FORAGE_STRESS_DURATION and
// FORAGE_STRESS_SCENARIO override opts.Seed, opts.Duration and the list.
func Run(t testing.TB, opts Options, scenarios ...Scenario) []Result {
	t.Helper()
	opts, err := opts.fromEnv()
	if err != nil {
		t.Fatalf("stress: %v", err)
	}
	if s := os.Getenv(EnvScenario); s != "" {
		scenarios, err = Select(s)
		if err != nil {
			t.Fatalf("stress: %s: %v", EnvScenario, err)
		}
	}
	if len(scenarios) == 0 {
		scenarios = Scenarios()
	}
	if opts.Seed == 0 {
		opts.Seed = freshSeed()
	}
	if opts.Replay == nil {
		opts.Replay = goTestReplay(t)
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	t.Logf("stress: seed %#x (%s=%#x replays this run)", opts.Seed, EnvSeed, opts.Seed)
	hung := false
	results := Execute(opts, scenarios, func(r Result) {
		t.Logf("stress: %s", r.line())
		if r.Err != nil {
			t.Errorf("stress: FAIL %v\n%s", r.Err, failureDetail(r, opts.Replay))
			if errors.Is(r.Err, ErrHang) {
				hung = true
			}
		}
	})
	if hung {
		t.FailNow()
	}
	return results
}

// failureDetail is the replay line and, for hangs, the goroutine stacks.
func failureDetail(r Result, replay func(string, uint64) string) string {
	var f *Failure
	seed := r.Seed
	var stacks []byte
	if errors.As(r.Err, &f) {
		seed = f.Seed
		stacks = f.Stacks
	}
	s := "replay: " + replay(r.Scenario, seed)
	if len(stacks) > 0 {
		s += "\n\ngoroutine stacks at the failure:\n" + string(stacks)
	}
	return s
}

// goTestReplay renders the go test command line that replays a failure of
// the running test.
func goTestReplay(t testing.TB) func(string, uint64) string {
	dir, _ := os.Getwd()
	var pat []string
	for _, part := range strings.Split(t.Name(), "/") {
		pat = append(pat, "^"+regexp.QuoteMeta(part)+"$")
	}
	run := strings.Join(pat, "/")
	return func(scenario string, seed uint64) string {
		var b strings.Builder
		fmt.Fprintf(&b, "cd %s && ", shellQuote(dir))
		if g := os.Getenv("GOMAXPROCS"); g != "" {
			fmt.Fprintf(&b, "GOMAXPROCS=%s ", g)
		}
		fmt.Fprintf(&b, "%s=%#x ", EnvSeed, seed)
		if scenario != "" && scenario != "tasks" {
			fmt.Fprintf(&b, "%s=%s ", EnvScenario, scenario)
		}
		b.WriteString("go test ")
		if f := BuildFlags(); f != "" {
			b.WriteString(f + " ")
		}
		fmt.Fprintf(&b, "-count=1 -run %s .", shellQuote(run))
		return b.String()
	}
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r == '=' ||
			r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// line is a one-line summary of r.
func (r Result) line() string {
	status := "ok"
	if r.Err != nil {
		status = "FAIL"
	}
	return fmt.Sprintf("%-8s %-4s rounds=%d ops=%d tasks=%d steals=%d panics=%d maxwake=%v time=%v",
		r.Scenario, status, r.Rounds, r.Ops, r.Tasks, r.Steals, r.Panics,
		r.MaxWake.Round(time.Microsecond), r.Elapsed.Round(time.Millisecond))
}

// tableWidths are the column widths of FormatTable, fixed so that rows can
// be printed one at a time as scenarios finish.
var tableWidths = [...]int{9, 7, 14, 13, 12, 7, 9, 8, 6}

// TableHeader is the header line of FormatTable and FormatRow's rows.
func TableHeader() string {
	return formatCells([]string{"scenario", "rounds", "ops", "tasks", "steals", "panics", "max wake", "time", "status"})
}

// FormatRow renders one result as a table row: rounds, operations, tasks,
// steals, panics caught, max wake latency, time and status.
func FormatRow(r Result) string {
	status := "ok"
	if r.Err != nil {
		status = "FAIL"
	}
	wake := "-"
	if r.MaxWake > 0 {
		wake = r.MaxWake.Round(time.Microsecond).String()
	}
	return formatCells([]string{
		r.Scenario, strconv.Itoa(r.Rounds), commas(r.Ops), commas(r.Tasks), commas(r.Steals),
		commas(r.Panics), wake, r.Elapsed.Round(10 * time.Millisecond).String(), status,
	})
}

// FormatTable renders results as a table with a header: one row per
// scenario (see FormatRow).
func FormatTable(results []Result) string {
	var b strings.Builder
	b.WriteString(TableHeader())
	for _, r := range results {
		b.WriteString(FormatRow(r))
	}
	return b.String()
}

func formatCells(cells []string) string {
	var b strings.Builder
	for i, c := range cells {
		w := tableWidths[i]
		switch {
		case i == len(cells)-1:
			b.WriteString(c)
		case i == 0:
			fmt.Fprintf(&b, "%-*s  ", w, c)
		default:
			fmt.Fprintf(&b, "%*s  ", w, c)
		}
	}
	b.WriteString("\n")
	return b.String()
}

// commas renders n with thousands separators.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

package stress_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forage-go/forage/scheduler"
	"github.com/forage-go/forage/stress"
)

// perScenario keeps the whole package under 30 s with -race.
const perScenario = 1500 * time.Millisecond

// TestScenarios runs every scenario briefly; each must pass.
func TestScenarios(t *testing.T) {
	for _, sc := range stress.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			d := perScenario
			if testing.Short() {
				d /= 3
			}
			rs := stress.Run(t, stress.Options{Duration: d}, sc)
			if len(rs) != 1 || rs[0].Rounds < 1 {
				t.Fatalf("want one result with at least one round, got %+v", rs)
			}
		})
	}
}

// fakeTB records what Run and Tasks report, so that tests can check that a
// failure is caught without failing themselves.
type fakeTB struct {
	testing.TB // nil: methods not overridden below must not be called
	name       string

	mu     sync.Mutex
	failed bool
	errs   []string
	logs   []string
}

func (f *fakeTB) Helper()      {}
func (f *fakeTB) Name() string { return f.name }
func (f *fakeTB) Failed() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.failed }
func (f *fakeTB) Logf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = true
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Fatalf(format string, args ...any) { f.Errorf(format, args...); f.FailNow() }
func (f *fakeTB) FailNow() {
	f.mu.Lock()
	f.failed = true
	f.mu.Unlock()
	runtime.Goexit()
}

// errors returns everything reported with Errorf, joined.
func (f *fakeTB) errors() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.errs, "\n")
}

// inGoroutine runs fn on its own goroutine (FailNow ends it) and waits.
func inGoroutine(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	<-done
}

// doubleCounting is a broken task: it reports how much a shared counter grew
// while it added its own share, which is its share only when no other task
// adds at the same time. Race-free (atomics only), so only an exact check
// can catch it.
func doubleCounting() stress.Task {
	var total atomic.Int64
	return func(w *scheduler.Worker, rng *rand.Rand) int64 {
		v := 1 + rng.Int64N(100)
		before := total.Load()
		total.Add(v)
		runtime.Gosched() // the window in which another task's share lands
		return total.Load() - before
	}
}

func TestTasksCatchesDoubleCounting(t *testing.T) {
	pool, err := scheduler.New(scheduler.WithWorkers(4))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	fake := &fakeTB{name: "TestUser/double_count"}
	var res stress.Result
	inGoroutine(func() {
		res = stress.TasksWith(fake, pool, stress.Options{Seed: 42, Duration: 3 * time.Second}, doubleCounting())
	})
	if !fake.Failed() || res.Err == nil {
		t.Fatalf("a double-counting task passed stress.Tasks (%d rounds); logs: %v", res.Rounds, fake.logs)
	}
	msg := fake.errors()
	for _, want := range []string{"parallel sum", "serial sum", "seed 0x", "replay: ", stress.EnvSeed + "=0x", "go test ", "-run '^TestUser$/^double_count$'"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failure report lacks %q:\n%s", want, msg)
		}
	}
	t.Logf("caught after %d rounds:\n%s", res.Rounds, msg)
}

func TestTasksPassesCorrectTask(t *testing.T) {
	pool, err := scheduler.New(scheduler.WithWorkers(3))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	task := func(w *scheduler.Worker, rng *rand.Rand) int64 {
		n := 1 + rng.IntN(8)
		var a, b int64
		w.Join(func(*scheduler.Worker) { a = int64(n) }, func(*scheduler.Worker) { b = int64(rng.IntN(1000)) })
		return a*1000 + b
	}
	fake := &fakeTB{name: "TestUser"}
	var res stress.Result
	inGoroutine(func() {
		res = stress.TasksWith(fake, pool, stress.Options{Seed: 3, Duration: 500 * time.Millisecond}, task)
	})
	if fake.Failed() || res.Err != nil {
		t.Fatalf("a correct task failed stress.Tasks: %v\n%s", res.Err, fake.errors())
	}
	if res.Rounds < 1 || res.Tasks < 1 {
		t.Fatalf("nothing ran: %+v", res)
	}
}

func TestTasksReportsPanics(t *testing.T) {
	pool, err := scheduler.New(scheduler.WithWorkers(2))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var calls atomic.Int64
	task := func(w *scheduler.Worker, rng *rand.Rand) int64 {
		if calls.Add(1) == 5000 {
			panic("user bug")
		}
		return 1
	}
	fake := &fakeTB{name: "TestUser"}
	inGoroutine(func() {
		stress.TasksWith(fake, pool, stress.Options{Seed: 5, Duration: 5 * time.Second}, task)
	})
	if !fake.Failed() || !strings.Contains(fake.errors(), "user bug") {
		t.Fatalf("a panicking task was not reported: %s", fake.errors())
	}
}

func TestRunReportsFailureWithReplay(t *testing.T) {
	broken := stress.Scenario{Name: "broken", Weight: 1, Fn: func(ctx context.Context, cfg stress.Config) stress.Result {
		return stress.Result{Rounds: 1, Err: &stress.Failure{Scenario: "broken", Round: 3, Seed: 0xabc, Err: fmt.Errorf("sum 41, want 42")}}
	}}
	fake := &fakeTB{name: "TestMine"}
	inGoroutine(func() { stress.Run(fake, stress.Options{Seed: 1, Duration: 100 * time.Millisecond}, broken) })
	msg := fake.errors()
	if !fake.Failed() {
		t.Fatal("a failing scenario did not fail the test")
	}
	for _, want := range []string{"round 3 (seed 0xabc)", "sum 41, want 42", stress.EnvSeed + "=0xabc", stress.EnvScenario + "=broken", "-run '^TestMine$'"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the report lacks %q:\n%s", want, msg)
		}
	}
}

func TestWatchdogTurnsHangIntoFailure(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	hung := stress.Scenario{Name: "hung", Weight: 1, Fn: func(ctx context.Context, cfg stress.Config) stress.Result {
		<-release // ignores ctx: a hang
		return stress.Result{}
	}}
	fake := &fakeTB{name: "TestHang"}
	start := time.Now()
	inGoroutine(func() {
		stress.Run(fake, stress.Options{Seed: 1, Duration: 50 * time.Millisecond, Grace: 200 * time.Millisecond}, hung)
	})
	if !fake.Failed() {
		t.Fatal("a hung scenario did not fail the test")
	}
	msg := fake.errors()
	if !strings.Contains(msg, "hang") || !strings.Contains(msg, "goroutine ") || !strings.Contains(msg, "stress_test.TestWatchdogTurnsHangIntoFailure") {
		t.Errorf("the hang report lacks the goroutine stacks:\n%.2000s", msg)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the watchdog took %v", d)
	}
}

func TestExecuteSplitsDuration(t *testing.T) {
	var budgets []time.Duration
	var mu sync.Mutex
	sc := func(w int) stress.Scenario {
		return stress.Scenario{Name: fmt.Sprint("w", w), Weight: w, Fn: func(ctx context.Context, cfg stress.Config) stress.Result {
			dl, _ := ctx.Deadline()
			mu.Lock()
			budgets = append(budgets, time.Until(dl))
			mu.Unlock()
			<-ctx.Done()
			return stress.Result{Rounds: 1}
		}}
	}
	start := time.Now()
	rs := stress.Execute(stress.Options{Seed: 1, Duration: 600 * time.Millisecond}, []stress.Scenario{sc(1), sc(2)}, nil)
	took := time.Since(start)
	if len(rs) != 2 || took > 900*time.Millisecond || took < 550*time.Millisecond {
		t.Fatalf("Execute ran %d scenarios in %v for a 600ms duration", len(rs), took)
	}
	if budgets[0] > 250*time.Millisecond || budgets[1] < 300*time.Millisecond {
		t.Errorf("budgets %v, want about 200ms and 400ms", budgets)
	}
}

func TestSeeds(t *testing.T) {
	if stress.RoundSeed(99, 0) != 99 {
		t.Error("round 0 must use the seed itself, so that a failing round's seed replays it")
	}
	seen := map[uint64]bool{}
	for r := range 1000 {
		s := stress.RoundSeed(99, r)
		if seen[s] {
			t.Fatalf("round seeds repeat at round %d", r)
		}
		seen[s] = true
	}
	for in, want := range map[string]uint64{"42": 42, "0x2a": 42, " 0X2A ": 42} {
		if got, err := stress.ParseSeed(in); err != nil || got != want {
			t.Errorf("ParseSeed(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := stress.ParseSeed("seed"); err == nil {
		t.Error("ParseSeed accepted a word")
	}
}

func TestSelect(t *testing.T) {
	all, err := stress.Select("all")
	if err != nil || len(all) != len(stress.Scenarios()) {
		t.Fatalf("Select(all) = %d, %v", len(all), err)
	}
	two, err := stress.Select("deque, UTS")
	if err != nil || len(two) != 2 || two[0].Name != "deque" || two[1].Name != "uts" {
		t.Fatalf("Select(deque, UTS) = %v, %v", two, err)
	}
	if _, err := stress.Select("nope"); err == nil || !strings.Contains(err.Error(), "forkjoin") {
		t.Fatalf("Select(nope) = %v, want an error listing the scenarios", err)
	}
}

func TestFormatTable(t *testing.T) {
	out := stress.FormatTable([]stress.Result{
		{Scenario: "deque", Rounds: 3, Ops: 1234567, Tasks: 10, Steals: 5, Elapsed: time.Second},
		{Scenario: "wakeups", Rounds: 1, MaxWake: 1500 * time.Microsecond, Err: fmt.Errorf("x")},
	})
	for _, want := range []string{"scenario", "max wake", "1,234,567", "1.5ms", "FAIL", "ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

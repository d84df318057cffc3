package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forage-go/forage/bench/internal/report"
)

// TestMain lets the suite re-execute this test binary as its child.
func TestMain(m *testing.M) {
	register()
	if len(os.Args) == 3 && strings.HasPrefix(os.Args[1], "-child-") {
		os.Exit(run(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func TestSmallSuite(t *testing.T) {
	out := t.TempDir()
	code := run([]string{"-size", "small", "-workloads", "fib,sum,tiny8", "-contenders", "forage,chanpool,errgroup",
		"-workers", "1,2", "-runs", "2", "-out", out, "-formats", "svg"})
	if code != 0 {
		t.Fatalf("exit code %d", code)
	}
	for _, f := range append(report.Files, report.SpeedupPlot+".svg", report.PerUnitPlot+".svg") {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "bench-results.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| chanpool | errgroup | forage |", "## Deadlock probes", "**deadlock**"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("results lack %q", want)
		}
	}
	// Render the JSON again, without running anything.
	again := t.TempDir()
	if code := run([]string{"-from", filepath.Join(out, "bench-results.json"), "-out", again, "-formats", ""}); code != 0 {
		t.Fatalf("-from: exit code %d", code)
	}
	md2, err := os.ReadFile(filepath.Join(again, "bench-results.md"))
	if err != nil || string(md2) != string(md) {
		t.Errorf("-from rendered different tables (%v)", err)
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-workers", "0"},
		{"-workers", "x"},
		{"-runs", "0"},
		{"-size", "huge"},
		{"-nope"},
	} {
		if code := run(args); code != 2 {
			t.Errorf("%v: exit code %d, want 2", args, code)
		}
	}
	if code := run([]string{"-workloads", "nope", "-out", ""}); code != 1 {
		t.Errorf("unknown workload: exit code %d, want 1", code)
	}
	if code := run([]string{"-list"}); code != 0 {
		t.Errorf("-list: exit code %d", code)
	}
	if code := run([]string{"-from", "/nonexistent.json"}); code != 1 {
		t.Errorf("-from a missing file: exit code %d", code)
	}
}

func TestDefaultWorkers(t *testing.T) {
	ws := strings.Split(defaultWorkers(), ",")
	if ws[0] != "1" || len(ws) < 2 {
		t.Errorf("default workers %v", ws)
	}
	if got := split(" a, ,b,"); strings.Join(got, "|") != "a|b" {
		t.Errorf("split = %q", got)
	}
}

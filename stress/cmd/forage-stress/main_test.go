package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestCommandRunsAndPrintsTable(t *testing.T) {
	var out, errb bytes.Buffer
	start := time.Now()
	code := run([]string{"-duration", "600ms", "-scenario", "deque,wakeups", "-seed", "0x2a"}, &out, &errb)
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"seed 0x2a", "scenario", "max wake", "deque", "wakeups", "PASS"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if took > 3*time.Second {
		t.Errorf("a 600ms run took %v", took)
	}
}

func TestCommandRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-scenario", "nope"},
		{"-seed", "x"},
		{"-duration"},
		{"extra"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}

// Command topology prints what forage detects about this machine: the
// affinity mask, cores, SMT, NUMA nodes, LLC groups, cgroup quota,
// GOMAXPROCS, the usable CPU count, cache facts, and the pin plan of each
// policy for the default worker count.
//
// Usage:
//
//	go run ./affinity/cmd/topology [-workers N] [-policy cpus:0,1]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/forage-go/forage/affinity"
)

func main() {
	workers := flag.Int("workers", 0, "worker count to plan for (default: the usable CPU count)")
	extra := flag.String("policy", "", "an extra policy to plan, e.g. cpus:1,0")
	flag.Parse()

	t, err := affinity.Detect()
	if err != nil {
		fmt.Fprintln(os.Stderr, "topology:", err)
		os.Exit(1)
	}
	n := *workers
	if n <= 0 {
		n = t.Usable()
	}
	policies := []affinity.Policy{affinity.None, affinity.Compact, affinity.Scatter}
	if *extra != "" {
		p, err := affinity.ParsePolicy(*extra)
		if err != nil {
			fmt.Fprintln(os.Stderr, "topology:", err)
			os.Exit(2)
		}
		policies = append(policies, p)
	}
	report(os.Stdout, t, n, policies)
}

// report writes the human-readable summary.
func report(out io.Writer, t affinity.Topology, workers int, policies []affinity.Policy) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(k string, format string, args ...any) {
		fmt.Fprintf(w, "%s\t%s\n", k, fmt.Sprintf(format, args...))
	}
	row("platform", "%s/%s, %s, pinning supported: %v", runtime.GOOS, runtime.GOARCH, runtime.Version(), affinity.Supported)
	row("allowed CPUs", "%s (%d)", list(t.Allowed), len(t.Allowed))
	row("online / offline", "%s / %s", list(t.Online), list(t.Offline))
	row("physical cores", "%d (threads per core: %s)", t.Cores(), smt(t))
	row("packages", "%v", t.Packages())
	row("NUMA nodes", "%s", groups("node", t.Nodes))
	row("LLC groups", "%s", groups("llc", t.LLCs))
	row("cgroup CPU quota", "%s", t.Quota)
	row("GOMAXPROCS", "%d", t.GOMAXPROCS)
	quota := "none"
	if t.Quota.Limited() {
		quota = fmt.Sprint(t.Quota.Ceil())
	}
	row("usable CPUs", "%d = max(1, min(GOMAXPROCS %d, mask %d, ceil(quota) %s))", t.Usable(), t.GOMAXPROCS, len(t.Allowed), quota)
	p := t.Processor
	row("processor", "%s %q, hypervisor %s, hybrid %v", orUnknown(p.Vendor), p.Brand, orNone(p.Hypervisor), p.Hybrid)
	row("caches (cpuid)", "line %d B, L1d %s, L1i %s, L2 %s, L3 %s", p.CacheLine, size(p.L1D), size(p.L1I), size(p.L2), size(p.L3))
	w.Flush()

	fmt.Fprintln(out, "\nper CPU:")
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "  cpu\tcore\tpackage\tnode\tllc\tkind\tSMT siblings")
	for _, c := range t.CPUs {
		fmt.Fprintf(w, "  %d\t%d\t%d\t%d\t%d\t%s\t%s\n", c.ID, c.Core, c.Package, c.Node, c.LLC, c.Kind, list(c.Siblings))
	}
	w.Flush()

	fmt.Fprintf(out, "\npin plans for %d workers:\n", workers)
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, pol := range policies {
		plan, err := t.Plan(pol, workers)
		switch {
		case err != nil:
			fmt.Fprintf(w, "  %s\terror: %v\n", pol, err)
		case plan == nil:
			fmt.Fprintf(w, "  %s\tunpinned (the OS places workers)\n", pol)
		default:
			fmt.Fprintf(w, "  %s\t%v\n", pol, plan)
		}
	}
	w.Flush()

	if len(t.Warnings) > 0 {
		fmt.Fprintln(out, "\nwarnings:")
		for _, s := range t.Warnings {
			fmt.Fprintln(out, "  "+s)
		}
	}
}

func list(ids []int) string {
	if ids == nil {
		return "unknown"
	}
	if len(ids) == 0 {
		return "none"
	}
	return affinity.FormatCPUList(ids)
}

func groups(prefix string, gs []affinity.Group) string {
	if len(gs) == 0 {
		return "unknown"
	}
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = fmt.Sprintf("%s%d: %s", prefix, g.ID, affinity.FormatCPUList(g.CPUs))
	}
	return strings.Join(parts, "; ")
}

// smt summarises threads per core, e.g. "1" or "2" or "1-2" when mixed.
func smt(t affinity.Topology) string {
	lo, hi := 0, 0
	for _, c := range t.CPUs {
		n := len(c.Siblings)
		if lo == 0 || n < lo {
			lo = n
		}
		hi = max(hi, n)
	}
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d-%d", lo, hi)
}

func size(b int) string {
	switch {
	case b == 0:
		return "?"
	case b%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", b>>20)
	case b%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", b>>10)
	}
	return fmt.Sprintf("%d B", b)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

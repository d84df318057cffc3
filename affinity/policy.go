package affinity

import (
	"fmt"
	"strconv"
	"strings"
)

// Policy says where workers run. The zero value is None.
//
// Policies compare with ==: CPUs(1, 2) == CPUs(1, 2).
type Policy struct {
	kind policyKind
	// ids is the explicit list as "3,1,2": a string rather than a slice so
	// that Policy stays comparable and immutable.
	ids string
}

type policyKind uint8

const (
	kindNone policyKind = iota
	kindCompact
	kindScatter
	kindCPUs
)

var (
	// None leaves placement to the OS scheduler: workers are not locked
	// to threads and not pinned. It is the default because locked threads
	// make every park/wake cost 20–40 µs instead of ~0.3 µs.
	None = Policy{}

	// Compact fills physical cores first, one worker per core, and uses
	// SMT siblings only once every core has a worker. Cores are taken in
	// package, then NUMA node, then CPU id order (P-cores before E-cores on
	// hybrid parts), so a small pool stays on one package and shares its
	// caches. This is OpenMP's "close" with one thread per place.
	Compact = Policy{kind: kindCompact}

	// Scatter deals workers round-robin over NUMA nodes (over packages
	// when there is a single node), compact within each, to spread memory
	// bandwidth and cache capacity. This is OpenMP's "spread". With one
	// node and one package it equals Compact.
	Scatter = Policy{kind: kindScatter}
)

// CPUs pins worker i to ids[i mod len(ids)], in the given order. Ids are
// OS CPU ids and must all be in the allowed set (Plan checks).
func CPUs(ids ...int) Policy {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(id)
	}
	return Policy{kind: kindCPUs, ids: strings.Join(parts, ",")}
}

// List returns the explicit CPU list of a CPUs policy, nil for others.
func (p Policy) List() []int {
	if p.kind != kindCPUs || p.ids == "" {
		return nil
	}
	parts := strings.Split(p.ids, ",")
	ids := make([]int, len(parts))
	for i, s := range parts {
		ids[i], _ = strconv.Atoi(s) // written by CPUs from ints
	}
	return ids
}

// Pinned reports whether the policy pins workers (anything but None).
func (p Policy) Pinned() bool { return p.kind != kindNone }

// String returns "none", "compact", "scatter" or "cpus:3,1,2";
// ParsePolicy accepts each of these.
func (p Policy) String() string {
	switch p.kind {
	case kindCompact:
		return "compact"
	case kindScatter:
		return "scatter"
	case kindCPUs:
		return "cpus:" + p.ids
	}
	return "none"
}

// ParsePolicy parses the String form, for flags and environment variables:
// "none" (or ""), "compact", "scatter", or "cpus:" followed by CPUs in
// order, where ranges expand ascending ("cpus:4-7,0" is 4,5,6,7,0).
func ParsePolicy(s string) (Policy, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "", "none":
		return None, nil
	case "compact":
		return Compact, nil
	case "scatter":
		return Scatter, nil
	default:
		list, ok := strings.CutPrefix(v, "cpus:")
		if !ok {
			return None, fmt.Errorf("affinity: unknown policy %q (want none, compact, scatter or cpus:LIST)", s)
		}
		var ids []int
		for part := range strings.SplitSeq(list, ",") {
			// Each element keeps its own ascending expansion, but the
			// elements keep the order the user wrote them in.
			r, err := ParseCPUList(part)
			if err != nil || len(r) == 0 {
				return None, fmt.Errorf("affinity: policy %q: bad CPU list element %q", s, part)
			}
			ids = append(ids, r...)
		}
		return CPUs(ids...), nil
	}
}

package affinity

import (
	"cmp"
	"fmt"
	"slices"
)

// Plan returns the CPU for each of workers workers under policy p: worker
// i is to call Pin(plan[i]). It returns nil for None.
//
// Plan is strict. Compact and Scatter place one worker per allowed CPU and
// fail when workers exceeds len(t.Allowed), naming both, rather than stack
// two pinned workers on one CPU where they would time-slice against each
// other; size the pool by Usable (or fall back to None) instead. A CPUs
// list may be shorter than the pool (it wraps), but every id in it must be
// in the allowed set; the error names the CPU and the set. workers < 1 is
// an error for every policy but None.
func (t Topology) Plan(p Policy, workers int) ([]int, error) {
	if p.kind == kindNone {
		return nil, nil
	}
	if workers < 1 {
		return nil, fmt.Errorf("affinity: %s plan for %d workers: need at least one", p, workers)
	}
	if len(t.Allowed) == 0 {
		return nil, fmt.Errorf("affinity: %s plan: the topology has no allowed CPUs", p)
	}
	switch p.kind {
	case kindCPUs:
		ids := p.List()
		if len(ids) == 0 {
			return nil, fmt.Errorf("affinity: %s: empty CPU list", p)
		}
		for _, id := range ids {
			if _, ok := slices.BinarySearch(t.Allowed, id); !ok {
				return nil, fmt.Errorf("affinity: CPU %d is not in the allowed set %s", id, FormatCPUList(t.Allowed))
			}
		}
		plan := make([]int, workers)
		for i := range plan {
			plan[i] = ids[i%len(ids)]
		}
		return plan, nil
	case kindCompact, kindScatter:
		if workers > len(t.Allowed) {
			return nil, fmt.Errorf("affinity: %s: %d workers but only %d allowed CPUs (%s); a pinned plan puts one worker per CPU",
				p, workers, len(t.Allowed), FormatCPUList(t.Allowed))
		}
		var order []int
		if p.kind == kindCompact {
			order = compactOrder(t.CPUs)
		} else {
			order = t.scatterOrder()
		}
		return order[:workers], nil
	}
	return nil, fmt.Errorf("affinity: unknown policy %s", p)
}

// core is one physical core: its allowed hardware threads, sorted.
type core struct {
	cpus []int
	pkg  int
	node int
	kind CoreKind
}

// physicalCores groups CPUs into physical cores by their SMT sibling sets
// (threads of one core list the same siblings) and orders the cores by
// core type (P before E), package, NUMA node and lowest CPU id.
func physicalCores(cpus []CPU) []core {
	byKey := map[string]int{}
	var cores []core
	for _, c := range cpus {
		key := FormatCPUList(c.Siblings)
		i, ok := byKey[key]
		if !ok {
			i = len(cores)
			byKey[key] = i
			cores = append(cores, core{pkg: c.Package, node: c.Node, kind: c.Kind})
		}
		cores[i].cpus = append(cores[i].cpus, c.ID)
	}
	for i := range cores {
		slices.Sort(cores[i].cpus)
	}
	slices.SortStableFunc(cores, func(a, b core) int {
		return cmp.Or(
			cmp.Compare(kindRank(a.kind), kindRank(b.kind)),
			cmp.Compare(a.pkg, b.pkg),
			cmp.Compare(a.node, b.node),
			cmp.Compare(a.cpus[0], b.cpus[0]),
		)
	})
	return cores
}

// kindRank puts efficiency cores last; unknown ranks with performance.
func kindRank(k CoreKind) int {
	if k == KindEfficiency {
		return 1
	}
	return 0
}

// compactOrder lists the CPUs one thread per core first: the first thread
// of every core, then the second of every core, and so on.
func compactOrder(cpus []CPU) []int {
	cores := physicalCores(cpus)
	order := make([]int, 0, len(cpus))
	for round := 0; len(order) < len(cpus); round++ {
		for _, c := range cores {
			if round < len(c.cpus) {
				order = append(order, c.cpus[round])
			}
		}
	}
	return order
}

// scatterOrder deals CPUs round-robin over NUMA nodes, or over packages
// when there is at most one node, taking each domain's CPUs in compact
// order.
func (t Topology) scatterOrder() []int {
	domain := func(c CPU) int { return c.Package }
	if len(t.Nodes) > 1 {
		domain = func(c CPU) int { return c.Node }
	}
	var ids []int
	members := map[int][]CPU{}
	for _, c := range t.CPUs {
		d := domain(c)
		if _, ok := members[d]; !ok {
			ids = append(ids, d)
		}
		members[d] = append(members[d], c)
	}
	slices.Sort(ids)
	lists := make([][]int, len(ids))
	for i, d := range ids {
		lists[i] = compactOrder(members[d])
	}
	order := make([]int, 0, len(t.CPUs))
	for round := 0; len(order) < len(t.CPUs); round++ {
		for _, l := range lists {
			if round < len(l) {
				order = append(order, l[round])
			}
		}
	}
	return order
}

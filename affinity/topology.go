package affinity

import (
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"slices"
)

// Topology is what forage knows about the CPUs it may run on: the OS view
// (affinity mask, sysfs, cgroups) for ids, counts and grouping, and cpuid
// only for cache sizes and the processor's name. All CPU ids are the
// operating system's ids, the ones SchedSetaffinity and Pin take.
type Topology struct {
	// Allowed lists the CPUs this thread may run on, sorted ascending:
	// the affinity mask (which already reflects taskset and cpuset cgroups)
	// intersected with the online CPUs. Never empty.
	Allowed []int

	// Online and Offline are the kernel's online and offline CPU lists
	// (nil when sysfs is unavailable). Offline CPUs have no topology and
	// cannot be pinned to.
	Online  []int
	Offline []int

	// CPUs describes each allowed CPU, in the order of Allowed.
	CPUs []CPU

	// Nodes are the NUMA nodes that contain at least one allowed CPU,
	// sorted by node id, each listing only its allowed CPUs. Nil when the
	// kernel exposes no node directory (no NUMA support or not Linux).
	Nodes []Group

	// LLCs groups the allowed CPUs by the last-level cache they share
	// (cache/index3, or the highest level present), sorted by lowest CPU.
	// Group.ID is the index into LLCs; CPU.LLC refers to it.
	LLCs []Group

	// Quota is the tightest CPU bandwidth limit of the cgroup hierarchy,
	// from the process's own cgroup up to the root, v1 and v2 combined.
	Quota CPUQuota

	// GOMAXPROCS is runtime.GOMAXPROCS(0) at detection time. The library
	// reads it and never sets it: setting it would switch off the Go
	// runtime's own periodic, container-aware updates.
	GOMAXPROCS int

	// Processor holds the cpuid facts: vendor, brand, cache geometry.
	Processor Processor

	// Warnings notes everything that degraded detection without failing
	// it: an unreadable cgroup file, a malformed sysfs file, a mask that
	// could not be read. A scheduler may log or report them.
	Warnings []string
}

// CPU describes one logical CPU (hardware thread) in OS terms.
type CPU struct {
	// ID is the OS CPU id.
	ID int
	// Core is sysfs core_id, unique only within its package; -1 if unknown.
	Core int
	// Package is sysfs physical_package_id (the socket); -1 if unknown.
	Package int
	// Node is the NUMA node; -1 if unknown.
	Node int
	// LLC is the index into Topology.LLCs; -1 if unknown.
	LLC int
	// Siblings are the hardware threads sharing this CPU's physical core,
	// including the CPU itself and including siblings outside the allowed
	// set (they still compete for the core). Sorted; length 1 without SMT.
	Siblings []int
	// Kind is the core type on hybrid processors (from the cpu_core and
	// cpu_atom PMU cpu lists in sysfs); KindUnknown elsewhere.
	Kind CoreKind
}

// CoreKind distinguishes performance and efficiency cores on hybrid parts.
type CoreKind uint8

const (
	// KindUnknown means the processor is not hybrid or the kernel did not
	// say which kind this core is.
	KindUnknown CoreKind = iota
	// KindPerformance is a P-core (Intel "cpu_core").
	KindPerformance
	// KindEfficiency is an E-core (Intel "cpu_atom").
	KindEfficiency
)

// String returns "P", "E" or "?".
func (k CoreKind) String() string {
	switch k {
	case KindPerformance:
		return "P"
	case KindEfficiency:
		return "E"
	}
	return "?"
}

// Group is a set of allowed CPUs sharing something: a NUMA node or a
// last-level cache.
type Group struct {
	// ID is the node id for Nodes, the index into LLCs for LLCs.
	ID int
	// CPUs are the allowed CPUs in the group, sorted.
	CPUs []int
}

// Source is everything detection reads, so that tests can substitute fake
// trees. SystemSource returns the real one.
type Source struct {
	// FS is the file system rooted at "/": sysfs is read under
	// "sys/devices/system", the process's cgroups from "proc/self/cgroup"
	// and "proc/self/mountinfo", and cgroup files at their mount points.
	// A nil FS means none of that exists (sizes then come from the mask
	// and GOMAXPROCS alone).
	FS fs.FS

	// Mask returns the calling thread's affinity mask. Nil means "all
	// online CPUs" (or runtime.NumCPU synthetic ids without sysfs). An
	// error is a warning: detection falls back as if Mask were nil.
	Mask func() ([]int, error)

	// GOMAXPROCS is the value to size by; 0 means runtime.GOMAXPROCS(0).
	GOMAXPROCS int

	// Processor is copied into Topology.Processor. Zero cache sizes are
	// filled from sysfs when it has them.
	Processor Processor
}

// Detect reports the topology of the real machine as seen by the calling
// OS thread. The affinity mask is per thread: call it from a goroutine that
// is not pinned (or deliberately from a pinned one to see its narrowed view).
// A missing or unreadable sysfs, procfs or cgroup file is not an error; it
// is noted in Topology.Warnings.
func Detect() (Topology, error) {
	return DetectFrom(SystemSource())
}

// DetectFrom reports the topology described by src. It fails only when
// src itself is invalid (a mask with negative ids or an empty mask); every
// unreadable or malformed file degrades the result and adds a warning.
func DetectFrom(src Source) (Topology, error) {
	var t Topology
	var sys sysfs
	if src.FS != nil {
		sys = sysfs{fsys: src.FS, warn: t.warnf}
	}

	t.GOMAXPROCS = src.GOMAXPROCS
	if t.GOMAXPROCS <= 0 {
		t.GOMAXPROCS = runtime.GOMAXPROCS(0)
	}

	if sys.fsys != nil {
		t.Online = sys.cpuList("sys/devices/system/cpu/online")
		t.Offline = sys.cpuList("sys/devices/system/cpu/offline")
	}

	allowed, err := t.allowedCPUs(src.Mask)
	if err != nil {
		return Topology{}, err
	}
	t.Allowed = allowed

	t.CPUs = make([]CPU, len(allowed))
	for i, id := range allowed {
		t.CPUs[i] = CPU{ID: id, Core: -1, Package: -1, Node: -1, LLC: -1, Siblings: []int{id}}
	}
	t.Processor = src.Processor
	if sys.fsys != nil {
		sys.readCPUs(t.CPUs)
		t.Nodes = sys.readNodes(t.CPUs)
		t.LLCs = sys.readLLCs(t.CPUs)
		sys.readCoreKinds(t.CPUs)
		sys.fillCacheSizes(&t.Processor, allowed[0])
		t.Quota = readQuota(src.FS, t.warnf)
	}
	return t, nil
}

// allowedCPUs decides Allowed: the mask, restricted to online CPUs.
func (t *Topology) allowedCPUs(mask func() ([]int, error)) ([]int, error) {
	var ids []int
	if mask != nil {
		m, err := mask()
		switch {
		case err != nil:
			t.warnf("affinity mask unreadable (%v); assuming every online CPU", err)
		case len(m) == 0:
			return nil, errors.New("affinity: the affinity mask is empty")
		default:
			ids = slices.Clone(m)
			slices.Sort(ids)
			ids = slices.Compact(ids)
			if ids[0] < 0 {
				return nil, fmt.Errorf("affinity: negative CPU id %d in the affinity mask", ids[0])
			}
		}
	}
	if ids == nil {
		ids = t.Online
	}
	if ids == nil {
		// No mask and no sysfs: count-only platforms. These ids are
		// synthetic; Supported is false there so nothing pins to them.
		ids = make([]int, runtime.NumCPU())
		for i := range ids {
			ids[i] = i
		}
		return ids, nil
	}
	if t.Online != nil {
		// The kernel's mask never includes offline CPUs, but an injected
		// or stale one may; an offline CPU cannot run a worker.
		online := slices.DeleteFunc(slices.Clone(ids), func(id int) bool {
			_, ok := slices.BinarySearch(t.Online, id)
			return !ok
		})
		switch {
		case len(online) == 0:
			t.warnf("no CPU of the mask %s is online per sysfs; trusting the mask", FormatCPUList(ids))
		case len(online) < len(ids):
			t.warnf("ignoring offline CPUs in the mask: %s", FormatCPUList(subtract(ids, online)))
			ids = online
		}
	}
	return slices.Clone(ids), nil
}

// Usable is the number of workers the machine can run in parallel:
// max(1, min(GOMAXPROCS, len(Allowed), ceil(Quota))). GOMAXPROCS bounds it
// because a worker beyond it cannot run; the mask because pinned or not,
// threads only run on those CPUs; the quota is rounded up because a
// fractional CPU is still worth a worker (1.5 CPUs → 2), while 0.5 → 1.
func (t Topology) Usable() int {
	n := len(t.Allowed)
	if t.GOMAXPROCS > 0 {
		n = min(n, t.GOMAXPROCS)
	}
	if q := t.Quota.Ceil(); q > 0 {
		n = min(n, q)
	}
	return max(1, n)
}

// CPU returns the description of the allowed CPU id.
func (t Topology) CPU(id int) (CPU, bool) {
	i, ok := slices.BinarySearch(t.Allowed, id)
	if !ok || i >= len(t.CPUs) {
		return CPU{}, false
	}
	return t.CPUs[i], true
}

// Cores returns the number of distinct physical cores among the allowed
// CPUs (counted by SMT sibling sets).
func (t Topology) Cores() int {
	return len(physicalCores(t.CPUs))
}

// Packages returns the distinct package (socket) ids among the allowed
// CPUs, sorted; -1 stands for "unknown".
func (t Topology) Packages() []int {
	var ids []int
	for _, c := range t.CPUs {
		ids = append(ids, c.Package)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// warnf records a degraded-detection note.
func (t *Topology) warnf(format string, args ...any) {
	t.Warnings = append(t.Warnings, fmt.Sprintf(format, args...))
}

// subtract returns the ids of a that are not in b; both sorted.
func subtract(a, b []int) []int {
	var out []int
	for _, id := range a {
		if _, ok := slices.BinarySearch(b, id); !ok {
			out = append(out, id)
		}
	}
	return out
}

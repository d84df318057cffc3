// Package affinity tells forage how many workers a machine can really run
// and, when asked, where to put them.
//
// # Sizing
//
// Detect reads the operating system's view — never cpuid's, which ignores
// affinity masks, cpusets, offline CPUs and quotas and numbers threads by
// list index rather than OS id:
//
//   - the calling thread's affinity mask (sched_getaffinity), which already
//     reflects taskset and cpuset cgroups;
//   - sysfs for each CPU's core, package and SMT siblings, the NUMA nodes,
//     last-level-cache groups and offline CPUs;
//   - the tightest cgroup CPU quota from the process's cgroup up to the
//     root, in cgroup v1 and v2 alike (the Go runtime reads only the leaf);
//   - GOMAXPROCS, which this package reads and never sets.
//
// Topology.Usable combines them: max(1, min(GOMAXPROCS, len(mask),
// ceil(quota))). cpuid contributes only cache geometry and names
// (Topology.Processor).
//
// All file access goes through an fs.FS rooted at "/", and the mask and
// GOMAXPROCS are injectable, so DetectFrom can be tested on fake trees.
//
// # Pinning
//
// Pinning is opt-in: None, the default Policy, leaves placement to the OS.
// Compact, Scatter and CPUs produce a plan (Topology.Plan) of one CPU per
// worker; each worker goroutine then calls Pin with its CPU as the first
// thing it does, and returns while still locked when it is done, so that
// the runtime destroys the pinned thread instead of reusing it. Pin is
// supported on Linux only (Supported); elsewhere it reports
// errors.ErrUnsupported and workers run unpinned.
//
// The command affinity/cmd/topology prints what this package detects.
package affinity

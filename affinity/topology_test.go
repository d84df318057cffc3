package affinity

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func detect(t *testing.T, src Source) Topology {
	t.Helper()
	topo, err := DetectFrom(src)
	require.NoError(t, err)
	return topo
}

func TestTwoSocketSMT(t *testing.T) {
	topo := detect(t, Source{FS: fstest.MapFS(twoSocketSMT(false)), Mask: mask(0, 1, 2, 3, 4, 5, 6, 7), GOMAXPROCS: 8})

	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7}, topo.Allowed)
	assert.Equal(t, 4, topo.Cores())
	assert.Equal(t, []int{0, 1}, topo.Packages())
	assert.Equal(t, []Group{{ID: 0, CPUs: []int{0, 1, 2, 3, 4, 5, 6, 7}}}, topo.Nodes)
	assert.Equal(t, []Group{{ID: 0, CPUs: []int{0, 1, 2, 3}}, {ID: 1, CPUs: []int{4, 5, 6, 7}}}, topo.LLCs)
	assert.Equal(t, 8, topo.Usable())
	assert.Empty(t, topo.Warnings)

	c, ok := topo.CPU(6)
	require.True(t, ok)
	assert.Equal(t, CPU{ID: 6, Core: 0, Package: 1, Node: 0, LLC: 1, Siblings: []int{4, 6}}, c)

	compact, err := topo.Plan(Compact, 8)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 4, 5, 2, 3, 6, 7}, compact)

	scatter, err := topo.Plan(Scatter, 8)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 4, 1, 5, 2, 6, 3, 7}, scatter)

	// A smaller pool takes a prefix: whole cores first, packages spread.
	four, err := topo.Plan(Compact, 4)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 4, 5}, four)
	two, err := topo.Plan(Scatter, 2)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 4}, two)

	none, err := topo.Plan(None, 8)
	require.NoError(t, err)
	assert.Nil(t, none)
}

func TestTwoSocketSMTWithNUMA(t *testing.T) {
	topo := detect(t, Source{FS: fstest.MapFS(twoSocketSMT(true)), Mask: mask(0, 1, 2, 3, 4, 5, 6, 7), GOMAXPROCS: 8})
	assert.Equal(t, []Group{{ID: 0, CPUs: []int{0, 1, 2, 3}}, {ID: 1, CPUs: []int{4, 5, 6, 7}}}, topo.Nodes)
	c, _ := topo.CPU(5)
	assert.Equal(t, 1, c.Node)

	compact, err := topo.Plan(Compact, 8)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 4, 5, 2, 3, 6, 7}, compact)
	scatter, err := topo.Plan(Scatter, 8)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 4, 1, 5, 2, 6, 3, 7}, scatter)
}

// One package split into two NUMA nodes (sub-NUMA clustering): Scatter
// alternates nodes although there is one package, Compact fills node 0.
func TestScatterOverNodesWithinOnePackage(t *testing.T) {
	f := fakeFS{}
	f.online("0-3", "")
	for id := range 4 {
		f.cpu(id, 0, id, "") // no SMT: empty sibling file falls back to the CPU itself
	}
	f.node(0, "0-1").node(1, "2-3")
	topo := detect(t, Source{FS: fstest.MapFS(f), Mask: mask(0, 1, 2, 3), GOMAXPROCS: 4})
	assert.Equal(t, 4, topo.Cores())
	scatter, err := topo.Plan(Scatter, 4)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 2, 1, 3}, scatter)
	compact, err := topo.Plan(Compact, 4)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 2, 3}, compact)
}

// Offline CPUs have no topology directory; a mask (injected, or stale)
// that still lists one must not produce a worker for it.
func TestOfflineCPUs(t *testing.T) {
	f := twoSocketSMT(false)
	f.online("0-2,4-7", "3")
	for name := range f {
		if strings.HasPrefix(name, "sys/devices/system/cpu/cpu3/") {
			delete(f, name)
		}
	}
	topo := detect(t, Source{FS: fstest.MapFS(f), Mask: mask(0, 1, 2, 3, 4, 5, 6, 7), GOMAXPROCS: 8})
	assert.Equal(t, []int{0, 1, 2, 4, 5, 6, 7}, topo.Allowed)
	assert.Equal(t, []int{3}, topo.Offline)
	assert.Equal(t, 7, topo.Usable())
	require.Len(t, topo.Warnings, 1)
	assert.Contains(t, topo.Warnings[0], "offline CPUs in the mask: 3")

	compact, err := topo.Plan(Compact, 7)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 4, 5, 2, 6, 7}, compact)

	_, err = topo.Plan(CPUs(3), 1)
	assert.EqualError(t, err, "affinity: CPU 3 is not in the allowed set 0-2,4-7")

	// Without a mask, the online list is the allowed set.
	topo = detect(t, Source{FS: fstest.MapFS(f), GOMAXPROCS: 8})
	assert.Equal(t, []int{0, 1, 2, 4, 5, 6, 7}, topo.Allowed)
	assert.Empty(t, topo.Warnings)
}

// A mask with holes (taskset -c 0,2,5,7): groups shrink to the allowed
// CPUs, cores with no allowed thread disappear, and plans use only the mask.
func TestMaskWithHoles(t *testing.T) {
	topo := detect(t, Source{FS: fstest.MapFS(twoSocketSMT(true)), Mask: mask(7, 0, 5, 2), GOMAXPROCS: 8})
	assert.Equal(t, []int{0, 2, 5, 7}, topo.Allowed)
	assert.Equal(t, 2, topo.Cores())
	assert.Equal(t, []Group{{ID: 0, CPUs: []int{0, 2}}, {ID: 1, CPUs: []int{5, 7}}}, topo.Nodes)
	assert.Equal(t, []Group{{ID: 0, CPUs: []int{0, 2}}, {ID: 1, CPUs: []int{5, 7}}}, topo.LLCs)
	assert.Equal(t, 4, topo.Usable())

	compact, err := topo.Plan(Compact, 4)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 5, 2, 7}, compact)
	scatter, err := topo.Plan(Scatter, 3)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 5, 2}, scatter)

	_, err = topo.Plan(Compact, 5)
	assert.EqualError(t, err, "affinity: compact: 5 workers but only 4 allowed CPUs (0,2,5,7); a pinned plan puts one worker per CPU")
	_, err = topo.Plan(Scatter, 5)
	assert.ErrorContains(t, err, "5 workers but only 4 allowed CPUs")
}

func TestExplicitPlan(t *testing.T) {
	f := fakeFS{}
	f.online("0-1", "")
	f.cpu(0, 0, 0, "0").cpu(1, 0, 1, "1")
	topo := detect(t, Source{FS: fstest.MapFS(f), Mask: mask(0, 1), GOMAXPROCS: 2})

	plan, err := topo.Plan(CPUs(1, 0), 5)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 0, 1, 0, 1}, plan, "worker i gets ids[i mod len]")

	_, err = topo.Plan(CPUs(0, 7), 2)
	assert.EqualError(t, err, "affinity: CPU 7 is not in the allowed set 0-1")
	_, err = topo.Plan(CPUs(-1), 1)
	assert.EqualError(t, err, "affinity: CPU -1 is not in the allowed set 0-1")
	_, err = topo.Plan(CPUs(), 1)
	assert.ErrorContains(t, err, "empty CPU list")
	_, err = topo.Plan(Compact, 0)
	assert.ErrorContains(t, err, "need at least one")
}

func TestUsable(t *testing.T) {
	for _, tc := range []struct {
		name       string
		topo       Topology
		wantUsable int
	}{
		{"mask bounds", Topology{Allowed: []int{0, 1}, GOMAXPROCS: 8}, 2},
		{"GOMAXPROCS bounds", Topology{Allowed: []int{0, 1, 2, 3}, GOMAXPROCS: 3}, 3},
		{"quota 1.5 rounds up", Topology{Allowed: []int{0, 1, 2, 3}, GOMAXPROCS: 4, Quota: CPUQuota{Quota: 150000, Period: 100000}}, 2},
		{"quota 0.5 rounds up to 1", Topology{Allowed: []int{0, 1, 2, 3}, GOMAXPROCS: 4, Quota: CPUQuota{Quota: 50000, Period: 100000}}, 1},
		{"quota above mask", Topology{Allowed: []int{0, 1}, GOMAXPROCS: 2, Quota: CPUQuota{Quota: 800000, Period: 100000}}, 2},
		{"never below one", Topology{}, 1},
	} {
		assert.Equal(t, tc.wantUsable, tc.topo.Usable(), tc.name)
	}
}

func TestGOMAXPROCSDefaultsToRuntime(t *testing.T) {
	topo := detect(t, Source{Mask: mask(0)})
	assert.Positive(t, topo.GOMAXPROCS)
	assert.Equal(t, 1, topo.Usable())
}

// Without sysfs or a mask (non-Linux), ids are synthetic 0..NumCPU-1 and
// nothing else is known; detection still succeeds.
func TestNoSysfs(t *testing.T) {
	topo := detect(t, Source{GOMAXPROCS: 1})
	assert.NotEmpty(t, topo.Allowed)
	assert.Equal(t, 0, topo.Allowed[0])
	assert.Nil(t, topo.Online)
	assert.Nil(t, topo.Nodes)
	assert.Equal(t, 1, topo.Usable())
	assert.Equal(t, len(topo.Allowed), topo.Cores(), "unknown SMT counts every CPU as a core")
}

func TestInvalidMask(t *testing.T) {
	_, err := DetectFrom(Source{Mask: mask()})
	assert.ErrorContains(t, err, "empty")
	_, err = DetectFrom(Source{Mask: mask(-2, 1)})
	assert.ErrorContains(t, err, "negative CPU id -2")

	// A failing mask call degrades to the online list with a warning.
	f := fakeFS{}
	f.online("0-3", "")
	topo := detect(t, Source{FS: fstest.MapFS(f), Mask: func() ([]int, error) { return nil, fs.ErrPermission }})
	assert.Equal(t, []int{0, 1, 2, 3}, topo.Allowed)
	require.Len(t, topo.Warnings, 1)
	assert.Contains(t, topo.Warnings[0], "affinity mask unreadable")
}

// Permission errors anywhere in sysfs are not errors: detection falls back
// to what it could read and says so.
func TestUnreadableSysfs(t *testing.T) {
	denied := deniedFS{FS: fstest.MapFS(twoSocketSMT(true)), deny: func(name string) bool {
		return strings.HasPrefix(name, "sys/devices/system/node") || strings.HasSuffix(name, "thread_siblings_list")
	}}
	topo := detect(t, Source{FS: denied, Mask: mask(0, 1, 2, 3), GOMAXPROCS: 4})
	assert.Equal(t, []int{0, 1, 2, 3}, topo.Allowed)
	assert.Nil(t, topo.Nodes)
	assert.Equal(t, 4, topo.Cores(), "without sibling lists every CPU is its own core")
	assert.NotEmpty(t, topo.Warnings)
	for _, w := range topo.Warnings {
		assert.Contains(t, w, "permission denied")
	}

	everything := deniedFS{FS: fstest.MapFS(twoSocketSMT(true)), deny: func(string) bool { return true }}
	topo = detect(t, Source{FS: everything, Mask: mask(0, 1), GOMAXPROCS: 4})
	assert.Equal(t, []int{0, 1}, topo.Allowed)
	assert.Equal(t, 2, topo.Usable())
}

func TestCacheSizesFromSysfsFillCPUIDGaps(t *testing.T) {
	src := Source{
		FS: fstest.MapFS(twoSocketSMT(false)), Mask: mask(0, 1), GOMAXPROCS: 2,
		Processor: Processor{L1D: 48 << 10}, // cpuid knew only L1d
	}
	p := detect(t, src).Processor
	assert.Equal(t, Processor{CacheLine: 64, L1D: 48 << 10, L1I: 32 << 10, L2: 1 << 20, L3: 32 << 20}, p)
	assert.Equal(t, 0, parseCacheSize("garbage"))
	assert.Equal(t, 2<<20, parseCacheSize("2M"))
	assert.Equal(t, 512, parseCacheSize("512"))
}

// On a hybrid part Compact takes P-cores (with SMT) before E-cores.
func TestHybridCoreKinds(t *testing.T) {
	f := fakeFS{}
	f.online("0-5", "")
	// P-core {0,1}, P-core {2,3}, E-cores 4 and 5.
	f.cpu(0, 0, 0, "0-1").cpu(1, 0, 0, "0-1").cpu(2, 0, 4, "2-3").cpu(3, 0, 4, "2-3").cpu(4, 0, 8, "4").cpu(5, 0, 9, "5")
	f.file("/sys/devices/cpu_core/cpus", "0-3").file("/sys/devices/cpu_atom/cpus", "4-5")
	topo := detect(t, Source{FS: fstest.MapFS(f), Mask: mask(0, 1, 2, 3, 4, 5), GOMAXPROCS: 6})
	kinds := make([]CoreKind, len(topo.CPUs))
	for i, c := range topo.CPUs {
		kinds[i] = c.Kind
	}
	assert.Equal(t, []CoreKind{KindPerformance, KindPerformance, KindPerformance, KindPerformance, KindEfficiency, KindEfficiency}, kinds)
	assert.Equal(t, "P", KindPerformance.String())
	assert.Equal(t, "E", KindEfficiency.String())
	assert.Equal(t, "?", KindUnknown.String())

	compact, err := topo.Plan(Compact, 6)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 2, 4, 5, 1, 3}, compact)
}

// The kernel's newer core_cpus_list wins over thread_siblings_list, and
// missing core_id / physical_package_id files read as -1.
func TestCoreCPUsListPreferred(t *testing.T) {
	f := fakeFS{}
	f.online("0-1", "")
	f.file("/sys/devices/system/cpu/cpu0/topology/core_cpus_list", "0-1")
	f.file("/sys/devices/system/cpu/cpu1/topology/core_cpus_list", "0-1")
	f.file("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list", "0")
	topo := detect(t, Source{FS: fstest.MapFS(f), Mask: mask(0, 1), GOMAXPROCS: 2})
	assert.Equal(t, 1, topo.Cores())
	c, _ := topo.CPU(1)
	assert.Equal(t, []int{0, 1}, c.Siblings)
	assert.Equal(t, -1, c.Core)
	assert.Equal(t, -1, c.Package)
}

package affinity

import (
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The mountinfo of this project's development host: hybrid cgroups, v1
// controllers each on their own mount, an empty v2 unified hierarchy.
const hybridMountinfo = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`

const v2Mountinfo = `22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/root rw
30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate`

// fourCPUs is a flat 4-CPU machine to hang cgroup trees on.
func fourCPUs() fakeFS {
	f := fakeFS{}
	f.online("0-3", "")
	return f
}

func v1Machine(procPath string) fakeFS {
	f := fourCPUs()
	f.file("/proc/self/mountinfo", hybridMountinfo)
	f.file("/proc/self/cgroup", "4:memory:"+procPath+"\n3:cpuset:/\n1:cpu,cpuacct:"+procPath+"\n0::/")
	return f
}

func (f fakeFS) cfs(dir string, quota, period int) fakeFS {
	f.file(dir+"/cpu.cfs_quota_us", strconv.Itoa(quota))
	return f.file(dir+"/cpu.cfs_period_us", strconv.Itoa(period))
}

func quotaOf(t *testing.T, f fakeFS) Topology {
	t.Helper()
	return detect(t, Source{FS: fstest.MapFS(f), Mask: mask(0, 1, 2, 3), GOMAXPROCS: 4})
}

func TestCgroupV1Quota(t *testing.T) {
	for _, tc := range []struct {
		quota, period int
		wantCPUs      float64
		wantUsable    int
	}{
		{150000, 100000, 1.5, 2},
		{50000, 100000, 0.5, 1},
		{200000, 100000, 2, 2},
		{-1, 100000, 0, 4}, // -1: unlimited
	} {
		f := v1Machine("/").cfs("/sys/fs/cgroup/cpu", tc.quota, tc.period)
		topo := quotaOf(t, f)
		assert.Equal(t, tc.wantCPUs, topo.Quota.CPUs(), "quota %d/%d", tc.quota, tc.period)
		assert.Equal(t, tc.wantUsable, topo.Usable(), "quota %d/%d", tc.quota, tc.period)
		assert.Empty(t, topo.Warnings)
		if tc.quota > 0 {
			assert.Equal(t, 1, topo.Quota.Version)
			assert.Equal(t, "/sys/fs/cgroup/cpu", topo.Quota.Dir)
		}
	}
}

// A v1 parent tighter than the process's own cgroup wins.
func TestCgroupV1ParentTighter(t *testing.T) {
	f := v1Machine("/jobs/web").
		cfs("/sys/fs/cgroup/cpu", -1, 100000).
		cfs("/sys/fs/cgroup/cpu/jobs", 100000, 100000).
		cfs("/sys/fs/cgroup/cpu/jobs/web", 300000, 100000)
	topo := quotaOf(t, f)
	assert.Equal(t, CPUQuota{Quota: 100000, Period: 100000, Version: 1, Dir: "/sys/fs/cgroup/cpu/jobs"}, topo.Quota)
	assert.Equal(t, 1, topo.Usable())
	assert.Equal(t, "1 CPUs (100000/100000 µs, cgroup v1 /sys/fs/cgroup/cpu/jobs)", topo.Quota.String())
}

func v2Machine(procPath string) fakeFS {
	f := fourCPUs()
	f.file("/proc/self/mountinfo", v2Mountinfo)
	f.file("/proc/self/cgroup", "0::"+procPath)
	return f
}

// cgroup v2: the leaf allows 3 CPUs, its parent 1.5; the Go runtime would
// see only the leaf (golang/go#81180), forage takes the parent.
func TestCgroupV2ParentTighterThanLeaf(t *testing.T) {
	f := v2Machine("/system.slice/app.service")
	f.file("/sys/fs/cgroup/system.slice/cpu.max", "150000 100000")
	f.file("/sys/fs/cgroup/system.slice/app.service/cpu.max", "300000 100000")
	topo := quotaOf(t, f)
	assert.Equal(t, CPUQuota{Quota: 150000, Period: 100000, Version: 2, Dir: "/sys/fs/cgroup/system.slice"}, topo.Quota)
	assert.Equal(t, 1.5, topo.Quota.CPUs())
	assert.Equal(t, 2, topo.Usable())
	assert.Empty(t, topo.Warnings)
}

func TestCgroupV2Max(t *testing.T) {
	f := v2Machine("/a")
	f.file("/sys/fs/cgroup/a/cpu.max", "max 100000")
	topo := quotaOf(t, f)
	assert.False(t, topo.Quota.Limited())
	assert.Equal(t, "unlimited", topo.Quota.String())
	assert.Equal(t, 0, topo.Quota.Ceil())
	assert.Equal(t, 4, topo.Usable())

	// A bare quota uses the kernel's default period of 100 ms.
	f.file("/sys/fs/cgroup/a/cpu.max", "250000")
	assert.Equal(t, 2.5, quotaOf(t, f).Quota.CPUs())

	// Garbage is ignored, not fatal.
	f.file("/sys/fs/cgroup/a/cpu.max", "lots 100000")
	assert.False(t, quotaOf(t, f).Quota.Limited())
}

// Hybrid hosts: a v1 limit applies although cgroup2 is mounted, and the
// tightest of both hierarchies wins.
func TestCgroupHybridTightestOfBoth(t *testing.T) {
	f := v1Machine("/").cfs("/sys/fs/cgroup/cpu", 300000, 100000)
	f.file("/proc/self/cgroup", "1:cpu,cpuacct:/\n0::/box")
	f.file("/sys/fs/cgroup/unified/box/cpu.max", "120000 100000")
	topo := quotaOf(t, f)
	assert.Equal(t, 2, topo.Quota.Version)
	assert.Equal(t, 2, topo.Usable())

	f.file("/sys/fs/cgroup/unified/box/cpu.max", "max 100000")
	topo = quotaOf(t, f)
	assert.Equal(t, 1, topo.Quota.Version)
	assert.Equal(t, 3, topo.Usable())
}

// Inside a container the mount root is the container's cgroup, which
// /proc/self/cgroup names in full; the limit lives at the mount point.
func TestCgroupContainerMountRoot(t *testing.T) {
	f := fourCPUs()
	f.file("/proc/self/mountinfo", `40 31 0:29 /docker/abc /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu,cpuacct`)
	f.file("/proc/self/cgroup", "2:cpu,cpuacct:/docker/abc")
	f.cfs("/sys/fs/cgroup/cpu", 50000, 100000)
	topo := quotaOf(t, f)
	assert.Equal(t, "/sys/fs/cgroup/cpu", topo.Quota.Dir)
	assert.Equal(t, 1, topo.Usable())

	// A cgroup outside the mounted subtree cannot be read: warn, no limit.
	f.file("/proc/self/cgroup", "2:cpu,cpuacct:/docker/other")
	topo = quotaOf(t, f)
	assert.False(t, topo.Quota.Limited())
	require.Len(t, topo.Warnings, 1)
	assert.Contains(t, topo.Warnings[0], "outside")
}

// Permission errors on cgroup or procfs files are not errors.
func TestCgroupUnreadable(t *testing.T) {
	f := v1Machine("/jobs").
		cfs("/sys/fs/cgroup/cpu", 100000, 100000).
		cfs("/sys/fs/cgroup/cpu/jobs", 300000, 100000)

	// The root's quota is denied: the readable leaf still counts.
	denyRoot := deniedFS{FS: fstest.MapFS(f), deny: func(name string) bool {
		return name == "sys/fs/cgroup/cpu/cpu.cfs_quota_us"
	}}
	topo, err := DetectFrom(Source{FS: denyRoot, Mask: mask(0, 1, 2, 3), GOMAXPROCS: 4})
	require.NoError(t, err)
	assert.Equal(t, "/sys/fs/cgroup/cpu/jobs", topo.Quota.Dir)
	assert.Equal(t, 3, topo.Usable())
	require.Len(t, topo.Warnings, 1)
	assert.Contains(t, topo.Warnings[0], "permission denied")

	// Nothing under /proc or the cgroup mount is readable: no limit known.
	denyAll := deniedFS{FS: fstest.MapFS(f), deny: func(name string) bool {
		return strings.HasPrefix(name, "proc/") || strings.HasPrefix(name, "sys/fs/cgroup")
	}}
	topo, err = DetectFrom(Source{FS: denyAll, Mask: mask(0, 1, 2, 3), GOMAXPROCS: 4})
	require.NoError(t, err)
	assert.False(t, topo.Quota.Limited())
	assert.Equal(t, 4, topo.Usable())
	assert.NotEmpty(t, topo.Warnings)
}

func TestCgroupParsers(t *testing.T) {
	v1, v2, has1, has2 := parseProcCgroup("12:cpuset:/x\n4:cpu,cpuacct:/a/b\n0::/c\nbogus\n")
	assert.Equal(t, "/a/b", v1)
	assert.Equal(t, "/c", v2)
	assert.True(t, has1)
	assert.True(t, has2)

	mounts := parseCgroupMounts(hybridMountinfo)
	assert.Equal(t, []cgroupMount{
		{root: "/", point: "/sys/fs/cgroup/cpu"},
		{root: "/", point: "/sys/fs/cgroup/unified", v2: true},
	}, mounts)

	assert.Equal(t, "/sys/fs/my cgroup", unescapeMount(`/sys/fs/my\040cgroup`))
	assert.Equal(t, `a\b`, unescapeMount(`a\134b`))
	assert.Equal(t, `trailing\04`, unescapeMount(`trailing\04`))
	assert.Equal(t, "sys/fs/cgroup", fsPath("/sys/fs/cgroup/"))
	assert.Equal(t, ".", fsPath("/"))

	dir, ok := cgroupDir(cgroupMount{root: "/", point: "/sys/fs/cgroup"}, "/../x")
	assert.False(t, ok, dir)
	_, ok = cgroupDir(cgroupMount{root: "/docker/abc", point: "/c"}, "/docker/abcd")
	assert.False(t, ok)
	dir, ok = cgroupDir(cgroupMount{root: "/docker/abc", point: "/c"}, "/docker/abc/x")
	assert.True(t, ok)
	assert.Equal(t, "/c/x", dir)
}

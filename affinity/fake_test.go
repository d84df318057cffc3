package affinity

import (
	"fmt"
	"io/fs"
	"strings"
	"testing/fstest"
)

// fakeFS builds a fake root file system: sysfs CPU and node trees, procfs
// cgroup files and cgroup hierarchies, as fstest.MapFS paths under "/".
type fakeFS fstest.MapFS

func (f fakeFS) file(name, content string) fakeFS {
	f[strings.TrimPrefix(name, "/")] = &fstest.MapFile{Data: []byte(content + "\n")}
	return f
}

// cpu writes cpuN/topology for an online CPU.
func (f fakeFS) cpu(id, pkg, core int, siblings string) fakeFS {
	dir := fmt.Sprintf("/sys/devices/system/cpu/cpu%d/topology/", id)
	f.file(dir+"physical_package_id", fmt.Sprint(pkg))
	f.file(dir+"core_id", fmt.Sprint(core))
	f.file(dir+"thread_siblings_list", siblings)
	return f
}

// cache writes cpuN/cache/indexI with the given level, type and sharing.
func (f fakeFS) cache(id, index, level int, typ, size, shared string) fakeFS {
	dir := fmt.Sprintf("/sys/devices/system/cpu/cpu%d/cache/index%d/", id, index)
	f.file(dir+"level", fmt.Sprint(level))
	f.file(dir+"type", typ)
	f.file(dir+"size", size)
	f.file(dir+"coherency_line_size", "64")
	f.file(dir+"shared_cpu_list", shared)
	return f
}

func (f fakeFS) node(id int, cpus string) fakeFS {
	return f.file(fmt.Sprintf("/sys/devices/system/node/node%d/cpulist", id), cpus)
}

func (f fakeFS) online(online, offline string) fakeFS {
	f.file("/sys/devices/system/cpu/online", online)
	return f.file("/sys/devices/system/cpu/offline", offline)
}

// twoSocketSMT is 2 packages × 2 cores × 2 threads, CPUs numbered per
// package with the SMT sibling two ids up: package 0 = CPUs 0-3 with cores
// {0,2} and {1,3}; package 1 = CPUs 4-7 with cores {4,6} and {5,7}. Each
// package has its own L3. numaPerSocket adds one NUMA node per package,
// otherwise there is a single node.
func twoSocketSMT(numaPerSocket bool) fakeFS {
	f := fakeFS{}
	f.online("0-7", "")
	for id := range 8 {
		pkg := id / 4
		core := id % 2
		first := pkg*4 + core
		f.cpu(id, pkg, core, fmt.Sprintf("%d,%d", first, first+2))
		f.cache(id, 0, 1, "Data", "32K", fmt.Sprintf("%d,%d", first, first+2))
		f.cache(id, 1, 1, "Instruction", "32K", fmt.Sprintf("%d,%d", first, first+2))
		f.cache(id, 2, 2, "Unified", "1024K", fmt.Sprintf("%d,%d", first, first+2))
		f.cache(id, 3, 3, "Unified", "32768K", fmt.Sprintf("%d-%d", pkg*4, pkg*4+3))
	}
	if numaPerSocket {
		f.node(0, "0-3").node(1, "4-7")
	} else {
		f.node(0, "0-7")
	}
	return f
}

// mask returns a Source.Mask reporting ids.
func mask(ids ...int) func() ([]int, error) {
	return func() ([]int, error) { return ids, nil }
}

// deniedFS fails every Open of a path that deny selects with
// fs.ErrPermission, as sysfs and cgroupfs do for unprivileged readers of
// some files. Embedding the fs.FS interface hides MapFS's ReadFile and
// ReadDir, so every access goes through Open.
type deniedFS struct {
	fs.FS
	deny func(name string) bool
}

func (d deniedFS) Open(name string) (fs.File, error) {
	if d.deny(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return d.FS.Open(name)
}

package affinity

import (
	"errors"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// sysfs reads the kernel's CPU and node description under
// sys/devices/system of an fs.FS rooted at "/". A missing file is normal
// (offline CPUs have no topology directory, VMs often lack node or cache
// directories) and stays silent; any other failure becomes a warning.
type sysfs struct {
	fsys fs.FS
	warn func(format string, args ...any)
}

const cpuDir = "sys/devices/system/cpu"

// read returns the trimmed contents of name, or ok=false.
func (s sysfs) read(name string) (string, bool) {
	b, err := fs.ReadFile(s.fsys, name)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.warn("sysfs: %v", err)
		}
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

// cpuList reads a CPU list file; nil if it is missing or malformed. An
// empty file yields an empty non-nil slice, so "no CPU offline" differs
// from "cannot tell".
func (s sysfs) cpuList(name string) []int {
	v, ok := s.read(name)
	if !ok {
		return nil
	}
	ids, err := ParseCPUList(v)
	if err != nil {
		s.warn("sysfs %s: %v", name, err)
		return nil
	}
	if ids == nil {
		ids = []int{}
	}
	return ids
}

// integer reads a file holding one decimal integer.
func (s sysfs) integer(name string) (int, bool) {
	v, ok := s.read(name)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		s.warn("sysfs %s: %q is not an integer", name, v)
		return 0, false
	}
	return n, true
}

func cpuPath(id int, rest string) string {
	return cpuDir + "/cpu" + strconv.Itoa(id) + "/" + rest
}

// readCPUs fills core id, package id and SMT siblings from
// cpuN/topology. Unknown values keep the defaults set by the caller.
func (s sysfs) readCPUs(cpus []CPU) {
	for i := range cpus {
		c := &cpus[i]
		if v, ok := s.integer(cpuPath(c.ID, "topology/core_id")); ok {
			c.Core = v
		}
		if v, ok := s.integer(cpuPath(c.ID, "topology/physical_package_id")); ok {
			c.Package = v
		}
		// core_cpus_list is the current name (Linux 5.x);
		// thread_siblings_list is the deprecated one older kernels have.
		sib := s.cpuList(cpuPath(c.ID, "topology/core_cpus_list"))
		if sib == nil {
			sib = s.cpuList(cpuPath(c.ID, "topology/thread_siblings_list"))
		}
		if len(sib) > 0 {
			if _, ok := slices.BinarySearch(sib, c.ID); !ok {
				sib = append(sib, c.ID)
				slices.Sort(sib)
			}
			c.Siblings = sib
		}
	}
}

// readNodes maps CPUs to NUMA nodes from node/nodeN/cpulist and returns
// the nodes that hold allowed CPUs.
func (s sysfs) readNodes(cpus []CPU) []Group {
	const nodeDir = "sys/devices/system/node"
	entries, err := fs.ReadDir(s.fsys, nodeDir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.warn("sysfs: %v", err)
		}
		return nil
	}
	index := cpuIndex(cpus)
	var nodes []Group
	for _, e := range entries {
		num, ok := strings.CutPrefix(e.Name(), "node")
		if !ok {
			continue
		}
		id, err := strconv.Atoi(num)
		if err != nil || id < 0 {
			continue
		}
		g := Group{ID: id}
		for _, cpu := range s.cpuList(path.Join(nodeDir, e.Name(), "cpulist")) {
			if i, ok := index[cpu]; ok {
				cpus[i].Node = id
				g.CPUs = append(g.CPUs, cpu)
			}
		}
		if len(g.CPUs) > 0 {
			nodes = append(nodes, g)
		}
	}
	slices.SortFunc(nodes, func(a, b Group) int { return a.ID - b.ID })
	return nodes
}

// llcDir returns the cache/indexN directory of the highest-level data or
// unified cache of a CPU: index3 (the L3) on today's x86 servers, but an
// L2 on many Arm parts and some VMs expose no L3 at all.
func (s sysfs) llcDir(id int) (string, bool) {
	dir := cpuPath(id, "cache")
	entries, err := fs.ReadDir(s.fsys, dir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.warn("sysfs: %v", err)
		}
		return "", false
	}
	best, bestLevel := "", 0
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "index") {
			continue
		}
		d := path.Join(dir, e.Name())
		if t, _ := s.read(d + "/type"); t == "Instruction" {
			continue
		}
		if lvl, ok := s.integer(d + "/level"); ok && lvl > bestLevel {
			best, bestLevel = d, lvl
		}
	}
	return best, best != ""
}

// readLLCs groups the CPUs by shared last-level cache.
func (s sysfs) readLLCs(cpus []CPU) []Group {
	index := cpuIndex(cpus)
	byKey := map[string]*Group{}
	var groups []*Group
	for i := range cpus {
		dir, ok := s.llcDir(cpus[i].ID)
		if !ok {
			continue
		}
		shared := s.cpuList(dir + "/shared_cpu_list")
		if len(shared) == 0 {
			continue
		}
		// A list that omits its own CPU means a broken tree; count the
		// CPU in anyway so that it is not lost from every group.
		if _, ok := slices.BinarySearch(shared, cpus[i].ID); !ok {
			shared = append(shared, cpus[i].ID)
			slices.Sort(shared)
		}
		key := FormatCPUList(shared)
		if byKey[key] == nil {
			g := &Group{}
			for _, cpu := range shared {
				if _, ok := index[cpu]; ok {
					g.CPUs = append(g.CPUs, cpu)
				}
			}
			byKey[key] = g
			groups = append(groups, g)
		}
	}
	slices.SortFunc(groups, func(a, b *Group) int { return a.CPUs[0] - b.CPUs[0] })
	out := make([]Group, len(groups))
	for gi, g := range groups {
		out[gi] = Group{ID: gi, CPUs: g.CPUs}
		for _, cpu := range g.CPUs {
			if cpus[index[cpu]].LLC < 0 {
				cpus[index[cpu]].LLC = gi
			}
		}
	}
	return out
}

// readCoreKinds marks P- and E-cores on hybrid Intel parts, where the
// kernel registers one PMU per core type, each listing its CPUs. cpuid can
// only describe the core the calling thread happens to run on, so the OS
// lists are the reliable source.
func (s sysfs) readCoreKinds(cpus []CPU) {
	index := cpuIndex(cpus)
	for _, k := range []struct {
		file string
		kind CoreKind
	}{
		{"sys/devices/cpu_core/cpus", KindPerformance},
		{"sys/devices/cpu_atom/cpus", KindEfficiency},
	} {
		for _, cpu := range s.cpuList(k.file) {
			if i, ok := index[cpu]; ok {
				cpus[i].Kind = k.kind
			}
		}
	}
}

// fillCacheSizes fills the cache facts cpuid left at zero (non-x86 parts,
// or a cpuid that could not tell) from the first allowed CPU's cache
// directory.
func (s sysfs) fillCacheSizes(p *Processor, id int) {
	dir := cpuPath(id, "cache")
	entries, err := fs.ReadDir(s.fsys, dir)
	if err != nil {
		return // llcDir already warned about anything but absence
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "index") {
			continue
		}
		d := path.Join(dir, e.Name())
		lvl, ok := s.integer(d + "/level")
		if !ok {
			continue
		}
		typ, _ := s.read(d + "/type")
		size := 0
		if v, ok := s.read(d + "/size"); ok {
			size = parseCacheSize(v)
		}
		var field *int
		switch {
		case lvl == 1 && typ == "Instruction":
			field = &p.L1I
		case lvl == 1:
			field = &p.L1D
		case lvl == 2:
			field = &p.L2
		case lvl == 3:
			field = &p.L3
		}
		if field != nil && *field == 0 {
			*field = size
		}
		if p.CacheLine == 0 {
			if n, ok := s.integer(d + "/coherency_line_size"); ok {
				p.CacheLine = n
			}
		}
	}
}

// parseCacheSize parses sysfs cache sizes such as "32K", "1024K", "32M";
// 0 if malformed.
func parseCacheSize(v string) int {
	mult := 1
	switch {
	case strings.HasSuffix(v, "K"):
		mult, v = 1<<10, strings.TrimSuffix(v, "K")
	case strings.HasSuffix(v, "M"):
		mult, v = 1<<20, strings.TrimSuffix(v, "M")
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0
	}
	return n * mult
}

// cpuIndex maps CPU id to its index in cpus.
func cpuIndex(cpus []CPU) map[int]int {
	m := make(map[int]int, len(cpus))
	for i, c := range cpus {
		m[c.ID] = i
	}
	return m
}

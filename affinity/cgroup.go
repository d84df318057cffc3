package affinity

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// CPUQuota is a cgroup CPU bandwidth limit: Quota microseconds of CPU time
// per Period microseconds, i.e. Quota/Period CPUs' worth of time. The zero
// value means no limit.
type CPUQuota struct {
	// Quota and Period are in microseconds; Quota <= 0 means unlimited.
	Quota, Period int64
	// Version is the cgroup version (1 or 2) of the limiting cgroup.
	Version int
	// Dir is the cgroup directory that set the limit, as an absolute path.
	Dir string
}

// Limited reports whether a quota applies.
func (q CPUQuota) Limited() bool { return q.Quota > 0 && q.Period > 0 }

// CPUs is the limit in CPUs (1.5 for 150000/100000); 0 when unlimited.
func (q CPUQuota) CPUs() float64 {
	if !q.Limited() {
		return 0
	}
	return float64(q.Quota) / float64(q.Period)
}

// Ceil is the limit rounded up to whole CPUs (0.5 → 1, 1.5 → 2); 0 when
// unlimited. Rounding up matches the Go runtime: a partial CPU still
// gives a worker useful time, and rounding down would idle paid-for quota.
func (q CPUQuota) Ceil() int {
	if !q.Limited() {
		return 0
	}
	return int((q.Quota + q.Period - 1) / q.Period)
}

// String describes the quota, e.g.
// "1.5 CPUs (150000/100000 µs, cgroup v1 /sys/fs/cgroup/cpu/job)".
func (q CPUQuota) String() string {
	if !q.Limited() {
		return "unlimited"
	}
	return fmt.Sprintf("%g CPUs (%d/%d µs, cgroup v%d %s)", q.CPUs(), q.Quota, q.Period, q.Version, q.Dir)
}

// tighter reports whether q allows less CPU time than r.
func (q CPUQuota) tighter(r CPUQuota) bool {
	if !q.Limited() {
		return false
	}
	if !r.Limited() {
		return true
	}
	return q.CPUs() < r.CPUs()
}

// cgroupMount is one cgroup file system mount from mountinfo.
type cgroupMount struct {
	root, point string // mount root within the hierarchy; mount point
	v2          bool
}

// readQuota finds the tightest CPU quota that applies to this process.
//
// The Go runtime (1.25+) reads only the leaf cgroup (golang/go#81180), and
// cgroup2-only readers miss v1 limits on hybrid hosts such as the one this
// project is developed on. Limits nest: a parent's quota caps every child,
// so this walks from the process's cgroup up to the mount root in both
// the v1 cpu hierarchy and the v2 unified one, keeping the smallest.
// Unreadable files (permission, absence) are skipped: sizing then simply
// does not see that limit.
func readQuota(fsys fs.FS, warn func(string, ...any)) CPUQuota {
	read := func(name string) (string, bool) {
		b, err := fs.ReadFile(fsys, fsPath(name))
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				warn("cgroup: %v", err)
			}
			return "", false
		}
		return strings.TrimSpace(string(b)), true
	}
	self, ok := read("/proc/self/cgroup")
	if !ok {
		return CPUQuota{}
	}
	mountinfo, ok := read("/proc/self/mountinfo")
	if !ok {
		return CPUQuota{}
	}
	v1Path, v2Path, hasV1, hasV2 := parseProcCgroup(self)

	var best CPUQuota
	for _, m := range parseCgroupMounts(mountinfo) {
		cg, has := v1Path, hasV1
		if m.v2 {
			cg, has = v2Path, hasV2
		}
		if !has {
			continue
		}
		dir, ok := cgroupDir(m, cg)
		if !ok {
			warn("cgroup: %s is outside the %s mount of %s; its quota is not visible", cg, m.point, m.root)
			continue
		}
		for {
			var q CPUQuota
			if m.v2 {
				q = readCPUMax(read, dir)
			} else {
				q = readCFS(read, dir)
			}
			if q.tighter(best) {
				best = q
			}
			parent := path.Dir(dir)
			if dir == path.Clean(m.point) || parent == dir {
				break
			}
			dir = parent
		}
	}
	return best
}

// readCPUMax reads a v2 cpu.max ("max 100000" or "150000 100000").
func readCPUMax(read func(string) (string, bool), dir string) CPUQuota {
	v, ok := read(path.Join(dir, "cpu.max"))
	if !ok {
		return CPUQuota{}
	}
	f := strings.Fields(v)
	if len(f) == 0 || f[0] == "max" {
		return CPUQuota{}
	}
	q := CPUQuota{Period: 100000, Version: 2, Dir: dir} // the kernel default period
	var err error
	if q.Quota, err = strconv.ParseInt(f[0], 10, 64); err != nil {
		return CPUQuota{}
	}
	if len(f) > 1 {
		if q.Period, err = strconv.ParseInt(f[1], 10, 64); err != nil {
			return CPUQuota{}
		}
	}
	return q
}

// readCFS reads v1 cpu.cfs_quota_us (-1 = unlimited) and cpu.cfs_period_us.
func readCFS(read func(string) (string, bool), dir string) CPUQuota {
	qs, ok := read(path.Join(dir, "cpu.cfs_quota_us"))
	if !ok {
		return CPUQuota{}
	}
	ps, ok := read(path.Join(dir, "cpu.cfs_period_us"))
	if !ok {
		return CPUQuota{}
	}
	quota, err1 := strconv.ParseInt(qs, 10, 64)
	period, err2 := strconv.ParseInt(ps, 10, 64)
	if err1 != nil || err2 != nil {
		return CPUQuota{}
	}
	return CPUQuota{Quota: quota, Period: period, Version: 1, Dir: dir}
}

// parseProcCgroup reads /proc/self/cgroup ("hierarchy:controllers:path"
// per line): the path in the v1 hierarchy carrying the cpu controller,
// and the v2 path (the "0::" line).
func parseProcCgroup(s string) (v1, v2 string, hasV1, hasV2 bool) {
	for line := range strings.SplitSeq(s, "\n") {
		id, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		ctrls, p, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		if id == "0" && ctrls == "" {
			v2, hasV2 = p, true
			continue
		}
		for c := range strings.SplitSeq(ctrls, ",") {
			if c == "cpu" {
				v1, hasV1 = p, true
			}
		}
	}
	return v1, v2, hasV1, hasV2
}

// parseCgroupMounts extracts cgroup mounts from /proc/self/mountinfo:
// "id parent maj:min root point opts [optional...] - fstype source superopts".
// For v1 only hierarchies with the cpu controller are kept.
func parseCgroupMounts(s string) []cgroupMount {
	var out []cgroupMount
	for line := range strings.SplitSeq(s, "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 1 {
			continue
		}
		m := cgroupMount{root: unescapeMount(pf[3]), point: unescapeMount(pf[4])}
		switch qf[0] {
		case "cgroup2":
			m.v2 = true
		case "cgroup":
			if len(qf) < 3 || !hasOption(qf[2], "cpu") {
				continue
			}
		default:
			continue
		}
		out = append(out, m)
	}
	return out
}

// cgroupDir maps a cgroup path to its directory under mount m, if the
// mount shows it (a container sees only its own subtree).
func cgroupDir(m cgroupMount, cg string) (string, bool) {
	rel := cg
	if m.root != "/" {
		r, ok := strings.CutPrefix(cg, m.root)
		if !ok || (r != "" && r[0] != '/') {
			return "", false
		}
		rel = r
	}
	// The kernel writes "/.." paths for cgroups above the reader's cgroup
	// namespace root; they have no directory under the mount.
	for elem := range strings.SplitSeq(rel, "/") {
		if elem == ".." {
			return "", false
		}
	}
	return path.Join(m.point, rel), true
}

func hasOption(opts, want string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// fsPath turns an absolute path into an fs.FS name rooted at "/".
func fsPath(abs string) string {
	p := strings.TrimPrefix(path.Clean("/"+abs), "/")
	if p == "" {
		return "."
	}
	return p
}

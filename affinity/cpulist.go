package affinity

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxCPUListID bounds the CPU ids ParseCPUList accepts. The kernel's
// NR_CPUS is at most 8192 today; the bound exists so a corrupt or hostile
// file such as "0-4000000000" cannot make the parser allocate gigabytes.
const MaxCPUListID = 1 << 16

// ParseCPUList parses the kernel's CPU list format ("0-3,8,10-11"), the
// format of sysfs *_list files, cgroup cpuset.cpus and Cpus_allowed_list.
// It returns the ids sorted ascending without duplicates. Surrounding
// whitespace, including the trailing newline every sysfs file has, is
// ignored, and an empty list yields an empty (nil) slice, because an offline
// CPU's or an empty node's list file is legitimately empty.
func ParseCPUList(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	// Collect ranges and merge them before expanding, so that a list that
	// repeats a huge range ("0-65536,0-65536,...") costs one expansion.
	var ranges [][2]int
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("affinity: CPU list %q: empty element", s)
		}
		lo, hi, err := parseCPURange(part)
		if err != nil {
			return nil, fmt.Errorf("affinity: CPU list %q: %w", s, err)
		}
		ranges = append(ranges, [2]int{lo, hi})
	}
	slices.SortFunc(ranges, func(a, b [2]int) int { return a[0] - b[0] })
	var ids []int
	next := 0 // lowest id not yet emitted
	for _, r := range ranges {
		for id := max(r[0], next); id <= r[1]; id++ {
			ids = append(ids, id)
		}
		next = max(next, r[1]+1)
	}
	return ids, nil
}

// parseCPURange parses one element of a CPU list: "N" or "N-M".
func parseCPURange(part string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(part, "-")
	if lo, err = parseCPUID(a); err != nil {
		return 0, 0, err
	}
	hi = lo
	if isRange {
		if hi, err = parseCPUID(b); err != nil {
			return 0, 0, err
		}
		if hi < lo {
			return 0, 0, fmt.Errorf("range %d-%d runs backwards", lo, hi)
		}
	}
	return lo, hi, nil
}

// parseCPUID parses one non-negative decimal CPU id no larger than
// MaxCPUListID. Signs are rejected because "-1" would otherwise be
// indistinguishable from a range.
func parseCPUID(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("bad CPU id %q", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("bad CPU id %q", s)
	}
	if n > MaxCPUListID {
		return 0, fmt.Errorf("CPU id %d exceeds %d", n, MaxCPUListID)
	}
	return n, nil
}

// FormatCPUList formats ids in the kernel's CPU list format, collapsing
// runs into ranges ("0-3,8"). The input need not be sorted; duplicates are
// dropped. It is the inverse of ParseCPUList for any sorted, duplicate-free
// input, and an empty input formats as "".
func FormatCPUList(ids []int) string {
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	var b strings.Builder
	for i := 0; i < len(sorted); {
		j := i
		for j+1 < len(sorted) && sorted[j+1] == sorted[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(sorted[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(sorted[j]))
		}
		i = j + 1
	}
	return b.String()
}

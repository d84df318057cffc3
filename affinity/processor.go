package affinity

import "github.com/klauspost/cpuid/v2"

// Processor holds facts from the cpuid instruction (or its equivalents on
// other architectures), with zero cache sizes filled in from sysfs.
//
// It deliberately has no CPU or core counts: cpuid describes the package
// and the hypervisor's view, and ignores affinity masks, cpusets, offline
// CPUs and quotas (under taskset -c 1 it still reports 2 cores here), and
// its thread ids are list indexes, not OS CPU ids. Counts and ids come from
// the OS only.
type Processor struct {
	// Vendor is the vendor string, e.g. "AuthenticAMD".
	Vendor string
	// Brand is the marketing name, e.g. "AMD EPYC 9R14".
	Brand string
	// Hypervisor names the hypervisor when running virtualised ("KVM").
	Hypervisor string
	// CacheLine is the cache line size in bytes; 0 if unknown. Per-worker
	// hot fields should be padded to it to avoid false sharing.
	CacheLine int
	// L1D, L1I, L2 and L3 are cache sizes in bytes; 0 if unknown.
	L1D, L1I, L2, L3 int
	// Hybrid is set on parts with more than one core type (P/E cores);
	// CPU.Kind says which CPU is which.
	Hybrid bool
}

// readCPUID collects the Processor facts of the running machine.
func readCPUID() Processor {
	c := cpuid.CPU
	p := Processor{
		Vendor:    c.VendorString,
		Brand:     c.BrandName,
		CacheLine: c.CacheLine,
		L1D:       max(c.Cache.L1D, 0), // cpuid uses -1 for unknown
		L1I:       max(c.Cache.L1I, 0),
		L2:        max(c.Cache.L2, 0),
		L3:        max(c.Cache.L3, 0),
		Hybrid:    c.Supports(cpuid.HYBRID_CPU),
	}
	if p.Vendor == "" && c.VendorID != cpuid.VendorUnknown {
		p.Vendor = c.VendorID.String()
	}
	if c.HypervisorVendorID != cpuid.VendorUnknown {
		p.Hypervisor = c.HypervisorVendorID.String()
	} else {
		p.Hypervisor = c.HypervisorVendorString
	}
	return p
}

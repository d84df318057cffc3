package suite

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Machine describes where the suite ran.
type Machine struct {
	Model      string // /proc/cpuinfo model name
	CPUs       int    // processors listed in /proc/cpuinfo (0 if unreadable)
	NumCPU     int    // runtime.NumCPU: the CPUs this process may use
	GOMAXPROCS int    // the default GOMAXPROCS of the parent process
	GoVersion  string
	OS, Arch   string
	Kernel     string
	LoadBefore string // /proc/loadavg when the suite started
	LoadAfter  string // and when it ended
	Date       time.Time
}

// Name is a one-line description of the machine.
func (m Machine) Name() string {
	s := m.Model
	if s == "" {
		s = "unknown CPU"
	}
	n := m.CPUs
	if n == 0 {
		n = m.NumCPU
	}
	return strings.TrimSpace(s) + ", " + strconv.Itoa(n) + " CPUs, " + m.GoVersion + " " + m.OS + "/" + m.Arch
}

// DescribeMachine reads what the suite reports about the machine.
func DescribeMachine() Machine {
	m := Machine{
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		LoadBefore: loadavg(),
		Date:       time.Now().UTC(),
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if !ok {
				continue
			}
			switch strings.TrimSpace(k) {
			case "processor":
				m.CPUs++
			case "model name", "Model", "cpu model":
				if m.Model == "" {
					m.Model = strings.TrimSpace(v)
				}
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// loadavg returns the first three fields of /proc/loadavg, or "".
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) > 3 {
		f = f[:3]
	}
	return strings.Join(f, " ")
}

// otherCPUBusy samples /proc/stat over d, while this process waits, and
// returns how many CPUs were busy on average (ok false without /proc/stat).
func otherCPUBusy(d time.Duration) (busy float64, ok bool) {
	busy0, total0, ok0 := cpuTicks()
	time.Sleep(d) // a sampling interval, not a wait for an event
	busy1, total1, ok1 := cpuTicks()
	if !ok0 || !ok1 || total1 <= total0 {
		return 0, false
	}
	return float64(busy1-busy0) / float64(total1-total0) * float64(runtime.NumCPU()), true
}

// cpuTicks reads the aggregate "cpu" line of /proc/stat: ticks spent busy
// (everything but idle and iowait) and in total.
func cpuTicks() (busy, total uint64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, false
	}
	for i, s := range f[1:] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total, true
}

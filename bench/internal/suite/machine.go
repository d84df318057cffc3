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

//go:build linux

package scheduler_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/forage-go/forage/affinity"
	"github.com/forage-go/forage/scheduler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// threadCPUs reads the calling thread's allowed CPUs from the kernel.
func threadCPUs(t *testing.T) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/status", unix.Gettid()))
	require.NoError(t, err)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("no Cpus_allowed_list in status")
	return ""
}

func TestPinnedWorkersRunOnTheirCPU(t *testing.T) {
	topo, err := affinity.Detect()
	require.NoError(t, err)
	cpu := topo.Allowed[len(topo.Allowed)-1]
	p, err := scheduler.New(scheduler.WithWorkers(2), scheduler.WithPinning(affinity.CPUs(cpu)))
	require.NoError(t, err)
	for _, ps := range p.Pins() {
		assert.NoError(t, ps.Err)
		assert.Equal(t, cpu, ps.CPU)
	}
	seen := make([]string, 2)
	// Each worker reports the mask of the thread it runs on, from the kernel.
	for range 50 {
		p.Run(func(w *scheduler.Worker) {
			w.Join(func(w *scheduler.Worker) { seen[w.ID()] = threadCPUs(t) },
				func(w *scheduler.Worker) { seen[w.ID()] = threadCPUs(t) })
		})
	}
	ran := 0
	for id, s := range seen {
		if s != "" {
			ran++
			assert.Equal(t, fmt.Sprint(cpu), s, "worker %d", id)
		}
	}
	require.Positive(t, ran, "no worker reported its mask")
	require.NoError(t, p.Close())
}

func TestPinnedThreadsDoNotLeakAfterClose(t *testing.T) {
	topo, err := affinity.Detect()
	require.NoError(t, err)
	if len(topo.Allowed) < 2 {
		t.Skip("needs two allowed CPUs to tell a narrowed mask from the full one")
	}
	full := affinity.FormatCPUList(topo.Allowed)
	p, err := scheduler.New(scheduler.WithWorkers(2), scheduler.WithPinning(affinity.CPUs(topo.Allowed[0])))
	require.NoError(t, err)
	p.Run(func(*scheduler.Worker) {})
	require.NoError(t, p.Close())
	// The pinned threads exited locked, so the runtime destroyed them: no
	// later goroutine may find itself on a narrowed thread.
	results := make(chan string, 200)
	for range 200 {
		go func() {
			var set unix.CPUSet
			if err := unix.SchedGetaffinity(0, &set); err != nil {
				results <- err.Error()
				return
			}
			results <- fmt.Sprint(set.Count())
		}()
	}
	for range 200 {
		assert.Equal(t, fmt.Sprint(len(topo.Allowed)), <-results, "a goroutine ran on a thread narrowed from %s", full)
	}
}

func TestPinningErrorsNameTheCPU(t *testing.T) {
	topo, err := affinity.Detect()
	require.NoError(t, err)
	bad := topo.Allowed[len(topo.Allowed)-1] + 1000
	_, err = scheduler.New(scheduler.WithWorkers(1), scheduler.WithPinning(affinity.CPUs(bad)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("CPU %d", bad))
	assert.Contains(t, err.Error(), affinity.FormatCPUList(topo.Allowed))
	_, err = scheduler.New(scheduler.WithWorkers(len(topo.Allowed)+1), scheduler.WithPinning(affinity.Compact))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WithPinning(compact)")
}

func TestDefaultWorkersFollowTheMask(t *testing.T) {
	// The default size comes from the CPUs detected at startup: it never
	// exceeds GOMAXPROCS or the affinity mask.
	topo, err := affinity.Detect()
	require.NoError(t, err)
	t.Setenv(scheduler.EnvWorkers, "")
	p, err := scheduler.New()
	require.NoError(t, err)
	defer p.Close()
	assert.Equal(t, topo.Usable(), p.Workers())
}

// TestDefaultWorkersUnderTaskset runs this test binary again under
// `taskset -c 0`: the child's default pool must have one worker.
func TestDefaultWorkersUnderTaskset(t *testing.T) {
	if os.Getenv("FORAGE_TASKSET_CHILD") != "" {
		p, err := scheduler.New()
		require.NoError(t, err)
		defer p.Close()
		fmt.Printf("workers=%d\n", p.Workers())
		return
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		t.Skip("taskset not installed")
	}
	cmd := exec.Command(taskset, "-c", "0", os.Args[0], "-test.run=^TestDefaultWorkersUnderTaskset$")
	cmd.Env = append(os.Environ(), "FORAGE_TASKSET_CHILD=1", scheduler.EnvWorkers+"=")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "workers=1")
}

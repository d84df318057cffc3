package foragec

import (
	"fmt"
	"testing"

	"github.com/forage-go/forage/bench/internal/work"
)

// BenchmarkWorkloads times the serial reference and forage at 1 and 2
// workers on each recursive workload at full size, in one process, for
// profiling a kernel's shape (go test -bench Workloads/nqueens -cpuprofile).
// The suite (cmd/forage-bench) remains the measurement of record.
func BenchmarkWorkloads(b *testing.B) {
	for _, name := range []string{"fib", "fibcut", "nqueens", "uts-t1", "uts-t3"} {
		wl, err := work.New(name, work.Full)
		if err != nil {
			b.Fatal(err)
		}
		wl.Setup()
		b.Run(fmt.Sprintf("%s/impl=serial", name), func(b *testing.B) {
			for b.Loop() {
				wl.Reset()
				if err := wl.Verify(wl.Serial()); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/impl=forage-%dw", name, workers), func(b *testing.B) {
				e, err := Contender().Start(wl, workers)
				if err != nil {
					b.Fatal(err)
				}
				defer e.Close()
				for b.Loop() {
					wl.Reset()
					if err := wl.Verify(e.Run(wl)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

//go:build linux

package scheduler_test

import (
	"fmt"
	"testing"

	"github.com/forage-go/forage/affinity"
	"github.com/forage-go/forage/scheduler"
)

// BenchmarkPinning runs fib(27) and the unbalanced tree through Func at 2
// workers with and without pinning, side by side (benchstat -col /pin). On a
// small shared VM pinning is not expected to pay; docs/affinity.md reports
// what it does here.
func BenchmarkPinning(b *testing.B) {
	topo, err := affinity.Detect()
	if err != nil || len(topo.Allowed) < 2 {
		b.Skip("needs two allowed CPUs")
	}
	root := utsNode{h: mix64(utsRoot)}
	for _, pin := range []affinity.Policy{affinity.None, affinity.Compact} {
		newPool := func(b *testing.B) *scheduler.Pool {
			p, err := scheduler.New(scheduler.WithWorkers(2), scheduler.WithPinning(pin))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = p.Close() })
			return p
		}
		b.Run(fmt.Sprintf("work=fib27/pin=%s", pin), func(b *testing.B) {
			p := newPool(b)
			for b.Loop() {
				p.Run(func(w *scheduler.Worker) { sinkInt = fibFunc.Call(w, 27) })
			}
			checkFib(b, 27)
		})
		b.Run(fmt.Sprintf("work=tree/pin=%s", pin), func(b *testing.B) {
			p := newPool(b)
			for b.Loop() {
				p.Run(func(w *scheduler.Worker) { sinkInt = utsFunc.Call(w, root) })
			}
			checkNodes(b, utsNodes)
		})
	}
}

package scheduler_test

import (
	"sync/atomic"
	"testing"

	"github.com/forage-go/forage/scheduler"
	"github.com/stretchr/testify/require"
)

var fibFunc *scheduler.Func[int, int]

func init() {
	fibFunc = scheduler.NewFunc(func(w *scheduler.Worker, n int) int {
		if n < 2 {
			return n
		}
		a, b := fibFunc.Join(w, n-1, n-2)
		return a + b
	})
}

func fibSerial(n int) int {
	if n < 2 {
		return n
	}
	return fibSerial(n-1) + fibSerial(n-2)
}

func fibJoin(w *scheduler.Worker, n int) int {
	if n < 2 {
		return n
	}
	var a, b int
	w.Join(func(w *scheduler.Worker) { a = fibJoin(w, n-1) }, func(w *scheduler.Worker) { b = fibJoin(w, n-2) })
	return a + b
}

func TestSmoke(t *testing.T) {
	for _, n := range []int{1, 2, 8, 32} {
		p, err := scheduler.New(scheduler.WithWorkers(n))
		require.NoError(t, err)
		var r1, r2 int
		p.Run(func(w *scheduler.Worker) { r1 = fibFunc.Call(w, 20) })
		p.Run(func(w *scheduler.Worker) { r2 = fibJoin(w, 18) })
		require.Equal(t, fibSerial(20), r1)
		require.Equal(t, fibSerial(18), r2)
		var cnt atomic.Int64
		for i := 0; i < 1000; i++ {
			require.NoError(t, p.Submit(func(*scheduler.Worker) { cnt.Add(1) }))
		}
		require.NoError(t, p.Close())
		require.EqualValues(t, 1000, cnt.Load())
		require.ErrorIs(t, p.Submit(func(*scheduler.Worker) {}), scheduler.ErrClosed)
		t.Logf("workers=%d stats=%+v", n, p.Stats().Total)
	}
}

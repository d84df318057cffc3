package scheduler

import (
	"fmt"

	"github.com/forage-go/forage/affinity"
	"os"
	"strconv"
	"strings"
)

// maxWorkers bounds WithWorkers and FORAGE_WORKERS: far above any machine
// Go runs on, low enough that a typo such as 1e9 fails instead of starting a
// billion goroutines.
const maxWorkers = 1 << 16

// EnvWorkers names the environment variable that overrides the default
// worker count, like Rayon's RAYON_NUM_THREADS. WithWorkers overrides it.
const EnvWorkers = "FORAGE_WORKERS"

// Option configures a Pool; pass options to New.
type Option func(*config) error

type config struct {
	workers      int // 0: default
	panicHandler func(*PanicError)
	pinning      affinity.Policy
}

// WithWorkers sets the number of worker goroutines, from 1 to 65536. Without
// it, New uses FORAGE_WORKERS if set, else the number of CPUs this process
// may use (affinity mask, CPU quota and GOMAXPROCS; see package affinity).
func WithWorkers(n int) Option {
	return func(c *config) error {
		if n < 1 || n > maxWorkers {
			return fmt.Errorf("forage: WithWorkers(%d): the worker count must be between 1 and %d", n, maxWorkers)
		}
		c.workers = n
		return nil
	}
}

// WithPanicHandler sets the function that receives the panic of a task given
// to Submit. Without a handler such panics are collected and returned by
// Close. Panics inside Run, Join, Scope and Func propagate to their caller
// and never reach the handler. The handler runs on the worker that ran the
// task; a panic inside the handler itself is collected for Close.
func WithPanicHandler(h func(*PanicError)) Option {
	return func(c *config) error {
		if h == nil {
			return fmt.Errorf("forage: WithPanicHandler(nil): the handler must not be nil")
		}
		c.panicHandler = h
		return nil
	}
}

// envWorkers reads FORAGE_WORKERS: 0 when unset or empty.
func envWorkers() (int, error) {
	s := strings.TrimSpace(os.Getenv(EnvWorkers))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxWorkers {
		return 0, fmt.Errorf("forage: %s=%q: want a whole number from 1 to %d", EnvWorkers, s, maxWorkers)
	}
	return n, nil
}

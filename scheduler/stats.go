package scheduler

import "sync/atomic"

// Stats is a snapshot of a pool's counters. Counts are published by each
// worker every 1024 jobs and whenever it runs out of work, so a snapshot of
// a busy pool may lag slightly; after the pool has gone idle it is exact.
type Stats struct {
	Workers []WorkerStats // indexed by Worker.ID
	Total   WorkerStats   // the sum over workers
}

// WorkerStats counts what one worker did.
type WorkerStats struct {
	Tasks         uint64 // jobs run: forks that were stolen or popped, submitted tasks, Runs
	StealAttempts uint64 // steal attempts on another worker's deque
	Steals        uint64 // successful steals
	Parks         uint64 // times the worker parked for lack of work
	Wakeups       uint64 // times it was woken from parking
	Injected      uint64 // trips to the injector that returned work
}

func (s *WorkerStats) add(o WorkerStats) {
	s.Tasks += o.Tasks
	s.StealAttempts += o.StealAttempts
	s.Steals += o.Steals
	s.Parks += o.Parks
	s.Wakeups += o.Wakeups
	s.Injected += o.Injected
}

// workerStats: plain counters the owner bumps (no atomic read-modify-write
// per task), and atomic copies it publishes now and then for Stats readers.
type workerStats struct {
	tasks, stealAttempts, steals, parks, wakeups, injected uint64
	pub                                                    [6]atomic.Uint64
}

// publish copies the owner's counters where Stats can read them. Owner only.
func (s *workerStats) publish() {
	// Plain atomic stores: single writer, readers only need a recent value.
	s.pub[0].Store(s.tasks)
	s.pub[1].Store(s.stealAttempts)
	s.pub[2].Store(s.steals)
	s.pub[3].Store(s.parks)
	s.pub[4].Store(s.wakeups)
	s.pub[5].Store(s.injected)
}

func (s *workerStats) snapshot() WorkerStats {
	return WorkerStats{
		Tasks: s.pub[0].Load(), StealAttempts: s.pub[1].Load(), Steals: s.pub[2].Load(),
		Parks: s.pub[3].Load(), Wakeups: s.pub[4].Load(), Injected: s.pub[5].Load(),
	}
}

package scheduler

// Test-only access to internals, for the external tests (package
// scheduler_test). Keep this file tiny: it breaks when the internals move.

// SleepingWorkers reports how many of p's workers have announced that they
// park (parked, or between the announcement and the park): the sleep test
// uses it to know that the pool went fully idle before it submits.
func SleepingWorkers(p *Pool) int { return int(sleepingOf(p.sleep.state.Load())) }

// ForkDequeLen reports how many forks w has on offer in its fork deque: the
// splitting tests check latent.go's rule that it is at most one.
func ForkDequeLen(w *Worker) int { return w.deque.Len() }

// AlwaysOffer is true in the forage_alwayspush build, which offers every
// fork at once.
const AlwaysOffer = alwaysOffer

// LatentBudget is how many unpromoted forks a frame stack records.
const LatentBudget = latentBudget

// MaxLatentBudget and BudgetRelax bound and relax a raised budget
// (latent.go, "The budget adapts").
const (
	MaxLatentBudget = maxLatentBudget
	BudgetRelax     = budgetRelax
)

// StackBudget reports the current latent budget of w's frame stack for f.
// Call it from a task running on w.
func StackBudget[A, R any](f *Func[A, R], w *Worker) int { return f.stackFor(w).budget }

// ClosureBudget reports the latent budget of w's frame stack for closure
// joins (Worker.Join). Call it from a task running on w.
func ClosureBudget(w *Worker) int {
	if w.closureStack == nil {
		return latentBudget
	}
	return w.closureStack.budget
}

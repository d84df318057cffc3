package scheduler

// Latent forks and oldest-first promotion: the splitting policy.
//
// Making every fork stealable (pushing it on the Chase-Lev deque) costs two
// sequentially consistent atomics per fork, ~10 ns here — more than a whole
// fib call. Making a fork stealable only when the deque is empty (lazy binary
// splitting) is nearly free, but what it offers thieves is the *youngest*
// fork, deep in the recursion, which on unbalanced trees is usually tiny:
// thieves then spend their time stealing crumbs.
//
// forage records forks as latent in a private per-worker frame stack
// (plain stores, no atomics) and keeps exactly one fork on offer: at a fork,
// if the worker's deque is empty, it promotes the *oldest* latent fork, the
// one nearest the root of the current task, which is the largest piece it
// can offer (lazy binary splitting, Tzannes et al. PPoPP 2010, but offering
// the oldest fork instead of the newest, in the spirit of heartbeat
// scheduling, Acar et al. PLDI 2018). The deque empties only when a thief
// takes the offer or the owner reaches that fork's join, so promotions are
// rare: once per steal, and a few per return to an offered join. A fork that
// was never promoted runs as a plain call when its join comes; a promoted
// one is popped back or, if it was stolen, waited for while helping.
//
// Only the oldest latent forks matter, so a stack records at most its budget
// of unpromoted ones (frames[lo:depth]: latentBudget, raised while thieves
// keep taking the offers, see "The budget adapts" below); a fork made while
// that many are latent is not recorded at all: Join runs it as two plain
// calls, with no frame, no guard and no store (about 2 ns over serial code
// instead of about 7). Such a fork can never be offered: once thieves have
// taken the recorded ones, the next offers are forks recorded later, deeper
// in the recursion and smaller, until the older joins return (UTS T3 steals
// about 5,000 times per run instead of about 370, at the same speed; a budget
// of 16 or 64 changed neither T3 nor fib(35) with cutoff 20). A frame leaves
// the stack when its second call starts inline, so the stack holds only joins
// whose first call runs (or whose stolen second call is awaited), and
// recording resumes as soon as one of them reaches its join.
//
// An earlier version promoted only when the sleep state showed a hungry
// worker. That left a fork made while every worker was busy latent until
// the owner forked again: a worker that went idle later found nothing, while
// the owner ran a long leaf and then the fork itself (the scheduler tests'
// TestJoinForkServesLaterIdleWorker).
//
// Why popping back works: promotion happens only while the owner's deque is
// empty, so the deque holds at most one promoted fork, and each frame stack
// promotes its frames oldest first (frames[:lo]). When the owner reaches the
// join of a promoted fork, every younger fork has been joined already, and
// every older promoted fork of the same stack was promoted earlier, so it
// left the deque (stolen) before this one entered. The deque therefore holds
// this fork or nothing — or, rarely, an older fork of another Func's stack,
// promoted by a nested join after this one was stolen; reclaim runs it on
// the way, which is always allowed: a promoted fork may run before its join
// comes. (Tasks the worker queues for itself — SpawnFrom, the rest of an
// injector batch — go to its separate task deque, Worker.tasks, so they
// neither suppress an offer nor delay a join.)

// reclaim completes a promoted fork j at its join: pop it back (true: the
// caller runs it inline), or wait for its thief while helping (false). A job
// popped on the way that is not j is another stack's promoted fork, which
// this worker may run now as well as later: run it and look again.
func (w *Worker) reclaim(j *job) bool {
	for {
		t, ok := w.deque.Pop()
		if !ok {
			w.waitFor(j)
			return false
		}
		if t == j {
			return true
		}
		w.execute(t)
	}
}

// latentBudget bounds the unpromoted forks a frame stack records. A fork
// past it runs as a plain pair of calls that touches no frame. Measured
// with fib(30) and the unbalanced tree (BenchmarkFib30, ...UnbalancedTree;
// medians of 3 interleaved processes, ns per fork / per node, 1 and 2
// workers; before joinRecorded was split out of Join):
//
//	budget   fib 1w  fib 2w  tree 1w  tree 2w
//	2        5.65    2.88    8.56     4.45
//	4        5.77    2.84    8.54     4.42
//	8        6.30    3.24    8.60     4.51
//	16       9.97    5.09    8.71     4.50
//
// latentBudget is where every frame stack starts; see maxLatentBudget.
const latentBudget = 4

// The budget adapts. Four latent forks are plenty while thieves come
// rarely, but on a nearly critical tree (BenchmarkUnbalancedTreeRef: a
// node has 0.9999 children on average) two workers take an offer some
// 23,000 times per walk, mostly a crumb, and the owner often reaches the
// join of a fork it has just offered while the thief still holds it; both
// workers then wait for each other's next fork. A larger stock of latent
// forks keeps older forks on offer, whose first calls have run long and,
// the sizes being heavy-tailed, are likely to run long yet. A fixed budget
// of 16 halved the steals there and cut the walk by 5%, but tripled fib's
// time per fork: fib's recorded joins finish their first calls quickly, so
// the budget refills with forks near the leaves, and most forks are
// recorded (fib(30) at 1 worker, eighth session: 14.7 against 4.9 ns/fork
// through Join, 15.3 against 4.1 through the Func.Inline idiom; the table
// above is older). So a stack starts at latentBudget and doubles its
// budget, up to maxLatentBudget, each time its owner reaches the join of a
// fork a thief took (takeStolen), and halves it again after budgetRelax
// recorded forks without one (relax). fib steals a
// handful of times per run and stays at 4; the nearly critical tree stays
// near 16.
//
// maxLatentBudget bounds the raised budget. Measured on the reference tree
// (2 workers, Func.Inline, interleaved processes, the four rounds before
// the host's slow phase, ns/node): 12: 4.12–4.39, 16: 4.02–4.10, 24:
// 4.22–4.72, against 4.24–4.29 for a fixed 4.
const maxLatentBudget = 16

// budgetRelax is how many forks a stack with a raised budget records without
// reaching the join of a stolen fork before halving it. 256, 1024, 4096 and
// 16384 measured the same on the reference tree; fib never raises it for
// long.
const budgetRelax = 1024

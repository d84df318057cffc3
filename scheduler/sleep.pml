/*
 * sleep.pml: a SPIN (Promela) model of the park/wake protocol in sleep.go,
 * as the worker loop in worker.go drives it.
 *
 * Verify:   scripts/model.sh   (or: make model)
 * Safety:   spin -a scheduler/sleep.pml && gcc -O2 -DSAFETY -DNOCLAIM -o pan pan.c && ./pan -m100000
 * Liveness: spin -a scheduler/sleep.pml && gcc -O2 -o pan pan.c && ./pan -m100000 -a -f
 * Mutants:  add -DMUTANT_NO_RECHECK to spin (park without the re-check): must fail;
 *           -DWAITING_JOB -DNFORKS=0 -DMUTANT_NO_HANDOFF (see below): must fail;
 *           -DWAITING_JOB -DNFORKS=0 -DMUTANT_NO_BATCH_NOTIFY (takeInjected
 *           without the notify after pushing its batch): must fail.
 *
 * Modelled: two workers running Worker.loop, one external goroutine that
 * Submits NJOBS jobs (inject.push, then sleeper.notify), and the first job
 * to run forks one child (Worker.push: deque push, then notify), so all three
 * kinds of publisher appear: Submit, a worker's fork, and takeInjected moving
 * a batch into its deque (after a moment in which the batch is in no queue). Wake-ups come from notify and from stopSearch.
 *
 * Abstractions (docs/model.md says why each is sound for this property):
 *   - a deque is its length: Pop, TrySteal and Len are single atomic steps
 *     (deque.pml checks that the deque is linearizable); TrySteal's Retry
 *     is not modelled; a worker's two deques (Worker.deque for forks,
 *     Worker.tasks for SpawnFrom and injector batches) are one length;
 *   - the injector is its count; take (empty() check, then the fair share
 *     count/workers+1, at most the limit, under the lock) is one atomic step;
 *     the rest of the batch then sits in the taker's hands until it pushes
 *     it onto its own deque one job at a time, and notifies;
 *   - sleeper.mu critical sections (register, unregister, wakeOne's list
 *     part) are single atomic steps: everything they touch besides state is
 *     guarded by mu, and state's add is their only lock-free-visible action;
 *   - w.pool.searchRounds (32; 512 when pinned) is ROUNDS (default 1): each round repeats the same
 *     loads, and the re-check before parking repeats them once more;
 *   - Close/stopping, panics, contexts, Join's latch parking (waitFor) and
 *     the startSearch cap's exact arithmetic beyond two workers are not
 *     modelled.
 *
 * With -DWAITING_JOB (and -DNFORKS=0) the first job to run blocks its
 * worker until another job has started, as a task that waits on a channel
 * does: then stopSearch's hand-off (wake a sleeper when the last searcher
 * finds work) is what keeps the second job from being stranded, and the
 * mutant MUTANT_NO_HANDOFF (stopSearch without it) must fail.
 *
 * Property: when nothing can move any more (every worker is parked and the
 * submitter is done: SPIN's timeout), no job is queued anywhere (assertion
 * in Monitor), and every job ran. Every run of this model ends in such a
 * state (wake tokens and publications are finite), so this is "no work is
 * ever stranded". The LTL formula progress says the same as liveness:
 * whenever work is queued, eventually nothing is queued.
 */

#define NW     2     /* workers */
#ifndef NJOBS
#define NJOBS  2     /* jobs Submitted from outside */
#endif
#ifndef NFORKS
#define NFORKS 1     /* children forked by the jobs, in all */
#endif
#ifndef ROUNDS
#define ROUNDS 1     /* searchRounds */
#endif
#define BATCH  64    /* injectorBatch */

/* sleeper.state: searchingOf (low half) and sleepingOf (high half). One
 * Go atomic word, so every change of it below is one step changing both. */
byte srch;
byte slp;
/* sleeper.idle (LIFO) and Worker.onIdleList, guarded by sleeper.mu */
byte idle[NW];
byte nidle;
bool onIdle[NW];
/* Worker.wake: "make(chan struct{}, 1)" */
chan wake[NW] = [1] of { bit };

/* Work: injector.count (injector.nonEmpty is count > 0) and each deque's length. */
byte inj;
byte dq[NW];
#define QUEUED (inj + dq[0] + dq[1])

/* ghosts */
byte forks = NFORKS;   /* forks still to happen */
byte executed;         /* jobs run */

ltl progress { [] ((QUEUED > 0) -> <> (QUEUED == 0)) }

/* sleeper.wakeOne */
inline wakeOne() {
	atomic {                                /* wakeOne: "s.mu.Lock()" ... "s.mu.Unlock()" */
		if
		:: nidle == 0 -> woke = false       /* wakeOne: "if n == 0 {" (unlock, return) */
		:: else ->
			nidle--;
			wk = idle[nidle];               /* wakeOne: "w := s.idle[n-1]" */
			idle[nidle] = 0;                /* wakeOne: "s.idle[n-1] = nil"; "s.idle = s.idle[:n-1]" */
			onIdle[wk] = false;             /* wakeOne: "w.onIdleList = false" */
			slp--; srch++;                  /* wakeOne: "s.state.Add(sleeperToSearcher)" */
			woke = true
		fi
	};
	atomic {                                /* wakeOne: "s.wakeWorker(w)" (after Unlock) */
		if
		:: woke && nfull(wake[wk]) -> wake[wk]!1 /* wakeWorker: "case w.wake <- struct{}{}:" */
		:: woke && full(wake[wk])           /* wakeWorker: "default:" (a token is pending already) */
		:: !woke                            /* wakeOne returned early: nobody to wake */
		fi;
		woke = false; wk = 0
	}
}

/* sleeper.notify, after publishing work */
inline notify() {
	atomic {                                /* notify: "st := s.state.Load()" */
		doWake = (srch == 0 && slp > 0)     /* notify: "if searchingOf(st) == 0 && sleepingOf(st) > 0 {" */
	};
	if
	:: doWake -> doWake = false; wakeOne()  /* notify: "s.wakeOne()" */
	:: else
	fi
}

/* Worker.takeInjected(limit) */
inline takeInjected(limit) {
	atomic {                                /* take: "if q.empty() {" then, under "q.mu.Lock()": */
		if
		:: inj > 0 ->
			/* take: "n := min(q.count/workers+1, q.count, len(dst))" */
			moved = inj / NW + 1;
			if
			:: moved > inj -> moved = inj
			:: else
			fi;
			if
			:: moved > limit -> moved = limit
			:: else
			fi;
			inj = inj - moved;              /* take: "q.count -= n"; "q.nonEmpty.Store(0)" when it reaches 0 */
			moved--;                        /* the oldest entry is the one to run */
			got = true
		:: else
		fi
	};
	/* The rest of the batch is now in the taker's hands only (w.inbox),
	 * visible in neither the injector nor a deque, until it is pushed. */
	do                                      /* takeInjected: "for i := n - 1; i >= 1; i-- {" */
	:: moved > 0 -> atomic { dq[me]++; moved--; ok = true } /* takeInjected: "w.tasks.Push(w.frameFor(w.inbox[i]))" */
	:: else -> break
	od;
	if
#ifndef MUTANT_NO_BATCH_NOTIFY
	:: ok -> ok = false; notify()           /* takeInjected: "if n > 1 {" "p.sleep.notify() // the batch is stealable now" */
#else
	:: ok -> ok = false                     /* MUTANT: no notify after pushing the batch */
#endif
	:: else
	fi
}

/* Worker.stealRound / stealFrom: the one other worker is the only victim */
inline stealRound() {
	atomic {                                /* stealFrom: "j, res := v.deque.TrySteal()" */
		if
		:: dq[1 - me] > 0 -> dq[1 - me]--; got = true
		:: else
		fi
	}
}

/* sleeper.unregister */
inline unregister() {
	atomic {                                /* unregister: "s.mu.Lock()" ... "s.mu.Unlock()" */
		if
		:: onIdle[me] ->                    /* unregister: "if w.onIdleList {" */
			/* unregister: "s.idle = append(s.idle[:i], s.idle[i+1:]...)" */
			if
			:: idle[nidle - 1] == me
			:: else -> assert(idle[0] == me && nidle == 2); idle[0] = idle[1]
			fi;
			nidle--;
			idle[nidle] = 0;
			onIdle[me] = false;             /* unregister: "w.onIdleList = false" */
			slp--; srch++                   /* unregister: "s.state.Add(sleeperToSearcher)" */
		:: else                             /* a waker took us off the list already */
		fi;
		searching = true                    /* unregister: "w.searching = true" */
	}
}

proctype Worker(byte me) {
	bool searching;     /* Worker.searching (owner-only) */
	bool ticked;        /* w.tick != 0: the injector-first check fires only at tick 0 */
	bool got;           /* findWork/search returned a job */
	bool doWake, woke, ok, ready;
	byte wk, moved, ss, sz, r;

	/* Worker.loop: "for {" */
loop:
	/* Worker.findWork */
	if
	:: !ticked -> takeInjected(1)           /* findWork: "if w.tick%injectorEvery == 0 {" "if j := w.takeInjected(1); j != nil {" */
	:: else
	fi;
	if
	:: !got ->
		atomic {                            /* findWork: "if j, ok := w.deque.Pop(); ok {" */
			if
			:: dq[me] > 0 -> dq[me]--; got = true
			:: else
			fi
		}
	:: else
	fi;
	if
	:: !got -> takeInjected(BATCH)          /* findWork: "if j := w.takeInjected(injectorBatch); j != nil {" */
	:: else
	fi;
	if
	:: !got -> stealRound()                 /* findWork: "return w.stealRound()" */
	:: else
	fi;
	if
	:: got -> goto runjob                      /* loop: "if j := w.findWork(); j != nil {" */
	:: else
	fi;

	/* Worker.search */
	if
	:: !searching ->                        /* search: "if !w.searching {" */
		/* sleeper.startSearch: "for {" */
		do
		:: atomic { ss = srch; sz = slp };  /* startSearch: "st := s.state.Load()" */
			if
			/* startSearch: "busy := s.workers - sleepingOf(st)";
			 * "if n := searchingOf(st); n > 0 && 2*n >= busy { return false }" */
			:: ss > 0 && 2 * ss >= NW - sz -> ss = 0; sz = 0; goto park /* search: "return nil" */
			:: else
			fi;
			atomic {                        /* startSearch: "if s.state.CompareAndSwap(st, st+searcherOne) {" */
				if
				:: srch == ss && slp == sz -> srch++; ok = true
				:: else -> ok = false
				fi;
				ss = 0; sz = 0
			};
			if
			:: ok -> ok = false; break      /* startSearch: "return true" */
			:: else
			fi
		od;
		searching = true                    /* search: "w.searching = true" */
	:: else
	fi;
	r = 0;
	do                                      /* search: "for range w.pool.searchRounds {" */
	:: r < ROUNDS ->
		takeInjected(BATCH);                /* search: "if j := w.takeInjected(injectorBatch); j != nil {" */
		if
		:: !got -> stealRound()             /* search: "if j := w.stealRound(); j != nil {" */
		:: else
		fi;
		if
		:: got -> r = 0; goto runjob
		:: else -> r++
		fi
	:: else -> r = 0; break                 /* search: "return nil" (still searching) */
	od;
	/* loop: "if w.pool.stopping.Load() {": Close is not modelled */
	goto park;

runjob:
	/* Worker.endSearch */
	if
	:: searching ->                         /* endSearch: "if w.searching {" */
		searching = false;                  /* endSearch: "w.searching = false" */
		atomic {                            /* stopSearch: "st := s.state.Add(minusSearcher)" */
			srch--;
			doWake = (srch == 0 && slp > 0) /* stopSearch: "if searchingOf(st) == 0 && sleepingOf(st) > 0 {" */
		};
#ifndef MUTANT_NO_HANDOFF
		if
		:: doWake -> doWake = false; wakeOne() /* stopSearch: "s.wakeOne()" */
		:: else
		fi
#else
		doWake = false                      /* MUTANT: stopSearch without the wakeOne hand-off */
#endif
	:: else
	fi;
	/* Worker.execute: "j.task.execute(w)". The first job to run forks a
	 * child: Worker.push. */
	atomic {
		got = false;
		ticked = true;                      /* execute: "w.tick++" */
		executed++;
#ifdef WAITING_JOB
		ready = (executed == 1);            /* (ghost: this is the waiting job) */
#endif
		if
		:: forks > 0 -> forks--; ok = true
		:: else -> ok = false
		fi
	};
#ifdef WAITING_JOB
	/* The first job to run blocks its worker until another job has started
	 * (a task waiting on a channel, a WaitGroup, a Run on another pool...). */
	if
	:: ready -> ready = false; (executed >= 2)
	:: else
	fi;
#endif
	if
	:: ok ->
		ok = false;
		dq[me]++;                           /* push: "w.deque.Push(j)" */
		notify()                            /* push: "w.pool.sleep.notify()" */
	:: else
	fi;
	goto loop;

	/* sleeper.park(w, w.pool.hasWorkOrStopping) */
park:
	/* sleeper.register */
	atomic {                                /* register: "s.mu.Lock()" ... "s.mu.Unlock()" */
		idle[nidle] = me;                   /* register: "s.idle = append(s.idle, w)" */
		nidle++;
		onIdle[me] = true;                  /* register: "w.onIdleList = true" */
		if                                  /* register: "s.state.Add(delta)" with */
		:: searching -> srch--; slp++       /*   "delta = searcherToSleeper" */
		:: else -> slp++                    /*   "delta := sleeperOne" */
		fi;
		searching = false                   /* register: "w.searching = false" */
	};
#ifndef MUTANT_NO_RECHECK
	/* park: "if ready() {": Pool.hasWorkOrStopping, load by load */
	atomic { ready = (inj > 0) };           /* hasWorkOrStopping: "!p.inject.empty()" */
	if
	:: !ready -> atomic { ready = (dq[0] > 0) } /* hasWorkOrStopping: "if w.deque.Len() > 0 || w.tasks.Len() > 0 {" (worker 0) */
	:: else
	fi;
	if
	:: !ready -> atomic { ready = (dq[1] > 0) } /* hasWorkOrStopping: "if w.deque.Len() > 0 || w.tasks.Len() > 0 {" (worker 1) */
	:: else
	fi;
	if
	:: ready ->
		ready = false;
		unregister();                       /* park: "s.unregister(w)"; "return" */
		goto loop
	:: else
	fi;
#endif
end_park:
	wake[me]?_;                             /* park: "<-w.wake" */
	unregister();                           /* park: "s.unregister(w)" */
	goto loop
}

proctype Submitter() {
	byte n;
	bool doWake, woke;
	byte wk;

	do
	:: n < NJOBS ->
		inj++;                              /* Submit: "if !p.inject.push(entry{fn: fn}, true) {" (push: "q.nonEmpty.Store(1)", when the queue was empty: inj is only tested for 0) */
		notify();                           /* Submit: "p.sleep.notify()" */
		n++
	:: else -> break
	od
}

/* The property: a state where nothing can move (every worker blocked in
 * park, the submitter done) has no queued work, and all work ran. */
proctype Monitor() {
	timeout ->
	assert(QUEUED == 0);
	assert(executed == NJOBS + NFORKS)
}

init {
	atomic {
		run Worker(0);
		run Worker(1);
		run Submitter();
		run Monitor()
	}
}

/*
 * deque.pml: a SPIN (Promela) model of the Chase-Lev deque in deque.go.
 *
 * Verify:   scripts/model.sh   (or: make model)
 * By hand:  spin -a deque/deque.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -m100000
 * Mutants:  spin -DMUTANT_NO_LAST_CAS -a deque/deque.pml ...   (must fail)
 *           spin -DMUTANT_NO_WRITABLE -a deque/deque.pml ...   (must fail)
 *
 * What is modelled (docs/model.md has the full story):
 *   - one owner running the fixed script push,push,push,pop,push,pop,pop
 *     (items 1..4), and two thieves each calling Steal twice (Steal retries
 *     TrySteal on Retry, so every TrySteal path is covered too);
 *   - New(2): a ring of capacity 2, so wrap-around (index 2 into slot 0,
 *     index 3 into slot 1) and growth to a ring of capacity 4 both happen;
 *     the script never outgrows the capacity-4 ring (asserted in grow);
 *   - every Go atomic (top, bottom, d.ring, slot.done, ring.next) is one
 *     Promela step: Go's atomics are sequentially consistent, so plain
 *     interleaving is the right semantics for them;
 *   - plain memory (slot.item) is where the race detector looks, so it gets
 *     ghost state that stands for happens-before (see Race-detector ghosts);
 *   - owner-private state (d.own.*, slot.owned) is local to the Owner
 *     process: no thief can see it.
 *
 * Granularity. Each atomic{} below holds at most ONE visible access, i.e. an
 * access to memory that another goroutine also touches (top, bottom stores,
 * d.ring, done, next, and the owner's plain writes of slot.item that thieves
 * read), together with invisible work next to it: owner-private fields, the
 * owner's loads of its own bottom, the owner's plain reads of slot.item
 * (thieves never write a slot), writes into a ring no thief can reach yet,
 * and ghost bookkeeping. Invisible actions commute with every action of the
 * other processes, so gluing them to a neighbouring visible access removes
 * no behaviour; it only saves states. A goto out of an atomic{} ends it:
 * the next label is a point where the other processes may run.
 *
 * Properties (assertions):
 *   P1 every item is taken at most once (checked at each take), and at the
 *      end every pushed item was either taken exactly once or is still in
 *      [top, bottom) of the current ring;
 *   P2 whoever takes index i gets the item last pushed at index i (never a
 *      nil, never an item that overwrote it);
 *   P3 race freedom of slot.item: the owner never writes a slot that a thief
 *      has claimed unless the thief's read happens-before the write through
 *      a done store that the owner has loaded; and the write a thief reads
 *      happens-before its read through its load of bottom or d.ring;
 *   P4 top <= bottom at quiescence.
 *
 * Each step is commented with the Go function and line(s) it stands for.
 */

#define NTHIEF 2
#define NITEM  4
#define NIL    0

/* Ring r (0: capacity 2, the one New makes; 1: capacity 4, made by grow).
 * Slot s of ring r is array element r*4+s. */
#define SIZE(r)    ((r) == 0 -> 2 : 4)
#define MASK(r)    (SIZE(r) - 1)
#define SLOT(r, i) ((r) * 4 + ((i) & MASK(r)))

/* ---- shared state (deque.go: Deque, ring, slot) ---- */
short top;          /* Deque.top    (atomic) */
short bottom;       /* Deque.bottom (atomic) */
byte  dring;        /* Deque.ring   (atomic pointer): ring number */
byte  item[8];      /* slot.item    (PLAIN): item id, 0 = nil */
short done[8];      /* slot.done    (atomic) */
short base[2];      /* ring.base    (immutable once the ring is reachable) */
byte  next[2];      /* ring.next    (atomic pointer): 0 = nil, else ring number + 1 */
byte  nrings = 1;   /* rings allocated so far */

/* ---- ghost state: the specification, not the code ---- */
byte  expect[8];        /* index -> id of the item last pushed at that index */
byte  takes[NITEM + 1]; /* item id -> how many times it was taken */

/* Race-detector ghosts (P3). They stand for happens-before in the two
 * directions that matter for a plain slot.
 * Write -> read: unrelB / unrelR are the slots (bitmask over the 8 slot
 * elements) that the owner has written since its last store of bottom /
 * d.ring (each store is a release). A thief's load of bottom / d.ring
 * acquires the last write of every other slot (vis). A thief that reads a
 * slot asserts that the slot's last write is in its vis. (Conservative: it
 * ignores happens-before a thief could inherit through top.)
 * Read -> write: from its successful CAS until the owner has loaded a done
 * value that the thief stored after its read, the thief's claim is pending
 * (clPend). The owner asserts, at each plain write of slot.item, that no
 * pending claim is on that slot of that ring: that the package doc's rule
 * "the load/increment pair orders the thief's read before the owner's next
 * write" is what orders every such pair. */
byte  unrelB;
byte  unrelR;
byte  vis[NTHIEF];
bool  clPend[NTHIEF];   /* claim not yet ordered before the owner */
byte  clRing[NTHIEF];   /* ring the thief reads its item from */
short clIdx[NTHIEF];    /* index the thief claimed */
byte  clStored[NTHIEF]; /* rings (bitmask) where it has stored done = clIdx */

/* P1, P2: item vv was taken from index idx. */
inline take(vv, idx) {
	assert(vv != NIL && vv == expect[idx]);   /* P2 */
	assert(takes[vv] == 0);                   /* P1: at most once */
	takes[vv]++
}

/* P3, owner side: a load of done in ring rr, slot of index ii, returned dd.
 * If that is the value thief j stored there after its read, j's read now
 * happens-before everything the owner does next. */
inline observe(rr, ii) {
	for (j : 0 .. NTHIEF - 1) {
		if
		:: clPend[j] && (clStored[j] & (1 << rr)) != 0 && dd == clIdx[j] &&
		   SLOT(rr, clIdx[j]) == SLOT(rr, ii) ->
			clPend[j] = false; clRing[j] = 0; clIdx[j] = 0; clStored[j] = 0
		:: else
		fi
	}
}

/* P3, owner side: a plain write of slot.item (index ii of ring rr). */
inline writeSlot(rr, ii, val) {
	for (j : 0 .. NTHIEF - 1) {
		assert(!(clPend[j] && clRing[j] == rr && SLOT(rr, clIdx[j]) == SLOT(rr, ii)))
	}
	item[SLOT(rr, ii)] = val;
	unrelB = unrelB | (1 << SLOT(rr, ii));
	unrelR = unrelR | (1 << SLOT(rr, ii));
	for (j : 0 .. NTHIEF - 1) {
		vis[j] = vis[j] & ~(1 << SLOT(rr, ii))
	}
}

/* ------------------------------------------------------------------ */
/* Owner: the script, Push, grow, Pop, takeClaimed, cleanStolen         */
/* ------------------------------------------------------------------ */

#define PUSH_OP(n) ((n) == 0 || (n) == 1 || (n) == 2 || (n) == 4)  /* else pop */
#define NOPS       7

/* Ring.writable(b), from Push: "if !r.writable(b) {".
 * writable: "prev := b - r.size()"; "return s.owned == prev || s.done.Load() == prev".
 * The owned test is private; the done load is the next visible step. */
#ifndef MUTANT_NO_WRITABLE
#define toWritable()                                                   \
	prev = b - SIZE(r);                                                \
	if                                                                 \
	:: owned[SLOT(r, b)] == prev -> goto pushWrite                     \
	:: else -> goto pushLoadDone                                       \
	fi
#else
/* MUTANT: Push without "if !r.writable(b) { r = d.grow(b, d.top.Load()) }" */
#define toWritable() goto pushWrite
#endif

/* Start the next operation of the script (and forget the dead Go locals of
 * the one that returned). Invisible: the owner loads its own bottom. */
inline nextOp() {
	b = 0; t = 0; gt = 0; prev = 0; dd = 0; i = 0; r = 0; v = 0;
	old = 0; nr = 0; ok = false; j = 0; gret = 0; ci = 0;
	op++;
	if
	:: op == NOPS -> goto finished
	:: op < NOPS && PUSH_OP(op) ->
		nid++;
		b = bottom;                             /* Push: "b := d.bottom.Load()" (own field) */
		r = oring;                              /* Push: "r := d.own.ring" */
		if
		:: b - topSeen > MASK(r) -> goto pushReload /* Push: "if b-d.own.topSeen > r.mask {" */
		:: else -> toWritable()
		fi
	:: op < NOPS && !PUSH_OP(op) ->
		b = bottom;                             /* Pop: "b := d.bottom.Load()" (own field) */
		r = oring;                              /* Pop: "r := d.own.ring" */
		goto popLoadTop
	fi
}

/* Pop's cleanStolen loop test: "for ; i < t; i++ {" */
#define cleanLoop()                                                    \
	if                                                                 \
	:: i < t -> goto cleanLoadDone                                     \
	:: else -> clean = i; nextOp()      /* cleanStolen: "d.own.clean = i" */ \
	fi

proctype Owner() {
	/* Owner-private state (Deque.own and slot.owned): local to this process. */
	byte  oring;            /* d.own.ring */
	short topSeen;          /* d.own.topSeen */
	short clean;            /* d.own.clean */
	short owned[8];         /* slot.owned */
	/* the script */
	short op = -1;          /* index of the current operation */
	byte  nid;              /* id of the item being pushed: 1, 2, ... */
	/* locals of the Go functions */
	short b, t, gt, prev, dd, i, ci;
	byte  r, v, old, nr, gret, j;
	bool  ok;

	atomic {
		/* New(2): "r := newRing[T](c, 0, 0)": "s.owned = -1" */
		owned[0] = -1;
		owned[1] = -1;
		nextOp()
	};

	/* ---------------- Push ---------------- */
pushReload:
	atomic {
		topSeen = top;                          /* Push: "d.own.topSeen = d.top.Load()" */
		if
		:: b - topSeen > MASK(r) ->             /* Push: "if b-d.own.topSeen > r.mask {" */
			gt = topSeen; gret = 0;             /* Push: "r = d.grow(b, d.own.topSeen)" */
			goto growStart
		:: else -> toWritable()
		fi
	};
pushLoadDone:
	atomic {
		dd = done[SLOT(r, b)];                  /* writable: "s.done.Load() == prev" */
		observe(r, b);
		if
		:: dd == prev -> goto pushWrite
		:: else -> goto pushGrowLoadTop         /* Push: "if !r.writable(b) {" */
		fi
	};
pushGrowLoadTop:
	atomic {
		gt = top; gret = 1;                     /* Push: "r = d.grow(b, d.top.Load())" */
		goto growStart
	};
pushWrite:
	atomic {
		writeSlot(r, b, nid);                   /* Push: "r.slots[b&r.mask].item = v" (plain) */
		expect[b] = nid;
		goto pushStoreBottom
	};
pushStoreBottom:
	atomic {
		bottom = b + 1;                         /* Push: "d.bottom.Store(b + 1)" */
		unrelB = 0;
		nextOp()
	};

	/* ---------------- grow(b, gt) ---------------- */
growStart:
	atomic {
		/* grow: "old := d.own.ring"; "size := old.size() * 2"; "for b-t >= size { size *= 2 }" */
		old = oring;
		nr = nrings;
		assert(nr == 1 && b - gt < SIZE(nr) && SIZE(nr) == SIZE(old) * 2); /* one spare ring, of capacity 4 */
		nrings++;
		/* grow: "r := newRing[T](size, t, b)", then the copy loop. Invisible:
		 * no thief can reach the new ring before "old.next.Store(r)", and
		 * the old ring's items are only read. */
		base[nr] = gt;                          /* newRing: "base: base" */
		i = b;
		do
		:: i < b + SIZE(nr) ->                  /* newRing: "for i := b; i < b+capacity; i++ {" */
			done[SLOT(nr, i)] = i - SIZE(nr);   /* newRing: "s.done.Store(i - capacity)" */
			owned[SLOT(nr, i)] = -1;            /* newRing: "s.owned = -1" */
			i++
		:: else -> break
		od;
		i = gt;
		do
		:: i < b ->                             /* grow: "for i := t; i < b; i++ {" */
			item[SLOT(nr, i)] = item[SLOT(old, i)]; /* grow: "ns.item = old.slots[i&old.mask].item" */
			unrelB = unrelB | (1 << SLOT(nr, i));
			unrelR = unrelR | (1 << SLOT(nr, i));
			done[SLOT(nr, i)] = i - SIZE(nr);   /* grow: "ns.done.Store(i - size)" */
			i++
		:: else -> break
		od;
		/* the visible step: */
		next[old] = nr + 1;                     /* grow: "old.next.Store(r)" */
		i = gt;
		goto growCarry
	};
growCarry:
	atomic {
		if
		:: i < b ->                             /* grow: "for i := t; i < b; i++ {" */
			dd = done[SLOT(old, i)];            /* grow: "if old.slots[i&old.mask].done.Load() == i {" */
			observe(old, i);
			if
			:: dd == i -> goto growCarryStore
			:: else -> i++; goto growCarry
			fi
		:: else ->
			/* grow: "d.own.ring = r"; "d.own.topSeen = t"; "d.own.clean = t" */
			oring = nr;
			topSeen = gt;
			clean = gt;
			dring = nr;                         /* grow: "d.ring.Store(r)" */
			unrelR = 0;
			r = nr;                             /* grow: "return r" */
			if
			:: gret == 0 -> toWritable()        /* Push: "if !r.writable(b) {" */
			:: else -> goto pushWrite           /* Push: "r.slots[b&r.mask].item = v" */
			fi
		fi
	};
growCarryStore:
	atomic {
		done[SLOT(nr, i)] = i;                  /* grow: "r.slots[i&r.mask].done.Store(i)" */
		i++;
		goto growCarry
	};

	/* ---------------- Pop ---------------- */
popLoadTop:
	atomic {
		t = top;                                /* Pop: "t := d.top.Load()" */
		if
		:: b <= t ->                            /* Pop: "case b <= t:" "d.cleanStolen(r, t)" */
			/* cleanStolen: "i := max(d.own.clean, t-r.size())" */
			i = (clean > t - SIZE(r) -> clean : t - SIZE(r));
			cleanLoop()
		:: b - t == 1 -> goto popLastCAS        /* Pop: "case b-t == 1:" */
		:: else ->
			b--;                                /* Pop: "b--" */
			goto popStoreBottom
		fi
	};
popLastCAS:
	atomic {
#ifdef MUTANT_NO_LAST_CAS
		/* MUTANT: "d.top.Store(t + 1)" instead of the CAS */
		top = t + 1;
		ok = true;
#else
		if                                      /* Pop: "if !d.top.CompareAndSwap(t, t+1) {" */
		:: top == t -> top = t + 1; ok = true
		:: else -> ok = false
		fi;
#endif
		if
		:: ok ->                                /* Pop: "return d.takeClaimed(r, t), true" */
			ci = t;
			v = item[SLOT(r, ci)];              /* takeClaimed: "v := s.item" (own read) */
			take(v, ci);
			goto takeClear
		:: else -> nextOp()                     /* Pop: "return nil, false" */
		fi
	};
popStoreBottom:
	atomic {
		bottom = b;                             /* Pop: "d.bottom.Store(b)" */
		unrelB = 0;
		goto popReloadTop
	};
popReloadTop:
	atomic {
		t = top;                                /* Pop: "t = d.top.Load()" */
		if
		:: t < b ->                             /* Pop: "case t < b:" */
			v = item[SLOT(r, b)];               /* Pop: "v := s.item" (own read) */
			take(v, b);
			goto popClear
		:: t == b -> goto popCAS                /* Pop: "case t == b:" */
		:: else -> goto popRestore              /* Pop: "default:" */
		fi
	};
popClear:
	atomic {
		writeSlot(r, b, NIL);                   /* Pop: "s.item = nil"; "return v, true" */
		nextOp()
	};
popCAS:
	atomic {
		if                                      /* Pop: "won := d.top.CompareAndSwap(t, t+1)" */
		:: top == t -> top = t + 1; ok = true
		:: else -> ok = false
		fi;
		goto popRestoreAfterCAS
	};
popRestoreAfterCAS:
	atomic {
		bottom = b + 1;                         /* Pop: "d.bottom.Store(b + 1)" */
		unrelB = 0;
		if
		:: ok ->                                /* Pop: "return d.takeClaimed(r, b), true" */
			ci = b;
			v = item[SLOT(r, ci)];              /* takeClaimed: "v := s.item" (own read) */
			take(v, ci);
			goto takeClear
		:: else -> nextOp()                     /* Pop: "if !won { return nil, false }" */
		fi
	};
popRestore:
	atomic {
		bottom = b + 1;                         /* Pop: "d.bottom.Store(b + 1)"; "return nil, false" */
		unrelB = 0;
		nextOp()
	};

	/* ---------------- takeClaimed(r, ci) ---------------- */
takeClear:
	atomic {
		writeSlot(r, ci, NIL);                  /* takeClaimed: "s.item = nil" */
		owned[SLOT(r, ci)] = ci;                /* takeClaimed: "s.owned = i" */
		if                                      /* takeClaimed: "if d.own.clean == i {" */
		:: clean == ci -> clean = ci + 1        /* takeClaimed: "d.own.clean = i + 1" */
		:: else
		fi;
		nextOp()
	};

	/* ---------------- cleanStolen(r, t) ---------------- */
cleanLoadDone:
	atomic {
		dd = done[SLOT(r, i)];                  /* cleanStolen: "if s.done.Load() != i {" */
		observe(r, i);
		if
		:: dd != i -> clean = i; nextOp()       /* cleanStolen: "break"; "d.own.clean = i" */
		:: else -> goto cleanClear
		fi
	};
cleanClear:
	atomic {
		writeSlot(r, i, NIL);                   /* cleanStolen: "s.item = nil" */
		i++;                                    /* cleanStolen: "i++" */
		cleanLoop()
	};

finished:
	skip
}

/* ------------------------------------------------------------------ */
/* Thief: Steal (= TrySteal until Success or Empty), ring.release       */
/* ------------------------------------------------------------------ */

/* End of one Steal call: forget the dead locals; Steal twice in all. */
#define stealReturned()                                                \
	k++; t = 0; b = 0; r = 0; n = 0; v = 0;                            \
	if                                                                 \
	:: k < 2 -> goto steal                                             \
	:: else -> goto out                                                \
	fi

proctype Thief(byte me) {
	short t, b;
	byte  r, n, v, k;

	/* Steal: "for {" "v, res := d.TrySteal()" */
steal:
	t = top;                                    /* TrySteal: "t := d.top.Load()" */
	atomic {
		b = bottom;                             /* TrySteal: "b := d.bottom.Load()" */
		vis[me] = vis[me] | ~unrelB;
		if
		:: t >= b -> stealReturned()            /* TrySteal: "if t >= b { return nil, Empty }" */
		:: else
		fi
	};
	atomic {
		r = dring;                              /* TrySteal: "r := d.ring.Load()" */
		vis[me] = vis[me] | ~unrelR
	};
	atomic {
		if                                      /* TrySteal: "if !d.top.CompareAndSwap(t, t+1) {" */
		:: top == t ->
			top = t + 1;
			clPend[me] = true;
			clRing[me] = r;
			clIdx[me] = t;
			clStored[me] = 0
		:: else -> goto steal                   /* TrySteal: "return nil, Retry"; Steal retries */
		fi
	};
	atomic {
		v = item[SLOT(r, t)];                   /* TrySteal: "v := s.item" (plain) */
		assert((vis[me] & (1 << SLOT(r, t))) != 0); /* P3: the write happens-before this read */
		take(v, t)
	};
	/* TrySteal: "r.release(t)" */
release:
	atomic {
		done[SLOT(r, t)] = t;                   /* release: "r.slots[t&r.mask].done.Store(t)" */
		if
		:: clPend[me] -> clStored[me] = clStored[me] | (1 << r)
		:: else
		fi
	};
	atomic {
		n = next[r];                            /* release: "n := r.next.Load()" */
		if
		:: n == 0 || t < base[n - 1] ->         /* release: "if n == nil || t < n.base { return }" */
			stealReturned()                     /* TrySteal: "return v, Success" */
		:: else ->
			r = n - 1;                          /* release: "r = n" */
			goto release
		fi
	};
out:
	skip
}

init {
	byte i, id;
	byte left[NITEM + 1];

	/* New(2): "r := newRing[T](c, 0, 0)": "s.done.Store(i - capacity)";
	 * "d.ring.Store(r)" (ring 0 is dring's initial value; its base is 0) */
	done[0] = -2;
	done[1] = -1;

	atomic {
		run Owner();
		run Thief(0);
		run Thief(1)
	};

	/* Quiescence: every process has finished. */
	(_nr_pr == 1);

	assert(top <= bottom);                      /* P4 */
	/* P1/P2: what is left in [top, bottom) is intact in the current ring ... */
	i = top;
	do
	:: i < bottom ->
		id = item[SLOT(dring, i)];
		assert(id != NIL && id == expect[i]);
		left[id]++;
		i++
	:: else -> break
	od;
	/* ... and every pushed item was taken exactly once or is still there. */
	for (id : 1 .. NITEM) {
		assert(takes[id] + left[id] == 1)
	}
}

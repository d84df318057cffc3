package scheduler

// Panic repair. Join does not defer (a defer costs more than the rest of a
// fork), so a panic that leaves a join early leaves that join's frame on its
// frame stack, possibly promoted and in a thief's hands. Every place that
// recovers a task's panic (the execute methods, Run inline, Scope) calls
// Worker.recovered, which truncates each frame stack of the worker back to
// the depth it had when that task started: promoted forks among the
// abandoned frames are waited for (if stolen) or dropped (if still in the
// deque), so a panic reaches the caller only after the other tasks of its
// Run have finished. A panic recovered by user code inside a task is
// repaired by the next join that returns on the same stack (Func.Join checks
// that its stack depth is as it left it).

// frameStacker is a Func's frame stack on one worker, seen without its type.
type frameStacker interface {
	depthNow() int
	truncate(d int)
}

// mark records the depth of every frame stack of w, for repairTo, and
// returns where the record starts. Owner only; pair with unmark.
func (w *Worker) mark() int {
	m := len(w.marks)
	w.marks = append(w.marks, len(w.stacks))
	for _, s := range w.stacks {
		w.marks = append(w.marks, s.depthNow())
	}
	return m
}

// unmark drops the record made by mark(m).
func (w *Worker) unmark(m int) { w.marks = w.marks[:m] }

// repairTo truncates every frame stack of w to its depth at mark(m); stacks
// made since then go back to empty.
func (w *Worker) repairTo(m int) {
	n := w.marks[m]
	for i, s := range w.stacks {
		d := 0
		if i < n {
			d = w.marks[m+1+i]
		}
		if s.depthNow() > d {
			s.truncate(d)
		}
	}
}

// recovered turns a panic value recovered by the job w is running into a
// *PanicError and repairs w's frame stacks. Call it from the deferred
// function that recovered, so that the stack trace shows the panic.
func (w *Worker) recovered(v any) *PanicError {
	pe := asPanicError(v)
	w.repairTo(w.curMark)
	return pe
}

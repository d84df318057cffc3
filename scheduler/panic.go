package scheduler

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// PanicError carries a panic out of a task: the value passed to panic and the
// stack of the goroutine that panicked, captured where it panicked. Run and
// Scope re-panic with a *PanicError in the caller; Join and Func.Join do when
// the panic came from a thief or crossed a join that recorded its fork, and
// otherwise let the value itself go on, as serial code would (package doc,
// Panics). Close returns the panics of submitted tasks (joined) unless a
// panic handler took them.
type PanicError struct {
	// Value is the value the task passed to panic.
	Value any
	// Stack is the stack of the task's goroutine at the panic.
	Stack []byte
}

// Error describes the panic and where it happened.
func (p *PanicError) Error() string {
	return fmt.Sprintf("forage: task panicked: %v\n\n%s", p.Value, p.Stack)
}

// Unwrap returns the panic value when it is an error, so that errors.Is and
// errors.As see through a *PanicError.
func (p *PanicError) Unwrap() error {
	if err, ok := p.Value.(error); ok {
		return err
	}
	return nil
}

// ErrClosed is returned for work given to a pool after Close began.
var ErrClosed = errors.New("forage: pool is closed")

// asPanicError turns a recovered value into a *PanicError, keeping an
// existing one as it is: a panic that crossed several joins reports the stack
// of the task that first panicked, not of the joins it passed through. It
// must be called from the deferred function that recovered, so that the
// stack still shows the panicking frames.
func asPanicError(v any) *PanicError {
	if pe, ok := v.(*PanicError); ok {
		return pe
	}
	return &PanicError{Value: v, Stack: debug.Stack()}
}

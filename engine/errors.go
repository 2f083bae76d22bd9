package engine

import (
	"errors"
	"fmt"
)

// Sentinel errors: every error engine returns for an invalid input or a
// computation that did not succeed is an *Error that wraps one of them
// (test with errors.Is), besides the context's error for a cancelled pass.
var (
	// ErrEpsilon: an ε, safety factor or λ_max the ε policy cannot use,
	// including a user ε with ε·λ_max(D(w0)) ≥ 1.
	ErrEpsilon = errors.New("invalid epsilon")
	// ErrNotConverged: an iterative or dense solver (Lanczos, the dense
	// eigensolver, CG, a Cholesky factorisation) did not succeed.
	ErrNotConverged = errors.New("did not converge")
	// ErrInvalid: another argument out of its valid range (a CD metric's
	// k or sample count, a Woodbury problem above its memory bound…).
	ErrInvalid = errors.New("invalid argument")
)

// Error is an error of package engine. It prints as "engine: " followed by
// Detail, the message that says what is wrong and what would be valid;
// Unwrap yields the sentinel Kind and the cause wrapped in the message.
type Error struct {
	Kind error // ErrEpsilon, ErrNotConverged or ErrInvalid
	err  error // the message, wrapping any cause given with %w
}

// errorf returns an *Error of kind with the message fmt.Errorf(format,
// args...) (so %w keeps a cause).
func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, err: fmt.Errorf(format, args...)}
}

func (e *Error) Error() string { return "engine: " + e.err.Error() }

// Detail is the message without the package prefix, for callers that place
// it in their own context (a scenario key, a file position).
func (e *Error) Detail() string { return e.err.Error() }

// Unwrap returns the sentinel and the wrapped cause, if any.
func (e *Error) Unwrap() []error {
	if c := errors.Unwrap(e.err); c != nil {
		return []error{e.Kind, c}
	}
	return []error{e.Kind}
}

package models

import (
	"errors"
	"fmt"
)

// Sentinel errors: every error a models constructor or RequireOrder returns
// is an *Error that wraps one of them (test with errors.Is).
var (
	// ErrOrder: the model lacks the derivative order a computation needs
	// (RequireOrder; e.g. relu for the flows that need Hessians).
	ErrOrder = errors.New("derivative order not available")
	// ErrInvalid: a model specification or data set a constructor cannot
	// use (sizes, shapes, non-finite values, unknown names).
	ErrInvalid = errors.New("invalid model")
)

// Error is an error of package models. It prints as "models: " followed by
// Detail, the message that says what is wrong and what would be valid;
// Unwrap yields the sentinel Kind and the cause wrapped in the message.
type Error struct {
	Kind error // ErrOrder or ErrInvalid
	err  error // the message, wrapping any cause given with %w
}

// errorf returns an *Error of kind with the message fmt.Errorf(format,
// args...) (so %w keeps a cause).
func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, err: fmt.Errorf(format, args...)}
}

func (e *Error) Error() string { return "models: " + e.err.Error() }

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

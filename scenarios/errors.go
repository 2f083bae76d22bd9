package scenarios

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Every error this package returns for bad input wraps one
// of them (test with errors.Is) inside an *Error that says where the problem
// is and what would be valid.
var (
	// ErrSyntax: the scenario file is not well-formed YAML (or JSON).
	ErrSyntax = errors.New("malformed YAML")
	// ErrUnknownKey: a key that the scenario format does not define.
	ErrUnknownKey = errors.New("unknown key")
	// ErrType: a value of the wrong type (a word where a number is wanted…).
	ErrType = errors.New("wrong type")
	// ErrMissing: a required key is absent.
	ErrMissing = errors.New("missing key")
	// ErrUnknownName: a name outside its list: model kind, activation, loss,
	// integrator method, flow, inverse, christoffel, v0, built-in scenario.
	ErrUnknownName = errors.New("unknown name")
	// ErrBadTolerance: rtol or atol not a positive finite number.
	ErrBadTolerance = errors.New("bad tolerance")
	// ErrBadTime: t1 ≤ t0, non-finite times or fewer than 2 outputs.
	ErrBadTime = errors.New("bad time span")
	// ErrBadValue: a number or name out of its valid range.
	ErrBadValue = errors.New("bad value")
	// ErrConflict: settings that cannot be used together (relu with ngd,
	// a fixed-step method without dt, a quadratic model with a data section…).
	ErrConflict = errors.New("conflicting settings")
	// ErrShape: sizes that do not fit (layers against the data, a weight
	// vector against the model's dimension, a batch larger than the data).
	ErrShape = errors.New("shape mismatch")
	// ErrData: a data (CSV) file that cannot be used.
	ErrData = errors.New("bad data file")
	// ErrWeights: a weight file that cannot be used.
	ErrWeights = errors.New("bad weight file")
	// ErrNotFound: Open was given neither a scenario file nor a built-in name.
	ErrNotFound = errors.New("scenario not found")
)

// Error is a problem in a scenario, its data or its weight file. It prints as
//
//	scenarios: FILE:LINE:COLUMN: KEY: MESSAGE
//
// leaving out the parts that are unknown. Unwrap returns the sentinel and,
// for a problem found by another package (a model constructor, the ε
// policy, the CD metric), that package's error as the Cause.
type Error struct {
	File   string // file the problem is in ("" if none)
	Line   int    // 1-based line (0 if unknown)
	Column int    // 1-based byte column (0 if unknown)
	Key    string // key path such as "metric.safety" or "model.samples[1].A" ("" if none)
	Msg    string // what is wrong and what would be valid
	Err    error  // one of the sentinels
	Cause  error  // the error of another package behind Msg, or nil
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("scenarios: ")
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
			if e.Column > 0 {
				b.WriteString(":" + strconv.Itoa(e.Column))
			}
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the sentinel error and the cause, if any.
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

// detail is the message of an error of another grd package without its
// package prefix: the Detail of an *engine.Error or *models.Error (found
// anywhere in the chain), else the whole message.
func detail(err error) string {
	var d interface{ Detail() string }
	if errors.As(err, &d) {
		return d.Detail()
	}
	return err.Error()
}

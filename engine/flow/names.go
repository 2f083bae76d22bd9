package flow

import (
	"fmt"
	"strings"
)

// This file is the flows' vocabulary: the names of the flows, of their
// outcomes and of grd's initial velocities, defined once. Each is a string
// type, so that its values print, marshal and compare as the words of
// DESIGN §1 (CSV and JSON outputs use them verbatim).

// Name names a flow (DESIGN §1).
type Name string

// The flows.
const (
	GD  Name = "gd"  // gradient descent ẇ = −∇f
	NGD Name = "ngd" // natural gradient descent ẇ = −P∇f
	GRD Name = "grd" // General Relativity Descent: geodesics of g with a force (second order)
	SGD Name = "sgd" // minibatch SGD, an ensemble
	SDE Name = "sde" // the SDE model of SGD, an ensemble
	CD  Name = "cd"  // contrastive divergence of an RBM, an ensemble
)

var names = []Name{GD, NGD, GRD, SGD, SDE, CD}

// Names returns every flow, in the order of DESIGN §1.
func Names() []Name { return append([]Name(nil), names...) }

func (n Name) String() string { return string(n) }

// Ensemble reports whether n is an ensemble flow (sgd, sde, cd).
func (n Name) Ensemble() bool { return n == SGD || n == SDE || n == CD }

// ParseName returns the flow named s, or an error listing the valid names.
func ParseName(s string) (Name, error) {
	for _, n := range names {
		if string(n) == s {
			return n, nil
		}
	}
	return "", fmt.Errorf("unknown flow %q (valid: %s)", s, List(names))
}

// Status is how a flow ended.
type Status string

// Flow statuses recorded in a Trajectory.
const (
	StatusOK       Status = "ok"       // reached t1
	StatusFailed   Status = "failed"   // stopped by a numerical fault; Err says why
	StatusCanceled Status = "canceled" // stopped by its context
)

func (s Status) String() string { return string(s) }

// V0 is the initial velocity u(0) of the grd flow (Spec.V0).
type V0 string

// Initial velocities of the grd flow.
const (
	V0NGD  V0 = "ngd"  // u(0) = −P∇f(w0), the default (also "")
	V0GD   V0 = "gd"   // u(0) = −∇f(w0)
	V0Zero V0 = "zero" // u(0) = 0
)

var v0s = []V0{V0NGD, V0GD, V0Zero}

// V0s returns every initial velocity.
func V0s() []V0 { return append([]V0(nil), v0s...) }

func (v V0) String() string { return string(v) }

// ParseV0 returns the initial velocity named s ("" is V0NGD), or an error
// listing the valid names.
func ParseV0(s string) (V0, error) {
	if s == "" {
		return V0NGD, nil
	}
	for _, v := range v0s {
		if string(v) == s {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown initial velocity v0 %q (valid: %s)", s, List(v0s))
}

// List joins the words of a vocabulary with ", " (as error messages list
// valid values).
func List[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}

package engine

import (
	"context"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/floats"
)

// Kind selects the inverse of the metric g = I + εD, for P (`inverse`) or
// for raising the Christoffel index (`christoffel`).
type Kind int

const (
	// WeakField is the paper's first-order inverse: P = I − εD, and the
	// Christoffel symbols of the second kind approximated by the first kind.
	WeakField Kind = iota
	// Exact uses (I + εD)⁻¹.
	Exact
)

func (k Kind) String() string {
	switch k {
	case WeakField:
		return "weak-field"
	case Exact:
		return "exact"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Kinds returns every Kind, in the order error messages list them.
func Kinds() []Kind { return []Kind{WeakField, Exact} }

// KindNames returns the names of Kinds (the words of scenario files).
func KindNames() []string {
	ks := Kinds()
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = k.String()
	}
	return s
}

// ParseKind parses a Kind's name: "weak-field" or "exact".
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds() {
		if k.String() == s {
			return k, nil
		}
	}
	return 0, errorf(ErrInvalid, "unknown metric inverse %q (valid: %s)", s, strings.Join(KindNames(), ", "))
}

// Metric fixes the metric g = I + εD along a trajectory: the constant ε,
// the inverse used for P, and the kind of Christoffel symbols.
type Metric struct {
	Epsilon     float64
	Inverse     Kind
	Christoffel Kind
}

// EpsilonSpec is the ε policy of DESIGN §1.
type EpsilonSpec struct {
	// Auto chooses ε = Safety/λ_max(D(w0)), or 0 if λ_max = 0.
	Auto bool
	// Safety is s ∈ (0, 1) for Auto; 0 means the default 0.5.
	Safety float64
	// Value is the user-given ε ≥ 0 when Auto is false; it must satisfy
	// ε·λ_max(D(w0)) < 1.
	Value float64
}

// DefaultSafety is the default safety factor s of the auto ε policy.
const DefaultSafety = 0.5

// ResolveEpsilon applies spec given λ_max = λ_max(D(w0)) ≥ 0 and returns ε.
// It is an error if the safety factor is outside (0, 1), if a user-given ε
// is negative or not finite, or if ε·λ_max ≥ 1; the message then names ε,
// λ_max, their product and the largest valid ε (ε must stay below 1/λ_max).
func ResolveEpsilon(spec EpsilonSpec, lambdaMax float64) (float64, error) {
	if !(lambdaMax >= 0) || math.IsInf(lambdaMax, 0) {
		return 0, errorf(ErrEpsilon, "λ_max(D(w0)) = %g, want a finite value ≥ 0", lambdaMax)
	}
	if spec.Auto {
		s := spec.Safety
		if s == 0 {
			s = DefaultSafety
		}
		if !(s > 0 && s < 1) {
			return 0, errorf(ErrEpsilon, "epsilon safety factor %g is outside (0, 1)", s)
		}
		if lambdaMax == 0 {
			return 0, nil
		}
		return s / lambdaMax, nil
	}
	eps := spec.Value
	if !(eps >= 0) || math.IsInf(eps, 0) {
		return 0, errorf(ErrEpsilon, "epsilon %g is invalid, want a finite value ≥ 0 or auto", eps)
	}
	if p := eps * lambdaMax; p >= 1 {
		return 0, errorf(ErrEpsilon, "epsilon %g with λ_max(D(w0)) = %g gives ε·λ_max = %g ≥ 1 (the weak-field inverse is invalid and g may be near-singular); use ε < %g = 1/λ_max, or epsilon: auto",
			eps, lambdaMax, p, 1/lambdaMax)
	}
	return eps, nil
}

// Epsilon computes λ_max(D(w0)) with LambdaMax and applies spec to it,
// returning ε and λ_max.
//
// A λ_max at the rounding level of the gradients is returned as 0, so that
// identical per-sample gradients give ε = 0 under `auto` rather than a huge
// ε from rounding noise: λ_max counts as 0 when
// λ_max ≤ (64·ε_mach)²·(‖∇f‖² + λ_max), i.e. when the spread of the
// gradients is below 64 units in the last place of their size
// (‖∇f‖² + λ_max ≤ (1/N) Σ_n ‖g_n‖², so this never zeroes a spread that
// is resolved).
func (g *Geometry) Epsilon(ctx context.Context, w0 []float64, spec EpsilonSpec) (eps, lambdaMax float64, err error) {
	return g.epsilon(ctx, w0, nil, spec)
}

// EpsilonFrom is Epsilon that also returns, in vec (length d, overwritten),
// the top Ritz vector of D(w0) when λ_max comes from Lanczos
// (d > Options.DenseMaxDim; otherwise vec is zeroed): the warm start of a
// flow's ε·λ_max monitor (flow.Monitor). ε and λ_max are those of Epsilon,
// bit for bit.
func (g *Geometry) EpsilonFrom(ctx context.Context, w0, vec []float64, spec EpsilonSpec) (eps, lambdaMax float64, err error) {
	g.checkVec("vec", vec)
	clear(vec)
	return g.epsilon(ctx, w0, vec, spec)
}

func (g *Geometry) epsilon(ctx context.Context, w0, vec []float64, spec EpsilonSpec) (eps, lambdaMax float64, err error) {
	g.checkVec("w0", w0)
	if vec != nil {
		var r LanczosResult
		r, err = g.LambdaMaxFrom(ctx, w0, vec)
		lambdaMax = r.Value
	} else {
		lambdaMax, err = g.LambdaMax(ctx, w0)
	}
	if err != nil {
		return 0, lambdaMax, err
	}
	if lambdaMax > 0 {
		if err := g.accumulate(ctx, g.tC, w0, nil, g.invN, nil); err != nil {
			return 0, lambdaMax, err
		}
		gn := floats.Norm(g.tC, 2)
		if lambdaMax <= roundingZero*roundingZero*(gn*gn+lambdaMax) {
			lambdaMax = 0
		}
	}
	eps, err = ResolveEpsilon(spec, lambdaMax)
	return eps, lambdaMax, err
}

// roundingZero is 64 ε_mach: gradient spreads below it relative to the
// gradients' size are rounding noise.
const roundingZero = 64 * 0x1p-52

package models

import (
	"fmt"
	"math"
)

// HessVecser is the part of an Evaluator that ThirdVecsFD differentiates:
// HessVecs sets row i of dst to H_n v for the samples n in [lo, hi).
type HessVecser interface {
	HessVecs(dst []float64, w, v []float64, lo, hi int)
}

// DefaultThirdVecsFDStep is ThirdVecsFD's relative step when Step is zero:
// ≈ ε_mach^(1/3), which balances the O(h²) truncation error against the
// O(ε_mach/h) rounding error of a central difference.
const DefaultThirdVecsFDStep = 6e-6

// ThirdVecsFD computes ∇³f_n[u,u] for models without analytic third
// derivatives, by a central difference of H_n u along u:
//
//	∇³f_n[u,u] ≈ (H_n(w + h u) u − H_n(w − h u) u) / (2h),
//	h = Step · max(1, ‖w‖∞) / ‖u‖∞.
//
// The step moves w by a relative Step in the max norm whatever the scales of
// w and u. The truncation error is (h²/6)·∂⁴f_n[u,u,u,·] = O(h²) and the
// rounding error is about ε_mach·‖H_n u‖/h; with the default Step ≈ 6e-6 both
// are near 1e-11 relative to the scale of ∇³f_n[u,u] for a well-scaled
// model, against 1e-16 for an analytic formula. It costs two HessVecs calls.
//
// The zero value is ready to use. A ThirdVecsFD holds scratch memory (two
// vectors sized on first use, then reused): keep one per Evaluator, e.g. as a
// field, and call it from the Evaluator's ThirdVecs method:
//
//	func (e *myEval) ThirdVecs(dst, w, u []float64, lo, hi int) {
//		e.fd.ThirdVecs(e, dst, w, u, lo, hi)
//	}
//
// After the first call with the largest chunk, calls do not allocate.
type ThirdVecsFD struct {
	// Step is the relative step h·‖u‖∞/max(1, ‖w‖∞). Zero means
	// DefaultThirdVecsFDStep.
	Step float64

	wt, minus []float64
}

// ThirdVecs sets row i of dst ((hi−lo)×len(w), row-major) to
// ∇³f_n[u,u] for n = lo+i, using hv.HessVecs at w ± h u. If u is zero dst is
// zeroed. It panics if len(u) ≠ len(w), len(dst) ≠ (hi−lo)·len(w), hi < lo or
// Step < 0.
func (f *ThirdVecsFD) ThirdVecs(hv HessVecser, dst, w, u []float64, lo, hi int) {
	d := len(w)
	k := hi - lo
	switch {
	case k < 0:
		panic(fmt.Sprintf("models: ThirdVecsFD: hi = %d < lo = %d", hi, lo))
	case len(u) != d:
		panic(fmt.Sprintf("models: ThirdVecsFD: len(u) = %d, want len(w) = %d", len(u), d))
	case len(dst) != k*d:
		panic(fmt.Sprintf("models: ThirdVecsFD: len(dst) = %d, want (hi−lo)·d = %d·%d", len(dst), k, d))
	case f.Step < 0:
		panic(fmt.Sprintf("models: ThirdVecsFD: Step = %g, want ≥ 0", f.Step))
	}
	var wmax, umax float64
	for i := range w {
		wmax = math.Max(wmax, math.Abs(w[i]))
		umax = math.Max(umax, math.Abs(u[i]))
	}
	if umax == 0 {
		clear(dst)
		return
	}
	step := f.Step
	if step == 0 {
		step = DefaultThirdVecsFDStep
	}
	h := step * math.Max(1, wmax) / umax
	if cap(f.wt) < d {
		f.wt = make([]float64, d)
	}
	if cap(f.minus) < k*d {
		f.minus = make([]float64, k*d)
	}
	wt := f.wt[:d]
	minus := f.minus[:k*d]

	for i := range wt {
		wt[i] = w[i] + h*u[i]
	}
	hv.HessVecs(dst, wt, u, lo, hi)
	for i := range wt {
		wt[i] = w[i] - h*u[i]
	}
	hv.HessVecs(minus, wt, u, lo, hi)
	inv := 1 / (2 * h)
	for i := range dst {
		dst[i] = (dst[i] - minus[i]) * inv
	}
}

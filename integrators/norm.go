package integrators

import "math"

// ErrorNorm is the mixed absolute/relative RMS norm of a local error
// estimate e between the step's start y0 and end y1:
//
//	sc_i = ATol + RTol·max(|y0_i|, |y1_i|)
//	‖e‖  = sqrt( (1/m) Σ_i (e_i / sc_i)² )
//
// A step is acceptable when ‖e‖ ≤ 1.
type ErrorNorm struct {
	RTol, ATol float64
}

// Norm returns ‖e‖. It panics if the lengths differ.
func (n ErrorNorm) Norm(e, y0, y1 []float64) float64 {
	if len(e) != len(y0) || len(e) != len(y1) {
		panic("integrators: ErrorNorm.Norm: length mismatch")
	}
	if len(e) == 0 {
		return 0
	}
	y0, y1 = y0[:len(e)], y1[:len(e)]
	var s float64
	for i, ei := range e {
		// max(|y0|, |y1|) by comparison: math.Max's NaN and ±0 rules
		// cost more than the rest of the loop, and a NaN here makes s
		// NaN anyway (sc NaN, or the driver rejects the non-finite y1).
		a, b := math.Abs(y0[i]), math.Abs(y1[i])
		if b > a {
			a = b
		}
		r := ei / (n.ATol + n.RTol*a)
		s += r * r
	}
	return rms(s, len(e))
}

// rms returns sqrt(s/m) for a sum of squares s over m > 0 terms.
func rms(s float64, m int) float64 { return math.Sqrt(s / float64(m)) }

// combinedNorm is Hairer's a²/sqrt(a² + 0.01 b²) (0 if both are 0).
func combinedNorm(a, b float64) float64 {
	den := a*a + 0.01*b*b
	if den <= 0 {
		return 0
	}
	return a * a / math.Sqrt(den)
}

// Combined returns Hairer's DOP853 error measure from a 5th-order estimate
// e5 and a 3rd-order estimate e3:
//
//	err = ‖e5‖² / sqrt(‖e5‖² + 0.01·‖e3‖²)
//
// (norms as in Norm). It behaves like ‖e5‖ when ‖e3‖ is small and like
// 10‖e5‖²/‖e3‖ = O(h^8) otherwise. It panics if the lengths differ.
func (n ErrorNorm) Combined(e5, e3, y0, y1 []float64) float64 {
	return combinedNorm(n.Norm(e5, y0, y1), n.Norm(e3, y0, y1))
}

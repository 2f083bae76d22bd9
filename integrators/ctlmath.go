package integrators

import "math"

// The step-size controller needs err^(−β) once per step. math.Log and
// math.Exp (full double precision, NaN/Inf/subnormal handling) cost about
// as much as a whole dopri5 stage combination on a small system, so the
// controller uses the two short-series versions below: relative accuracy
// ≈ 1e-12 (tested against math.Log/math.Exp), far below what a step-size
// heuristic can notice, and deterministic, which a bit-identical resumed
// run needs. Both are pure functions of their argument.

const (
	ctlLn2Hi = 6.93147180369123816490e-01 // ln 2, high part (exact in k·ln2Hi for |k| < 2^20)
	ctlLn2Lo = 1.90821492927058770002e-10 // ln 2 − ln2Hi
)

// ctlLog returns ln x for finite x > 0 (absolute error < 1e-12·max(1, |ln x|)).
// Subnormal x falls back to math.Log.
func ctlLog(x float64) float64 {
	if x < 0x1p-1022 {
		return math.Log(x)
	}
	b := math.Float64bits(x)
	e := int(b>>52) - 1023
	m := math.Float64frombits(b&(1<<52-1) | 1023<<52) // m ∈ [1, 2)
	if m > math.Sqrt2 {
		m *= 0.5
		e++
	}
	// ln m = 2 atanh(s), s = (m−1)/(m+1), |s| ≤ 0.1716, s² ≤ 0.0295:
	// 2s(1 + z/3 + z²/5 + … + z⁷/15) truncated after z⁷ leaves < 1e-13.
	f := m - 1
	s := f / (2 + f)
	z := s * s
	z2 := z * z
	z4 := z2 * z2
	// Estrin's scheme: shorter dependency chain than Horner.
	p := (1 + z*(1.0/3)) + z2*(1.0/5+z*(1.0/7)) + z4*((1.0/9+z*(1.0/11))+z2*(1.0/13+z*(1.0/15)))
	fe := float64(e)
	return fe*ctlLn2Hi + (2*s*p + fe*ctlLn2Lo)
}

// ctlExp returns e^x (relative error < 1e-12); 0 below −700, +Inf above 700.
func ctlExp(x float64) float64 {
	switch {
	case x > 700:
		return math.Inf(1)
	case x < -700:
		return 0
	case x != x:
		return x
	}
	// x = k ln2 + r, |r| ≤ ln2/2 ≈ 0.347; e^r by its Taylor series to r¹¹
	// (remainder < 1e-14 relative).
	k := math.Floor(x*math.Log2E + 0.5)
	r := (x - k*ctlLn2Hi) - k*ctlLn2Lo
	r2 := r * r
	r4 := r2 * r2
	r8 := r4 * r4
	const (
		c2  = 1.0 / 2
		c3  = 1.0 / 6
		c4  = 1.0 / 24
		c5  = 1.0 / 120
		c6  = 1.0 / 720
		c7  = 1.0 / 5040
		c8  = 1.0 / 40320
		c9  = 1.0 / 362880
		c10 = 1.0 / 3628800
		c11 = 1.0 / 39916800
	)
	p := (1 + r) + r2*(c2+r*c3) + r4*((c4+r*c5)+r2*(c6+r*c7)) + r8*((c8+r*c9)+r2*(c10+r*c11))
	// Scale by 2^k (|k| ≤ 1010): two factors keep each in the normal range.
	ki := int(k)
	h := ki / 2
	return p * math.Float64frombits(uint64(h+1023)<<52) * math.Float64frombits(uint64(ki-h+1023)<<52)
}

package integrators

import (
	"math"
	"testing"
)

// TestTableausValid checks every built-in tableau's consistency conditions
// (row sums, weight sums, FSAL structure, dense output reproducing y0, y1
// and f0) to 1e-12 — a transcription check for 16-digit coefficients.
func TestTableausValid(t *testing.T) {
	for _, name := range Methods() {
		m, err := MethodByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if m.Stiff() || m.Stabilized() {
			continue // see TestRosenbrockOrderConditions and TestRock4Polynomials
		}
		tb := m.Tableau()
		if err := tb.Validate(1e-12); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestQuadratureConditions checks the order conditions Σ b_i c_i^(k−1) = 1/k
// for k = 1…p (necessary conditions for order p: the method integrates
// y' = t^(k−1) exactly) and that the embedded solution b̂ = b − e fails the
// condition of order ErrOrder (so the error estimate is not identically 0).
func TestQuadratureConditions(t *testing.T) {
	for _, name := range Methods() {
		m, _ := MethodByName(name)
		if m.Stiff() || m.Stabilized() {
			continue
		}
		tb := m.Tableau()
		for k := 1; k <= tb.Order; k++ {
			var s float64
			for i, b := range tb.B {
				s += b * math.Pow(tb.C[i], float64(k-1))
			}
			if math.Abs(s-1/float64(k)) > 1e-13 {
				t.Errorf("%s: Σ b c^%d = %.16g, want 1/%d", name, k-1, s, k)
			}
		}
	}
}

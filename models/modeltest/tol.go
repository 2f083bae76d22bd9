package modeltest

import (
	"math"
	"testing"
)

// Tol is a mixed absolute and relative tolerance. Two numbers a and b agree
// when
//
//	|a − b| ≤ Abs + Rel·max(|a|, |b|).
//
// A NaN on either side never agrees; two equal infinities do.
type Tol struct {
	Rel, Abs float64
}

// ratio returns |a − b| / (Abs + Rel·max(|a|,|b|)): ≤ 1 means a and b agree.
func (tol Tol) ratio(a, b float64) float64 {
	if a == b {
		return 0
	}
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.Inf(1)
	}
	bound := tol.Abs + tol.Rel*math.Max(math.Abs(a), math.Abs(b))
	diff := math.Abs(a - b)
	if bound == 0 {
		return math.Inf(1)
	}
	return diff / bound
}

// Compare returns the index of the component of got and want that is
// furthest outside tol, together with its ratio
// |got_i − want_i| / (Abs + Rel·max(|got_i|, |want_i|)). A ratio ≤ 1 means
// every component agrees (then worst is the index of the largest ratio, or
// −1 for empty vectors). NaN components give an infinite ratio.
//
// Compare panics if got and want have different lengths.
func Compare(got, want []float64, tol Tol) (worst int, ratio float64) {
	if len(got) != len(want) {
		panic("modeltest: Compare: vectors of different lengths")
	}
	worst = -1
	for i := range got {
		r := tol.ratio(got[i], want[i])
		if worst < 0 || r > ratio {
			worst, ratio = i, r
		}
	}
	return worst, ratio
}

// Close reports whether every component of got agrees with want within tol.
// It panics if the lengths differ.
func Close(got, want []float64, tol Tol) bool {
	_, r := Compare(got, want, tol)
	return r <= 1
}

// AssertClose reports a test error naming what and the worst component
// when got and want do not agree within tol, and returns whether they agree.
// Vectors of different lengths are an error too.
func AssertClose(t testing.TB, what string, got, want []float64, tol Tol) bool {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: len(got) = %d, len(want) = %d", what, len(got), len(want))
		return false
	}
	i, r := Compare(got, want, tol)
	if r <= 1 {
		return true
	}
	t.Errorf("%s: component %d of %d: got %.17g, want %.17g (|diff| = %.3g, %.3g× the tolerance %g + %g·|value|)",
		what, i, len(got), got[i], want[i], math.Abs(got[i]-want[i]), r, tol.Abs, tol.Rel)
	return false
}

// normInf returns max_i |x_i|.
func normInf(x []float64) float64 {
	var m float64
	for _, v := range x {
		if a := math.Abs(v); a > m || math.IsNaN(a) {
			m = a
		}
	}
	return m
}

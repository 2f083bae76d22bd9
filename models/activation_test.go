package models

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
)

// nnActRef is σ from its textbook definition (independent of the kernels).
func nnActRef(act Activation, z float64) float64 {
	switch act {
	case Tanh:
		return math.Tanh(z)
	case Sigmoid:
		return 1 / (1 + math.Exp(-z))
	case Softplus:
		return math.Log1p(math.Exp(z))
	default:
		return math.Max(z, 0)
	}
}

// TestActivationDerivatives checks σ against its definition and σ', σ”,
// σ”' against central differences of the next lower kernel output
// (step 1e-5: truncation ~1e-10·|σ^{(k+2)}|, rounding ~1e-11, hence 1e-8).
func TestActivationDerivatives(t *testing.T) {
	zs := []float64{-6, -2.5, -1, -0.3, 0, 0.2, 0.9, 1.7, 4}
	eval := func(act Activation, z float64, k int) float64 {
		x := []float64{z}
		d := [][]float64{{0}, {0}, {0}}
		nnActivate(act, x, d[0], d[1], d[2])
		if k == 0 {
			return x[0]
		}
		return d[k-1][0]
	}
	for _, act := range []Activation{Tanh, Sigmoid, Softplus} {
		for _, z := range zs {
			if got, want := eval(act, z, 0), nnActRef(act, z); math.Abs(got-want) > 1e-15*math.Max(1, math.Abs(want)) {
				t.Errorf("%v(%g) = %.17g, want %.17g", act, z, got, want)
			}
			for k := 1; k <= 3; k++ {
				got := eval(act, z, k)
				want := fd.Derivative(func(x float64) float64 { return eval(act, x, k-1) }, z, &fd.Settings{Formula: fd.Central, Step: 1e-5})
				if math.Abs(got-want) > 1e-8 {
					t.Errorf("%v^(%d)(%g) = %.12g, FD %.12g", act, k, z, got, want)
				}
			}
		}
	}
}

// TestActivationTails checks that the kernels stay finite and accurate far
// in the tails, where naive formulas overflow (exp(800)) or cancel (1 − s).
// Rows with rel = true must match to 1e-14 relative (the tail values are
// representable, e.g. σ'(−40) ≈ e^{−40}); the others hold values below
// 1e-12 that the kernels may round to zero, checked to 1e-12 absolute.
func TestActivationTails(t *testing.T) {
	e40 := math.Exp(-40)
	for _, r := range []struct {
		act       Activation
		z         float64
		a, d1, d2 float64
		rel       bool
	}{
		{Sigmoid, -40, e40 / (1 + e40), e40 / (1 + e40) / (1 + e40), e40, true},
		{Sigmoid, 40, 1 / (1 + e40), e40 / (1 + e40) / (1 + e40), -e40, true},
		{Softplus, -40, math.Log1p(e40), e40 / (1 + e40), e40, true},
		{Softplus, 40, 40 + math.Log1p(e40), 1 / (1 + e40), e40, true},
		{Sigmoid, 800, 1, 0, 0, false},
		{Sigmoid, -800, 0, 0, 0, false},
		{Softplus, 800, 800, 1, 0, false},
		{Softplus, -800, 0, 0, 0, false},
		{Tanh, 30, 1, 0, 0, false},
		{Tanh, -800, -1, 0, 0, false},
	} {
		x := []float64{r.z}
		d1, d2, d3 := []float64{0}, []float64{0}, []float64{0}
		nnActivate(r.act, x, d1, d2, d3)
		for k, v := range []float64{x[0], d1[0], d2[0], d3[0]} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%v(%g): derivative %d is %v", r.act, r.z, k, v)
			}
		}
		for k, c := range [][2]float64{{x[0], r.a}, {d1[0], r.d1}, {d2[0], r.d2}} {
			got, want := c[0], c[1]
			tol := 1e-12
			if r.rel {
				tol = 1e-14 * math.Abs(want)
			}
			if math.Abs(got-want) > tol {
				t.Errorf("%v derivative %d at %g = %.17g, want %.17g", r.act, k, r.z, got, want)
			}
		}
	}
}

// TestActivationRelu checks relu and its refusal of higher derivatives.
func TestActivationRelu(t *testing.T) {
	x := []float64{-1, 0, 2}
	d1 := make([]float64, 3)
	nnActivate(Relu, x, d1, nil, nil)
	if x[0] != 0 || x[1] != 0 || x[2] != 2 || d1[0] != 0 || d1[1] != 0 || d1[2] != 1 {
		t.Errorf("relu = %v, σ' = %v", x, d1)
	}
	if nnActMaxOrder(Relu) != 1 || nnActMaxOrder(Tanh) != 3 {
		t.Errorf("max orders: relu %d tanh %d", nnActMaxOrder(Relu), nnActMaxOrder(Tanh))
	}
	defer func() {
		if recover() == nil {
			t.Errorf("relu second derivative did not panic")
		}
	}()
	nnActivate(Relu, x, d1, d1, nil)
}

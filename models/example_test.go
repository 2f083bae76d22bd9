package models_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/grd-engine/grd/models"
	"github.com/grd-engine/grd/models/modeltest"
)

// quartic is a user-written model: N one-dimensional per-sample losses
//
//	f_n(w) = ¼ (w − a_n)⁴,
//
// with g_n = (w − a_n)³ and H_n = 3 (w − a_n)². It has no hand-written third
// derivative: ThirdVecs uses the models.ThirdVecsFD fallback.
type quartic struct{ a []float64 }

func (m *quartic) Name() string  { return "quartic" }
func (m *quartic) Dim() int      { return 1 }
func (m *quartic) Len() int      { return len(m.a) }
func (m *quartic) MaxOrder() int { return 3 }
func (m *quartic) NewEvaluator(maxChunk int) models.Evaluator {
	return &quarticEval{a: m.a}
}

// quarticEval holds the per-goroutine scratch: here only the finite-
// difference helper's.
type quarticEval struct {
	a  []float64
	fd models.ThirdVecsFD
}

// Every method loops over the chunk [lo, hi); output index i = n − lo.

func (e *quarticEval) Losses(loss, w []float64, lo, hi int) {
	for n := lo; n < hi; n++ {
		r := w[0] - e.a[n]
		loss[n-lo] = r * r * r * r / 4
	}
}

func (e *quarticEval) Directional(loss, s, q []float64, w, v []float64, lo, hi int) {
	for n := lo; n < hi; n++ {
		r := w[0] - e.a[n]
		if loss != nil {
			loss[n-lo] = r * r * r * r / 4
		}
		if s != nil {
			s[n-lo] = r * r * r * v[0]
		}
		if q != nil {
			q[n-lo] = 3 * r * r * v[0] * v[0]
		}
	}
}

func (e *quarticEval) Accumulate(dst []float64, c, ew []float64, w, v []float64, lo, hi int) {
	for n := lo; n < hi; n++ {
		r := w[0] - e.a[n]
		if c != nil {
			dst[0] += c[n-lo] * r * r * r // summed outputs add
		}
		if ew != nil {
			dst[0] += ew[n-lo] * 3 * r * r * v[0]
		}
	}
}

func (e *quarticEval) Grads(dst []float64, w []float64, lo, hi int) {
	for n := lo; n < hi; n++ {
		r := w[0] - e.a[n]
		dst[n-lo] = r * r * r
	}
}

func (e *quarticEval) HessVecs(dst []float64, w, v []float64, lo, hi int) {
	for n := lo; n < hi; n++ {
		r := w[0] - e.a[n]
		dst[n-lo] = 3 * r * r * v[0]
	}
}

func (e *quarticEval) ThirdVecs(dst []float64, w, u []float64, lo, hi int) {
	e.fd.ThirdVecs(e, dst, w, u, lo, hi) // central difference of H_n u along u
}

// TestUserModelConforms is how a user checks a model: one call to the
// conformance harness per point.
func TestUserModelConforms(t *testing.T) {
	m := &quartic{a: []float64{-1, 0, 0.5, 2, 3}}
	for _, w := range []float64{-2, 0.3, 1} {
		modeltest.Check(t, m, []float64{w}, []float64{0.7}, []float64{-1.3}, nil)
	}
}

// This example implements a model outside the package (the quartic type
// above: f_n(w) = ¼(w − a_n)⁴ with the ThirdVecsFD fallback for its third
// derivatives), checks that it is smooth enough for GRD, and evaluates the
// mean loss, the gradient and the mean third-derivative contraction at w = 1.
// TestUserModelConforms in the same file checks it with modeltest.Check.
func Example() {
	var m models.Model = &quartic{a: []float64{-1, 0, 2}}
	if err := models.RequireOrder(m, 3, "grd"); err != nil {
		fmt.Println(err)
		return
	}
	n := m.Len()
	ev := m.NewEvaluator(n)
	w := []float64{1}

	loss := make([]float64, n)
	ev.Losses(loss, w, 0, n)
	var f float64
	for _, l := range loss {
		f += l / float64(n)
	}

	mean := []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}
	grad := make([]float64, 1)
	ev.Accumulate(grad, mean, nil, w, nil, 0, n)

	third := make([]float64, n)
	ev.ThirdVecs(third, w, []float64{1}, 0, n) // 6 (w − a_n) u² by finite differences
	var t3 float64
	for _, x := range third {
		t3 += x / float64(n)
	}
	fmt.Printf("f = %.4f, ∇f = %.4f, mean ∇³f[1,1] = %.6f\n", f, grad[0], t3)
	// Output:
	// f = 1.5000, ∇f = 2.6667, mean ∇³f[1,1] = 4.000000
}

// A quadratic model from inline samples: the mean loss and gradient at w.
func ExampleNewQuadratic() {
	q, err := models.NewQuadratic([]models.QuadSample{
		{A: []float64{2, 0, 0, 1}, C: []float64{1, 0}},
		{A: []float64{1, 0.5, 0.5, 1}, C: []float64{0, -1}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	w := []float64{0, 0}
	ev := q.NewEvaluator(2)
	loss := make([]float64, 2)
	ev.Losses(loss, w, 0, 2)
	grad := make([]float64, 2)
	ev.Accumulate(grad, []float64{0.5, 0.5}, nil, w, nil, 0, 2)
	fmt.Println(q.Name())
	fmt.Printf("f = %.3f, ∇f = %.3f\n", (loss[0]+loss[1])/2, grad)
	// Output:
	// quadratic(d=2, N=2)
	// f = 0.750, ∇f = [-0.750 0.500]
}

// Generated quadratics are reproducible from the seed and every A_n has the
// requested condition number.
func ExampleGenerateQuadratics() {
	samples := models.GenerateQuadratics(3, 2, 100, rand.NewPCG(1, 2))
	for _, s := range samples {
		var es mat.EigenSym
		es.Factorize(mat.NewSymDense(3, s.A), false)
		ev := es.Values(nil)
		fmt.Printf("eigenvalues %.4f, condition %.1f\n", ev, ev[2]/ev[0])
	}
	// Output:
	// eigenvalues [0.0100 0.1000 1.0000], condition 100.0
	// eigenvalues [0.0100 0.1000 1.0000], condition 100.0
}

// Linear regression with a bias (the last weight): per-sample losses and
// gradients g_n = (ŷ − y)(x, 1).
func ExampleNewLinearRegression() {
	data := &models.Data{N: 2, In: 2, Out: 1,
		X: []float64{1, 2, 3, 4},
		Y: []float64{1, 0}}
	m, err := models.NewLinearRegression(data, true)
	if err != nil {
		fmt.Println(err)
		return
	}
	w := []float64{0.5, 0, 1} // ŷ = 0.5 x₀ + 1
	ev := m.NewEvaluator(2)
	loss := make([]float64, 2)
	grads := make([]float64, 2*m.Dim())
	ev.Losses(loss, w, 0, 2)
	ev.Grads(grads, w, 0, 2)
	fmt.Println(m.Name())
	fmt.Println("losses", loss)
	fmt.Println("g_0", grads[:3], "g_1", grads[3:])
	// Output:
	// linear-regression(in=2, bias, N=2)
	// losses [0.125 3.125]
	// g_0 [0.5 1 0.5] g_1 [7.5 10 2.5]
}

// Logistic regression is numerically safe far into saturation: a confident
// correct prediction costs e^(−s), not a rounding error.
func ExampleNewLogistic() {
	data := &models.Data{N: 2, In: 1, Out: 1, X: []float64{1, 1}, Y: []float64{1, 0}}
	m, err := models.NewLogistic(data, false)
	if err != nil {
		fmt.Println(err)
		return
	}
	ev := m.NewEvaluator(2)
	loss := make([]float64, 2)
	for _, s := range []float64{0, 40} {
		ev.Losses(loss, []float64{s}, 0, 2)
		fmt.Printf("s = %2g: loss(y=1) = %.6g, loss(y=0) = %.6g\n", s, loss[0], loss[1])
	}
	fmt.Printf("e^-40 = %.6g, log 2 = %.6g\n", math.Exp(-40), math.Ln2)
	// Output:
	// s =  0: loss(y=1) = 0.693147, loss(y=0) = 0.693147
	// s = 40: loss(y=1) = 4.24835e-18, loss(y=0) = 40
	// e^-40 = 4.24835e-18, log 2 = 0.693147
}

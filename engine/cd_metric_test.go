package engine

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/grd-engine/grd/models"
	"github.com/grd-engine/grd/models/modeltest"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// TestCDMetricConformance: the CD metric model passes the models
// conformance harness (every derivative against finite differences, chunk
// additivity, concurrency, allocations), its mean loss and gradient are
// the RBM's exactly (to rounding), and its diffusion matrix is the
// population covariance of the per-sample CD estimates
// ξ_m = ∇F(v_{n_m}) − ∇F(ṽ_m), with ∇F(v) = −[σ⊗v, v, σ] written out here
// for the stored patterns and chain states.
func TestCDMetricConformance(t *testing.T) {
	p, _ := models.BarsAndStripes(2)
	rbm, err := models.NewRBM(p, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	d := rbm.Dim()
	rng := rand.New(rand.NewPCG(2, 3))
	vec := func(s float64) []float64 {
		x := make([]float64, d)
		for i := range x {
			x[i] = s * rng.NormFloat64()
		}
		return x
	}
	w0, v, u := vec(0.5), vec(0.5), vec(0.5)
	cm, err := NewCDMetric(rbm, w0, CDDiffusionSpec{K: 2, Samples: 37, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	modeltest.Check(t, cm, w0, v, u, nil)

	ctx := context.Background()
	g, gr := New(cm, nil), New(rbm, nil)
	w := vec(0.5) // away from w0
	gc, ge := make([]float64, d), make([]float64, d)
	fc, err := g.LossGrad(ctx, gc, w)
	if err != nil {
		t.Fatal(err)
	}
	fe, err := gr.LossGrad(ctx, ge, w)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(fc-fe) > 1e-12*math.Abs(fe) || floats.Distance(gc, ge, math.Inf(1)) > 1e-12*(1+floats.Norm(ge, math.Inf(1))) {
		t.Errorf("mean loss %v vs %v, gradient differs by %g", fc, fe, floats.Distance(gc, ge, math.Inf(1)))
	}
	if kl := cm.KL(w); kl != rbm.KL(w) {
		t.Errorf("KL %v vs %v", kl, rbm.KL(w))
	}
	var dm mat.SymDense
	if err := g.Diffusion(ctx, &dm, w); err != nil {
		t.Fatal(err)
	}
	// ξ_m from the stored pos/neg patterns: F(v) differences via the
	// per-sample gradients of the two RBMs (log Z cancels).
	m := cm.Len()
	xi := mat.NewDense(m, d, nil)
	mean := make([]float64, d)
	for r := range m {
		pos, neg := cm.Sample(r)
		row := xi.RawRowView(r)
		for j := range 3 { // ∇F(v) = −[σ⊗v, v, σ], σ = sigmoid(c + W v)
			z, z2 := w[12+4+j], w[12+4+j]
			for i := range 4 {
				z += w[j*4+i] * pos[i]
				z2 += w[j*4+i] * neg[i]
			}
			s, s2 := 1/(1+math.Exp(-z)), 1/(1+math.Exp(-z2))
			for i := range 4 {
				row[j*4+i] = -s*pos[i] + s2*neg[i]
			}
			row[16+j] = -s + s2
		}
		for i := range 4 {
			row[12+i] = -pos[i] + neg[i]
		}
		floats.AddScaled(mean, 1/float64(m), row)
	}
	for r := range m {
		floats.Sub(xi.RawRowView(r), mean)
	}
	var want mat.SymDense
	want.SymOuterK(1/float64(m), xi.T())
	var diff mat.Dense
	diff.Sub(&dm, &want)
	if e := mat.Norm(&diff, math.Inf(1)); e > 1e-10*mat.Norm(&want, math.Inf(1)) {
		t.Errorf("D of the CD metric differs from Cov(ξ) by %g (‖Cov‖ = %g)", e, mat.Norm(&want, math.Inf(1)))
	}
	// The chain states are binary; the positive ones are data patterns.
	for r := range m {
		_, neg := cm.Sample(r)
		for _, x := range neg {
			if x != 0 && x != 1 {
				t.Fatalf("chain state %d holds %v", r, x)
			}
		}
	}
}

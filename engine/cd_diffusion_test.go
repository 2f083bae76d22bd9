package engine

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/grd-engine/grd/models"
	"gonum.org/v1/gonum/mat"
)

// TestCDDiffusionLargeK checks the estimator, its per-sample scaling and
// the definition against an independent truth: for K → ∞ the negative
// phase is an exact sample of p_model, independent of the start, so
//
//	D_cd = Cov(∇F(v_n) − ∇F(ṽ)) = D + Cov_{p_model}(∇F),
//
// with D from Geometry.Diffusion and the model covariance of
// ∇F(v) = −[σ⊗v, v, σ] by enumerating the 2^3 visible states with
// RBM.ModelProbs. K = 30 sweeps mix this 3×2 RBM (weights ~0.5) to far
// below the statistical error. With M estimates of batch B = 3 the
// Frobenius error of a sample covariance C is about
// sqrt(((tr C)² + ‖C‖_F²)/M); the test allows 4 times that.
func TestCDDiffusionLargeK(t *testing.T) {
	p := []float64{1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1}
	const nv, nh = 3, 2
	m, err := models.NewRBM(p, nv, nh)
	if err != nil {
		t.Fatal(err)
	}
	d := m.Dim()
	rng := rand.New(rand.NewPCG(9, 9))
	w := make([]float64, d)
	for i := range w {
		w[i] = 0.5 * rng.NormFloat64()
	}
	g := New(m, nil)
	var dd mat.SymDense
	if err := g.Diffusion(context.Background(), &dd, w); err != nil {
		t.Fatal(err)
	}
	// Cov_model(∇F) by enumeration.
	probs := make([]float64, 1<<nv)
	m.ModelProbs(w, probs)
	mean := make([]float64, d)
	second := mat.NewSymDense(d, nil)
	gradF := make([]float64, d)
	v := make([]float64, nv)
	for k, pk := range probs {
		for i := range v {
			v[i] = float64((k >> i) & 1)
		}
		clear(gradF)
		for j := range nh {
			z := w[nv*nh+nv+j]
			for i := range nv {
				z += w[j*nv+i] * v[i]
			}
			s := 1 / (1 + math.Exp(-z))
			for i := range nv {
				gradF[j*nv+i] = -s * v[i]
			}
			gradF[nv*nh+nv+j] = -s
		}
		for i := range nv {
			gradF[nv*nh+i] = -v[i]
		}
		for i, x := range gradF {
			mean[i] += pk * x
		}
		second.SymRankOne(second, pk, mat.NewVecDense(d, gradF))
	}
	truth := mat.NewSymDense(d, nil)
	truth.SymRankOne(second, -1, mat.NewVecDense(d, mean))
	truth.AddSym(truth, &dd)

	const samples = 20000
	var dcd mat.SymDense
	lmax, err := g.CDDiffusion(context.Background(), &dcd, w, CDDiffusionSpec{K: 30, Batch: 3, Samples: samples, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	var neg, diff mat.SymDense
	neg.ScaleSym(-1, truth)
	diff.AddSym(&dcd, &neg)
	tr := mat.Trace(truth)
	fro := mat.Norm(truth, 2)
	tol := 4 * math.Sqrt((tr*tr+fro*fro)/samples)
	if e := mat.Norm(&diff, 2); e > tol {
		t.Errorf("‖D_cd − (D + Cov_model ∇F)‖_F = %.4g, want ≤ %.4g (‖truth‖_F = %.4g)", e, tol, fro)
	}
	var eig mat.EigenSym
	eig.Factorize(truth, false)
	vals := eig.Values(nil)
	if top := vals[d-1]; math.Abs(lmax-top) > tol {
		t.Errorf("λ_max(D_cd) = %.6g, truth %.6g (tolerance %.3g)", lmax, top, tol)
	}
	// Same seed, same bits.
	var again mat.SymDense
	if _, err := g.CDDiffusion(context.Background(), &again, w, CDDiffusionSpec{K: 30, Batch: 3, Samples: samples, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(&again, &dcd) {
		t.Error("CDDiffusion with the same seed differs")
	}
	other := testCases(t)[0].m
	if _, err := New(other, nil).CDDiffusion(context.Background(), &mat.SymDense{}, make([]float64, other.Dim()), CDDiffusionSpec{}); !errors.Is(err, ErrNotRBM) {
		t.Errorf("CDDiffusion on %s: err = %v, want ErrNotRBM", other.Name(), err)
	}
}

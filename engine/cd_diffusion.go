package engine

import (
	"context"
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// CDDiffusionSpec configures Geometry.CDDiffusion. Zero fields mean the
// documented defaults.
type CDDiffusionSpec struct {
	K       int    // Gibbs sweeps per CD estimate; default DefaultCDK (1)
	Batch   int    // minibatch size B of each estimate; default 1
	Samples int    // number M ≥ 2 of independent estimates; default DefaultCDSamples
	Seed    uint64 // the estimates' randomness derives from it
}

// DefaultCDSamples is the default number M of CD estimates of CDDiffusion.
const DefaultCDSamples = 4096

// CDDiffusion sets dst (an empty or d×d SymDense) to an estimate of the
// per-sample diffusion matrix of contrastive divergence at w, the analogue
// for CD-K of D(w) for exact per-sample gradients, and returns its largest
// eigenvalue (dense EigenSym, so d should be small: every RBM has
// d ≤ 440).
//
// Definition. One per-sample CD estimate is ξ = ∇F(v_n) − ∇F(ṽ), n uniform
// on the N patterns and ṽ the state of a chain started at v_n after K
// block-Gibbs sweeps (the hidden term uses σ, as in models.CD). D_cd(w) =
// Cov(ξ): it reduces to D(w) = Cov_n(g_n) when the negative phase is
// exact, and exceeds it by the sampling noise of the negative phase
// otherwise (for K → ∞, D_cd = D + Cov_{p_model}(∇F)).
//
// Estimator. M independent minibatch estimates ĝ_m = (1/B) Σ_b ξ_{m,b} of
// size B, their B entries drawn uniformly WITH replacement (so the ξ_{m,b}
// are independent and identically distributed and Cov(ĝ) = Cov(ξ)/B
// exactly; training minibatches are drawn without replacement, whose
// finite-population factor (N−B)/(N−1) is deliberately left out), and
//
//	D_cd ≈ B · (1/(M−1)) Σ_m (ĝ_m − ḡ)(ĝ_m − ḡ)ᵀ,
//
// the unbiased sample covariance scaled by B to one sample, so it is
// directly comparable with D (which is also per sample, but a population
// covariance over the N patterns with 1/N). Each entry has a relative
// standard error of about sqrt(2/(M−1)) (≈ 2% for the default M).
//
// Randomness: batch indices and Gibbs draws come from one PCG stream
// derived from Seed alone (results do not depend on the worker count).
// It returns an error if the model is not an RBM or the spec is invalid.
// It panics if len(w) ≠ d or dst has the wrong shape.
func (g *Geometry) CDDiffusion(ctx context.Context, dst *mat.SymDense, w []float64, spec CDDiffusionSpec) (float64, error) {
	g.checkVec("w", w)
	d := g.d
	if !dst.IsEmpty() {
		if r := dst.SymmetricDim(); r != d {
			panic(fmt.Sprintf("engine: CDDiffusion: dst is %d×%d, want %d×%d", r, r, d, d))
		}
	}
	rbm, err := RBM(g.m)
	if err != nil {
		return 0, errorf(ErrInvalid, "CD diffusion: %w", err)
	}
	k, b, m := spec.K, spec.Batch, spec.Samples
	if k == 0 {
		k = DefaultCDK
	}
	if b == 0 {
		b = 1
	}
	if m == 0 {
		m = DefaultCDSamples
	}
	switch {
	case k < 1:
		return 0, errorf(ErrInvalid, "CD diffusion: k = %d, want ≥ 1", k)
	case b < 1:
		return 0, errorf(ErrInvalid, "CD diffusion: batch = %d, want ≥ 1", b)
	case m < 2:
		return 0, errorf(ErrInvalid, "CD diffusion: samples = %d, want ≥ 2 estimates", m)
	}
	rng := rand.New(rand.NewPCG(mix64(spec.Seed), mix64(^uint64(0))))
	est := rbm.NewCD(rng)
	n := rbm.Len()
	batch := make([]int, b)
	gs := mat.NewDense(m, d, nil)
	mean := make([]float64, d)
	for r := range m {
		if r%256 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, errorf(ErrInvalid, "CD diffusion: %w", err)
			}
		}
		for i := range batch {
			batch[i] = rng.IntN(n)
		}
		row := gs.RawRowView(r)
		est.Gradient(row, w, batch, k, nil)
		for i, x := range row {
			mean[i] += x
		}
	}
	for i := range mean {
		mean[i] /= float64(m)
	}
	for r := range m {
		row := gs.RawRowView(r)
		for i := range row {
			row[i] -= mean[i]
		}
	}
	if dst.IsEmpty() {
		dst.ReuseAsSym(d)
	}
	dst.Zero()
	dst.SymOuterK(float64(b)/float64(m-1), gs.T())
	var eig mat.EigenSym
	if !eig.Factorize(dst, false) {
		return 0, errorf(ErrNotConverged, "CD diffusion: the eigenvalue decomposition did not converge")
	}
	vals := eig.Values(nil)
	return max(vals[len(vals)-1], 0), nil
}

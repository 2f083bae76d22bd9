package models_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/grd-engine/grd/models"
)

// The CD tests compare the Monte Carlo estimator with its exact expectation.
// For an RBM with few units the block-Gibbs sweep v → h → v' is a Markov
// chain on the 2^{n_v} visible configurations with transition matrix
//
//	T(v, v') = Σ_h Π_j p(h_j | v) Π_i p(v'_i | h),
//
// computed here by brute force. A chain started from the distribution π_0
// has distribution π_k = π_0 T^k after k sweeps, so
//
//	E[CD_k] = −(1/|B|) Σ_{n∈B} S(v_n) + Σ_v π_k(v) S(v),   S(v) = [σ ⊗ v, v, σ],
//
// with π_0 the empirical distribution of the batch (CD) or of the initial
// persistent chains (PCD). The estimator's negative phase is a mean of C
// independent chain statistics, so its variance per component is at most
// Var_{π_k}(S)/C (the mixture variance bounds the mean of the per-start
// variances), which sets a 5-standard-deviation tolerance.

// rbmStat writes S(v) = [σ ⊗ v, v, σ], σ = sigmoid(c + W v), into dst.
func rbmStat(dst []float64, nv, nh int, w, v []float64) {
	W, c := w[:nh*nv], w[nh*nv+nv:]
	for j := 0; j < nh; j++ {
		a := c[j]
		for i := 0; i < nv; i++ {
			a += W[j*nv+i] * v[i]
		}
		s := 1 / (1 + math.Exp(-a))
		for i := 0; i < nv; i++ {
			dst[j*nv+i] = s * v[i]
		}
		dst[nh*nv+nv+j] = s
	}
	copy(dst[nh*nv:nh*nv+nv], v)
}

func bits(k, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64((k >> i) & 1)
	}
	return v
}

func sigm(a float64) float64 { return 1 / (1 + math.Exp(-a)) }

// gibbsMatrix returns T (2^nv × 2^nv, row-major) by brute force.
func gibbsMatrix(nv, nh int, w []float64) []float64 {
	W, b, c := w[:nh*nv], w[nh*nv:nh*nv+nv], w[nh*nv+nv:]
	nV, nH := 1<<nv, 1<<nh
	T := make([]float64, nV*nV)
	for vi := 0; vi < nV; vi++ {
		v := bits(vi, nv)
		for hi := 0; hi < nH; hi++ {
			h := bits(hi, nh)
			ph := 1.0
			for j := 0; j < nh; j++ {
				a := c[j]
				for i := 0; i < nv; i++ {
					a += W[j*nv+i] * v[i]
				}
				if h[j] == 1 {
					ph *= sigm(a)
				} else {
					ph *= 1 - sigm(a)
				}
			}
			for vj := 0; vj < nV; vj++ {
				v2 := bits(vj, nv)
				pv := 1.0
				for i := 0; i < nv; i++ {
					a := b[i]
					for j := 0; j < nh; j++ {
						a += W[j*nv+i] * h[j]
					}
					if v2[i] == 1 {
						pv *= sigm(a)
					} else {
						pv *= 1 - sigm(a)
					}
				}
				T[vi*nV+vj] += ph * pv
			}
		}
	}
	return T
}

// cdExpect returns E[S(v)] and Var[S(v)] (per component) under π_0 T^k.
func cdExpect(nv, nh int, w, T, pi0 []float64, k int) (mean, variance []float64) {
	nV := 1 << nv
	d := nh*nv + nv + nh
	pi := append([]float64(nil), pi0...)
	next := make([]float64, nV)
	for range k {
		clear(next)
		for a, p := range pi {
			for b := 0; b < nV; b++ {
				next[b] += p * T[a*nV+b]
			}
		}
		pi, next = next, pi
	}
	mean, variance = make([]float64, d), make([]float64, d)
	s := make([]float64, d)
	for a, p := range pi {
		rbmStat(s, nv, nh, w, bits(a, nv))
		for i, x := range s {
			mean[i] += p * x
			variance[i] += p * x * x
		}
	}
	for i := range variance {
		variance[i] = math.Max(0, variance[i]-mean[i]*mean[i])
	}
	return mean, variance
}

// exactGrad returns the exact gradient of the mean NLL from the Evaluator.
func exactGrad(m *models.RBM, w []float64) []float64 {
	n := m.Len()
	c := make([]float64, n)
	for i := range c {
		c[i] = 1 / float64(n)
	}
	g := make([]float64, m.Dim())
	m.NewEvaluator(n).Accumulate(g, c, nil, w, nil, 0, n)
	return g
}

// posPhase returns −(1/|B|) Σ_B S(v_n).
func posPhase(m *models.RBM, w []float64, batch []int) []float64 {
	d := m.Dim()
	g, s := make([]float64, d), make([]float64, d)
	for _, n := range batch {
		rbmStat(s, m.Visible(), m.Hidden(), w, m.Pattern(n))
		for i, x := range s {
			g[i] -= x / float64(len(batch))
		}
	}
	return g
}

func patternIndex(m *models.RBM, n int) int { return patternIndexOf(m.Pattern(n)) }

// TestCDExactExpectationConverges checks, without sampling, that the exact
// expectation of the CD-k estimator converges to the exact gradient as k
// grows (the Gibbs chain is ergodic, so π_k → p_model geometrically), and
// that the exact gradient is the model expectation minus the data
// expectation of S computed independently from the brute-force marginals.
func TestCDExactExpectationConverges(t *testing.T) {
	nv, nh := 4, 3
	m := newRBM(t, rbmPatterns(7, 8, nv), nv, nh)
	w := nnConfVec(8, m.Dim(), 0.6)
	T := gibbsMatrix(nv, nh, w)
	batch := make([]int, m.Len())
	pi0 := make([]float64, 1<<nv)
	for n := range batch {
		batch[n] = n
		pi0[patternIndex(m, n)] += 1 / float64(m.Len())
	}
	g := exactGrad(m, w)
	pos := posPhase(m, w, batch)

	// Independent check of g: −E_data S + E_model S with brute-force p(v).
	br := bruteRBM(nv, nh, w)
	model, _ := cdExpect(nv, nh, w, T, br.probs, 0)
	for i := range g {
		if want := pos[i] + model[i]; math.Abs(g[i]-want) > 1e-13 {
			t.Fatalf("exact gradient component %d = %.17g, −E_data S + E_model S = %.17g", i, g[i], want)
		}
	}

	prev := math.Inf(1)
	for _, k := range []int{1, 2, 5, 10, 20, 50, 200} {
		mean, _ := cdExpect(nv, nh, w, T, pi0, k)
		var dist float64
		for i := range g {
			dist = math.Max(dist, math.Abs(pos[i]+mean[i]-g[i]))
		}
		t.Logf("k = %3d: ‖E[CD_k] − ∇f‖∞ = %.3g", k, dist)
		if k >= 10 && !(dist < prev) && dist > 1e-14 {
			t.Errorf("k = %d: ‖E[CD_k] − ∇f‖∞ = %g did not decrease from %g", k, dist, prev)
		}
		prev = dist
	}
	if prev > 1e-12 {
		t.Errorf("‖E[CD_200] − ∇f‖∞ = %g, want ≤ 1e-12 (geometric mixing)", prev)
	}
}

// TestCDMonteCarlo compares the sampled CD-1, CD-30 and PCD-30 estimates
// with their exact expectations (and CD-30's with the exact gradient) at 5
// standard deviations per component: with d = 19 components the chance of
// a false failure is below 19·6e-7 ≈ 1e-5. Determinism given the source is
// checked too.
func TestCDMonteCarlo(t *testing.T) {
	nv, nh := 4, 3
	m := newRBM(t, rbmPatterns(9, 8, nv), nv, nh)
	d := m.Dim()
	// Weights large enough that CD-1 is visibly biased (checked below), so
	// that matching E[CD_1] rather than ∇f is a real test of the sampler.
	w := nnConfVec(10, d, 1.5)
	T := gibbsMatrix(nv, nh, w)
	g := exactGrad(m, w)

	const reps = 500 // batch = every pattern, reps times: C = 4000 chains
	batch := make([]int, 0, reps*m.Len())
	for range reps {
		for n := 0; n < m.Len(); n++ {
			batch = append(batch, n)
		}
	}
	pi0 := make([]float64, 1<<nv)
	for _, n := range batch {
		pi0[patternIndex(m, n)] += 1 / float64(len(batch))
	}
	pos := posPhase(m, w, batch)
	est := make([]float64, d)
	for _, k := range []int{1, 30} {
		cd := m.NewCD(rand.NewPCG(uint64(k), 3))
		cd.Gradient(est, w, batch, k, nil)
		mean, variance := cdExpect(nv, nh, w, T, pi0, k)
		biased := false
		for i := range est {
			want := pos[i] + mean[i]
			sd := math.Sqrt(variance[i] / float64(len(batch)))
			biased = biased || math.Abs(want-g[i]) > 10*sd
			if math.Abs(est[i]-want) > 5*sd+1e-12 {
				t.Errorf("CD-%d component %d: estimate %.6f, exact expectation %.6f (5 sd = %.2g)", k, i, est[i], want, 5*sd)
			}
			// After 30 sweeps the expectation equals ∇f to ≪ sd (see the
			// previous test), so the estimate also matches the gradient.
			if k == 30 && math.Abs(est[i]-g[i]) > 5*sd+math.Abs(want-g[i]) {
				t.Errorf("CD-30 component %d: estimate %.6f, exact gradient %.6f (5 sd = %.2g)", i, est[i], g[i], 5*sd)
			}
		}
		if k == 1 && !biased {
			t.Errorf("test design: CD-1's bias is below 10 sd in every component; the CD-1 check cannot tell E[CD_1] from ∇f")
		}
		// Determinism: the same source gives the same estimate, bit for bit.
		again := make([]float64, d)
		m.NewCD(rand.NewPCG(uint64(k), 3)).Gradient(again, w, batch, k, nil)
		for i := range est {
			if math.Float64bits(est[i]) != math.Float64bits(again[i]) {
				t.Fatalf("CD-%d not deterministic given the source (component %d)", k, i)
			}
		}
	}

	// PCD-30 from 4000 uniformly random persistent chains, with a batch of
	// every pattern once.
	const C = 4000
	rng := rand.New(rand.NewPCG(11, 12))
	chains := make([]float64, C*nv)
	for i := range chains {
		chains[i] = float64(rng.IntN(2))
	}
	start := append([]float64(nil), chains...)
	uniform := make([]float64, 1<<nv)
	for c := 0; c < C; c++ {
		uniform[patternIndexOf(start[c*nv:(c+1)*nv])] += 1.0 / C
	}
	all := make([]int, m.Len())
	for n := range all {
		all[n] = n
	}
	cd := m.NewCD(rand.NewPCG(13, 14))
	cd.Gradient(est, w, all, 30, chains)
	mean, variance := cdExpect(nv, nh, w, T, uniform, 30)
	pos = posPhase(m, w, all)
	moved := 0
	for i := range chains {
		if chains[i] != 0 && chains[i] != 1 {
			t.Fatalf("PCD chain entry %d = %v, want 0 or 1", i, chains[i])
		}
		if chains[i] != start[i] {
			moved++
		}
	}
	if moved == 0 {
		t.Errorf("PCD did not advance the persistent chains in place")
	}
	for i := range est {
		want := pos[i] + mean[i]
		sd := math.Sqrt(variance[i] / C)
		if math.Abs(est[i]-want) > 5*sd+1e-12 {
			t.Errorf("PCD-30 component %d: estimate %.6f, exact expectation %.6f (5 sd = %.2g)", i, est[i], want, 5*sd)
		}
		if math.Abs(est[i]-g[i]) > 5*sd+math.Abs(want-g[i]) {
			t.Errorf("PCD-30 component %d: estimate %.6f, exact gradient %.6f (5 sd = %.2g)", i, est[i], g[i], 5*sd)
		}
	}

	// GibbsStep on one chain agrees with the transition matrix in
	// distribution: from v = 0, C one-sweep samples' frequencies match
	// T(0, ·) within 5 binomial standard deviations.
	one := make([]float64, C*nv)
	m.NewCD(rand.NewPCG(15, 16)).GibbsStep(w, one)
	freq := make([]float64, 1<<nv)
	for c := 0; c < C; c++ {
		freq[patternIndexOf(one[c*nv:(c+1)*nv])] += 1.0 / C
	}
	for b, f := range freq {
		p := T[b]
		if sd := math.Sqrt(p * (1 - p) / C); math.Abs(f-p) > 5*sd+1e-12 {
			t.Errorf("GibbsStep from 0: frequency of %0*b = %.4f, T = %.4f (5 sd = %.2g)", nv, b, f, p, 5*sd)
		}
	}

	if a := testing.AllocsPerRun(3, func() { cd.Gradient(est, w, all, 2, chains) }); a > 0 {
		t.Errorf("CD.Gradient allocates %v times per call", a)
	}
}

func patternIndexOf(v []float64) int {
	k := 0
	for i, x := range v {
		k |= int(x) << i
	}
	return k
}

package models

import (
	"fmt"
	"math/rand/v2"
)

// CD estimates the gradient of an RBM's mean negative log-likelihood by
// k-step contrastive divergence (CD-k) or persistent contrastive divergence
// (PCD-k). The exact gradient is
//
//	∇f = (1/N) Σ_n ∇F(v_n) − E_model[∇F(v)],   ∇F(v) = −[σ ⊗ v, v, σ],
//
// σ = sigmoid(c + W v). A CD estimate replaces the model expectation by an
// average over Gibbs chains: the positive phase averages ∇F over the
// minibatch (with the exact hidden probabilities σ), the negative phase
// averages ∇F (again with σ, not sampled h) over the chains' visible states
// after k block-Gibbs sweeps, started from the minibatch itself (CD) or
// continued from persistent chains (PCD).
//
// A CD draws all its randomness from the rand.Source it was made with, in a
// fixed order (chain by chain, hidden then visible units, sweep by sweep),
// so it is deterministic given the source. It holds O(n_v + n_h) scratch,
// does not allocate after construction and is used by one goroutine at a
// time.
type CD struct {
	m   *RBM
	rng *rand.Rand
	v   []float64 // one chain's visible state
	h   []float64 // hidden state
	p   []float64 // hidden probabilities σ
}

// NewCD returns a contrastive-divergence estimator for m drawing from src.
// It panics if src is nil.
func (m *RBM) NewCD(src rand.Source) *CD {
	if src == nil {
		panic("models: rbm.NewCD: nil rand.Source")
	}
	return &CD{m: m, rng: rand.New(src),
		v: make([]float64, m.nv), h: make([]float64, m.nh), p: make([]float64, m.nh)}
}

// gibbs performs one block-Gibbs sweep on the chain v (len n_v) in place:
// h_j ~ Bernoulli(σ(c_j + W_j·v)), then v_i ~ Bernoulli(σ(b_i + Σ_j W_ji h_j)).
func (cd *CD) gibbs(w, v []float64) {
	nv, nh := cd.m.nv, cd.m.nh
	W, b, c := rbmSplit(nv, nh, w)
	for j := 0; j < nh; j++ {
		a := c[j]
		for i, x := range W[j*nv : (j+1)*nv] {
			a += x * v[i]
		}
		s, _ := nnSigmoid2(a)
		cd.h[j] = 0
		if cd.rng.Float64() < s {
			cd.h[j] = 1
		}
	}
	for i := 0; i < nv; i++ {
		a := b[i]
		for j, hj := range cd.h {
			a += W[j*nv+i] * hj
		}
		s, _ := nnSigmoid2(a)
		v[i] = 0
		if cd.rng.Float64() < s {
			v[i] = 1
		}
	}
}

// GibbsStep advances every chain in chains (rows of n_v values 0 or 1) by
// one block-Gibbs sweep v → h → v at weights w, in place. It panics if
// len(w) ≠ d or len(chains) is not a multiple of n_v.
func (cd *CD) GibbsStep(w, chains []float64) {
	m := cd.m
	m.checkW("GibbsStep", w)
	if len(chains)%m.nv != 0 {
		panic(fmt.Sprintf("models: rbm.GibbsStep: len(chains) = %d is not a multiple of n_v = %d", len(chains), m.nv))
	}
	for r := 0; r < len(chains); r += m.nv {
		cd.gibbs(w, chains[r:r+m.nv])
	}
}

// addPhase adds a·[σ ⊗ v, v, σ] (= −a ∇F(v)) into dst, σ = sigmoid(c + W v).
func (cd *CD) addPhase(dst, w, v []float64, a float64) {
	nv, nh := cd.m.nv, cd.m.nh
	W, _, c := rbmSplit(nv, nh, w)
	dW, db, dc := rbmSplit(nv, nh, dst)
	for j := 0; j < nh; j++ {
		z := c[j]
		for i, x := range W[j*nv : (j+1)*nv] {
			z += x * v[i]
		}
		s, _ := nnSigmoid2(z)
		t := a * s
		dc[j] += t
		row := dW[j*nv : (j+1)*nv]
		for i, x := range v {
			row[i] += t * x
		}
	}
	for i, x := range v {
		db[i] += a * x
	}
}

// Gradient sets dst (len d) to a CD-k or PCD-k estimate of the gradient of
// the mean negative log-likelihood at w:
//
//	dst = (1/|B|) Σ_{n∈B} ∇F(v_n) − (1/C) Σ_chains ∇F(v_chain after k sweeps).
//
// batch lists pattern indices (repeats allowed). With chains == nil it is
// CD-k: one chain per batch entry, started at that pattern (C = |B|). With
// chains non-nil it is PCD-k: the C = len(chains)/n_v persistent chains
// (rows of 0/1 values, e.g. initialised from patterns or uniformly at
// random by the caller) are advanced k sweeps in place and used for the
// negative phase. k = 0 is allowed (CD-0 is identically zero).
//
// Gradient panics if len(dst) or len(w) ≠ d, batch is empty or holds an
// index outside [0, N), k < 0, or len(chains) is not a positive multiple of
// n_v.
func (cd *CD) Gradient(dst, w []float64, batch []int, k int, chains []float64) {
	m := cd.m
	m.checkW("CD.Gradient", w)
	switch {
	case len(dst) != m.dim:
		panic(fmt.Sprintf("models: rbm.CD.Gradient: len(dst) = %d, want d = %d", len(dst), m.dim))
	case len(batch) == 0:
		panic("models: rbm.CD.Gradient: empty batch")
	case k < 0:
		panic(fmt.Sprintf("models: rbm.CD.Gradient: k = %d, want ≥ 0", k))
	case chains != nil && (len(chains) == 0 || len(chains)%m.nv != 0):
		panic(fmt.Sprintf("models: rbm.CD.Gradient: len(chains) = %d, want a positive multiple of n_v = %d", len(chains), m.nv))
	}
	for i, n := range batch {
		if n < 0 || n >= m.n {
			panic(fmt.Sprintf("models: rbm.CD.Gradient: batch[%d] = %d is outside [0, %d)", i, n, m.n))
		}
	}
	clear(dst)
	pos := -1 / float64(len(batch))
	for _, n := range batch {
		cd.addPhase(dst, w, m.Pattern(n), pos)
	}
	if chains == nil {
		neg := 1 / float64(len(batch))
		for _, n := range batch {
			copy(cd.v, m.Pattern(n))
			for range k {
				cd.gibbs(w, cd.v)
			}
			cd.addPhase(dst, w, cd.v, neg)
		}
		return
	}
	neg := 1 / float64(len(chains)/m.nv)
	for r := 0; r < len(chains); r += m.nv {
		v := chains[r : r+m.nv]
		for range k {
			cd.gibbs(w, v)
		}
		cd.addPhase(dst, w, v, neg)
	}
}

// BarsAndStripes returns every bars-and-stripes pattern of a size×size
// binary grid, row-major (pixel (r, c) at index r·size + c), as n patterns
// of size² values 0 or 1. A bar pattern switches on a subset of the
// columns, a stripe pattern a subset of the rows; the all-off and all-on
// grids are both, and appear once each, so n = 2^(size+1) − 2. Order: the
// 2^size bar patterns by column mask (bit c set ⇔ column c on, masks 0 …
// 2^size − 1, so all-off first and all-on last among them), then the stripe
// patterns by row mask 1 … 2^size − 2. For size = 1 the two patterns are
// {0} and {1}. With an RBM, n_v = size² must be ≤ RBMMaxUnits (size ≤ 4).
// It panics unless 1 ≤ size ≤ 8.
func BarsAndStripes(size int) (patterns []float64, n int) {
	if size < 1 || size > 8 {
		panic(fmt.Sprintf("models: BarsAndStripes(%d): size must be in 1..8", size))
	}
	nv := size * size
	full := 1 << size
	n = 2*full - 2
	patterns = make([]float64, 0, n*nv)
	for mask := 0; mask < full; mask++ {
		for r := 0; r < size; r++ {
			for c := 0; c < size; c++ {
				patterns = append(patterns, float64((mask>>c)&1))
			}
		}
	}
	for mask := 1; mask < full-1; mask++ {
		for r := 0; r < size; r++ {
			for c := 0; c < size; c++ {
				patterns = append(patterns, float64((mask>>r)&1))
			}
		}
	}
	return patterns, n
}

package models

import (
	"fmt"
	"math"
)

// This file holds the restricted Boltzmann machine: the model, its
// Evaluator and the exact helpers LogZ, ModelProbs and KL. The exact
// enumeration of the partition function and its derivatives lives in
// rbm_enum.go; contrastive divergence and the bars-and-stripes data in
// rbm_cd.go.
//
// Notation. Visible units v ∈ {0,1}^{n_v}, hidden units h ∈ {0,1}^{n_h},
// parameters θ = [W (n_h×n_v, row-major), b (n_v), c (n_h)], energy
// E(v,h) = −b·v − c·h − hᵀWv. Summing out h gives the free energy
//
//	F(v) = −b·v − Σ_j softplus(a_j),   a = c + W v,
//
// and p(v) = exp(−F(v))/Z with log Z = log Σ_v exp(−F(v)). The per-sample
// loss is the negative log-likelihood f_n = F(v_n) + log Z.
//
// Derivatives of F along a direction u = [U, β, γ] (same layout as θ).
// a is linear in θ, so with ȧ = γ + U v and σ = sigmoid(a) (σ', σ'' its
// derivatives):
//
//	∇F         = −[σ ⊗ v, v, σ]                  (W block: σ_j v_i)
//	∇F·u       = −β·v − Σ_j σ_j ȧ_j
//	∇²F u      = −[(σ'⊙ȧ) ⊗ v, 0, σ'⊙ȧ],         uᵀ∇²F u = −Σ_j σ'_j ȧ_j²
//	∇³F[u,u]   = −[(σ''⊙ȧ²) ⊗ v, 0, σ''⊙ȧ²].
//
// So g_n = ∇F(v_n) + ∇log Z and likewise for every derivative: the log Z
// part is shared by all samples and is computed once per w (and per
// direction) by the exact enumeration of rbm_enum.go, which caches it in
// the Evaluator keyed on exact copies of w and of the direction.

// RBMMaxUnits is the largest number of visible or hidden units an RBM may
// have: log Z is computed by enumerating 2^min(n_v, n_h) configurations,
// and ModelProbs and KL enumerate the 2^{n_v} visible configurations.
const RBMMaxUnits = 20

// RBM is a binary restricted Boltzmann machine with n_v visible and n_h
// hidden units on a data set of N binary visible patterns v_n, with
// per-sample loss the exact negative log-likelihood
//
//	f_n(θ) = −log p(v_n) = F(v_n) + log Z,
//	F(v) = −b·v − Σ_j softplus(c_j + W_j·v),   log Z = log Σ_v exp(−F(v)).
//
// The weights are θ = [W (n_h×n_v, row-major), b (n_v, visible bias),
// c (n_h, hidden bias)], so d = n_h·n_v + n_v + n_h.
//
// log Z is exact: it is a log-sum-exp over the configurations of the
// smaller layer (the hidden layer when n_h < n_v, using
// log Z = log Σ_h exp(c·h + Σ_i softplus(b_i + (Wᵀh)_i)); the visible layer
// otherwise). All derivatives are exact (MaxOrder 3): the log Z parts are
// the model mean, covariance and third central moments of the enumerated
// layer's sufficient statistics, derived in rbm_enum.go.
//
// Cost. One enumeration pass visits 2^m configurations, m = min(n_v, n_h),
// at about 2·2^m·n_v·n_h multiply-adds (three with a direction) in small
// matrix products, plus 2^m·max(n_v, n_h) exponentials and 2^m logarithms.
// For n_v = n_h = 20 that is about 10⁹ operations, measured at ≈ 1.7 µs per
// configuration (≈ 1.8 s per pass) on a loaded shared 2-core machine
// (BenchmarkRBMPass*20); the cost halves with each unit fewer in the
// smaller layer. An Evaluator does one pass per new w (log Z and ∇log Z
// together), one per new (w, direction) for Hessian-vector products and q,
// and one more per (w, u) for ∇³f[u,u]. It remembers the last w, the last
// two directions and the last third-derivative direction, so one
// Accumulate or Directional sweep over all chunks at fixed w enumerates
// once per Evaluator (each Evaluator enumerates for itself: W concurrent
// workers repeat the pass W times). The per-sample work is O(n_v·n_h) per
// sample and operation.
type RBM struct {
	nv, nh, n int
	v         []float64 // N×n_v patterns
	idx       []uint32  // idx[n] = Σ_i v_ni 2^i, the configuration index of pattern n
	negH      float64   // Σ_v p_data(v) log p_data(v) = −H(p_data)
	dim       int
	name      string
}

// NewRBM returns the RBM with nv visible and nh hidden units on the N =
// len(patterns)/nv binary patterns in patterns (N×nv, row-major, every
// entry 0 or 1). It copies patterns. It returns an error if nv or nh is
// outside 1..RBMMaxUnits, len(patterns) is not a positive multiple of nv, or
// an entry is not 0 or 1 (the error names the sample and column).
func NewRBM(patterns []float64, nv, nh int) (*RBM, error) {
	switch {
	case nv < 1 || nv > RBMMaxUnits:
		return nil, errorf(ErrInvalid, "rbm: %d visible units, want 1..%d", nv, RBMMaxUnits)
	case nh < 1 || nh > RBMMaxUnits:
		return nil, errorf(ErrInvalid, "rbm: %d hidden units, want 1..%d", nh, RBMMaxUnits)
	case len(patterns) == 0:
		return nil, errorf(ErrInvalid, "rbm: no patterns, need at least one row of %d visible values", nv)
	case len(patterns)%nv != 0:
		return nil, errorf(ErrInvalid, "rbm: len(patterns) = %d is not a multiple of the %d visible units", len(patterns), nv)
	}
	n := len(patterns) / nv
	m := &RBM{nv: nv, nh: nh, n: n,
		v:   append([]float64(nil), patterns...),
		idx: make([]uint32, n),
		dim: nh*nv + nv + nh,
	}
	for s := 0; s < n; s++ {
		var k uint32
		for i, x := range patterns[s*nv : (s+1)*nv] {
			switch x {
			case 0:
			case 1:
				k |= 1 << i
			default:
				return nil, errorf(ErrInvalid, "rbm: pattern %d, column %d is %v, want 0 or 1", s, i, x)
			}
		}
		m.idx[s] = k
	}
	m.negH = rbmNegEntropy(m.idx)
	m.name = fmt.Sprintf("rbm(nv=%d, nh=%d)", nv, nh)
	return m, nil
}

// NewRBMFromData returns NewRBM(d.X, d.In, nh): the patterns are the
// inputs of d (In = n_v); the targets Y, Out and Labels are ignored and may
// be empty.
func NewRBMFromData(d *Data, nh int) (*RBM, error) {
	switch {
	case d == nil:
		return nil, errorf(ErrInvalid, "rbm: data is nil")
	case d.N < 1:
		return nil, errorf(ErrInvalid, "rbm: data set has %d samples, need at least 1", d.N)
	case d.In < 1:
		return nil, errorf(ErrInvalid, "rbm: data set has %d input columns, need at least 1", d.In)
	case len(d.X) != d.N*d.In:
		return nil, errorf(ErrInvalid, "rbm: len(X) = %d, want N·In = %d·%d", len(d.X), d.N, d.In)
	}
	return NewRBM(d.X, d.In, nh)
}

// rbmNegEntropy returns Σ_v p(v) log p(v) for the empirical distribution
// of the configuration indices idx.
func rbmNegEntropy(idx []uint32) float64 {
	count := make(map[uint32]int, len(idx))
	for _, k := range idx {
		count[k]++
	}
	n := float64(len(idx))
	var s float64
	for _, c := range count {
		p := float64(c) / n
		s += p * math.Log(p)
	}
	return s
}

// Name returns e.g. "rbm(nv=4, nh=3)".
func (m *RBM) Name() string { return m.name }

// Dim returns d = n_h·n_v + n_v + n_h.
func (m *RBM) Dim() int { return m.dim }

// Len returns the number of patterns N.
func (m *RBM) Len() int { return m.n }

// MaxOrder returns 3: every derivative is exact.
func (m *RBM) MaxOrder() int { return 3 }

// Visible returns n_v.
func (m *RBM) Visible() int { return m.nv }

// Hidden returns n_h.
func (m *RBM) Hidden() int { return m.nh }

// Pattern returns pattern n (len n_v, aliasing the model's copy: do not
// modify it).
func (m *RBM) Pattern(n int) []float64 { return m.v[n*m.nv : (n+1)*m.nv] }

// DataEntropy returns H(p_data) = −Σ_v p_data(v) log p_data(v) of the
// empirical distribution of the patterns (in nats).
func (m *RBM) DataEntropy() float64 { return -m.negH }

// Subset returns the RBM on the patterns idx, in that order (rows copied),
// with the same weight layout. It implements Subsetter.
func (m *RBM) Subset(idx []int) Model {
	checkSubset("rbm", idx, m.n)
	s := *m
	s.n = len(idx)
	s.v = copyRows(m.v, idx, m.nv)
	s.idx = make([]uint32, len(idx))
	for i, k := range idx {
		s.idx[i] = m.idx[k]
	}
	s.negH = rbmNegEntropy(s.idx)
	return &s
}

// NewEvaluator returns an Evaluator with scratch for chunks of at most
// maxChunk samples. Its memory is O(d + 128·(n_v+n_h)) whatever maxChunk:
// samples are processed one at a time, configurations in blocks of 128.
// It panics if maxChunk < 1.
func (m *RBM) NewEvaluator(maxChunk int) Evaluator {
	if maxChunk < 1 {
		panic(fmt.Sprintf("models: rbm: NewEvaluator(%d): maxChunk must be at least 1", maxChunk))
	}
	return &rbmEval{m: m, max: maxChunk, en: newRBMEnum(m.nv, m.nh, m.nh < m.nv),
		a: make([]float64, m.nh), s: make([]float64, m.nh), s1: make([]float64, m.nh),
		s2: make([]float64, m.nh), ad: make([]float64, m.nh)}
}

// checkW panics unless len(w) = d.
func (m *RBM) checkW(op string, w []float64) {
	if len(w) != m.dim {
		panic(fmt.Sprintf("models: rbm.%s: len(w) = %d, want d = %d", op, len(w), m.dim))
	}
}

// FreeEnergy returns F(v) = −b·v − Σ_j softplus(c_j + W_j·v) at weights w
// for one visible vector v (len n_v; any real values are accepted). It
// panics on wrong lengths.
func (m *RBM) FreeEnergy(w, v []float64) float64 {
	m.checkW("FreeEnergy", w)
	if len(v) != m.nv {
		panic(fmt.Sprintf("models: rbm.FreeEnergy: len(v) = %d, want n_v = %d", len(v), m.nv))
	}
	return rbmFree(m.nv, m.nh, w, v)
}

// rbmFree returns F(v) without checks or allocation.
func rbmFree(nv, nh int, w, v []float64) float64 {
	W, b, c := rbmSplit(nv, nh, w)
	var f float64
	for i, x := range v {
		f -= b[i] * x
	}
	for j := 0; j < nh; j++ {
		a := c[j]
		for i, x := range W[j*nv : (j+1)*nv] {
			a += x * v[i]
		}
		f -= rbmSoftplus(a)
	}
	return f
}

// rbmSoftplus returns log(1 + e^a) without overflow.
func rbmSoftplus(a float64) float64 {
	return math.Max(a, 0) + math.Log1p(math.Exp(-math.Abs(a)))
}

// rbmSplit returns the W, b and c blocks of a vector in the θ layout.
func rbmSplit(nv, nh int, w []float64) (W, b, c []float64) {
	nw := nh * nv
	return w[:nw], w[nw : nw+nv], w[nw+nv : nw+nv+nh]
}

// LogZ returns log Z(w) = log Σ_v exp(−F(v)), exactly, by enumerating the
// smaller layer (see the type documentation for the cost). It allocates
// its scratch; an Evaluator reuses its own. It panics if len(w) ≠ d.
func (m *RBM) LogZ(w []float64) float64 {
	m.checkW("LogZ", w)
	en := newRBMEnum(m.nv, m.nh, m.nh < m.nv)
	en.at(w)
	return en.logZ
}

// ModelProbs sets dst[k] = p(v) = exp(−F(v) − log Z) for every visible
// configuration v, indexed by k = Σ_i v_i 2^i (v_0 is the least
// significant bit), so len(dst) must be 2^{n_v}. It costs one log Z
// enumeration plus 2^{n_v}·n_v·n_h multiply-adds and allocates its scratch.
// It panics on wrong lengths.
func (m *RBM) ModelProbs(w, dst []float64) {
	m.checkW("ModelProbs", w)
	if len(dst) != 1<<m.nv {
		panic(fmt.Sprintf("models: rbm.ModelProbs: len(dst) = %d, want 2^n_v = %d", len(dst), 1<<m.nv))
	}
	logZ := m.LogZ(w)
	v := make([]float64, m.nv)
	for k := range dst {
		for i := range v {
			v[i] = float64((k >> i) & 1)
		}
		dst[k] = math.Exp(-rbmFree(m.nv, m.nh, w, v) - logZ)
	}
}

// MeanNLL returns the mean loss f(w) = (1/N) Σ_n f_n(w) = log Z + mean F(v_n).
// It allocates its scratch and panics if len(w) ≠ d.
func (m *RBM) MeanNLL(w []float64) float64 {
	m.checkW("MeanNLL", w)
	var s float64
	for n := 0; n < m.n; n++ {
		s += rbmFree(m.nv, m.nh, w, m.v[n*m.nv:(n+1)*m.nv])
	}
	return m.LogZ(w) + s/float64(m.n)
}

// KL returns the Kullback–Leibler divergence of the model from the
// empirical distribution of the patterns, in nats:
//
//	KL(p_data ‖ p_model) = Σ_v p_data(v) log(p_data(v)/p_model(v))
//	                     = mean NLL − H(p_data) ≥ 0,
//
// exactly (log Z by enumeration). Up to the constant H(p_data) it is the
// mean loss, so gradient flows on the RBM decrease it. It panics if
// len(w) ≠ d.
func (m *RBM) KL(w []float64) float64 {
	return m.MeanNLL(w) + m.negH
}

// rbmEval is the Evaluator of an RBM: per-sample scratch and the
// enumeration caches.
type rbmEval struct {
	m   *RBM
	max int
	en  *rbmEnum
	// One sample's hidden pre-activations a = c + W v (then softplus(a)),
	// σ(a), σ'(a), σ''(a) and the directional ȧ = γ + U v.
	a, s, s1, s2, ad []float64
}

// check panics unless [lo, hi) is a valid chunk and w has length d.
func (e *rbmEval) check(op string, w []float64, lo, hi int) {
	if lo < 0 || hi < lo || hi > e.m.n {
		panic(fmt.Sprintf("models: rbm.%s: chunk [%d, %d) outside [0, %d)", op, lo, hi, e.m.n))
	}
	if hi-lo > e.max {
		panic(fmt.Sprintf("models: rbm.%s: chunk of %d samples exceeds the evaluator's maxChunk %d", op, hi-lo, e.max))
	}
	e.m.checkW(op, w)
}

func (e *rbmEval) checkLen(op, what string, x []float64, want int) {
	if len(x) != want {
		panic(fmt.Sprintf("models: rbm.%s: len(%s) = %d, want %d", op, what, len(x), want))
	}
}

// sample computes, for pattern n, e.a = softplus(c + W v_n), e.s = σ and,
// by order, e.s1 = σ' and e.s2 = the second derivative of σ; with u
// non-nil also e.ad = γ + U v_n.
// It returns v_n.
func (e *rbmEval) sample(n int, w, u []float64, order int) []float64 {
	nv, nh := e.m.nv, e.m.nh
	v := e.m.v[n*nv : (n+1)*nv]
	W, _, c := rbmSplit(nv, nh, w)
	for j := 0; j < nh; j++ {
		a := c[j]
		for i, x := range W[j*nv : (j+1)*nv] {
			a += x * v[i]
		}
		e.a[j] = a
	}
	var d1, d2 []float64
	switch order {
	case 1:
		d1 = e.s
	case 2:
		d1, d2 = e.s, e.s1
	}
	if order >= 3 {
		nnSoftplus(e.a, e.s, e.s1, e.s2)
	} else {
		nnSoftplus(e.a, d1, d2, nil)
	}
	if u != nil {
		U, _, g := rbmSplit(nv, nh, u)
		for j := 0; j < nh; j++ {
			a := g[j]
			for i, x := range U[j*nv : (j+1)*nv] {
				a += x * v[i]
			}
			e.ad[j] = a
		}
	}
	return v
}

// free returns F(v) from e.a = softplus(a) after sample.
func (e *rbmEval) free(w, v []float64) float64 {
	_, b, _ := rbmSplit(e.m.nv, e.m.nh, w)
	var f float64
	for i, x := range v {
		f -= b[i] * x
	}
	for _, sp := range e.a {
		f -= sp
	}
	return f
}

// Losses implements Evaluator: f_n = F(v_n) + log Z.
func (e *rbmEval) Losses(loss, w []float64, lo, hi int) {
	e.check("Losses", w, lo, hi)
	e.checkLen("Losses", "loss", loss, hi-lo)
	if hi == lo {
		return
	}
	e.en.at(w)
	for n := lo; n < hi; n++ {
		v := e.sample(n, w, nil, 0)
		loss[n-lo] = e.free(w, v) + e.en.logZ
	}
}

// Directional implements Evaluator:
//
//	s_n = −β·v_n − Σ_j σ_j ȧ_j + ∇log Z·u,
//	q_n = −Σ_j σ'_j ȧ_j² + uᵀ∇²log Z u.
func (e *rbmEval) Directional(loss, s, q []float64, w, u []float64, lo, hi int) {
	const op = "Directional"
	e.check(op, w, lo, hi)
	B := hi - lo
	if loss != nil {
		e.checkLen(op, "loss", loss, B)
	}
	if s != nil {
		e.checkLen(op, "s", s, B)
	}
	if q != nil {
		e.checkLen(op, "q", q, B)
	}
	if s != nil || q != nil {
		e.checkLen(op, "v", u, e.m.dim)
	}
	if B == 0 || (loss == nil && s == nil && q == nil) {
		return
	}
	e.en.at(w)
	var mu1, quu float64
	if s != nil {
		mu1 = dotRBM(e.en.grad, u)
	}
	if q != nil {
		sl := e.en.dir(w, u)
		quu = sl.mu2 + sl.v1
	}
	order := 1
	if q != nil {
		order = 2
	}
	var du []float64
	if s != nil || q != nil {
		du = u
	}
	var beta []float64
	if du != nil {
		_, beta, _ = rbmSplit(e.m.nv, e.m.nh, u)
	}
	for n := lo; n < hi; n++ {
		v := e.sample(n, w, du, order)
		i := n - lo
		if loss != nil {
			loss[i] = e.free(w, v) + e.en.logZ
		}
		if s != nil {
			var p float64
			for k, x := range v {
				p += beta[k] * x
			}
			for j, sj := range e.s {
				p += sj * e.ad[j]
			}
			s[i] = mu1 - p
		}
		if q != nil {
			var p float64
			for j, d := range e.s1 {
				p += d * e.ad[j] * e.ad[j]
			}
			q[i] = quu - p
		}
	}
}

// addStat adds −[r ⊗ v, cv·v, r] scaled by a into dst (θ layout): the
// shape of every per-sample derivative of F.
func (e *rbmEval) addStat(dst []float64, a float64, r []float64, cv float64, v []float64) {
	nv, nh := e.m.nv, e.m.nh
	dW, db, dc := rbmSplit(nv, nh, dst)
	for j, rj := range r {
		t := a * rj
		dc[j] -= t
		row := dW[j*nv : (j+1)*nv]
		for i, x := range v {
			row[i] -= t * x
		}
	}
	if cv != 0 {
		t := a * cv
		for i, x := range v {
			db[i] -= t * x
		}
	}
}

// Accumulate implements Evaluator: dst += Σ c_i g_i + e_i H_i v, the shared
// log Z parts added once as (Σ c_i) ∇log Z + (Σ e_i) ∇²log Z v.
func (e *rbmEval) Accumulate(dst []float64, c, ew []float64, w, u []float64, lo, hi int) {
	const op = "Accumulate"
	e.check(op, w, lo, hi)
	e.checkLen(op, "dst", dst, e.m.dim)
	B := hi - lo
	if c != nil {
		e.checkLen(op, "c", c, B)
	}
	if ew != nil {
		e.checkLen(op, "e", ew, B)
		e.checkLen(op, "v", u, e.m.dim)
	}
	if B == 0 || (c == nil && ew == nil) {
		return
	}
	e.en.at(w)
	var hv []float64
	order := 1
	var du []float64
	if ew != nil {
		hv = e.en.dir(w, u).hv
		order, du = 2, u
	}
	var csum, esum float64
	for n := lo; n < hi; n++ {
		v := e.sample(n, w, du, order)
		i := n - lo
		var ci, ei float64
		if c != nil {
			ci = c[i]
		}
		if ew != nil {
			ei = ew[i]
		}
		csum += ci
		esum += ei
		// Reuse e.a (softplus values, no longer needed) for the row r.
		r := e.a
		for j, sj := range e.s {
			r[j] = ci * sj
			if ew != nil {
				r[j] += ei * e.s1[j] * e.ad[j]
			}
		}
		e.addStat(dst, 1, r, ci, v)
	}
	g := e.en.grad
	for k := range dst {
		t := csum * g[k]
		if hv != nil {
			t += esum * hv[k]
		}
		dst[k] += t
	}
}

// Grads implements Evaluator: g_n = −[σ ⊗ v_n, v_n, σ] + ∇log Z.
func (e *rbmEval) Grads(dst []float64, w []float64, lo, hi int) {
	d := e.m.dim
	e.check("Grads", w, lo, hi)
	e.checkLen("Grads", "dst", dst, (hi-lo)*d)
	if hi == lo {
		return
	}
	e.en.at(w)
	for n := lo; n < hi; n++ {
		v := e.sample(n, w, nil, 1)
		row := dst[(n-lo)*d : (n-lo+1)*d]
		copy(row, e.en.grad)
		e.addStat(row, 1, e.s, 1, v)
	}
}

// HessVecs implements Evaluator: H_n v = −[(σ'⊙ȧ) ⊗ v_n, 0, σ'⊙ȧ] + ∇²log Z v.
func (e *rbmEval) HessVecs(dst []float64, w, u []float64, lo, hi int) {
	d := e.m.dim
	e.check("HessVecs", w, lo, hi)
	e.checkLen("HessVecs", "dst", dst, (hi-lo)*d)
	e.checkLen("HessVecs", "v", u, d)
	if hi == lo {
		return
	}
	hv := e.en.dir(w, u).hv
	for n := lo; n < hi; n++ {
		v := e.sample(n, w, u, 2)
		row := dst[(n-lo)*d : (n-lo+1)*d]
		copy(row, hv)
		r := e.a
		for j, d1 := range e.s1 {
			r[j] = d1 * e.ad[j]
		}
		e.addStat(row, 1, r, 0, v)
	}
}

// ThirdVecs implements Evaluator analytically:
//
//	∇³f_n[u,u] = −[(σ''⊙ȧ²) ⊗ v_n, 0, σ''⊙ȧ²] + ∇³log Z[u,u].
func (e *rbmEval) ThirdVecs(dst []float64, w, u []float64, lo, hi int) {
	d := e.m.dim
	e.check("ThirdVecs", w, lo, hi)
	e.checkLen("ThirdVecs", "dst", dst, (hi-lo)*d)
	e.checkLen("ThirdVecs", "u", u, d)
	if hi == lo {
		return
	}
	tv := e.en.thirdAt(w, u)
	for n := lo; n < hi; n++ {
		v := e.sample(n, w, u, 3)
		row := dst[(n-lo)*d : (n-lo+1)*d]
		copy(row, tv)
		r := e.a
		for j, d2 := range e.s2 {
			r[j] = d2 * e.ad[j] * e.ad[j]
		}
		e.addStat(row, 1, r, 0, v)
	}
}

func dotRBM(a, b []float64) float64 {
	var s float64
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

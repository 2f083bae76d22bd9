package engine

import (
	"fmt"
	"math/rand/v2"

	"github.com/grd-engine/grd/models"
	"gonum.org/v1/gonum/floats"
)

// CDMetric is the model behind `metric: {source: cd}`: an RBM's exact mean
// loss f with the diffusion geometry of contrastive divergence. Its M
// "samples" are M per-sample CD-K estimates drawn once, at w0:
//
//	f̃_m(w) = f(w) + ψ_m(w) − ψ̄(w),   ψ_m(w) = F(v_{n_m}; w) − F(ṽ_m; w),
//
// with n_m uniform on the N patterns and ṽ_m the state of a chain started
// at v_{n_m} after K block-Gibbs sweeps at w0 (Seed-determined). So the
// mean loss, gradient and Hessian are exactly the RBM's f, ∇f, H, while
// the per-sample gradients g̃_m = ∇f + ξ_m − ξ̄, ξ_m = ∇ψ_m =
// ∇F(v_{n_m}) − ∇F(ṽ_m) (a per-sample CD estimate), have covariance
//
//	D̃(w) = (1/M) Σ_m (ξ_m − ξ̄)(ξ_m − ξ̄)ᵀ,
//
// at w0 the population (1/M) estimate of CDDiffusion's per-sample D_cd
// (which uses 1/(M−1)). The Geometry of a CDMetric therefore runs ngd and
// grd with D replaced by the CD covariance, with everything (P, Γ, the
// residuals) consistent with that metric: the samples are smooth in w, so
// the Christoffel symbols are those of g = I + εD̃ exactly.
//
// Limitation (by design, so that the right-hand side is deterministic and
// smooth): the negative-phase states ṽ_m are quenched, sampled at w0 and
// held fixed. Away from w0, D̃(w) is the covariance of CD estimates whose
// chains were run at w0, not of fresh chains at w; it drifts from the true
// D_cd(w) as p_model moves. Resampling at every w with common random
// numbers would track D_cd(w) but make the metric piecewise constant in
// the chain states (jumps wherever a uniform crosses a Gibbs probability),
// which an adaptive integrator cannot step over efficiently and which has
// no Christoffel symbols at the jumps.
//
// Cost: each pass runs over the M samples (two RBM per-sample passes)
// plus, once per new w (and per new direction), one pass over the N data
// patterns for the shared f, ∇f, H v and ∇³f[u,u].
type CDMetric struct {
	data, pos, neg *models.RBM
	k, m           int
}

// NewCDMetric draws the M = spec.Samples (default DefaultCDSamples)
// per-sample CD-K (K = spec.K, default DefaultCDK) estimates at w0 from
// spec.Seed and returns the CD metric model of rbm. spec.Batch is not used
// (the samples are per-sample estimates). It returns an error for k or M
// out of range and panics if len(w0) ≠ d.
func NewCDMetric(rbm *models.RBM, w0 []float64, spec CDDiffusionSpec) (*CDMetric, error) {
	if len(w0) != rbm.Dim() {
		panic(fmt.Sprintf("engine: NewCDMetric: len(w0) = %d, want d = %d", len(w0), rbm.Dim()))
	}
	k, m := spec.K, spec.Samples
	if k == 0 {
		k = DefaultCDK
	}
	if m == 0 {
		m = DefaultCDSamples
	}
	if k < 1 || m < 2 {
		return nil, fmt.Errorf("engine: CD metric: k = %d, samples = %d: want k ≥ 1 and at least 2 samples", k, m)
	}
	nv, nh, n := rbm.Visible(), rbm.Hidden(), rbm.Len()
	rng := rand.New(rand.NewPCG(mix64(spec.Seed), mix64(^uint64(1))))
	est := rbm.NewCD(rng)
	pos := make([]float64, 0, m*nv)
	neg := make([]float64, m*nv)
	for r := range m {
		p := rbm.Pattern(rng.IntN(n))
		pos = append(pos, p...)
		chain := neg[r*nv : (r+1)*nv]
		copy(chain, p)
		for range k {
			est.GibbsStep(w0, chain)
		}
	}
	rp, err := models.NewRBM(pos, nv, nh)
	if err != nil {
		return nil, fmt.Errorf("engine: CD metric: %w", err)
	}
	rn, err := models.NewRBM(neg, nv, nh)
	if err != nil {
		return nil, fmt.Errorf("engine: CD metric: %w", err)
	}
	return &CDMetric{data: rbm, pos: rp, neg: rn, k: k, m: m}, nil
}

// Name returns e.g. "cd-metric(k=1, M=4096) of rbm(nv=9, nh=8)".
func (c *CDMetric) Name() string {
	return fmt.Sprintf("cd-metric(k=%d, M=%d) of %s", c.k, c.m, c.data.Name())
}

// Dim returns the RBM's d.
func (c *CDMetric) Dim() int { return c.data.Dim() }

// Len returns M, the number of CD samples.
func (c *CDMetric) Len() int { return c.m }

// MaxOrder returns 3.
func (c *CDMetric) MaxOrder() int { return 3 }

// KL returns the RBM's exact KL(p_data ‖ p_model(w)) (see KLModel).
func (c *CDMetric) KL(w []float64) float64 { return c.data.KL(w) }

// RBM returns the underlying RBM.
func (c *CDMetric) RBM() *models.RBM { return c.data }

// NewEvaluator returns an Evaluator for chunks of at most maxChunk of the
// M samples. It panics if maxChunk < 1.
func (c *CDMetric) NewEvaluator(maxChunk int) models.Evaluator {
	if maxChunk < 1 {
		panic(fmt.Sprintf("engine: CDMetric.NewEvaluator: maxChunk = %d, want ≥ 1", maxChunk))
	}
	d := c.Dim()
	gc := min(256, max(c.data.Len(), c.m))
	return &cdMetricEval{c: c, d: d, gc: gc,
		evD: c.data.NewEvaluator(gc), evP: c.pos.NewEvaluator(max(gc, maxChunk)), evN: c.neg.NewEvaluator(max(gc, maxChunk)),
		wF: make([]float64, d), gf: make([]float64, d), gpsi: make([]float64, d),
		wH: make([]float64, d), vH: make([]float64, d), hv: make([]float64, d), hpsi: make([]float64, d),
		wT: make([]float64, d), uT: make([]float64, d), third: make([]float64, d), tpsi: make([]float64, d),
		a: make([]float64, max(gc, maxChunk)), b: make([]float64, max(gc, maxChunk)),
		a2: make([]float64, max(gc, maxChunk)), b2: make([]float64, max(gc, maxChunk)),
		rows: make([]float64, max(gc, maxChunk)*d)}
}

// cdMetricEval caches the shared (mean) terms per w, (w, v) and (w, u).
type cdMetricEval struct {
	c             *CDMetric
	d, gc         int
	evD, evP, evN models.Evaluator

	okF      bool
	wF       []float64
	f, psi   float64
	gf, gpsi []float64 // ∇f, ∇ψ̄

	okH              bool
	wH, vH           []float64
	hv, hpsi         []float64 // H v, mean ∇²ψ_m v
	sv, spsi, qv, qp float64   // ∇f·v, mean ∇ψ·v, vᵀHv, mean vᵀ∇²ψ v

	okT          bool
	wT, uT       []float64
	third, tpsi  []float64 // mean ∇³f_n[u,u], mean ∇³ψ_m[u,u]
	a, b, a2, b2 []float64
	rows         []float64
}

func (e *cdMetricEval) ensureF(w []float64) {
	if e.okF && floats.Equal(w, e.wF) {
		return
	}
	copy(e.wF, w)
	n, m := e.c.data.Len(), e.c.m
	e.f, e.psi = 0, 0
	clear(e.gf)
	clear(e.gpsi)
	for lo := 0; lo < n; lo += e.gc {
		hi := min(lo+e.gc, n)
		e.evD.Losses(e.a[:hi-lo], w, lo, hi)
		e.f += floats.Sum(e.a[:hi-lo])
		fill(e.b[:hi-lo], 1/float64(n))
		e.evD.Accumulate(e.gf, e.b[:hi-lo], nil, w, nil, lo, hi)
	}
	e.f /= float64(n)
	for lo := 0; lo < m; lo += e.gc {
		hi := min(lo+e.gc, m)
		e.evP.Losses(e.a[:hi-lo], w, lo, hi)
		e.evN.Losses(e.b[:hi-lo], w, lo, hi)
		e.psi += floats.Sum(e.a[:hi-lo]) - floats.Sum(e.b[:hi-lo])
		fill(e.a[:hi-lo], 1/float64(m))
		fill(e.b[:hi-lo], -1/float64(m))
		e.evP.Accumulate(e.gpsi, e.a[:hi-lo], nil, w, nil, lo, hi)
		e.evN.Accumulate(e.gpsi, e.b[:hi-lo], nil, w, nil, lo, hi)
	}
	e.psi /= float64(m)
	e.okF = true
}

func (e *cdMetricEval) ensureH(w, v []float64) {
	e.ensureF(w)
	if e.okH && floats.Equal(w, e.wH) && floats.Equal(v, e.vH) {
		return
	}
	copy(e.wH, w)
	copy(e.vH, v)
	n, m := e.c.data.Len(), e.c.m
	clear(e.hv)
	clear(e.hpsi)
	for lo := 0; lo < n; lo += e.gc {
		hi := min(lo+e.gc, n)
		fill(e.b[:hi-lo], 1/float64(n))
		e.evD.Accumulate(e.hv, nil, e.b[:hi-lo], w, v, lo, hi)
	}
	for lo := 0; lo < m; lo += e.gc {
		hi := min(lo+e.gc, m)
		fill(e.a[:hi-lo], 1/float64(m))
		fill(e.b[:hi-lo], -1/float64(m))
		e.evP.Accumulate(e.hpsi, nil, e.a[:hi-lo], w, v, lo, hi)
		e.evN.Accumulate(e.hpsi, nil, e.b[:hi-lo], w, v, lo, hi)
	}
	e.sv, e.spsi = floats.Dot(e.gf, v), floats.Dot(e.gpsi, v)
	e.qv, e.qp = floats.Dot(e.hv, v), floats.Dot(e.hpsi, v)
	e.okH = true
}

func (e *cdMetricEval) ensureT(w, u []float64) {
	if e.okT && floats.Equal(w, e.wT) && floats.Equal(u, e.uT) {
		return
	}
	copy(e.wT, w)
	copy(e.uT, u)
	n, m, d := e.c.data.Len(), e.c.m, e.d
	clear(e.third)
	clear(e.tpsi)
	add := func(ev models.Evaluator, dst []float64, lo, hi int, scale float64) {
		rows := e.rows[:(hi-lo)*d]
		ev.ThirdVecs(rows, w, u, lo, hi)
		for i := range hi - lo {
			floats.AddScaled(dst, scale, rows[i*d:(i+1)*d])
		}
	}
	for lo := 0; lo < n; lo += e.gc {
		add(e.evD, e.third, lo, min(lo+e.gc, n), 1/float64(n))
	}
	for lo := 0; lo < m; lo += e.gc {
		hi := min(lo+e.gc, m)
		add(e.evP, e.tpsi, lo, hi, 1/float64(m))
		add(e.evN, e.tpsi, lo, hi, -1/float64(m))
	}
	e.okT = true
}

func fill(x []float64, v float64) {
	for i := range x {
		x[i] = v
	}
}

// Losses sets loss[i] = f + ψ_n − ψ̄.
func (e *cdMetricEval) Losses(loss, w []float64, lo, hi int) {
	e.ensureF(w)
	k := hi - lo
	e.evP.Losses(e.a[:k], w, lo, hi)
	e.evN.Losses(e.b[:k], w, lo, hi)
	for i := range loss[:k] {
		loss[i] = e.f + (e.a[i] - e.b[i]) - e.psi
	}
}

// Directional sets s and q of f̃_n along v (and the losses if asked).
func (e *cdMetricEval) Directional(loss, s, q []float64, w, v []float64, lo, hi int) {
	k := hi - lo
	if q != nil {
		e.ensureH(w, v)
	} else {
		e.ensureF(w)
	}
	var sa, sb, qa, qb, la, lb []float64
	if s != nil {
		sa, sb = e.a[:k], e.b[:k]
	}
	if q != nil {
		qa, qb = e.a2[:k], e.b2[:k]
	}
	if loss != nil {
		// Losses first, into loss (pos) and rows (neg), before the
		// directional scratch is used.
		la, lb = loss[:k], e.rows[:k]
		e.evP.Losses(la, w, lo, hi)
		e.evN.Losses(lb, w, lo, hi)
		for i := range la {
			la[i] = e.f + (la[i] - lb[i]) - e.psi
		}
	}
	if s == nil && q == nil {
		return
	}
	e.evP.Directional(nil, sa, qa, w, v, lo, hi)
	e.evN.Directional(nil, sb, qb, w, v, lo, hi)
	sv := floats.Dot(e.gf, v)
	spsi := floats.Dot(e.gpsi, v)
	for i := range k {
		if s != nil {
			s[i] = sv + (sa[i] - sb[i]) - spsi
		}
		if q != nil {
			q[i] = e.qv + (qa[i] - qb[i]) - e.qp
		}
	}
}

// Accumulate adds Σ c_n g̃_n + e_n H̃_n v into dst.
func (e *cdMetricEval) Accumulate(dst []float64, c, ew []float64, w, v []float64, lo, hi int) {
	k := hi - lo
	if c == nil && ew == nil {
		return
	}
	// The shared terms first: their passes reuse the scratch a and b.
	if ew != nil {
		e.ensureH(w, v)
	} else {
		e.ensureF(w)
	}
	var nc, ne []float64
	if c != nil {
		sc := floats.Sum(c[:k])
		floats.AddScaled(dst, sc, e.gf)
		floats.AddScaled(dst, -sc, e.gpsi)
		nc = e.a[:k]
		for i, x := range c[:k] {
			nc[i] = -x
		}
	}
	if ew != nil {
		se := floats.Sum(ew[:k])
		floats.AddScaled(dst, se, e.hv)
		floats.AddScaled(dst, -se, e.hpsi)
		ne = e.b[:k]
		for i, x := range ew[:k] {
			ne[i] = -x
		}
	}
	e.evP.Accumulate(dst, c, ew, w, v, lo, hi)
	e.evN.Accumulate(dst, nc, ne, w, v, lo, hi)
}

// rowsCombine sets row i of dst to dst_i − rows_i + shift.
func (e *cdMetricEval) rowsCombine(dst []float64, k int, shift, minus []float64) {
	d := e.d
	for i := range k {
		r := dst[i*d : (i+1)*d]
		floats.Sub(r, e.rows[i*d:(i+1)*d])
		floats.Add(r, shift)
		floats.Sub(r, minus)
	}
}

// Grads sets row i of dst to g̃_n.
func (e *cdMetricEval) Grads(dst []float64, w []float64, lo, hi int) {
	e.ensureF(w)
	k := hi - lo
	e.evP.Grads(dst, w, lo, hi)
	e.evN.Grads(e.rows[:k*e.d], w, lo, hi)
	e.rowsCombine(dst, k, e.gf, e.gpsi)
}

// HessVecs sets row i of dst to H̃_n v.
func (e *cdMetricEval) HessVecs(dst []float64, w, v []float64, lo, hi int) {
	e.ensureH(w, v)
	k := hi - lo
	e.evP.HessVecs(dst, w, v, lo, hi)
	e.evN.HessVecs(e.rows[:k*e.d], w, v, lo, hi)
	e.rowsCombine(dst, k, e.hv, e.hpsi)
}

// ThirdVecs sets row i of dst to ∇³f̃_n[u,u].
func (e *cdMetricEval) ThirdVecs(dst []float64, w, u []float64, lo, hi int) {
	e.ensureT(w, u)
	k := hi - lo
	e.evP.ThirdVecs(dst, w, u, lo, hi)
	e.evN.ThirdVecs(e.rows[:k*e.d], w, u, lo, hi)
	e.rowsCombine(dst, k, e.third, e.tpsi)
}

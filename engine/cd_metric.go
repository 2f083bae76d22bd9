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
// Cost: the M samples hold at most N distinct patterns and 2^{n_v}
// distinct chain states; the evaluator computes losses and gradient rows
// of the distinct ones once per w (Hessian-vector rows once per (w, v),
// third-derivative rows once per (w, u)), plus one pass over the N data
// patterns for the shared f, ∇f, H v and ∇³f[u,u]; a chunk of samples
// then costs O(chunk·d) gathers.
type CDMetric struct {
	data, pos, neg *models.RBM // pos, neg: the distinct patterns and chain states
	posIdx, negIdx []int       // sample m uses pos row posIdx[m], neg row negIdx[m]
	posW, negW     []float64   // multiplicity/M of each distinct row
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
		return nil, errorf(ErrInvalid, "CD metric: k = %d, samples = %d: want k ≥ 1 and at least 2 samples", k, m)
	}
	nv, nh, n := rbm.Visible(), rbm.Hidden(), rbm.Len()
	rng := rand.New(rand.NewPCG(mix64(spec.Seed), mix64(^uint64(1))))
	est := rbm.NewCD(rng)
	c := &CDMetric{data: rbm, k: k, m: m, posIdx: make([]int, m), negIdx: make([]int, m)}
	var pos, neg []float64
	posAt, negAt := map[uint32]int{}, map[uint32]int{}
	key := func(v []float64) uint32 {
		var b uint32
		for i, x := range v {
			if x != 0 {
				b |= 1 << i
			}
		}
		return b
	}
	intern := func(at map[uint32]int, rows *[]float64, wts *[]float64, v []float64) int {
		kv := key(v)
		j, ok := at[kv]
		if !ok {
			j = len(*wts)
			at[kv] = j
			*rows = append(*rows, v...)
			*wts = append(*wts, 0)
		}
		(*wts)[j] += 1 / float64(m)
		return j
	}
	chain := make([]float64, nv)
	for r := range m {
		p := rbm.Pattern(rng.IntN(n))
		copy(chain, p)
		for range k {
			est.GibbsStep(w0, chain)
		}
		c.posIdx[r] = intern(posAt, &pos, &c.posW, p)
		c.negIdx[r] = intern(negAt, &neg, &c.negW, chain)
	}
	var err error
	if c.pos, err = models.NewRBM(pos, nv, nh); err != nil {
		return nil, errorf(ErrInvalid, "CD metric: %w", err)
	}
	if c.neg, err = models.NewRBM(neg, nv, nh); err != nil {
		return nil, errorf(ErrInvalid, "CD metric: %w", err)
	}
	return c, nil
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

// KL returns the RBM's exact KL(p_data ‖ p_model(w)) (see flow.KLModel).
func (c *CDMetric) KL(w []float64) float64 { return c.data.KL(w) }

// RBM returns the underlying RBM.
func (c *CDMetric) RBM() *models.RBM { return c.data }

// Sample returns the positive pattern v_{n_m} and the chain state ṽ_m of
// sample m (aliasing the model's copies: do not modify them).
func (c *CDMetric) Sample(m int) (pos, neg []float64) {
	return c.pos.Pattern(c.posIdx[m]), c.neg.Pattern(c.negIdx[m])
}

// NewEvaluator returns an Evaluator for chunks of at most maxChunk of the
// M samples. Its memory is O((P + Q)·d) for the P distinct patterns and Q
// distinct chain states. It panics if maxChunk < 1.
func (c *CDMetric) NewEvaluator(maxChunk int) models.Evaluator {
	if maxChunk < 1 {
		panic(fmt.Sprintf("engine: CDMetric.NewEvaluator: maxChunk = %d, want ≥ 1", maxChunk))
	}
	d, n := c.Dim(), c.data.Len()
	np, nn := c.pos.Len(), c.neg.Len()
	gc := min(256, n)
	side := func(r *models.RBM, k int) cdSide {
		return cdSide{ev: r.NewEvaluator(k), loss: make([]float64, k), g: make([]float64, k*d),
			h: make([]float64, k*d), t: make([]float64, k*d)}
	}
	return &cdMetricEval{c: c, d: d, gc: gc, evD: c.data.NewEvaluator(gc),
		p: side(c.pos, np), n: side(c.neg, nn),
		wF: make([]float64, d), gf: make([]float64, d), gpsi: make([]float64, d),
		wH: make([]float64, d), vH: make([]float64, d), hv: make([]float64, d), hpsi: make([]float64, d),
		wT: make([]float64, d), uT: make([]float64, d), third: make([]float64, d), tpsi: make([]float64, d),
		a: make([]float64, gc), rows: make([]float64, gc*d)}
}

// cdSide holds the cached rows of the distinct patterns (or chain states).
type cdSide struct {
	ev      models.Evaluator
	loss    []float64 // F + log Z per distinct row, at wF
	g, h, t []float64 // gradient rows at wF; H v rows at (wH, vH); ∇³[u,u] rows at (wT, uT)
}

// cdMetricEval caches the shared terms and the distinct rows per w,
// (w, v) and (w, u).
type cdMetricEval struct {
	c     *CDMetric
	d, gc int
	evD   models.Evaluator
	p, n  cdSide

	okF      bool
	wF       []float64
	f, psi   float64
	gf, gpsi []float64 // ∇f, ∇ψ̄

	okH      bool
	wH, vH   []float64
	hv, hpsi []float64 // H v, mean ∇²ψ_m v
	qv, qp   float64   // vᵀHv, mean vᵀ∇²ψ v

	okT         bool
	wT, uT      []float64
	third, tpsi []float64 // mean ∇³f_n[u,u], mean ∇³ψ_m[u,u]

	a    []float64
	rows []float64
}

// weighted sets dst = Σ_j wt_j row_j − (same for the other side).
func (e *cdMetricEval) weighted(dst, pRows, nRows []float64) {
	d := e.d
	clear(dst)
	for j, x := range e.c.posW {
		floats.AddScaled(dst, x, pRows[j*d:(j+1)*d])
	}
	for j, x := range e.c.negW {
		floats.AddScaled(dst, -x, nRows[j*d:(j+1)*d])
	}
}

func (e *cdMetricEval) ensureF(w []float64) {
	if e.okF && floats.Equal(w, e.wF) {
		return
	}
	copy(e.wF, w)
	n := e.c.data.Len()
	e.f = 0
	clear(e.gf)
	for lo := 0; lo < n; lo += e.gc {
		hi := min(lo+e.gc, n)
		e.evD.Losses(e.a[:hi-lo], w, lo, hi)
		e.f += floats.Sum(e.a[:hi-lo])
		fill(e.a[:hi-lo], 1/float64(n))
		e.evD.Accumulate(e.gf, e.a[:hi-lo], nil, w, nil, lo, hi)
	}
	e.f /= float64(n)
	for _, s := range []*cdSide{&e.p, &e.n} {
		k := len(s.loss)
		s.ev.Losses(s.loss, w, 0, k)
		s.ev.Grads(s.g, w, 0, k)
	}
	e.psi = floats.Dot(e.c.posW, e.p.loss) - floats.Dot(e.c.negW, e.n.loss)
	e.weighted(e.gpsi, e.p.g, e.n.g)
	e.okF = true
}

func (e *cdMetricEval) ensureH(w, v []float64) {
	e.ensureF(w)
	if e.okH && floats.Equal(w, e.wH) && floats.Equal(v, e.vH) {
		return
	}
	copy(e.wH, w)
	copy(e.vH, v)
	n := e.c.data.Len()
	clear(e.hv)
	for lo := 0; lo < n; lo += e.gc {
		hi := min(lo+e.gc, n)
		fill(e.a[:hi-lo], 1/float64(n))
		e.evD.Accumulate(e.hv, nil, e.a[:hi-lo], w, v, lo, hi)
	}
	for _, s := range []*cdSide{&e.p, &e.n} {
		s.ev.HessVecs(s.h, w, v, 0, len(s.loss))
	}
	e.weighted(e.hpsi, e.p.h, e.n.h)
	e.qv, e.qp = floats.Dot(e.hv, v), floats.Dot(e.hpsi, v)
	e.okH = true
}

func (e *cdMetricEval) ensureT(w, u []float64) {
	if e.okT && floats.Equal(w, e.wT) && floats.Equal(u, e.uT) {
		return
	}
	copy(e.wT, w)
	copy(e.uT, u)
	n, d := e.c.data.Len(), e.d
	clear(e.third)
	for lo := 0; lo < n; lo += e.gc {
		hi := min(lo+e.gc, n)
		rows := e.rows[:(hi-lo)*d]
		e.evD.ThirdVecs(rows, w, u, lo, hi)
		for i := range hi - lo {
			floats.AddScaled(e.third, 1/float64(n), rows[i*d:(i+1)*d])
		}
	}
	for _, s := range []*cdSide{&e.p, &e.n} {
		s.ev.ThirdVecs(s.t, w, u, 0, len(s.loss))
	}
	e.weighted(e.tpsi, e.p.t, e.n.t)
	e.okT = true
}

func fill(x []float64, v float64) {
	for i := range x {
		x[i] = v
	}
}

// row returns the rows of sample m in the pos and neg caches rp, rn.
func (e *cdMetricEval) row(rp, rn []float64, m int) (p, n []float64) {
	d := e.d
	i, j := e.c.posIdx[m], e.c.negIdx[m]
	return rp[i*d : (i+1)*d], rn[j*d : (j+1)*d]
}

// Losses sets loss[i] = f + ψ_n − ψ̄.
func (e *cdMetricEval) Losses(loss, w []float64, lo, hi int) {
	e.ensureF(w)
	for i := range loss[:hi-lo] {
		m := lo + i
		loss[i] = e.f + (e.p.loss[e.c.posIdx[m]] - e.n.loss[e.c.negIdx[m]]) - e.psi
	}
}

// Directional sets s and q of f̃_n along v (and the losses if asked).
func (e *cdMetricEval) Directional(loss, s, q []float64, w, v []float64, lo, hi int) {
	if q != nil {
		e.ensureH(w, v)
	} else {
		e.ensureF(w)
	}
	if loss != nil {
		e.Losses(loss, w, lo, hi)
	}
	var sv, spsi float64
	if s != nil {
		sv, spsi = floats.Dot(e.gf, v), floats.Dot(e.gpsi, v)
	}
	for i := range hi - lo {
		m := lo + i
		if s != nil {
			gp, gn := e.row(e.p.g, e.n.g, m)
			s[i] = sv + (floats.Dot(gp, v) - floats.Dot(gn, v)) - spsi
		}
		if q != nil {
			hp, hn := e.row(e.p.h, e.n.h, m)
			q[i] = e.qv + (floats.Dot(hp, v) - floats.Dot(hn, v)) - e.qp
		}
	}
}

// Accumulate adds Σ c_n g̃_n + e_n H̃_n v into dst.
func (e *cdMetricEval) Accumulate(dst []float64, c, ew []float64, w, v []float64, lo, hi int) {
	k := hi - lo
	if ew != nil {
		e.ensureH(w, v)
	} else if c != nil {
		e.ensureF(w)
	}
	if c != nil {
		sc := floats.Sum(c[:k])
		floats.AddScaled(dst, sc, e.gf)
		floats.AddScaled(dst, -sc, e.gpsi)
		for i, x := range c[:k] {
			gp, gn := e.row(e.p.g, e.n.g, lo+i)
			floats.AddScaled(dst, x, gp)
			floats.AddScaled(dst, -x, gn)
		}
	}
	if ew != nil {
		se := floats.Sum(ew[:k])
		floats.AddScaled(dst, se, e.hv)
		floats.AddScaled(dst, -se, e.hpsi)
		for i, x := range ew[:k] {
			hp, hn := e.row(e.p.h, e.n.h, lo+i)
			floats.AddScaled(dst, x, hp)
			floats.AddScaled(dst, -x, hn)
		}
	}
}

// gather sets row i of dst to rp(m) − rn(m) + shift − minus, m = lo+i.
func (e *cdMetricEval) gather(dst, rp, rn, shift, minus []float64, lo, hi int) {
	d := e.d
	for i := range hi - lo {
		r := dst[i*d : (i+1)*d]
		p, n := e.row(rp, rn, lo+i)
		floats.SubTo(r, p, n)
		floats.Add(r, shift)
		floats.Sub(r, minus)
	}
}

// Grads sets row i of dst to g̃_n.
func (e *cdMetricEval) Grads(dst []float64, w []float64, lo, hi int) {
	e.ensureF(w)
	e.gather(dst, e.p.g, e.n.g, e.gf, e.gpsi, lo, hi)
}

// HessVecs sets row i of dst to H̃_n v.
func (e *cdMetricEval) HessVecs(dst []float64, w, v []float64, lo, hi int) {
	e.ensureH(w, v)
	e.gather(dst, e.p.h, e.n.h, e.hv, e.hpsi, lo, hi)
}

// ThirdVecs sets row i of dst to ∇³f̃_n[u,u].
func (e *cdMetricEval) ThirdVecs(dst []float64, w, u []float64, lo, hi int) {
	e.ensureT(w, u)
	e.gather(dst, e.p.t, e.n.t, e.third, e.tpsi, lo, hi)
}

package modeltest

// The chunked checks: every batched pass, in chunks of several sizes,
// against per-sample references.

import (
	"fmt"
	"math"
)

// reference holds whole-data reference values computed from the row forms
// with the largest chunk.
type reference struct {
	loss, lossScale []float64 // per sample
	s, sScale       []float64
	q, qScale       []float64
	gsum, gscale    []float64 // Σ c_n g_n and Σ |c_n g_n| (componentwise)
	hsum, hscale    []float64 // Σ e_n H_n v
	tsum, tscale    []float64 // Σ c_n ∇³f_n[u,u]
}

func (c *checker) chunks(k int, fn func(lo, hi int)) {
	for lo := 0; lo < c.n; lo += k {
		fn(lo, min(lo+k, c.n))
	}
}

func fillNaN(x []float64) {
	for i := range x {
		x[i] = math.NaN()
	}
}

// weightedRows adds Σ_i wt[lo+i]·rows_i into sum and |…| into scale.
func weightedRows(sum, scale, rows, wt []float64, lo, hi, d int) {
	for i := 0; i < hi-lo; i++ {
		a := wt[lo+i]
		r := rows[i*d : (i+1)*d]
		for k, x := range r {
			sum[k] += a * x
			if scale != nil {
				scale[k] += math.Abs(a * x)
			}
		}
	}
}

func (c *checker) reference(cw, ew []float64) *reference {
	d, n := c.d, c.n
	r := &reference{
		loss: make([]float64, n), lossScale: make([]float64, n),
		s: make([]float64, n), sScale: make([]float64, n),
		q: make([]float64, n), qScale: make([]float64, n),
		gsum: make([]float64, d), gscale: make([]float64, d),
		hsum: make([]float64, d), hscale: make([]float64, d),
		tsum: make([]float64, d), tscale: make([]float64, d),
	}
	rows := make([]float64, c.maxChunk*d)
	c.chunks(c.maxChunk, func(lo, hi int) {
		c.ev.Losses(r.loss[lo:hi], c.w, lo, hi)
		rw := rows[:(hi-lo)*d]
		c.ev.Grads(rw, c.w, lo, hi)
		weightedRows(r.gsum, r.gscale, rw, cw, lo, hi, d)
		for i := lo; i < hi; i++ {
			g := rw[(i-lo)*d : (i-lo+1)*d]
			r.s[i], r.sScale[i] = dot(g, c.v), absDot(g, c.v)
			r.lossScale[i] = math.Abs(r.loss[i]) + c.wscale*normInf(g)
		}
		if c.order >= 2 {
			c.ev.HessVecs(rw, c.w, c.v, lo, hi)
			weightedRows(r.hsum, r.hscale, rw, ew, lo, hi, d)
			for i := lo; i < hi; i++ {
				h := rw[(i-lo)*d : (i-lo+1)*d]
				r.q[i], r.qScale[i] = dot(h, c.v), absDot(h, c.v)
			}
		}
		if c.order >= 3 {
			c.ev.ThirdVecs(rw, c.w, c.u, lo, hi)
			weightedRows(r.tsum, r.tscale, rw, cw, lo, hi, d)
		}
	})
	return r
}

// assertPerSample compares per-sample outputs with per-sample absolute
// tolerances RoundTol·scale[i].
func (c *checker) assertPerSample(what string, got, want, scale []float64) {
	c.t.Helper()
	for i := range got {
		tol := Tol{Rel: c.roundTol, Abs: c.roundTol * scale[i]}
		if tol.ratio(got[i], want[i]) > 1 {
			c.assert("exact", fmt.Sprintf("%s, sample %d", what, i), got[i:i+1], want[i:i+1], tol)
			return
		}
	}
}

// checkSweeps compares whole-data sums and per-sample outputs across chunk
// sizes with the row forms.
func (c *checker) checkSweeps() {
	c.t.Helper()
	sw := c.newSweeps()
	for _, k := range []int{1, 2, 3, 7, c.maxChunk} {
		if k > c.maxChunk {
			continue
		}
		at := func(what string) string { return fmt.Sprintf("chunk size %d: %s", k, what) }
		c.sweepDirectional(sw, k, at)
		c.sweepSums(sw, k, at)
	}
}

// sweeps is the state of checkSweeps: random weights c, e, the reference
// sums, a random prior content z of Accumulate's destination, and buffers.
type sweeps struct {
	cw, ew, gmix, mixScale, z  []float64
	zs                         float64
	ref                        *reference
	loss, s, q, dst, rows, sum []float64
}

func (c *checker) newSweeps() *sweeps {
	d, n := c.d, c.n
	sw := &sweeps{cw: make([]float64, n), ew: make([]float64, n)}
	for i := range sw.cw {
		sw.cw[i] = c.rng.NormFloat64()
		sw.ew[i] = c.rng.NormFloat64()
	}
	sw.ref = c.reference(sw.cw, sw.ew)
	sw.gmix, sw.mixScale = make([]float64, d), make([]float64, d)
	for k := range sw.gmix {
		sw.gmix[k] = sw.ref.gsum[k] + sw.ref.hsum[k]
		sw.mixScale[k] = sw.ref.gscale[k] + sw.ref.hscale[k]
	}
	// z is the random prior content of dst: Accumulate must add to it.
	sw.z = make([]float64, d)
	sw.zs = math.Max(normInf(sw.mixScale), 1)
	for k := range sw.z {
		sw.z[k] = sw.zs * (2*c.rng.Float64() - 1)
	}
	sw.loss, sw.s, sw.q = make([]float64, n), make([]float64, n), make([]float64, n)
	sw.dst, sw.sum = make([]float64, d), make([]float64, d)
	sw.rows = make([]float64, c.maxChunk*d)
	return sw
}

func (sw *sweeps) tol(c *checker, scale []float64) Tol {
	return Tol{Rel: c.roundTol, Abs: c.roundTol * (normInf(scale) + sw.zs)}
}

// plus returns z + a.
func (sw *sweeps) plus(a []float64) []float64 {
	out := make([]float64, len(a))
	for k := range out {
		out[k] = sw.z[k] + a[k]
	}
	return out
}

// sweepDirectional checks Losses and Directional (all outputs together and
// each alone) in chunks of size k against the reference.
func (c *checker) sweepDirectional(sw *sweeps, k int, at func(string) string) {
	c.t.Helper()
	ref, loss, s, q := sw.ref, sw.loss, sw.s, sw.q
	fillNaN(loss)
	c.chunks(k, func(lo, hi int) { c.ev.Losses(loss[lo:hi], c.w, lo, hi) })
	c.assertPerSample(at("Losses vs reference"), loss, ref.loss, ref.lossScale)

	var q2 []float64
	if c.order >= 2 {
		q2 = q
	}
	fillNaN(loss)
	fillNaN(s)
	fillNaN(q)
	c.chunks(k, func(lo, hi int) {
		var qc []float64
		if q2 != nil {
			qc = q2[lo:hi]
		}
		c.ev.Directional(loss[lo:hi], s[lo:hi], qc, c.w, c.v, lo, hi)
	})
	c.assertPerSample(at("Directional loss vs Losses"), loss, ref.loss, ref.lossScale)
	c.assertPerSample(at("Directional s vs Grads·v"), s, ref.s, ref.sScale)
	if q2 != nil {
		c.assertPerSample(at("Directional q vs v·HessVecs"), q, ref.q, ref.qScale)
	}
	// Partial requests: each output alone.
	fillNaN(s)
	c.chunks(k, func(lo, hi int) { c.ev.Directional(nil, s[lo:hi], nil, c.w, c.v, lo, hi) })
	c.assertPerSample(at("Directional(nil, s, nil) vs Grads·v"), s, ref.s, ref.sScale)
	fillNaN(loss)
	c.chunks(k, func(lo, hi int) { c.ev.Directional(loss[lo:hi], nil, nil, c.w, c.v, lo, hi) })
	c.assertPerSample(at("Directional(loss, nil, nil) vs Losses"), loss, ref.loss, ref.lossScale)
	if q2 != nil {
		fillNaN(q)
		c.chunks(k, func(lo, hi int) { c.ev.Directional(nil, nil, q[lo:hi], c.w, c.v, lo, hi) })
		c.assertPerSample(at("Directional(nil, nil, q) vs v·HessVecs"), q, ref.q, ref.qScale)
	}
}

// sweepSums checks Accumulate (adding into dst) and the weighted sums of the
// rows Grads, HessVecs and ThirdVecs in chunks of size k.
func (c *checker) sweepSums(sw *sweeps, k int, at func(string) string) {
	c.t.Helper()
	d, ref, dst, sum, cw, ew := c.d, sw.ref, sw.dst, sw.sum, sw.cw, sw.ew
	rowSum := func(eval func(rw []float64, lo, hi int), wt []float64) {
		clear(sum)
		c.chunks(k, func(lo, hi int) {
			rw := sw.rows[:(hi-lo)*d]
			fillNaN(rw)
			eval(rw, lo, hi)
			weightedRows(sum, nil, rw, wt, lo, hi, d)
		})
	}
	copy(dst, sw.z)
	c.chunks(k, func(lo, hi int) { c.ev.Accumulate(dst, cw[lo:hi], nil, c.w, nil, lo, hi) })
	c.assert("exact", at("z + Accumulate(c, nil) vs z + Σ c_n Grads_n"), dst, sw.plus(ref.gsum), sw.tol(c, ref.gscale))

	// Grads rows overwrite; their weighted sum matches the reference.
	rowSum(func(rw []float64, lo, hi int) { c.ev.Grads(rw, c.w, lo, hi) }, cw)
	c.assert("exact", at("Σ c_n Grads_n vs reference"), sum, ref.gsum, sw.tol(c, ref.gscale))
	if c.order < 2 {
		return
	}
	copy(dst, sw.z)
	c.chunks(k, func(lo, hi int) { c.ev.Accumulate(dst, nil, ew[lo:hi], c.w, c.v, lo, hi) })
	c.assert("exact", at("z + Accumulate(nil, e) vs z + Σ e_n HessVecs_n"), dst, sw.plus(ref.hsum), sw.tol(c, ref.hscale))
	copy(dst, sw.z)
	c.chunks(k, func(lo, hi int) { c.ev.Accumulate(dst, cw[lo:hi], ew[lo:hi], c.w, c.v, lo, hi) })
	c.assert("exact", at("z + Accumulate(c, e) vs z + Σ c_n g_n + e_n H_n v"), dst, sw.plus(sw.gmix), sw.tol(c, sw.mixScale))

	rowSum(func(rw []float64, lo, hi int) { c.ev.HessVecs(rw, c.w, c.v, lo, hi) }, ew)
	c.assert("exact", at("Σ e_n HessVecs_n vs reference"), sum, ref.hsum, sw.tol(c, ref.hscale))
	if c.order < 3 {
		return
	}
	rowSum(func(rw []float64, lo, hi int) { c.ev.ThirdVecs(rw, c.w, c.u, lo, hi) }, cw)
	c.assert("exact", at("Σ c_n ThirdVecs_n vs reference"), sum, ref.tsum, sw.tol(c, ref.tscale))
}

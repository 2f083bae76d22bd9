// Package modeltest is the conformance harness every models.Model must
// pass, built-in or user-written.
//
// Check evaluates a model at given weights w and directions v, u and
// verifies, on a random subset of samples,
//
//   - the gradient rows g_n (Grads) against central differences of the
//     per-sample loss f_n (gonum diff/fd: fd.Gradient for small d, fd.Derivative
//     along random coordinate axes for large d);
//   - Directional's loss against Losses, s_n against g_n·v and against a
//     central difference of f_n(w + t v);
//   - H_n v (HessVecs) against a central difference of g_n along v (fd.Jacobian
//     of t ↦ g_n(w + t v)), its symmetry u·H_n v = v·H_n u, q_n against v·H_n v
//     and against a central difference of s_n along v;
//   - ∇³f_n[u,u] (ThirdVecs) against a central difference of H_n u along u, and
//     the symmetry v·∇³f_n[u,u] = u·∇³f_n[u,v] (by polarisation, to FDTol so
//     that models using models.ThirdVecsFD pass);
//
// and, over the whole data set,
//
//   - Accumulate (gradient, Hessian and mixed forms) against the row forms
//     summed, per-sample outputs against the reference, for chunk sizes
//     1, 2, 3, 7 and the evaluator's maximum (uneven last chunks included);
//   - that per-sample outputs overwrite (buffers are pre-filled with NaN) and
//     summed outputs add (dst is pre-filled with a random vector);
//   - that evaluators of one model used concurrently at different w give
//     bit-identical results to serial use;
//   - that Losses, Directional, Accumulate and the row methods allocate
//     nothing after warm-up (skipped under -short or with Options.SkipAllocs).
//
// Models with MaxOrder 1 are checked only for Losses, Directional without q,
// Accumulate with e == nil and Grads; MaxOrder 2 skips ThirdVecs.
//
// # Step sizes and tolerances
//
// A central difference (φ(h) − φ(−h))/(2h) has truncation error
// h²|φ”'|/6 and rounding error ≈ ε_mach|φ|/h; the two balance at
// h ≈ ε_mach^(1/3) ≈ 6e-6 (gonum's fd.Central step), giving a relative error
// near 1e-11 for a well-scaled φ. The harness differentiates
// φ(t) = F(w + t·dir) with step
//
//	h = 6e-6 · max(1, ‖w‖∞) / ‖dir‖∞,
//
// so every step moves w by a relative 6e-6, whatever the scale of w and the
// direction. A finite-difference comparison of an analytic vector a with its
// estimate passes when, componentwise,
//
//	|a_i − fd_i| ≤ FDTol · (max(|a_i|, |fd_i|) + 2‖a‖∞ + ‖dir‖∞ · F / max(1, ‖w‖∞)),
//
// where F is the rounding scale of the differenced function: ‖g_n‖∞, |s_n|
// or ‖H_n u‖∞, and |f_n| + max(1, ‖w‖∞)·‖g_n‖∞ for the loss (whose linear
// part may cancel). The default FDTol = 1e-6 leaves four to five
// orders of magnitude of headroom over the expected error of a correct model,
// yet a wrong derivative (a missing term, factor or sign) gives relative
// errors of order one and fails.
//
// Identities that hold exactly in real arithmetic (s_n = g_n·v, summed versus
// row forms, chunk additivity) are compared with RoundTol (default 1e-10)
// times the sum of the absolute values of the terms involved, which bounds
// the rounding error of any summation order with about 10⁶ ulps of headroom.
package modeltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/grd-engine/grd/models"
)

// Options configures Check. A nil *Options or a zero field means the
// documented default.
type Options struct {
	// Src drives the choice of samples and coordinates, the weights c and e
	// passed to Accumulate and the perturbed weights of the concurrency
	// check. Default: rand.NewPCG(1, 2).
	Src rand.Source

	// Samples is how many samples are checked against finite differences:
	// the first, the last and random ones. Default 6 (all when N is smaller).
	Samples int

	// Coords is the number of gradient coordinates checked against finite
	// differences of f_n: all of them (with fd.Gradient) when d ≤ Coords,
	// otherwise Coords random axes. Default 48.
	Coords int

	// MaxChunk is the maxChunk the evaluators are made for. Default
	// min(N, 16).
	MaxChunk int

	// FDTol is the finite-difference tolerance described in the package
	// documentation. Default 1e-6.
	FDTol float64

	// RoundTol is the tolerance for identities exact in real arithmetic.
	// Default 1e-10.
	RoundTol float64

	// SkipAllocs skips the allocation checks (which are also skipped under
	// -short).
	SkipAllocs bool
}

// fdStep is the relative step of the central differences: ≈ ε_mach^(1/3),
// gonum's fd.Central default.
const fdStep = 6e-6

// checker holds the state of one Check call.
type checker struct {
	t                 testing.TB
	m                 models.Model
	d, n, order       int
	w, v, u           []float64
	wscale            float64 // max(1, ‖w‖∞)
	fdTol, roundTol   float64
	maxChunk          int
	samples, coords   int
	rng               *rand.Rand
	ev                models.Evaluator
	worst             map[string]float64
	one, one2, one3   []float64 // single-sample scalars
	row, row2, rowTmp []float64 // single-sample rows (len d)
	wtmp              []float64 // len d
}

// Check runs the conformance checks described in the package documentation
// on m at weights w with directions v (for s, q, H v) and u (for
// ∇³f[u,u]). It reports failures with t.Errorf and logs the worst
// finite-difference agreement it saw. w, v and u must have length m.Dim();
// v and u should be non-zero and of a scale comparable to w's.
func Check(t testing.TB, m models.Model, w, v, u []float64, opts *Options) {
	t.Helper()
	c := newChecker(t, m, w, v, u, opts)
	if c == nil {
		return
	}
	for _, n := range c.pickSamples() {
		c.checkSample(n)
	}
	c.checkSweeps()
	c.checkConcurrent()
	if !testing.Short() && (opts == nil || !opts.SkipAllocs) {
		c.checkAllocs()
	}
	t.Logf("modeltest: %s (d=%d, N=%d, order %d): worst error/tolerance ratios %s",
		m.Name(), c.d, c.n, c.order, c.summary())
}

func newChecker(t testing.TB, m models.Model, w, v, u []float64, opts *Options) *checker {
	t.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	d, n, order := m.Dim(), m.Len(), m.MaxOrder()
	switch {
	case m.Name() == "":
		t.Errorf("modeltest: model has an empty Name")
	case d < 1 || n < 1:
		t.Errorf("modeltest: %s: Dim() = %d, Len() = %d, both must be ≥ 1", m.Name(), d, n)
		return nil
	case order < 1 || order > 3:
		t.Errorf("modeltest: %s: MaxOrder() = %d, must be 1, 2 or 3", m.Name(), order)
		return nil
	case len(w) != d || len(v) != d || len(u) != d:
		t.Fatalf("modeltest: len(w), len(v), len(u) = %d, %d, %d, want Dim() = %d", len(w), len(v), len(u), d)
	}
	if o.Src == nil {
		o.Src = rand.NewPCG(1, 2)
	}
	if o.Samples <= 0 {
		o.Samples = 6
	}
	if o.Coords <= 0 {
		o.Coords = 48
	}
	if o.MaxChunk <= 0 {
		o.MaxChunk = min(n, 16)
	}
	if o.FDTol <= 0 {
		o.FDTol = 1e-6
	}
	if o.RoundTol <= 0 {
		o.RoundTol = 1e-10
	}
	c := &checker{
		t: t, m: m, d: d, n: n, order: order,
		w: w, v: v, u: u,
		wscale: math.Max(1, normInf(w)),
		fdTol:  o.FDTol, roundTol: o.RoundTol,
		maxChunk: o.MaxChunk, samples: o.Samples, coords: o.Coords,
		rng:   rand.New(o.Src),
		ev:    m.NewEvaluator(o.MaxChunk),
		worst: map[string]float64{},
		one:   make([]float64, 1), one2: make([]float64, 1), one3: make([]float64, 1),
		row: make([]float64, d), row2: make([]float64, d), rowTmp: make([]float64, d),
		wtmp: make([]float64, d),
	}
	return c
}

// summary formats the worst ratios per check.
func (c *checker) summary() string {
	keys := []string{"grad-fd", "s-fd", "hv-fd", "q-fd", "third-fd", "third-sym", "exact"}
	s := ""
	for _, k := range keys {
		if r, ok := c.worst[k]; ok {
			s += fmt.Sprintf("%s=%.2g ", k, r)
		}
	}
	return s
}

// assert compares got and want componentwise with tol, records the ratio
// under category and reports a failure.
func (c *checker) assert(category, what string, got, want []float64, tol Tol) {
	c.t.Helper()
	if len(got) == 0 {
		return
	}
	_, r := Compare(got, want, tol)
	if old, ok := c.worst[category]; !ok || r > old {
		c.worst[category] = r
	}
	if r > 1 {
		AssertClose(c.t, fmt.Sprintf("modeltest: %s: %s", c.m.Name(), what), got, want, tol)
	}
}

// fdTolFor is the FD tolerance for an analytic vector a obtained by
// differencing a function of magnitude fScale along dir.
func (c *checker) fdTolFor(a []float64, fScale, dirScale float64) Tol {
	return Tol{Rel: c.fdTol, Abs: c.fdTol * (2*normInf(a) + dirScale*fScale/c.wscale)}
}

// pickSamples returns the first, the last and random samples.
func (c *checker) pickSamples() []int {
	if c.n <= c.samples {
		s := make([]int, c.n)
		for i := range s {
			s[i] = i
		}
		return s
	}
	s := []int{0, c.n - 1}
	for _, i := range c.rng.Perm(c.n - 2) {
		if len(s) == c.samples {
			break
		}
		s = append(s, i+1)
	}
	return s
}

// Single-sample evaluations with the checker's evaluator.

func (c *checker) loss(n int, x []float64) float64 {
	c.ev.Losses(c.one, x, n, n+1)
	return c.one[0]
}

func (c *checker) sDir(n int, x, dir []float64) float64 {
	c.ev.Directional(nil, c.one, nil, x, dir, n, n+1)
	return c.one[0]
}

// step returns the central-difference step along dir.
func (c *checker) step(dir []float64) float64 {
	return fdStep * c.wscale / normInf(dir)
}

// along sets c.wtmp = w + t·dir and returns it.
func (c *checker) along(t float64, dir []float64) []float64 {
	for i := range c.wtmp {
		c.wtmp[i] = c.w[i] + t*dir[i]
	}
	return c.wtmp
}

// fdVec returns a central difference of F(w + t·dir) at t = 0, where F
// writes a length-d vector, using fd.Jacobian with one input.
func (c *checker) fdVec(F func(dst, x []float64), dir []float64) []float64 {
	jac := mat.NewDense(c.d, 1, nil)
	fd.Jacobian(jac, func(y, t []float64) { F(y, c.along(t[0], dir)) }, []float64{0},
		&fd.JacobianSettings{Formula: fd.Central, Step: c.step(dir)})
	return mat.Col(nil, 0, jac)
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func absDot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += math.Abs(a[i] * b[i])
	}
	return s
}

func isZero(x []float64) bool { return normInf(x) == 0 }

// checkSample runs the per-sample finite-difference checks on sample n.
func (c *checker) checkSample(n int) {
	c.t.Helper()
	name := func(s string) string { return fmt.Sprintf("sample %d: %s", n, s) }
	w, v, u, d := c.w, c.v, c.u, c.d

	f := c.loss(n, w)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		c.t.Errorf("modeltest: %s: sample %d: loss %v at w is not finite", c.m.Name(), n, f)
		return
	}
	g := make([]float64, d)
	c.ev.Grads(g, w, n, n+1)
	gn := normInf(g)

	// Gradient against central differences of f_n.
	lossAt := func(x []float64) float64 { return c.loss(n, x) }
	gtol := Tol{Rel: c.fdTol, Abs: c.fdTol * (2*gn + math.Abs(f)/c.wscale + gn)}
	if d <= c.coords {
		fdg := fd.Gradient(nil, lossAt, w, &fd.Settings{Formula: fd.Central, Step: fdStep * c.wscale})
		c.assert("grad-fd", name("Grads vs fd.Gradient of Losses"), g, fdg, gtol)
	} else {
		got := make([]float64, c.coords)
		want := make([]float64, c.coords)
		x := make([]float64, d)
		for j, k := range c.rng.Perm(d)[:c.coords] {
			copy(x, w)
			got[j] = g[k]
			want[j] = fd.Derivative(func(t float64) float64 {
				x[k] = w[k] + t
				return c.loss(n, x)
			}, 0, &fd.Settings{Formula: fd.Central, Step: fdStep * c.wscale})
		}
		c.assert("grad-fd", name("Grads vs central differences of Losses on random coordinates"), got, want, gtol)
	}

	// Directional: loss and s.
	lossD, s, q := []float64{math.NaN()}, []float64{math.NaN()}, []float64{math.NaN()}
	if c.order < 2 {
		q = nil
	}
	c.ev.Directional(lossD, s, q, w, v, n, n+1)
	c.assert("exact", name("Directional loss vs Losses"), lossD, []float64{f},
		Tol{Rel: c.roundTol, Abs: c.roundTol * (math.Abs(f) + c.wscale*gn)})
	c.assert("exact", name("Directional s vs Grads·v"), s, []float64{dot(g, v)},
		Tol{Rel: c.roundTol, Abs: c.roundTol * absDot(g, v)})
	if !isZero(v) {
		sfd := fd.Derivative(func(t float64) float64 { return c.loss(n, c.along(t, v)) }, 0,
			&fd.Settings{Formula: fd.Central, Step: c.step(v)})
		c.assert("s-fd", name("Directional s vs central difference of f_n along v"), s, []float64{sfd},
			c.fdTolFor(s, math.Abs(f)+c.wscale*gn, normInf(v)))
	}
	if c.order < 2 {
		return
	}

	// Hessian-vector products.
	hv := make([]float64, d)
	hu := make([]float64, d)
	c.ev.HessVecs(hv, w, v, n, n+1)
	c.ev.HessVecs(hu, w, u, n, n+1)
	if !isZero(v) {
		fdhv := c.fdVec(func(dst, x []float64) { c.ev.Grads(dst, x, n, n+1) }, v)
		c.assert("hv-fd", name("HessVecs vs central difference of Grads along v"), hv, fdhv,
			c.fdTolFor(hv, gn, normInf(v)))
		qfd := fd.Derivative(func(t float64) float64 { return c.sDir(n, c.along(t, v), v) }, 0,
			&fd.Settings{Formula: fd.Central, Step: c.step(v)})
		c.assert("q-fd", name("Directional q vs central difference of s_n along v"), q, []float64{qfd},
			c.fdTolFor(q, math.Abs(s[0]), normInf(v)))
	}
	c.assert("exact", name("Directional q vs v·HessVecs"), q, []float64{dot(v, hv)},
		Tol{Rel: c.roundTol, Abs: c.roundTol * absDot(v, hv)})
	c.assert("exact", name("Hessian symmetry u·(H v) vs v·(H u)"), []float64{dot(u, hv)}, []float64{dot(v, hu)},
		Tol{Rel: c.roundTol, Abs: c.roundTol * (absDot(u, hv) + absDot(v, hu))})
	if c.order < 3 {
		return
	}

	// Third derivatives.
	tuu := make([]float64, d)
	c.ev.ThirdVecs(tuu, w, u, n, n+1)
	if !isZero(u) {
		fdt := c.fdVec(func(dst, x []float64) { c.ev.HessVecs(dst, x, u, n, n+1) }, u)
		c.assert("third-fd", name("ThirdVecs vs central difference of HessVecs(u) along u"), tuu, fdt,
			c.fdTolFor(tuu, normInf(hu), normInf(u)))
	}
	// v·T[u,u] = u·T[u,v], with T[u,v] = ¼(T[u+v,u+v] − T[u−v,u−v]).
	upv, umv := make([]float64, d), make([]float64, d)
	for i := range upv {
		upv[i], umv[i] = u[i]+v[i], u[i]-v[i]
	}
	tp, tm := make([]float64, d), make([]float64, d)
	c.ev.ThirdVecs(tp, w, upv, n, n+1)
	c.ev.ThirdVecs(tm, w, umv, n, n+1)
	var lhs, rhs, scale float64
	for i := range u {
		lhs += v[i] * tuu[i]
		rhs += 0.25 * u[i] * (tp[i] - tm[i])
		scale += math.Abs(v[i]*tuu[i]) + 0.25*math.Abs(u[i])*(math.Abs(tp[i])+math.Abs(tm[i]))
	}
	// FDTol rather than RoundTol: models using ThirdVecsFD satisfy the
	// symmetry only to finite-difference accuracy.
	c.assert("third-sym", name("third-derivative symmetry v·T[u,u] vs u·T[u,v]"), []float64{lhs}, []float64{rhs},
		Tol{Rel: c.fdTol, Abs: c.fdTol * scale})
}

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
	d, n := c.d, c.n
	cw := make([]float64, n)
	ew := make([]float64, n)
	for i := range cw {
		cw[i] = c.rng.NormFloat64()
		ew[i] = c.rng.NormFloat64()
	}
	ref := c.reference(cw, ew)
	gmix := make([]float64, d)
	mixScale := make([]float64, d)
	for k := range gmix {
		gmix[k] = ref.gsum[k] + ref.hsum[k]
		mixScale[k] = ref.gscale[k] + ref.hscale[k]
	}
	// z is the random prior content of dst: Accumulate must add to it.
	z := make([]float64, d)
	zs := math.Max(normInf(mixScale), 1)
	for k := range z {
		z[k] = zs * (2*c.rng.Float64() - 1)
	}
	sumTol := func(scale []float64) Tol {
		return Tol{Rel: c.roundTol, Abs: c.roundTol * (normInf(scale) + zs)}
	}
	plus := func(a []float64) []float64 {
		out := make([]float64, d)
		for k := range out {
			out[k] = z[k] + a[k]
		}
		return out
	}

	sizes := []int{1, 2, 3, 7, c.maxChunk}
	loss := make([]float64, n)
	s := make([]float64, n)
	q := make([]float64, n)
	dst := make([]float64, d)
	rows := make([]float64, c.maxChunk*d)
	sum := make([]float64, d)
	for _, k := range sizes {
		if k > c.maxChunk {
			continue
		}
		at := func(what string) string { return fmt.Sprintf("chunk size %d: %s", k, what) }

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

		// Accumulate adds into dst.
		copy(dst, z)
		c.chunks(k, func(lo, hi int) { c.ev.Accumulate(dst, cw[lo:hi], nil, c.w, nil, lo, hi) })
		c.assert("exact", at("z + Accumulate(c, nil) vs z + Σ c_n Grads_n"), dst, plus(ref.gsum), sumTol(ref.gscale))

		// Grads rows overwrite; their weighted sum matches the reference.
		clear(sum)
		c.chunks(k, func(lo, hi int) {
			rw := rows[:(hi-lo)*d]
			fillNaN(rw)
			c.ev.Grads(rw, c.w, lo, hi)
			weightedRows(sum, nil, rw, cw, lo, hi, d)
		})
		c.assert("exact", at("Σ c_n Grads_n vs reference"), sum, ref.gsum, sumTol(ref.gscale))
		if c.order < 2 {
			continue
		}
		copy(dst, z)
		c.chunks(k, func(lo, hi int) { c.ev.Accumulate(dst, nil, ew[lo:hi], c.w, c.v, lo, hi) })
		c.assert("exact", at("z + Accumulate(nil, e) vs z + Σ e_n HessVecs_n"), dst, plus(ref.hsum), sumTol(ref.hscale))
		copy(dst, z)
		c.chunks(k, func(lo, hi int) { c.ev.Accumulate(dst, cw[lo:hi], ew[lo:hi], c.w, c.v, lo, hi) })
		c.assert("exact", at("z + Accumulate(c, e) vs z + Σ c_n g_n + e_n H_n v"), dst, plus(gmix), sumTol(mixScale))

		clear(sum)
		c.chunks(k, func(lo, hi int) {
			rw := rows[:(hi-lo)*d]
			fillNaN(rw)
			c.ev.HessVecs(rw, c.w, c.v, lo, hi)
			weightedRows(sum, nil, rw, ew, lo, hi, d)
		})
		c.assert("exact", at("Σ e_n HessVecs_n vs reference"), sum, ref.hsum, sumTol(ref.hscale))
		if c.order < 3 {
			continue
		}
		clear(sum)
		c.chunks(k, func(lo, hi int) {
			rw := rows[:(hi-lo)*d]
			fillNaN(rw)
			c.ev.ThirdVecs(rw, c.w, c.u, lo, hi)
			weightedRows(sum, nil, rw, cw, lo, hi, d)
		})
		c.assert("exact", at("Σ c_n ThirdVecs_n vs reference"), sum, ref.tsum, sumTol(ref.tscale))
	}
}

// gradSum returns Σ_n g_n(x)/N computed with ev in chunks of maxChunk, and
// the losses.
func (c *checker) gradSum(ev models.Evaluator, x, cw []float64) (sum, loss, hv []float64) {
	sum = make([]float64, c.d)
	loss = make([]float64, c.n)
	var e []float64
	var v []float64
	if c.order >= 2 {
		hv = make([]float64, c.d)
		e, v = cw, c.v
	}
	c.chunks(c.maxChunk, func(lo, hi int) {
		ev.Losses(loss[lo:hi], x, lo, hi)
		ev.Accumulate(sum, cw[lo:hi], nil, x, nil, lo, hi)
		if hv != nil {
			ev.Accumulate(hv, nil, e[lo:hi], x, v, lo, hi)
		}
	})
	return sum, loss, hv
}

func bitsEqual(a, b []float64) bool {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}

// checkConcurrent runs two evaluators of the model concurrently at different
// weights and requires bit-identical results to serial evaluation.
func (c *checker) checkConcurrent() {
	c.t.Helper()
	cw := make([]float64, c.n)
	for i := range cw {
		cw[i] = 1 / float64(c.n)
	}
	w2 := make([]float64, c.d)
	for i := range w2 {
		w2[i] = c.w[i] + 0.1*c.wscale*c.rng.NormFloat64()
	}
	ws := [][]float64{c.w, w2}
	type result struct{ g, l, h []float64 }
	serial := make([]result, 2)
	for i, x := range ws {
		g, l, h := c.gradSum(c.ev, x, cw)
		serial[i] = result{g, l, h}
	}
	const reps = 3
	got := make([][]result, 2)
	var wg sync.WaitGroup
	for i, x := range ws {
		ev := c.m.NewEvaluator(c.maxChunk)
		got[i] = make([]result, reps)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range reps {
				g, l, h := c.gradSum(ev, x, cw)
				got[i][r] = result{g, l, h}
			}
		}()
	}
	wg.Wait()
	for i := range ws {
		for r := range reps {
			g := got[i][r]
			if !bitsEqual(g.g, serial[i].g) || !bitsEqual(g.l, serial[i].l) || (g.h != nil && !bitsEqual(g.h, serial[i].h)) {
				c.t.Errorf("modeltest: %s: evaluators used concurrently at different w are not bit-identical to serial use (shared scratch or global state?)", c.m.Name())
				return
			}
		}
	}
}

// checkAllocs requires zero allocations per call after warm-up.
func (c *checker) checkAllocs() {
	c.t.Helper()
	d := c.d
	hi := min(c.maxChunk, c.n)
	lo := 0
	if c.n > hi { // an interior chunk, not starting at 0
		lo, hi = 1, min(1+c.maxChunk, c.n)
	}
	k := hi - lo
	loss := make([]float64, k)
	s := make([]float64, k)
	q := make([]float64, k)
	cw := make([]float64, k)
	ew := make([]float64, k)
	for i := range cw {
		cw[i], ew[i] = 1, 0.5
	}
	dst := make([]float64, d)
	rows := make([]float64, k*d)
	type op struct {
		name  string
		order int
		fn    func()
	}
	ops := []op{
		{"Losses", 1, func() { c.ev.Losses(loss, c.w, lo, hi) }},
		{"Directional(loss, s, nil)", 1, func() { c.ev.Directional(loss, s, nil, c.w, c.v, lo, hi) }},
		{"Accumulate(c, nil)", 1, func() { c.ev.Accumulate(dst, cw, nil, c.w, nil, lo, hi) }},
		{"Grads", 1, func() { c.ev.Grads(rows, c.w, lo, hi) }},
		{"Directional(loss, s, q)", 2, func() { c.ev.Directional(loss, s, q, c.w, c.v, lo, hi) }},
		{"Accumulate(c, e)", 2, func() { c.ev.Accumulate(dst, cw, ew, c.w, c.v, lo, hi) }},
		{"Accumulate(nil, e)", 2, func() { c.ev.Accumulate(dst, nil, ew, c.w, c.v, lo, hi) }},
		{"HessVecs", 2, func() { c.ev.HessVecs(rows, c.w, c.v, lo, hi) }},
		{"ThirdVecs", 3, func() { c.ev.ThirdVecs(rows, c.w, c.u, lo, hi) }},
	}
	for _, o := range ops {
		if o.order > c.order {
			continue
		}
		o.fn() // warm-up
		if a := testing.AllocsPerRun(5, o.fn); a > 0 {
			c.t.Errorf("modeltest: %s: %s on chunk [%d,%d) allocates %v times per call after warm-up, want 0", c.m.Name(), o.name, lo, hi, a)
		}
	}
}

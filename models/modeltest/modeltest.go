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
//   - for an Evaluator that is a models.LossAccumulator, that
//     AccumulateLosses gives the bits of Losses followed by Accumulate (the
//     engine takes a loss row from it and relies on that), and with c nil
//     those of Losses;
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
	c.checkLossAccumulator()
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

// checkLossAccumulator requires a models.LossAccumulator's AccumulateLosses
// to give, bit for bit, what Losses followed by Accumulate give (with c
// nil, Losses alone), over the data set in chunks of the evaluator's
// maximum, into a non-zero dst.
func (c *checker) checkLossAccumulator() {
	c.t.Helper()
	la, ok := c.ev.(models.LossAccumulator)
	if !ok {
		return
	}
	cw := make([]float64, c.n)
	for i := range cw {
		cw[i] = c.rng.NormFloat64()
	}
	start := make([]float64, c.d)
	for i := range start {
		start[i] = c.rng.NormFloat64()
	}
	l1, l2, l3 := make([]float64, c.n), make([]float64, c.n), make([]float64, c.n)
	s1, s2 := append([]float64(nil), start...), append([]float64(nil), start...)
	c.chunks(c.maxChunk, func(lo, hi int) {
		c.ev.Losses(l1[lo:hi], c.w, lo, hi)
		c.ev.Accumulate(s1, cw[lo:hi], nil, c.w, nil, lo, hi)
		la.AccumulateLosses(l2[lo:hi], s2, cw[lo:hi], c.w, lo, hi)
		la.AccumulateLosses(l3[lo:hi], nil, nil, c.w, lo, hi)
	})
	switch {
	case !bitsEqual(l2, l1):
		c.t.Errorf("modeltest: %s: AccumulateLosses' losses are not Losses' bits (LossAccumulator promises them)", c.m.Name())
	case !bitsEqual(s2, s1):
		c.t.Errorf("modeltest: %s: AccumulateLosses' sum is not Accumulate's bits (LossAccumulator promises them)", c.m.Name())
	case !bitsEqual(l3, l1):
		c.t.Errorf("modeltest: %s: AccumulateLosses with c = nil: losses are not Losses' bits", c.m.Name())
	}
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

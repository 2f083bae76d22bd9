package modeltest

// The per-sample checks: every derivative of one sample against finite
// differences of the one below it, and the exact identities between them.

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/diff/fd"
)

// checkSample runs the per-sample finite-difference checks on sample n.
func (c *checker) checkSample(n int) {
	c.t.Helper()
	w, d := c.w, c.d
	f := c.loss(n, w)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		c.t.Errorf("modeltest: %s: sample %d: loss %v at w is not finite", c.m.Name(), n, f)
		return
	}
	g := make([]float64, d)
	c.ev.Grads(g, w, n, n+1)
	gn := normInf(g)
	c.checkGrad(n, f, g, gn)
	s, q := c.checkDirectional(n, f, g, gn)
	if c.order < 2 {
		return
	}
	hu := c.checkHessVecs(n, s, q, gn)
	if c.order < 3 {
		return
	}
	c.checkThird(n, hu)
}

// sampleName labels an assertion about sample n.
func sampleName(n int, s string) string { return fmt.Sprintf("sample %d: %s", n, s) }

// checkGrad checks g = Grads of sample n (loss f, ‖g‖∞ = gn) against
// central differences of f_n: all coordinates for small d, c.coords random
// ones beyond.
func (c *checker) checkGrad(n int, f float64, g []float64, gn float64) {
	c.t.Helper()
	w, d := c.w, c.d
	lossAt := func(x []float64) float64 { return c.loss(n, x) }
	gtol := Tol{Rel: c.fdTol, Abs: c.fdTol * (2*gn + math.Abs(f)/c.wscale + gn)}
	if d <= c.coords {
		fdg := fd.Gradient(nil, lossAt, w, &fd.Settings{Formula: fd.Central, Step: fdStep * c.wscale})
		c.assert("grad-fd", sampleName(n, "Grads vs fd.Gradient of Losses"), g, fdg, gtol)
		return
	}
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
	c.assert("grad-fd", sampleName(n, "Grads vs central differences of Losses on random coordinates"), got, want, gtol)
}

// checkDirectional checks Directional's loss and s_n = g·v of sample n, and
// returns s and q (q is nil for first-order models).
func (c *checker) checkDirectional(n int, f float64, g []float64, gn float64) (s, q []float64) {
	c.t.Helper()
	w, v := c.w, c.v
	lossD := []float64{math.NaN()}
	s, q = []float64{math.NaN()}, []float64{math.NaN()}
	if c.order < 2 {
		q = nil
	}
	c.ev.Directional(lossD, s, q, w, v, n, n+1)
	c.assert("exact", sampleName(n, "Directional loss vs Losses"), lossD, []float64{f},
		Tol{Rel: c.roundTol, Abs: c.roundTol * (math.Abs(f) + c.wscale*gn)})
	c.assert("exact", sampleName(n, "Directional s vs Grads·v"), s, []float64{dot(g, v)},
		Tol{Rel: c.roundTol, Abs: c.roundTol * absDot(g, v)})
	if !isZero(v) {
		sfd := fd.Derivative(func(t float64) float64 { return c.loss(n, c.along(t, v)) }, 0,
			&fd.Settings{Formula: fd.Central, Step: c.step(v)})
		c.assert("s-fd", sampleName(n, "Directional s vs central difference of f_n along v"), s, []float64{sfd},
			c.fdTolFor(s, math.Abs(f)+c.wscale*gn, normInf(v)))
	}
	return s, q
}

// checkHessVecs checks HessVecs of sample n against central differences of
// Grads, q_n against v·Hv and differences of s_n, and the symmetry of H;
// it returns H u.
func (c *checker) checkHessVecs(n int, s, q []float64, gn float64) []float64 {
	c.t.Helper()
	w, v, u, d := c.w, c.v, c.u, c.d
	hv := make([]float64, d)
	hu := make([]float64, d)
	c.ev.HessVecs(hv, w, v, n, n+1)
	c.ev.HessVecs(hu, w, u, n, n+1)
	if !isZero(v) {
		fdhv := c.fdVec(func(dst, x []float64) { c.ev.Grads(dst, x, n, n+1) }, v)
		c.assert("hv-fd", sampleName(n, "HessVecs vs central difference of Grads along v"), hv, fdhv,
			c.fdTolFor(hv, gn, normInf(v)))
		qfd := fd.Derivative(func(t float64) float64 { return c.sDir(n, c.along(t, v), v) }, 0,
			&fd.Settings{Formula: fd.Central, Step: c.step(v)})
		c.assert("q-fd", sampleName(n, "Directional q vs central difference of s_n along v"), q, []float64{qfd},
			c.fdTolFor(q, math.Abs(s[0]), normInf(v)))
	}
	c.assert("exact", sampleName(n, "Directional q vs v·HessVecs"), q, []float64{dot(v, hv)},
		Tol{Rel: c.roundTol, Abs: c.roundTol * absDot(v, hv)})
	c.assert("exact", sampleName(n, "Hessian symmetry u·(H v) vs v·(H u)"), []float64{dot(u, hv)}, []float64{dot(v, hu)},
		Tol{Rel: c.roundTol, Abs: c.roundTol * (absDot(u, hv) + absDot(v, hu))})
	return hu
}

// checkThird checks ThirdVecs of sample n against central differences of
// HessVecs(u) (hu = H u) and the symmetry v·T[u,u] = u·T[u,v].
func (c *checker) checkThird(n int, hu []float64) {
	c.t.Helper()
	w, v, u, d := c.w, c.v, c.u, c.d
	tuu := make([]float64, d)
	c.ev.ThirdVecs(tuu, w, u, n, n+1)
	if !isZero(u) {
		fdt := c.fdVec(func(dst, x []float64) { c.ev.HessVecs(dst, x, u, n, n+1) }, u)
		c.assert("third-fd", sampleName(n, "ThirdVecs vs central difference of HessVecs(u) along u"), tuu, fdt,
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
	c.assert("third-sym", sampleName(n, "third-derivative symmetry v·T[u,u] vs u·T[u,v]"), []float64{lhs}, []float64{rhs},
		Tol{Rel: c.fdTol, Abs: c.fdTol * scale})
}

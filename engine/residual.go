package engine

import (
	"context"
	"math"

	"github.com/grd-engine/grd/models"
	"gonum.org/v1/gonum/floats"
)

// Residuals are the diagnostics of the approximation (8) at a point
// (DESIGN §1), for a velocity u and a = −Hu − Γ(u,u):
//
//	R0 = sqrt(tr Cov_n(g_n)) = sqrt(tr D)
//	R1 = sqrt(tr Cov_n(H_n u))
//	R2 = sqrt(tr Cov_n(a_n)),  a_n = ∇³f_n[u,u] + H_n a
//	NGDDefect = ‖u + P∇f‖
//
// with tr Cov_n(x_n) = (1/N) Σ_n ‖x_n − x̄‖² (population covariance).
type Residuals struct {
	R0, R1, R2, NGDDefect float64
}

// residRowBytes caps the row buffer of the residual row passes
// (TraceDiffusion and ResidualsGrad's passes A and B, ⌊residRowBytes/8d⌋
// samples per chunk): their per-sample reductions walk each row five to
// eight times, so a chunk whose rows stay in the last-level cache
// (2 × 2 MiB per worker for pass A) runs them from cache instead of
// memory. BenchmarkResidualPasses on the Fashion shape (d = 25450): pass A
// −15 to −20% CPU time, pass B −20 to −25% against 16 MiB chunks. Chunk
// sizes change the rounding of the chunk-wise reductions (R0's sum
// grouping, the pairwise merges of R1 and R2), not their accuracy
// (TestResidualsChunking).
const residRowBytes = 2 << 20

// rowsJob evaluates the per-sample gradients in row form on a chunk and
// reduces them to the chunk's centred sum of squares Σ‖g_n − mean‖²
// (scal[k]), for TraceDiffusion.
type rowsJob struct {
	w, mean, scal []float64
	d             int
}

func (j *rowsJob) do(ws *worker, k, lo, hi int, _ []float64) {
	d, m := j.d, hi-lo
	ws.rowsA = grow(ws.rowsA, m*d)
	x := ws.rowsA
	ws.eval.Grads(x, j.w, lo, hi)
	var s float64
	for n := 0; n < m; n++ {
		row := x[n*d : (n+1)*d]
		floats.Sub(row, j.mean)
		s += floats.Dot(row, row)
	}
	j.scal[k] = s
}

// TraceDiffusion returns tr D(w) = (1/N) Σ_n ‖g_n − ∇f‖² (= R0²), from one
// gradient pass and one per-sample-gradient row pass.
func (g *Geometry) TraceDiffusion(ctx context.Context, w []float64) (float64, error) {
	g.checkVec("w", w)
	if err := g.accumulate(ctx, g.tC, w, nil, g.invN, nil); err != nil {
		return 0, err
	}
	nc := numChunks(g.n, g.resC)
	g.rows = rowsJob{w: w, mean: g.tC, scal: g.scal[:nc], d: g.d}
	err := g.sum(ctx, &g.rows, g.resC, 0, nil)
	g.rows = rowsJob{}
	if err != nil {
		return 0, err
	}
	return sumOf(g.scal[:nc]) / float64(g.n), nil
}

// Residuals computes R0, R1, R2 and the NGD defect at w for the velocity
// u, with a = −Hu − Γ(u,u) (Γ of kind met.Christoffel) and P of kind
// met.Inverse, in three passes (with ∇f known, ResidualsGrad, two): one
// gradient pass for ∇f, and the two row passes of ResidualsGrad.
func (g *Geometry) Residuals(ctx context.Context, w, u []float64, met Metric) (Residuals, error) {
	g.checkVec("w", w)
	g.checkVec("u", u)
	if err := models.RequireOrder(g.m, 3, "the (8) residuals"); err != nil {
		return Residuals{}, err
	}
	if err := g.accumulate(ctx, g.tC, w, nil, g.invN, nil); err != nil {
		return Residuals{}, err
	}
	return g.residuals(ctx, w, u, g.tC, met)
}

// ResidualsGrad is Residuals at w with grad = ∇f(w) given, as Grad or
// LossGrad computed it (a flow's output row has it already). It costs two
// per-sample row passes (for met.Inverse or met.Christoffel Exact, plus
// the (I + εD)⁻¹ solves of SolveExact):
//
//   - pass A forms g_n and h_n = H_n u per sample and reduces, at once,
//     Σ‖g_n − ∇f‖² (R0², centred at the known mean), the mean Hu and
//     Σ‖h_n − Hu‖² (R1²), the co-moment Σ_n (q_n − q̄)(g_n − ∇f) with
//     q_n = u·h_n (= N Γ₁(u,u)/ε, ChristoffelFirst) and
//     Σ_n ((g_n − ∇f)·∇f)(g_n − ∇f) (= N D∇f, for P∇f);
//   - pass B forms a_n = ∇³f_n[u,u] + H_n a and reduces its mean and
//     Σ‖a_n − ā‖² (R2²).
//
// A mean and a centred sum of squares (or co-moment) whose mean is not
// known before the pass are computed per chunk by the two-pass formula
// (the chunk's rows are in memory) and the chunks combined in chunk order
// by the pairwise update of Chan, Golub and LeVeque (1983),
//
//	M₂ = M₂' + M₂'' + ‖x̄'' − x̄'‖² n'n''/(n' + n''),
//
// whose relative error is O(N·u·κ), κ² = Σ‖x_n‖²/M₂ (u the unit roundoff),
// against O(N·u) + O((N·u·κ)²) for the two-pass formula over all samples;
// R2 ≪ ‖ā‖ is thus resolved without the cancellation of Σ‖x_n‖² − N‖x̄‖².
// In one process R0 (centred at the known ∇f) has TraceDiffusion's bits
// (on K > 1 ranks the chunks' sums are regrouped by rank) and, for
// met.Inverse Exact, the NGD defect NGDVelocity's; R1, R2 and the
// weak-field defect agree with the separate two-pass computations to the
// rounding above (TestResidualsFused).
func (g *Geometry) ResidualsGrad(ctx context.Context, w, u, grad []float64, met Metric) (Residuals, error) {
	g.checkVec("w", w)
	g.checkVec("u", u)
	g.checkVec("grad", grad)
	if err := models.RequireOrder(g.m, 3, "the (8) residuals"); err != nil {
		return Residuals{}, err
	}
	return g.residuals(ctx, w, u, grad, met)
}

// residuals is ResidualsGrad without the checks; grad must not be g.tA,
// g.tB or g.tD.
func (g *Geometry) residuals(ctx context.Context, w, u, grad []float64, met Metric) (Residuals, error) {
	var res Residuals
	d, eps, invN := g.d, met.Epsilon, 1/float64(g.n)

	// Pass A.
	g.resA = grow(g.resA, residAWidth(d))
	st := g.resA
	g.rA = residAJob{w: w, u: u, grad: grad, d: d}
	g.mA = residAFold{dst: st, d: d}
	err := g.reduce(ctx, &g.rA, g.resC, &g.mA, len(st))
	g.rA, g.mA = residAJob{}, residAFold{}
	if err != nil {
		return res, err
	}
	hu, co, dg := residAParts(st, d)
	res.R0 = math.Sqrt(st[1] / float64(g.n)) // as TraceDiffusion: the same bits
	res.R1 = math.Sqrt(st[2] / float64(g.n))

	// a = −Hu − Γ(u,u), Γ₁(u,u) = (ε/N) Σ (q_n − q̄)(g_n − ∇f).
	a, gam := g.tA, g.tB
	floats.ScaleTo(gam, eps*invN, co)
	if met.Christoffel == Exact && eps != 0 {
		if err := g.solveExact(ctx, gam, w, gam, eps); err != nil {
			return res, err
		}
	}
	for i := range a {
		a[i] = -hu[i] - gam[i]
	}

	// Pass B.
	g.resB = grow(g.resB, 2+d)
	g.rB = residBJob{w: w, u: u, a: a, d: d}
	g.mB = residBFold{dst: g.resB, d: d}
	err = g.reduce(ctx, &g.rB, g.resC, &g.mB, len(g.resB))
	g.rB, g.mB = residBJob{}, residBFold{}
	if err != nil {
		return res, err
	}
	res.R2 = math.Sqrt(g.resB[1] / float64(g.n))

	// NGD defect ‖u + P∇f‖ = ‖u − ngd‖, ngd = −P∇f.
	ngd := g.tD
	switch {
	case met.Inverse == Exact:
		if err := g.ngdVelocity(ctx, ngd, w, grad, met); err != nil {
			return res, err
		}
	default: // WeakField: P∇f = ∇f − ε D∇f
		for i, gi := range grad {
			ngd[i] = -(gi - eps*(dg[i]*invN))
		}
	}
	var s float64
	for i, ui := range u {
		t := ui - ngd[i]
		s += t * t
	}
	res.NGDDefect = math.Sqrt(s)
	return res, nil
}

// Pass A's reduction state: [n, S0, M2h, q̄, Hu (d), ȳ (d), C (d), Dg (d)]
// over the samples folded so far, with y_n = g_n − ∇f: S0 = Σ‖y_n‖²,
// Hu and M2h the mean and centred sum of squares of h_n = H_n u, q̄ the
// mean of q_n = u·h_n, ȳ the mean of y_n, C = Σ (q_n − q̄)(y_n − ȳ) and
// Dg = Σ (y_n·∇f) y_n.
func residAWidth(d int) int { return 4 + 4*d }

// residAParts returns the Hu, C and Dg parts of a pass-A state.
func residAParts(st []float64, d int) (hu, co, dg []float64) {
	return st[4 : 4+d], st[4+2*d : 4+3*d], st[4+3*d : 4+4*d]
}

// residAJob computes one chunk's pass-A state into its slot.
type residAJob struct {
	w, u, grad []float64
	d          int
}

func (j *residAJob) do(ws *worker, _, lo, hi int, slot []float64) {
	d, m := j.d, hi-lo
	ws.rowsA = grow(ws.rowsA, m*d)
	ws.rowsB = grow(ws.rowsB, m*d)
	ws.vec = grow(ws.vec, m)
	y, h, q := ws.rowsA, ws.rowsB, ws.vec
	ws.eval.Grads(y, j.w, lo, hi)
	ws.eval.HessVecs(h, j.w, j.u, lo, hi)
	hbar, ybar, co, dg := slot[4:4+d], slot[4+d:4+2*d], slot[4+2*d:4+3*d], slot[4+3*d:4+4*d]
	inv := 1 / float64(m)

	// y_n = g_n − ∇f, S0 (as TraceDiffusion sums it: the same bits), the
	// means of h_n, y_n and q_n over the chunk, and Dg. Every loop over the
	// d entries is a vectorised floats kernel.
	var s0, qs float64
	for n := 0; n < m; n++ {
		yn, hn := y[n*d:(n+1)*d], h[n*d:(n+1)*d]
		floats.Sub(yn, j.grad)
		s0 += floats.Dot(yn, yn)
		floats.Add(hbar, hn)
		floats.Add(ybar, yn)
		floats.AddScaled(dg, floats.Dot(yn, j.grad), yn)
		q[n] = floats.Dot(j.u, hn)
		qs += q[n]
	}
	floats.Scale(inv, hbar)
	floats.Scale(inv, ybar)
	qbar := qs * inv
	// Centred sums about the chunk means.
	var m2 float64
	for n := 0; n < m; n++ {
		yn, hn := y[n*d:(n+1)*d], h[n*d:(n+1)*d]
		floats.Sub(hn, hbar)
		m2 += floats.Dot(hn, hn)
		floats.AddScaled(co, q[n]-qbar, yn)
	}
	slot[0], slot[1], slot[2], slot[3] = float64(m), s0, m2, qbar
}

// residAFold folds pass-A chunk states into dst in chunk order (one lane).
type residAFold struct {
	dst []float64
	d   int
}

func (f *residAFold) fold(_, _ int, slot []float64) { mergeResidA(f.dst, slot, f.d) }
func (f *residAFold) dest() []float64               { return f.dst }
func (f *residAFold) merge(dst, src []float64)      { mergeResidA(dst, src, f.d) }

// mergeResidA sets the pass-A state a to that of a's samples followed by
// b's (Chan, Golub and LeVeque's pairwise update; a zero a is the empty
// state).
func mergeResidA(a, b []float64, d int) {
	na, nb := a[0], b[0]
	if nb == 0 {
		return
	}
	n := na + nb
	f, c := nb/n, na*nb/n
	hA, yA, cA, dA := a[4:4+d], a[4+d:4+2*d], a[4+2*d:4+3*d], a[4+3*d:4+4*d]
	hB, yB, cB, dB := b[4:4+d], b[4+d:4+2*d], b[4+2*d:4+3*d], b[4+3*d:4+4*d]
	dq := b[3] - a[3]
	var dh2 float64
	for i := range hA {
		dh := hB[i] - hA[i]
		dy := yB[i] - yA[i]
		dh2 += dh * dh
		cA[i] += cB[i] + dq*dy*c
		hA[i] += dh * f
		yA[i] += dy * f
	}
	floats.Add(dA, dB)
	a[0] = n
	a[1] += b[1]
	a[2] += b[2] + dh2*c
	a[3] += dq * f
}

// residBJob computes one chunk's pass-B state [n, M2, ā (d)] of
// a_n = ∇³f_n[u,u] + H_n a into its slot.
type residBJob struct {
	w, u, a []float64
	d       int
}

func (j *residBJob) do(ws *worker, _, lo, hi int, slot []float64) {
	d, m := j.d, hi-lo
	ws.rowsA = grow(ws.rowsA, m*d)
	ws.rowsB = grow(ws.rowsB, m*d)
	x := ws.rowsA
	ws.eval.ThirdVecs(x, j.w, j.u, lo, hi)
	ws.eval.HessVecs(ws.rowsB, j.w, j.a, lo, hi)
	floats.Add(x, ws.rowsB)
	mean := slot[2 : 2+d]
	for n := 0; n < m; n++ {
		floats.Add(mean, x[n*d:(n+1)*d])
	}
	floats.Scale(1/float64(m), mean)
	var m2 float64
	for n := 0; n < m; n++ {
		xn := x[n*d : (n+1)*d]
		floats.Sub(xn, mean)
		m2 += floats.Dot(xn, xn)
	}
	slot[0], slot[1] = float64(m), m2
}

// residBFold folds pass-B chunk states into dst in chunk order.
type residBFold struct {
	dst []float64
	d   int
}

func (f *residBFold) fold(_, _ int, slot []float64) { mergeMeanM2(f.dst, slot) }
func (f *residBFold) dest() []float64               { return f.dst }
func (f *residBFold) merge(dst, src []float64)      { mergeMeanM2(dst, src) }

// mergeMeanM2 sets the state [n, M2, mean…] a to that of a's samples
// followed by b's (the pairwise update; a zero a is the empty state).
func mergeMeanM2(a, b []float64) {
	na, nb := a[0], b[0]
	if nb == 0 {
		return
	}
	n := na + nb
	f, c := nb/n, na*nb/n
	mA, mB := a[2:], b[2:]
	var dm2 float64
	for i := range mA {
		dm := mB[i] - mA[i]
		dm2 += dm * dm
		mA[i] += dm * f
	}
	a[0] = n
	a[1] += b[1] + dm2*c
}

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

type rowsMode int

const (
	rowsGrads       rowsMode = iota // x_n = g_n, scalar Σ‖x_n − mean‖²
	rowsHess                        // x_n = H_n u, scalar
	rowsAccelMean                   // x_n = ∇³f_n[u,u] + H_n a, vector Σ x_n
	rowsAccelSpread                 // x_n as above, scalar
)

// rowsJob evaluates per-sample vectors in row form on a chunk and reduces
// them to a per-chunk centred sum of squares (scal[k]) or a vector sum.
type rowsJob struct {
	mode       rowsMode
	w, u, a    []float64
	mean, scal []float64
	d          int
}

func (j *rowsJob) do(ws *worker, k, lo, hi int, part []float64) {
	d, m := j.d, hi-lo
	ws.rowsA = grow(ws.rowsA, m*d)
	x := ws.rowsA
	switch j.mode {
	case rowsGrads:
		ws.eval.Grads(x, j.w, lo, hi)
	case rowsHess:
		ws.eval.HessVecs(x, j.w, j.u, lo, hi)
	case rowsAccelMean, rowsAccelSpread:
		ws.rowsB = grow(ws.rowsB, m*d)
		ws.eval.ThirdVecs(x, j.w, j.u, lo, hi)
		ws.eval.HessVecs(ws.rowsB, j.w, j.a, lo, hi)
		floats.Add(x, ws.rowsB)
	}
	if j.mode == rowsAccelMean {
		for n := 0; n < m; n++ {
			floats.Add(part, x[n*d:(n+1)*d])
		}
		return
	}
	var s float64
	for n := 0; n < m; n++ {
		row := x[n*d : (n+1)*d]
		for i, v := range row {
			t := v - j.mean[i]
			s += t * t
		}
	}
	j.scal[k] = s
}

// spread runs a centred sum-of-squares row pass and returns
// sqrt((1/N) Σ_n ‖x_n − mean‖²), summing the chunk scalars in order.
func (g *Geometry) spread(ctx context.Context, mode rowsMode, w, u, a, mean []float64) (float64, error) {
	nc := numChunks(g.n, g.rowC)
	g.rows = rowsJob{mode: mode, w: w, u: u, a: a, mean: mean, scal: g.scal[:nc], d: g.d}
	err := g.sum(ctx, &g.rows, g.rowC, 0, nil)
	g.rows = rowsJob{}
	if err != nil {
		return 0, err
	}
	return math.Sqrt(sumOf(g.scal[:nc]) / float64(g.n)), nil
}

// TraceDiffusion returns tr D(w) = (1/N) Σ_n ‖g_n − ∇f‖² (= R0²), from one
// gradient pass and one per-sample-gradient row pass.
func (g *Geometry) TraceDiffusion(ctx context.Context, w []float64) (float64, error) {
	g.checkVec("w", w)
	if err := g.accumulate(ctx, g.tC, w, nil, g.invN, nil); err != nil {
		return 0, err
	}
	r0, err := g.spread(ctx, rowsGrads, w, nil, nil, g.tC)
	return r0 * r0, err
}

// Residuals computes R0, R1, R2 and the NGD defect at w for the velocity
// u, with a = −Hu − Γ(u,u) (Γ of kind met.Christoffel) and P of kind
// met.Inverse. Each spread is computed in two steps, the mean first and
// then the centred sum of squares, so R2 ≪ ‖ā‖ is resolved without
// cancellation. Per-sample vectors are formed in row chunks of
// RowChunkSize samples (O(chunk·d) memory per worker).
func (g *Geometry) Residuals(ctx context.Context, w, u []float64, met Metric) (Residuals, error) {
	g.checkVec("w", w)
	g.checkVec("u", u)
	var res Residuals
	if err := models.RequireOrder(g.m, 3, "the (8) residuals"); err != nil {
		return res, err
	}
	var err error
	grad, hu, a, abar := g.tC, g.tD, g.tA, g.tB

	if err = g.accumulate(ctx, grad, w, nil, g.invN, nil); err != nil {
		return res, err
	}
	if res.R0, err = g.spread(ctx, rowsGrads, w, nil, nil, grad); err != nil {
		return res, err
	}
	if err = g.accumulate(ctx, hu, w, u, nil, g.invN); err != nil {
		return res, err
	}
	if res.R1, err = g.spread(ctx, rowsHess, w, u, nil, hu); err != nil {
		return res, err
	}
	if err = g.acceleration(ctx, a, w, u, met); err != nil {
		return res, err
	}
	g.rows = rowsJob{mode: rowsAccelMean, w: w, u: u, a: a, d: g.d}
	err = g.sum(ctx, &g.rows, g.rowC, g.d, abar)
	g.rows = rowsJob{}
	if err != nil {
		return res, err
	}
	floats.Scale(1/float64(g.n), abar)
	if res.R2, err = g.spread(ctx, rowsAccelSpread, w, u, a, abar); err != nil {
		return res, err
	}
	ngd := g.tD
	if err = g.ngdVelocity(ctx, ngd, w, grad, met); err != nil {
		return res, err
	}
	var s float64
	for i, ui := range u {
		t := ui - ngd[i]
		s += t * t
	}
	res.NGDDefect = math.Sqrt(s)
	return res, nil
}

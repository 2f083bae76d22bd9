package engine

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// cgState is the scratch of conjugate gradients.
type cgState struct {
	r, p, ap []float64
	iters    int
}

// woodbury caches the factorised N×N system of the Woodbury identity for
// one (w, ε).
type woodbury struct {
	valid  bool
	w      []float64
	eps    float64
	gc     []float64 // N×d centred per-sample gradients, row n = g_n − ∇f
	a      *mat.SymDense
	chol   mat.Cholesky
	t, z   []float64
	tv, zv *mat.VecDense
}

// Precondition sets dst = P(w) x for the inverse kind k and ε:
// x − εD x (WeakField, two passes) or (I + εD)⁻¹ x (Exact, see SolveExact).
// dst may alias x.
func (g *Geometry) Precondition(ctx context.Context, dst, w, x []float64, k Kind, eps float64) error {
	g.checkVec("dst", dst)
	g.checkVec("w", w)
	g.checkVec("x", x)
	return g.precondition(ctx, dst, w, x, k, eps)
}

func (g *Geometry) precondition(ctx context.Context, dst, w, x []float64, k Kind, eps float64) error {
	switch k {
	case WeakField:
		if eps == 0 {
			copy(dst, x)
			return nil
		}
		g.cg.r = grow(g.cg.r, g.d)
		dx := g.cg.r
		if err := g.diffusionVec(ctx, dx, w, x); err != nil {
			return err
		}
		for i := range dst {
			dst[i] = x[i] - eps*dx[i]
		}
		return nil
	case Exact:
		return g.solveExact(ctx, dst, w, x, eps)
	}
	panic(fmt.Sprintf("engine: unknown inverse kind %d", int(k)))
}

// SolveExact sets dst = (I + εD(w))⁻¹ x with the solver chosen by
// Options.Solver: conjugate gradients (matrix-free, two passes per
// iteration, converging to Options.CGTol) or the Woodbury identity with
// the N×N system I_N + εK, K = (1/N)[(g_i − ∇f)·(g_j − ∇f)], factorised by
// Cholesky once per (w, ε) and cached. dst may alias x. ε must be ≥ 0.
func (g *Geometry) SolveExact(ctx context.Context, dst, w, x []float64, eps float64) error {
	g.checkVec("dst", dst)
	g.checkVec("w", w)
	g.checkVec("x", x)
	return g.solveExact(ctx, dst, w, x, eps)
}

// ExactSolver returns the solver SolveExact uses on this model
// (SolverCG or SolverWoodbury), resolving SolverAuto by the cost model
// documented at SolverAuto.
func (g *Geometry) ExactSolver() Solver {
	if g.opt.Solver != SolverAuto {
		return g.opt.Solver
	}
	n, d := float64(g.n), float64(g.d)
	if n*d*8 > float64(g.opt.WoodburyMaxBytes) {
		return SolverCG
	}
	costCG := (2*16 + 1) * 4 * n * d
	costWB := 8*n*d + n*n*d + n*n*n/3 + 4*n*d
	if costWB < costCG {
		return SolverWoodbury
	}
	return SolverCG
}

// LastCGIterations returns the number of CG iterations of the most recent
// CG solve (0 before any).
func (g *Geometry) LastCGIterations() int { return g.cg.iters }

func (g *Geometry) solveExact(ctx context.Context, dst, w, x []float64, eps float64) error {
	if !(eps >= 0) {
		return errorf(ErrEpsilon, "exact inverse needs ε ≥ 0, got %g", eps)
	}
	if eps == 0 {
		copy(dst, x)
		return nil
	}
	if g.ExactSolver() == SolverWoodbury {
		return g.woodburySolve(ctx, dst, w, x, eps)
	}
	return g.cgSolve(ctx, dst, w, x, eps)
}

func (g *Geometry) cgSolve(ctx context.Context, dst, w, x []float64, eps float64) error {
	cg := &g.cg
	cg.r = grow(cg.r, g.d)
	cg.p = grow(cg.p, g.d)
	cg.ap = grow(cg.ap, g.d)
	r, p, ap := cg.r, cg.p, cg.ap
	cg.iters = 0

	copy(r, x)
	clear(dst) // dst may alias x: x is only read through r from here on
	rr := floats.Dot(r, r)
	target := g.opt.CGTol * g.opt.CGTol * rr
	if rr == 0 {
		return nil
	}
	copy(p, r)
	for it := 1; it <= g.opt.CGMaxIter; it++ {
		if err := g.diffusionVec(ctx, ap, w, p); err != nil {
			return err
		}
		for i := range ap {
			ap[i] = p[i] + eps*ap[i]
		}
		pap := floats.Dot(p, ap)
		if !(pap > 0) {
			return errorf(ErrNotConverged, "CG on I+εD (ε = %g) found pᵀ(I+εD)p = %g ≤ 0 at iteration %d; I+εD is not positive definite", eps, pap, it)
		}
		alpha := rr / pap
		floats.AddScaled(dst, alpha, p)
		floats.AddScaled(r, -alpha, ap)
		rrNew := floats.Dot(r, r)
		cg.iters = it
		if rrNew <= target {
			return nil
		}
		beta := rrNew / rr
		rr = rrNew
		for i := range p {
			p[i] = r[i] + beta*p[i]
		}
	}
	return errorf(ErrNotConverged, "CG on I+εD (ε = %g) did not reach relative residual %g in %d iterations (reached %g); raise Options.CGMaxIter or Options.CGTol",
		eps, g.opt.CGTol, g.opt.CGMaxIter, math.Sqrt(rr/(floats.Dot(x, x)+math.SmallestNonzeroFloat64)))
}

// gradRowsJob writes per-sample gradient rows into a N×d matrix.
type gradRowsJob struct {
	w, rows []float64
	d       int
}

func (j *gradRowsJob) do(ws *worker, _, lo, hi int, _ []float64) {
	ws.eval.Grads(j.rows[lo*j.d:hi*j.d], j.w, lo, hi)
}

func (g *Geometry) woodburyPrepare(ctx context.Context, w []float64, eps float64) error {
	wb := &g.wb
	n, d := g.n, g.d
	if wb.valid && wb.eps == eps && bitsEqual(wb.w, w) {
		return nil
	}
	wb.valid = false
	if wb.gc == nil {
		if n*d*8 > g.opt.WoodburyMaxBytes {
			return errorf(ErrInvalid, "Woodbury solver needs an N×d = %d×%d matrix (%d bytes) above Options.WoodburyMaxBytes = %d; use SolverCG",
				n, d, n*d*8, g.opt.WoodburyMaxBytes)
		}
		wb.gc = make([]float64, n*d)
		wb.w = make([]float64, d)
		wb.a = mat.NewSymDense(n, nil)
		wb.t = make([]float64, n)
		wb.z = make([]float64, n)
		wb.tv = mat.NewVecDense(n, wb.t)
		wb.zv = mat.NewVecDense(n, wb.z)
	}
	g.gr = gradRowsJob{w: w, rows: wb.gc, d: d}
	err := g.sum(ctx, &g.gr, g.opt.Chunk, 0, nil)
	g.gr = gradRowsJob{}
	if err != nil {
		return err
	}
	// Centre the rows on their mean (summed in sample order).
	mean := g.tE
	clear(mean)
	for i := 0; i < n; i++ {
		floats.Add(mean, wb.gc[i*d:(i+1)*d])
	}
	floats.Scale(1/float64(n), mean)
	for i := 0; i < n; i++ {
		floats.Sub(wb.gc[i*d:(i+1)*d], mean)
	}
	// A = I + ε K, K = Gc Gcᵀ / N.
	raw := wb.a.RawSymmetric()
	blas64.Syrk(blas.NoTrans, eps/float64(n), blas64.General{Rows: n, Cols: d, Stride: d, Data: wb.gc},
		0, raw)
	for i := 0; i < n; i++ {
		raw.Data[i*raw.Stride+i]++
	}
	if !wb.chol.Factorize(wb.a) {
		return errorf(ErrNotConverged, "Woodbury: Cholesky of I_N + εK failed (ε = %g, N = %d)", eps, n)
	}
	copy(wb.w, w)
	wb.eps = eps
	wb.valid = true
	return nil
}

func (g *Geometry) woodburySolve(ctx context.Context, dst, w, x []float64, eps float64) error {
	if err := g.woodburyPrepare(ctx, w, eps); err != nil {
		return err
	}
	wb := &g.wb
	n, d := g.n, g.d
	gc := blas64.General{Rows: n, Cols: d, Stride: d, Data: wb.gc}
	// t = Uᵀx = Gc x/√N; z = (I + εK)⁻¹ t; dst = x − ε U z.
	blas64.Gemv(blas.NoTrans, 1/math.Sqrt(float64(n)), gc, blas64.Vector{N: d, Inc: 1, Data: x}, 0, blas64.Vector{N: n, Inc: 1, Data: wb.t})
	if err := wb.chol.SolveVecTo(wb.zv, wb.tv); err != nil {
		return errorf(ErrNotConverged, "Woodbury solve: %w", err)
	}
	if &dst[0] != &x[0] {
		copy(dst, x)
	}
	blas64.Gemv(blas.Trans, -eps/math.Sqrt(float64(n)), gc, blas64.Vector{N: n, Inc: 1, Data: wb.z}, 1, blas64.Vector{N: d, Inc: 1, Data: dst})
	return nil
}

func bitsEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

package engine

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// DiffusionVec sets dst = D(w) v matrix-free, in two passes:
//
//	s_n = g_n·v                         (one Directional pass)
//	D v = Σ_n c_n g_n,  c_n = (s_n − s̄)/N  (one weighted-gradient pass)
//
// which equals (1/N) Σ_n g_n s_n − ∇f s̄, since Σ_n s̄ g_n/N = s̄ ∇f.
// dst may alias v.
func (g *Geometry) DiffusionVec(ctx context.Context, dst, w, v []float64) error {
	g.checkVec("dst", dst)
	g.checkVec("w", w)
	g.checkVec("v", v)
	return g.diffusionVec(ctx, dst, w, v)
}

func (g *Geometry) diffusionVec(ctx context.Context, dst, w, v []float64) error {
	if err := g.directional(ctx, w, v, false, true, false); err != nil {
		return err
	}
	sbar := meanOf(g.s)
	inv := 1 / float64(g.n)
	for i, s := range g.s {
		g.c[i] = (s - sbar) * inv
	}
	return g.accumulate(ctx, dst, w, nil, g.c, nil)
}

// Diffusion sets dst to the dense d×d diffusion matrix
//
//	D(w) = (1/N) Σ_n (g_n − ∇f)(g_n − ∇f)ᵀ
//
// from per-sample gradients (the centred form of (1/N)Σ g_n g_nᵀ − ∇f∇fᵀ,
// which avoids cancellation). It costs about N·d² flops and keeps a few
// d×d partials (allocated on first use); use it for small d. An empty dst is resized to d×d; a
// non-empty dst of another size panics.
func (g *Geometry) Diffusion(ctx context.Context, dst *mat.SymDense, w []float64) error {
	g.checkVec("w", w)
	g.checkSym(dst)
	mean := g.tE
	if err := g.Grad(ctx, mean, w); err != nil {
		return err
	}
	d := g.d
	g.dense = grow(g.dense, d*d)
	full := g.dense
	g.dd = denseDJob{w: w, mean: mean, d: d}
	err := g.r.run(ctx, &g.dd, g.rowC, d*d, full)
	g.dd = denseDJob{}
	if err != nil {
		return err
	}
	inv := 1 / float64(g.n)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			dst.SetSym(i, j, full[i*d+j]*inv)
		}
	}
	return nil
}

func (g *Geometry) checkSym(dst *mat.SymDense) {
	if dst.IsEmpty() {
		dst.ReuseAsSym(g.d)
		return
	}
	if n := dst.SymmetricDim(); n != g.d {
		panic(fmt.Sprintf("engine: destination is %d×%d, want d×d = %d×%d", n, n, g.d, g.d))
	}
}

// denseDJob: part (d×d, upper triangle) += Σ_n (g_n − mean)(g_n − mean)ᵀ.
type denseDJob struct {
	w, mean []float64
	d       int
}

func (j *denseDJob) do(ws *worker, _, lo, hi int, part []float64) {
	d, m := j.d, hi-lo
	ws.rowsA = grow(ws.rowsA, m*d)
	rows := ws.rowsA
	ws.eval.Grads(rows, j.w, lo, hi)
	for i := 0; i < m; i++ {
		r := rows[i*d : (i+1)*d]
		for k := range r {
			r[k] -= j.mean[k]
		}
	}
	blas64.Syrk(blas.Trans, 1, blas64.General{Rows: m, Cols: d, Stride: d, Data: rows},
		1, blas64.Symmetric{Uplo: blas.Upper, N: d, Stride: d, Data: part})
}

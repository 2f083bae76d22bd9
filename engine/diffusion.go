package engine

import (
	"context"
	"fmt"
	"math"

	"github.com/grd-engine/grd/models"
	"gonum.org/v1/gonum/floats"
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
// which avoids cancellation): one gradient pass for ∇f, then one pass of
// per-sample gradient rows whose Gram matrix is accumulated by the BLAS
// the models package was built with (models.BLASBackend): with OpenBLAS
// (build tag openblas) through models.GramAddPanel, with the pure-Go
// default by gonum's Dsyrk loop, cache-blocked. It costs about N·d² flops;
// its memory is dst plus two row blocks of Options.RowBytes, and a d×d
// scratch only if dst is a view whose stride is not d. Use it for
// moderate d.
//
// The upper triangle is cut into panels whose layout depends on d and the
// backend only; every entry is summed over the row blocks in block order,
// so the result is bit-identical for any worker count. An empty dst is resized
// to d×d; a non-empty dst of another size panics. If ctx is cancelled the
// error wraps ctx.Err() and dst holds a partial sum.
func (g *Geometry) Diffusion(ctx context.Context, dst *mat.SymDense, w []float64) error {
	g.checkVec("w", w)
	g.checkSym(dst)
	mean := g.tE
	if err := g.Grad(ctx, mean, w); err != nil {
		return err
	}
	d := g.d
	raw := dst.RawSymmetric()
	direct := raw.Stride == d && len(raw.Data) >= d*d
	var c []float64
	if direct {
		c = raw.Data[:d*d]
	} else {
		g.dense = grow(g.dense, d*d)
		c = g.dense
	}
	for i := 0; i < d; i++ {
		clear(c[i*d+i : (i+1)*d])
	}
	if err := g.denseGram(ctx, c, w, mean); err != nil {
		return err
	}
	inv := 1 / float64(g.n)
	for i := 0; i < d; i++ {
		r := c[i*d+i : (i+1)*d]
		for j := range r {
			r[j] *= inv
		}
		if !direct {
			copy(raw.Data[i*raw.Stride+i:i*raw.Stride+d], r)
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

// The dense Gram matrix is cut into panels, whose layout depends on the
// BLAS backend (and on d), never on the worker count.
//
// With OpenBLAS (models.BLASBackend "openblas") they are column panels of
// width densePanelWidth (the last takes the remainder): a panel [j0, j1)
// is one GEMM of j0×(j1−j0) and one SYRK of its diagonal block per row
// block (models.GramAddPanel). At d = 4225 widths 256, 512, 768 and 1024
// measured 2.30, 2.08, 1.97 and 1.97–2.01 s (2 workers): wider panels make
// larger GEMMs, narrower ones more tasks to balance and less SYRK.
//
// With gonum's pure-Go BLAS they are P = ⌈d/denseRowPanelWidth⌉ row panels
// [i0, i1) of equal work, i_p = round(d(1 − √(1 − p/P))), computed by
// gramRows: gonum's Dsyrk loop restricted to the panel's rows and blocked
// for the caches. (GramAddPanel's GEMM part runs short axpys in gonum and
// measured about 2–3× slower than its Dsyrk loop.)
const (
	densePanelWidth    = 768
	denseRowPanelWidth = 256
)

// denseGonum selects the row-panel kernel for the pure-Go backend.
const denseGonum = models.BLASBackend == "gonum"

// gramRowBlock and gramSampleBlock are the column and sample blocks of
// gramRows: a gramSampleBlock × gramRowBlock block of A (512 KiB) stays in
// the core's L2 cache while the panel's rows sweep it, and a row segment of
// c (4 KiB) stays in L1 while it is updated.
const (
	gramRowBlock    = 512
	gramSampleBlock = 128
)

// gramRows adds rows [i0, i1) of the upper triangle of AᵀA into the
// row-major d×d c, for the m×d row-major A: c_ij += Σ_l a_li a_lj for
// i0 ≤ i < i1, i ≤ j < d. Each entry receives the terms in order l = 0, 1,
// …, one rounded multiply and add each (the arithmetic of gonum's Dsyrk),
// whatever the blocking.
func gramRows(c, a []float64, m, d, i0, i1 int) {
	for j0 := i0; j0 < d; j0 += gramRowBlock {
		j1 := min(j0+gramRowBlock, d)
		for l0 := 0; l0 < m; l0 += gramSampleBlock {
			l1 := min(l0+gramSampleBlock, m)
			for i := i0; i < min(i1, j1); i++ {
				js := max(i, j0)
				ci := c[i*d+js : i*d+j1]
				for l := l0; l < l1; l++ {
					if t := a[l*d+i]; t != 0 {
						floats.AddScaled(ci, t, a[l*d+js:l*d+j1])
					}
				}
			}
		}
	}
}

// denseGram sets the upper triangle of the row-major d×d c (zeroed by the
// caller) to Σ_n (g_n − mean)(g_n − mean)ᵀ, as one reducing pass of the
// scheduler over row blocks of denseC samples: a block's slot holds its
// centred gradient rows (chunk·d values; two slots, so memory is two row
// blocks), and the lanes are the panels of c, each folded by its Gram
// update (models.GramAddPanel, or gramRows for gonum) in block order. Every
// entry of c is thus the same sequence of fixed BLAS updates whatever the
// worker count, and the panels of one block and the rows of the next
// overlap.
func (g *Geometry) denseGram(ctx context.Context, c, w, mean []float64) error {
	d, chunk := g.d, g.denseC
	npan := (d + densePanelWidth - 1) / densePanelWidth
	if denseGonum {
		npan = (d + denseRowPanelWidth - 1) / denseRowPanelWidth
	}
	j := &g.dd
	j.c, j.w, j.mean, j.d, j.n, j.evalChunk = c, w, mean, d, g.n, g.opt.Chunk
	if cap(j.bounds) < npan+1 {
		j.bounds = make([]int, npan+1)
	}
	j.bounds = j.bounds[:npan+1]
	for q := range j.bounds {
		if denseGonum {
			j.bounds[q] = int(math.Round(float64(d) * (1 - math.Sqrt(1-float64(q)/float64(npan)))))
		} else {
			j.bounds[q] = min(q*densePanelWidth, d)
		}
	}
	g.vp = pass{job: j, n: g.n, chunk: chunk, fold: j, lanes: npan, slotLen: chunk * d, window: 2}
	g.passes++
	err := g.sched.run(ctx, &g.vp)
	g.vp = pass{}
	j.c, j.w, j.mean = nil, nil, nil
	if err != nil {
		return fmt.Errorf("engine: dense diffusion over %d samples cancelled: %w", g.n, err)
	}
	return nil
}

// denseGram is the job and folder of the dense D pass.
type denseGram struct {
	c, w, mean []float64
	d, n       int
	evalChunk  int   // samples per Evaluator call
	bounds     []int // panel q is [bounds[q], bounds[q+1])
}

// do writes the centred gradient rows g_n − mean of the block's samples
// into its slot.
func (j *denseGram) do(ws *worker, _, lo, hi int, slot []float64) {
	d := j.d
	rows := slot[:(hi-lo)*d]
	for l := lo; l < hi; l += j.evalChunk {
		h := min(l+j.evalChunk, hi)
		ws.eval.Grads(rows[(l-lo)*d:(h-lo)*d], j.w, l, h)
	}
	for i := 0; i < hi-lo; i++ {
		r := rows[i*d : (i+1)*d]
		for k, m := range j.mean {
			r[k] -= m
		}
	}
}

// dest is c, the whole d×d destination (its lower triangle stays zero).
func (j *denseGram) dest() []float64 { return j.c }

// fold adds the Gram matrix of block k's rows to panel q of c (a short
// last block uses only its own rows of the slot).
func (j *denseGram) fold(k, q int, slot []float64) {
	d := j.d
	chunk := len(slot) / d
	m := min(chunk, j.n-k*chunk)
	a := slot[:m*d]
	if denseGonum {
		gramRows(j.c, a, m, d, j.bounds[q], j.bounds[q+1])
	} else {
		models.GramAddPanel(j.c, 1, a, m, d, j.bounds[q], j.bounds[q+1])
	}
}

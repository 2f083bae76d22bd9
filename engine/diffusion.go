package engine

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/grd-engine/grd/models"
	"github.com/sourcegraph/conc/pool"
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
// caller) to Σ_n (g_n − mean)(g_n − mean)ᵀ.
//
// The work is a fixed sequence of tasks, claimed by the workers in order:
// R(0), then for each row chunk k: R(k+1) (the centred rows of chunk k+1,
// into the other of two row buffers) followed by G(k, q) for every column
// panel q, largest first (the Gram matrix of chunk k's rows, added into
// panel q of c by models.GramAddPanel). G(k, q) waits for R(k) and for
// G(k−1, q), so each panel receives its chunk contributions in chunk
// order; R(k+1) waits until every G(k−1, ·) has released its buffer. Waits
// point only to earlier tasks, so the pass cannot deadlock, and the panels
// of different chunks overlap with the row computation. Every entry of c
// is thus the same sequence of fixed BLAS updates whatever the worker
// count.
func (g *Geometry) denseGram(ctx context.Context, c, w, mean []float64) error {
	d, chunk := g.d, g.denseC
	nchunks := g.r.numChunks(chunk)
	npan := (d + densePanelWidth - 1) / densePanelWidth
	if denseGonum {
		npan = (d + denseRowPanelWidth - 1) / denseRowPanelWidth
	}
	g.ddRows[0] = grow(g.ddRows[0], chunk*d)
	g.ddRows[1] = grow(g.ddRows[1], chunk*d)
	p := &g.dd
	p.c, p.w, p.mean, p.rows = c, w, mean, g.ddRows
	p.d, p.n, p.chunk, p.nchunks, p.npan = d, g.n, chunk, nchunks, npan
	p.evalChunk = g.opt.Chunk
	p.ntasks = nchunks * (npan + 1)
	p.next.Store(0)
	p.rowsOK = [2]int{-1, -1}
	p.panDone = [2]int{npan, npan}
	if cap(p.panNext) < npan {
		p.panNext = make([]int, npan)
	}
	p.panNext = p.panNext[:npan]
	clear(p.panNext)
	if cap(p.bounds) < npan+1 {
		p.bounds = make([]int, npan+1)
	}
	p.bounds = p.bounds[:npan+1]
	for q := range p.bounds {
		if denseGonum {
			p.bounds[q] = int(math.Round(float64(d) * (1 - math.Sqrt(1-float64(q)/float64(npan)))))
		} else {
			p.bounds[q] = min(q*densePanelWidth, d)
		}
	}
	p.aborted, p.err = false, nil
	if p.cond.L == nil {
		p.cond.L = &p.mu
	}
	nw := min(len(g.r.workers), npan+1)
	if nw == 1 {
		p.work(ctx, g.r.workers[0])
	} else {
		pl := pool.New().WithMaxGoroutines(nw)
		for i := 0; i < nw; i++ {
			ws := g.r.workers[i]
			pl.Go(func() { p.work(ctx, ws) })
		}
		pl.Wait()
	}
	err := p.err
	p.c, p.w, p.mean, p.rows, p.err = nil, nil, nil, [2][]float64{}, nil
	if err != nil {
		return fmt.Errorf("engine: dense diffusion over %d samples cancelled: %w", g.n, err)
	}
	return nil
}

// denseGramPass is the state of one denseGram call.
type denseGramPass struct {
	c, w, mean []float64
	rows       [2][]float64 // centred rows of chunk k in rows[k%2]
	d, n       int
	chunk      int // samples per row block ("chunk" k below)
	evalChunk  int // samples per Evaluator call
	nchunks    int
	npan       int
	ntasks     int
	next       atomic.Int64

	mu      sync.Mutex
	cond    sync.Cond
	rowsOK  [2]int // rows[b] holds the centred rows of chunk rowsOK[b] (−1: none)
	panDone [2]int // panels finished on chunk rowsOK[b]
	panNext []int  // panNext[q] = number of chunks added into panel q
	bounds  []int  // panel q is [bounds[q], bounds[q+1])
	aborted bool
	err     error
}

// work is one worker's loop: claim the next task, wait for its inputs, run it.
func (p *denseGramPass) work(ctx context.Context, ws *worker) {
	defer func() {
		if e := recover(); e != nil {
			p.abort(nil)
			panic(e)
		}
	}()
	for {
		t := int(p.next.Add(1)) - 1
		if t >= p.ntasks {
			return
		}
		if err := ctx.Err(); err != nil {
			p.abort(err)
			return
		}
		// t = 0 is R(0); then blocks of npan+1 tasks (npan in the last).
		if t == 0 {
			if !p.centredRows(ws, 0) {
				return
			}
			continue
		}
		k, r := (t-1)/(p.npan+1), (t-1)%(p.npan+1)
		if k+1 < p.nchunks {
			if r == 0 {
				if !p.centredRows(ws, k+1) {
					return
				}
				continue
			}
			r--
		}
		if !p.panel(k, p.npan-1-r) {
			return
		}
	}
}

// centredRows fills rows[k%2] with g_n − mean for the samples of chunk k,
// once the panels of chunk k−2 are done with the buffer. It reports false
// if the pass was aborted.
func (p *denseGramPass) centredRows(ws *worker, k int) bool {
	b := k % 2
	p.mu.Lock()
	for !p.aborted && (k >= 2 && p.rowsOK[b] != k-2 || p.panDone[b] < p.npan) {
		p.cond.Wait()
	}
	aborted := p.aborted
	p.mu.Unlock()
	if aborted {
		return false
	}
	d := p.d
	lo := k * p.chunk
	hi := min(lo+p.chunk, p.n)
	rows := p.rows[b][:(hi-lo)*d]
	for l := lo; l < hi; l += p.evalChunk {
		h := min(l+p.evalChunk, hi)
		ws.eval.Grads(rows[(l-lo)*d:(h-lo)*d], p.w, l, h)
	}
	for i := 0; i < hi-lo; i++ {
		r := rows[i*d : (i+1)*d]
		for j, m := range p.mean {
			r[j] -= m
		}
	}
	p.mu.Lock()
	p.rowsOK[b] = k
	p.panDone[b] = 0
	p.cond.Broadcast()
	p.mu.Unlock()
	return true
}

// panel adds the Gram matrix of chunk k's rows to column panel q of c,
// once those rows are ready and chunk k−1 has been added to the panel. It
// reports false if the pass was aborted.
func (p *denseGramPass) panel(k, q int) bool {
	b := k % 2
	p.mu.Lock()
	for !p.aborted && (p.rowsOK[b] != k || p.panNext[q] != k) {
		p.cond.Wait()
	}
	aborted := p.aborted
	p.mu.Unlock()
	if aborted {
		return false
	}
	d := p.d
	lo := k * p.chunk
	m := min(lo+p.chunk, p.n) - lo
	a := p.rows[b][:m*d]
	if denseGonum {
		gramRows(p.c, a, m, d, p.bounds[q], p.bounds[q+1])
	} else {
		models.GramAddPanel(p.c, 1, a, m, d, p.bounds[q], p.bounds[q+1])
	}
	p.mu.Lock()
	p.panDone[b]++
	p.panNext[q]++
	p.cond.Broadcast()
	p.mu.Unlock()
	return true
}

func (p *denseGramPass) abort(err error) {
	p.mu.Lock()
	p.aborted = true
	if err != nil && p.err == nil {
		p.err = err
	}
	p.cond.Broadcast()
	p.mu.Unlock()
}

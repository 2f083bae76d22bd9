package engine

import (
	"context"
	"fmt"
	"runtime"

	"github.com/grd-engine/grd/models"
)

// Options configures a Geometry. A nil *Options, and every zero field,
// means the documented default.
type Options struct {
	// Workers is the number of goroutines a pass runs on.
	// Default runtime.GOMAXPROCS(0). Results do not depend on it.
	Workers int

	// Chunk is the number of consecutive samples handed to an Evaluator at
	// once. Default: ⌈N/64⌉ clamped to [16, 256] (and to N). Results are
	// bit-identical for a given Chunk whatever the worker count; changing
	// Chunk changes the summation order and hence the rounding.
	Chunk int

	// RowBytes bounds the per-worker buffer of the passes that need
	// per-sample vectors in row form (residuals R0–R2, the dense
	// Christoffel tensor): they use chunks of ⌊RowBytes/(8d)⌋ samples
	// (at least 1, at most Chunk); the residual passes (TraceDiffusion,
	// Residuals) at most ⌊2 MiB/(8d)⌋, so their rows stay in cache. Dense D uses two shared buffers of
	// blocks of ⌊RowBytes/(8d)⌋ samples (at least 1, at most N; not
	// clamped to Chunk, since larger blocks make the Gram updates cheaper).
	// Default 16 MiB.
	RowBytes int

	// DenseMaxDim is the largest d for which LambdaMax uses the dense
	// eigensolver; beyond it LambdaMax runs Lanczos. Default 256.
	DenseMaxDim int

	// LanczosTol is the relative accuracy LambdaMax's Lanczos iteration
	// reaches: it stops when the residual of the top Ritz pair is at most
	// LanczosTol·θ_max, which bounds |λ_max − θ_max| ≤ LanczosTol·θ_max.
	// Default 1e-10 (DESIGN §1).
	LanczosTol float64

	// LanczosMaxIter bounds the Lanczos iterations (and the d-vectors kept
	// for full reorthogonalisation). Default 300; never more than
	// min(d, N+1), where the Krylov space is exhausted.
	LanczosMaxIter int

	// Solver selects how the exact inverse (I+εD)⁻¹ is applied.
	// Default SolverAuto.
	Solver Solver

	// CGTol is the relative residual ‖x − (I+εD)y‖ ≤ CGTol·‖x‖ at which
	// conjugate gradients stops. Default 1e-12.
	CGTol float64

	// CGMaxIter bounds the CG iterations. Default 200. Since the condition
	// number of I+εD is below 1+ελ_max < 2, CG needs about 16 iterations
	// for 1e-12.
	CGMaxIter int

	// WoodburyMaxBytes bounds the N×d matrix of centred per-sample
	// gradients the Woodbury solver stores. Default 256 MiB.
	WoodburyMaxBytes int

	// Comm, if not nil and of more than one rank, distributes every pass
	// over the ranks (each computes a contiguous range of whole chunks on
	// Workers goroutines, and the ranks' sums are combined in rank order;
	// see rankRunner). Every rank must then make the same calls on its
	// Geometry in the same order. Default nil: this process alone.
	Comm Comm
}

// Solver selects the method that applies the exact inverse (I+εD)⁻¹.
type Solver int

const (
	// SolverAuto picks Woodbury when its estimated cost (N²d + N³/3 flops
	// plus one per-sample gradient pass) is below that of conjugate
	// gradients (about 2·16+1 passes of ≈ 4Nd flops) and its N×d matrix
	// fits WoodburyMaxBytes; otherwise CG.
	SolverAuto Solver = iota
	// SolverCG runs conjugate gradients on I+εD, matrix-free.
	SolverCG
	// SolverWoodbury uses (I + εUUᵀ)⁻¹ = I − εU(I_N + εUᵀU)⁻¹Uᵀ with
	// U = [g_n − ∇f]_n/√N (d×N), factorising the N×N system once per
	// (w, ε) and caching it.
	SolverWoodbury
)

func (s Solver) String() string {
	switch s {
	case SolverAuto:
		return "auto"
	case SolverCG:
		return "cg"
	case SolverWoodbury:
		return "woodbury"
	}
	return fmt.Sprintf("Solver(%d)", int(s))
}

func (o *Options) resolve(n, d int) Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Workers <= 0 {
		r.Workers = runtime.GOMAXPROCS(0)
	}
	if r.Chunk <= 0 {
		r.Chunk = min(max((n+63)/64, 16), 256)
	}
	r.Chunk = min(r.Chunk, n)
	if r.RowBytes <= 0 {
		r.RowBytes = 16 << 20
	}
	if r.DenseMaxDim <= 0 {
		r.DenseMaxDim = 256
	}
	if r.LanczosTol <= 0 {
		r.LanczosTol = 1e-10
	}
	if r.LanczosMaxIter <= 0 {
		r.LanczosMaxIter = 300
	}
	if r.CGTol <= 0 {
		r.CGTol = 1e-12
	}
	if r.CGMaxIter <= 0 {
		r.CGMaxIter = 200
	}
	if r.WoodburyMaxBytes <= 0 {
		r.WoodburyMaxBytes = 256 << 20
	}
	return r
}

// Geometry evaluates the diffusion geometry of a model: loss, gradient,
// Hessian-vector products, the diffusion matrix D, its largest eigenvalue,
// the metric inverse P, the Christoffel contraction Γ(v,v), the GRD
// acceleration and the (8) residuals, all from per-sample passes of the
// model's Evaluators on a deterministic worker pool.
//
// Destinations are caller-owned; scratch lives in the Geometry and is sized
// on first use, so steady-state calls do not allocate (apart from the
// goroutine machinery of a multi-worker pass). A Geometry is not safe for
// concurrent use; create one per goroutine (they share the Model).
// Destination and input slices may not alias unless a method says so.
type Geometry struct {
	m    models.Model
	d, n int
	opt  Options
	rowC int
	// samples per chunk of the residual row passes (TraceDiffusion,
	// ResidualsGrad): rowC, capped so a chunk's rows fit residRowBytes
	resC int
	// samples per row block of Diffusion
	denseC int
	sched  scheduler
	vp     pass   // the current vector pass (Geometry.sum)
	vsum   vecSum // its folder

	// per-sample buffers (len N)
	loss, s, q, c, invN []float64
	// per-chunk scalars
	scal []float64
	// d-vectors
	tA, tB, tC, tD, tE []float64
	// d×d scratch of Diffusion (only for a dst with stride ≠ d)
	dense []float64

	acc   accJob
	dir   dirJob
	lsJob lossJob
	rows  rowsJob
	rA    residAJob
	mA    residAFold
	rB    residBJob
	mB    residBFold
	// reduction states of the residual passes
	resA, resB []float64
	dd         denseGram
	gr         gradRowsJob

	lz lanczos
	cg cgState
	wb woodbury

	// passes counts the sweeps over the samples run so far (Passes).
	passes int64
}

// New returns the Geometry of m with the given options (nil means
// defaults). It panics if m has no samples or no weights.
func New(m models.Model, opts *Options) *Geometry {
	n, d := m.Len(), m.Dim()
	if n < 1 || d < 1 {
		panic(fmt.Sprintf("engine: model %s has N = %d samples and d = %d weights, need at least 1 of each", m.Name(), n, d))
	}
	o := opts.resolve(n, d)
	g := &Geometry{m: m, n: n, d: d, opt: o}
	g.rowC = min(max(o.RowBytes/(8*d), 1), o.Chunk)
	g.resC = min(max(residRowBytes/(8*d), 1), g.rowC)
	g.denseC = min(max(o.RowBytes/(8*d), 1), n)
	g.sched = newRunner(m, o.Workers, o.Chunk)
	if o.Comm != nil && o.Comm.Size() > 1 {
		g.sched = newRankRunner(g.sched.(*runner), o.Comm)
		g.denseC = min(g.denseC, o.Chunk) // every pass's chunks ≤ Chunk: ShardRows
	}
	g.loss = make([]float64, n)
	g.s = make([]float64, n)
	g.q = make([]float64, n)
	g.c = make([]float64, n)
	g.invN = make([]float64, n)
	for i := range g.invN {
		g.invN[i] = 1 / float64(n)
	}
	g.scal = make([]float64, numChunks(g.n, g.resC)) // resC ≤ rowC
	g.tA = make([]float64, d)
	g.tB = make([]float64, d)
	g.tC = make([]float64, d)
	g.tD = make([]float64, d)
	g.tE = make([]float64, d)
	return g
}

// Model returns the model.
func (g *Geometry) Model() models.Model { return g.m }

// Comm returns the communicator g's passes are distributed over (nil
// when they run in this process alone).
func (g *Geometry) Comm() Comm {
	if _, ok := g.sched.(*rankRunner); ok {
		return g.opt.Comm
	}
	return nil
}

// CommStats returns the traffic between ranks of g's passes so far (zero
// when they run in this process alone).
func (g *Geometry) CommStats() CommStats {
	if r, ok := g.sched.(*rankRunner); ok {
		return r.stats
	}
	return CommStats{}
}

// Local returns a Geometry of the same model and options whose passes run
// in this process alone: its results are bit-identical to a single-process
// run's. On a rank of a distributed run it is valid only when the model
// holds every sample (not a shard: see ShardRows), as for the ensemble
// flows, whose runs draw minibatches from all samples.
func (g *Geometry) Local() *Geometry {
	o := g.opt
	o.Comm = nil
	return New(g.m, &o)
}

// Dim returns d, the number of weights.
func (g *Geometry) Dim() int { return g.d }

// Len returns N, the number of samples.
func (g *Geometry) Len() int { return g.n }

// Workers returns the number of goroutines a pass runs on.
func (g *Geometry) Workers() int { return g.sched.workers() }

// Passes returns the number of sweeps over the N samples g has run so far:
// every vector pass (a gradient, the s = g_n·v pass of D·v, the
// Hessian-vector and Christoffel passes) and every row pass (per-sample
// gradient or Hessian rows, the dense D's Gram pass) counts 1. It is the
// cost unit a flow budgets its diagnostics in: a count, not a clock, so
// that a budget gives the same decisions on every machine and run. A
// sweep costs O(N·d) flops, except the dense D's Gram pass (O(N·d²),
// used by LambdaMax only for d ≤ Options.DenseMaxDim).
func (g *Geometry) Passes() int64 { return g.passes }

// ChunkSize returns the number of samples per chunk of the vector passes.
func (g *Geometry) ChunkSize() int { return g.opt.Chunk }

// RowChunkSize returns the number of samples per chunk of the row passes.
func (g *Geometry) RowChunkSize() int { return g.rowC }

func (g *Geometry) checkVec(name string, x []float64) {
	if len(x) != g.d {
		panic(fmt.Sprintf("engine: len(%s) = %d, want d = %d", name, len(x), g.d))
	}
}

// sub returns x[lo:hi], or nil for a nil x.
func sub(x []float64, lo, hi int) []float64 {
	if x == nil {
		return nil
	}
	return x[lo:hi]
}

// meanOf returns the mean of x by the corrected two-pass formula
// m = Σx/N, m += Σ(x − m)/N, summing in index order. If every x_i is equal
// it returns that value exactly.
func meanOf(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	n := float64(len(x))
	m := s / n
	var c float64
	for _, v := range x {
		c += v - m
	}
	return m + c/n
}

// accJob: part += Σ c_n g_n + e_n H_n v.
type accJob struct {
	w, v, c, e []float64
}

func (j *accJob) do(ws *worker, _, lo, hi int, part []float64) {
	ws.eval.Accumulate(part, sub(j.c, lo, hi), sub(j.e, lo, hi), j.w, j.v, lo, hi)
}

// dirJob: per-sample loss, s_n = g_n·v, q_n = vᵀH_n v.
type dirJob struct {
	w, v, loss, s, q []float64
}

func (j *dirJob) do(ws *worker, _, lo, hi int, _ []float64) {
	ws.eval.Directional(sub(j.loss, lo, hi), sub(j.s, lo, hi), sub(j.q, lo, hi), j.w, j.v, lo, hi)
}

// lossJob: per-sample losses, and with c ≠ nil also part += Σ c_n g_n.
type lossJob struct {
	w, loss, c []float64
}

func (j *lossJob) do(ws *worker, _, lo, hi int, part []float64) {
	if la, ok := ws.eval.(models.LossAccumulator); ok && j.c != nil {
		la.AccumulateLosses(j.loss[lo:hi], part, j.c[lo:hi], j.w, lo, hi) // one forward sweep
		return
	}
	ws.eval.Losses(j.loss[lo:hi], j.w, lo, hi)
	if j.c != nil {
		ws.eval.Accumulate(part, j.c[lo:hi], nil, j.w, nil, lo, hi)
	}
}

// accumulate sets dst = Σ_n c_n g_n + e_n H_n v over all samples.
func (g *Geometry) accumulate(ctx context.Context, dst, w, v, c, e []float64) error {
	g.acc = accJob{w: w, v: v, c: c, e: e}
	err := g.sum(ctx, &g.acc, g.opt.Chunk, g.d, dst)
	g.acc = accJob{}
	return err
}

// directional fills g.loss (if wantLoss), g.s (if wantS), g.q (if wantQ).
func (g *Geometry) directional(ctx context.Context, w, v []float64, wantLoss, wantS, wantQ bool) error {
	g.dir = dirJob{w: w, v: v}
	if wantLoss {
		g.dir.loss = g.loss
	}
	if wantS {
		g.dir.s = g.s
	}
	if wantQ {
		g.dir.q = g.q
	}
	err := g.sum(ctx, &g.dir, g.opt.Chunk, 0, nil)
	g.dir = dirJob{}
	return err
}

// Loss returns f(w) = (1/N) Σ_n f_n(w).
func (g *Geometry) Loss(ctx context.Context, w []float64) (float64, error) {
	g.checkVec("w", w)
	g.lsJob = lossJob{w: w, loss: g.loss}
	err := g.sum(ctx, &g.lsJob, g.opt.Chunk, 0, nil)
	g.lsJob = lossJob{}
	if err != nil {
		return 0, err
	}
	return sumOf(g.loss) / float64(g.n), nil
}

func sumOf(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

// Grad sets dst = ∇f(w), the mean gradient.
func (g *Geometry) Grad(ctx context.Context, dst, w []float64) error {
	g.checkVec("dst", dst)
	g.checkVec("w", w)
	return g.accumulate(ctx, dst, w, nil, g.invN, nil)
}

// LossGrad sets dst = ∇f(w) and returns f(w), in one pass.
func (g *Geometry) LossGrad(ctx context.Context, dst, w []float64) (float64, error) {
	g.checkVec("dst", dst)
	g.checkVec("w", w)
	g.lsJob = lossJob{w: w, loss: g.loss, c: g.invN}
	err := g.sum(ctx, &g.lsJob, g.opt.Chunk, g.d, dst)
	g.lsJob = lossJob{}
	if err != nil {
		return 0, err
	}
	return sumOf(g.loss) / float64(g.n), nil
}

// WeightedSum sets dst = Σ_n c_n g_n + e_n H_n v over all samples, on the
// deterministic pool (one pass): e.g. a minibatch gradient (c_n = 1/|B| on
// the batch, 0 elsewhere) or the SDE noise (1/√N) Σ_n (ξ_n − ξ̄) g_n.
// c or e (then also v) may be nil; c and e have length N.
func (g *Geometry) WeightedSum(ctx context.Context, dst, w, v, c, e []float64) error {
	g.checkVec("dst", dst)
	g.checkVec("w", w)
	if c != nil && len(c) != g.n || e != nil && len(e) != g.n {
		panic(fmt.Sprintf("engine: WeightedSum: len(c) = %d, len(e) = %d, want N = %d (or nil)", len(c), len(e), g.n))
	}
	if e != nil {
		g.checkVec("v", v)
		if err := models.RequireOrder(g.m, 2, "a weighted Hessian-vector sum"); err != nil {
			return err
		}
	}
	return g.accumulate(ctx, dst, w, v, c, e)
}

// HessVec sets dst = H(w) v, the Hessian of the mean loss times v.
func (g *Geometry) HessVec(ctx context.Context, dst, w, v []float64) error {
	g.checkVec("dst", dst)
	g.checkVec("w", w)
	g.checkVec("v", v)
	if err := models.RequireOrder(g.m, 2, "a Hessian-vector product"); err != nil {
		return err
	}
	return g.accumulate(ctx, dst, w, v, nil, g.invN)
}

package flow

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/grd-engine/grd/engine"

	"github.com/grd-engine/grd/models"
	"github.com/sourcegraph/conc/pool"
	"gonum.org/v1/gonum/floats"
)

// EnsembleSpec configures the ensemble flows sgd and sde (DESIGN §1).
//
// sgd is real minibatch SGD,
//
//	w_{j+1} = w_j − η (1/|B_j|) Σ_{n∈B_j} g_n(w_j),   t_j = t_0 + jη.
//
// Each epoch draws a fresh uniformly random permutation of the N samples
// and cuts it into consecutive batches of Batch samples (sampling without
// replacement). When Batch does not divide N the last batch of an epoch is
// USED, as a smaller batch of N mod Batch samples (its mean gradient is over
// those samples), so every sample is visited once per epoch. With
// Batch = N every step is the full gradient, taken in sample order, so sgd
// reproduces discrete gradient descent w_{j+1} = w_j − η∇f(w_j), with ∇f
// as engine.Geometry.Grad computes it, bit for bit
// (and the runs coincide). A model implementing models.Subsetter is
// permuted once per epoch (its rows copied) and batches are contiguous; any
// other model is evaluated with per-sample weights 1/|B| on the batch and 0
// elsewhere, skipping chunks without batch members (same result up to the
// order of summation, slower).
//
// sde is the continuous-time model of SGD,
//
//	dw = −∇f dt + sqrt(η/|B| · D(w)) dW,
//
// integrated by Euler–Maruyama with step Dt, t_j = t_0 + j·Dt, using the
// exact low-rank factor D = LLᵀ, L = (1/√N)[g_n − ∇f]_n, so no matrix square
// root is formed: with ξ ~ N(0, I_N) and ξ̄ its mean,
//
//	L ξ = (1/√N) Σ_n ξ_n (g_n − ∇f) = (1/√N) Σ_n (ξ_n − ξ̄) g_n,
//	Δw  = Σ_n c_n g_n,   c_n = −Dt/N + sqrt(η/|B|)·sqrt(Dt)·(ξ_n − ξ̄)/√N,
//
// one weighted-gradient pass per step.
//
// Output k of either flow is the state after step j_k = round((t_k − t_0)/h)
// (h = η for sgd, Dt for sde), the step nearest to the requested time t_k,
// and the row's time Trajectory.T[k] is that step's time t_0 + j_k·h
// (DESIGN §1: t = jη), not t_k. Output times on the step grid (t_k − t_0 a
// multiple of h) are reproduced up to the rounding of t_0 + j_k·h; off the
// grid a row's time differs from t_k by at most h/2, and when h exceeds the
// output spacing neighbouring rows can hold the same step (equal times).
// The Trajectory holds the
// mean over the runs of w and of f(w) (the full loss) and their population
// standard deviations (1/R), folded in run order by Welford's update.
// Steps is the number of steps per run and NFev the number of (minibatch
// or full) gradient evaluations over all runs, one per step.
//
// Run r draws its randomness from rand.NewPCG(mix(Seed), mix(r+1)) (mix a
// SplitMix64 finaliser), so results depend only on (Seed, r): they are
// bit-identical for any number of workers and across calls. Runs are
// computed in parallel (Spec.Workers), each on its own model
// Evaluators with the engine.Geometry's chunk size; per-step work allocates
// nothing (a Subsetter model allocates its permuted copy once per epoch).
// A run's rows are kept only until it is folded into the statistics:
// memory is O(K·d) per run in flight (about Workers of them), not O(R·K·d).
//
// cd (flow_cd.go) is contrastive-divergence training of an RBM,
//
//	w_{j+1} = w_j − η ĝ_CD(w_j; B_j),   t_j = t_0 + jη,
//
// with the minibatches of sgd and ĝ_CD the CD-K estimate of
// models.CD.Gradient (chains started at the batch's patterns), or with
// Persistent the PCD-K estimate on Batch persistent chains started at the
// patterns of the run's first batch. It needs a *models.RBM. Output rows
// are recorded as for sgd.
//
// For a model implementing KLModel every ensemble also records the mean
// and population std over runs of KL(p_data ‖ p_model(w_r(t))).
//
// Every ensemble monitors ε·λ_max(D(w̄(t))) (ε = Spec.Metric.Epsilon)
// at the ensemble mean w̄ of each output row, computed once all runs are
// done: one λ_max per row, the cost of ngd's monitor, where a per-run
// monitor would cost R times that. It measures how far the metric is from
// the weak-field regime along the mean path, not along each run.
//
// A run whose state or loss becomes non-finite, or whose loss at an output
// time exceeds the divergence bound (DivergenceBound, from the loss and
// gradient at w0), stops the flow with StatusFailed; the Trajectory keeps
// the output rows every run reached.
type EnsembleSpec struct {
	LR    float64 // η > 0: the sgd and cd step size; the sde temperature is η/|B|
	Batch int     // |B|, 1 ≤ Batch ≤ N
	Runs  int     // R ≥ 1 independent runs
	Dt    float64 // sde only: the Euler–Maruyama step > 0
	Seed  uint64  // all randomness derives from it

	K          int  // cd only: Gibbs sweeps per estimate ≥ 0; 0 means engine.DefaultCDK (CD-1)
	Persistent bool // cd only: persistent chains (PCD-K) instead of CD-K

	// MaxSteps bounds the steps of one run (checked before the run);
	// 0 means DefaultMaxEnsembleSteps.
	MaxSteps int
}

// DefaultMaxEnsembleSteps is the default bound on the steps of one
// ensemble run (EnsembleSpec.MaxSteps).
const DefaultMaxEnsembleSteps = 10_000_000

// EnsembleSteps is the number of steps of size h (η for sgd and cd, dt for
// sde) that an ensemble run takes from t0 to t1: the step whose time jh is
// nearest to t1 − t0. It is a float64 so that no step size overflows it:
// compare it with a limit before converting.
func EnsembleSteps(t0, t1, h float64) float64 { return math.Round((t1 - t0) / h) }

// stepSize is the step of one run: dt for sde, η for sgd and cd.
func (e *EnsembleSpec) stepSize(flow Name) float64 {
	if flow == SDE {
		return e.Dt
	}
	return e.LR
}

// validateSteps checks the step count of a run over [t0, t1] against
// MaxSteps before anything runs: a step size so small that the count
// overflows or would run for ever, or so large that no step lands before
// t1, is refused with the count and the limit.
func (e *EnsembleSpec) validateSteps(flow Name, t0, t1 float64) error {
	h, key := e.stepSize(flow), "lr"
	if flow == SDE {
		key = "dt"
	}
	limit := e.MaxSteps
	if limit == 0 {
		limit = DefaultMaxEnsembleSteps
	}
	switch n := EnsembleSteps(t0, t1, h); {
	case limit < 0:
		return fmt.Errorf("engine: %s flow: max steps = %d, want ≥ 0 (0 = default %d)", flow, limit, DefaultMaxEnsembleSteps)
	case !(n >= 1):
		return fmt.Errorf("engine: %s flow: %s = %g takes no step on [%g, %g] (t0 is the step time nearest to t1); want %s ≤ %g", flow, key, h, t0, t1, key, 2*(t1-t0))
	case n > float64(limit):
		return fmt.Errorf("engine: %s flow: %s = %g on [%g, %g] needs %.4g steps per run, more than the limit %d (raise %s or shorten the horizon)", flow, key, h, t0, t1, n, limit, key)
	}
	return nil
}

func (e *EnsembleSpec) validate(flow Name, n int) error {
	switch {
	case !(e.LR > 0) || math.IsInf(e.LR, 0):
		return fmt.Errorf("engine: %s flow: lr = %g, want a finite value > 0", flow, e.LR)
	case e.Batch < 1 || e.Batch > n:
		return fmt.Errorf("engine: %s flow: batch = %d, want 1 ≤ batch ≤ N = %d", flow, e.Batch, n)
	case e.Runs < 1:
		return fmt.Errorf("engine: %s flow: runs = %d, want at least 1", flow, e.Runs)
	case flow == SDE && (!(e.Dt > 0) || math.IsInf(e.Dt, 0)):
		return fmt.Errorf("engine: sde flow: dt = %g, want a finite value > 0", e.Dt)
	case flow == CD && e.K < 0:
		return fmt.Errorf("engine: cd flow: k = %d, want ≥ 1 Gibbs sweeps (0 = default %d)", e.K, engine.DefaultCDK)
	}
	return nil
}

// mix64 is the SplitMix64 finaliser (a bijection of uint64 with good
// avalanche), used to decorrelate the PCG seeds of neighbouring runs.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// runSource returns the random source of run r of an ensemble with seed.
func runSource(seed uint64, r int) *rand.PCG {
	return rand.NewPCG(mix64(seed), mix64(uint64(r)+1))
}

// ensembleRun is one run's recorded rows and outcome.
type ensembleRun struct {
	w     []float64 // K·d, row k = w at output k
	loss  []float64 // K
	kl    []float64 // K (KLModel only)
	rows  int       // rows recorded
	steps int       // steps taken
	err   error     // why the run stopped early
}

// ensembleWorker holds one run's scratch: evaluators and buffers sized once.
type ensembleWorker struct {
	d, n  int
	chunk int
	ev    models.Evaluator // on the full model
	w     []float64
	dir   []float64 // the step's weighted gradient sum
	part  []float64 // one chunk's partial
	c     []float64 // per-sample weights (len N)
	lossN []float64 // per-sample losses (len N)
	xi    []float64 // sde noise (len N)
	// sgd
	perm  []int
	cnt   []int // batch members per chunk (masked path)
	sub   models.Model
	evSub models.Evaluator
	subs  models.Subsetter
	// cd
	cd *cdState
}

// sumChunks sets dst = Σ_{n∈[lo,hi)} c_n g_n over chunks of the evaluator's
// size, each chunk's partial added in order (as engine.Geometry's passes do).
func (wk *ensembleWorker) sumChunks(ev models.Evaluator, dst, c []float64, lo, hi int) {
	clear(dst)
	for a := lo; a < hi; a += wk.chunk {
		b := min(a+wk.chunk, hi)
		clear(wk.part)
		ev.Accumulate(wk.part, c[a-lo:b-lo], nil, wk.w, nil, a, b)
		floats.Add(dst, wk.part)
	}
}

// fullLoss returns f(w) over all samples.
func (wk *ensembleWorker) fullLoss() float64 {
	for a := 0; a < wk.n; a += wk.chunk {
		b := min(a+wk.chunk, wk.n)
		wk.ev.Losses(wk.lossN[a:b], wk.w, a, b)
	}
	return sumOf(wk.lossN) / float64(wk.n)
}

// sgdState tracks the position in the current epoch.
type sgdState struct {
	pos int // index of the next batch's first sample in the permutation
}

// sgdStep takes one minibatch step.
func (wk *ensembleWorker) sgdStep(rng *rand.Rand, st *sgdState, lr float64, batch int) {
	n := wk.n
	if batch >= n { // full batch, in sample order: discrete GD
		wk.sumChunks(wk.ev, wk.dir, wk.c, 0, n)
		floats.AddScaled(wk.w, -lr, wk.dir)
		return
	}
	if st.pos == 0 || st.pos >= n {
		for i := range wk.perm {
			wk.perm[i] = i
		}
		rng.Shuffle(n, func(i, j int) { wk.perm[i], wk.perm[j] = wk.perm[j], wk.perm[i] })
		st.pos = 0
		if wk.subs != nil {
			wk.sub = wk.subs.Subset(wk.perm)
			wk.evSub = wk.sub.NewEvaluator(wk.chunk)
		}
	}
	lo, hi := st.pos, min(st.pos+batch, n)
	st.pos = hi
	inv := 1 / float64(hi-lo)
	if wk.subs != nil {
		c := wk.c[:hi-lo]
		for i := range c {
			c[i] = inv
		}
		wk.sumChunks(wk.evSub, wk.dir, c, lo, hi)
	} else {
		// Masked full pass: c_n = 1/|B| on the batch, 0 elsewhere; chunks
		// without batch members are skipped.
		clear(wk.cnt)
		for _, s := range wk.perm[lo:hi] {
			wk.c[s] = inv
			wk.cnt[s/wk.chunk]++
		}
		clear(wk.dir)
		for k, cnt := range wk.cnt {
			if cnt == 0 {
				continue
			}
			a, b := k*wk.chunk, min((k+1)*wk.chunk, n)
			clear(wk.part)
			wk.ev.Accumulate(wk.part, wk.c[a:b], nil, wk.w, nil, a, b)
			floats.Add(wk.dir, wk.part)
		}
		for _, s := range wk.perm[lo:hi] {
			wk.c[s] = 0
		}
	}
	floats.AddScaled(wk.w, -lr, wk.dir)
}

// sdeStep takes one Euler–Maruyama step of size dt at temperature η/|B|.
func (wk *ensembleWorker) sdeStep(rng *rand.Rand, dt, temp float64) {
	n := float64(wk.n)
	for i := range wk.xi {
		wk.xi[i] = rng.NormFloat64()
	}
	xbar := meanOf(wk.xi)
	sig := math.Sqrt(temp) * math.Sqrt(dt) / math.Sqrt(n)
	drift := -dt / n
	for i, x := range wk.xi {
		wk.c[i] = drift + sig*(x-xbar)
	}
	wk.sumChunks(wk.ev, wk.dir, wk.c, 0, wk.n)
	floats.Add(wk.w, wk.dir)
}

// runEnsemble runs the sgd or sde ensemble into tr.
func runEnsemble(ctx context.Context, g *engine.Geometry, tr *Trajectory, w0 []float64, spec *Spec, progress func(done, total float64)) {
	es := spec.Ensemble
	d, K, R := g.Dim(), len(spec.Times), es.Runs
	h := es.LR
	if spec.Flow == SDE {
		h = es.Dt
	}
	t0 := spec.Times[0]
	jOut := make([]int, K)
	for k, t := range spec.Times {
		jOut[k] = int(EnsembleSteps(t0, t, h)) // ≤ the run's steps: validated
	}
	total := jOut[K-1]

	var mu sync.Mutex
	var done float64
	tick := func(steps int) {
		if progress == nil {
			return
		}
		mu.Lock()
		done += float64(steps)
		progress(done, float64(R)*float64(total))
		mu.Unlock()
	}

	workers := spec.Workers
	if workers == 0 {
		workers = g.Workers()
	}
	bound, err := ensembleBound(ctx, g, w0, spec.Times[K-1]-t0)
	if err != nil {
		tr.Status, tr.Err = statusOf(ctx, err), fmt.Errorf("engine: %s flow: the divergence bound at w0: %w", spec.Flow, err)
		return
	}
	rd := newEnsembleReducer(d, K, R)
	_, hasKL := g.Model().(KLModel)
	ck, resume, err := ensembleCheckpoint(g, spec, rd, jOut)
	if err != nil {
		tr.Status, tr.Err = StatusFailed, err
		return
	}
	p := pool.New().WithMaxGoroutines(min(workers, R))
	for r := rd.next; r < R; r++ {
		p.Go(func() {
			run := rd.get()
			ensembleOne(ctx, g, run, r, w0, spec, jOut, h, bound, tick, ck, resume[r])
			rd.finish(r, run)
		})
	}
	p.Wait()

	// Rows every run reached; the first failing run (in run order) explains.
	rows := rd.rows
	tr.Steps = 0
	if rows > 0 {
		tr.Steps = jOut[rows-1]
	}
	tr.NFev = rd.steps
	tr.T = make([]float64, rows)
	for k := range rows {
		tr.T[k] = t0 + float64(jOut[k])*h // the step's time, t = jη (DESIGN §1)
	}
	tr.W, tr.WStd = make([][]float64, rows), make([][]float64, rows)
	tr.Loss, tr.LossStd = make([]float64, rows), make([]float64, rows)
	ws := make([]float64, rows*d)
	for k := range rows {
		mk, sk := rd.mean[k*d:(k+1)*d:(k+1)*d], ws[k*d:(k+1)*d:(k+1)*d]
		for i := range sk {
			sk[i] = math.Sqrt(rd.m2[k*d+i] / float64(R))
		}
		tr.W[k], tr.WStd[k] = mk, sk
		tr.Loss[k], tr.LossStd[k] = rd.lmean[k], math.Sqrt(rd.lm2[k]/float64(R))
	}
	if hasKL {
		tr.KL, tr.KLStd = make([]float64, rows), make([]float64, rows)
		for k := range rows {
			tr.KL[k], tr.KLStd[k] = rd.klmean[k], math.Sqrt(rd.klm2[k]/float64(R))
		}
	}
	cause := rd.err
	if cause == nil {
		cause = ensembleEpsLambdaMax(ctx, g, tr, spec)
	}
	if cause == nil {
		tr.Status = StatusOK
		return
	}
	tr.Status = StatusFailed
	if ctx.Err() != nil && errors.Is(cause, ctx.Err()) || errors.Is(cause, engine.ErrRankCanceled) {
		tr.Status = StatusCanceled
	}
	tr.Err = cause
}

// ensembleEpsLambdaMax sets tr.EpsLambdaMax[k] = ε·λ_max(D(w̄_k)) at the
// ensemble-mean w̄_k of every row (zeros without computing λ_max when
// ε = 0). The error is that of a λ_max computation (the context's if it
// was canceled), wrapped in the flow's message.
func ensembleEpsLambdaMax(ctx context.Context, g *engine.Geometry, tr *Trajectory, spec *Spec) error {
	eps := spec.Metric.Epsilon
	elm := make([]float64, len(tr.W))
	mg := g
	if spec.MetricGeometry != nil {
		mg = spec.MetricGeometry
	}
	if eps != 0 {
		for k, w := range tr.W {
			lm, err := mg.LambdaMax(ctx, w)
			if err != nil {
				return fmt.Errorf("engine: %s flow: ε·λ_max(D) at the ensemble mean at t=%g: %w", spec.Flow, tr.T[k], err)
			}
			elm[k] = eps * lm
		}
	}
	tr.EpsLambdaMax = elm
	return nil
}

// ensembleReducer folds finished runs into per-row running means and
// centred sums of squares by Welford's update,
//
//	c += 1,  δ = x − m,  m += δ/c,  M2 += δ·(x − m),
//
// strictly in run order, whatever order the runs finish in: the result is
// bit-identical for any number of workers, and identical runs give a
// spread of exactly 0. A run's rows are kept only until it is folded
// (buffers are recycled), so memory is O(K·d) per run in flight, not R·K·d.
type ensembleReducer struct {
	mu           sync.Mutex
	d, k         int
	pending      []*ensembleRun // finished, not yet folded
	next         int            // the next run to fold
	free         []*ensembleRun
	cnt          []int     // per row: runs folded that reached it
	mean, m2     []float64 // K·d
	lmean, lm2   []float64 // K
	klmean, klm2 []float64 // K: KL(w_r) (KLModel only)
	rows, steps  int       // rows every folded run reached; steps over runs
	err          error     // the first error in run order

	// checkpointing (nil without): the bookkeeping, and the accumulator
	// before the first run that stopped early was folded
	ck    *ensembleCk
	clean *EnsembleState
}

func newEnsembleReducer(d, k, r int) *ensembleReducer {
	return &ensembleReducer{d: d, k: k, pending: make([]*ensembleRun, r), cnt: make([]int, k),
		mean: make([]float64, k*d), m2: make([]float64, k*d), lmean: make([]float64, k), lm2: make([]float64, k),
		klmean: make([]float64, k), klm2: make([]float64, k), rows: k}
}

// get returns a cleared run record with K·d storage.
func (rd *ensembleReducer) get() *ensembleRun {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if n := len(rd.free); n > 0 {
		run := rd.free[n-1]
		rd.free = rd.free[:n-1]
		*run = ensembleRun{w: run.w, loss: run.loss, kl: run.kl}
		return run
	}
	return &ensembleRun{w: make([]float64, rd.k*rd.d), loss: make([]float64, rd.k), kl: make([]float64, rd.k)}
}

// finish hands over run r and folds every consecutive finished run.
func (rd *ensembleReducer) finish(r int, run *ensembleRun) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	rd.pending[r] = run
	for rd.next < len(rd.pending) && rd.pending[rd.next] != nil {
		if rd.ck != nil {
			run := rd.pending[rd.next]
			switch {
			case run.err != nil && rd.clean == nil:
				rd.clean = rd.accState()
			case run.err == nil && rd.clean == nil:
				rd.ck.put(rd.next, nil) // in the accumulator now
			}
		}
		rd.fold(rd.pending[rd.next])
		rd.free = append(rd.free, rd.pending[rd.next])
		rd.pending[rd.next] = nil
		rd.next++
	}
}

func (rd *ensembleReducer) fold(run *ensembleRun) {
	d := rd.d
	for k := range run.rows {
		rd.cnt[k]++
		c := float64(rd.cnt[k])
		welford(rd.mean[k*d:(k+1)*d], rd.m2[k*d:(k+1)*d], run.w[k*d:(k+1)*d], c)
		welford(rd.lmean[k:k+1], rd.lm2[k:k+1], run.loss[k:k+1], c)
		welford(rd.klmean[k:k+1], rd.klm2[k:k+1], run.kl[k:k+1], c)
	}
	rd.rows = min(rd.rows, run.rows)
	rd.steps += run.steps
	if rd.err == nil {
		rd.err = run.err
	}
}

// welford folds the c-th sample x into the running means m and centred
// sums of squares m2.
func welford(m, m2, x []float64, c float64) {
	for i, v := range x {
		delta := v - m[i]
		m[i] += delta / c
		m2[i] += delta * (v - m[i])
	}
}

// newEnsembleWorker returns the scratch of one run of spec's flow.
func newEnsembleWorker(g *engine.Geometry, spec *Spec) *ensembleWorker {
	d, n, chunk := g.Dim(), g.Len(), g.ChunkSize()
	wk := &ensembleWorker{d: d, n: n, chunk: chunk, ev: g.Model().NewEvaluator(chunk),
		w: make([]float64, d), dir: make([]float64, d), part: make([]float64, d),
		c: make([]float64, n), lossN: make([]float64, n)}
	switch spec.Flow {
	case CD:
		wk.perm = make([]int, n)
	case SGD:
		if spec.Ensemble.Batch >= n {
			for i := range wk.c {
				wk.c[i] = 1 / float64(n)
			}
		} else {
			wk.perm = make([]int, n)
			if s, ok := g.Model().(models.Subsetter); ok {
				wk.subs = s
			} else {
				wk.cnt = make([]int, (n+chunk-1)/chunk)
			}
		}
	case SDE:
		wk.xi = make([]float64, n)
	}
	return wk
}

// ensembleBound is the divergence bound of every run (DivergenceBound):
// all runs start at w0.
func ensembleBound(ctx context.Context, g *engine.Geometry, w0 []float64, span float64) (float64, error) {
	grad := make([]float64, len(w0))
	loss, err := g.LossGrad(ctx, grad, w0)
	if err != nil {
		return 0, err
	}
	return DivergenceBound(loss, floats.Norm(grad, 2), span), nil
}

// ensembleOne computes run r into out, from the start or from the state
// rs (nil: the start). With ck it delivers its state when asked
// (ck.c.Request), when it completes and when the context stops it.
func ensembleOne(ctx context.Context, g *engine.Geometry, out *ensembleRun, r int, w0 []float64, spec *Spec, jOut []int, h, bound float64, tick func(int), ck *ensembleCk, rs *EnsembleRun) {
	es := spec.Ensemble
	d, K := g.Dim(), len(jOut)
	wk := newEnsembleWorker(g, spec)
	copy(wk.w, w0)
	pcg := runSource(es.Seed, r)
	rng := rand.New(pcg)
	var st sgdState
	temp := es.LR / float64(es.Batch)
	klm, _ := g.Model().(KLModel)
	rbm, _ := g.Model().(*models.RBM) // cd only (validated)

	lastLoss, lastT := math.NaN(), spec.Times[0]
	j, k0 := 0, 0
	if rs != nil {
		if err := wk.restore(rs, pcg, rng, &st, spec, rbm, out); err != nil {
			out.err = err
			return
		}
		j, k0 = rs.Step, rs.Out
		lastLoss, lastT = rs.LastLoss, rs.LastT
	}
	var hook func(int, int)
	var gen uint64
	if ck != nil {
		hook, gen = ck.c.EnsembleStep, ck.c.gen.Load()
	}
	fail := func(j int, cause error) {
		t := spec.Times[0] + float64(j)*h
		what := "failed"
		if errors.Is(cause, context.Canceled) || errors.Is(cause, context.DeadlineExceeded) {
			what = "canceled"
		}
		out.err = fmt.Errorf("engine: %s flow %s at t=%g (run %d, step %d, step size %g; last finite loss %g at t=%g): %w",
			spec.Flow, what, t, r, j, h, lastLoss, lastT, cause)
	}
	for k := k0; k < K; k++ {
		for ; j < jOut[k]; j++ {
			out.steps = j
			if ck != nil && j > 0 {
				if g := ck.c.gen.Load(); g != gen {
					gen = g
					ck.put(r, wk.snapshot(r, j, k, pcg, &st, out, lastLoss, lastT))
				}
			}
			if err := ctx.Err(); err != nil {
				if ck != nil && j > 0 {
					ck.put(r, wk.snapshot(r, j, k, pcg, &st, out, lastLoss, lastT))
				}
				fail(j, err)
				return
			}
			switch spec.Flow {
			case SGD:
				wk.sgdStep(rng, &st, es.LR, es.Batch)
			case CD:
				wk.cdStep(rng, &st, &es, rbm)
			default:
				wk.sdeStep(rng, es.Dt, temp)
			}
			out.steps = j + 1
			if !allFinite(wk.w) {
				fail(j+1, errNonFinite)
				return
			}
			if hook != nil {
				hook(r, j+1)
			}
		}
		loss := wk.fullLoss()
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			fail(j, errNonFinite)
			return
		}
		if k > 0 && loss > bound {
			fail(j, divergedError(spec.Times[0]+float64(j)*h, loss, bound))
			return
		}
		copy(out.w[k*d:(k+1)*d], wk.w)
		out.loss[k] = loss
		if klm != nil {
			out.kl[k] = klm.KL(wk.w)
		}
		out.rows = k + 1
		lastLoss, lastT = loss, spec.Times[k]
		if k > 0 {
			tick(jOut[k] - jOut[k-1])
		}
	}
	if ck != nil {
		ck.put(r, wk.snapshot(r, j, K, pcg, &st, out, lastLoss, lastT))
	}
}

// ensembleCheckpoint connects the ensemble to spec.Checkpoint: it restores
// the reducer from the resume state and returns the bookkeeping (nil
// without checkpointing) and each run's state to continue from (indexed
// by run; nil entries start afresh).
func ensembleCheckpoint(g *engine.Geometry, spec *Spec, rd *ensembleReducer, jOut []int) (*ensembleCk, []*EnsembleRun, error) {
	resume := make([]*EnsembleRun, spec.Ensemble.Runs)
	c := spec.Checkpoint
	if c == nil {
		return nil, resume, nil
	}
	ck := &ensembleCk{c: c, rd: rd, d: g.Dim(), k: len(jOut), runs: map[int]*EnsembleRun{}}
	if rs := c.Resume; rs != nil && rs.Ensemble != nil {
		if rs.Flow != spec.Flow {
			return nil, nil, fmt.Errorf("engine: cannot resume the %s flow from a state of the %s flow", spec.Flow, rs.Flow)
		}
		es := rs.Ensemble
		if err := checkEnsemble(es, spec, g.Dim(), jOut); err != nil {
			return nil, nil, err
		}
		rd.restore(es)
		for i := range es.Runs {
			run := &es.Runs[i]
			resume[run.Run] = run
			ck.runs[run.Run] = run
		}
	}
	rd.ck = ck
	c.mu.Lock()
	c.ens, c.latest = ck, &State{Flow: spec.Flow}
	c.mu.Unlock()
	return ck, resume, nil
}

// snapshot copies run r's state after j steps with k rows recorded.
func (wk *ensembleWorker) snapshot(r, j, k int, pcg *rand.PCG, st *sgdState, out *ensembleRun, lastLoss, lastT float64) *EnsembleRun {
	rng, err := pcg.MarshalBinary()
	if err != nil {
		panic("engine: marshalling a PCG state: " + err.Error()) // cannot fail
	}
	d := wk.d
	s := &EnsembleRun{Run: r, Step: j, Out: k, W: append([]float64(nil), wk.w...), RNG: rng, Pos: st.pos,
		RowW: append([]float64(nil), out.w[:k*d]...), Loss: append([]float64(nil), out.loss[:k]...),
		KL: append([]float64(nil), out.kl[:k]...), LastLoss: lastLoss, LastT: lastT}
	if wk.perm != nil {
		s.Perm = append([]int(nil), wk.perm...)
	}
	if wk.cd != nil && wk.cd.chains != nil {
		s.Chains = append([]float64(nil), wk.cd.chains...)
	}
	return s
}

// restore sets the worker, the run's random state, the epoch position and
// the recorded rows from s.
func (wk *ensembleWorker) restore(s *EnsembleRun, pcg *rand.PCG, rng *rand.Rand, st *sgdState, spec *Spec, rbm *models.RBM, out *ensembleRun) error {
	bad := func(what string) error {
		return fmt.Errorf("engine: %s flow: resume state of run %d: %s", spec.Flow, s.Run, what)
	}
	if err := pcg.UnmarshalBinary(s.RNG); err != nil {
		return bad("random state: " + err.Error())
	}
	if (wk.perm == nil) != (s.Perm == nil) || (s.Perm != nil && len(s.Perm) != len(wk.perm)) {
		return bad("the epoch permutation does not fit the flow")
	}
	es := &spec.Ensemble
	if spec.Flow == CD && es.Persistent && s.Step > 0 && len(s.Chains) != es.Batch*rbm.Visible() {
		return bad("the persistent chains do not fit the flow")
	}
	copy(wk.w, s.W)
	copy(wk.perm, s.Perm)
	st.pos = s.Pos
	if wk.subs != nil && st.pos > 0 && st.pos < wk.n {
		wk.sub = wk.subs.Subset(wk.perm)
		wk.evSub = wk.sub.NewEvaluator(wk.chunk)
	}
	if spec.Flow == CD && s.Step > 0 {
		wk.cd = &cdState{est: rbm.NewCD(rng)}
		if es.Persistent {
			wk.cd.chains = append([]float64(nil), s.Chains...)
		}
	}
	copy(out.w, s.RowW)
	copy(out.loss, s.Loss)
	copy(out.kl, s.KL)
	out.rows, out.steps = s.Out, s.Step
	return nil
}

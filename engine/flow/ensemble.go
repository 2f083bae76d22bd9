package flow

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/grd-engine/grd/engine"

	"github.com/sourcegraph/conc/pool"
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
// On a distributed Geometry (engine.Options.Comm; every rank holding all
// samples) the runs are split over the ranks by run index and every rank
// folds all of them in run order (ensembleReducer.runRanks): the same bits
// for any number of ranks.
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
	tick := stepTicker(progress, float64(R)*float64(jOut[K-1]))

	workers := spec.Workers
	if workers == 0 {
		workers = g.Workers()
	}
	comm := g.Comm()
	if comm != nil {
		// Every rank holds all samples (runs draw minibatches from all of
		// them): the bound and the monitor are computed in this process,
		// with the single-process bits, not by distributed passes.
		g = g.Local()
	}
	bound, err := ensembleBound(ctx, g, w0, spec.Times[K-1]-t0)
	if comm != nil {
		// The ranks agree before the runs' collectives, so that none goes
		// on alone (an interruption reaches them one after another).
		if agreed := agreeRemote(comm, err); err == nil {
			err = agreed
		}
	}
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
	one := func(r int, run *ensembleRun) {
		ensembleOne(ctx, g, run, r, w0, spec, jOut, h, bound, tick, ck, resume[r])
	}
	if comm == nil {
		p := pool.New().WithMaxGoroutines(min(workers, R))
		for r := rd.next; r < R; r++ {
			p.Go(func() {
				run := rd.get()
				one(r, run)
				rd.finish(r, run)
			})
		}
		p.Wait()
	} else if err := rd.runRanks(comm, R, workers, one, tick, jOut); err != nil {
		tr.Status, tr.Err = StatusFailed, fmt.Errorf("engine: %s flow: exchanging runs between the ranks: %w", spec.Flow, err)
		return
	}

	rd.fill(tr, jOut, t0, h, R, hasKL)
	cause := rd.err
	if cause == nil {
		mg := g
		if spec.MetricGeometry != nil {
			mg = spec.MetricGeometry
			if comm != nil {
				mg = mg.Local()
			}
		}
		cause = ensembleEpsLambdaMax(ctx, mg, comm, tr, spec)
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

// stepTicker returns the ensemble's progress callback: it adds the steps a
// run reports to the total done (of total) and calls progress, serialised
// (runs report from several goroutines). A nil progress gives a no-op.
func stepTicker(progress func(done, total float64), total float64) func(int) {
	var mu sync.Mutex
	var done float64
	return func(steps int) {
		if progress == nil {
			return
		}
		mu.Lock()
		done += float64(steps)
		progress(done, total)
		mu.Unlock()
	}
}

// fill sets tr's rows from the folded runs: the rows every run reached
// (the first failing run, in run order, explains a shorter one), their
// step times t_0 + j_k·h, the means and population standard deviations
// over the runs, and the step counts.
func (rd *ensembleReducer) fill(tr *Trajectory, jOut []int, t0, h float64, runs int, hasKL bool) {
	d, R := rd.d, float64(runs)
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
			sk[i] = math.Sqrt(rd.m2[k*d+i] / R)
		}
		tr.W[k], tr.WStd[k] = mk, sk
		tr.Loss[k], tr.LossStd[k] = rd.lmean[k], math.Sqrt(rd.lm2[k]/R)
	}
	if hasKL {
		tr.KL, tr.KLStd = make([]float64, rows), make([]float64, rows)
		for k := range rows {
			tr.KL[k], tr.KLStd[k] = rd.klmean[k], math.Sqrt(rd.klm2[k]/R)
		}
	}
}

// ensembleEpsLambdaMax sets tr.EpsLambdaMax[k] = ε·λ_max(D(w̄_k)) at the
// ensemble-mean w̄_k of every row (zeros without computing λ_max when
// ε = 0). The error is that of a λ_max computation (the context's if it
// was canceled), wrapped in the flow's message; tr.EpsLambdaMax is then
// left nil (no row monitored), on every rank.
//
// mg computes λ_max in this process. With comm (a distributed run, every
// rank holding the same rows) the rows are split into contiguous blocks,
// one per rank, each computed on its rank, and the values all-gathered:
// every rank ends with the same bits as a single process.
func ensembleEpsLambdaMax(ctx context.Context, mg *engine.Geometry, comm engine.Comm, tr *Trajectory, spec *Spec) error {
	eps := spec.Metric.Epsilon
	rows := len(tr.W)
	elm := make([]float64, rows)
	if eps == 0 {
		tr.EpsLambdaMax = elm
		return nil
	}
	k0, k1 := 0, rows
	if comm != nil {
		k0, k1 = blockOf(rows, comm.Rank(), comm.Size())
	}
	var err error
	for k := k0; k < k1 && err == nil; k++ {
		var lm float64
		lm, err = mg.LambdaMax(ctx, tr.W[k])
		if err != nil {
			err = fmt.Errorf("engine: %s flow: ε·λ_max(D) at the ensemble mean at t=%g: %w", spec.Flow, tr.T[k], err)
		}
		elm[k] = eps * lm
	}
	if comm == nil {
		if err == nil {
			tr.EpsLambdaMax = elm
		}
		return err
	}
	if err := agreeRemote(comm, err); err != nil {
		return err
	}
	counts, displs := make([]int, comm.Size()), make([]int, comm.Size())
	for q := range counts {
		a, b := blockOf(rows, q, comm.Size())
		counts[q], displs[q] = b-a, a
	}
	if err := comm.Allgatherv(elm, counts, displs); err != nil {
		return fmt.Errorf("engine: %s flow: gathering ε·λ_max over the ranks: %w", spec.Flow, err)
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

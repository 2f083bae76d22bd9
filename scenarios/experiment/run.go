package experiment

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sourcegraph/conc/pool"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/internal/textfmt"
	"github.com/grd-engine/grd/models"
	"github.com/grd-engine/grd/scenarios"
)

// ErrFlowFailed is wrapped by the error Run and Check return when one or
// more flows stopped before t1 (a numerical fault or cancellation). The
// report is complete nevertheless: every flow's status and the rows it
// computed are kept, and the outputs can still be written.
var ErrFlowFailed = errors.New("flow did not reach t1")

// RunOptions configures Run, Check and Sweep. The zero value is valid.
type RunOptions struct {
	// Workers is the number W of goroutines doing work at once. The flows
	// run concurrently, F = min(W, number of flows) at a time, and each
	// flow's per-sample passes use ⌊W/F⌋ goroutines (at least 1), so that
	// F·⌊W/F⌋ ≤ W (see workerBudget). Default runtime.GOMAXPROCS(0).
	// Results do not depend on it (DESIGN §2, deterministic parallelism).
	Workers int
	// Progress, if not nil, is called with the fraction (0..1) of the time
	// span a flow has covered and the loss at its last output row (NaN
	// before the first, and for the ensembles, whose rows are known only
	// at the end). Calls are serialised (never concurrent), but the calls
	// for different flows interleave.
	Progress func(flow string, frac, loss float64)
	// Checkpoint, if non-nil, makes Run write checkpoints into
	// Checkpoint.Dir (periodically and when interrupted) and continue from
	// Checkpoint.Resume (see CheckpointOptions). Run only.
	Checkpoint *CheckpointOptions
	// Comm, if not nil, distributes every pass over its ranks (engine.Options.Comm;
	// grd-mpi). Every rank must call Run (Check, Sweep) with the same
	// scenario and options; the flows then run one after another (each
	// with all Workers goroutines of each rank), so that the ranks make
	// their collective calls in the same order. The caller writes outputs
	// and checkpoints on one rank only (Checkpoint nil, or without writing,
	// on the others: see CheckpointOptions.ReadOnly).
	Comm engine.Comm

	// MaxMemory, if > 0, is the memory limit in bytes: a scenario whose
	// estimated memory (scenarios.EstimateMemory) exceeds it is refused
	// with scenarios.ErrTooLarge before anything large is allocated.
	// MemorySource names the limit in that message (e.g. "--max-memory").
	MaxMemory    float64
	MemorySource string

	// declared lists the scenario's own flows when Check or Sweep runs
	// other ones: their settings are still checked against the data.
	declared []string
}

func (o RunOptions) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// Report is the outcome of Run: the scenario's set-up, one Trajectory per
// flow and the comparisons between them.
type Report struct {
	// Scenario is the scenario as run (defaults filled).
	Scenario *scenarios.Scenario
	// Model is the scenario's model.
	Model models.Model
	// W0 is the initial point w0 (len Dim).
	W0 []float64
	// Dim is d, Samples is N.
	Dim, Samples int
	// LambdaMax is λ_max(D(w0)); Epsilon the ε used along every flow.
	LambdaMax, Epsilon float64
	// Metric is the metric the flows used (ε and the inverse and
	// Christoffel kinds).
	Metric engine.Metric
	// Times are the output times (time.outputs of them, t0 and t1 included).
	Times []float64
	// Flows holds one trajectory per flow, in the scenario's order. A flow
	// that stopped early has Status ≠ ok and the rows it computed.
	Flows []*flow.Trajectory
	// Comparisons compares the flows' trajectories.
	Comparisons Comparisons
	// Warnings lists what the reader should know (see Summary.Warnings).
	Warnings []string
	// Run records how the report was produced (summary.json's provenance).
	Run RunInfo
}

// RunInfo records how a report was produced, for the provenance of its
// outputs (DESIGN §9): the files read, the worker budget and when it ran.
type RunInfo struct {
	// Inputs are the files the scenario read, hashed (scenarios.Built.InputFiles).
	Inputs []scenarios.InputFile
	// Workers is the goroutine budget (RunOptions.Workers); Ranks the number
	// of processes (1: grd does not distribute yet).
	Workers, Ranks int
	// Start and End bound the run: from before the scenario was built to
	// after the last flow stopped. A resumed run records its own span.
	Start, End time.Time
}

// Flow returns the trajectory of the named flow, or nil if it did not run.
func (r *Report) Flow(name string) *flow.Trajectory {
	for _, tr := range r.Flows {
		if string(tr.Flow) == name {
			return tr
		}
	}
	return nil
}

// Interrupted reports whether some flow was canceled (its context done)
// before it finished: the report is then not a complete set of results,
// and a checkpoint holds what is needed to continue.
func (r *Report) Interrupted() bool {
	for _, tr := range r.Flows {
		if tr.Status == flow.StatusCanceled {
			return true
		}
	}
	return false
}

// Failed lists the flows that did not reach t1.
func (r *Report) Failed() []string {
	var out []string
	for _, tr := range r.Flows {
		if tr.Status != flow.StatusOK {
			out = append(out, string(tr.Flow))
		}
	}
	return out
}

// Comparisons are the flow-to-flow measures of a report. A measure whose
// flows did not run is NaN. With gap(t) = ‖w_grd(t) − w_ngd(t)‖ and the NGD
// path length L = max_t ‖w_ngd(t) − w0‖, maxima run over the output times
// both flows recorded.
type Comparisons struct {
	MaxGapGRDNGD     float64 // max_t ‖w_grd − w_ngd‖
	RelativeGap      float64 // MaxGapGRDNGD / L
	NGDPathLength    float64 // L
	MaxGapNGDGD      float64 // max_t ‖w_ngd − w_gd‖
	RelativeGapNGDGD float64 // MaxGapNGDGD / L
	MaxNGDDefect     float64 // max_t ‖u + P∇f‖ along grd
	MaxR2OverR1      float64 // max_t R2/R1 along grd, over times with R1 > 0
	// The time-resolved R2/R1 statistics: over the output times after the
	// first tenth of the span grd recorded (t ≥ t_0 + (t_end − t_0)/10,
	// leaving out the initial transient, where R1 ≈ 0 can make the ratio
	// large) with R1 > 0, its median and its maximum; and its value at the
	// last output time. The check's verdict judges (8) by the median.
	MedianR2OverR1, LateMaxR2OverR1, FinalR2OverR1 float64
}

// GapSeries returns the distance ‖a.W[k] − b.W[k]‖ at every output time
// k both trajectories recorded (nil if either is nil): the series behind
// the maximal gaps of Comparisons.
func GapSeries(a, b *flow.Trajectory) []float64 {
	if a == nil || b == nil {
		return nil
	}
	n := min(a.Len(), b.Len(), len(a.W), len(b.W))
	out := make([]float64, n)
	for k := range out {
		out[k] = dist(a.W[k], b.W[k])
	}
	return out
}

func dist(x, y []float64) float64 {
	var s float64
	for i := range x {
		d := x[i] - y[i]
		s += d * d
	}
	return math.Sqrt(s)
}

// maxOf is the largest element of xs, NaN if xs is empty or holds a NaN.
func maxOf(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	m := math.Inf(-1)
	for _, x := range xs {
		if math.IsNaN(x) {
			return math.NaN()
		}
		m = math.Max(m, x)
	}
	return m
}

// median is the median of xs (the mean of the middle two for an even
// count), NaN if xs is empty or holds a NaN. It sorts a copy.
func median(xs []float64) float64 {
	if len(xs) == 0 || slices.ContainsFunc(xs, math.IsNaN) {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(xs))
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// pathLength is max_k ‖tr.W[k] − w0‖ (NaN for a nil or empty trajectory).
func pathLength(tr *flow.Trajectory, w0 []float64) float64 {
	if tr == nil || len(tr.W) == 0 {
		return math.NaN()
	}
	l := 0.0
	for _, w := range tr.W {
		l = math.Max(l, dist(w, w0))
	}
	return l
}

// ratio is a/b, NaN unless b > 0.
func ratio(a, b float64) float64 {
	if !(b > 0) {
		return math.NaN()
	}
	return a / b
}

// compare computes the comparisons of trajectories that start at w0.
func compare(gd, ngd, grd *flow.Trajectory, w0 []float64) Comparisons {
	c := Comparisons{
		MaxGapGRDNGD:  maxOf(GapSeries(grd, ngd)),
		NGDPathLength: pathLength(ngd, w0),
		MaxGapNGDGD:   maxOf(GapSeries(ngd, gd)),
		MaxNGDDefect:  math.NaN(),
		MaxR2OverR1:   math.NaN(),

		MedianR2OverR1: math.NaN(), LateMaxR2OverR1: math.NaN(), FinalR2OverR1: math.NaN(),
	}
	c.RelativeGap = ratio(c.MaxGapGRDNGD, c.NGDPathLength)
	c.RelativeGapNGDGD = ratio(c.MaxGapNGDGD, c.NGDPathLength)
	if grd != nil {
		c.MaxNGDDefect = maxOf(grd.NGDDefect)
		var q, late []float64
		n := min(len(grd.R1), len(grd.R2), len(grd.T))
		cut := math.Inf(1)
		if n > 0 {
			cut = grd.T[0] + (grd.T[n-1]-grd.T[0])/10
		}
		for k := range n {
			if grd.R1[k] > 0 {
				q = append(q, grd.R2[k]/grd.R1[k])
				if grd.T[k] >= cut {
					late = append(late, grd.R2[k]/grd.R1[k])
				}
			}
		}
		c.MaxR2OverR1 = maxOf(q)
		c.LateMaxR2OverR1 = maxOf(late)
		c.MedianR2OverR1 = median(late)
		if n > 0 && grd.R1[n-1] > 0 {
			c.FinalR2OverR1 = grd.R2[n-1] / grd.R1[n-1]
		}
	}
	return c
}

// progressFunc receives a flow's progress: the fraction of its time span
// covered and the loss at its last output row (NaN if none yet).
type progressFunc func(frac, loss float64)

// flowRunner runs one flow of a prepared scenario from p.W0 at p.Times with
// the metric met, on its own Geometry g. It always returns a trajectory;
// faults are recorded in its Status and Err.
type flowRunner func(ctx context.Context, g *engine.Geometry, p *prepared, flow string, met engine.Metric, progress progressFunc) *flow.Trajectory

// prepared is a built scenario with ε fixed, ready to run flows.
type prepared struct {
	sc        *scenarios.Scenario
	b         *scenarios.Built
	lambdaMax float64
	lmVec     []float64 // top Ritz vector of D(w0) (zero for dense λ_max): the monitors' warm start
	eps       float64
	met       engine.Metric
	times     []float64
	workers   int
	comm      engine.Comm // nil: this process alone
	warnings  []string
	ck        *runCheckpoint // nil: no checkpointing
}

// orderNeeded is the derivative order flow needs from the model. grd needs
// Hessians for Hu and Γ and third derivatives for the R2 residual; ngd's
// field P∇f needs only gradients, but DESIGN §3 refuses relu for the metric
// flows (the metric's geometry needs per-sample Hessians), so ngd asks for
// order 2.
func orderNeeded(flow string) int {
	switch flow {
	case scenarios.FlowGRD:
		return 3
	case scenarios.FlowNGD:
		return 2
	}
	return 1
}

// prepare builds sc, checks that the model supports the flows, and fixes ε
// from λ_max(D(w0)). Nothing has run yet when it returns an error.
func prepare(ctx context.Context, sc *scenarios.Scenario, flows []string, opts RunOptions) (*prepared, error) {
	workers, comm := opts.workers(), opts.Comm
	b, err := Build(sc, scenarios.BuildOptions{
		MaxMemory: opts.MaxMemory, MemorySource: opts.MemorySource,
		Workers: workers, Flows: flows, Declared: opts.declared,
	}, comm)
	if err != nil {
		return nil, err
	}
	for _, f := range flows {
		if err := models.RequireOrder(b.Model, orderNeeded(f), f); err != nil {
			return nil, sc.ErrorFrom("model.activation", err, scenarios.ErrConflict)
		}
	}
	inv, chr, err := metricKinds(sc)
	if err != nil {
		return nil, err
	}
	gcomm := comm
	if withEnsemble(sc, flows) {
		// Every rank holds all samples (Build): λ_max(D(w0)), and so ε,
		// is computed on each rank alone, with the single-process bits.
		gcomm = nil
	}
	g := engine.New(b.MetricModel(), &engine.Options{Workers: workers, Comm: gcomm})
	lmVec := make([]float64, g.Dim())
	_, lmax, err := g.EpsilonFrom(ctx, b.W0, lmVec, engine.EpsilonSpec{Auto: true}) // λ_max as lambdaMaxAt
	if gcomm == nil && comm != nil {
		// The ranks agree, so that none goes on alone into the flows'
		// collectives (an interruption reaches them one after another).
		if agreed := comm.Agree(err); err == nil {
			err = agreed
		}
	}
	if err == nil && gcomm == nil && comm != nil {
		// One ε for every rank, whatever its CPU: rank 0's λ_max and
		// Ritz vector (the ranks' GEMM kernels may round differently).
		lmax, err = shareRank0(comm, lmax, lmVec)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("scenarios: %s: computing λ_max(D(w0)): %w", sc.Name, ctx.Err())
		}
		if bad := blameW0(ctx, g, sc, b.W0); bad != nil {
			return nil, bad
		}
		return nil, sc.ErrorFrom("metric.epsilon", err, scenarios.ErrBadValue)
	}
	eps, err := sc.Epsilon(lmax) // the scenario's ε policy
	if err != nil {
		return nil, err
	}
	p := &prepared{
		sc: sc, b: b, lambdaMax: lmax, lmVec: lmVec, eps: eps,
		met:     engine.Metric{Epsilon: eps, Inverse: inv, Christoffel: chr},
		times:   sc.Time.Times(),
		workers: workers,
		comm:    comm,
	}
	if lmax == 0 {
		p.warnings = append(p.warnings, "λ_max(D(w0)) = 0: all per-sample gradients are equal at w0, so ε = 0 and the metric is flat (NGD is GD)")
	}
	return p, nil
}

// blameW0 explains a failure of λ_max(D(w0)) whose cause is w0 itself: if
// the loss or its gradient is not finite there, the error names the init
// key (and file) that gave w0, not the metric. Otherwise it returns nil.
func blameW0(ctx context.Context, g *engine.Geometry, sc *scenarios.Scenario, w0 []float64) error {
	grad := make([]float64, len(w0))
	loss, err := g.LossGrad(ctx, grad, w0)
	if err == nil && finiteAll(append(grad, loss)) {
		return nil
	}
	big, at := 0.0, 0
	for i, w := range w0 {
		if a := math.Abs(w); a > big {
			big, at = a, i
		}
	}
	key, from := "init.normal", "drawn"
	switch {
	case sc.Init.W != nil:
		key, from = "init.w", "given"
	case sc.Init.File != "":
		key, from = "init.file", "read from "+sc.Init.File
	}
	return sc.ErrorAt(key, fmt.Sprintf("the loss or its gradient is not finite at w0 (loss = %g; largest |w0_i| = %g at i = %d, %s): w0 is too large for the model; use smaller initial weights", loss, big, at, from), scenarios.ErrBadValue)
}

func finiteAll(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// Build builds sc for this process. Alone (comm nil, or a world of one
// rank) it is sc.Build. As one rank of a distributed run it loads, when
// none of flows is an ensemble (whose runs draw minibatches from every
// sample), only the samples its passes read (engine.ShardRows,
// scenarios.Scenario.BuildRows: memory for the data scales as N/K); and
// the ranks agree on the outcome, so that an error on one rank (its shard
// of the data, a file it cannot open) is every rank's error, naming the
// rank, and none is left waiting in a collective.
func Build(sc *scenarios.Scenario, opts scenarios.BuildOptions, comm engine.Comm) (*scenarios.Built, error) {
	if comm == nil || comm.Size() == 1 {
		return sc.BuildWithin(opts)
	}
	if !withEnsemble(sc, opts.Flows) {
		opts.Rows = func(n int) (int, int) { return engine.ShardRows(n, &engine.Options{}, comm.Rank(), comm.Size()) }
	}
	b, err := sc.BuildWithin(opts)
	if err := comm.Agree(err); err != nil {
		return nil, err
	}
	return b, nil
}

// shareRank0 gives every rank rank 0's λ_max and vec (overwritten in
// place), so that rank-local computations of them (a run with an ensemble
// flow) cannot leave the ranks with ε differing in the last bits, e.g. on
// nodes whose CPUs select different GEMM kernels.
func shareRank0(comm engine.Comm, lmax float64, vec []float64) (float64, error) {
	buf := make([]float64, len(vec)+1)
	buf[0] = lmax
	copy(buf[1:], vec)
	counts, displs := make([]int, comm.Size()), make([]int, comm.Size())
	counts[0] = len(buf)
	if err := comm.Allgatherv(buf, counts, displs); err != nil {
		return lmax, fmt.Errorf("scenarios: sharing rank 0's λ_max(D(w0)): %w", err)
	}
	copy(vec, buf[1:])
	return buf[0], nil
}

// withEnsemble reports whether flows (nil: sc's) include an ensemble: a
// distributed run then loads every sample on every rank.
func withEnsemble(sc *scenarios.Scenario, flows []string) bool {
	if flows == nil {
		flows = sc.Flows
	}
	return slices.ContainsFunc(flows, isEnsemble)
}

// isEnsemble reports whether flow is sgd, sde or cd.
func isEnsemble(flow string) bool {
	return flow == scenarios.FlowSGD || flow == scenarios.FlowSDE || flow == scenarios.FlowCD
}

// flowJob is one flow to run with its metric; label names it in progress
// reports (the flow name, or e.g. "ngd s=0.1" in a sweep).
type flowJob struct {
	flow, label string
	met         engine.Metric
}

// workerBudget splits a budget of workers goroutines between jobs flows:
// at most flows of them run at once, each doing its per-sample passes on
// perFlow goroutines, with flows·perFlow ≤ workers (and both ≥ 1; a budget
// below 1 counts as 1). Since a pass's result does not depend on its
// worker count, neither do the outputs.
func workerBudget(workers, jobs int) (flows, perFlow int) {
	workers = max(1, workers)
	flows = max(1, min(workers, jobs))
	return flows, workers / flows
}

// runFlows runs the jobs concurrently, each on its own Geometry, within the
// budget of p.workers goroutines (workerBudget), and returns their
// trajectories in the order given.
func runFlows(ctx context.Context, p *prepared, jobs []flowJob, run flowRunner, progress func(string, float64, float64)) []*flow.Trajectory {
	out := make([]*flow.Trajectory, len(jobs))
	var mu sync.Mutex
	flows, perFlow := workerBudget(p.workers, len(jobs))
	if p.comm != nil { // collectives in the same order on every rank: one flow at a time
		flows, perFlow = 1, max(1, p.workers)
	}
	pl := pool.New().WithMaxGoroutines(flows)
	for i, job := range jobs {
		pl.Go(func() {
			var prog progressFunc
			if progress != nil {
				prog = func(frac, loss float64) {
					mu.Lock()
					defer mu.Unlock()
					progress(job.label, frac, loss)
				}
			}
			g := engine.New(p.b.Model, &engine.Options{Workers: perFlow, Comm: p.comm})
			start := time.Now()
			tr := run(ctx, g, p, job.flow, job.met, prog)
			if tr == nil {
				panic("scenarios: flow runner returned no trajectory for " + job.label)
			}
			if tr.Seconds == 0 {
				tr.Seconds = time.Since(start).Seconds()
			}
			tr.Flow = flow.Name(job.flow)
			out[i] = tr
		})
	}
	pl.Wait()
	return out
}

// Run runs every flow of sc and compares them (DESIGN §5, `grd run`).
//
// It builds the model and w0, checks that the model has the derivatives the
// flows need (relu is refused for ngd and grd), computes λ_max(D(w0)) and ε
// (auto: safety/λ_max, or the scenario's value, which must satisfy
// ε·λ_max < 1), then runs the flows at the output times, concurrently, each
// on its own Geometry. Any problem found before the flows start is returned
// as an error with a nil report; nothing has been computed or written.
//
// A flow that fails does not stop the others. If some flow did not reach t1
// Run returns the complete report (every status, every row computed) with
// an error wrapping ErrFlowFailed (and the context's error if it was
// canceled): write the outputs, then report the error.
func Run(ctx context.Context, sc *scenarios.Scenario, opts RunOptions) (*Report, error) {
	return runWith(ctx, sc, opts, engineFlow)
}

func runWith(ctx context.Context, sc *scenarios.Scenario, opts RunOptions, run flowRunner) (*Report, error) {
	start := time.Now()
	p, err := prepare(ctx, sc, sc.Flows, opts)
	if err != nil {
		return nil, err
	}
	inputs, err := p.b.InputFiles()
	if err != nil {
		return nil, err
	}
	if p.ck, err = newRunCheckpoint(p, opts.Checkpoint); err != nil {
		return nil, err
	}
	jobs := make([]flowJob, len(sc.Flows))
	for i, f := range sc.Flows {
		jobs[i] = flowJob{flow: f, label: f, met: p.met}
	}
	trs, ckErr := p.ck.around(sc.Flows, func() []*flow.Trajectory {
		return runFlows(ctx, p, jobs, p.ck.wrap(run), opts.Progress)
	})
	r := &Report{
		Scenario:  sc,
		Model:     p.b.Model,
		W0:        p.b.W0,
		Dim:       p.b.Model.Dim(),
		Samples:   p.b.Model.Len(),
		LambdaMax: p.lambdaMax,
		Epsilon:   p.eps,
		Metric:    p.met,
		Times:     p.times,
		Flows:     trs,
		Warnings:  p.warnings,
		Run:       RunInfo{Inputs: inputs, Workers: p.workers, Ranks: ranks(opts.Comm), Start: start.UTC(), End: time.Now().UTC()},
	}
	r.Comparisons = compare(r.Flow(scenarios.FlowGD), r.Flow(scenarios.FlowNGD), r.Flow(scenarios.FlowGRD), r.W0)
	r.Warnings = append(r.Warnings, flowWarnings(r.Flows, p)...)
	return r, errors.Join(flowsError(ctx, r.Flows), ckErr)
}

// flowWarnings: flows that stopped early, ε·λ_max ≥ 1, flows found stiff,
// comparisons over a shortened span.
func flowWarnings(trs []*flow.Trajectory, p *prepared) []string {
	var w []string
	byName := map[string]*flow.Trajectory{}
	for _, tr := range trs {
		byName[string(tr.Flow)] = tr
		if tr.Status != flow.StatusOK {
			msg := fmt.Sprintf("flow %s %s", tr.Flow, tr.Status)
			if n := tr.Len(); n > 0 {
				msg += fmt.Sprintf(" after t = %s (%d of %d output times recorded)", fmtG(tr.T[n-1]), n, len(p.times))
			} else {
				msg += " before the first output time"
			}
			if tr.Err != nil {
				msg += ": " + tr.Err.Error()
			}
			w = append(w, msg)
		}
		if distinct := distinctTimes(tr.T); distinct < tr.Len() {
			w = append(w, fmt.Sprintf("flow %s: its step is longer than the output spacing, so %d of its %d output times share a step with the one before; %s.csv holds one row per distinct step time (%d rows)",
				tr.Flow, tr.Len()-distinct, tr.Len(), tr.Flow, distinct))
		}
		if m, _ := tr.MaxEpsLambdaMax(); m >= 1 {
			k := 0
			for i, x := range tr.EpsLambdaMax {
				if x >= 1 {
					k = i
					break
				}
			}
			why := "the weak-field inverse I − εD is not positive definite there"
			if p.met.Inverse == engine.Exact {
				why = "the metric is far from the weak-field regime there"
			}
			w = append(w, fmt.Sprintf("flow %s: ε·λ_max(D(w(t))) reaches %s (first ≥ 1 at t = %s): %s",
				tr.Flow, fmtG(m), fmtG(tr.T[k]), why))
		}
		if s := tr.StiffnessWarning(); s != "" {
			w = append(w, s)
		}
	}
	for _, pair := range [][2]string{{scenarios.FlowGRD, scenarios.FlowNGD}, {scenarios.FlowNGD, scenarios.FlowGD}} {
		a, b := byName[pair[0]], byName[pair[1]]
		if a == nil || b == nil {
			continue
		}
		if n := min(a.Len(), b.Len()); n < len(p.times) && n > 0 {
			w = append(w, fmt.Sprintf("the %s–%s comparison covers only t ≤ %s (a flow stopped early)", pair[0], pair[1], fmtG(p.times[n-1])))
		}
	}
	return w
}

// distinctTimes counts the entries of the non-decreasing ts that differ
// from the one before (the first counts).
func distinctTimes(ts []float64) int {
	n := 0
	for k, t := range ts {
		if k == 0 || t != ts[k-1] {
			n++
		}
	}
	return n
}

// flowsError is nil when every flow reached t1, and otherwise an error
// wrapping ErrFlowFailed (and ctx.Err() if the context is done) that names
// the flows.
func flowsError(ctx context.Context, trs []*flow.Trajectory) error {
	var parts []string
	for _, tr := range trs {
		if tr.Status == flow.StatusOK {
			continue
		}
		s := string(tr.Flow) + " " + string(tr.Status)
		if tr.Err != nil {
			s += " (" + tr.Err.Error() + ")"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("scenarios: %w: %s: %w", ErrFlowFailed, strings.Join(parts, "; "), err)
	}
	return fmt.Errorf("scenarios: %w: %s", ErrFlowFailed, strings.Join(parts, "; "))
}

// fmtG formats x compactly for messages and tables.
func fmtG(x float64) string { return textfmt.G(x) }

// statusOK reports whether every trajectory reached t1.
func statusOK(trs ...*flow.Trajectory) bool {
	for _, tr := range trs {
		if tr != nil && tr.Status != flow.StatusOK {
			return false
		}
	}
	return true
}

// pct formats a ratio as a percentage ("n/a" when undefined).
func pct(x float64) string { return textfmt.Pct(x) }

// ranks is the number of processes a run spans: the communicator's size,
// or 1 without one.
func ranks(c engine.Comm) int {
	if c == nil {
		return 1
	}
	return c.Size()
}

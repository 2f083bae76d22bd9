package flow

// This file runs the flows of DESIGN §1 and records them as Trajectories.
//
// Deterministic flows (integrated by package integrators, outputs from the
// method's dense output at the requested times):
//
//	gd:   ẇ = −∇f(w)
//	ngd:  ẇ = −P(w)∇f(w),  P = I − εD (engine.WeakField) or (I + εD)⁻¹ (engine.Exact)
//	grd:  y = (w, u),  ẇ = u,  u̇ = −H(w)u − Γ(u,u)   (engine.Geometry.Acceleration)
//	      u(0) = −P∇f(w0) (V0 "ngd", the default), −∇f(w0) ("gd") or 0 ("zero")
//
// Ensemble flows (sgd, sde, cd) are in ensemble.go and cd.go.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/grd-engine/grd/engine"

	"github.com/grd-engine/grd/integrators"
	"github.com/grd-engine/grd/models"
	"gonum.org/v1/gonum/floats"
)

// DefaultMethod is the integrator used when Spec.Method is the zero
// Method.
const DefaultMethod = "dopri5"

// Spec describes one flow to run with Run. The zero value
// of every field except Flow and Times means its documented default.
type Spec struct {
	// Flow is GD, NGD, GRD, SGD or SDE.
	Flow Name

	// Times are the output times t_0 < t_1 < … < t_{K−1} (K ≥ 2, finite):
	// the flow starts at w0 at t_0 and runs to t_{K−1}, and row k of the
	// Trajectory belongs to Times[k]. The ensembles record the step nearest
	// to Times[k] and label the row with that step's time (EnsembleSpec).
	Times []float64

	// engine.Metric is the constant ε and the inverse kinds of the ngd and grd
	// flows. ε ≥ 0 is used as given: resolve the ε policy once, with
	// engine.Geometry.Epsilon at w0, and pass the same engine.Metric to every flow. The
	// other flows use only ε, to monitor ε·λ_max(D(w(t))) (Run).
	Metric engine.Metric

	// V0 is the initial velocity of grd: V0NGD (or ""), V0GD or V0Zero.
	V0 V0

	// Method integrates gd, ngd and grd; the zero Method means dopri5.
	// Settings tunes it (fixed-step methods need Settings.Dt; adaptive ones
	// use RTol/ATol). Settings.Events must be empty. Settings.Recorder, if
	// set, is called after the flow's own recorder on every accepted step.
	Method   integrators.Method
	Settings integrators.Settings

	// Ensemble configures sgd and sde (ignored by the others).
	Ensemble EnsembleSpec

	// Workers is the number of ensemble runs (sgd, sde) computed in
	// parallel; 0 means engine.Geometry.Workers(). Results do not depend on it.
	Workers int

	// MetricGeometry, if non-nil, computes the ε·λ_max(D(w)) monitor of
	// gd, sgd, sde and cd instead of the engine.Geometry running the flow: the
	// geometry whose D defines the metric, when that is another model's
	// (an RBM's cd metric). It must have the same dimension d.
	MetricGeometry *engine.Geometry

	// Row, if not nil, is called after gd, ngd or grd records an output
	// row, with its time and loss (for progress displays; the ensembles
	// know their rows only when all runs are folded and do not call it).
	Row func(t, loss float64)

	// Checkpoint, if non-nil, resumes the flow from Checkpoint.Resume and
	// hands out snapshots for checkpointing (see Checkpoint).
	Checkpoint *Checkpoint

	// Monitor configures the ε·λ_max monitor of gd, ngd and grd and the
	// pass budget of their diagnostics (see Monitor); the zero value means
	// the defaults.
	Monitor Monitor
}

// DefaultMonitorTol and DefaultMonitorBudget are the defaults of
// Monitor.Tol and Monitor.Budget.
const (
	DefaultMonitorTol    = 1e-4
	DefaultMonitorBudget = 0.2
)

// Monitor configures how a deterministic flow (gd, ngd, grd) monitors
// ε·λ_max(D(w(t))) and what its diagnostics may cost (DESIGN §6: at most
// a fifth of the flow's own right-hand-side work).
//
// Costs are counted in sweeps over the samples (engine.Geometry.Passes),
// never in seconds, so the rows monitored are the same on every machine
// and run. The loss, ‖∇f‖ and (grd) the residuals are computed at every
// output row (they are its CSV columns: one pass, grd three,
// engine.Geometry.ResidualsGrad); the ε·λ_max monitor is computed
//
//   - at t_0: λ_max(D(w0)) to Options.LanczosTol (1e-10; the value that
//     fixes ε), taken from LambdaMax0 when the caller has it;
//   - at a later output time (the last one included) only if its
//     estimated passes fit in what the budget leaves: Budget × the
//     right-hand-side passes so far, minus the diagnostic passes so far,
//     minus the remaining rows' own diagnostics (at this row's cost each),
//     and before the last row minus a reserve of one monitor for it. The
//     estimate is the last monitor's passes after t_0 (20 before any: ten
//     D·v); the Lanczos is stopped when it has spent what is left
//     (engine.Geometry.LambdaMaxWithin);
//
// and after t_0 by Lanczos warm-started from the previous monitored row's
// top Ritz vector and stopped at the relative residual Tol: ε·λ_max is
// monitored to decide whether it approaches 1, which needs a few digits,
// not ten. A run stopped by the budget has a top Ritz value θ ≤ λ_max: the
// row holds ε·θ if that is ≥ 1 (a true warning), NaN otherwise. Rows not
// monitored hold NaN in Trajectory.EpsLambdaMax (Trajectory.MaxEpsLambdaMax
// skips them). The diagnostics thus stay within Budget × the
// right-hand-side passes whenever the rows' own diagnostics do. When they
// alone exceed it at the last row (more output rows than the budget pays
// for: it cannot be met), the last row is monitored regardless, as are
// t_0 and the rows in between the estimate left room for.
type Monitor struct {
	// LambdaMax0, when Have0 is set, is λ_max(D(w0)) of the monitor's
	// geometry as engine.Geometry.Epsilon computed it, and Start0 (nil, or
	// length d) its top Ritz vector (engine.Geometry.EpsilonFrom): the
	// row at t_0 then costs no pass, and the first warm start is good.
	LambdaMax0 float64
	Have0      bool
	Start0     []float64
	// Tol is the relative Lanczos tolerance after t_0 (default
	// DefaultMonitorTol, 1e-4).
	Tol float64
	// Budget is the fraction of the right-hand-side passes the
	// diagnostics may spend (default DefaultMonitorBudget, 0.2). A Budget
	// < 0 monitors every row.
	Budget float64
}

func (m Monitor) withDefaults() Monitor {
	if m.Tol == 0 {
		m.Tol = DefaultMonitorTol
	}
	if m.Budget == 0 {
		m.Budget = DefaultMonitorBudget
	}
	return m
}

// Run integrates the flow spec.Flow from w0 and records it at
// spec.Times. A Trajectory always comes back: on success its Status is
// StatusOK and it has one row per output time; when the flow stops early
// its Status is StatusFailed (invalid spec, a numerical blow-up, a failure
// of the integrator or of a geometry computation) or StatusCanceled (ctx),
// Err says why — naming the flow, t, the step size and the last finite
// loss — and the rows computed before the fault are kept.
//
// At each output time the deterministic flows record w, the loss, ‖∇f‖
// and ε·λ_max(D(w)) (EpsLambdaMax, with ε = spec.Metric.Epsilon; 0 without
// computing λ_max when ε = 0); grd adds u and the residuals R0, R1, R2 and
// the NGD defect ‖u + P∇f‖ of engine.Geometry.ResidualsGrad. Every flow thus
// monitors ε·λ_max along its trajectory (DESIGN §1), sampled at t_0 and the
// output times its diagnostics' budget allows (Monitor; the others hold NaN);
// the ensembles (sgd, sde, cd) monitor it at their mean w at each output
// time, once all runs are done (EnsembleSpec). A row whose loss or state is
// not finite, or above the divergence bound (DivergenceBound), is not
// recorded: the flow fails there. The ensemble flows
// are documented at EnsembleSpec.
//
// progress, if non-nil, is called with the work done so far and the total
// (for deterministic flows, t − t_0 and t_{K−1} − t_0 after each accepted
// step; for ensembles, steps over all runs). Calls never overlap but may
// come from different goroutines.
//
// Run uses g (and for ensembles the model's Evaluators, one per run)
// and must not run concurrently with other uses of g. It panics if
// len(w0) ≠ d.
func Run(ctx context.Context, g *engine.Geometry, w0 []float64, spec Spec, progress func(done, total float64)) *Trajectory {
	if len(w0) != g.Dim() {
		panic(fmt.Sprintf("engine: len(w0) = %d, want d = %d", len(w0), g.Dim()))
	}
	start := time.Now()
	tr := &Trajectory{Flow: spec.Flow}
	if err := spec.validate(g.Model()); err != nil {
		tr.Status, tr.Err = StatusFailed, err
		return tr
	}
	switch spec.Flow {
	case GD, NGD, GRD:
		runODE(ctx, g, tr, w0, &spec, progress)
	case SGD, SDE, CD:
		runEnsemble(ctx, g, tr, w0, &spec, progress)
	}
	recordKL(g, tr) // gd, ngd, grd of a KLModel (flow_cd.go)
	tr.Seconds = time.Since(start).Seconds()
	return tr
}

// validate checks the parts of spec its flow uses.
func (s *Spec) validate(m models.Model) error {
	if _, err := ParseName(string(s.Flow)); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	if len(s.Times) < 2 {
		return fmt.Errorf("engine: %s flow: %d output times, need at least 2 (t0 and t1)", s.Flow, len(s.Times))
	}
	for i, t := range s.Times {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return fmt.Errorf("engine: %s flow: output time %d is %v, want a finite number", s.Flow, i, t)
		}
		if i > 0 && !(t > s.Times[i-1]) {
			return fmt.Errorf("engine: %s flow: output times must increase strictly, but t[%d] = %g ≤ t[%d] = %g", s.Flow, i, t, i-1, s.Times[i-1])
		}
	}
	if t := s.Monitor.Tol; !(t >= 0 && t < 1) {
		return fmt.Errorf("engine: %s flow: monitor tolerance %g, want 0 (default) or in (0, 1)", s.Flow, t)
	}
	if b := s.Monitor.Budget; math.IsNaN(b) || math.IsInf(b, 0) {
		return fmt.Errorf("engine: %s flow: monitor budget %g, want a finite fraction (0: default, < 0: every row)", s.Flow, b)
	}
	if st := s.Monitor.Start0; st != nil && len(st) != m.Dim() {
		return fmt.Errorf("engine: %s flow: the monitor's start vector has length %d, want d = %d", s.Flow, len(st), m.Dim())
	}
	if mg := s.MetricGeometry; mg != nil && mg.Dim() != m.Dim() {
		return fmt.Errorf("engine: %s flow: the metric geometry has dimension %d, the model %d", s.Flow, mg.Dim(), m.Dim())
	}
	if s.Workers < 0 {
		return fmt.Errorf("engine: %s flow: workers = %d, want ≥ 0 (0 = default)", s.Flow, s.Workers)
	}
	if e := s.Metric.Epsilon; !(e >= 0) || math.IsInf(e, 0) {
		return fmt.Errorf("engine: %s flow: epsilon %g, want a finite value ≥ 0", s.Flow, e)
	}
	switch s.Flow {
	case NGD, GRD:
		for _, k := range []engine.Kind{s.Metric.Inverse, s.Metric.Christoffel} {
			if k != engine.WeakField && k != engine.Exact {
				return fmt.Errorf("engine: %s flow: unknown metric inverse kind %v (valid: weak-field, exact)", s.Flow, k)
			}
		}
	}
	switch s.Flow {
	case GD, NGD, GRD:
		if len(s.Settings.Events) > 0 {
			return fmt.Errorf("engine: %s flow: integrator events are not supported (Settings.Events has %d)", s.Flow, len(s.Settings.Events))
		}
	}
	if s.Flow == GRD {
		if _, err := ParseV0(string(s.V0)); err != nil {
			return fmt.Errorf("engine: grd flow: %w", err)
		}
		// grd needs H_n for its right-hand side and ∇³f_n for the residuals.
		if err := models.RequireOrder(m, 3, "the grd flow"); err != nil {
			return fmt.Errorf("engine: %w", err)
		}
	}
	if s.Flow == CD {
		if _, err := engine.RBM(m); err != nil {
			return err
		}
	}
	if s.Flow == SGD || s.Flow == SDE || s.Flow == CD {
		if err := s.Ensemble.validate(s.Flow, m.Len()); err != nil {
			return err
		}
		return s.Ensemble.validateSteps(s.Flow, s.Times[0], s.Times[len(s.Times)-1])
	}
	return nil
}

// odeFlow is the state of one deterministic flow: the right-hand side's
// scratch and the recorder's. Neither the right-hand side nor the recorder
// allocates per call (apart from the rows they append).
type odeFlow struct {
	g    *engine.Geometry
	flow Name
	met  engine.Metric
	eps  float64          // the ε of the ε·λ_max monitor (spec.Metric.Epsilon, gd too)
	mg   *engine.Geometry // computes the monitor's λ_max
	// lmStart is the warm start of the monitor's Lanczos: the top Ritz
	// vector at the previous output (zero before the first: a cold start,
	// so the row at t_0 equals a fresh LambdaMax). nil when eps is 0.
	lmStart []float64
	d       int
	mon     Monitor
	// Pass counts (engine.Geometry.Passes) of the right-hand sides and of
	// the diagnostics so far, and of the last monitor after t_0: the
	// budget's state (checkpointed with the flow).
	rhsPasses, diagPasses, monPasses int64
	// uncounted: the next right-hand side re-evaluates, on a resume, the
	// end derivative the original run counted (as the integrator's NFev
	// does not count it again), so its passes are not counted either.
	uncounted bool

	// err is the first error of a right-hand side or diagnostic
	// evaluation; once set, the right-hand side returns NaN so that the
	// integrator stops, and the recorder stops the run.
	err error

	// recorder state
	tr         *Trajectory
	times      []float64
	next       int
	y, grad    []float64 // interpolated state, ∇f at it
	lastLoss   float64   // last finite recorded loss
	lastLossT  float64
	user       integrators.Recorder
	progress   func(done, total float64)
	row        func(t, loss float64) // Spec.Row
	t0, tSpan  float64
	wBuf, uBuf []float64 // row storage, K·d each
	ck         *odeCheckpoint
}

// rhs writes F(y) for the flow into dy. It never allocates.
func (f *odeFlow) rhs(ctx context.Context, y, dy []float64) {
	if f.err != nil {
		fillNaN(dy)
		return
	}
	g, d := f.g, f.d
	start, p0 := time.Now(), g.Passes()
	defer func() {
		f.tr.RHSSeconds += time.Since(start).Seconds()
		if f.uncounted {
			f.uncounted = false
			return
		}
		f.rhsPasses += g.Passes() - p0
	}()
	var err error
	switch f.flow {
	case GD:
		err = g.Grad(ctx, dy, y)
		floats.Scale(-1, dy)
	case NGD:
		err = g.NGDVelocity(ctx, dy, y, f.met)
	case GRD:
		w, u := y[:d], y[d:]
		copy(dy[:d], u)
		err = g.Acceleration(ctx, dy[d:], w, u, f.met)
	}
	if err != nil {
		f.err = err
		fillNaN(dy)
	}
}

// jv is the gd flow's exact Jacobian-vector product J·v = −H(w)v (one
// Hessian-vector pass), for the stiff integrators; ngd and grd leave J·v
// to the integrator's directional differences.
func (f *odeFlow) jv(ctx context.Context, y, v, jv []float64) {
	if f.err != nil {
		fillNaN(jv)
		return
	}
	p0 := f.g.Passes()
	defer func() { f.rhsPasses += f.g.Passes() - p0 }()
	if err := f.g.HessVec(ctx, jv, y, v); err != nil {
		f.err = err
		fillNaN(jv)
		return
	}
	floats.Scale(-1, jv)
}

func fillNaN(x []float64) {
	for i := range x {
		x[i] = math.NaN()
	}
}

// errNonFinite marks a recorded row whose state or loss is not finite.
var errNonFinite = errors.New("the state or the loss is not finite (the flow diverged)")

// record computes the diagnostics at t for the state f.y and appends a row.
func (f *odeFlow) record(ctx context.Context, t float64) error {
	g, d, tr := f.g, f.d, f.tr
	start, p0 := time.Now(), f.passes()
	defer func() {
		tr.DiagnosticSeconds += time.Since(start).Seconds()
		f.diagPasses += f.passes() - p0
	}()
	w := f.y[:d]
	if !allFinite(f.y) {
		return errNonFinite
	}
	loss, err := g.LossGrad(ctx, f.grad, w)
	if err != nil {
		return err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return errNonFinite
	}
	k := len(tr.T)
	if k > 0 {
		if b := DivergenceBound(tr.Loss[0], tr.GradNorm[0], f.tSpan); loss > b {
			return divergedError(t, loss, b)
		}
	}
	wr := f.wBuf[k*d : (k+1)*d : (k+1)*d]
	copy(wr, w)
	var res engine.Residuals
	if f.flow == GRD {
		// f.grad is ∇f(w) from LossGrad: the residuals need not recompute it.
		if res, err = g.ResidualsGrad(ctx, w, f.y[d:], f.grad, f.met); err != nil {
			return err
		}
	}
	elm, err := f.monitor(ctx, k, w, f.passes()-p0)
	if err != nil {
		return err
	}
	tr.T = append(tr.T, t)
	tr.W = append(tr.W, wr)
	tr.Loss = append(tr.Loss, loss)
	tr.GradNorm = append(tr.GradNorm, floats.Norm(f.grad, 2))
	tr.EpsLambdaMax = append(tr.EpsLambdaMax, elm)
	if f.flow == GRD {
		ur := f.uBuf[k*d : (k+1)*d : (k+1)*d]
		copy(ur, f.y[d:])
		tr.U = append(tr.U, ur)
		tr.R0 = append(tr.R0, res.R0)
		tr.R1 = append(tr.R1, res.R1)
		tr.R2 = append(tr.R2, res.R2)
		tr.NGDDefect = append(tr.NGDDefect, res.NGDDefect)
	}
	f.lastLoss, f.lastLossT = loss, t
	return nil
}

// passes is the pass count of the flow's geometry and, when it is
// another one, of the monitor's.
func (f *odeFlow) passes() int64 {
	p := f.g.Passes()
	if f.mg != f.g {
		p += f.mg.Passes()
	}
	return p
}

// monitor returns ε·λ_max(D(w)) for output row k, or NaN when the pass
// budget skips the row (see Monitor); spent is what the row's other
// diagnostics have cost so far.
func (f *odeFlow) monitor(ctx context.Context, k int, w []float64, spent int64) (float64, error) {
	if f.eps == 0 {
		return 0, nil
	}
	if k == 0 {
		if f.mon.Have0 {
			if f.mon.Start0 != nil {
				copy(f.lmStart, f.mon.Start0)
			}
			return f.eps * f.mon.LambdaMax0, nil
		}
		lm, err := f.mg.LambdaMaxFrom(ctx, w, f.lmStart)
		return f.eps * lm.Value, err
	}
	if f.mon.Budget < 0 { // every row, to the tolerance
		p0 := f.passes()
		lm, err := f.mg.LambdaMaxFromTol(ctx, w, f.lmStart, f.mon.Tol)
		f.monPasses = f.passes() - p0
		return f.eps * lm.Value, err
	}
	cap, ok := f.monitorCap(k, spent)
	if k == len(f.times)-1 && cap < 0 {
		// The rows' own diagnostics alone exceed the budget (more output
		// rows than it can pay for): the last row is monitored regardless,
		// so that the flow's end is checked.
		p0 := f.passes()
		lm, err := f.mg.LambdaMaxFromTol(ctx, w, f.lmStart, f.mon.Tol)
		f.monPasses = f.passes() - p0
		return f.eps * lm.Value, err
	}
	if !ok {
		return math.NaN(), nil
	}
	p0 := f.passes()
	lm, err := f.mg.LambdaMaxWithin(ctx, w, f.lmStart, f.mon.Tol, cap)
	used := f.passes() - p0
	if errors.Is(err, engine.ErrBudget) {
		// Stopped by the budget: it needs more than used, and θ_max is a
		// lower bound on λ_max, so a value ≥ 1 is a true warning; below 1
		// the row is not monitored.
		f.monPasses = max(f.monitorEstimate(), used+2)
		if v := f.eps * lm.Value; v >= 1 {
			return v, nil
		}
		return math.NaN(), nil
	}
	f.monPasses = used
	return f.eps * lm.Value, err
}

// defaultMonitorPasses estimates a monitor's passes before one has run
// after t_0: ten D·v products, what a Lanczos warm-started at the
// previous monitored row's vector needed to 1e-4 on the built-ins.
const defaultMonitorPasses = 20

// monitorEstimate is the passes the next monitor is expected to cost:
// the last one's after t_0 (at least what a budget-stopped one had
// spent), or defaultMonitorPasses before any.
func (f *odeFlow) monitorEstimate() int64 {
	switch {
	case f.monPasses > 0:
		return f.monPasses
	case f.mg.LambdaMaxIsDense():
		return 2 // dense D: one row pass and the mean, exactly
	}
	return defaultMonitorPasses
}

// monitorCap returns the passes the monitor of output row k > 0 may
// spend, and false when the row is not monitored (Monitor): what the
// budget leaves after the diagnostics so far (spent: this row's so far)
// and the remaining rows' own (at this row's cost each), before the last
// row also minus the last row's monitor; the row is monitored only if the
// estimated cost (monitorEstimate) fits in that, so that a run the budget
// would stop is not started.
func (f *odeFlow) monitorCap(k int, spent int64) (int64, bool) {
	rows := int64(len(f.times) - 1 - k)
	avail := int64(math.Floor(f.mon.Budget*float64(f.rhsPasses))) - f.diagPasses - spent - rows*spent
	est := f.monitorEstimate()
	if rows > 0 {
		avail -= est
	}
	return avail, avail >= est
}

func allFinite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// step is the integrator's Recorder: it records every output time in
// (s.T0, s.T1] from the dense output.
func (f *odeFlow) step(ctx context.Context, s integrators.StepInfo) error {
	if f.err != nil {
		return f.err
	}
	f.ckStep(s)
	if f.progress != nil {
		f.progress(s.T1-f.t0, f.tSpan)
	}
	if f.user != nil {
		return f.user.Record(s)
	}
	return nil
}

// output is the integrator's OutputFunc: it records the row at output
// time t from the state y (the end of a step or its dense output there).
func (f *odeFlow) output(ctx context.Context, t float64, y []float64) error {
	if f.err != nil { // a right-hand side (or an interpolant's stage) failed
		return f.err
	}
	copy(f.y, y)
	if err := f.record(ctx, t); err != nil {
		f.err = err
		return err
	}
	f.next++
	if f.row != nil {
		f.row(t, f.tr.Loss[len(f.tr.Loss)-1])
	}
	return nil
}

// runODE integrates gd, ngd or grd into tr; the integrator delivers the
// rows at spec.Times (the row at t_0 first) through odeFlow.output.
func runODE(ctx context.Context, g *engine.Geometry, tr *Trajectory, w0 []float64, spec *Spec, progress func(done, total float64)) {
	f := newODEFlow(g, tr, spec, progress)
	defer f.ckFinish()
	y0, rs, err := f.initialState(ctx, w0, spec)
	if err != nil {
		f.fail(ctx, f.t0, 0, err)
		return
	}
	method := spec.Method
	if reflect.ValueOf(method).IsZero() { // the zero Method (not comparable with ==)
		method, _ = integrators.MethodByName(DefaultMethod)
	}
	set := spec.Settings
	set.Recorder = integrators.RecorderFunc(func(s integrators.StepInfo) error { return f.step(ctx, s) })
	set.Output = func(t float64, y []float64) error { return f.output(ctx, t, y) }
	set.Resume = rs
	prob := integrators.Problem{
		F:  func(_ float64, y, dy []float64) { f.rhs(ctx, y, dy) },
		Y0: y0, T0: f.t0, T1: spec.Times[len(spec.Times)-1],
		Autonomous: true, // read by rodas4 and auto; JV by them and by rock4's power iteration
	}
	if spec.Flow == GD {
		prob.JV = func(_ float64, y, v, jv []float64) { f.jv(ctx, y, v, jv) }
	}
	res, err := integrators.Solve(ctx, prob, method, spec.Times, &set)
	f.finish(ctx, res, err)
}

// newODEFlow sizes the flow's scratch and row storage for spec.
func newODEFlow(g *engine.Geometry, tr *Trajectory, spec *Spec, progress func(done, total float64)) *odeFlow {
	d, K := g.Dim(), len(spec.Times)
	m := d
	if spec.Flow == GRD {
		m = 2 * d
	}
	f := &odeFlow{g: g, flow: spec.Flow, met: spec.Metric, eps: spec.Metric.Epsilon, d: d, tr: tr, times: spec.Times,
		y: make([]float64, m), grad: make([]float64, d), lastLoss: math.NaN(),
		user: spec.Settings.Recorder, progress: progress, row: spec.Row,
		t0: spec.Times[0], tSpan: spec.Times[K-1] - spec.Times[0],
		wBuf: make([]float64, K*d)}
	f.mg = g
	f.mon = spec.Monitor.withDefaults()
	if spec.Flow == GD {
		f.met = engine.Metric{}
		if spec.MetricGeometry != nil {
			f.mg = spec.MetricGeometry
		}
	}
	if spec.Flow == GRD {
		f.uBuf = make([]float64, K*d)
	}
	if f.eps != 0 {
		f.lmStart = make([]float64, d)
	}
	return f
}

// initialState returns the state at t_0 (for grd with the initial velocity
// of spec.V0), or the checkpointed state to resume from.
func (f *odeFlow) initialState(ctx context.Context, w0 []float64, spec *Spec) ([]float64, *integrators.State, error) {
	g, d := f.g, f.d
	y0 := make([]float64, len(f.y))
	copy(y0, w0)
	rs, err := f.ckResume(spec, len(f.y))
	if err != nil {
		return nil, nil, err
	}
	if rs != nil {
		copy(y0, rs.Y)
		return y0, rs, nil
	}
	if spec.Flow == GRD {
		u0 := y0[d:]
		var err error
		switch spec.V0 {
		case "", V0NGD:
			err = g.NGDVelocity(ctx, u0, w0, f.met)
		case V0GD:
			err = g.Grad(ctx, u0, w0)
			floats.Scale(-1, u0)
		case V0Zero:
		}
		if err != nil {
			return nil, nil, fmt.Errorf("initial velocity: %w", err)
		}
	}
	return y0, nil, nil
}

// statusOf is the status of a flow stopped by err: canceled when its
// context is done and err says so, or when a distributed pass stopped
// because another rank was interrupted (engine.ErrRankCanceled); failed
// otherwise.
func statusOf(ctx context.Context, err error) Status {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, integrators.ErrCancelled)) {
		return StatusCanceled
	}
	if errors.Is(err, engine.ErrRankCanceled) { // interrupted on another rank of the run
		return StatusCanceled
	}
	return StatusFailed
}

// fail ends the trajectory with the status of cause, at t with step size h.
func (f *odeFlow) fail(ctx context.Context, t, h float64, cause error) {
	f.failAs(statusOf(ctx, cause), t, h, cause)
}

func (f *odeFlow) failAs(status Status, t, h float64, cause error) {
	f.tr.Status = status
	what := "failed"
	if status == StatusCanceled {
		what = "canceled"
	}
	f.tr.Err = fmt.Errorf("engine: %s flow %s at t=%g (step size %g; last finite loss %g at t=%g): %w",
		f.flow, what, t, h, f.lastLoss, f.lastLossT, cause)
}

// finish sets the trajectory's statistics and status from the integrator's
// result.
func (f *odeFlow) finish(ctx context.Context, res *integrators.Result, err error) {
	tr, K := f.tr, len(f.times)
	t, h := f.t0, 0.0
	tr.RHSPasses, tr.DiagnosticPasses, tr.MonitorTol = f.rhsPasses, f.diagPasses, f.mon.Tol
	if res != nil {
		tr.NFev, tr.Steps, tr.Rejected = res.Stats.NFev, res.Stats.Accepted, res.Stats.Rejected
		tr.NJv = res.Stats.NJv
		tr.Stiffness = res.Stiffness
		t, h = res.TEnd, res.H
	}
	switch {
	case f.err != nil:
		f.fail(ctx, t, h, f.err)
	case err != nil:
		if res != nil && res.Status == integrators.Cancelled {
			f.failAs(StatusCanceled, t, h, err)
		} else {
			f.failAs(StatusFailed, t, h, err)
		}
	case len(tr.T) != K:
		f.failAs(StatusFailed, t, h, fmt.Errorf("integrator stopped (%v) after %d of %d output times", res.Status, len(tr.T), K))
	default:
		tr.Status = StatusOK
	}
}

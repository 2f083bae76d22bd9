package flow

import (
	"fmt"
	"math"

	"github.com/grd-engine/grd/integrators"
)

// Trajectory is one flow's record at the output times t_0 < … < t_{K−1}.
//
// Row k of every per-time slice belongs to T[k]. For the ensemble flows (sgd,
// sde) W and Loss are means over the R runs and WStd, LossStd their
// population standard deviations; for the deterministic flows the Std slices
// are nil. Fields that do not apply to a flow are nil. When a flow stops early
// (Status ≠ StatusOK) the slices hold the rows computed before the fault.
type Trajectory struct {
	Flow Name      // GD, NGD, …
	T    []float64 // output times

	W        [][]float64 // weights (ensemble mean for sgd/sde)
	Loss     []float64   // f(w(t)) (for sgd/sde: mean over runs of f(w_r(t)))
	GradNorm []float64   // ‖∇f(w(t))‖ (gd, ngd, grd)

	// KL is KL(p_data ‖ p_model) at each output time for models that define
	// it (rbm; for ensembles the mean over runs, with KLStd the population
	// std); nil otherwise.
	KL    []float64
	KLStd []float64

	WStd    [][]float64 // sgd/sde: per-coordinate population std of w over runs
	LossStd []float64   // sgd/sde: population std of f(w_r(t)) over runs

	// grd only: velocity u = ẇ and the diagnostics of DESIGN §1 at each time.
	U         [][]float64
	NGDDefect []float64 // ‖u + P∇f(w)‖
	R0        []float64 // sqrt(tr D)
	R1        []float64 // sqrt(tr Cov_n(H_n u))
	R2        []float64 // sqrt(tr Cov_n(a_n)), a_n = ∇³f_n[u,u] + H_n a

	// EpsLambdaMax is ε·λ_max(D(w(t))) at each output time, for every flow
	// (ensembles: at the ensemble-mean w of the row); NaN at the rows of
	// gd, ngd and grd that the diagnostics' pass budget did not monitor
	// (Monitor). Values ≥ 1 mean the weak-field inverse is no longer valid.
	EpsLambdaMax []float64

	// Integrator statistics (deterministic flows) or step counts (sgd, sde:
	// Steps = steps per run, NFev = gradient evaluations over all runs).
	NFev, Steps, Rejected int
	// NJv counts the Jacobian-vector products of a stiff method (for gd:
	// Hessian-vector passes); 0 for the explicit ones.
	NJv     int
	Seconds float64 // wall time of the flow

	// Stiffness, if non-nil, says where dopri5 or dop853 found the flow
	// stiff (its step limited by stability, not accuracy); see
	// StiffnessWarning.
	Stiffness *integrators.Stiffness
	// RHSSeconds and DiagnosticSeconds split a deterministic flow's wall
	// time (gd, ngd, grd; 0 for the ensembles): RHSSeconds is spent in
	// the right-hand side evaluations (NFev of them), DiagnosticSeconds in
	// the diagnostics at the output times (loss and gradient, ε·λ_max,
	// the residuals of grd). Both count only this process's part of a
	// resumed run.
	RHSSeconds, DiagnosticSeconds float64
	// RHSPasses and DiagnosticPasses count the same two parts in sweeps
	// over the samples (engine.Geometry.Passes), the unit of the
	// diagnostics' budget (Monitor); MonitorTol is the relative Lanczos
	// tolerance of the ε·λ_max monitor after t_0 (0 for the ensembles).
	// Unlike the seconds they cover the whole run, resumed or not.
	RHSPasses, DiagnosticPasses int64
	MonitorTol                  float64

	Status Status // StatusOK, StatusFailed or StatusCanceled
	Err    error  // why the flow stopped early; nil when Status is StatusOK
}

// StiffnessWarning returns a one-line warning for a run summary when the
// integrator found the flow stiff, and "" otherwise.
func (tr *Trajectory) StiffnessWarning() string {
	st := tr.Stiffness
	if st == nil {
		return ""
	}
	return fmt.Sprintf("flow %s looks stiff from t = %.4g on (step %d: h·ρ(J) ≈ %.3g, above the explicit method's stability bound %.3g, so its step is limited by stability, not accuracy): a stiff method needs far fewer evaluations, e.g. --set integrator.method=rodas4, =rock4 (for a spectrum near the negative real axis, as gradient flows have) or =auto",
		tr.Flow, st.T, st.Step, st.HRho, st.Bound)
}

// MaxEpsLambdaMax returns the largest ε·λ_max over the monitored rows
// (EpsLambdaMax not NaN) and their number; NaN and 0 when none is.
func (tr *Trajectory) MaxEpsLambdaMax() (max float64, monitored int) {
	max = math.NaN()
	for _, x := range tr.EpsLambdaMax {
		if math.IsNaN(x) {
			continue
		}
		if monitored == 0 || x > max {
			max = x
		}
		monitored++
	}
	return max, monitored
}

// Len is the number of output rows recorded.
func (tr *Trajectory) Len() int { return len(tr.T) }

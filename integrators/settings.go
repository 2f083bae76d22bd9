package integrators

import (
	"errors"
	"fmt"
	"math"
)

// Settings tunes Solve. A nil *Settings means all defaults; a zero field
// means its documented default.
type Settings struct {
	// RTol and ATol are the relative and absolute tolerances of the error
	// norm (see ErrorNorm). Defaults 1e-6 and 1e-9; negative values are
	// invalid. With step-size control RTol must exceed 10ε ≈ 2.2e-15
	// (below that rounding errors alone fail the error test; Hairer's
	// codes refuse such tolerances too).
	RTol, ATol float64
	// H0 is the size of the first step (positive; its sign is taken from
	// the direction of integration). Default: Hairer & Wanner's automatic
	// initial step (one extra F evaluation).
	H0 float64
	// MaxStep bounds |h|. Default |T1 − T0|.
	MaxStep float64
	// MinStep: if the controller asks for |h| < max(MinStep, 16·ε·|t|)
	// the run ends with StepUnderflow. Default 0.
	MinStep float64
	// MaxSteps bounds the number of step attempts (accepted + rejected).
	// Default 100000. A fixed-step run that needs more steps
	// (FixedStepCount) is refused before it starts.
	MaxSteps int
	// Dt is the step size of a fixed-step method and is required for one.
	// For an adaptive method a positive Dt switches step-size control off:
	// the method then takes fixed steps of size Dt (for convergence
	// studies). Fixed steps start at T0 + n·Dt (computed by multiplication,
	// no accumulated time) and the last step is shortened to land exactly
	// on T1; a step whose end lies within 1e-10·Dt of T1 is stretched onto
	// it instead.
	Dt float64
	// Controller, if non-nil, replaces the default PI controller
	// NewController(q) with q the method's error exponent.
	Controller *Controller
	// Events are located on the dense output of accepted steps.
	Events []Event
	// EventTol is the absolute tolerance in t to which event times are
	// located (the bracket is shrunk below max(EventTol, 4ε|t|)). Default 1e-12.
	EventTol float64
	// Recorder, if non-nil, is called after every accepted step.
	Recorder Recorder
	// Output, if non-nil, receives the state at each output time (the
	// times argument of Solve, which is then required) in time order,
	// instead of Result.T and Result.Y, which stay empty: the outputs are
	// streamed, not stored. See OutputFunc.
	Output OutputFunc
	// Linear selects how the stiff methods (Method.Stiff) solve their
	// linear systems (I/(γh) − J)x = b. Default LinearAuto.
	Linear LinearSolver
	// SpectralRadius, if positive, is an upper bound of the spectral
	// radius of ∂F/∂y over the whole run, which rock4 then uses to choose
	// its number of stages instead of estimating it (by a power iteration
	// on J·v every 25 accepted steps and after rejections). A bound found
	// violated ends the run with SpectralRadiusFailed. Other methods
	// ignore it.
	SpectralRadius float64
	// Resume, if non-nil, continues a run from a State taken by
	// StepInfo.State (same Problem, method, times and settings): the run
	// starts at Resume.T with Resume.Y instead of T0 and Y0 (T0 still
	// anchors fixed steps), reports only the output times after Resume.T,
	// and takes exactly the steps the original run would have taken. H0 is
	// ignored.
	Resume *State
}

// LinearSolver selects the linear solver of the stiff methods.
type LinearSolver int

const (
	// LinearAuto: a dense LU for up to DenseMaxDim unknowns, GMRES beyond.
	LinearAuto LinearSolver = iota
	// LinearDense: a dense Jacobian (Problem.Jac, m products J·e_j, or
	// column differences of F) and an LU factorisation (LAPACK getrf),
	// reused while the step size and the Jacobian are unchanged.
	LinearDense
	// LinearGMRES: matrix-free restarted GMRES(30) on products J·v
	// (Problem.JV or directional differences of F), in variables scaled
	// by the error weights; no preconditioner.
	LinearGMRES
)

// DenseMaxDim is the largest dimension for which LinearAuto uses the dense
// LU; above it GMRES. Measured with BenchmarkRodas4Linear (rodas4 on the
// gradient flow of a quadratic with condition 10⁴ and exact J·v, RTol
// 1e-6; 2-core machine): dense 7.3 ms vs GMRES 8.1 ms at m = 25, 20 vs
// 18 ms at m = 50, 163 vs 50 ms at m = 100, 1.6 vs 0.66 s at m = 400 —
// the dense Jacobian alone costs m products J·v per step, GMRES ~ 50–60
// for this spectrum. Problems whose iteration matrix GMRES finds harder
// move the crossover up.
const DenseMaxDim = 50

// OutputFunc receives the solution y at an output time t. It is called
// once per output time, in time order: at T0 before the first step (not
// when resuming), and otherwise for the output times in (t_prev, t_end] of
// each accepted step as soon as the step is accepted, before the Recorder
// sees the step. y is the step's end state when t is the step's end, and
// the method's dense output (StepInfo.Interpolate) otherwise. After a
// terminal event the outputs up to the event time are delivered; output
// times beyond the point where a run stops are never delivered. y is valid
// only during the call and must not be modified. Returning an error stops
// the run with status Stopped and an error wrapping it.
type OutputFunc func(t float64, y []float64) error

const (
	defaultRTol     = 1e-6
	defaultATol     = 1e-9
	defaultMaxSteps = 100000
	defaultEventTol = 1e-12
	epsilon         = 0x1p-52
	// minRTol is the smallest relative tolerance step-size control
	// accepts: 10ε, as in Hairer's codes (RTOL > 10·UROUND).
	minRTol = 10 * epsilon
	// maxNonFinite consecutive rejections caused by NaN/Inf end the run.
	maxNonFinite = 10
	// fixedEndSlack: a fixed step ending within fixedEndSlack·Dt of T1 is
	// stretched onto T1.
	fixedEndSlack = 1e-10
)

// ErrTooManySteps is wrapped (with ErrInvalid) by the error Solve returns
// when a fixed-step run would need more than Settings.MaxSteps steps.
var ErrTooManySteps = errors.New("too many steps")

// FixedStepCount returns the number of steps a fixed-step run from t0 to
// t1 with step dt > 0 takes: ⌈|t1 − t0|/dt − 1e-10⌉, at least 1 (the last
// step is shortened, or stretched by at most 1e-10·dt, to end on t1). The
// count is a float64 so that it cannot overflow: it is +Inf when dt is
// too small for the quotient to be finite, and NaN when an argument is
// NaN or dt ≤ 0. Compare it with a limit before converting it to int.
func FixedStepCount(t0, t1, dt float64) float64 {
	if !(dt > 0) {
		return math.NaN()
	}
	n := math.Ceil(math.Abs(t1-t0)/dt - fixedEndSlack)
	if n < 1 {
		return 1
	}
	return n
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("integrators: %w: "+format, append([]any{ErrInvalid}, args...)...)
}

// validate checks the problem for the method called name.
func (p Problem) validate(name string) error {
	if p.F == nil {
		return invalid("%s: Problem.F is nil", name)
	}
	if len(p.Y0) == 0 {
		return invalid("%s: Problem.Y0 is empty", name)
	}
	for i, v := range p.Y0 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return invalid("%s: Y0[%d] = %g is not finite", name, i, v)
		}
	}
	if math.IsNaN(p.T0) || math.IsInf(p.T0, 0) || math.IsNaN(p.T1) || math.IsInf(p.T1, 0) {
		return invalid("%s: interval [%g, %g] is not finite", name, p.T0, p.T1)
	}
	if p.T0 == p.T1 {
		return invalid("%s: empty interval T0 = T1 = %g", name, p.T0)
	}
	return nil
}

// dir returns +1 for forward and −1 for backward integration.
func (p Problem) dir() float64 {
	if p.T1 < p.T0 {
		return -1
	}
	return 1
}

// resolve validates s (nil means all defaults) for method m on the
// (validated) problem p and returns a copy with every zero field replaced
// by its default.
func (s *Settings) resolve(m Method, p Problem) (Settings, error) {
	name := m.tab.Name
	var set Settings
	if s != nil {
		set = *s
	}
	if err := set.checkRanges(name); err != nil {
		return set, err
	}
	set.setDefaults(math.Abs(p.T1 - p.T0))
	if set.MinStep > set.MaxStep {
		return set, invalid("%s: Settings.MinStep = %g exceeds MaxStep = %g", name, set.MinStep, set.MaxStep)
	}
	if c := set.Controller; c != nil {
		if !(c.Safety > 0 && c.Safety <= 1) || !(c.FacMin > 0 && c.FacMin < 1) || !(c.FacMax > 1) ||
			!(c.Q > 0) || !(c.Beta1 > 0) || !(c.Beta2 >= 0) || math.IsInf(c.FacMax, 0) {
			return set, invalid("%s: Settings.Controller %+v: want 0 < Safety ≤ 1, 0 < FacMin < 1 < FacMax < ∞, Q > 0, Beta1 > 0, Beta2 ≥ 0",
				name, *c)
		}
	}
	if set.fixed(m) && set.Dt == 0 {
		return set, invalid("%s is a fixed-step method: Settings.Dt must be > 0", name)
	}
	for i, e := range set.Events {
		if e.G == nil {
			return set, invalid("%s: Settings.Events[%d].G is nil", name, i)
		}
		if e.Direction < -1 || e.Direction > 1 {
			return set, invalid("%s: Settings.Events[%d].Direction = %d, want -1, 0 or 1", name, i, e.Direction)
		}
	}
	if set.Resume != nil {
		if err := validateResume(name, p, set.Resume); err != nil {
			return set, err
		}
	}
	return set, nil
}

// checkRanges checks the signs and finiteness of the numeric fields.
func (s *Settings) checkRanges(name string) error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"RTol", s.RTol}, {"ATol", s.ATol}, {"H0", s.H0}, {"MaxStep", s.MaxStep},
		{"MinStep", s.MinStep}, {"Dt", s.Dt}, {"EventTol", s.EventTol}, {"SpectralRadius", s.SpectralRadius}} {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return invalid("%s: Settings.%s = %g, want a finite value ≥ 0", name, f.name, f.v)
		}
	}
	if s.Linear < LinearAuto || s.Linear > LinearGMRES {
		return invalid("%s: Settings.Linear = %d, want LinearAuto, LinearDense or LinearGMRES", name, s.Linear)
	}
	if s.MaxSteps < 0 {
		return invalid("%s: Settings.MaxSteps = %d, want ≥ 0", name, s.MaxSteps)
	}
	return nil
}

// setDefaults replaces zero fields by their defaults; span is |T1 − T0|.
func (s *Settings) setDefaults(span float64) {
	if s.RTol == 0 {
		s.RTol = defaultRTol
	}
	if s.ATol == 0 {
		s.ATol = defaultATol
	}
	if s.MaxSteps == 0 {
		s.MaxSteps = defaultMaxSteps
	}
	if s.EventTol == 0 {
		s.EventTol = defaultEventTol
	}
	if s.MaxStep == 0 {
		s.MaxStep = span
	}
}

// krylov reports whether a stiff method on m unknowns uses GMRES.
func (s *Settings) krylov(m int) bool {
	return s.Linear == LinearGMRES || (s.Linear == LinearAuto && m > DenseMaxDim)
}

// fixed reports whether a run of m with s takes fixed steps (no step-size
// control).
func (s *Settings) fixed(m Method) bool { return !m.tab.Adaptive() || s.Dt > 0 }

// checkWork refuses runs that cannot succeed for their budget or
// tolerances, before any work is done: a fixed-step run needing more than
// MaxSteps steps (the count is checked as a float64, so a tiny Dt cannot
// overflow it), and step-size control with RTol ≤ 10ε. It returns the
// number of fixed steps (0 with step-size control).
func (s *Settings) checkWork(m Method, p Problem) (int, error) {
	name := m.tab.Name
	if !s.fixed(m) {
		if s.RTol <= minRTol {
			return 0, invalid("%s: Settings.RTol = %g is too small: with step-size control it must exceed 10ε ≈ %.2g, below which rounding errors alone fail the error test",
				name, s.RTol, minRTol)
		}
		return 0, nil
	}
	n := FixedStepCount(p.T0, p.T1, s.Dt)
	if !(n <= float64(s.MaxSteps)) || n >= 0x1p63 {
		return 0, fmt.Errorf("integrators: %w: %s: %w: Settings.Dt = %g on [%g, %g] needs %s steps, more than Settings.MaxSteps = %d (raise Dt or MaxSteps)",
			ErrInvalid, name, ErrTooManySteps, s.Dt, p.T0, p.T1, countString(n), s.MaxSteps)
	}
	return int(n), nil
}

// validateTimes checks that the output times lie in [T0, T1] and are
// ordered in the direction of integration.
func validateTimes(name string, p Problem, times []float64) error {
	dir := p.dir()
	for i, t := range times {
		if math.IsNaN(t) || (t-p.T0)*dir < 0 || (t-p.T1)*dir > 0 {
			return invalid("%s: output time times[%d] = %g outside [%g, %g]", name, i, t, p.T0, p.T1)
		}
		if i > 0 && (t-times[i-1])*dir < 0 {
			return invalid("%s: output times not ordered in the direction of integration at times[%d] = %g", name, i, t)
		}
	}
	return nil
}

// countString formats a step count held in a float64: exactly while it is
// an exact integer, in %g notation beyond.
func countString(n float64) string {
	if n < 1<<53 {
		return fmt.Sprintf("%.0f", n)
	}
	return fmt.Sprintf("%.4g", n)
}

package integrators

import (
	"context"
	"fmt"
	"math"
)

// Func is the right-hand side of y' = F(t, y): it writes F(t, y) into dydt.
// It must not retain y or dydt, and must not modify y.
type Func func(t float64, y, dydt []float64)

// Problem is an initial value problem y' = F(t, y), y(T0) = Y0, on the
// interval from T0 to T1. T1 < T0 integrates backwards.
type Problem struct {
	F      Func
	Y0     []float64
	T0, T1 float64

	// The fields below are used only by the stiff methods (rodas4, auto,
	// and JV by rock4's spectral-radius estimate); the explicit methods
	// ignore them.

	// JV, if non-nil, writes the Jacobian-vector product ∂F/∂y(t, y)·v
	// into jv. Otherwise J·v is the directional difference
	// (F(t, y + εv) − F(t, y))/ε with ε = sqrt(ε_mach)(1 + ‖y‖)/‖v‖.
	JV func(t float64, y, v, jv []float64)
	// Jac, if non-nil, writes the dense Jacobian ∂F/∂y(t, y) into jac,
	// row-major (jac[i*m+j] = ∂F_i/∂y_j). Otherwise a dense Jacobian is
	// built from m J·v products (with JV) or by column differences of F.
	Jac func(t float64, y, jac []float64)
	// Autonomous declares that F does not depend on t: the Rosenbrock
	// method then skips ∂F/∂t (one evaluation of F per step).
	Autonomous bool
}

// Stats counts the work done by Solve.
type Stats struct {
	NFev     int // evaluations of F (including finite differences)
	Accepted int // accepted steps
	Rejected int // rejected step attempts

	// Linear algebra of the stiff methods (zero for explicit ones).
	NJac      int `json:",omitempty"` // Jacobian evaluations (dense J, or a new linearisation point for J·v)
	NJv       int `json:",omitempty"` // Jacobian-vector products (Krylov solver, power iteration)
	NDecomp   int `json:",omitempty"` // LU factorisations of I/(γh) − J
	NLinSolve int `json:",omitempty"` // linear solves (one per Rosenbrock stage)
	NKrylov   int `json:",omitempty"` // GMRES iterations
	NSwitch   int `json:",omitempty"` // switches between dopri5 and rodas4 (auto)

	// rock4: estimates of the spectral radius (power iterations, whose
	// products J·v are counted in NJv), the most stages one step used,
	// and the step attempts shortened because they needed more stages
	// than rock4 has (152).
	NRho      int `json:",omitempty"`
	MaxStages int `json:",omitempty"`
	NCapped   int `json:",omitempty"`
}

// Result is the outcome of Solve.
type Result struct {
	// T are the output times reached, in order; Y[i] is the state at T[i].
	// The rows of Y share one backing array. Both are empty when
	// Settings.Output receives the outputs.
	T []float64
	Y [][]float64
	// TEnd and YEnd are where the integration stopped: T1 on success, the
	// event time after a terminal event, the last accepted step otherwise.
	TEnd float64
	YEnd []float64
	// H is the step size the controller proposes for the next step (the
	// fixed step for fixed-step runs); pass it as Settings.H0 to resume.
	H float64
	// Stats counts evaluations and steps.
	Stats Stats
	// Status says how the run ended.
	Status Status
	// Events lists the located events in time order.
	Events []EventRecord
	// Stiffness, if non-nil, says where dopri5 or dop853 found the problem
	// stiff (see "Stiffness detection" in the package documentation): the
	// step size was then limited by stability, not accuracy, and a stiff
	// method (rodas4, rock4 or auto) would need far fewer evaluations.
	Stiffness *Stiffness
}

// Solve integrates p with method m and returns the states at the requested
// output times, which must lie in [T0, T1] and be ordered in the direction
// of integration. With no times the outputs are T0 and the end point.
// Output values between step ends come from the method's dense output;
// steps are never shortened to hit output times. With Settings.Output the
// outputs go to that callback instead of the Result (see "Output times" in
// the package documentation).
//
// Invalid problems or settings give a nil Result and an error wrapping
// ErrInvalid. A run that starts returns a non-nil Result; when its Status
// is a failure (Status.Err() != nil) the error describes what happened, at
// which t and with which step size, and wraps Status.Err() (and ctx.Err()
// for cancellation). The context is checked before the first step and after
// every accepted step.
//
// Solve panics if m is the zero Method.
func Solve(ctx context.Context, p Problem, m Method, times []float64, s *Settings) (*Result, error) {
	if m.tab == nil {
		panic("integrators: Solve called with the zero Method")
	}
	d, err := newDriver(p, m, times, s)
	if err != nil {
		return nil, err
	}
	return d.run(ctx)
}

// driver holds one run's state; all buffers are allocated in newDriver.
type driver struct {
	p      Problem
	tb     *Tableau
	kr     *kernel
	set    Settings
	norm   ErrorNorm
	ctrl   Controller
	dir    float64 // +1 or −1
	fixed  bool    // no step-size control
	nFixed int     // number of fixed steps (fixed runs only)

	t, h    float64 // current time; signed size of the last accepted step
	tPrev   float64 // start of the last accepted step
	y, y1   []float64
	k0Valid bool // k[0] = F(t, y)
	kSValid bool // k[s] = F(t, y) after an accepted step
	dense   bool // extra stages of the last accepted step evaluated

	times        []float64
	defaultTimes bool      // times were not given: output T0 and the end point
	next         int       // index of the next output time
	yout         []float64 // the state passed to Settings.Output
	res          *Result

	stiff stiffState  // Hairer's stiffness test (dopri5, dop853)
	name  string      // the method's name
	ros   *rosenbrock // the Rosenbrock stepper, if the method has one
	auto  *autoSwitch // auto's two kernels, nil for other methods

	gPrev, gNew []float64
	hits        []eventHit
	yev         []float64
}

func newDriver(p Problem, m Method, times []float64, s *Settings) (*driver, error) {
	name := m.tab.Name
	if err := p.validate(name); err != nil {
		return nil, err
	}
	set, err := s.resolve(m, p)
	if err != nil {
		return nil, err
	}
	if err := validateTimes(name, p, times); err != nil {
		return nil, err
	}
	if set.Output != nil && len(times) == 0 {
		return nil, invalid("%s: Settings.Output is set but no output times were given", name)
	}
	nFixed, err := set.checkWork(m, p)
	if err != nil {
		return nil, err
	}
	n := len(p.Y0)
	d := &driver{
		p: p, tb: m.tab, set: set, dir: p.dir(), fixed: set.fixed(m), nFixed: nFixed,
		kr:   newKernel(m.tab, p.F, n, m.fast),
		norm: ErrorNorm{RTol: set.RTol, ATol: set.ATol},
		y:    make([]float64, n), y1: make([]float64, n),
	}
	if set.Controller != nil {
		d.ctrl = *set.Controller
		d.ctrl.Reset()
	} else if m.tab.Adaptive() {
		d.ctrl = NewController(m.tab.ErrOrder)
	}
	d.kr.norm = d.norm
	d.name = name
	if m.tab.stiff.bound > 0 && !d.fixed {
		d.stiff.every = stiffEvery
	}
	if m.ros != nil {
		d.kr.ros = newRosenbrock(m.ros, d.kr, p, d.norm, set.krylov(n))
		d.ros = d.kr.ros
	}
	if m.rock {
		d.kr.rock = newRock4(d.kr, p, d.norm, &set)
	}
	if m.auto && !d.fixed {
		d.newAuto()
	}
	copy(d.y, p.Y0)
	d.initOutputs(times)
	if len(set.Events) > 0 {
		d.gPrev = make([]float64, len(set.Events))
		d.gNew = make([]float64, len(set.Events))
		d.hits = make([]eventHit, 0, len(set.Events))
		d.yev = make([]float64, n)
	}
	return d, nil
}

func allFinite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// fail ends the run with status st and returns an error naming t and h.
// The error wraps st.Err() and cause, if non-nil, whose text follows the
// formatted message.
func (d *driver) fail(st Status, h float64, cause error, format string, args ...any) error {
	d.finish(st)
	msg := fmt.Sprintf(format, args...)
	if cause != nil {
		return fmt.Errorf("integrators: %s: %w at t=%g with step h=%g after %d steps (%d rejected): %s%w",
			d.name, st.Err(), d.t, h, d.res.Stats.Accepted, d.res.Stats.Rejected, msg, cause)
	}
	return fmt.Errorf("integrators: %s: %w at t=%g with step h=%g after %d steps (%d rejected): %s",
		d.name, st.Err(), d.t, h, d.res.Stats.Accepted, d.res.Stats.Rejected, msg)
}

// finish sets the Result's status and end point (and the end row for
// default output times).
func (d *driver) finish(st Status) {
	d.res.Status = st
	d.res.TEnd = d.t
	copy(d.res.YEnd, d.y)
	d.syncStats()
	if d.defaultTimes && (len(d.res.T) == 0 || d.res.T[len(d.res.T)-1] != d.t) {
		i := len(d.res.T)
		copy(d.res.Y[i], d.y)
		d.res.T = append(d.res.T, d.t)
	}
	// Keep only the rows that were filled.
	d.res.Y = d.res.Y[:len(d.res.T)]
}

// syncStats copies the counters kept by the kernel and the stiff stepper
// into Result.Stats.
func (d *driver) syncStats() {
	st := &d.res.Stats
	st.NFev = d.kr.nfev
	if r := d.ros; r != nil {
		st.NJac, st.NJv, st.NDecomp, st.NLinSolve, st.NKrylov = r.njac, r.njv, r.ndecomp, r.nsolve, r.nkrylov
	}
	if r := d.kr.rock; r != nil {
		st.NJv, st.NRho, st.MaxStages, st.NCapped = r.njv, r.nrho, r.maxStages, r.ncapped
	}
}

// acceptState moves the driver onto the end of an accepted step of size h
// ending at tEnd; hNext is the proposal for the next step.
func (d *driver) acceptState(h, tEnd, hNext float64) {
	d.res.Stats.Accepted++
	d.tPrev = d.t
	d.t = tEnd
	d.h = h
	d.y, d.y1 = d.y1, d.y // y1 now holds the step's start state
	d.k0Valid = false
	d.kSValid = d.tb.FSAL
	d.dense = false
	d.res.H = d.dir * hNext
	if d.kr.ros != nil {
		d.kr.ros.jacOK = false
	}
	if d.kr.rock != nil {
		d.kr.rock.accepted()
	}
}

// startStep makes k[0] = F(t, y) valid, reusing the FSAL stage or the end
// derivative of the previous step.
func (d *driver) startStep() {
	if d.k0Valid {
		return
	}
	kr := d.kr
	s := kr.s
	d.ensureKS()
	// Swap the end derivative into slot 0.
	if d.tb.FSAL {
		kr.k[0], kr.k[s-1] = kr.k[s-1], kr.k[0]
		kr.k[s] = kr.k[s-1]
	} else {
		kr.k[0], kr.k[s] = kr.k[s], kr.k[0]
	}
	d.k0Valid = true
	d.kSValid = false
}

// ensureKS makes k[s] = F(t, y) at the end of the last accepted step.
func (d *driver) ensureKS() {
	if d.kSValid {
		return
	}
	d.kr.f(d.t, d.y, d.kr.k[d.kr.s])
	d.kr.nfev++
	d.kSValid = true
}

// hinit is Hairer & Wanner's starting step (Solving ODEs I, §II.4), in the
// RMS norm with sc_i = ATol + RTol|y0_i|:
//
//	d0 = ‖y0‖, d1 = ‖f0‖, h0 = 0.01·d0/d1 (1e-6 if either is < 1e-5)
//	d2 = ‖F(t0 + h0, y0 + h0 f0) − f0‖ / h0
//	h1 = (0.01 / max(d1, d2))^(1/(p+1))   (max(1e-6, 1e-3 h0) if max ≤ 1e-15)
//	h  = min(100 h0, h1, MaxStep)
//
// with p the method's order. It costs one evaluation of F.
func (d *driver) hinit() float64 {
	kr := d.kr
	y0, f0 := d.y, kr.k[0]
	var dy, df float64
	for i, v := range y0 {
		sc := d.norm.ATol + d.norm.RTol*math.Abs(v)
		dy += (v / sc) * (v / sc)
		df += (f0[i] / sc) * (f0[i] / sc)
	}
	n := float64(len(y0))
	dy, df = math.Sqrt(dy/n), math.Sqrt(df/n)
	h0 := 1e-6
	if dy >= 1e-5 && df >= 1e-5 {
		h0 = 0.01 * dy / df
	}
	h0 = math.Min(h0, d.set.MaxStep)
	y1 := kr.ytmp
	for i := range y1 {
		y1[i] = y0[i] + d.dir*h0*f0[i]
	}
	f1 := kr.k[1]
	kr.f(d.t+d.dir*h0, y1, f1)
	kr.nfev++
	var d2 float64
	for i, v := range y0 {
		sc := d.norm.ATol + d.norm.RTol*math.Abs(v)
		r := (f1[i] - f0[i]) / sc
		d2 += r * r
	}
	d2 = math.Sqrt(d2/n) / h0
	if math.IsNaN(d2) || math.IsInf(d2, 0) {
		return h0
	}
	m := math.Max(df, d2)
	var h1 float64
	if m <= 1e-15 {
		h1 = math.Max(1e-6, h0*1e-3)
	} else {
		h1 = math.Pow(0.01/m, 1/float64(d.tb.Order+1))
	}
	return math.Min(math.Min(100*h0, h1), d.set.MaxStep)
}

package integrators

import (
	"context"
	"errors"
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
}

// Settings tunes Solve. A nil *Settings means all defaults; a zero field
// means its documented default.
type Settings struct {
	// RTol and ATol are the relative and absolute tolerances of the error
	// norm (see ErrorNorm). Defaults 1e-6 and 1e-9; negative values are
	// invalid.
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
	// Default 100000.
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
	// Resume, if non-nil, continues a run from a State taken by
	// StepInfo.State (same Problem, method, times and settings): the run
	// starts at Resume.T with Resume.Y instead of T0 and Y0 (T0 still
	// anchors fixed steps), reports only the output times after Resume.T,
	// and takes exactly the steps the original run would have taken. H0 is
	// ignored.
	Resume *State
}

// Stats counts the work done by Solve.
type Stats struct {
	NFev     int // evaluations of F
	Accepted int // accepted steps
	Rejected int // rejected step attempts
}

// Result is the outcome of Solve.
type Result struct {
	// T are the output times reached, in order; Y[i] is the state at T[i].
	// The rows of Y share one backing array.
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
}

const (
	defaultRTol     = 1e-6
	defaultATol     = 1e-9
	defaultMaxSteps = 100000
	defaultEventTol = 1e-12
	epsilon         = 0x1p-52
	// maxNonFinite consecutive rejections caused by NaN/Inf end the run.
	maxNonFinite = 10
)

// Solve integrates p with method m and returns the states at the requested
// output times, which must lie in [T0, T1] and be ordered in the direction
// of integration. With no times the outputs are T0 and the end point.
// Output values between step ends come from the method's dense output;
// steps are never shortened to hit output times.
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

func invalid(format string, args ...any) error {
	return fmt.Errorf("integrators: %w: "+format, append([]any{ErrInvalid}, args...)...)
}

// driver holds one run's state; all buffers are allocated in newDriver.
type driver struct {
	p     Problem
	tb    *Tableau
	kr    *kernel
	set   Settings
	norm  ErrorNorm
	ctrl  Controller
	dir   float64 // +1 or −1
	fixed bool    // no step-size control

	t, h    float64 // current time; signed size of the last accepted step
	tPrev   float64 // start of the last accepted step
	y, y1   []float64
	k0Valid bool // k[0] = F(t, y)
	kSValid bool // k[s] = F(t, y) after an accepted step
	dense   bool // extra stages of the last accepted step evaluated

	times        []float64
	defaultTimes bool // times were not given: output T0 and the end point
	next         int  // index of the next output time
	res          *Result

	gPrev, gNew []float64
	hits        []eventHit
	yev         []float64
}

func newDriver(p Problem, m Method, times []float64, s *Settings) (*driver, error) {
	name := m.tab.Name
	if p.F == nil {
		return nil, invalid("%s: Problem.F is nil", name)
	}
	if len(p.Y0) == 0 {
		return nil, invalid("%s: Problem.Y0 is empty", name)
	}
	for i, v := range p.Y0 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, invalid("%s: Y0[%d] = %g is not finite", name, i, v)
		}
	}
	if math.IsNaN(p.T0) || math.IsInf(p.T0, 0) || math.IsNaN(p.T1) || math.IsInf(p.T1, 0) {
		return nil, invalid("%s: interval [%g, %g] is not finite", name, p.T0, p.T1)
	}
	if p.T0 == p.T1 {
		return nil, invalid("%s: empty interval T0 = T1 = %g", name, p.T0)
	}
	var set Settings
	if s != nil {
		set = *s
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"RTol", set.RTol}, {"ATol", set.ATol}, {"H0", set.H0}, {"MaxStep", set.MaxStep},
		{"MinStep", set.MinStep}, {"Dt", set.Dt}, {"EventTol", set.EventTol}} {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return nil, invalid("%s: Settings.%s = %g, want a finite value ≥ 0", name, f.name, f.v)
		}
	}
	if set.MaxSteps < 0 {
		return nil, invalid("%s: Settings.MaxSteps = %d, want ≥ 0", name, set.MaxSteps)
	}
	if set.RTol == 0 {
		set.RTol = defaultRTol
	}
	if set.ATol == 0 {
		set.ATol = defaultATol
	}
	if set.MaxSteps == 0 {
		set.MaxSteps = defaultMaxSteps
	}
	if set.EventTol == 0 {
		set.EventTol = defaultEventTol
	}
	span := math.Abs(p.T1 - p.T0)
	if set.MaxStep == 0 {
		set.MaxStep = span
	}
	if set.MinStep > set.MaxStep {
		return nil, invalid("%s: Settings.MinStep = %g exceeds MaxStep = %g", name, set.MinStep, set.MaxStep)
	}
	if c := set.Controller; c != nil {
		if !(c.Safety > 0 && c.Safety <= 1) || !(c.FacMin > 0 && c.FacMin < 1) || !(c.FacMax > 1) ||
			!(c.Q > 0) || !(c.Beta1 > 0) || !(c.Beta2 >= 0) || math.IsInf(c.FacMax, 0) {
			return nil, invalid("%s: Settings.Controller %+v: want 0 < Safety ≤ 1, 0 < FacMin < 1 < FacMax < ∞, Q > 0, Beta1 > 0, Beta2 ≥ 0",
				name, *c)
		}
	}
	fixed := !m.tab.Adaptive() || set.Dt > 0
	if fixed && set.Dt == 0 {
		return nil, invalid("%s is a fixed-step method: Settings.Dt must be > 0", name)
	}
	for i, e := range set.Events {
		if e.G == nil {
			return nil, invalid("%s: Settings.Events[%d].G is nil", name, i)
		}
		if e.Direction < -1 || e.Direction > 1 {
			return nil, invalid("%s: Settings.Events[%d].Direction = %d, want -1, 0 or 1", name, i, e.Direction)
		}
	}
	dir := 1.0
	if p.T1 < p.T0 {
		dir = -1
	}
	if set.Resume != nil {
		if err := validateResume(name, p, set.Resume); err != nil {
			return nil, err
		}
	}
	for i, t := range times {
		if math.IsNaN(t) || (t-p.T0)*dir < 0 || (t-p.T1)*dir > 0 {
			return nil, invalid("%s: output time times[%d] = %g outside [%g, %g]", name, i, t, p.T0, p.T1)
		}
		if i > 0 && (t-times[i-1])*dir < 0 {
			return nil, invalid("%s: output times not ordered in the direction of integration at times[%d] = %g", name, i, t)
		}
	}
	n := len(p.Y0)
	d := &driver{
		p: p, tb: m.tab, set: set, dir: dir, fixed: fixed,
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
	copy(d.y, p.Y0)
	if len(times) == 0 {
		times = []float64{p.T0, p.T1}
		d.defaultTimes = true
	}
	d.times = times
	res := &Result{T: make([]float64, 0, len(times)), Y: make([][]float64, len(times))}
	back := make([]float64, n*len(times))
	for i := range res.Y {
		res.Y[i] = back[i*n : (i+1)*n : (i+1)*n]
	}
	res.YEnd = make([]float64, n)
	d.res = res
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

// fail ends the run with status st and an error naming t and h.
func (d *driver) fail(st Status, h float64, format string, args ...any) (*Result, error) {
	d.finish(st)
	msg := fmt.Sprintf(format, args...)
	err := fmt.Errorf("integrators: %s: %w at t=%g with step h=%g after %d steps (%d rejected): %s",
		d.tb.Name, st.Err(), d.t, h, d.res.Stats.Accepted, d.res.Stats.Rejected, msg)
	return d.res, err
}

func (d *driver) finish(st Status) {
	d.res.Status = st
	d.res.TEnd = d.t
	copy(d.res.YEnd, d.y)
	d.res.Stats.NFev = d.kr.nfev
	if d.defaultTimes && (len(d.res.T) == 0 || d.res.T[len(d.res.T)-1] != d.t) {
		i := len(d.res.T)
		copy(d.res.Y[i], d.y)
		d.res.T = append(d.res.T, d.t)
	}
	// Keep only the rows that were filled.
	d.res.Y = d.res.Y[:len(d.res.T)]
}

func (d *driver) run(ctx context.Context) (*Result, error) {
	p, kr, res := d.p, d.kr, d.res
	d.t = p.T0
	rs := d.set.Resume
	if rs != nil {
		d.resume(rs)
	}
	// Outputs at T0.
	for rs == nil && d.next < len(d.times) && d.times[d.next] == p.T0 {
		d.emit(p.T0, d.y)
	}
	if err := ctx.Err(); err != nil {
		r, e := d.fail(Cancelled, 0, "before the first step")
		return r, errors.Join(e, err)
	}
	kr.f(d.t, d.y, kr.k[0])
	if rs == nil || !rs.EndDerivative {
		kr.nfev++
	}
	d.k0Valid = true
	if !allFinite(kr.k[0]) {
		return d.fail(NonFinite, 0, "F(t0, y0) is not finite")
	}
	for i, e := range d.set.Events {
		d.gPrev[i] = e.G(d.t, d.y)
	}

	span := math.Abs(p.T1 - p.T0)
	var hAbs float64 // proposed |h| for the next attempt
	var nFixed int
	switch {
	case d.fixed:
		r := span / d.set.Dt
		nFixed = int(math.Ceil(r - 1e-10))
		if nFixed < 1 {
			nFixed = 1
		}
		hAbs = d.set.Dt
	case rs != nil:
		hAbs = math.Abs(rs.H)
	case d.set.H0 > 0:
		hAbs = d.set.H0
	default:
		hAbs = d.hinit()
	}
	hAbs = math.Min(hAbs, d.set.MaxStep)
	d.res.H = d.dir * hAbs

	attempts, nonFinite := res.Stats.Accepted+res.Stats.Rejected, 0
	for {
		if attempts >= d.set.MaxSteps {
			return d.fail(MaxStepsReached, d.dir*hAbs, "Settings.MaxSteps = %d", d.set.MaxSteps)
		}
		d.startStep()
		// Step size and end of this attempt.
		var h, tEnd float64
		last := false
		if d.fixed {
			nAcc := res.Stats.Accepted
			if nAcc+1 >= nFixed {
				tEnd, last = p.T1, true
			} else {
				tEnd = p.T0 + d.dir*float64(nAcc+1)*d.set.Dt
			}
			h = tEnd - d.t
		} else {
			h = d.dir * hAbs
			if (d.t+1.01*h-p.T1)*d.dir >= 0 {
				h, tEnd, last = p.T1-d.t, p.T1, true
			} else {
				tEnd = d.t + h
			}
		}
		attempts++
		errm := kr.step(d.t, h, tEnd, d.y, d.y1, !d.fixed)

		if d.fixed {
			if !allFinite(d.y1) {
				return d.fail(NonFinite, h, "the new state is not finite")
			}
		} else {
			if !allFinite(d.y1) {
				errm = math.Inf(1)
			}
			ok, fac := d.ctrl.Accept(errm)
			// fac, h and MaxStep are finite and positive: plain
			// comparisons (math.Min/Max are calls on amd64).
			hNew := math.Abs(h) * fac
			if hNew > d.set.MaxStep {
				hNew = d.set.MaxStep
			}
			if !ok {
				res.Stats.Rejected++
				bad := math.IsInf(errm, 0) || math.IsNaN(errm)
				if bad {
					nonFinite++
					if nonFinite >= maxNonFinite {
						return d.fail(NonFinite, h, "%d consecutive step attempts produced NaN/Inf", nonFinite)
					}
				} else {
					nonFinite = 0
				}
				hmin := math.Max(d.set.MinStep, 16*epsilon*math.Abs(d.t))
				if hNew < hmin || hNew == 0 {
					if bad {
						return d.fail(NonFinite, h, "F or the state is NaN/Inf for every step down to |h| = %g", hNew)
					}
					return d.fail(StepUnderflow, h, "controller asked for |h| = %g below the minimum %g", hNew, hmin)
				}
				hAbs = hNew
				continue
			}
			nonFinite = 0
			if hmin := 16 * epsilon * math.Abs(tEnd); !last && (hNew < hmin || hNew < d.set.MinStep) {
				hmin = max(hmin, d.set.MinStep)
				d.acceptState(h, tEnd, hNew)
				d.outputs(d.t)
				return d.fail(StepUnderflow, hNew, "controller asked for |h| = %g below the minimum %g", hNew, hmin)
			}
			// A step shortened to land on T1 keeps the earlier proposal,
			// so that Result.H suits a resumed run.
			if !last || math.Abs(h) >= hAbs {
				hAbs = hNew
			}
		}
		if d.fixed {
			hAbs = d.set.Dt
		}
		d.acceptState(h, tEnd, hAbs)

		stopT, terminal := d.t, false
		if len(d.set.Events) > 0 {
			stopT, terminal = d.events()
		}
		if terminal {
			// Outputs up to the event, then end there.
			d.outputs(stopT)
			d.interp(stopT, d.yev)
			d.t = stopT
			copy(d.y, d.yev)
			if err := d.record(); err != nil {
				return d.fail(Stopped, h, "%v", err)
			}
			d.finish(EventTerminated)
			return d.res, nil
		}
		d.outputs(d.t)
		if err := d.record(); err != nil {
			return d.fail(Stopped, h, "%v", err)
		}
		if last {
			d.finish(Success)
			return d.res, nil
		}
		if err := ctx.Err(); err != nil {
			r, e := d.fail(Cancelled, h, "context: %v", err)
			return r, errors.Join(e, err)
		}
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

// interp writes the dense output of the last accepted step at time tt.
func (d *driver) interp(tt float64, dst []float64) {
	if tt == d.t {
		copy(dst, d.y)
		return
	}
	if tt == d.tPrev {
		copy(dst, d.y1)
		return
	}
	d.ensureKS()
	if !d.dense && len(d.tb.ExtraC) > 0 {
		d.kr.extra(d.tPrev, d.h, d.y1)
	}
	d.dense = true
	theta := (tt - d.tPrev) / d.h
	d.kr.interpolate(dst, theta, d.h, d.y1)
}

// outputs fills the output times in (tPrev, upto].
func (d *driver) outputs(upto float64) {
	for d.next < len(d.times) {
		tt := d.times[d.next]
		if (tt-upto)*d.dir > 0 {
			return
		}
		i := len(d.res.T)
		d.interp(tt, d.res.Y[i])
		d.res.T = append(d.res.T, tt)
		d.next++
	}
}

// emit records an output at tt with state y (only used at T0).
func (d *driver) emit(tt float64, y []float64) {
	i := len(d.res.T)
	copy(d.res.Y[i], y)
	d.res.T = append(d.res.T, tt)
	d.next++
}

func (d *driver) record() error {
	if d.set.Recorder == nil {
		return nil
	}
	d.res.Stats.NFev = d.kr.nfev
	return d.set.Recorder.Record(StepInfo{T0: d.tPrev, T1: d.t, Y: d.y, Stats: d.res.Stats, d: d})
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

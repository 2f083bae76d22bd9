package integrators

import (
	"context"
	"errors"
	"math"
)

// run integrates from T0 (or the resumed state) to T1: start, then the
// fixed-step or the adaptive loop. Both loops end every accepted step with
// endStep (events, outputs, Recorder, cancellation).
func (d *driver) run(ctx context.Context) (*Result, error) {
	if err := d.start(ctx); err != nil {
		return d.res, err
	}
	if d.fixed {
		return d.res, d.runFixed(ctx)
	}
	return d.res, d.runAdaptive(ctx)
}

// start moves the driver onto T0 or the resumed state, delivers the
// outputs at T0, checks the context, evaluates k[0] = F(t, y) and the event
// functions there. A non-nil error means the run ended (see fail).
func (d *driver) start(ctx context.Context) error {
	d.t = d.p.T0
	rs := d.set.Resume
	if rs != nil {
		d.resume(rs)
	} else if tt, err := d.outputs(d.p.T0); err != nil {
		return d.fail(Stopped, 0, err, "output at t=%g: ", tt)
	}
	if err := ctx.Err(); err != nil {
		return errors.Join(d.fail(Cancelled, 0, nil, "before the first step"), err)
	}
	kr := d.kr // after resume, which may switch auto's kernel
	kr.f(d.t, d.y, kr.k[0])
	if rs == nil || !rs.EndDerivative {
		kr.nfev++
	}
	d.k0Valid = true
	if !allFinite(kr.k[0]) {
		return d.fail(NonFinite, 0, nil, "F(t0, y0) is not finite")
	}
	for i, e := range d.set.Events {
		d.gPrev[i] = e.G(d.t, d.y)
	}
	return nil
}

// runFixed takes the d.nFixed steps of a fixed-step run: step n ends at
// T0 + n·Dt, the last one at T1. The count was checked against MaxSteps
// before the run.
func (d *driver) runFixed(ctx context.Context) error {
	p, res := d.p, d.res
	d.res.H = d.dir * math.Min(d.set.Dt, d.set.MaxStep)
	for {
		d.startStep()
		nAcc := res.Stats.Accepted
		tEnd, last := p.T1, true
		if nAcc+1 < d.nFixed {
			tEnd, last = p.T0+d.dir*float64(nAcc+1)*d.set.Dt, false
		}
		h := tEnd - d.t
		if r := d.kr.rock; r != nil {
			if _, err := r.prepare(d.t, d.y, d.kr.k[0], math.Abs(h), true); err != nil {
				return d.fail(SpectralRadiusFailed, h, err, "")
			}
		}
		d.kr.step(d.t, h, tEnd, d.y, d.y1, false)
		if r := d.kr.ros; r != nil && r.lastError != nil {
			return d.fail(LinearSolveFailed, h, r.lastError, "with fixed steps: ")
		}
		if !allFinite(d.y1) {
			return d.fail(NonFinite, h, nil, "the new state is not finite")
		}
		d.acceptState(h, tEnd, d.set.Dt)
		if done, err := d.endStep(ctx, h, last); done {
			return err
		}
	}
}

// runAdaptive steps under error control: each attempt's error measure goes
// to the controller, which accepts the step or asks for a smaller one, and
// proposes the next step size.
func (d *driver) runAdaptive(ctx context.Context) error {
	p, res := d.p, d.res
	var hAbs float64 // proposed |h| for the next attempt
	switch {
	case d.set.Resume != nil:
		hAbs = math.Abs(d.set.Resume.H)
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
			return d.fail(MaxStepsReached, d.dir*hAbs, nil, "Settings.MaxSteps = %d", d.set.MaxSteps)
		}
		d.startStep()
		if r := d.kr.rock; r != nil {
			var err error
			if hAbs, err = r.prepare(d.t, d.y, d.kr.k[0], hAbs, false); err != nil {
				return d.fail(SpectralRadiusFailed, d.dir*hAbs, err, "")
			}
		}
		// Step size and end of this attempt: a step that would end within
		// 1% of a step of T1 ends on T1.
		h, tEnd, last := d.dir*hAbs, 0.0, false
		if (d.t+1.01*h-p.T1)*d.dir >= 0 {
			h, tEnd, last = p.T1-d.t, p.T1, true
		} else {
			tEnd = d.t + h
		}
		attempts++
		errm := d.kr.step(d.t, h, tEnd, d.y, d.y1, true)
		if !allFinite(d.y1) {
			errm = math.Inf(1)
		}
		ok, fac := d.ctrl.Accept(errm)
		if !ok && d.kr.ros != nil && d.kr.ros.lastError != nil {
			fac = 0.5 // the linear solver failed: halve the step (Hairer's rodas.f)
		}
		// fac, h and MaxStep are finite and positive: plain comparisons
		// (math.Min/Max are calls on amd64).
		hNew := math.Abs(h) * fac
		if hNew > d.set.MaxStep {
			hNew = d.set.MaxStep
		}
		if !ok {
			if err := d.reject(h, hNew, errm, &nonFinite); err != nil {
				return err
			}
			hAbs = hNew
			continue
		}
		nonFinite = 0
		if hmin := 16 * epsilon * math.Abs(tEnd); !last && (hNew < hmin || hNew < d.set.MinStep) {
			// The step is good but the next one would be too small:
			// keep the step and its outputs, then stop.
			hmin = max(hmin, d.set.MinStep)
			d.acceptState(h, tEnd, hNew)
			if tt, err := d.outputs(d.t); err != nil {
				return d.fail(Stopped, h, err, "output at t=%g: ", tt)
			}
			return d.fail(StepUnderflow, hNew, nil, "controller asked for |h| = %g below the minimum %g", hNew, hmin)
		}
		// A step shortened to land on T1 keeps the earlier proposal, so
		// that Result.H suits a resumed run.
		if !last || math.Abs(h) >= hAbs {
			hAbs = hNew
		}
		d.acceptState(h, tEnd, hAbs)
		if st := &d.stiff; st.every > 0 && !last && (st.above > 0 || res.Stats.Accepted%st.every == 0) {
			d.stiffCheck(h)
		}
		if d.auto != nil && d.auto.mode == 1 && !last {
			d.calmCheck(h)
		}
		if done, err := d.endStep(ctx, h, last); done {
			return err
		}
		if d.auto != nil {
			d.autoDecide()
		}
	}
}

// reject counts a rejected attempt of size h with error measure errm and
// returns a non-nil error if the run must end: too many NaN/Inf attempts
// in a row (counted in *nonFinite), or a retry size hNew below the minimum
// step.
func (d *driver) reject(h, hNew, errm float64, nonFinite *int) error {
	d.res.Stats.Rejected++
	if r := d.kr.rock; r != nil {
		r.rejected()
	}
	if r := d.kr.ros; r != nil && r.lastError != nil {
		return d.rejectLinear(h, r)
	}
	bad := math.IsInf(errm, 0) || math.IsNaN(errm)
	if bad {
		*nonFinite++
		if *nonFinite >= maxNonFinite {
			return d.fail(NonFinite, h, nil, "%d consecutive step attempts produced NaN/Inf", *nonFinite)
		}
	} else {
		*nonFinite = 0
	}
	hmin := math.Max(d.set.MinStep, 16*epsilon*math.Abs(d.t))
	if hNew < hmin || hNew == 0 {
		if bad {
			return d.fail(NonFinite, h, nil, "F or the state is NaN/Inf for every step down to |h| = %g", hNew)
		}
		return d.fail(StepUnderflow, h, nil, "controller asked for |h| = %g below the minimum %g", hNew, hmin)
	}
	return nil
}

// endStep finishes an accepted step of size h (last: it ended on T1):
// events, outputs, the Recorder, then the end of the run or a check of
// the context. done reports that the run ended, with err its error.
func (d *driver) endStep(ctx context.Context, h float64, last bool) (done bool, err error) {
	stopT, terminal := d.t, false
	if len(d.set.Events) > 0 {
		stopT, terminal = d.events()
	}
	if tt, err := d.outputs(stopT); err != nil {
		return true, d.fail(Stopped, h, err, "output at t=%g: ", tt)
	}
	if terminal {
		// End at the event.
		d.interp(stopT, d.yev)
		d.t = stopT
		copy(d.y, d.yev)
	}
	if err := d.record(); err != nil {
		return true, d.fail(Stopped, h, err, "")
	}
	switch {
	case terminal:
		d.finish(EventTerminated)
		return true, nil
	case last:
		d.finish(Success)
		return true, nil
	}
	if err := ctx.Err(); err != nil {
		return true, errors.Join(d.fail(Cancelled, h, nil, "context: %v", err), err)
	}
	return false, nil
}

// rejectLinear handles an attempt whose linear systems could not be
// solved (r.lastError): the step is halved by the caller; maxLinFail
// failures in a row end the run with status LinearSolveFailed.
func (d *driver) rejectLinear(h float64, r *rosenbrock) error {
	if r.linFail >= maxLinFail {
		return d.fail(LinearSolveFailed, h, r.lastError, "%d step sizes in a row: ", r.linFail)
	}
	if math.Abs(h)/2 < math.Max(d.set.MinStep, 16*epsilon*math.Abs(d.t)) {
		return d.fail(LinearSolveFailed, h, r.lastError, "down to the minimum step: ")
	}
	return nil
}

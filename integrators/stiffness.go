package integrators

import "math"

// Stiffness detection (Hairer's test in DOPRI5 and DOP853; Hairer &
// Wanner, Solving ODEs II, §IV.2, "Automatic stiffness detection"). The
// last main stage of dopri5 and dop853 is evaluated at t + h on a state
// ŷ that is, like y1, an approximation at t + h; so
//
//	h·ρ ≈ h ‖F(t+h, y1) − F(t+h, ŷ)‖ / ‖y1 − ŷ‖
//
// estimates h times the dominant eigenvalue of ∂F/∂y. When it exceeds a
// bound near the boundary of the method's stability region (3.25 for
// dopri5, 6.1 for dop853, Hairer's values) in stiffCount tests in a row
// (with no stiffCalm tests below it in between), the step size is
// limited by stability, not by accuracy: the problem is stiff there.
// As in Hairer's codes the test runs every stiffEvery accepted steps,
// and at every step once a test has found h·ρ above the bound.

// stiffTest configures the test for a tableau: slot is the stage at
// t + h whose argument ŷ the kernel leaves in ytmp; bound is the value of
// h·ρ above which a step counts as stiff. The zero value disables it.
type stiffTest struct {
	slot  int
	bound float64
}

const (
	// stiffCount consecutive tests above the bound declare stiffness
	// (Hairer's 15).
	stiffCount = 15
	// stiffCalm tests below the bound reset the count (Hairer's 6).
	stiffCalm = 6
	// stiffEvery is the test interval in accepted steps (Hairer's
	// default NSTIFF = 1000): a test costs two passes over the state.
	stiffEvery = 1000
)

// Stiffness reports where a run was found to be stiff.
type Stiffness struct {
	// T is the end of the step at which the test declared stiffness.
	T float64
	// HRho is the estimate of h·ρ(∂F/∂y) at that step, and Bound the
	// method's bound (3.25 for dopri5, 6.1 for dop853).
	HRho, Bound float64
	// Step is the number of accepted steps at detection.
	Step int
}

// stiffState is the driver's part of the test.
type stiffState struct {
	every    int     // test interval; 0: no test
	above    int     // tests above the bound in a row (Hairer's IASTI)
	below    int     // tests below the bound since the last one above (NONSTI)
	lastHRho float64 // the last estimate
}

// stiffCheck runs the test (when due: every stiffEvery accepted steps, or
// after a test above the bound) on an accepted step of size h that does
// not end on T1, right after acceptState (d.y = y1, ytmp = ŷ) and before its
// outputs and events (whose dense output may overwrite ytmp). It needs
// F(t+h, y1): the FSAL stage, or the end derivative that the next step
// evaluates anyway (so the evaluation counts do not change, except when a
// terminal event ends the run at a tested step).
func (d *driver) stiffCheck(h float64) {
	st := &d.stiff
	d.ensureKS()
	kr := d.kr
	n := len(d.y)
	hr, ok := hRho(h, d.y, kr.ytmp[:n], kr.k[kr.s][:n], kr.k[d.tb.stiff.slot][:n])
	if !ok {
		return
	}
	st.lastHRho = hr
	if hr > d.tb.stiff.bound {
		st.below = 0
		st.above++
		if st.above == stiffCount && d.res.Stiffness == nil && d.auto == nil {
			d.res.Stiffness = &Stiffness{T: d.t, HRho: hr, Bound: d.tb.stiff.bound, Step: d.res.Stats.Accepted}
		}
		return
	}
	st.below++
	if st.below == stiffCalm {
		st.above = 0
	}
}

// hRho is Hairer's estimate of h·ρ(J) from two states and their
// derivatives: |h|·‖F(y1) − F(ŷ)‖ / ‖y1 − ŷ‖ (y1 the step's end, yt the
// other state, f1 and fh their F). ok is false when the states coincide.
func hRho(h float64, y1, yt, f1, fh []float64) (hr float64, ok bool) {
	var num, den float64
	for i, v := range y1 {
		r := v - yt[i]
		den += r * r
		q := f1[i] - fh[i]
		num += q * q
	}
	if !(den > 0) {
		return 0, false
	}
	return math.Abs(h) * math.Sqrt(num/den), true
}

package integrators

import (
	"fmt"
	"math"
)

// State is the complete state of a run after an accepted step: with it as
// Settings.Resume, Solve continues the run exactly as if it had never
// stopped — the same steps, the same bits, the same Stats — because it
// restores everything the next step depends on: t, y, the proposed step
// size, the PI controller's memory and the counters.
//
// The derivative F(T, Y) that begins the next step (the FSAL stage, or the
// end derivative a dense output evaluated) is not stored: a resumed run
// evaluates it again, which gives the same bits because F is a function of
// (t, y), and EndDerivative says whether the original run had already
// counted that evaluation in Stats.NFev, so the counts match too.
type State struct {
	// T and Y are the end of the last accepted step.
	T float64
	Y []float64
	// H is the signed step size proposed for the next attempt (Result.H).
	H float64
	// ErrPrev and Rejected are the PI controller's memory (see Controller).
	ErrPrev  float64
	Rejected bool
	// Stats are the counters after the step (NFev includes evaluations
	// made by dense output within the step).
	Stats Stats
	// EndDerivative is true if F(T, Y) had already been evaluated (and
	// counted) when the state was taken.
	EndDerivative bool
	// StiffAbove and StiffBelow are the counters of the stiffness test
	// (dopri5, dop853), so that a resumed run detects stiffness at the
	// same step.
	StiffAbove int `json:",omitempty"`
	StiffBelow int `json:",omitempty"`
	// Auto is auto's current method: 0 dopri5, 1 rodas4.
	Auto int `json:",omitempty"`
	// Rock is rock4's spectral-radius estimate (nil for other methods).
	Rock *RockState `json:",omitempty"`
	// Stiffness is Result.Stiffness so far (nil: not detected), so that a
	// resumed run still reports a detection made before the state was
	// taken.
	Stiffness *Stiffness `json:",omitempty"`
}

// State returns the run's state at the end of this step. Call it inside
// Record after any Interpolate calls of the step (so that the counters
// include them); Y is copied into dst.Y, reusing its storage when it has
// the right length, and rock4's state into dst.Rock, reusing it, so
// repeated calls need not allocate (a copy to keep: State.Clone).
func (s StepInfo) State(dst *State) {
	d := s.d
	if len(dst.Y) != len(d.y) {
		dst.Y = make([]float64, len(d.y))
	}
	copy(dst.Y, d.y)
	dst.T = d.t
	dst.H = d.res.H
	dst.ErrPrev = d.ctrl.errPrev
	dst.Rejected = d.ctrl.rejected
	d.syncStats()
	dst.Stats = d.res.Stats
	dst.EndDerivative = d.kSValid
	dst.StiffAbove, dst.StiffBelow = d.stiff.above, d.stiff.below
	dst.Stiffness = d.res.Stiffness // set once per run, never modified: shared
	if r := d.kr.rock; r != nil {
		if dst.Rock == nil {
			dst.Rock = &RockState{}
		}
		rs := dst.Rock
		rs.Rho, rs.Age, rs.Unchecked = r.rho, r.age, r.unseen
		rs.Vec = rs.Vec[:0]
		if r.haveVec {
			rs.Vec = append(rs.Vec, r.vec...)
		}
	} else {
		dst.Rock = nil
	}
	if a := d.auto; a != nil {
		dst.Auto = a.mode
		if a.mode == 1 {
			dst.StiffBelow = a.calm
		}
	}
}

// validateResume checks st against the problem p (already validated).
func validateResume(name string, p Problem, st *State) error {
	if len(st.Y) != len(p.Y0) {
		return invalid("%s: Settings.Resume has %d state values, want %d", name, len(st.Y), len(p.Y0))
	}
	if !allFinite(st.Y) {
		return invalid("%s: Settings.Resume.Y is not finite", name)
	}
	dir := 1.0
	if p.T1 < p.T0 {
		dir = -1
	}
	if !((st.T-p.T0)*dir >= 0 && (st.T-p.T1)*dir < 0) {
		return invalid("%s: Settings.Resume.T = %g outside the interval from %g (included) to %g (excluded)", name, st.T, p.T0, p.T1)
	}
	if st.H == 0 || math.IsNaN(st.H) || math.IsInf(st.H, 0) || (st.H > 0) != (p.T1 > p.T0) {
		return invalid("%s: Settings.Resume.H = %g, want a finite step in the direction of integration", name, st.H)
	}
	if st.Stats.NFev < 0 || st.Stats.Accepted < 0 || st.Stats.Rejected < 0 {
		return invalid("%s: Settings.Resume.Stats %+v has negative counts", name, st.Stats)
	}
	if rs := st.Rock; rs != nil && (len(rs.Vec) != 0 && len(rs.Vec) != len(p.Y0) || !(rs.Rho >= 0) || math.IsInf(rs.Rho, 0) || rs.Age < 0 || rs.Unchecked < 0 || !allFinite(rs.Vec)) {
		return invalid("%s: Settings.Resume.Rock (ρ = %g, age %d, %d eigenvector values) is not a rock4 state for %d unknowns", name, rs.Rho, rs.Age, len(rs.Vec), len(p.Y0))
	}
	if math.IsNaN(st.ErrPrev) || st.ErrPrev < 0 {
		return invalid("%s: Settings.Resume.ErrPrev = %g, want ≥ 0", name, st.ErrPrev)
	}
	return nil
}

// String summarises the state for messages.
func (st *State) String() string {
	return fmt.Sprintf("t=%g h=%g after %d steps (%d rejected, %d evaluations)",
		st.T, st.H, st.Stats.Accepted, st.Stats.Rejected, st.Stats.NFev)
}

// resume moves a fresh driver onto st (validated by newDriver): time,
// state, controller memory, counters, and the next output time after st.T.
func (d *driver) resume(st *State) {
	if a := d.auto; a != nil && st.Auto == 1 {
		d.switchTo(1) // before the controller and counters are restored
	}
	d.t = st.T
	copy(d.y, st.Y)
	d.ctrl.setMemory(st.ErrPrev, st.Rejected)
	d.res.Stats = st.Stats
	d.kr.nfev = st.Stats.NFev
	if r := d.kr.rock; r != nil && st.Rock != nil {
		r.njv, r.nrho, r.maxStages, r.ncapped = st.Stats.NJv, st.Stats.NRho, st.Stats.MaxStages, st.Stats.NCapped
		r.age, r.unseen, r.checked = st.Rock.Age, st.Rock.Unchecked, true
		r.haveVec = len(st.Rock.Vec) == len(r.vec)
		if r.haveVec {
			copy(r.vec, st.Rock.Vec)
		}
		if r.bound == 0 {
			r.rho, r.valid = st.Rock.Rho, r.haveVec
		}
	}
	if r := d.ros; r != nil {
		r.njac, r.njv, r.ndecomp, r.nsolve, r.nkrylov = st.Stats.NJac, st.Stats.NJv, st.Stats.NDecomp, st.Stats.NLinSolve, st.Stats.NKrylov
	}
	d.res.H = st.H
	d.stiff.above, d.stiff.below = st.StiffAbove, st.StiffBelow
	if st.Stiffness != nil {
		c := *st.Stiffness
		d.res.Stiffness = &c
	}
	if a := d.auto; a != nil && st.Auto == 1 {
		a.calm = st.StiffBelow
	}
	for d.next < len(d.times) && (d.times[d.next]-st.T)*d.dir <= 0 {
		d.next++
	}
	if d.auto != nil {
		// The state was taken before the switch that ended its step.
		d.autoDecide()
	}
}

// Clone returns a deep copy of s: its Y and rock4's state (Rock) are its
// own, so that a later StepInfo.State into s, which reuses that storage,
// does not change the copy. Stiffness, set once per run and never
// modified, is shared.
func (s *State) Clone() *State {
	c := *s
	c.Y = append([]float64(nil), s.Y...)
	if s.Rock != nil {
		r := *s.Rock
		r.Vec = append([]float64(nil), s.Rock.Vec...)
		c.Rock = &r
	}
	return &c
}

// RockState is rock4's part of a State: the spectral radius it uses (the
// estimate times the safety factor, or Settings.SpectralRadius), the
// accepted steps since it was estimated, the rejected steps since a user
// bound was last checked, and the power iteration's last eigenvector
// (empty if none), its warm start.
type RockState struct {
	Rho       float64
	Age       int
	Unchecked int       `json:",omitempty"`
	Vec       []float64 `json:",omitempty"`
}

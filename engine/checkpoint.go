package engine

// This file lets a caller checkpoint a running flow and continue it later
// bit-identically (FlowSpec.Checkpoint).

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/grd-engine/grd/integrators"
)

// FlowState is a flow's progress at a consistent point: the output rows
// recorded so far and, for the deterministic flows (gd, ngd, grd), the
// integrator's complete state after the last accepted step whose output
// times were all recorded. Passed back as FlowCheckpoint.Resume it lets
// RunFlow continue the flow so that the finished Trajectory is
// bit-identical (rows and counters) to that of an uninterrupted run.
//
// The ensemble flows (sgd, sde, cd) have no intermediate state: they are
// run again from the start, which, their randomness depending only on the
// seed, gives the same bits.
type FlowState struct {
	// Flow is the flow's name.
	Flow string
	// Rows holds the rows recorded (its counters, Status and Err are not
	// used).
	Rows *Trajectory
	// Solver is the integrator's state after the last accepted step; nil
	// means the flow must start over.
	Solver *integrators.State
	// LastLoss and LastLossT are the last finite loss and its time (used in
	// fault messages).
	LastLoss, LastLossT float64
}

// FlowCheckpoint connects RunFlow to a caller that checkpoints: it carries
// the state to resume from and hands out snapshots of a running flow. A
// FlowCheckpoint serves one RunFlow call; Request and Latest may be called
// from any goroutine.
type FlowCheckpoint struct {
	// Resume, if non-nil, continues the flow from this state instead of
	// starting at w0 (the FlowSpec must be the one of the original run).
	Resume *FlowState

	want   atomic.Bool
	mu     sync.Mutex
	latest *FlowState
}

// Request asks the running flow for a snapshot at its next consistent
// point (the end of the next accepted step); Latest then returns it. It
// costs the flow one copy of its rows.
func (c *FlowCheckpoint) Request() { c.want.Store(true) }

// Latest returns the most recent snapshot (nil if none yet). After RunFlow
// returns a flow that did not reach t1, Latest is the state at the last
// consistent point before it stopped (nil: start over).
func (c *FlowCheckpoint) Latest() *FlowState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.latest
}

func (c *FlowCheckpoint) set(s *FlowState) {
	c.mu.Lock()
	c.latest = s
	c.mu.Unlock()
}

// odeCheckpoint is a deterministic flow's checkpoint bookkeeping: the
// integrator state after the last step whose outputs were all recorded.
type odeCheckpoint struct {
	c                   *FlowCheckpoint
	st                  integrators.State
	next                int
	lastLoss, lastLossT float64
	valid               bool
}

// ckStep records the consistent state at the end of an accepted step and
// delivers a snapshot if one was requested. It allocates only then (and on
// the first step).
func (f *odeFlow) ckStep(s integrators.StepInfo) {
	ck := f.ck
	if ck == nil {
		return
	}
	s.State(&ck.st)
	ck.next, ck.lastLoss, ck.lastLossT, ck.valid = f.next, f.lastLoss, f.lastLossT, true
	if ck.c.want.Swap(false) {
		ck.c.set(f.ckSnapshot())
	}
}

// ckSnapshot copies the consistent state.
func (f *odeFlow) ckSnapshot() *FlowState {
	ck := f.ck
	if !ck.valid {
		return nil
	}
	st := ck.st
	st.Y = append([]float64(nil), ck.st.Y...)
	return &FlowState{Flow: f.flow, Rows: copyRows(f.tr, ck.next), Solver: &st, LastLoss: ck.lastLoss, LastLossT: ck.lastLossT}
}

// ckFinish leaves the final state in the checkpoint of a flow that did not
// reach t1.
func (f *odeFlow) ckFinish() {
	if f.ck != nil && f.tr.Status != StatusOK {
		f.ck.c.set(f.ckSnapshot())
	}
}

// ckResume prepares f to continue from spec.Checkpoint.Resume: it restores
// the rows and returns the integrator state, or nil (start over) when
// there is nothing to resume. m is the length of the integrated state.
func (f *odeFlow) ckResume(spec *FlowSpec, m int) (*integrators.State, error) {
	c := spec.Checkpoint
	if c == nil {
		return nil, nil
	}
	f.ck = &odeCheckpoint{c: c}
	rs := c.Resume
	if rs == nil || rs.Solver == nil || rs.Rows == nil {
		return nil, nil
	}
	rows, K := rs.Rows, len(spec.Times)
	n := rows.Len()
	switch {
	case rs.Flow != spec.Flow:
		return nil, fmt.Errorf("engine: cannot resume the %s flow from a state of the %s flow", spec.Flow, rs.Flow)
	case n < 1 || n > K:
		return nil, fmt.Errorf("engine: %s flow: resume state has %d rows, want 1 to %d", spec.Flow, n, K)
	case len(rs.Solver.Y) != m:
		return nil, fmt.Errorf("engine: %s flow: resume state has %d state values, want %d", spec.Flow, len(rs.Solver.Y), m)
	case len(rows.W) != n || len(rows.Loss) != n:
		return nil, fmt.Errorf("engine: %s flow: resume state has ragged rows", spec.Flow)
	}
	for k := range n {
		if rows.T[k] != spec.Times[k] || len(rows.W[k]) != f.d {
			return nil, fmt.Errorf("engine: %s flow: resume state row %d (t=%g, %d weights) does not match output time %g with %d weights",
				spec.Flow, k, rows.T[k], len(rows.W[k]), spec.Times[k], f.d)
		}
	}
	if !(rs.Solver.T >= rows.T[n-1]) || (n < K && !(rs.Solver.T < spec.Times[n])) {
		return nil, fmt.Errorf("engine: %s flow: resume state at t=%g does not lie between output %d (t=%g) and the next", spec.Flow, rs.Solver.T, n-1, rows.T[n-1])
	}
	r := copyRows(rows, n)
	tr := f.tr
	tr.T, tr.W, tr.Loss, tr.GradNorm, tr.KL = r.T, r.W, r.Loss, r.GradNorm, r.KL
	tr.U, tr.NGDDefect, tr.R0, tr.R1, tr.R2, tr.EpsLambdaMax = r.U, r.NGDDefect, r.R0, r.R1, r.R2, r.EpsLambdaMax
	f.next, f.lastLoss, f.lastLossT = n, rs.LastLoss, rs.LastLossT
	st := *rs.Solver
	st.Y = append([]float64(nil), rs.Solver.Y...)
	f.ck.st, f.ck.next, f.ck.lastLoss, f.ck.lastLossT, f.ck.valid = st, n, rs.LastLoss, rs.LastLossT, true
	return &st, nil
}

// copyRows returns a deep copy of the first n rows of every per-time slice
// of tr (a nil slice stays nil).
func copyRows(tr *Trajectory, n int) *Trajectory {
	v := func(x []float64) []float64 {
		if x == nil {
			return nil
		}
		return append([]float64(nil), x[:min(n, len(x))]...)
	}
	m := func(x [][]float64) [][]float64 {
		if x == nil {
			return nil
		}
		out := make([][]float64, min(n, len(x)))
		for i := range out {
			out[i] = append([]float64(nil), x[i]...)
		}
		return out
	}
	return &Trajectory{Flow: tr.Flow, T: v(tr.T), W: m(tr.W), Loss: v(tr.Loss), GradNorm: v(tr.GradNorm),
		KL: v(tr.KL), KLStd: v(tr.KLStd), WStd: m(tr.WStd), LossStd: v(tr.LossStd),
		U: m(tr.U), NGDDefect: v(tr.NGDDefect), R0: v(tr.R0), R1: v(tr.R1), R2: v(tr.R2),
		EpsLambdaMax: v(tr.EpsLambdaMax)}
}

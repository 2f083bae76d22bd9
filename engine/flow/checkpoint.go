package flow

// This file lets a caller checkpoint a running flow and continue it later
// bit-identically (Spec.Checkpoint).

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/grd-engine/grd/integrators"
)

// State is a flow's progress at a consistent point: the output rows
// recorded so far and, for the deterministic flows (gd, ngd, grd), the
// integrator's complete state after the last accepted step whose output
// times were all recorded. Passed back as Checkpoint.Resume it lets
// Run continue the flow so that the finished Trajectory is
// bit-identical (rows and counters) to that of an uninterrupted run.
//
// For the ensemble flows (sgd, sde, cd) Ensemble holds the accumulator of
// the runs completed in run order and the state of the runs in progress at
// a step boundary (Rows and engine.Solver are nil).
type State struct {
	// Flow is the flow's name.
	Flow Name
	// Rows holds the rows recorded (its counters, Status and Err are not
	// used).
	Rows *Trajectory
	// Solver is the integrator's state after the last accepted step; nil
	// means the flow must start over.
	Solver *integrators.State
	// LastLoss and LastLossT are the last finite loss and its time (used in
	// fault messages).
	LastLoss, LastLossT float64
	// Ensemble is an ensemble flow's state (nil for the others).
	Ensemble *EnsembleState
	// LambdaStart is the warm start of the ε·λ_max monitor's Lanczos at
	// the last recorded output (see engine.Geometry.LambdaMaxFrom); nil
	// when there is none (resuming without it changes only the last bits
	// of later ε·λ_max values).
	LambdaStart []float64
	// RHSPasses, DiagnosticPasses and MonitorPasses are the pass counts of
	// the diagnostics' budget (Monitor) at the snapshot; resuming without
	// them (a checkpoint from an older grd) may monitor other rows.
	RHSPasses, DiagnosticPasses, MonitorPasses int64
}

// Checkpoint connects Run to a caller that checkpoints: it carries
// the state to resume from and hands out snapshots of a running flow. A
// Checkpoint serves one Run call; Request and Latest may be called
// from any goroutine.
type Checkpoint struct {
	// Resume, if non-nil, continues the flow from this state instead of
	// starting at w0 (the Spec must be the one of the original run).
	Resume *State

	// EnsembleStep, if non-nil, is called by every run of an ensemble flow
	// after each of its steps with the run index and the steps it has
	// taken, from the run's goroutine (concurrently for different runs).
	// It lets tests interrupt an ensemble at a deterministic point.
	EnsembleStep func(run, step int)

	want   atomic.Bool
	gen    atomic.Uint64 // ensembles: bumped by Request
	mu     sync.Mutex
	latest *State
	ens    *ensembleCk
}

// Request asks the running flow for a snapshot at its next consistent
// point (the end of the next accepted step; for an ensemble, the end of
// the next step of each run in progress); Latest then returns it. It
// costs the flow one copy of its rows (of each run's).
func (c *Checkpoint) Request() {
	c.want.Store(true)
	c.gen.Add(1)
}

// Latest returns the most recent snapshot (nil if none yet). After Run
// returns a flow that did not reach t1, Latest is the state at the last
// consistent point before it stopped (nil: start over). For an ensemble it
// is assembled at the call: the runs completed in run order and the latest
// state of each later run (runs interrupted by the context deliver theirs
// when they stop).
func (c *Checkpoint) Latest() *State {
	c.mu.Lock()
	ens := c.ens
	latest := c.latest
	c.mu.Unlock()
	if ens != nil {
		return &State{Flow: latest.Flow, Ensemble: ens.state()}
	}
	return latest
}

func (c *Checkpoint) set(s *State) {
	c.mu.Lock()
	c.latest = s
	c.mu.Unlock()
}

// odeCheckpoint is a deterministic flow's checkpoint bookkeeping: the
// integrator state after the last step whose outputs were all recorded.
type odeCheckpoint struct {
	c                   *Checkpoint
	st                  integrators.State
	next                int
	lastLoss, lastLossT float64
	lm                  []float64 // f.lmStart at the step's end
	passes              [3]int64  // f.rhsPasses, f.diagPasses, f.monPasses there
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
	ck.passes = [3]int64{f.rhsPasses, f.diagPasses, f.monPasses}
	if f.lmStart != nil {
		ck.lm = append(ck.lm[:0], f.lmStart...)
	}
	if ck.c.want.Swap(false) {
		ck.c.set(f.ckSnapshot())
	}
}

// ckSnapshot copies the consistent state.
func (f *odeFlow) ckSnapshot() *State {
	ck := f.ck
	if !ck.valid {
		return nil
	}
	st := ck.st.Clone() // ckStep reuses ck.st's storage (Y, rock4's state)
	var lm []float64
	if ck.lm != nil {
		lm = append([]float64(nil), ck.lm...)
	}
	return &State{Flow: f.flow, Rows: copyRows(f.tr, ck.next), Solver: st, LastLoss: ck.lastLoss, LastLossT: ck.lastLossT, LambdaStart: lm,
		RHSPasses: ck.passes[0], DiagnosticPasses: ck.passes[1], MonitorPasses: ck.passes[2]}
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
func (f *odeFlow) ckResume(spec *Spec, m int) (*integrators.State, error) {
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
	st := rs.Solver.Clone() // ckStep reuses f.ck.st's storage: never the caller's
	f.ck.st, f.ck.next, f.ck.lastLoss, f.ck.lastLossT, f.ck.valid = *st.Clone(), n, rs.LastLoss, rs.LastLossT, true
	f.rhsPasses, f.diagPasses, f.monPasses = rs.RHSPasses, rs.DiagnosticPasses, rs.MonitorPasses
	f.uncounted = st.EndDerivative // integrators.driver.start re-evaluates it without counting
	f.ck.passes = [3]int64{rs.RHSPasses, rs.DiagnosticPasses, rs.MonitorPasses}
	if f.lmStart != nil && len(rs.LambdaStart) == f.d {
		copy(f.lmStart, rs.LambdaStart)
		f.ck.lm = append([]float64(nil), rs.LambdaStart...)
	}
	return st, nil
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

// EnsembleState is an ensemble flow's (sgd, sde, cd) progress: the
// Welford accumulator of the runs folded so far — runs 0 … Folded−1, all
// complete, folded in run order — and the state of later runs that had
// started or finished (a run without an entry starts afresh, which gives
// the same bits: its randomness depends only on the seed and its index).
type EnsembleState struct {
	// Folded is the number of runs in the accumulator (runs 0 … Folded−1).
	Folded int
	// Cnt, Mean, M2, LMean, LM2, KLMean, KLM2 are the accumulator (per
	// output row: runs folded that reached it; means and centred sums of
	// squares of w (K·d), the loss and KL (K)).
	Cnt                                []int
	Mean, M2, LMean, LM2, KLMean, KLM2 []float64
	// Rows is the number of rows every folded run reached; Steps the steps
	// taken over the folded runs.
	Rows, Steps int
	// Runs are the later runs' states, in run order.
	Runs []EnsembleRun
}

// EnsembleRun is one ensemble run at a step boundary: Step steps taken
// (its output rows 0 … Out−1 recorded), everything the next step depends
// on, and the rows recorded so far.
type EnsembleRun struct {
	Run, Step, Out int
	// W is the current weight vector.
	W []float64
	// RNG is the run's PCG state (rand.PCG.MarshalBinary).
	RNG []byte
	// Perm and Pos are the epoch's permutation and the position of the
	// next batch in it (sgd with batch < N, cd; nil otherwise).
	Perm []int
	Pos  int
	// Chains are the persistent chains of PCD (nil otherwise).
	Chains []float64
	// RowW (Out·d), Loss and KL (Out) are the rows recorded.
	RowW, Loss, KL []float64
	// LastLoss and LastT are the last finite loss and its time (used in
	// fault messages).
	LastLoss, LastT float64
}

// ensembleCk is an ensemble flow's checkpoint bookkeeping: the reducer and
// the latest state of every run that is not yet folded.
type ensembleCk struct {
	c    *Checkpoint
	rd   *ensembleReducer
	d, k int
	mu   sync.Mutex
	runs map[int]*EnsembleRun
}

// put records the state of run r (nil: forget it).
func (e *ensembleCk) put(r int, s *EnsembleRun) {
	e.mu.Lock()
	if s == nil {
		delete(e.runs, r)
	} else {
		e.runs[r] = s
	}
	e.mu.Unlock()
}

// state assembles the ensemble's consistent state: the accumulator of the
// complete runs folded in order (before the first run that stopped early)
// and the latest state of every later run.
func (e *ensembleCk) state() *EnsembleState {
	rd := e.rd
	rd.mu.Lock()
	defer rd.mu.Unlock()
	acc := rd.clean
	if acc == nil {
		acc = rd.accState()
	}
	st := *acc
	e.mu.Lock()
	defer e.mu.Unlock()
	for r := st.Folded; r < len(rd.pending); r++ {
		if s := e.runs[r]; s != nil {
			st.Runs = append(st.Runs, *s)
		}
	}
	return &st
}

// accState copies the reducer's accumulator (rd.mu held).
func (rd *ensembleReducer) accState() *EnsembleState {
	cp := func(x []float64) []float64 { return append([]float64(nil), x...) }
	return &EnsembleState{Folded: rd.next, Cnt: append([]int(nil), rd.cnt...),
		Mean: cp(rd.mean), M2: cp(rd.m2), LMean: cp(rd.lmean), LM2: cp(rd.lm2), KLMean: cp(rd.klmean), KLM2: cp(rd.klm2),
		Rows: rd.rows, Steps: rd.steps}
}

// restore sets the reducer's accumulator from s (checked by checkEnsemble).
func (rd *ensembleReducer) restore(s *EnsembleState) {
	rd.next, rd.rows, rd.steps = s.Folded, s.Rows, s.Steps
	copy(rd.cnt, s.Cnt)
	copy(rd.mean, s.Mean)
	copy(rd.m2, s.M2)
	copy(rd.lmean, s.LMean)
	copy(rd.lm2, s.LM2)
	copy(rd.klmean, s.KLMean)
	copy(rd.klm2, s.KLM2)
}

// checkEnsemble checks that s fits the ensemble of spec (d weights, K
// output times, R runs, total steps at jOut).
func checkEnsemble(s *EnsembleState, spec *Spec, d int, jOut []int) error {
	K, R := len(jOut), spec.Ensemble.Runs
	bad := func(format string, a ...any) error {
		return fmt.Errorf("engine: %s flow: resume state: "+format, append([]any{spec.Flow}, a...)...)
	}
	switch {
	case s.Folded < 0 || s.Folded > R:
		return bad("%d runs folded, want 0 to %d", s.Folded, R)
	case len(s.Cnt) != K || len(s.LMean) != K || len(s.LM2) != K || len(s.KLMean) != K || len(s.KLM2) != K:
		return bad("accumulator for %d rows, want %d", len(s.Cnt), K)
	case len(s.Mean) != K*d || len(s.M2) != K*d:
		return bad("accumulator of %d weights, want %d", len(s.Mean), K*d)
	case s.Rows < 0 || s.Rows > K:
		return bad("%d rows, want 0 to %d", s.Rows, K)
	}
	prev := s.Folded - 1
	for _, r := range s.Runs {
		switch {
		case r.Run <= prev || r.Run >= R:
			return bad("run %d out of order or range (want %d to %d)", r.Run, prev+1, R-1)
		case r.Out < 1 || r.Out > K || r.Step < jOut[r.Out-1] || (r.Out < K && r.Step > jOut[r.Out]):
			return bad("run %d: %d rows at step %d do not match the output steps", r.Run, r.Out, r.Step)
		case len(r.W) != d || len(r.RowW) != r.Out*d || len(r.Loss) != r.Out || len(r.KL) != r.Out:
			return bad("run %d: state of the wrong size", r.Run)
		case r.Perm != nil && (r.Pos < 0 || r.Pos > len(r.Perm)):
			return bad("run %d: epoch position %d out of range", r.Run, r.Pos)
		}
		prev = r.Run
	}
	return nil
}

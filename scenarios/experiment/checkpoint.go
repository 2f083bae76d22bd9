package experiment

// Checkpoints: a run that is interrupted (its context canceled by SIGINT or
// SIGTERM) or that runs long leaves a checkpoint file from which a later
// Run continues, producing outputs bit-identical to an uninterrupted run.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/grd-engine/grd/engine/flow"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/integrators"
	"github.com/grd-engine/grd/internal/outfile"
)

// CheckpointFile is the name of the checkpoint file in the output directory.
const CheckpointFile = "checkpoint.gob"

// CheckpointFormat is the version of the checkpoint file format. A file of
// another format is refused. Format 2 adds the state of the ensemble flows
// (format 1 restarted them).
const CheckpointFormat = 2

// DefaultCheckpointEvery is the interval of periodic checkpoints when
// CheckpointOptions.Every is 0.
const DefaultCheckpointEvery = 30 * time.Second

// checkpointMagic starts every checkpoint file.
const checkpointMagic = "grd-checkpoint\n"

// ErrCheckpoint is wrapped by every error about a checkpoint file that
// cannot be used (unreadable, another format, another grd version, another
// scenario).
var ErrCheckpoint = errors.New("unusable checkpoint")

// CheckpointOptions makes Run write checkpoints and continue from one.
type CheckpointOptions struct {
	// Dir is the directory the checkpoint file (CheckpointFile) is written
	// into: the run's output directory. Required.
	Dir string
	// Every is the interval of periodic checkpoints; 0 means
	// DefaultCheckpointEvery, a negative value none (a checkpoint is still
	// written when the run is interrupted).
	Every time.Duration
	// Version is the grd version, recorded in the checkpoint; a checkpoint
	// of another version is refused.
	Version string
	// Resume, if non-nil, is a checkpoint (ReadCheckpoint) to continue.
	Resume *Checkpoint
	// ReadOnly makes Run resume from Resume but never write a checkpoint:
	// the ranks other than 0 of a distributed run (RunOptions.Comm), where
	// rank 0 alone writes.
	ReadOnly bool

	// stepHook, if set (tests), is called on every accepted integrator
	// step of the deterministic flows, after the step's rows are recorded.
	stepHook func(fl string, s integrators.StepInfo)
	// ensembleHook, if set (tests), is called after every step of every
	// run of the ensemble flows (flow.Checkpoint.EnsembleStep).
	ensembleHook func(fl string, run, step int)
	// tick, if set (tests), replaces the ticker of periodic checkpoints:
	// each value received saves one.
	tick <-chan time.Time
}

// Checkpoint is the content of a checkpoint file: what identifies the run
// and, per flow, either its finished trajectory or where it stopped.
//
// The file is CheckpointFile in the output directory: the line
// "grd-checkpoint", then a gob stream (encoding/gob) of this struct. Format
// is CheckpointFormat; files of other formats, grd versions or scenarios
// are refused. It is written atomically (outfile.WriteAtomic).
type Checkpoint struct {
	// Format is CheckpointFormat.
	Format int
	// Version is the grd version that wrote it.
	Version string
	// ScenarioHash is the SHA-256 of the filled scenario's JSON, w0, the
	// data and the quadratic samples (as exact bits); Source is where the
	// scenario was read from (an absolute file path or builtin:<name>).
	ScenarioHash, Source string
	// Epsilon is the ε of the run (a check that the set-up is the same).
	Epsilon float64
	// Flows holds one entry per flow of the scenario, in its order.
	Flows []CheckpointFlow
	// Written is when the checkpoint was written (for messages only).
	Written time.Time
}

// CheckpointFlow is one flow's entry in a checkpoint.
type CheckpointFlow struct {
	// Flow is the flow's name.
	Flow string
	// Done: the flow finished (reached t1 or failed numerically); Rows is
	// its trajectory and Status, Err and the counters are final.
	Done   bool
	Status string
	Err    string
	// NFev, Steps, Rejected are the final counters (Done only); Seconds is
	// the wall time spent on the flow so far.
	NFev, Steps, Rejected int
	Seconds               float64
	// Rows are the rows recorded (Done) or recorded up to the resume point.
	Rows *Rows
	// Solver is the integrator state to continue from (deterministic flows
	// that are not done; nil: start the flow over).
	Solver              *integrators.State
	LastLoss, LastLossT float64
	// LambdaStart is the ε·λ_max monitor's warm start (flow.State).
	LambdaStart []float64
	// Ensemble is the state of an ensemble flow (sgd, sde, cd) that is not
	// done: the runs completed in run order, folded, and the runs in
	// progress at a step boundary (nil: start the flow over).
	Ensemble *flow.EnsembleState
}

// Rows are the per-time slices of a trajectory, as stored in a checkpoint.
type Rows struct {
	T, Loss, GradNorm, KL, KLStd, LossStd, NGDDefect, R0, R1, R2, EpsLambdaMax []float64
	W, WStd, U                                                                 [][]float64
}

func rowsOf(tr *flow.Trajectory) *Rows {
	if tr == nil {
		return nil
	}
	return &Rows{T: tr.T, Loss: tr.Loss, GradNorm: tr.GradNorm, KL: tr.KL, KLStd: tr.KLStd, LossStd: tr.LossStd,
		NGDDefect: tr.NGDDefect, R0: tr.R0, R1: tr.R1, R2: tr.R2, EpsLambdaMax: tr.EpsLambdaMax,
		W: tr.W, WStd: tr.WStd, U: tr.U}
}

func (r *Rows) trajectory(fl string) *flow.Trajectory {
	if r == nil {
		return &flow.Trajectory{Flow: flow.Name(fl)}
	}
	return &flow.Trajectory{Flow: flow.Name(fl), T: r.T, Loss: r.Loss, GradNorm: r.GradNorm, KL: r.KL, KLStd: r.KLStd,
		LossStd: r.LossStd, NGDDefect: r.NGDDefect, R0: r.R0, R1: r.R1, R2: r.R2, EpsLambdaMax: r.EpsLambdaMax,
		W: r.W, WStd: r.WStd, U: r.U}
}

// setupHash returns the SHA-256 (hex) of everything a run computes from:
// the filled scenario's JSON, w0, the data (X, Y) and the quadratic
// samples, all as exact bits. Two runs with the same hash compute the same
// thing (with the same grd).
func setupHash(p *prepared) (string, error) {
	b, err := p.sc.JSON()
	if err != nil {
		return "", fmt.Errorf("scenarios: %s: hashing the scenario: %w", p.sc.Name, err)
	}
	h := sha256.New()
	h.Write(b)
	var buf [8]byte
	put := func(label string, xs []float64) {
		h.Write([]byte(label))
		binary.LittleEndian.PutUint64(buf[:], uint64(len(xs)))
		h.Write(buf[:])
		for _, x := range xs {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(x))
			h.Write(buf[:])
		}
	}
	put("w0", p.b.W0)
	if d := p.b.Data; d != nil {
		put("x", d.X)
		put("y", d.Y)
	}
	for _, q := range p.b.Quad {
		put("A", q.A)
		put("c", q.C)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ReadCheckpoint reads DIR/CheckpointFile. A missing file, a file that is
// not a checkpoint or of another format is an error wrapping ErrCheckpoint.
func ReadCheckpoint(dir string) (*Checkpoint, error) {
	path := filepath.Join(dir, CheckpointFile)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("scenarios: %w: %s does not exist (grd writes it when a run is interrupted; without one, start the run afresh)", ErrCheckpoint, path)
		}
		return nil, fmt.Errorf("scenarios: %w: %v", ErrCheckpoint, err)
	}
	return DecodeCheckpoint(bytes.NewReader(b), path)
}

// DecodeCheckpoint decodes a checkpoint file's content; name is used in
// messages. Errors wrap ErrCheckpoint.
func DecodeCheckpoint(r io.Reader, name string) (*Checkpoint, error) {
	magic := make([]byte, len(checkpointMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != checkpointMagic {
		return nil, fmt.Errorf("scenarios: %w: %s is not a grd checkpoint file", ErrCheckpoint, name)
	}
	var ck Checkpoint
	if err := gob.NewDecoder(r).Decode(&ck); err != nil {
		return nil, fmt.Errorf("scenarios: %w: %s is damaged or of another format: %v", ErrCheckpoint, name, err)
	}
	if ck.Format != CheckpointFormat {
		return nil, fmt.Errorf("scenarios: %w: %s has format %d, this grd reads format %d (finish the run with the grd that wrote it, or start afresh)",
			ErrCheckpoint, name, ck.Format, CheckpointFormat)
	}
	return &ck, nil
}

// Encode writes the checkpoint file's content.
func (ck *Checkpoint) Encode(w io.Writer) error {
	if _, err := io.WriteString(w, checkpointMagic); err != nil {
		return err
	}
	return gob.NewEncoder(w).Encode(ck)
}

// check reports whether ck can continue the prepared run p with grd
// version version.
func (ck *Checkpoint) check(p *prepared, version string) error {
	sc, eps := p.sc, p.eps
	if ck.Version != version {
		return fmt.Errorf("scenarios: %w: written by grd %s, this is grd %s (finish the run with grd %s, or start afresh)",
			ErrCheckpoint, ck.Version, version, ck.Version)
	}
	h, err := setupHash(p)
	if err != nil {
		return err
	}
	if h != ck.ScenarioHash {
		return fmt.Errorf("scenarios: %w: it belongs to another scenario or other data (%s, hash %.12s…; this is %s, hash %.12s…): resume with the scenario and data it was written for, or start afresh",
			ErrCheckpoint, ck.Source, ck.ScenarioHash, sc.Name, h)
	}
	if math.Float64bits(eps) != math.Float64bits(ck.Epsilon) {
		return fmt.Errorf("scenarios: %w: ε = %v here but %v when the checkpoint was written (the set-up does not reproduce)", ErrCheckpoint, eps, ck.Epsilon)
	}
	if len(ck.Flows) != len(sc.Flows) {
		return fmt.Errorf("scenarios: %w: %d flows, the scenario has %d", ErrCheckpoint, len(ck.Flows), len(sc.Flows))
	}
	for i, f := range ck.Flows {
		if f.Flow != sc.Flows[i] {
			return fmt.Errorf("scenarios: %w: flow %d is %s, the scenario's is %s", ErrCheckpoint, i, f.Flow, sc.Flows[i])
		}
	}
	return nil
}

// runCheckpoint is the checkpointing of one Run.
type runCheckpoint struct {
	opts   *CheckpointOptions
	header Checkpoint // Format, Version, ScenarioHash, Source, Epsilon

	mu    sync.Mutex
	flows map[string]*flowCk
	write sync.Mutex // serialises file writes
}

// flowCk is one flow's checkpoint bookkeeping.
type flowCk struct {
	ck      *flow.Checkpoint // nil for flows not started
	done    *flow.Trajectory // finished (ok or failed)
	prior   float64          // seconds spent before a resume
	started time.Time
	resumed *CheckpointFlow
}

// newRunCheckpoint sets up checkpointing of the prepared run p (nil if
// opts is nil), after checking a checkpoint to resume from.
func newRunCheckpoint(p *prepared, opts *CheckpointOptions) (*runCheckpoint, error) {
	if opts == nil {
		return nil, nil
	}
	if opts.Dir == "" {
		return nil, fmt.Errorf("scenarios: %s: CheckpointOptions.Dir is empty (want the output directory)", p.sc.Name)
	}
	h, err := setupHash(p)
	if err != nil {
		return nil, err
	}
	src := p.sc.Source()
	if src != "" && !strings.HasPrefix(src, "builtin:") {
		if a, err := filepath.Abs(src); err == nil {
			src = a
		}
	}
	rc := &runCheckpoint{opts: opts, flows: map[string]*flowCk{},
		header: Checkpoint{Format: CheckpointFormat, Version: opts.Version, ScenarioHash: h, Source: src, Epsilon: p.eps}}
	if r := opts.Resume; r != nil {
		if err := r.check(p, opts.Version); err != nil {
			return nil, err
		}
		for i := range r.Flows {
			f := &r.Flows[i]
			fc := &flowCk{resumed: f, prior: f.Seconds}
			if f.Done {
				tr := f.Rows.trajectory(f.Flow)
				tr.Status, tr.NFev, tr.Steps, tr.Rejected, tr.Seconds = flow.Status(f.Status), f.NFev, f.Steps, f.Rejected, f.Seconds
				if f.Err != "" {
					tr.Err = errors.New(f.Err)
				}
				fc.done = tr
			}
			rc.flows[f.Flow] = fc
		}
	}
	return rc, nil
}

// wrap returns run with checkpointing: flows finished in the checkpoint are
// not run again, and every finished flow is remembered.
func (rc *runCheckpoint) wrap(run flowRunner) flowRunner {
	if rc == nil {
		return run
	}
	return func(ctx context.Context, g *engine.Geometry, p *prepared, fl string, met engine.Metric, progress func(float64)) *flow.Trajectory {
		rc.mu.Lock()
		fc := rc.flows[fl]
		if fc == nil {
			fc = &flowCk{}
			rc.flows[fl] = fc
		}
		fc.started = time.Now()
		done := fc.done
		rc.mu.Unlock()
		if done != nil {
			if progress != nil {
				progress(1)
			}
			return done
		}
		tr := run(ctx, g, p, fl, met, progress)
		rc.mu.Lock()
		tr.Seconds += fc.prior
		if tr.Status != flow.StatusCanceled {
			fc.done = tr
		}
		rc.mu.Unlock()
		return tr
	}
}

// apply connects the engine's flow spec to the checkpoint (nil-safe).
func (rc *runCheckpoint) apply(spec *flow.Spec) {
	if rc == nil {
		return
	}
	c := &flow.Checkpoint{}
	rc.mu.Lock()
	fc := rc.flows[string(spec.Flow)]
	if fc == nil {
		fc = &flowCk{}
		rc.flows[string(spec.Flow)] = fc
	}
	if r := fc.resumed; r != nil && !r.Done && r.Solver != nil {
		c.Resume = &flow.State{Flow: flow.Name(r.Flow), Rows: r.Rows.trajectory(r.Flow), Solver: r.Solver,
			LastLoss: r.LastLoss, LastLossT: r.LastLossT, LambdaStart: r.LambdaStart}
	}
	if r := fc.resumed; r != nil && !r.Done && r.Ensemble != nil {
		c.Resume = &flow.State{Flow: flow.Name(r.Flow), Ensemble: r.Ensemble}
	}
	fc.ck = c
	rc.mu.Unlock()
	spec.Checkpoint = c
	if h := rc.opts.ensembleHook; h != nil {
		fl := spec.Flow
		c.EnsembleStep = func(run, step int) { h(string(fl), run, step) }
	}
	if h := rc.opts.stepHook; h != nil {
		fl, user := spec.Flow, spec.Settings.Recorder
		spec.Settings.Recorder = integrators.RecorderFunc(func(s integrators.StepInfo) error {
			h(string(fl), s)
			if user != nil {
				return user.Record(s)
			}
			return nil
		})
	}
}

// snapshot assembles the checkpoint from what every flow has delivered.
func (rc *runCheckpoint) snapshot(flows []string) *Checkpoint {
	ck := rc.header
	ck.Written = time.Now().UTC()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, name := range flows {
		e := CheckpointFlow{Flow: name}
		fc := rc.flows[name]
		switch {
		case fc == nil:
		case fc.done != nil:
			tr := fc.done
			e.Done, e.Status, e.NFev, e.Steps, e.Rejected, e.Seconds = true, string(tr.Status), tr.NFev, tr.Steps, tr.Rejected, tr.Seconds
			if tr.Err != nil {
				e.Err = tr.Err.Error()
			}
			e.Rows = rowsOf(tr)
		default:
			e.Seconds = fc.prior
			if !fc.started.IsZero() {
				e.Seconds += time.Since(fc.started).Seconds()
			}
			var st *flow.State
			if fc.ck != nil {
				st = fc.ck.Latest()
			}
			if r := fc.resumed; st == nil && r != nil && !r.Done && (r.Solver != nil || r.Ensemble != nil) {
				// Nothing new since the resume: keep the old state.
				e.Rows, e.Solver, e.LastLoss, e.LastLossT, e.Ensemble = r.Rows, r.Solver, r.LastLoss, r.LastLossT, r.Ensemble
				e.LambdaStart = r.LambdaStart
			} else if st != nil {
				e.Rows, e.Solver, e.LastLoss, e.LastLossT, e.Ensemble = rowsOf(st.Rows), st.Solver, st.LastLoss, st.LastLossT, st.Ensemble
				e.LambdaStart = st.LambdaStart
			}
		}
		ck.Flows = append(ck.Flows, e)
	}
	return &ck
}

// request asks every running deterministic flow for a fresh snapshot.
func (rc *runCheckpoint) request() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, fc := range rc.flows {
		if fc.ck != nil && fc.done == nil {
			fc.ck.Request()
		}
	}
}

// save writes the checkpoint file atomically.
func (rc *runCheckpoint) save(flows []string) error {
	if rc.opts.ReadOnly {
		return nil
	}
	ck := rc.snapshot(flows)
	rc.write.Lock()
	defer rc.write.Unlock()
	if err := os.MkdirAll(rc.opts.Dir, 0o755); err != nil {
		return fmt.Errorf("scenarios: writing the checkpoint: %w", err)
	}
	if err := outfile.WriteAtomic(rc.opts.Dir, CheckpointFile, ck.Encode); err != nil {
		return fmt.Errorf("scenarios: writing the checkpoint: %w", err)
	}
	return nil
}

// around runs body (the flows) with periodic checkpoints every
// opts.Every (the snapshots requested at one tick are written at the next)
// and writes the final checkpoint, or removes a stale one, at the end. The
// error is that of a checkpoint write (nil-safe: without checkpointing it
// only runs body).
func (rc *runCheckpoint) around(flows []string, body func() []*flow.Trajectory) ([]*flow.Trajectory, error) {
	if rc == nil {
		return body(), nil
	}
	every := rc.opts.Every
	if every == 0 {
		every = DefaultCheckpointEvery
	}
	stop, done := make(chan struct{}), make(chan struct{})
	var perr error
	go func() {
		defer close(done)
		if every < 0 {
			return
		}
		ticks := rc.opts.tick
		if ticks == nil {
			tick := time.NewTicker(every)
			defer tick.Stop()
			ticks = tick.C
		}
		rc.request()
		for {
			select {
			case <-stop:
				return
			case <-ticks:
				if err := rc.save(flows); err != nil && perr == nil {
					perr = err
				}
				rc.request()
			}
		}
	}()
	trs := body()
	close(stop)
	<-done
	return trs, errors.Join(perr, rc.finish(flows, trs))
}

// finish writes the final checkpoint when some flow was interrupted, and
// removes a stale checkpoint file otherwise (nothing is left to resume).
func (rc *runCheckpoint) finish(flows []string, trs []*flow.Trajectory) error {
	interrupted := false
	for _, tr := range trs {
		if tr.Status == flow.StatusCanceled {
			interrupted = true
		}
	}
	if interrupted {
		return rc.save(flows)
	}
	err := os.Remove(filepath.Join(rc.opts.Dir, CheckpointFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("scenarios: removing the finished run's checkpoint: %w", err)
	}
	return nil
}

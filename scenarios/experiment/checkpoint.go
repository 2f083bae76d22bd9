package experiment

// Checkpoints: a run that is interrupted (its context canceled by SIGINT or
// SIGTERM) or that runs long leaves a checkpoint file from which a later
// Run continues, producing outputs bit-identical to an uninterrupted run.

import (
	"bufio"
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
	"slices"
	"strconv"
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
// (format 1 restarted them); format 3 frames the gob stream with its
// length and a SHA-256 checksum (DecodeCheckpoint).
const CheckpointFormat = 3

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
// "grd-checkpoint", the line "format 3", the length of the gob stream
// (encoding/gob) of this struct, the stream, and a SHA-256 checksum of
// everything before it (see DecodeCheckpoint). Format
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
	// Set lists the scenario's command-line overrides (--set KEY=VALUE,
	// scenarios.Scenario.OverrideStrings) in order; a resume must give
	// the same ones.
	Set []string
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
	// RHSPasses and DiagnosticPasses are the pass counts of the
	// diagnostics' budget (flow.Monitor): final (Done) or at the resume
	// point (with MonitorPasses); MonitorTol the monitor's tolerance
	// (Done only).
	RHSPasses, DiagnosticPasses, MonitorPasses int64
	MonitorTol                                 float64
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
	if ds := p.b.Dataset; ds != nil {
		if err := ds.WriteBits(h); err != nil { // the whole data set's, also on a rank holding a shard
			return "", fmt.Errorf("scenarios: %s: hashing the data: %w", p.sc.Name, err)
		}
	} else if d := p.b.Data; d != nil {
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
// not a checkpoint, of another format or damaged (DecodeCheckpoint) is an
// error wrapping ErrCheckpoint. Only a regular file is read (a symlink to
// /dev/zero or a FIFO is refused, not read forever).
func ReadCheckpoint(dir string) (*Checkpoint, error) {
	path := filepath.Join(dir, CheckpointFile)
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("scenarios: %w: %s does not exist (grd writes it when a run is interrupted; without one, start the run afresh)", ErrCheckpoint, path)
		}
		return nil, fmt.Errorf("scenarios: %w: %v", ErrCheckpoint, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w: %v", ErrCheckpoint, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("scenarios: %w: %s is not a regular file (%s)", ErrCheckpoint, path, fi.Mode().Type())
	}
	return DecodeCheckpoint(bufio.NewReader(f), path)
}

// The checkpoint file's frame (format 3 on):
//
//	"grd-checkpoint\n"                the magic line (checkpointMagic)
//	"format 3\n"                      the format line (CheckpointFormat, decimal)
//	n                                 the payload's length, 8 bytes little-endian
//	payload                           n bytes: the encoding/gob stream of a Checkpoint
//	SHA-256                           32 bytes over everything before it
//
// and nothing after it. Formats 1 and 2 had no format line: the gob stream
// followed the magic at once.
const (
	checkpointFormatLine = "format "
	// maxFormatLine bounds the format line read before it is checked.
	maxFormatLine = 32
)

// DecodeCheckpoint decodes a checkpoint file's content; name is used in
// messages. Every byte is checked: a file that is not a checkpoint, of
// another format, truncated, with trailing bytes, or whose checksum does
// not match (a damaged file) is refused with an error wrapping
// ErrCheckpoint. It reads no further than the frame says (plus one byte,
// to see that the file ends there), and buffers the payload as it arrives,
// so a damaged length cannot make it allocate more than the input holds.
func DecodeCheckpoint(r io.Reader, name string) (*Checkpoint, error) {
	h := sha256.New()
	tr := io.TeeReader(r, h)
	damaged := func(format string, a ...any) error {
		return fmt.Errorf("scenarios: %w: %s is damaged: %s (start the run afresh without --resume)", ErrCheckpoint, name, fmt.Sprintf(format, a...))
	}
	magic := make([]byte, len(checkpointMagic))
	if _, err := io.ReadFull(tr, magic); err != nil || string(magic) != checkpointMagic {
		return nil, fmt.Errorf("scenarios: %w: %s is not a grd checkpoint file", ErrCheckpoint, name)
	}
	line := make([]byte, 0, maxFormatLine)
	one := make([]byte, 1)
	for len(line) < maxFormatLine {
		if _, err := io.ReadFull(tr, one); err != nil || one[0] == '\n' {
			break
		}
		line = append(line, one[0])
	}
	rest, ok := strings.CutPrefix(string(line), checkpointFormatLine)
	format, err := strconv.Atoi(rest)
	if !ok || err != nil || one[0] != '\n' {
		return nil, fmt.Errorf("scenarios: %w: %s has no format line: it was written by an older grd (format 1 or 2, without a checksum) or is damaged; this grd reads format %d (finish the run with the grd that wrote it, or start afresh)",
			ErrCheckpoint, name, CheckpointFormat)
	}
	if format != CheckpointFormat {
		return nil, fmt.Errorf("scenarios: %w: %s has format %d, this grd reads format %d (finish the run with the grd that wrote it, or start afresh)",
			ErrCheckpoint, name, format, CheckpointFormat)
	}
	var nb [8]byte
	if _, err := io.ReadFull(tr, nb[:]); err != nil {
		return nil, damaged("truncated in the header")
	}
	n := binary.LittleEndian.Uint64(nb[:])
	var payload bytes.Buffer
	if got, err := io.CopyN(&payload, tr, int64(min(n, math.MaxInt64))); err != nil {
		return nil, damaged("the payload has %d bytes, the header says %d", got, n)
	}
	want := h.Sum(nil)
	sum := make([]byte, sha256.Size)
	if _, err := io.ReadFull(r, sum); err != nil {
		return nil, damaged("truncated before the checksum")
	}
	if !bytes.Equal(sum, want) {
		return nil, damaged("the SHA-256 checksum does not match the content")
	}
	if k, _ := io.ReadFull(r, one); k != 0 {
		return nil, damaged("trailing bytes after the checksum")
	}
	var ck Checkpoint
	pr := bytes.NewReader(payload.Bytes())
	if err := gob.NewDecoder(pr).Decode(&ck); err != nil {
		return nil, damaged("%v", err)
	}
	if pr.Len() != 0 {
		return nil, damaged("%d bytes after the checkpoint in the payload", pr.Len())
	}
	if ck.Format != CheckpointFormat {
		return nil, fmt.Errorf("scenarios: %w: %s has format %d inside a format %d frame (start afresh)",
			ErrCheckpoint, name, ck.Format, CheckpointFormat)
	}
	return &ck, nil
}

// Encode writes the checkpoint file's content: the frame described at
// DecodeCheckpoint around the gob encoding of ck.
func (ck *Checkpoint) Encode(w io.Writer) error {
	var payload bytes.Buffer
	if err := gob.NewEncoder(&payload).Encode(ck); err != nil {
		return err
	}
	var frame bytes.Buffer
	frame.WriteString(checkpointMagic)
	fmt.Fprintf(&frame, "%s%d\n", checkpointFormatLine, CheckpointFormat)
	var nb [8]byte
	binary.LittleEndian.PutUint64(nb[:], uint64(payload.Len()))
	frame.Write(nb[:])
	frame.Write(payload.Bytes())
	sum := sha256.Sum256(frame.Bytes())
	frame.Write(sum[:])
	_, err := w.Write(frame.Bytes())
	return err
}

// resumeEpsTol is the relative difference between the ε of a checkpoint
// and the ε recomputed at resume that is put down to a different number
// of MPI ranks (the ranks' sums are regrouped; measured ≤ 1e-15) rather
// than to another set-up.
const resumeEpsTol = 1e-10

// check reports whether ck can continue the prepared run p with grd
// version version. A recomputed ε within resumeEpsTol of the checkpoint's
// (another number of ranks) is replaced, in p, by the checkpoint's.
func (ck *Checkpoint) check(p *prepared, version string) error {
	sc, eps := p.sc, p.eps
	if ck.Version != version {
		return fmt.Errorf("scenarios: %w: written by grd %s, this is grd %s (finish the run with grd %s, or start afresh)",
			ErrCheckpoint, ck.Version, version, ck.Version)
	}
	if set := sc.OverrideStrings(); !slices.Equal(set, ck.Set) {
		return fmt.Errorf("scenarios: %w: the run was started with %s, this one has %s: resume with the same overrides (grd run --resume DIR without --set repeats the checkpoint's)",
			ErrCheckpoint, describeSet(ck.Set), describeSet(set))
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
		if !(math.Abs(eps-ck.Epsilon) <= resumeEpsTol*math.Abs(ck.Epsilon)) {
			return fmt.Errorf("scenarios: %w: ε = %v here but %v when the checkpoint was written (the set-up does not reproduce)", ErrCheckpoint, eps, ck.Epsilon)
		}
		// Another number of MPI ranks regroups the sums of λ_max(D(w0))
		// (README, "Distributed runs"): the run goes on with the ε it
		// started with.
		p.eps, p.met.Epsilon = ck.Epsilon, ck.Epsilon
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
	src := p.sc.Origin() // builtin:NAME or an absolute path: Open resolves it from anywhere
	rc := &runCheckpoint{opts: opts, flows: map[string]*flowCk{},
		header: Checkpoint{Format: CheckpointFormat, Version: opts.Version, ScenarioHash: h, Source: src, Set: p.sc.OverrideStrings(), Epsilon: p.eps}}
	if r := opts.Resume; r != nil {
		if err := r.check(p, opts.Version); err != nil {
			return nil, err
		}
		rc.header.Epsilon = p.eps
		for i := range r.Flows {
			f := &r.Flows[i]
			fc := &flowCk{resumed: f, prior: f.Seconds}
			if f.Done {
				tr := f.Rows.trajectory(f.Flow)
				tr.Status, tr.NFev, tr.Steps, tr.Rejected, tr.Seconds = flow.Status(f.Status), f.NFev, f.Steps, f.Rejected, f.Seconds
				tr.RHSPasses, tr.DiagnosticPasses, tr.MonitorTol = f.RHSPasses, f.DiagnosticPasses, f.MonitorTol
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
	return func(ctx context.Context, g *engine.Geometry, p *prepared, fl string, met engine.Metric, progress progressFunc) *flow.Trajectory {
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
				progress(1, lastLoss(done))
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
			LastLoss: r.LastLoss, LastLossT: r.LastLossT, LambdaStart: r.LambdaStart,
			RHSPasses: r.RHSPasses, DiagnosticPasses: r.DiagnosticPasses, MonitorPasses: r.MonitorPasses}
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
			e.RHSPasses, e.DiagnosticPasses, e.MonitorTol = tr.RHSPasses, tr.DiagnosticPasses, tr.MonitorTol
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
				e.RHSPasses, e.DiagnosticPasses, e.MonitorPasses = r.RHSPasses, r.DiagnosticPasses, r.MonitorPasses
			} else if st != nil {
				e.Rows, e.Solver, e.LastLoss, e.LastLossT, e.Ensemble = rowsOf(st.Rows), st.Solver, st.LastLoss, st.LastLossT, st.Ensemble
				e.LambdaStart = st.LambdaStart
				e.RHSPasses, e.DiagnosticPasses, e.MonitorPasses = st.RHSPasses, st.DiagnosticPasses, st.MonitorPasses
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
	if err := outfile.SyncDir(rc.opts.Dir); err != nil {
		return fmt.Errorf("scenarios: writing the checkpoint: %w", err)
	}
	return nil
}

// around runs body (the flows) with periodic checkpoints every
// opts.Every (the snapshots requested at one tick are written at the next)
// and writes the final checkpoint at the end (finish). The
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

// finish writes the final checkpoint: the state of the interrupted flows,
// or, when every flow has finished, every trajectory, so that outputs that
// fail to be written (a full disk) can be written by a resume that
// computes nothing again. Run never removes the checkpoint: the caller does,
// with RemoveCheckpoint, once the outputs are safely on disk.
func (rc *runCheckpoint) finish(flows []string, _ []*flow.Trajectory) error {
	return rc.save(flows)
}

// RemoveCheckpoint removes dir's checkpoint file and any temporary file a
// killed checkpoint write left behind (.checkpoint.gob.tmp-*), then syncs
// dir so that the removal is durable. Call it when the run's outputs are
// written and synced (report.WriteOutputs): from then on nothing is left
// to resume. A missing checkpoint is not an error.
func RemoveCheckpoint(dir string) error {
	err := os.Remove(filepath.Join(dir, CheckpointFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("scenarios: removing the finished run's checkpoint: %w", err)
	}
	if err := outfile.RemoveTemps(dir, CheckpointFile); err != nil {
		return fmt.Errorf("scenarios: removing the finished run's checkpoint: %w", err)
	}
	if err := outfile.SyncDir(dir); err != nil {
		return fmt.Errorf("scenarios: removing the finished run's checkpoint: %w", err)
	}
	return nil
}

// describeSet renders overrides for messages: "no --set" or
// "--set a=1 --set b=2".
func describeSet(set []string) string {
	if len(set) == 0 {
		return "no --set"
	}
	return "--set " + strings.Join(set, " --set ")
}

// lastLoss is the loss at a trajectory's last row (NaN if it has none).
func lastLoss(tr *flow.Trajectory) float64 {
	if len(tr.Loss) == 0 {
		return math.NaN()
	}
	return tr.Loss[len(tr.Loss)-1]
}

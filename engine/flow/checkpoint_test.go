package flow

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/grd-engine/grd/engine"

	"github.com/grd-engine/grd/integrators"
	"github.com/grd-engine/grd/models"
)

// ckSameRows reports the first difference between the per-time slices and
// counters of a and b, bit for bit ("" if none).
func ckSameRows(a, b *Trajectory) string {
	if a.Len() != b.Len() {
		return fmt.Sprintf("%d rows, want %d", a.Len(), b.Len())
	}
	va, vb := reflect.ValueOf(*a), reflect.ValueOf(*b)
	for i := range va.NumField() {
		name := va.Type().Field(i).Name
		switch x := va.Field(i).Interface().(type) {
		case []float64:
			if !flBits(x, vb.Field(i).Interface().([]float64)) {
				return name
			}
		case [][]float64:
			y := vb.Field(i).Interface().([][]float64)
			if len(x) != len(y) {
				return name
			}
			for k := range x {
				if !flBits(x[k], y[k]) {
					return fmt.Sprintf("%s[%d]", name, k)
				}
			}
		}
	}
	if a.NFev != b.NFev || a.Steps != b.Steps || a.Rejected != b.Rejected || a.Status != b.Status {
		return fmt.Sprintf("counters %d/%d/%d %s, want %d/%d/%d %s", a.NFev, a.Steps, a.Rejected, a.Status, b.NFev, b.Steps, b.Rejected, b.Status)
	}
	return ""
}

// TestFlowResumeBitIdentical cancels each deterministic flow after its
// k-th accepted step (deterministic: the cancellation happens in a
// Recorder), takes the final State, resumes, and checks the finished
// Trajectory against an uninterrupted run, bit for bit, counters included.
func TestFlowResumeBitIdentical(t *testing.T) {
	m := flRegression(t, 9, 15, 2)
	w0 := []float64{0.3, -0.2, 0.1}
	g := engine.New(m, &engine.Options{Workers: 1})
	eps, _, err := g.Epsilon(context.Background(), w0, engine.EpsilonSpec{Auto: true})
	if err != nil {
		t.Fatal(err)
	}
	met := engine.Metric{Epsilon: eps, Inverse: engine.WeakField, Christoffel: engine.WeakField}
	times := flLinspace(0, 3, 13)
	for _, c := range []struct {
		flow   Name
		method string
		dt     float64
	}{{GD, "dopri5", 0}, {NGD, "dop853", 0}, {GRD, "dopri5", 0}, {GRD, "tsit5", 0}, {GRD, "rk4", 0.05}} {
		spec := Spec{Flow: c.flow, Times: times, Metric: met, Method: flMethod(t, c.method),
			Settings: integrators.Settings{RTol: 1e-9, ATol: 1e-12, Dt: c.dt}}
		full := flRun(t, g, w0, spec)
		for _, k := range []int{1, 2, full.Steps / 2, full.Steps - 1} {
			ctx, cancel := context.WithCancel(context.Background())
			ck := &Checkpoint{}
			s := spec
			s.Checkpoint = ck
			s.Settings.Recorder = integrators.RecorderFunc(func(si integrators.StepInfo) error {
				if si.Stats.Accepted == k {
					cancel()
				}
				return nil
			})
			part := Run(ctx, g, w0, s, nil)
			cancel()
			if part.Status != StatusCanceled {
				t.Fatalf("%s/%s k=%d: status %s (%v), want canceled", c.flow, c.method, k, part.Status, part.Err)
			}
			st := ck.Latest()
			if st == nil || st.Solver == nil || st.Solver.Stats.Accepted != k {
				t.Fatalf("%s/%s k=%d: no state after step k: %+v", c.flow, c.method, k, st)
			}
			s = spec
			s.Checkpoint = &Checkpoint{Resume: st}
			res := Run(context.Background(), g, w0, s, nil)
			if diff := ckSameRows(res, full); diff != "" || res.Err != nil {
				t.Errorf("%s/%s k=%d: resumed run differs from the uninterrupted one in %s (err %v)", c.flow, c.method, k, diff, res.Err)
			}
		}
	}
}

// TestFlowSnapshot requests a snapshot from a running flow and resumes
// from it: same final bits.
func TestFlowSnapshot(t *testing.T) {
	m := flLogistic(t, 3, 20, 2)
	w0 := []float64{0.1, -0.4, 0.2}
	g := engine.New(m, &engine.Options{Workers: 2})
	spec := Spec{Flow: GRD, Times: flLinspace(0, 2, 9), Metric: engine.Metric{Epsilon: 0.1},
		Settings: integrators.Settings{RTol: 1e-8, ATol: 1e-10}}
	full := flRun(t, g, w0, spec)
	ck := &Checkpoint{}
	s := spec
	s.Checkpoint = ck
	s.Settings.Recorder = integrators.RecorderFunc(func(si integrators.StepInfo) error {
		if si.Stats.Accepted == 3 {
			ck.Request() // delivered at the end of step 4
		}
		return nil
	})
	if tr := Run(context.Background(), g, w0, s, nil); tr.Status != StatusOK {
		t.Fatal(tr.Err)
	}
	st := ck.Latest()
	if st == nil || st.Solver.Stats.Accepted != 4 || st.Rows.Len() == 0 {
		t.Fatalf("snapshot %+v, want one after step 4", st)
	}
	s = spec
	s.Checkpoint = &Checkpoint{Resume: st}
	if diff := ckSameRows(Run(context.Background(), g, w0, s, nil), full); diff != "" {
		t.Errorf("resumed from a snapshot: differs in %s", diff)
	}
}

// TestFlowResumeMismatch refuses states that do not belong to the spec.
func TestFlowResumeMismatch(t *testing.T) {
	m := flRegression(t, 9, 15, 2)
	w0 := []float64{0.3, -0.2, 0.1}
	g := engine.New(m, nil)
	spec := Spec{Flow: GD, Times: flLinspace(0, 1, 5)}
	good := &State{Flow: GD, Rows: &Trajectory{T: []float64{0}, W: [][]float64{w0}, Loss: []float64{1}},
		Solver: &integrators.State{T: 0.1, Y: w0, H: 0.1}}
	for name, st := range map[string]*State{
		"other flow": {Flow: NGD, Rows: good.Rows, Solver: good.Solver},
		"bad time":   {Flow: GD, Rows: &Trajectory{T: []float64{0.5}, W: [][]float64{w0}, Loss: []float64{1}}, Solver: good.Solver},
		"bad length": {Flow: GD, Rows: good.Rows, Solver: &integrators.State{T: 0.1, Y: w0[:2], H: 0.1}},
		"past next":  {Flow: GD, Rows: good.Rows, Solver: &integrators.State{T: 0.3, Y: w0, H: 0.1}},
	} {
		s := spec
		s.Checkpoint = &Checkpoint{Resume: st}
		tr := Run(context.Background(), g, w0, s, nil)
		if tr.Status != StatusFailed || tr.Err == nil {
			t.Errorf("%s: status %s, want failed", name, tr.Status)
		}
	}
}

// ckInterruptEnsemble runs spec from resume (nil: the start) and cancels
// the context right after run r's step-th step (a deterministic point in
// that run; other runs in flight stop wherever they are). It returns the
// trajectory, the state delivered (passed through gob, as a checkpoint
// file stores it) and the number of steps taken over all runs.
func ckInterruptEnsemble(t *testing.T, g *engine.Geometry, w0 []float64, spec Spec, resume *State, r, step int) (*Trajectory, *State, int64) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var taken atomic.Int64
	c := &Checkpoint{Resume: resume, EnsembleStep: func(run, j int) {
		taken.Add(1)
		if run == r && j == step {
			cancel()
		}
	}}
	spec.Checkpoint = c
	tr := Run(ctx, g, w0, spec, nil)
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(c.Latest()); err != nil {
		t.Fatal(err)
	}
	var st State
	if err := gob.NewDecoder(&buf).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return tr, &st, taken.Load()
}

// TestEnsembleResumeBitIdentical interrupts every ensemble flow (sgd on
// the Subset and masked paths and with the full batch, sde, cd and pcd) at
// deterministic points — inside the first run, inside a later run, right
// after a run's last step, and twice in a row — resumes from the state,
// and checks the finished Trajectory against an uninterrupted run bit for
// bit (means, spreads, KL, counters), for 1 and 2 workers. The resumed run
// takes only the steps that were not taken before.
func TestEnsembleResumeBitIdentical(t *testing.T) {
	lm := flLogistic(t, 11, 37, 3) // batch 5: epochs of 8 steps, the last one short
	lw0 := []float64{0.2, -0.1, 0.3, 0.05}
	rbm, rw0 := cdBars(t, 4)
	for i := range rw0 {
		// Weights of order 1, so that the Gibbs samples, and with them the
		// trajectory, depend on the state of the persistent chains.
		rw0[i] *= 10
	}
	times := flLinspace(0, 2, 5) // 40 steps of 0.05 per run
	const R = 4
	type point struct{ run, step int }
	for _, c := range []struct {
		name string
		m    models.Model
		w0   []float64
		spec Spec
	}{
		{"sgd subset", lm, lw0, Spec{Flow: SGD, Ensemble: EnsembleSpec{LR: 0.05, Batch: 5, Runs: R, Seed: 3}}},
		{"sgd masked", hidden{lm}, lw0, Spec{Flow: SGD, Ensemble: EnsembleSpec{LR: 0.05, Batch: 5, Runs: R, Seed: 3}}},
		{"sgd full batch", lm, lw0, Spec{Flow: SGD, Ensemble: EnsembleSpec{LR: 0.05, Batch: 37, Runs: R, Seed: 3}}},
		{"sde", lm, lw0, Spec{Flow: SDE, Ensemble: EnsembleSpec{LR: 0.05, Batch: 5, Runs: R, Dt: 0.05, Seed: 3}}},
		{"cd", rbm, rw0, Spec{Flow: CD, Ensemble: EnsembleSpec{LR: 0.05, Batch: 3, Runs: R, K: 2, Seed: 3}}},
		{"pcd", rbm, rw0, Spec{Flow: CD, Ensemble: EnsembleSpec{LR: 0.05, Batch: 3, Runs: R, K: 2, Persistent: true, Seed: 3}}},
	} {
		c.spec.Times = times
		for _, workers := range []int{1, 2} {
			c.spec.Workers = workers
			g := engine.New(c.m, &engine.Options{Chunk: 4, Workers: 1})
			want := flRun(t, g, c.w0, c.spec)
			total := int64(R * 40)
			for _, pts := range [][]point{{{0, 1}}, {{0, 13}}, {{1, 40}}, {{2, 27}}, {{0, 9}, {3, 33}}, {{1, 5}, {1, 6}}} {
				name := fmt.Sprintf("%s workers %d at %v", c.name, workers, pts)
				var st *State
				for _, p := range pts {
					tr, next, _ := ckInterruptEnsemble(t, g, c.w0, c.spec, st, p.run, p.step)
					// With 2 workers the other runs may all have finished
					// when the last step of a run cancels: then the state is
					// complete.
					complete := tr.Status == StatusOK && next.Ensemble != nil && next.Ensemble.Folded == R
					if !complete && (tr.Status != StatusCanceled || next.Ensemble == nil) {
						t.Fatalf("%s: interrupted run: status %s (%v), state %v", name, tr.Status, tr.Err, next.Ensemble)
					}
					st = next
				}
				done := int64(st.Ensemble.Steps)
				for _, r := range st.Ensemble.Runs {
					done += int64(r.Step)
				}
				if done == 0 && len(st.Ensemble.Runs) == 0 {
					t.Errorf("%s: the state holds no progress", name)
				}
				got, _, taken := ckInterruptEnsemble(t, g, c.w0, c.spec, st, -1, 0)
				if d := ckSameRows(got, want); d != "" {
					t.Errorf("%s: resumed trajectory differs: %s", name, d)
				}
				if taken != total-done {
					t.Errorf("%s: the resumed run took %d steps, want %d − %d", name, taken, total, done)
				}
			}
		}
	}
}

// TestEnsembleResumeMismatch: a resume state that does not fit the flow
// is refused with an error naming what does not fit.
func TestEnsembleResumeMismatch(t *testing.T) {
	m := flLogistic(t, 11, 37, 3)
	w0 := []float64{0.2, -0.1, 0.3, 0.05}
	spec := Spec{Flow: SGD, Times: flLinspace(0, 2, 5), Ensemble: EnsembleSpec{LR: 0.05, Batch: 5, Runs: 3, Seed: 3}}
	g := engine.New(m, nil)
	_, st, _ := ckInterruptEnsemble(t, g, w0, spec, nil, 1, 17)
	if len(st.Ensemble.Runs) == 0 {
		t.Fatal("no run in progress in the state")
	}
	for _, c := range []struct {
		name string
		edit func(s *State, sp *Spec)
		want string
	}{
		{"flow", func(s *State, _ *Spec) { s.Flow = SDE }, "from a state of the sde flow"},
		{"runs", func(_ *State, sp *Spec) { sp.Ensemble.Runs = 1 }, "out of order or range"},
		{"times", func(_ *State, sp *Spec) { sp.Times = flLinspace(0, 2, 9) }, "accumulator for 5 rows, want 9"},
		{"rng", func(s *State, _ *Spec) { s.Ensemble.Runs[0].RNG = []byte("x") }, "random state"},
		{"step", func(s *State, _ *Spec) { s.Ensemble.Runs[0].Step = 99 }, "do not match the output steps"},
	} {
		s, sp := *st, spec
		e := *st.Ensemble
		e.Runs = append([]EnsembleRun(nil), e.Runs...)
		s.Ensemble = &e
		c.edit(&s, &sp)
		sp.Checkpoint = &Checkpoint{Resume: &s}
		tr := Run(context.Background(), g, w0, sp, nil)
		if tr.Status != StatusFailed || tr.Err == nil || !strings.Contains(tr.Err.Error(), c.want) {
			t.Errorf("%s: status %s, err %v, want failed with %q", c.name, tr.Status, tr.Err, c.want)
		}
	}
}

// TestEnsembleSnapshot: a snapshot requested while an ensemble runs (as
// periodic checkpoints do) is taken at the next step of each run in
// progress; resuming from it gives the uninterrupted trajectory.
func TestEnsembleSnapshot(t *testing.T) {
	m := flLogistic(t, 11, 37, 3)
	w0 := []float64{0.2, -0.1, 0.3, 0.05}
	spec := Spec{Flow: SGD, Times: flLinspace(0, 2, 5), Workers: 1, Ensemble: EnsembleSpec{LR: 0.05, Batch: 5, Runs: 3, Seed: 3}}
	g := engine.New(m, nil)
	want := flRun(t, g, w0, spec)
	var st *State
	c := &Checkpoint{}
	c.EnsembleStep = func(run, j int) {
		switch {
		case run == 1 && j == 13:
			c.Request()
		case run == 1 && j == 20:
			st = c.Latest()
		}
	}
	spec.Checkpoint = c
	if tr := Run(context.Background(), g, w0, spec, nil); tr.Status != StatusOK {
		t.Fatal(tr.Err)
	}
	if e := st.Ensemble; e.Folded != 1 || len(e.Runs) != 1 || e.Runs[0].Run != 1 || e.Runs[0].Step != 13 || e.Runs[0].Out != 2 {
		t.Fatalf("snapshot: %d runs folded, runs %+v; want run 0 folded and run 1 at step 13 (the boundary after the request) with 2 rows", e.Folded, e.Runs)
	}
	spec.Checkpoint = &Checkpoint{Resume: st}
	if d := ckSameRows(Run(context.Background(), g, w0, spec, nil), want); d != "" {
		t.Errorf("resumed from the snapshot: %s", d)
	}
}

// TestFlowSnapshotRock4 takes a snapshot of a gd flow integrated by rock4
// (whose integrator state holds the spectral-radius estimate, a pointer)
// and lets the flow run on: the snapshot keeps the state of its own step,
// not that of the steps after it, so that resuming from it — twice, from
// the same State — gives the uninterrupted run's bits.
func TestFlowSnapshotRock4(t *testing.T) {
	const d = 6
	a := make([]float64, d*d)
	for i := range d {
		a[i*d+i] = math.Pow(1e3, float64(i)/(d-1))
	}
	q := flQuadratic(t, []models.QuadSample{{A: a, C: make([]float64, d)}})
	w0 := make([]float64, d)
	for i := range w0 {
		w0[i] = 1
	}
	g := engine.New(q, &engine.Options{Workers: 1})
	spec := Spec{Flow: GD, Times: flLinspace(0, 5, 6), Method: flMethod(t, "rock4"),
		Settings: integrators.Settings{RTol: 1e-6, ATol: 1e-9}}
	full := flRun(t, g, w0, spec)
	ck := &Checkpoint{}
	s := spec
	s.Checkpoint = ck
	var age int
	s.Settings.Recorder = integrators.RecorderFunc(func(si integrators.StepInfo) error {
		switch si.Stats.Accepted {
		case 3:
			ck.Request() // delivered at the end of step 4
		case 5:
			if st := ck.Latest(); st != nil && st.Solver.Rock != nil {
				age = st.Solver.Rock.Age
			}
		}
		return nil
	})
	if tr := Run(context.Background(), g, w0, s, nil); tr.Status != StatusOK {
		t.Fatal(tr.Err)
	}
	st := ck.Latest()
	if st == nil || st.Solver.Stats.Accepted != 4 || st.Solver.Rock == nil || full.Steps < 10 {
		t.Fatalf("snapshot %+v after %d steps, want one after step 4 with rock4's state", st, full.Steps)
	}
	if st.Solver.Rock.Age != age {
		t.Errorf("the snapshot's rock4 state changed after it was taken: age %d, %d when delivered", st.Solver.Rock.Age, age)
	}
	for i := range 2 {
		s = spec
		s.Checkpoint = &Checkpoint{Resume: st}
		res := Run(context.Background(), g, w0, s, nil)
		if diff := ckSameRows(res, full); diff != "" || res.NJv != full.NJv {
			t.Errorf("resume %d from a rock4 snapshot: differs in %s (%d J·v products, uninterrupted %d)", i+1, diff, res.NJv, full.NJv)
		}
	}
}

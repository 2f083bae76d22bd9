package engine

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/grd-engine/grd/integrators"
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
// Recorder), takes the final FlowState, resumes, and checks the finished
// Trajectory against an uninterrupted run, bit for bit, counters included.
func TestFlowResumeBitIdentical(t *testing.T) {
	m := flRegression(t, 9, 15, 2)
	w0 := []float64{0.3, -0.2, 0.1}
	g := New(m, &Options{Workers: 1})
	eps, _, err := g.Epsilon(context.Background(), w0, EpsilonSpec{Auto: true})
	if err != nil {
		t.Fatal(err)
	}
	met := Metric{Epsilon: eps, Inverse: WeakField, Christoffel: WeakField}
	times := flLinspace(0, 3, 13)
	for _, c := range []struct {
		flow, method string
		dt           float64
	}{{FlowGD, "dopri5", 0}, {FlowNGD, "dop853", 0}, {FlowGRD, "dopri5", 0}, {FlowGRD, "tsit5", 0}, {FlowGRD, "rk4", 0.05}} {
		spec := FlowSpec{Flow: c.flow, Times: times, Metric: met, Method: flMethod(t, c.method),
			Settings: integrators.Settings{RTol: 1e-9, ATol: 1e-12, Dt: c.dt}}
		full := flRun(t, g, w0, spec)
		for _, k := range []int{1, 2, full.Steps / 2, full.Steps - 1} {
			ctx, cancel := context.WithCancel(context.Background())
			ck := &FlowCheckpoint{}
			s := spec
			s.Checkpoint = ck
			s.Settings.Recorder = integrators.RecorderFunc(func(si integrators.StepInfo) error {
				if si.Stats.Accepted == k {
					cancel()
				}
				return nil
			})
			part := g.RunFlow(ctx, w0, s, nil)
			cancel()
			if part.Status != StatusCanceled {
				t.Fatalf("%s/%s k=%d: status %s (%v), want canceled", c.flow, c.method, k, part.Status, part.Err)
			}
			st := ck.Latest()
			if st == nil || st.Solver == nil || st.Solver.Stats.Accepted != k {
				t.Fatalf("%s/%s k=%d: no state after step k: %+v", c.flow, c.method, k, st)
			}
			s = spec
			s.Checkpoint = &FlowCheckpoint{Resume: st}
			res := g.RunFlow(context.Background(), w0, s, nil)
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
	g := New(m, &Options{Workers: 2})
	spec := FlowSpec{Flow: FlowGRD, Times: flLinspace(0, 2, 9), Metric: Metric{Epsilon: 0.1},
		Settings: integrators.Settings{RTol: 1e-8, ATol: 1e-10}}
	full := flRun(t, g, w0, spec)
	ck := &FlowCheckpoint{}
	s := spec
	s.Checkpoint = ck
	s.Settings.Recorder = integrators.RecorderFunc(func(si integrators.StepInfo) error {
		if si.Stats.Accepted == 3 {
			ck.Request() // delivered at the end of step 4
		}
		return nil
	})
	if tr := g.RunFlow(context.Background(), w0, s, nil); tr.Status != StatusOK {
		t.Fatal(tr.Err)
	}
	st := ck.Latest()
	if st == nil || st.Solver.Stats.Accepted != 4 || st.Rows.Len() == 0 {
		t.Fatalf("snapshot %+v, want one after step 4", st)
	}
	s = spec
	s.Checkpoint = &FlowCheckpoint{Resume: st}
	if diff := ckSameRows(g.RunFlow(context.Background(), w0, s, nil), full); diff != "" {
		t.Errorf("resumed from a snapshot: differs in %s", diff)
	}
}

// TestFlowResumeMismatch refuses states that do not belong to the spec.
func TestFlowResumeMismatch(t *testing.T) {
	m := flRegression(t, 9, 15, 2)
	w0 := []float64{0.3, -0.2, 0.1}
	g := New(m, nil)
	spec := FlowSpec{Flow: FlowGD, Times: flLinspace(0, 1, 5)}
	good := &FlowState{Flow: FlowGD, Rows: &Trajectory{T: []float64{0}, W: [][]float64{w0}, Loss: []float64{1}},
		Solver: &integrators.State{T: 0.1, Y: w0, H: 0.1}}
	for name, st := range map[string]*FlowState{
		"other flow": {Flow: FlowNGD, Rows: good.Rows, Solver: good.Solver},
		"bad time":   {Flow: FlowGD, Rows: &Trajectory{T: []float64{0.5}, W: [][]float64{w0}, Loss: []float64{1}}, Solver: good.Solver},
		"bad length": {Flow: FlowGD, Rows: good.Rows, Solver: &integrators.State{T: 0.1, Y: w0[:2], H: 0.1}},
		"past next":  {Flow: FlowGD, Rows: good.Rows, Solver: &integrators.State{T: 0.3, Y: w0, H: 0.1}},
	} {
		s := spec
		s.Checkpoint = &FlowCheckpoint{Resume: st}
		tr := g.RunFlow(context.Background(), w0, s, nil)
		if tr.Status != StatusFailed || tr.Err == nil {
			t.Errorf("%s: status %s, want failed", name, tr.Status)
		}
	}
}

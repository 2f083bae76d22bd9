package experiment

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/scenariotest"
)

func TestRunTiny(t *testing.T) {
	sc := scenariotest.Tiny(t)
	var mu sync.Mutex
	last, lastLoss := map[string]float64{}, map[string]float64{}
	calls := 0
	r, err := Run(context.Background(), sc, RunOptions{Workers: 2, Progress: func(flow string, frac, loss float64) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		lastLoss[flow] = loss
		if frac < 0 || frac > 1+1e-12 {
			t.Errorf("progress %s: fraction %g outside [0, 1]", flow, frac)
		}
		if frac < last[flow]-1e-12 {
			t.Errorf("progress %s: fraction went back from %g to %g", flow, last[flow], frac)
		}
		last[flow] = frac
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Dim != 2 || r.Samples != 6 || len(r.Times) != 11 {
		t.Fatalf("d, N, outputs = %d, %d, %d; want 2, 6, 11", r.Dim, r.Samples, len(r.Times))
	}
	for i, f := range sc.Flows {
		tr := r.Flows[i]
		if string(tr.Flow) != f || tr.Status != flow.StatusOK || tr.Len() != 11 {
			t.Errorf("flow %d: %s %s with %d rows (err %v), want %s ok with 11", i, tr.Flow, tr.Status, tr.Len(), tr.Err, f)
		}
		if math.Abs(last[f]-1) > 1e-9 {
			t.Errorf("progress of %s ended at %g, want 1", f, last[f])
		}
		// The deterministic flows report the loss of their last row; the
		// ensembles know theirs only at the end (NaN).
		if l := lastLoss[f]; !tr.Flow.Ensemble() && l != tr.Loss[tr.Len()-1] || tr.Flow.Ensemble() && !math.IsNaN(l) {
			t.Errorf("progress of %s ended with loss %g; its last row has %g", f, l, tr.Loss[tr.Len()-1])
		}
	}
	if calls == 0 {
		t.Error("progress was never called")
	}
	// ε is safety/λ_max with λ_max from an independent dense eigensolve.
	g := engine.New(r.Model, nil)
	lmax, err := g.LambdaMaxDense(context.Background(), r.W0)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.LambdaMax-lmax) > 1e-10*lmax || math.Abs(r.Epsilon*lmax-0.5) > 1e-10 {
		t.Errorf("λ_max, ε = %g, %g; want %g and 0.5/λ_max", r.LambdaMax, r.Epsilon, lmax)
	}
	// The comparisons, recomputed from the trajectories here.
	grd, ngd, gd := r.Flow(scenarios.FlowGRD), r.Flow(scenarios.FlowNGD), r.Flow(scenarios.FlowGD)
	var gap, ref, path, defect, q float64
	for k := range r.Times {
		gap = math.Max(gap, dist(grd.W[k], ngd.W[k]))
		ref = math.Max(ref, dist(ngd.W[k], gd.W[k]))
		path = math.Max(path, dist(ngd.W[k], r.W0))
		defect = math.Max(defect, grd.NGDDefect[k])
		q = math.Max(q, grd.R2[k]/grd.R1[k])
	}
	c := r.Comparisons
	for _, x := range []struct {
		name      string
		got, want float64
	}{
		{"max gap grd–ngd", c.MaxGapGRDNGD, gap},
		{"relative gap", c.RelativeGap, gap / path},
		{"path length", c.NGDPathLength, path},
		{"max gap ngd–gd", c.MaxGapNGDGD, ref},
		{"relative gap ngd–gd", c.RelativeGapNGDGD, ref / path},
		{"max defect", c.MaxNGDDefect, defect},
		{"max r2/r1", c.MaxR2OverR1, q},
	} {
		if x.got != x.want || !(x.want > 0) {
			t.Errorf("%s = %g, want %g (> 0)", x.name, x.got, x.want)
		}
	}
	// GRD starts on the NGD velocity, so the defect starts at rounding level.
	if grd.NGDDefect[0] > 1e-12*math.Max(1, c.MaxNGDDefect) {
		t.Errorf("NGD defect at t0 = %g, want ≈ 0 for v0 = ngd", grd.NGDDefect[0])
	}
}

func TestRunErrorsBeforeRunning(t *testing.T) {
	ran := false
	spy := func(ctx context.Context, g *engine.Geometry, p *prepared, flow string, met engine.Metric, progress progressFunc) *flow.Trajectory {
		ran = true
		return engineFlow(ctx, g, p, flow, met, progress)
	}
	for _, tc := range []struct {
		name  string
		sc    func(t *testing.T) *scenarios.Scenario
		is    error
		cause error // the other package's sentinel, kept by scenarios.Error
		inMsg string
	}{
		{"epsilon too large", func(t *testing.T) *scenarios.Scenario {
			return scenariotest.Tiny(t, "flows:", "metric: {epsilon: 1000}\nflows:")
		}, scenarios.ErrBadValue, engine.ErrEpsilon, "metric.epsilon"},
		{"relu with ngd", func(t *testing.T) *scenarios.Scenario {
			sc := &scenarios.Scenario{Name: "relu", Data: &scenarios.DataSpec{CSV: "builtin:iris", Classes: true},
				Model: scenarios.ModelSpec{Kind: scenarios.KindTwoLayer, Hidden: 2, Activation: "relu"},
				Flows: []string{scenarios.FlowGD, scenarios.FlowNGD}, Time: scenarios.TimeSpec{T1: 1, Outputs: 3}}
			sc.SetDefaults()
			return sc
		}, scenarios.ErrConflict, nil, "relu"}, // refused by Validate, before models.RequireOrder
	} {
		t.Run(tc.name, func(t *testing.T) {
			ran = false
			r, err := runWith(context.Background(), tc.sc(t), RunOptions{Workers: 1}, spy)
			if r != nil || !errors.Is(err, tc.is) || (tc.cause != nil && !errors.Is(err, tc.cause)) || !strings.Contains(err.Error(), tc.inMsg) {
				t.Fatalf("Run = %v, %v; want nil report and an error wrapping %v and %v that mentions %q", r, err, tc.is, tc.cause, tc.inMsg)
			}
			if strings.Contains(err.Error(), "engine: ") || strings.Contains(err.Error(), "models: ") {
				t.Errorf("message %q repeats the other package's prefix", err)
			}
			if ran {
				t.Error("a flow ran although the scenario was refused")
			}
		})
	}
}

// TestRunFlatMetric: identical samples give D = 0, so λ_max = 0, ε = 0 with
// a warning, and NGD (P = I) coincides with GD exactly.
func TestRunFlatMetric(t *testing.T) {
	sc, err := scenarios.Parse([]byte(`name: flat
model:
  kind: quadratic
  samples:
    - {A: [[2, 0.5], [0.5, 1]], c: [1, -1]}
    - {A: [[2, 0.5], [0.5, 1]], c: [1, -1]}
init: {w: [0.5, 2]}
flows: [gd, ngd, grd]
time: {t1: 1, outputs: 5}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), sc, RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.LambdaMax != 0 || r.Epsilon != 0 || !hasWarning(r.Warnings, "λ_max(D(w0)) = 0") {
		t.Fatalf("λ_max, ε, warnings = %g, %g, %q; want 0, 0 and a warning", r.LambdaMax, r.Epsilon, r.Warnings)
	}
	if c := r.Comparisons; c.MaxGapNGDGD != 0 {
		t.Errorf("max ‖w_ngd − w_gd‖ = %g, want 0 for D = 0", c.MaxGapNGDGD)
	}
}

func TestCompareSynthetic(t *testing.T) {
	// w0 = 0; NGD moves along x to 4; GRD is NGD shifted by (0, 3) at the
	// middle row (gap 3); GD is NGD shifted by 1 in x at the end.
	tr := func(fl string, w ...[]float64) *flow.Trajectory {
		return &flow.Trajectory{Flow: flow.Name(fl), T: []float64{0, 1, 2}[:len(w)], W: w}
	}
	ngd := tr(scenarios.FlowNGD, []float64{0, 0}, []float64{2, 0}, []float64{4, 0})
	grd := tr(scenarios.FlowGRD, []float64{0, 0}, []float64{2, 3}, []float64{4, 0})
	grd.NGDDefect = []float64{0, 0.5, 0.25}
	grd.R1 = []float64{0, 2, 1}
	grd.R2 = []float64{7, 1, 1} // R1 = 0 at t0: excluded from R2/R1
	gd := tr(scenarios.FlowGD, []float64{0, 0}, []float64{2, 0}, []float64{5, 0})
	for _, tc := range []struct {
		name         string
		gd, ngd, grd *flow.Trajectory
		want         Comparisons
	}{
		{"all", gd, ngd, grd, Comparisons{3, 0.75, 4, 1, 0.25, 0.5, 1, 0.75, 1, 1}},
		{"no gd", nil, ngd, grd, Comparisons{3, 0.75, 4, math.NaN(), math.NaN(), 0.5, 1, 0.75, 1, 1}},
		{"no grd", gd, ngd, nil, Comparisons{math.NaN(), math.NaN(), 4, 1, 0.25, math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()}},
		{"grd stopped after 1 row", gd, ngd, tr(scenarios.FlowGRD, []float64{0, 0}), Comparisons{0, 0, 4, 1, 0.25, math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := compare(tc.gd, tc.ngd, tc.grd, []float64{0, 0})
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("compare = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestR2OverR1TimeResolved: the initial transient (t < t0 + span/10) is
// left out of the median and the late maximum, not of the overall maximum.
func TestR2OverR1TimeResolved(t *testing.T) {
	grd := &flow.Trajectory{Flow: flow.GRD,
		T:  []float64{0, 0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
		R1: []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1},
		R2: []float64{9, 5, 0.4, 0.3, 0.5, 0.35, 0.45, 0.3, 0.6, 0.4, 1, 0.2},
	}
	c := compare(nil, nil, grd, nil)
	// After t = 1 with R1 > 0: 0.4 0.3 0.5 0.35 0.45 0.3 0.6 0.4 0.2 → median 0.4.
	if c.MaxR2OverR1 != 9 || c.LateMaxR2OverR1 != 0.6 || c.MedianR2OverR1 != 0.4 || c.FinalR2OverR1 != 0.2 {
		t.Errorf("max %v, late max %v, median %v, final %v; want 9, 0.6, 0.4, 0.2", c.MaxR2OverR1, c.LateMaxR2OverR1, c.MedianR2OverR1, c.FinalR2OverR1)
	}
}

func TestRunCanceled(t *testing.T) {
	sc := scenariotest.Tiny(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, err := Run(ctx, sc, RunOptions{Workers: 1})
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want one wrapping context.Canceled", err)
	}
	if r != nil {
		for _, tr := range r.Flows {
			if tr.Status == flow.StatusOK {
				t.Errorf("flow %s reached t1 under a canceled context", tr.Flow)
			}
		}
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func hasWarning(ws []string, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

// TestRunEpsilonZero: with a user ε = 0 and v0 = gd, GRD is GD written as a
// second-order system (u + ∇f is conserved), NGD is GD exactly (P = I), so
// the GRD–NGD gap is integration error only (DESIGN §1, invariant 1).
func TestRunEpsilonZero(t *testing.T) {
	sc := scenariotest.Tiny(t, "flows: [gd, ngd, grd, sgd, sde]", "metric: {epsilon: 0}\ngrd: {v0: gd}\nflows: [gd, ngd, grd]")
	r, err := Run(context.Background(), sc, RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	c := r.Comparisons
	if r.Epsilon != 0 || !(r.LambdaMax > 0) {
		t.Fatalf("ε, λ_max = %g, %g; want the user's 0 and λ_max > 0", r.Epsilon, r.LambdaMax)
	}
	if c.MaxGapNGDGD != 0 {
		t.Errorf("max ‖w_ngd − w_gd‖ = %g, want 0 (P = I)", c.MaxGapNGDGD)
	}
	// rtol = 1e-8 over a path of length ~1: a relative gap of 1e-6 leaves
	// a factor 100 for the accumulation of local errors.
	if c.RelativeGap > 1e-6 || c.MaxNGDDefect > 1e-6 {
		t.Errorf("relative gap %g, max defect %g; want integration error (< 1e-6)", c.RelativeGap, c.MaxNGDDefect)
	}
	if ngd := r.Flow(scenarios.FlowNGD); maxOf(ngd.EpsLambdaMax) != 0 {
		t.Errorf("max ε·λ_max along ngd = %g, want 0", maxOf(ngd.EpsLambdaMax))
	}
}

func TestFlowWarnings(t *testing.T) {
	p := &prepared{times: []float64{0, 1, 2, 3}}
	ngd := &flow.Trajectory{Flow: flow.NGD, Status: flow.StatusOK, T: []float64{0, 1, 2, 3}, EpsLambdaMax: []float64{0.5, 0.9, 1.25, 1.1}}
	grd := &flow.Trajectory{Flow: flow.GRD, Status: flow.StatusFailed, Err: errors.New("step size underflow"),
		T: []float64{0, 1}, EpsLambdaMax: []float64{0.5, 0.6}}
	gd := &flow.Trajectory{Flow: flow.GD, Status: flow.StatusCanceled}
	w := flowWarnings([]*flow.Trajectory{gd, ngd, grd}, p)
	for _, want := range []string{
		"flow gd canceled before the first output time",
		"flow ngd: ε·λ_max(D(w(t))) reaches 1.25 (first ≥ 1 at t = 2): the weak-field inverse I − εD is not positive definite there",
		"flow grd failed after t = 1 (2 of 4 output times recorded): step size underflow",
		"the grd–ngd comparison covers only t ≤ 1",
	} {
		if !hasWarning(w, want) {
			t.Errorf("warnings %q lack %q", w, want)
		}
	}
	if len(w) != 4 {
		t.Errorf("%d warnings, want 4: %q", len(w), w)
	}
}

// TestEpsLambdaMaxAtW0 checks the ε·λ_max monitor of every flow against
// its definition at t0: every flow starts at w0 (the ensemble mean of runs
// that all start there is w0 exactly), and the automatic ε is
// safety/λ_max(D(w0)), so row 0 holds the safety factor up to rounding
// (relative 1e-12) — with the exact metric, and with an RBM's cd metric
// (metric.source cd), where gd and the cd ensemble must use D_cd too.
func TestEpsLambdaMaxAtW0(t *testing.T) {
	rbm := "name: r\nseed: 3\ndata: {bars-and-stripes: 2}\nmodel: {kind: rbm, hidden: 2}\nflows: [gd, ngd, cd]\n" +
		"cd: {lr: 0.1, batch: 3, runs: 2, k: 1}\ntime: {t1: 0.4, outputs: 3}\n"
	for name, sc := range map[string]*scenarios.Scenario{
		"tiny":          scenariotest.Tiny(t),
		"rbm exact":     mustParse(t, rbm),
		"rbm cd metric": mustParse(t, strings.Replace(rbm, "flows:", "metric: {source: cd}\nflows:", 1)),
	} {
		r, err := Run(context.Background(), sc, RunOptions{Workers: 1})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s := r.Scenario.Metric.Safety
		for _, tr := range r.Flows {
			if got := tr.EpsLambdaMax[0]; math.Abs(got-s) > 1e-12*s {
				t.Errorf("%s: %s: ε·λ_max(D(w0)) = %v, want the safety factor %v", name, tr.Flow, got, s)
			}
		}
	}
}

func mustParse(t *testing.T, text string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse([]byte(text), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

package experiment

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/grd-engine/grd/engine"
)

// tinyYAML is a fast scenario: 6 generated 2-D quadratics, every flow,
// 11 output times on [0, 2], 4 ensemble runs.
const tinyYAML = `name: tiny
seed: 7
model: {kind: quadratic, dim: 2, count: 6, condition: 5}
init: {normal: 1.5}
flows: [gd, ngd, grd, sgd, sde]
sgd: {lr: 0.05, batch: 2, runs: 4}
sde: {lr: 0.05, batch: 2, runs: 4, dt: 0.05}
integrator: {method: dopri5, rtol: 1.0e-8, atol: 1.0e-10}
time: {t0: 0, t1: 2, outputs: 11}
`

// runTiny parses tinyYAML with the replacements old→new applied.
func parseTiny(t *testing.T, repl ...string) *Scenario {
	t.Helper()
	text := strings.NewReplacer(repl...).Replace(tinyYAML)
	sc, err := Parse([]byte(text), "")
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, text)
	}
	return sc
}

func TestRunTiny(t *testing.T) {
	sc := parseTiny(t)
	var mu sync.Mutex
	last := map[string]float64{}
	calls := 0
	r, err := Run(context.Background(), sc, RunOptions{Workers: 2, Progress: func(flow string, frac float64) {
		mu.Lock()
		defer mu.Unlock()
		calls++
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
		if tr.Flow != f || tr.Status != engine.StatusOK || tr.Len() != 11 {
			t.Errorf("flow %d: %s %s with %d rows (err %v), want %s ok with 11", i, tr.Flow, tr.Status, tr.Len(), tr.Err, f)
		}
		if math.Abs(last[f]-1) > 1e-9 {
			t.Errorf("progress of %s ended at %g, want 1", f, last[f])
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
	grd, ngd, gd := r.Flow(FlowGRD), r.Flow(FlowNGD), r.Flow(FlowGD)
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

// TestRunWorkersIdentical: every output file is byte-identical for 1 and 2
// workers, apart from the wall times in summary.json.
func TestRunWorkersIdentical(t *testing.T) {
	sc := parseTiny(t)
	var dirs []string
	for _, w := range []int{1, 2} {
		r, err := Run(context.Background(), sc, RunOptions{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "out")
		// Under -short (the race run) the plots, slow to rasterise with the
		// race detector, are left to TestRunPlots.
		if _, err := writeOutputs(dir, r, !testing.Short()); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	names := listDir(t, dirs[0])
	if got := listDir(t, dirs[1]); strings.Join(got, " ") != strings.Join(names, " ") {
		t.Fatalf("files differ: %v vs %v", names, got)
	}
	for _, n := range names {
		a, _ := os.ReadFile(filepath.Join(dirs[0], n))
		b, _ := os.ReadFile(filepath.Join(dirs[1], n))
		if n == SummaryFile {
			a, b = zeroSeconds(t, a), zeroSeconds(t, b)
		}
		if string(a) != string(b) {
			t.Errorf("%s differs between 1 and 2 workers", n)
		}
	}
}

// TestRunFailingFlow: SGD with a step far beyond 2/λ_max(H) overflows; the
// other flows still finish, the failure is recorded and reported, and the
// outputs are written (sgd.csv with the rows before the blow-up).
func TestRunFailingFlow(t *testing.T) {
	sc := parseTiny(t, "sgd: {lr: 0.05, batch: 2, runs: 4}", "sgd: {lr: 40, batch: 6, runs: 2}",
		"t1: 2, outputs: 11", "t1: 8000, outputs: 11")
	r, err := Run(context.Background(), sc, RunOptions{Workers: 2})
	if !errors.Is(err, ErrFlowFailed) {
		t.Fatalf("err = %v, want ErrFlowFailed", err)
	}
	if r == nil {
		t.Fatal("no report with a failed flow")
	}
	if !strings.Contains(err.Error(), "sgd") {
		t.Errorf("error %q does not name the sgd flow", err)
	}
	for _, tr := range r.Flows {
		want := engine.StatusOK
		if tr.Flow == FlowSGD {
			want = engine.StatusFailed
		}
		if tr.Status != want {
			t.Errorf("flow %s: status %s (%v), want %s", tr.Flow, tr.Status, tr.Err, want)
		}
	}
	if got := r.Failed(); len(got) != 1 || got[0] != FlowSGD {
		t.Errorf("Failed() = %v, want [sgd]", got)
	}
	if !hasWarning(r.Warnings, "flow sgd failed") {
		t.Errorf("warnings %q do not report the sgd failure", r.Warnings)
	}
	dir := t.TempDir()
	files, err := writeOutputs(dir, r, !testing.Short())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"gd.csv", "ngd.csv", "grd.csv", "sde.csv", SummaryFile}
	if !testing.Short() {
		want = append(want, "loss.png", "gap.png", "contours.png")
	}
	for _, f := range want {
		if !contains(files, f) {
			t.Errorf("%s not written (wrote %v)", f, files)
		}
	}
	s := readSummary(t, filepath.Join(dir, SummaryFile))
	sgd := s["flows"].(map[string]any)["sgd"].(map[string]any)
	if sgd["status"] != "failed" || sgd["error"] == "" {
		t.Errorf("summary sgd = %v, want status failed with an error", sgd)
	}
}

func TestRunErrorsBeforeRunning(t *testing.T) {
	ran := false
	spy := func(ctx context.Context, g *engine.Geometry, p *prepared, flow string, met engine.Metric, progress func(float64)) *engine.Trajectory {
		ran = true
		return engineFlow(ctx, g, p, flow, met, progress)
	}
	for _, tc := range []struct {
		name  string
		sc    func(t *testing.T) *Scenario
		is    error
		inMsg string
	}{
		{"epsilon too large", func(t *testing.T) *Scenario {
			return parseTiny(t, "flows:", "metric: {epsilon: 1000}\nflows:")
		}, ErrBadValue, "metric.epsilon"},
		{"relu with ngd", func(t *testing.T) *Scenario {
			sc := &Scenario{Name: "relu", Data: &DataSpec{CSV: "data/iris.csv", Classes: true},
				Model: ModelSpec{Kind: KindTwoLayer, Hidden: 2, Activation: "relu"},
				Flows: []string{FlowGD, FlowNGD}, Time: TimeSpec{T1: 1, Outputs: 3}}
			sc.SetDefaults()
			return sc
		}, ErrConflict, "relu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ran = false
			r, err := runWith(context.Background(), tc.sc(t), RunOptions{Workers: 1}, spy)
			if r != nil || !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.inMsg) {
				t.Fatalf("Run = %v, %v; want nil report and an error wrapping %v that mentions %q", r, err, tc.is, tc.inMsg)
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
	sc, err := Parse([]byte(`name: flat
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
	tr := func(flow string, w ...[]float64) *engine.Trajectory {
		return &engine.Trajectory{Flow: flow, T: []float64{0, 1, 2}[:len(w)], W: w}
	}
	ngd := tr(FlowNGD, []float64{0, 0}, []float64{2, 0}, []float64{4, 0})
	grd := tr(FlowGRD, []float64{0, 0}, []float64{2, 3}, []float64{4, 0})
	grd.NGDDefect = []float64{0, 0.5, 0.25}
	grd.R1 = []float64{0, 2, 1}
	grd.R2 = []float64{7, 1, 1} // R1 = 0 at t0: excluded from R2/R1
	gd := tr(FlowGD, []float64{0, 0}, []float64{2, 0}, []float64{5, 0})
	for _, tc := range []struct {
		name         string
		gd, ngd, grd *engine.Trajectory
		want         Comparisons
	}{
		{"all", gd, ngd, grd, Comparisons{3, 0.75, 4, 1, 0.25, 0.5, 1}},
		{"no gd", nil, ngd, grd, Comparisons{3, 0.75, 4, math.NaN(), math.NaN(), 0.5, 1}},
		{"no grd", gd, ngd, nil, Comparisons{math.NaN(), math.NaN(), 4, 1, 0.25, math.NaN(), math.NaN()}},
		{"grd stopped after 1 row", gd, ngd, tr(FlowGRD, []float64{0, 0}), Comparisons{0, 0, 4, 1, 0.25, math.NaN(), math.NaN()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := compare(tc.gd, tc.ngd, tc.grd, []float64{0, 0})
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("compare = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestRunCanceled(t *testing.T) {
	sc := parseTiny(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, err := Run(ctx, sc, RunOptions{Workers: 1})
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want one wrapping context.Canceled", err)
	}
	if r != nil {
		for _, tr := range r.Flows {
			if tr.Status == engine.StatusOK {
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
	sc := parseTiny(t, "flows: [gd, ngd, grd, sgd, sde]", "metric: {epsilon: 0}\ngrd: {v0: gd}\nflows: [gd, ngd, grd]")
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
	if ngd := r.Flow(FlowNGD); maxOf(ngd.EpsLambdaMax) != 0 {
		t.Errorf("max ε·λ_max along ngd = %g, want 0", maxOf(ngd.EpsLambdaMax))
	}
}

func TestFlowWarnings(t *testing.T) {
	p := &prepared{times: []float64{0, 1, 2, 3}}
	ngd := &engine.Trajectory{Flow: FlowNGD, Status: engine.StatusOK, T: []float64{0, 1, 2, 3}, EpsLambdaMax: []float64{0.5, 0.9, 1.25, 1.1}}
	grd := &engine.Trajectory{Flow: FlowGRD, Status: engine.StatusFailed, Err: errors.New("step size underflow"),
		T: []float64{0, 1}, EpsLambdaMax: []float64{0.5, 0.6}}
	gd := &engine.Trajectory{Flow: FlowGD, Status: engine.StatusCanceled}
	w := flowWarnings([]*engine.Trajectory{gd, ngd, grd}, p)
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
	for name, sc := range map[string]*Scenario{
		"tiny":          parseTiny(t),
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

func mustParse(t *testing.T, text string) *Scenario {
	t.Helper()
	sc, err := Parse([]byte(text), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestDefaultTargetEchoed: a scenario that omits data.target is echoed
// (Report.Scenario, summary.json, FillData for `grd scenarios show`) with
// the name of the column used as the target by default, the last one; the
// echo parses back to the same scenario. An rbm, which has no target,
// is left without one.
func TestDefaultTargetEchoed(t *testing.T) {
	dir := t.TempDir()
	if err := writeFile(filepath.Join(dir, "d.csv"), "a,b,price\n0,1,1\n1,0,3\n2,2,4\n3,1,2\n"); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(dir, "bits.csv"), "p,q\n0,1\n1,0\n1,1\n"); err != nil {
		t.Fatal(err)
	}
	text := "name: lr\ndata: {csv: d.csv}\nmodel: {kind: linear-regression}\nflows: [gd]\ntime: {t1: 1, outputs: 3}\n"
	path := filepath.Join(dir, "s.yaml")
	if err := writeFile(path, text); err != nil {
		t.Fatal(err)
	}
	sc, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	shown, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := shown.FillData(); err != nil {
		t.Fatal(err)
	}
	if got := shown.Data.Target; len(got) != 1 || got[0] != "price" {
		t.Errorf("FillData: target %v, want [price]", got)
	}
	r, err := Run(context.Background(), sc, RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if _, err := writeOutputs(out, r, false); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Scenario struct {
			Data struct {
				Target any `json:"target"`
			} `json:"data"`
		} `json:"scenario"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Scenario.Data.Target != "price" {
		t.Errorf("summary.json scenario.data.target = %v, want \"price\"", s.Scenario.Data.Target)
	}
	y, _ := shown.YAML()
	back, err := Parse(y, path)
	if err != nil {
		t.Fatalf("the filled echo does not parse: %v\n%s", err, y)
	}
	a, _ := back.JSON()
	c, _ := r.Scenario.JSON()
	if string(a) != string(c) {
		t.Errorf("echo of show and of run differ:\n%s\n%s", a, c)
	}
	rbm := filepath.Join(dir, "r.yaml")
	if err := writeFile(rbm, "name: r\ndata: {csv: bits.csv}\nmodel: {kind: rbm, hidden: 2}\nflows: [gd]\ntime: {t1: 1, outputs: 3}\n"); err != nil {
		t.Fatal(err)
	}
	rs, err := Load(rbm)
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.FillData(); err != nil || rs.Data.Target != nil {
		t.Errorf("rbm: FillData err %v, target %v; want none", err, rs.Data.Target)
	}
	if _, err := rs.Build(); err != nil || rs.Data.Target != nil {
		t.Errorf("rbm: Build err %v, target %v; want none", err, rs.Data.Target)
	}
}

// TestEnsembleRowsAtStepTimes: with output times off the step grid (every
// 0.2 with η = 0.03 and dt = 0.03), the t column of sgd.csv and sde.csv is
// the time t0 + j·η of the step each row holds, j = round((t − t0)/η)
// (DESIGN §1: t = jη), not the requested time; gd keeps the requested
// times.
func TestEnsembleRowsAtStepTimes(t *testing.T) {
	sc := parseTiny(t, "lr: 0.05, batch: 2, runs: 4}", "lr: 0.03, batch: 2, runs: 4}", "dt: 0.05", "dt: 0.03")
	r, err := Run(context.Background(), sc, RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flow string
		h    float64
	}{{FlowSGD, 0.03}, {FlowSDE, 0.03}, {FlowGD, 0}} {
		var buf bytes.Buffer
		if err := WriteCSV(&buf, r.Flow(c.flow), r.Dim); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")[1:]
		for k, tk := range r.Times {
			want := tk
			if c.h > 0 {
				want = r.Times[0] + math.Round((tk-r.Times[0])/c.h)*c.h
			}
			got, err := strconv.ParseFloat(strings.SplitN(lines[k], ",", 2)[0], 64)
			if err != nil || got != want {
				t.Errorf("%s row %d: t = %v (%v), want %v (requested %v)", c.flow, k, got, err, want, tk)
			}
		}
	}
}

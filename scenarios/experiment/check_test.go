package experiment

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grd-engine/grd/engine"
)

func TestFitLogLogSlope(t *testing.T) {
	x := []float64{0.01, 0.02, 0.04, 0.08, 0.16}
	pow := func(c, p float64) []float64 {
		y := make([]float64, len(x))
		for i := range x {
			y[i] = c * math.Pow(x[i], p)
		}
		return y
	}
	for _, tc := range []struct {
		name  string
		x, y  []float64
		want  float64
		n     int
		tol   float64
		isNaN bool
	}{
		{"exact slope 1", x, pow(3, 1), 1, 5, 1e-12, false},
		{"exact slope 2", x, pow(0.5, 2), 2, 5, 1e-12, false},
		{"exact slope 1.5", x, pow(7, 1.5), 1.5, 5, 1e-12, false},
		{"non-positive and infinite points skipped", append(x, 0.3, 0.5), append(pow(2, 2), 0, math.Inf(1)), 2, 5, 1e-12, false},
		{"one point", x[:1], pow(1, 1)[:1], 0, 1, 0, true},
		{"equal x", []float64{1, 1}, []float64{1, 2}, 0, 2, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, n := FitLogLogSlope(tc.x, tc.y)
			if n != tc.n || math.IsNaN(p) != tc.isNaN || (!tc.isNaN && math.Abs(p-tc.want) > tc.tol) {
				t.Errorf("FitLogLogSlope = %g over %d points, want %g over %d", p, n, tc.want, tc.n)
			}
		})
	}
	// Multiplicative noise of ±5% (seeded) moves each log y by at most
	// |log 0.95| ≈ 0.051, so the least-squares slope moves by at most
	// 0.051·Σ|dx|/Σdx² ≈ 0.051·4.16/4.80 ≈ 0.045 (dx = log x − mean).
	rng := rand.New(rand.NewPCG(1, 2))
	y := pow(1, 2)
	for i := range y {
		y[i] *= 1 + 0.1*(rng.Float64()-0.5)
	}
	if p, _ := FitLogLogSlope(x, y); math.Abs(p-2) > 0.045 {
		t.Errorf("noisy slope = %g, want 2 ± 0.045", p)
	}
}

func TestOrderName(t *testing.T) {
	for _, tc := range []struct {
		p    float64
		want string
	}{{1, "O(ε)"}, {1.25, "O(ε)"}, {0.75, "O(ε)"}, {1.5, "no clean order"}, {2.1, "O(ε²)"}, {math.NaN(), "no fit"}, {0.1, "O(ε⁰)"}} {
		if got := orderName(tc.p); got != tc.want {
			t.Errorf("orderName(%g) = %q, want %q", tc.p, got, tc.want)
		}
	}
}

// TestCheckVerdict covers each branch of the verdict on synthetic reports.
func TestCheckVerdict(t *testing.T) {
	base := func(rel, relRef, r2r1 float64) *Report {
		sc := parseTiny(t)
		return &Report{Scenario: sc, Epsilon: 0.1, Comparisons: Comparisons{RelativeGap: rel, RelativeGapNGDGD: relRef, MaxR2OverR1: r2r1},
			Flows: []*engine.Trajectory{{Flow: FlowGD, Status: engine.StatusOK}}}
	}
	for _, tc := range []struct {
		name string
		r    *Report
		want []string
	}{
		{"close, much closer than ngd–gd, (8) holds", base(0.001, 0.05, 0.01), []string{"closely", "0.1%", "50 times closer", "(8) holds well"}},
		{"rough, comparable", base(0.05, 0.05, 0.2), []string{"roughly", "as large as the metric's own effect", "only approximately"}},
		{"departs, farther", base(0.5, 0.05, 3), []string{"departs", "10 times farther", "(8) does not hold"}},
		{"flat metric", func() *Report { r := base(0, 0, 0); r.Epsilon = 0; return r }(), []string{"ε = 0", "nothing to compare"}},
		{"no path", base(math.NaN(), math.NaN(), math.NaN()), []string{"No verdict"}},
		{"failed flow", func() *Report {
			r := base(0.001, 0.05, 0.01)
			r.Flows = append(r.Flows, &engine.Trajectory{Flow: FlowGRD, Status: engine.StatusFailed})
			return r
		}(), []string{"Incomplete: grd did not reach t1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := checkVerdict(tc.r)
			for _, w := range tc.want {
				if !strings.Contains(v, w) {
					t.Errorf("verdict %q lacks %q", v, w)
				}
			}
		})
	}
}

func TestCheckTiny(t *testing.T) {
	sc := parseTiny(t, "flows: [gd, ngd, grd, sgd, sde]", "flows: [sgd]")
	cr, err := Check(context.Background(), sc, RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tr := range cr.Flows {
		names = append(names, tr.Flow)
	}
	if strings.Join(names, ",") != "gd,ngd,grd" {
		t.Errorf("Check ran %v, want gd, ngd, grd", names)
	}
	if sc.Flows[0] != FlowSGD || len(sc.Flows) != 1 {
		t.Errorf("Check changed the caller's scenario: flows %v", sc.Flows)
	}
	// The check's comparisons equal those of a Run of the same flows.
	sc2 := parseTiny(t, "flows: [gd, ngd, grd, sgd, sde]", "flows: [gd, ngd, grd]")
	r, err := Run(context.Background(), sc2, RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if cr.Comparisons != r.Comparisons {
		t.Errorf("check comparisons %+v ≠ run comparisons %+v", cr.Comparisons, r.Comparisons)
	}
	var buf bytes.Buffer
	if err := cr.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"max ‖w_grd − w_ngd‖", "NGD path length", "max R2/R1", "verdict: ", fmtG(cr.Comparisons.MaxGapGRDNGD)} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("check table lacks %q:\n%s", w, buf.String())
		}
	}
}

func TestSweepTiny(t *testing.T) {
	sc := parseTiny(t)
	safeties := []float64{0.4, 0.05, 0.1, 0.2} // any order
	sw, err := Sweep(context.Background(), sc, safeties, RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(sw.Points) != 4 || sw.Points[0].Safety != 0.05 || sw.Points[3].Safety != 0.4 {
		t.Fatalf("points %+v, want 4 sorted by safety", sw.Points)
	}
	var eps, g1, g2 []float64
	for _, pt := range sw.Points {
		if !pt.OK {
			t.Fatalf("point %+v failed", pt)
		}
		if math.Abs(pt.Epsilon*sw.LambdaMax-pt.Safety) > 1e-12 {
			t.Errorf("ε·λ_max = %g, want the safety %g", pt.Epsilon*sw.LambdaMax, pt.Safety)
		}
		if pt.GapGRDNGD != pt.AbsGapGRDNGD/pt.PathLength || pt.GapNGDGD != pt.AbsGapNGDGD/pt.PathLength {
			t.Errorf("relative gaps of %+v are not absolute / path length", pt)
		}
		eps = append(eps, pt.Epsilon)
		g1 = append(g1, pt.GapGRDNGD)
		g2 = append(g2, pt.GapNGDGD)
	}
	p1, _ := FitLogLogSlope(eps, g1)
	p2, _ := FitLogLogSlope(eps, g2)
	if p1 != sw.SlopeGRDNGD || p2 != sw.SlopeNGDGD {
		t.Errorf("slopes %g, %g; refit gives %g, %g", sw.SlopeGRDNGD, sw.SlopeNGDGD, p1, p2)
	}
	// NGD − GD = ε·(first-order term) + O(ε²) with a non-zero first-order
	// term (D∇f ≠ 0 at w0), so its slope is near 1; the factor-8 sweep
	// leaves at most a few tenths of curvature.
	if math.Abs(sw.SlopeNGDGD-1) > 0.2 {
		t.Errorf("NGD–GD slope = %g, want ≈ 1", sw.SlopeNGDGD)
	}
	// ε = s/λ_max exactly, so the sweep's NGD at s = 0.5 would match Run;
	// check the point at s = 0.2 against a Run with that safety instead.
	r, err := Run(context.Background(), parseTiny(t, "flows: [gd, ngd, grd, sgd, sde]", "metric: {safety: 0.2}\nflows: [gd, ngd, grd]"), RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Comparisons; c.RelativeGap != sw.Points[2].GapGRDNGD || c.RelativeGapNGDGD != sw.Points[2].GapNGDGD {
		t.Errorf("sweep point s = 0.2 (%g, %g) ≠ run with safety 0.2 (%g, %g)", sw.Points[2].GapGRDNGD, sw.Points[2].GapNGDGD, c.RelativeGap, c.RelativeGapNGDGD)
	}
	var buf bytes.Buffer
	if err := sw.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"log-log slope vs ε", "verdict: The GRD–NGD gap scales as ε^", "0.05", "0.4"} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("sweep table lacks %q:\n%s", w, buf.String())
		}
	}
	dir := filepath.Join(t.TempDir(), "sweep")
	files, err := WriteSweepPlots(dir, sw)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(files, " ") != "sweep.png sweep.svg" {
		t.Errorf("files %v", files)
	}
	for _, f := range files {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() < 1000 {
			t.Errorf("%s: %v (size %v)", f, err, fi)
		}
	}
}

func TestSweepVerdict(t *testing.T) {
	sc := parseTiny(t)
	pts := []SweepPoint{{Safety: 0.1, Epsilon: 0.01, GapGRDNGD: 1e-3, GapNGDGD: 1e-2, OK: true}, {Safety: 0.4, Epsilon: 0.04, GapGRDNGD: 1.6e-2, GapNGDGD: 4e-2, OK: true}}
	for _, tc := range []struct {
		name   string
		p1, p2 float64
		want   string
	}{
		{"higher order", 2, 1, "as the paper's main result says"},
		{"same order", 1.05, 1, "do not show the paper's claim"},
		{"lower order", 1, 2, "contradict"},
		{"no fit", math.NaN(), 1, "No verdict"},
	} {
		r := &SweepReport{Scenario: sc, Points: pts, SlopeGRDNGD: tc.p1, SlopeNGDGD: tc.p2}
		if v := sweepVerdict(r); !strings.Contains(v, tc.want) {
			t.Errorf("%s: verdict %q lacks %q", tc.name, v, tc.want)
		}
	}
}

func TestSweepErrors(t *testing.T) {
	sc := parseTiny(t)
	for _, s := range [][]float64{{0.1}, {0.1, 0.1}, {0.1, 1}, {0, 0.2}, {0.2, math.NaN()}} {
		if _, err := Sweep(context.Background(), sc, s, RunOptions{Workers: 1}); err == nil {
			t.Errorf("safeties %v: no error", s)
		}
	}
	flat, err := Parse([]byte(`name: flat
model: {kind: quadratic, samples: [{A: [[1, 0], [0, 1]], c: [0, 0]}]}
time: {t1: 1, outputs: 3}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Sweep(context.Background(), flat, nil, RunOptions{Workers: 1}); err == nil || !strings.Contains(err.Error(), "λ_max(D(w0)) = 0") {
		t.Errorf("flat metric: err = %v, want λ_max = 0", err)
	}
	// A sweep whose GRD blows up keeps its points and reports the failure.
	fail := func(ctx context.Context, g *engine.Geometry, p *prepared, flow string, met engine.Metric, progress func(float64)) *engine.Trajectory {
		tr := engineFlow(ctx, g, p, flow, met, progress)
		if flow == FlowGRD && met.Epsilon*p.lambdaMax > 0.3 {
			tr.Status, tr.Err = engine.StatusFailed, errors.New("injected fault")
		}
		return tr
	}
	sw, err := sweepWith(context.Background(), sc, DefaultSafeties(), RunOptions{Workers: 2}, fail)
	if !errors.Is(err, ErrFlowFailed) || sw == nil {
		t.Fatalf("err = %v, report %v; want ErrFlowFailed with a report", err, sw)
	}
	if last := sw.Points[3]; last.OK || !strings.Contains(last.Err, "injected fault") {
		t.Errorf("last point %+v, want failed with the fault", last)
	}
	if math.IsNaN(sw.SlopeGRDNGD) || !hasWarning(sw.Warnings, "left out of the fits") {
		t.Errorf("slope %g, warnings %q: want a fit over the 3 good points and a warning", sw.SlopeGRDNGD, sw.Warnings)
	}
}

package experiment

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/scenariotest"
	"gonum.org/v1/gonum/mat"
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
		if got := OrderName(tc.p); got != tc.want {
			t.Errorf("OrderName(%g) = %q, want %q", tc.p, got, tc.want)
		}
	}
}

// TestCheckVerdict covers each branch of the verdict on synthetic reports.
func TestCheckVerdict(t *testing.T) {
	base := func(rel, relRef, r2r1 float64) *Report {
		sc := scenariotest.Tiny(t)
		// A large initial transient (MaxR2OverR1): the verdict judges (8)
		// by the median after it.
		return &Report{Scenario: sc, Epsilon: 0.1, Comparisons: Comparisons{RelativeGap: rel, RelativeGapNGDGD: relRef,
			MaxR2OverR1: 100, MedianR2OverR1: r2r1, LateMaxR2OverR1: 2 * r2r1, FinalR2OverR1: r2r1},
			Flows: []*flow.Trajectory{{Flow: flow.GD, Status: flow.StatusOK}}}
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
			r.Flows = append(r.Flows, &flow.Trajectory{Flow: flow.GRD, Status: flow.StatusFailed})
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

func TestSweepVerdict(t *testing.T) {
	sc := scenariotest.Tiny(t)
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
	sc := scenariotest.Tiny(t)
	for _, s := range [][]float64{{0.1}, {0.1, 0.1}, {0.1, 1}, {0, 0.2}, {0.2, math.NaN()}} {
		if _, err := Sweep(context.Background(), sc, s, RunOptions{Workers: 1}); err == nil {
			t.Errorf("safeties %v: no error", s)
		}
	}
	flat, err := scenarios.Parse([]byte(`name: flat
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
	fail := func(ctx context.Context, g *engine.Geometry, p *prepared, fl string, met engine.Metric, progress progressFunc) *flow.Trajectory {
		tr := engineFlow(ctx, g, p, fl, met, progress)
		if fl == scenarios.FlowGRD && met.Epsilon*p.lambdaMax > 0.3 {
			tr.Status, tr.Err = flow.StatusFailed, errors.New("injected fault")
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

// TestFitLogLogStdErr checks the slope and its standard error against the
// textbook least-squares covariance σ²(XᵀX)⁻¹, σ² = RSS/(n−2), computed
// with gonum's dense algebra, and the limits: exact line (SE 0), two points
// (SE NaN).
func TestFitLogLogStdErr(t *testing.T) {
	lx := []float64{-3, -2.2, -1.5, -0.4, 0.3}
	ly := []float64{-5.9, -4.5, -2.8, -0.9, 0.7}
	x, y := make([]float64, len(lx)), make([]float64, len(ly))
	for i := range lx {
		x[i], y[i] = math.Exp(lx[i]), math.Exp(ly[i])
	}
	f := FitLogLog(x, y)
	n := len(lx)
	X := mat.NewDense(n, 2, nil)
	for i := range lx {
		X.Set(i, 0, 1)
		X.Set(i, 1, lx[i])
	}
	var beta mat.VecDense
	if err := beta.SolveVec(X, mat.NewVecDense(n, ly)); err != nil {
		t.Fatal(err)
	}
	var rss float64
	for i := range lx {
		r := ly[i] - beta.AtVec(0) - beta.AtVec(1)*lx[i]
		rss += r * r
	}
	var xtx, inv mat.Dense
	xtx.Mul(X.T(), X)
	if err := inv.Inverse(&xtx); err != nil {
		t.Fatal(err)
	}
	se := math.Sqrt(rss / float64(n-2) * inv.At(1, 1))
	if f.N != n || math.Abs(f.Slope-beta.AtVec(1)) > 1e-12 || math.Abs(f.Intercept-beta.AtVec(0)) > 1e-12 || math.Abs(f.StdErr-se) > 1e-12*se {
		t.Errorf("FitLogLog = %+v, want slope %v intercept %v SE %v", f, beta.AtVec(1), beta.AtVec(0), se)
	}
	if g := FitLogLog([]float64{1, 2, 4}, []float64{3, 12, 48}); math.Abs(g.Slope-2) > 1e-12 || g.StdErr > 1e-12 {
		t.Errorf("exact line: %+v, want slope 2, SE 0", g)
	}
	if g := FitLogLog([]float64{1, 2}, []float64{3, 12}); math.Abs(g.Slope-2) > 1e-12 || !math.IsNaN(g.StdErr) {
		t.Errorf("two points: %+v, want slope 2, SE NaN", g)
	}
}

package flow

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/models"
)

// TestMonitorBudget checks the ε·λ_max monitor of the deterministic flows
// (Monitor) on a two-layer network whose λ_max comes from Lanczos:
//   - with Budget < 0 every row is monitored, each within the monitor's
//     tolerance of a fresh 1e-10 Lanczos at the recorded w;
//   - with the default budget t0 always is, the rows skipped hold NaN,
//     the diagnostics stay within a fifth of the right-hand sides' passes,
//     and the rows monitored are the same values as with every row
//     monitored up to the tolerance; a budget of 0.6 monitors more rows,
//     the last one included, within 0.6;
//   - a known λ_max(D(w0)) (Have0) is the row at t0 exactly, and the run
//     is bit-identical when repeated (the budget counts passes, not time);
//   - the pass counts cover the right-hand sides (≥ 1 per evaluation).
func TestMonitorBudget(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(21, 22))
	m, err := models.NewTwoLayer(testDataFlow(rng, 200, 8, 3), 6, models.Tanh, models.Squared)
	if err != nil {
		t.Fatal(err)
	}
	d := m.Dim()
	g := engine.New(m, &engine.Options{Workers: 2, DenseMaxDim: 1}) // Lanczos at d = 75
	w0 := make([]float64, d)
	for i := range w0 {
		w0[i] = 0.4 * rng.NormFloat64()
	}
	vec := make([]float64, d)
	eps, lam, err := g.EpsilonFrom(ctx, w0, vec, engine.EpsilonSpec{Auto: true})
	if err != nil {
		t.Fatal(err)
	}
	met := engine.Metric{Epsilon: eps}
	times := flLinspace(0, 2, 21)
	for _, fl := range []Name{GD, NGD} {
		all := flRun(t, g, w0, Spec{Flow: fl, Times: times, Metric: met, Monitor: Monitor{Budget: -1}})
		spec := Spec{Flow: fl, Times: times, Metric: met, Monitor: Monitor{LambdaMax0: lam, Have0: true, Start0: vec}}
		bud := flRun(t, g, w0, spec)
		again := flRun(t, g, w0, spec)
		same := flBits(bud.Loss, again.Loss) && flBits(bud.EpsLambdaMax, again.EpsLambdaMax) && bud.DiagnosticPasses == again.DiagnosticPasses
		for k := range bud.W {
			same = same && flBits(bud.W[k], again.W[k])
		}
		if !same {
			t.Errorf("%s: the budgeted monitor is not reproducible", fl)
		}
		if _, n := all.MaxEpsLambdaMax(); n != len(times) {
			t.Errorf("%s with Budget < 0: %d of %d rows monitored", fl, n, len(times))
		}
		for k, x := range all.EpsLambdaMax {
			lk, err := g.LambdaMax(ctx, all.W[k])
			if err != nil {
				t.Fatal(err)
			}
			if e := math.Abs(x-eps*lk) / (eps * lk); e > DefaultMonitorTol {
				t.Errorf("%s row %d: ε·λ_max = %.12g, to 1e-10 %.12g: rel. error %.2g > tol %g", fl, k, x, eps*lk, e, DefaultMonitorTol)
			}
		}
		if bud.EpsLambdaMax[0] != eps*lam {
			t.Errorf("%s: row t0 = %v, want ε·λ_max(D(w0)) = %v exactly", fl, bud.EpsLambdaMax[0], eps*lam)
		}
		_, n := bud.MaxEpsLambdaMax()
		if n < 1 || n >= len(times) || math.IsNaN(bud.EpsLambdaMax[0]) {
			t.Errorf("%s default budget: %d of %d rows monitored (t0 %v), want t0 and not all", fl, n, len(times), bud.EpsLambdaMax[0])
		}
		// The loss rows (one pass each) fit, so the whole stays within the fifth.
		if lim := int64(math.Floor(DefaultMonitorBudget * float64(bud.RHSPasses))); bud.DiagnosticPasses > lim {
			t.Errorf("%s: %d diagnostic passes > %g × %d right-hand-side passes", fl, bud.DiagnosticPasses, DefaultMonitorBudget, bud.RHSPasses)
		}
		// A larger budget monitors more rows, the last one included, and
		// stays within it.
		wide := spec
		wide.Monitor.Budget = 0.6
		big := flRun(t, g, w0, wide)
		_, nb := big.MaxEpsLambdaMax()
		if nb <= n || math.IsNaN(big.EpsLambdaMax[len(times)-1]) || big.DiagnosticPasses > int64(0.6*float64(big.RHSPasses)) {
			t.Errorf("%s budget 0.6: %d rows monitored (default %d), last %v, %d diagnostic of %d rhs passes",
				fl, nb, n, big.EpsLambdaMax[len(times)-1], big.DiagnosticPasses, big.RHSPasses)
		}
		for k, x := range big.EpsLambdaMax {
			if !math.IsNaN(x) && math.Abs(x-all.EpsLambdaMax[k]) > 2*DefaultMonitorTol*x {
				t.Errorf("%s budget 0.6, row %d: %v, every-row %v", fl, k, x, all.EpsLambdaMax[k])
			}
		}
		for k, x := range bud.EpsLambdaMax {
			if !math.IsNaN(x) && math.Abs(x-all.EpsLambdaMax[k]) > 2*DefaultMonitorTol*x {
				t.Errorf("%s row %d: budgeted %v, every-row %v", fl, k, x, all.EpsLambdaMax[k])
			}
		}
		if !(bud.DiagnosticPasses < all.DiagnosticPasses) || bud.RHSPasses != all.RHSPasses || bud.RHSPasses < int64(bud.NFev) {
			t.Errorf("%s: passes rhs %d/%d (nfev %d), diagnostics budgeted %d vs every row %d",
				fl, bud.RHSPasses, all.RHSPasses, bud.NFev, bud.DiagnosticPasses, all.DiagnosticPasses)
		}
		if bud.MonitorTol != DefaultMonitorTol {
			t.Errorf("%s: MonitorTol = %g, want %g", fl, bud.MonitorTol, DefaultMonitorTol)
		}
		t.Logf("%s: nfev %d, rhs passes %d, diagnostic passes %d (every row: %d), %d of %d rows monitored",
			fl, bud.NFev, bud.RHSPasses, bud.DiagnosticPasses, all.DiagnosticPasses, n, len(times))
	}
	bad := Spec{Flow: GD, Times: times, Metric: met, Monitor: Monitor{Tol: 2}}
	if tr := Run(ctx, g, w0, bad, nil); tr.Status != StatusFailed || tr.Err == nil {
		t.Errorf("monitor tolerance 2: status %s, err %v; want a failed spec", tr.Status, tr.Err)
	}
}

// TestMonitorStoppedAndOverBudget checks the two edges of the budget rule:
//   - a Lanczos stopped by the budget reports its Ritz value only when
//     ε·θ ≥ 1, and that value is a lower bound (never above the converged
//     ε·λ_max at the same w); a tolerance of 1e-13 makes the budgeted
//     runs stop early;
//   - with more output rows than the budget pays for (the rows' own loss
//     passes exceed it) the last row is monitored regardless.
func TestMonitorStoppedAndOverBudget(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(31, 32))
	m, err := models.NewTwoLayer(testDataFlow(rng, 200, 8, 3), 6, models.Tanh, models.Squared)
	if err != nil {
		t.Fatal(err)
	}
	d := m.Dim()
	g := engine.New(m, &engine.Options{Workers: 2, DenseMaxDim: 1})
	w0 := make([]float64, d)
	for i := range w0 {
		w0[i] = 0.4 * rng.NormFloat64()
	}
	vec := make([]float64, d)
	_, lam, err := g.EpsilonFrom(ctx, w0, vec, engine.EpsilonSpec{Auto: true})
	if err != nil {
		t.Fatal(err)
	}
	times := flLinspace(0, 2, 21)
	// ε·λ_max falls from 20 to 10 along gd (from 1.2 to 0.6 with the
	// second ε): the same rows are stopped (the budget does not depend on
	// ε), reported at 20 and NaN at 1.2 where ε·θ < 1.
	var stoppedRows []int
	for _, scale := range []float64{20, 1.2} {
		met := engine.Metric{Epsilon: scale / lam}
		mon := Monitor{LambdaMax0: lam, Have0: true, Start0: vec, Tol: 1e-13}
		every := mon
		every.Budget = -1
		all := flRun(t, g, w0, Spec{Flow: GD, Times: times, Metric: met, Monitor: every})
		mon.Budget = 0.6
		bud := flRun(t, g, w0, Spec{Flow: GD, Times: times, Metric: met, Monitor: mon})
		for k, x := range bud.EpsLambdaMax {
			full := all.EpsLambdaMax[k]
			if scale != 20 && slices.Contains(stoppedRows, k) && !math.IsNaN(x) {
				t.Errorf("ε·λ_max(w0) = %g, row %d: stopped at ε·θ < 1 but reported %v (converged %v)", scale, k, x, full)
			}
			if math.IsNaN(x) {
				continue
			}
			if x > full*(1+1e-9) {
				t.Errorf("ε·λ_max(w0) = %g, row %d: %v above the converged %v", scale, k, x, full)
			}
			if x < full*(1-1e-9) {
				if scale == 20 {
					stoppedRows = append(stoppedRows, k)
				}
				if x < 1 {
					t.Errorf("ε·λ_max(w0) = %g, row %d: a stopped run's %v < 1 reported", scale, k, x)
				}
			}
		}
		if scale == 20 && len(stoppedRows) == 0 {
			t.Fatalf("no budget-stopped row reported (values %v): the test does not exercise the rule", bud.EpsLambdaMax)
		}
	}

	// 201 rows against ~100 gradient passes: the loss rows alone exceed a fifth.
	many := flLinspace(0, 2, 201)
	over := flRun(t, g, w0, Spec{Flow: GD, Times: many, Metric: engine.Metric{Epsilon: 0.5 / lam},
		Monitor: Monitor{LambdaMax0: lam, Have0: true, Start0: vec}})
	if int64(len(many)) <= int64(DefaultMonitorBudget*float64(over.RHSPasses)) {
		t.Fatalf("%d rows fit in a fifth of %d passes: the test does not exercise the rule", len(many), over.RHSPasses)
	}
	if x := over.EpsLambdaMax[len(many)-1]; math.IsNaN(x) {
		t.Errorf("over budget (%d diagnostic, %d rhs passes): the last row is not monitored", over.DiagnosticPasses, over.RHSPasses)
	}
}

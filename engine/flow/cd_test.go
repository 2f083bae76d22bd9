package flow

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/integrators"
	"gonum.org/v1/gonum/mat"

	"github.com/grd-engine/grd/models"
)

// cdBars returns the RBM on the 3×3 bars-and-stripes patterns (N = 14,
// n_v = 9) with nh hidden units and a seeded w0 ~ N(0, 0.1²).
func cdBars(t *testing.T, nh int) (*models.RBM, []float64) {
	t.Helper()
	p, _ := models.BarsAndStripes(3)
	m, err := models.NewRBM(p, 9, nh)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	w0 := make([]float64, m.Dim())
	for i := range w0 {
		w0[i] = 0.1 * rng.NormFloat64()
	}
	return m, w0
}

// TestCDDeterminism: the cd ensemble (CD and PCD) is bit-identical for 1,
// 2 and 7 workers and depends on the seed; KL and its spread come with it.
func TestCDDeterminism(t *testing.T) {
	m, w0 := cdBars(t, 4)
	times := flLinspace(0, 1, 5)
	for _, pcd := range []bool{false, true} {
		spec := Spec{Flow: CD, Times: times,
			Ensemble: EnsembleSpec{LR: 0.05, Batch: 4, Runs: 6, K: 2, Persistent: pcd, Seed: 42}}
		var ref *Trajectory
		for _, workers := range []int{1, 2, 7} {
			spec.Workers = workers
			tr := flRun(t, engine.New(m, nil), w0, spec)
			if len(tr.KL) != len(times) || len(tr.KLStd) != len(times) {
				t.Fatalf("pcd=%v: KL has %d rows, KLStd %d, want %d", pcd, len(tr.KL), len(tr.KLStd), len(times))
			}
			if ref == nil {
				ref = tr
				continue
			}
			if !flSameBits(tr, ref) || !flBits(tr.KL, ref.KL) || !flBits(tr.KLStd, ref.KLStd) {
				t.Errorf("pcd=%v: workers %d differs from workers 1", pcd, workers)
			}
		}
		if ref.Steps != 20 || ref.NFev != 6*20 {
			t.Errorf("pcd=%v: steps %d, nfev %d, want 20 and 120 (t1/η steps per run)", pcd, ref.Steps, ref.NFev)
		}
		if ref.KLStd[0] != 0 || !(ref.KLStd[len(times)-1] > 0) {
			t.Errorf("pcd=%v: KL spread %v: want 0 at w0 and > 0 later (the runs differ)", pcd, ref.KLStd)
		}
		spec.Ensemble.Seed = 43
		other := flRun(t, engine.New(m, nil), w0, spec)
		if flBits(other.W[1], ref.W[1]) {
			t.Errorf("pcd=%v: seeds 42 and 43 give the same ensemble", pcd)
		}
	}
}

// TestKLAlongFlows: on bars-and-stripes gd decreases the exact KL
// monotonically (gd decreases the mean NLL = KL + H(p_data) along its
// path, so KL may not rise by more than the integrator's error, here
// taken as 1e-9), and every flow's KL equals loss − H(p_data) (the
// identity KL = mean NLL − entropy, computed independently by
// enumeration of the visible configurations).
func TestKLAlongFlows(t *testing.T) {
	m, w0 := cdBars(t, 6)
	h := m.DataEntropy()
	times := flLinspace(0, 100, 11)
	gd := flRun(t, engine.New(m, nil), w0, Spec{Flow: GD, Times: times})
	if len(gd.KL) != len(times) || gd.KLStd != nil {
		t.Fatalf("gd: %d KL rows (KLStd %v), want %d and nil", len(gd.KL), gd.KLStd, len(times))
	}
	for k := 1; k < len(times); k++ {
		if gd.KL[k] > gd.KL[k-1]+1e-9 {
			t.Errorf("gd: KL rises from %.12g to %.12g at t = %g", gd.KL[k-1], gd.KL[k], times[k])
		}
	}
	if first, last := gd.KL[0], gd.KL[len(times)-1]; !(last < 0.8*first) {
		t.Errorf("gd: KL %g → %g, want a decrease by more than 20%% over t ∈ [0, 100]", first, last)
	}
	for k := range times {
		if e := math.Abs(gd.KL[k] - (gd.Loss[k] - h)); e > 1e-10*(1+gd.Loss[k]) {
			t.Errorf("gd row %d: KL %.15g vs loss − H %.15g", k, gd.KL[k], gd.Loss[k]-h)
		}
	}
	cd := flRun(t, engine.New(m, nil), w0, Spec{Flow: CD, Times: times,
		Ensemble: EnsembleSpec{LR: 0.1, Batch: 7, Runs: 4, Seed: 1}})
	if !(cd.KL[len(times)-1] < cd.KL[0]) {
		t.Errorf("cd: KL %g → %g, want a decrease", cd.KL[0], cd.KL[len(times)-1])
	}
	// Non-RBM models record no KL.
	lin := flRegression(t, 3, 20, 2)
	tr := flRun(t, engine.New(lin, nil), []float64{0, 0, 0}, Spec{Flow: GD, Times: times})
	if tr.KL != nil {
		t.Errorf("linear regression: KL = %v, want nil", tr.KL)
	}
}

// TestCDLargeKApproachesGradient: E[ĝ_CD-k] → ∇f as k → ∞ (the chains
// mix to p_model). On a 3-visible, 2-hidden RBM with weights of order 0.5
// the Gibbs chain mixes within a few sweeps, so with k = 30 the bias is far
// below the statistical error. The mean of M = 20000 independent CD-30
// estimates (batch = all N = 4 patterns) must match the exact gradient to
// 5 standard errors per component (each component's standard error
// estimated from the same draws; a false failure has probability ≈ 6e-7
// per component under normality). CD-1 from the same point is biased: its
// mean differs from ∇f by more than 5 standard errors in some component
// (the check that the test can tell the two apart).
func TestCDLargeKApproachesGradient(t *testing.T) {
	p := []float64{1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1}
	m, err := models.NewRBM(p, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	d := m.Dim()
	rng := rand.New(rand.NewPCG(9, 9))
	w := make([]float64, d)
	for i := range w {
		w[i] = 0.5 * rng.NormFloat64()
	}
	exact := make([]float64, d)
	if err := engine.New(m, nil).Grad(context.Background(), exact, w); err != nil {
		t.Fatal(err)
	}
	const draws = 20000
	batch := []int{0, 1, 2, 3}
	est := m.NewCD(rand.NewPCG(1, 2))
	g := make([]float64, d)
	worst := func(k int) float64 {
		sum, sum2 := make([]float64, d), make([]float64, d)
		for range draws {
			est.Gradient(g, w, batch, k, nil)
			for i, x := range g {
				sum[i] += x
				sum2[i] += x * x
			}
		}
		z := 0.0
		for i := range sum {
			mean := sum[i] / draws
			se := math.Sqrt((sum2[i]/draws - mean*mean) / (draws - 1))
			z = math.Max(z, math.Abs(mean-exact[i])/se)
		}
		return z
	}
	if z := worst(30); z > 5 {
		t.Errorf("CD-30: mean estimate is %.2f standard errors from ∇f, want ≤ 5", z)
	}
	if z := worst(1); z <= 5 {
		t.Errorf("CD-1: mean estimate only %.2f standard errors from ∇f: the test cannot see the CD-1 bias", z)
	}
}

// TestCDSpecErrors: cd needs an RBM and k ≥ 0.
func TestCDSpecErrors(t *testing.T) {
	m, w0 := cdBars(t, 2)
	times := flLinspace(0, 1, 3)
	for _, c := range []struct {
		name string
		m    models.Model
		w0   []float64
		es   EnsembleSpec
		want string
	}{
		{"not an rbm", flRegression(t, 1, 10, 2), []float64{0, 0, 0}, EnsembleSpec{LR: 0.1, Batch: 2, Runs: 1}, "needs an RBM"},
		{"negative k", m, w0, EnsembleSpec{LR: 0.1, Batch: 2, Runs: 1, K: -1}, "k = -1"},
		{"batch", m, w0, EnsembleSpec{LR: 0.1, Batch: 15, Runs: 1}, "batch = 15"},
	} {
		tr := Run(context.Background(), engine.New(c.m, nil), c.w0, Spec{Flow: CD, Times: times, Ensemble: c.es}, nil)
		if tr.Status != StatusFailed || tr.Err == nil || !strings.Contains(tr.Err.Error(), c.want) {
			t.Errorf("%s: status %s, err %v, want failed with %q", c.name, tr.Status, tr.Err, c.want)
		}
	}
}

// TestCDStepAllocs: after the first step (which creates the estimator and
// the persistent chains) a cd step allocates nothing.
func TestCDStepAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counting")
	}
	m, w0 := cdBars(t, 4)
	for _, pcd := range []bool{false, true} {
		es := EnsembleSpec{LR: 0.01, Batch: 3, Runs: 1, K: 2, Persistent: pcd}
		g := engine.New(m, nil)
		wk := newEnsembleWorker(g, &Spec{Flow: CD, Ensemble: es})
		copy(wk.w, w0)
		rng := rand.New(runSource(1, 0))
		var st sgdState
		step := func() { wk.cdStep(rng, &st, &es, m) }
		step()
		if a := testing.AllocsPerRun(300, step); a != 0 {
			t.Errorf("persistent=%v: %v allocations per step", pcd, a)
		}
	}
}

// TestCDMetricFlows: ngd and grd run on the CD metric (ε from its λ_max at
// w0) and record the exact KL, which decreases, while the CD metric's λ_max at w0 agrees with
// CDDiffusion's estimate within its statistical error (both use M = 2048
// per-sample estimates from different draws; relative error ≈ 2·sqrt(2/M)
// ≈ 6%, 20% allowed).
func TestCDMetricFlows(t *testing.T) {
	rbm, w0 := cdBars(t, 4)
	ctx := context.Background()
	cm, err := engine.NewCDMetric(rbm, w0, engine.CDDiffusionSpec{Samples: 2048, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	g := engine.New(cm, nil)
	_, lam, err := g.Epsilon(ctx, w0, engine.EpsilonSpec{Auto: true, Safety: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	var dcd mat.SymDense
	lamCD, err := engine.New(rbm, nil).CDDiffusion(ctx, &dcd, w0, engine.CDDiffusionSpec{Samples: 2048, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(lam-lamCD) > 0.2*lamCD {
		t.Errorf("λ_max of the CD metric %g vs CDDiffusion %g", lam, lamCD)
	}
	// The flows on a cheaper metric (M = 256), with its own ε.
	cm, err = engine.NewCDMetric(rbm, w0, engine.CDDiffusionSpec{Samples: 256, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	g = engine.New(cm, nil)
	eps, _, err := g.Epsilon(ctx, w0, engine.EpsilonSpec{Auto: true, Safety: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	times := flLinspace(0, 20, 5)
	met := engine.Metric{Epsilon: eps, Inverse: engine.WeakField, Christoffel: engine.WeakField}
	for _, flow := range []Name{NGD, GRD} {
		tr := flRun(t, g, w0, Spec{Flow: flow, Times: times, Metric: met,
			Settings: integrators.Settings{RTol: 1e-6, ATol: 1e-8}})
		if len(tr.KL) != len(times) || !(tr.KL[4] < tr.KL[0]) {
			t.Errorf("%s: KL %v: want recorded and decreasing", flow, tr.KL)
		}
		if e := math.Abs(tr.KL[4] - rbm.KL(tr.W[4])); e > 1e-12 {
			t.Errorf("%s: recorded KL %v vs RBM KL %v", flow, tr.KL[4], rbm.KL(tr.W[4]))
		}
	}
}

package experiment

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/models"
	"github.com/grd-engine/grd/scenarios"
)

const rbmBars = "name: r\ndata: {bars-and-stripes: 2}\nmodel: {kind: rbm, hidden: 3}\ntime: {t1: 1, outputs: 3}\n"

// TestRBMGeometryKeys: `grd geometry` on an rbm keeps every DESIGN §5 key
// and adds kl (= loss − H(p_data)), diffusion_cd (d×d, symmetric, PSD
// diagonal) and lambda_max_cd; other kinds have none of the three.
func TestRBMGeometryKeys(t *testing.T) {
	s, err := scenarios.Parse([]byte(rbmBars+"cd: {samples: 512}\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := GeometryAt(context.Background(), b, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"dim", "samples", "loss", "grad", "lambda_max", "epsilon", "diffusion", "ngd_velocity", "v", "hvp",
		"christoffel_vv", "grd_accel", "r0", "r1", "r2", "kl", "diffusion_cd", "lambda_max_cd"} {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	h := b.Model.(*models.RBM).DataEntropy()
	if e := math.Abs(*rep.KL - (rep.Loss - h)); e > 1e-12 {
		t.Errorf("kl %v, loss − H %v", *rep.KL, rep.Loss-h)
	}
	d := rep.Dim
	if len(rep.DiffusionCD) != d || !(*rep.LambdaMaxCD > 0) {
		t.Fatalf("diffusion_cd %d rows, lambda_max_cd %v", len(rep.DiffusionCD), *rep.LambdaMaxCD)
	}
	for i := range d {
		if rep.DiffusionCD[i][i] < 0 {
			t.Errorf("diffusion_cd[%d][%d] = %v < 0", i, i, rep.DiffusionCD[i][i])
		}
		for j := range i {
			if rep.DiffusionCD[i][j] != rep.DiffusionCD[j][i] {
				t.Errorf("diffusion_cd not symmetric at (%d,%d)", i, j)
			}
		}
	}
	// The logistic built-in has none of the rbm keys.
	q, err := scenarios.Builtin("quadratic-2d")
	if err != nil {
		t.Fatal(err)
	}
	qb, err := q.Build()
	if err != nil {
		t.Fatal(err)
	}
	qr, err := GeometryAt(context.Background(), qb, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	qj, _ := json.Marshal(qr)
	for _, k := range []string{`"kl"`, `"diffusion_cd"`, `"lambda_max_cd"`} {
		if bytes.Contains(qj, []byte(k)) {
			t.Errorf("quadratic geometry has %s", k)
		}
	}
}

// TestRBMMetricSourceCD: with metric source cd, ε comes from λ_max of the
// CD metric's D at w0 (engine.CDMetric from cd.k, cd.samples and the
// seed), ngd and grd run in that metric (so they differ from the exact-D
// run) while gd is unchanged, and all record the exact KL.
func TestRBMMetricSourceCD(t *testing.T) {
	base := "name: r\nseed: 2\ndata: {bars-and-stripes: 2}\nmodel: {kind: rbm, hidden: 2}\nflows: [gd, ngd, grd]\n" +
		"cd: {k: 1, samples: 300}\ntime: {t1: 3, outputs: 4}\n"
	run := func(text string) *Report {
		t.Helper()
		s, err := scenarios.Parse([]byte(text), "test.yaml")
		if err != nil {
			t.Fatal(err)
		}
		r, err := Run(context.Background(), s, RunOptions{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	exact := run(base)
	cd := run(base + "metric: {source: cd}\n")
	s, _ := scenarios.Parse([]byte(base+"metric: {source: cd}\n"), "test.yaml")
	b, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	if b.CDMetric == nil || b.MetricModel() != b.CDMetric || b.CDMetric.Len() != 300 {
		t.Fatalf("CDMetric %v", b.CDMetric)
	}
	_, lam, err := engine.New(b.CDMetric, nil).Epsilon(context.Background(), b.W0, engine.EpsilonSpec{Auto: true, Safety: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if cd.LambdaMax != lam || cd.Epsilon != 0.5/lam || cd.LambdaMax == exact.LambdaMax {
		t.Errorf("source cd: λ_max %v ε %v, want %v and %v (exact-D λ_max %v)", cd.LambdaMax, cd.Epsilon, lam, 0.5/lam, exact.LambdaMax)
	}
	if !flBitsEqual(cd.Flow(scenarios.FlowGD).W[3], exact.Flow(scenarios.FlowGD).W[3]) {
		t.Error("gd depends on the metric source")
	}
	for _, f := range []string{scenarios.FlowNGD, scenarios.FlowGRD} {
		if flBitsEqual(cd.Flow(f).W[3], exact.Flow(f).W[3]) {
			t.Errorf("%s: the same with both metric sources", f)
		}
		if tr := cd.Flow(f); len(tr.KL) != 4 || tr.KL[3] != b.Model.(*models.RBM).KL(tr.W[3]) {
			t.Errorf("%s: KL %v not the RBM's exact KL", f, tr.KL)
		}
	}
}

func flBitsEqual(a, b []float64) bool {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}

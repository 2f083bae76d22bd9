package engine

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/grd-engine/grd/models"
	"gonum.org/v1/gonum/mat"
)

// backendRefEnv names the file through which the two BLAS builds compare
// their results (make test-openblas): the pure-Go build writes the
// quantities of backendQuantities there, and the OpenBLAS build (build tag
// openblas) reads them and checks its own against them.
const backendRefEnv = "GRD_BLAS_REFERENCE"

// backendQuantities evaluates every geometry quantity that runs through the
// models' BLAS backend on one two-layer tanh network (N = 700, d = 1 093:
// more than one chunk, more than one 768-column panel of dense D under
// OpenBLAS): the loss, ∇f, H v, D v, the dense D, λ_max(D), Γ(v,v) of both
// kinds, the GRD acceleration and the residuals R0, R1, R2.
func backendQuantities(t *testing.T) map[string][]float64 {
	t.Helper()
	q, err := geometryQuantities(&Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// geometryQuantities evaluates the quantities of backendQuantities on a
// Geometry with the given options.
func geometryQuantities(opts *Options) (map[string][]float64, error) {
	rng := rand.New(rand.NewPCG(7, 11))
	data := testData(rng, 700, 24, 3)
	m, err := models.NewTwoLayer(data, 40, models.Tanh, models.Squared)
	if err != nil {
		return nil, err
	}
	g := New(m, opts)
	d := m.Dim()
	w := randVec(rng, d, 0.3)
	v := randVec(rng, d, 1)
	q := map[string][]float64{}
	var first error
	vec := func(name string, f func(dst []float64) error) {
		dst := make([]float64, d)
		if err := f(dst); err != nil && first == nil {
			first = fmt.Errorf("%s: %w", name, err)
		}
		q[name] = dst
	}
	loss, err := g.Loss(ctx, w)
	if err != nil {
		return nil, err
	}
	q["loss"] = []float64{loss}
	vec("grad", func(dst []float64) error { return g.Grad(ctx, dst, w) })
	vec("hessvec", func(dst []float64) error { return g.HessVec(ctx, dst, w, v) })
	vec("diffusionvec", func(dst []float64) error { return g.DiffusionVec(ctx, dst, w, v) })
	var dense mat.SymDense
	if err := g.Diffusion(ctx, &dense, w); err != nil {
		return nil, err
	}
	q["diffusion"] = symData(&dense)
	lm, err := g.LambdaMax(ctx, w)
	if err != nil {
		return nil, err
	}
	eps := 0.5 / lm
	q["lambdamax"] = []float64{lm}
	vec("christoffel-first", func(dst []float64) error { return g.ChristoffelFirst(ctx, dst, w, v, eps) })
	vec("christoffel-exact", func(dst []float64) error { return g.Christoffel(ctx, dst, w, v, Exact, eps) })
	met := Metric{Epsilon: eps, Inverse: WeakField, Christoffel: WeakField}
	vec("acceleration", func(dst []float64) error { return g.Acceleration(ctx, dst, w, v, met) })
	res, err := g.Residuals(ctx, w, v, met)
	if err != nil {
		return nil, err
	}
	q["residuals"] = []float64{res.R0, res.R1, res.R2, res.NGDDefect}
	return q, first
}

// TestBLASBackendsAgree compares the pure-Go and the OpenBLAS builds on
// every BLAS-backed geometry quantity: `make test-openblas` runs it first in
// the default build, which writes the reference file named by
// $GRD_BLAS_REFERENCE, then in the openblas build, which must agree with it
// to 1e-11 relative (norm-wise per quantity: the backends sum in different
// orders, so bit equality is not expected). Without the variable there is no
// second build to compare with and the test says so.
func TestBLASBackendsAgree(t *testing.T) {
	path := os.Getenv(backendRefEnv)
	if path == "" {
		t.Skipf("$%s is not set: `make test-openblas` runs this test in both BLAS builds and compares them", backendRefEnv)
	}
	got := backendQuantities(t)
	if models.BLASBackend == "gonum" {
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("pure-Go reference written to %s", path)
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no pure-Go reference (run the default build's test first, as make test-openblas does): %v", err)
	}
	var want map[string][]float64
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(want) != len(got) {
		t.Fatalf("reference has %d quantities, this build %d", len(want), len(got))
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		g := got[name]
		w, ok := want[name]
		if !ok || len(w) != len(g) {
			t.Errorf("%s: reference has %d values, this build %d", name, len(w), len(g))
			continue
		}
		var diff, norm float64
		for i := range g {
			diff = math.Max(diff, math.Abs(g[i]-w[i]))
			norm = math.Max(norm, math.Abs(w[i]))
		}
		rel := diff / math.Max(norm, 1e-300)
		if !(rel <= 1e-11) {
			t.Errorf("%s: %s and gonum differ by %.3g relative (max-norm), want ≤ 1e-11", name, models.BLASBackend, rel)
		} else {
			t.Logf("%-18s %s vs gonum: %.2g relative", name, models.BLASBackend, rel)
		}
	}
}

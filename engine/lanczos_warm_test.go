package engine

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/grd-engine/grd/models"
)

// TestLambdaMaxWarmStart follows λ_max(D(w)) along a path of small steps,
// as the ε·λ_max monitor of a flow does: the warm-started Lanczos
// (LambdaMaxFrom with the previous Ritz vector) agrees with the cold start
// and with the dense eigensolver to the 1e-10 relative accuracy DESIGN
// requires, a zero start is exactly the cold start, and after the first
// point the warm start needs fewer D·v products.
func TestLambdaMaxWarmStart(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	m, err := models.NewTwoLayer(testData(rng, 300, 12, 4), 6, models.Tanh, models.Squared)
	if err != nil {
		t.Fatal(err)
	}
	d := m.Dim()
	g := New(m, &Options{Workers: 2, DenseMaxDim: 1}) // Lanczos at d = 106
	w := randVec(rng, d, 0.5)
	dir := randVec(rng, d, 0.02)
	start := make([]float64, d)
	coldIters, warmIters := 0, 0
	for k := range 8 {
		warm, err := g.LambdaMaxFrom(ctx, w, start)
		if err != nil {
			t.Fatal(err)
		}
		cold, err := g.LambdaMaxLanczos(ctx, w)
		if err != nil {
			t.Fatal(err)
		}
		dense, err := g.LambdaMaxDense(ctx, w)
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 && warm != cold {
			t.Errorf("zero start: %+v, want the cold start's %+v exactly", warm, cold)
		}
		if e := math.Abs(warm.Value-cold.Value) / cold.Value; e > 1e-10 {
			t.Errorf("point %d: warm λ_max = %.17g, cold %.17g: rel. difference %.2g > 1e-10", k, warm.Value, cold.Value, e)
		}
		if e := math.Abs(warm.Value-dense) / dense; e > 1e-10 {
			t.Errorf("point %d: warm λ_max = %.17g, dense %.17g: rel. error %.2g > 1e-10", k, warm.Value, dense, e)
		}
		if n := math.Sqrt(dot(start, start)); math.Abs(n-1) > 1e-12 {
			t.Errorf("point %d: Ritz vector norm %g, want 1", k, n)
		}
		if k > 0 {
			coldIters += cold.Iterations
			warmIters += warm.Iterations
		}
		t.Logf("point %d: λ_max %.12g, iterations cold %d, warm %d", k, cold.Value, cold.Iterations, warm.Iterations)
		for i := range w {
			w[i] += dir[i]
		}
	}
	if warmIters >= coldIters {
		t.Errorf("warm starts took %d D·v products over 7 points, cold %d: want fewer", warmIters, coldIters)
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

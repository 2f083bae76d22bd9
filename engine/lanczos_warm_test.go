package engine

import (
	"context"
	"errors"
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

// TestLambdaMaxLooseTolAndEpsilonFrom checks the monitor's building
// blocks: EpsilonFrom gives Epsilon's ε and λ_max bit for bit and leaves
// the top Ritz vector; from that vector a loose-tolerance Lanczos at a
// nearby point is within its tolerance of the 1e-10 value in fewer
// passes; and Passes counts two sweeps per D·v product.
func TestLambdaMaxLooseTolAndEpsilonFrom(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	m, err := models.NewTwoLayer(testData(rng, 300, 12, 4), 6, models.Tanh, models.Squared)
	if err != nil {
		t.Fatal(err)
	}
	d := m.Dim()
	g := New(m, &Options{Workers: 2, DenseMaxDim: 1})
	w := randVec(rng, d, 0.5)
	eps, lam, err := g.Epsilon(ctx, w, EpsilonSpec{Auto: true})
	if err != nil {
		t.Fatal(err)
	}
	vec := randVec(rng, d, 1) // overwritten
	eps2, lam2, err := g.EpsilonFrom(ctx, w, vec, EpsilonSpec{Auto: true})
	if err != nil || eps2 != eps || lam2 != lam {
		t.Fatalf("EpsilonFrom = %v, %v, %v; Epsilon gave %v, %v", eps2, lam2, err, eps, lam)
	}
	if n := math.Sqrt(dot(vec, vec)); math.Abs(n-1) > 1e-12 {
		t.Errorf("EpsilonFrom's Ritz vector has norm %g, want 1", n)
	}
	dir := randVec(rng, d, 0.02)
	for i := range w {
		w[i] += dir[i]
	}
	exact, err := g.LambdaMaxLanczos(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-4
	p0 := g.Passes()
	loose, err := g.LambdaMaxFromTol(ctx, w, vec, tol)
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Passes() - p0; got != int64(2*loose.Iterations) {
		t.Errorf("Passes grew by %d over %d Lanczos iterations, want 2 per D·v", got, loose.Iterations)
	}
	if e := math.Abs(loose.Value-exact.Value) / exact.Value; e > tol {
		t.Errorf("λ_max at tol %g = %.12g, to 1e-10 %.12g: rel. error %.2g", tol, loose.Value, exact.Value, e)
	}
	if loose.Iterations >= exact.Iterations {
		t.Errorf("tol %g from the warm start took %d iterations, 1e-10 cold %d: want fewer", tol, loose.Iterations, exact.Iterations)
	}
	t.Logf("iterations: warm at %g %d, cold at 1e-10 %d; rel. difference %.2g", tol, loose.Iterations, exact.Iterations,
		math.Abs(loose.Value-exact.Value)/exact.Value)
}

// TestLambdaMaxWithin: with passes enough, LambdaMaxWithin is
// LambdaMaxFromTol (the same bits, the same passes); with fewer it spends
// at most its budget, returns ErrBudget (which is also ErrNotConverged)
// and a Value that is a lower bound on λ_max; a budget below one D·v
// spends nothing.
func TestLambdaMaxWithin(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 8))
	m, err := models.NewTwoLayer(testData(rng, 300, 12, 4), 6, models.Tanh, models.Squared)
	if err != nil {
		t.Fatal(err)
	}
	d := m.Dim()
	g := New(m, &Options{Workers: 2, DenseMaxDim: 1})
	w := randVec(rng, d, 0.5)
	exact, err := g.LambdaMaxLanczos(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-6
	s1, s2 := make([]float64, d), make([]float64, d)
	p0 := g.Passes()
	ref, err := g.LambdaMaxFromTol(ctx, w, s1, tol)
	spent := g.Passes() - p0
	if err != nil {
		t.Fatal(err)
	}
	p0 = g.Passes()
	got, err := g.LambdaMaxWithin(ctx, w, s2, tol, spent)
	if err != nil || got != ref || g.Passes()-p0 != spent || !bitsEqual(s1, s2) {
		t.Errorf("budget %d (enough): %+v, %v, %d passes; LambdaMaxFromTol %+v in %d", spent, got, err, g.Passes()-p0, ref, spent)
	}
	for _, budget := range []int64{spent - 2, 5, 2} {
		clear(s2)
		p0 = g.Passes()
		got, err = g.LambdaMaxWithin(ctx, w, s2, tol, budget)
		used := g.Passes() - p0
		if !errors.Is(err, ErrBudget) || !errors.Is(err, ErrNotConverged) {
			t.Errorf("budget %d of %d needed: err %v, want ErrBudget", budget, spent, err)
		}
		if used > budget || got.Value > exact.Value*(1+1e-12) || !(got.Value > 0) {
			t.Errorf("budget %d: %d passes, θ = %.15g, λ_max = %.15g: want ≤ budget and a positive lower bound", budget, used, got.Value, exact.Value)
		}
	}
	p0 = g.Passes()
	if _, err := g.LambdaMaxWithin(ctx, w, s2, tol, 1); !errors.Is(err, ErrBudget) || g.Passes() != p0 {
		t.Errorf("budget 1: err %v, %d passes; want ErrBudget and none", err, g.Passes()-p0)
	}
}

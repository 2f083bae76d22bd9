package engine_test

import (
	"context"
	"fmt"
	"log"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/models"
)

// Example evaluates the diffusion geometry of a small two-layer network:
// λ_max(D) and the auto ε, the NGD velocity, the GRD acceleration along it
// and the (8) residuals.
func Example() {
	data := &models.Data{N: 4, In: 2, Out: 1,
		X: []float64{0, 0, 0, 1, 1, 0, 1, 1},
		Y: []float64{0, 1, 1, 0},
	}
	m, err := models.NewTwoLayer(data, 2, models.Tanh, models.Squared)
	if err != nil {
		log.Fatal(err)
	}
	w := []float64{0.5, -0.4, 0.3, 0.8, 0.1, -0.2, 0.7, -0.6, 0.05} // [W1 (2×2), b1, W2 (1×2), b2]
	ctx := context.Background()
	g := engine.New(m, nil)

	eps, lam, err := g.Epsilon(ctx, w, engine.EpsilonSpec{Auto: true})
	if err != nil {
		log.Fatal(err)
	}
	met := engine.Metric{Epsilon: eps, Inverse: engine.WeakField, Christoffel: engine.WeakField}
	u := make([]float64, m.Dim())
	if err := g.NGDVelocity(ctx, u, w, met); err != nil {
		log.Fatal(err)
	}
	a := make([]float64, m.Dim())
	if err := g.Acceleration(ctx, a, w, u, met); err != nil {
		log.Fatal(err)
	}
	res, err := g.Residuals(ctx, w, u, met)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("d = %d, N = %d\n", g.Dim(), g.Len())
	fmt.Printf("λ_max = %.6f, ε = %.6f, ε·λ_max = %.2f\n", lam, eps, eps*lam)
	fmt.Printf("a[0] = %.6f\n", a[0])
	fmt.Printf("R0 = %.6f, R1 = %.6f, R2 = %.6f, defect = %.6f\n", res.R0, res.R1, res.R2, res.NGDDefect)
	// Output:
	// d = 9, N = 4
	// λ_max = 0.936470, ε = 0.533920, ε·λ_max = 0.50
	// a[0] = -0.222517
	// R0 = 1.037908, R1 = 0.607906, R2 = 1.259738, defect = 0.000000
}

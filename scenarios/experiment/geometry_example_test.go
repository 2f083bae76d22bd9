package experiment_test

import (
	"context"
	"fmt"

	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
)

// ExampleGeometryAt evaluates the geometry of the built-in quadratic-2d
// scenario at its w0 along the NGD velocity, as `grd geometry` does.
func ExampleGeometryAt() {
	s, err := scenarios.Builtin("quadratic-2d")
	if err != nil {
		panic(err)
	}
	b, err := s.Build()
	if err != nil {
		panic(err)
	}
	r, err := experiment.GeometryAt(context.Background(), b, nil, nil, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("d = %d, N = %d\n", r.Dim, r.Samples)
	fmt.Printf("ε·λ_max(D(w0)) = %.2f (auto, safety 0.5)\n", r.Epsilon*r.LambdaMax)
	fmt.Printf("D is %d×%d; R0 = %.4f\n", len(r.Diffusion), len(r.Diffusion[0]), r.R0)
	// Output:
	// d = 2, N = 8
	// ε·λ_max(D(w0)) = 0.50 (auto, safety 0.5)
	// D is 2×2; R0 = 2.6542
}

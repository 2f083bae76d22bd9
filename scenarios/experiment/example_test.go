package experiment_test

import (
	"fmt"

	"github.com/grd-engine/grd/scenarios/experiment"
)

// Fit the order of a gap in ε.
func ExampleFitLogLogSlope() {
	eps := []float64{0.01, 0.02, 0.04}
	gap := []float64{3e-4, 1.2e-3, 4.8e-3} // 3ε²
	p, n := experiment.FitLogLogSlope(eps, gap)
	fmt.Printf("slope %.3f over %d points\n", p, n)
	// Output: slope 2.000 over 3 points
}

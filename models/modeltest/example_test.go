package modeltest_test

import (
	"fmt"

	"github.com/grd-engine/grd/models/modeltest"
)

// Compare finds the component furthest outside a mixed tolerance; a ratio
// ≤ 1 means the vectors agree.
func ExampleCompare() {
	got := []float64{1.0000001, 2e-12, 3}
	want := []float64{1, 0, 3}
	tol := modeltest.Tol{Rel: 1e-6, Abs: 1e-10}
	i, r := modeltest.Compare(got, want, tol)
	fmt.Printf("worst component %d, ratio %.3f, close: %v\n", i, r, modeltest.Close(got, want, tol))
	// Output:
	// worst component 0, ratio 0.100, close: true
}

package experiment_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/grd-engine/grd/scenarios"
)

// Run a scenario, then write its outputs: the CSV files, the plots and
// summary.json (with d = 2 a contour plot too).
func ExampleRun() {
	sc, err := scenarios.Parse([]byte(`name: example
seed: 1
model: {kind: quadratic, dim: 3, count: 4, condition: 3}
flows: [gd, ngd, grd]
time: {t1: 1, outputs: 5}
`), "")
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := scenarios.Run(context.Background(), sc, scenarios.RunOptions{Workers: 2})
	if err != nil {
		fmt.Println(err) // r is still complete when a flow failed
	}
	for _, tr := range r.Flows {
		fmt.Printf("%s: %s, %d rows\n", tr.Flow, tr.Status, tr.Len())
	}
	fmt.Printf("ε·λ_max(D(w0)) = %.2f\n", r.Epsilon*r.LambdaMax)

	dir, _ := os.MkdirTemp("", "grd-example")
	defer os.RemoveAll(dir)
	files, err := scenarios.WriteOutputs(filepath.Join(dir, "example"), r)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(files)
	// Output:
	// gd: ok, 5 rows
	// ngd: ok, 5 rows
	// grd: ok, 5 rows
	// ε·λ_max(D(w0)) = 0.50
	// [gd.csv ngd.csv grd.csv loss.png loss.svg gap.png gap.svg residuals.png residuals.svg summary.json]
}

// Fit the order of a gap in ε.
func ExampleFitLogLogSlope() {
	eps := []float64{0.01, 0.02, 0.04}
	gap := []float64{3e-4, 1.2e-3, 4.8e-3} // 3ε²
	p, n := scenarios.FitLogLogSlope(eps, gap)
	fmt.Printf("slope %.3f over %d points\n", p, n)
	// Output: slope 2.000 over 3 points
}

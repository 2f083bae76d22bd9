package report_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
	"github.com/grd-engine/grd/scenarios/report"
)

// Run a scenario, then write its outputs: the CSV files, the plots and
// summary.json (with d = 2 a contour plot too).
func ExampleWriteOutputs() {
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
	r, err := experiment.Run(context.Background(), sc, experiment.RunOptions{Workers: 2})
	if err != nil {
		fmt.Println(err) // r is still complete when a flow failed
	}
	for _, tr := range r.Flows {
		fmt.Printf("%s: %s, %d rows\n", tr.Flow, tr.Status, tr.Len())
	}
	fmt.Printf("ε·λ_max(D(w0)) = %.2f\n", r.Epsilon*r.LambdaMax)

	dir, _ := os.MkdirTemp("", "grd-example")
	defer os.RemoveAll(dir)
	files, err := report.WriteOutputs(filepath.Join(dir, "example"), r)
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
	// [gd.csv ngd.csv grd.csv loss.png loss.svg gap.png gap.svg residuals.png residuals.svg summary.json report.html]
}

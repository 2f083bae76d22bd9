package bench_test

import (
	"context"
	"fmt"
	"os"

	"github.com/grd-engine/grd/bench"
)

// Run a small work-precision sweep and print the work it took; Error and
// Seconds are in the rows too (and in the CSV and the plot).
func ExampleRunIntegrators() {
	rows, err := bench.RunIntegrators(context.Background(), bench.IntegratorConfig{
		Problems: []string{"grdtoy"},
		Methods:  []string{"dopri5", "dop853"},
		Tols:     []float64{1e-6, 1e-9},
		Reps:     1,
	})
	if err != nil {
		panic(err)
	}
	for _, r := range rows {
		fmt.Printf("%s %-6s tol=%g nfev=%d error<tol: %v\n", r.Problem, r.Method, r.Tol, r.NFev, r.Error < r.Tol)
	}
	// Output:
	// grdtoy dopri5 tol=1e-06 nfev=170 error<tol: true
	// grdtoy dopri5 tol=1e-09 nfev=530 error<tol: true
	// grdtoy dop853 tol=1e-06 nfev=145 error<tol: true
	// grdtoy dop853 tol=1e-09 nfev=253 error<tol: true
}

func ExampleWriteIntegratorsCSV() {
	rows := []bench.IntegratorRow{{Problem: "lorenz", Method: "dop853", Tol: 1e-8, Error: 5.5e-4, NFev: 6516, Steps: 542, Rejected: 1, Seconds: 2.7e-4}}
	if err := bench.WriteIntegratorsCSV(os.Stdout, rows); err != nil {
		panic(err)
	}
	// Output:
	// problem,method,tol,error,nfev,steps,rejected,seconds
	// lorenz,dop853,1e-08,0.00055,6516,542,1,0.00027
}

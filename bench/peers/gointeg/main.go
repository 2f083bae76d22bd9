// Command gointeg runs grd's integrator work-precision sweep
// (bench.RunIntegrators) and prints it as CSV
//
//	problem,method,tol,error,nfev,steps,rejected,seconds
//
// It is the fallback of bench/peers/run.sh for trees whose cmd/grd does not
// have `grd bench integrators`; both call the same library function.
//
// Usage: go run ./bench/peers/gointeg [--problems lorenz,...] [--methods dopri5,...] [--tols 1e-3,...] [--reps 5]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/grd-engine/grd/bench"
)

func main() {
	problems := flag.String("problems", "", "comma-separated problems (default all)")
	methods := flag.String("methods", "", "comma-separated adaptive methods (default bs3,dopri5,tsit5,dop853)")
	tols := flag.String("tols", "", "comma-separated tolerances (default 1e-3…1e-10)")
	reps := flag.Int("reps", 5, "timed repetitions (median reported)")
	flag.Parse()
	cfg := bench.IntegratorConfig{Problems: split(*problems), Methods: split(*methods), Reps: *reps}
	for _, s := range split(*tols) {
		t, err := strconv.ParseFloat(s, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gointeg: --tols: %q is not a number\n", s)
			os.Exit(2)
		}
		cfg.Tols = append(cfg.Tols, t)
	}
	rows, err := bench.RunIntegrators(context.Background(), cfg)
	if err == nil {
		err = bench.WriteIntegratorsCSV(os.Stdout, rows)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Command grd simulates General Relativity Descent, natural gradient descent,
// gradient descent and SGD on a model and data set described by a scenario
// file, and measures how far apart they are. See README.md and DESIGN.md §5.
//
// Commands:
//
//	grd run [SCENARIO|NAME] [--out DIR]     run the flows; CSV, plots, summary.json
//	grd check SCENARIO [--sweep S,…] [--out DIR]
//	                                        does GRD reduce to NGD? table and verdict
//	grd geometry SCENARIO [--w FILE] [--v FILE]
//	                                        the diffusion geometry at a point, as JSON
//	grd report DIR                          rebuild DIR/report.html from DIR's files
//	grd scenarios                           list the built-in scenarios
//	grd scenarios show NAME                 print one as YAML, defaults filled in
//	grd bench integrators [...]             integrator work-precision (CSV or table, plot)
//	grd bench geometry [...]                geometry kernel cost in gradient passes
//
// Global flags: --workers K (results do not depend on it), --quiet.
// Errors print one line "grd: …" and exit 1; usage errors exit 2.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	comm, finish, err := startComm() // MPI in grd-mpi (mpi.go), nothing otherwise (nompi.go)
	if err != nil {
		fmt.Fprintf(os.Stderr, "grd: %v\n", err)
		os.Exit(exitError)
	}
	stdout, stderr := io.Writer(os.Stdout), io.Writer(os.Stderr)
	if comm != nil && comm.Rank() != 0 { // rank 0 alone prints
		stdout, stderr = io.Discard, io.Discard
	}
	code := runComm(ctx, os.Args[1:], stdout, stderr, comm)
	stop()
	os.Exit(finish(code))
}

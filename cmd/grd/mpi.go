//go:build mpi

package main

import (
	"fmt"
	"os"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/internal/mpi"
)

// startComm initialises MPI (grd-mpi, run under mpirun or srun): every
// pass of run, check and geometry is then spread over the ranks. The
// returned finish shuts MPI down and returns the exit status to use.
// A single process started without mpirun is a world of one rank.
func startComm() (engine.Comm, func(code int) int, error) {
	c, err := mpi.Init()
	if err != nil {
		return nil, nil, err
	}
	finish := func(code int) int {
		if err := mpi.Finalize(); err != nil && c.Rank() == 0 {
			fmt.Fprintf(os.Stderr, "grd: %v\n", err)
			return max(code, exitError)
		}
		return code
	}
	return c, finish, nil
}

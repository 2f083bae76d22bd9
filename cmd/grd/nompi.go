//go:build !mpi

package main

import "github.com/grd-engine/grd/engine"

// startComm: the default build runs alone (grd-mpi's is in mpi.go).
func startComm() (engine.Comm, func(code int) int, error) {
	return nil, func(code int) int { return code }, nil
}

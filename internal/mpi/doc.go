// Package mpi is the small cgo layer over the MPI C API (Open MPI 4.1 on
// Debian: libopenmpi-dev) that grd-mpi needs: initialise and finalise,
// rank and size, in-place all-gathers of doubles, a broadcast of bytes and
// abort. It is compiled only with the build tag mpi (make build-mpi); the
// default build of grd does not contain it and needs no MPI.
//
// Errors are values: every call returns an error naming the MPI operation
// and MPI's own error string (the communicator's error handler is set to
// MPI_ERRORS_RETURN). Calls must come from one goroutine at a time (MPI is
// initialised with MPI_THREAD_SERIALIZED; goroutines may change OS thread
// between calls, which that level allows).
//
// Maintained Go bindings were not used: the one small set of calls below
// is all grd needs, and owning it keeps the cgo surface to one file.
package mpi

//go:build mpi

package mpi

/*
#cgo pkg-config: ompi-c
#include <mpi.h>
#include <stdlib.h>

static MPI_Comm world(void) { return MPI_COMM_WORLD; }
static MPI_Datatype dbl(void) { return MPI_DOUBLE; }
static MPI_Datatype byt(void) { return MPI_BYTE; }
static MPI_Datatype intt(void) { return MPI_INT; }
static void *inplace(void) { return MPI_IN_PLACE; }
static int serialized(void) { return MPI_THREAD_SERIALIZED; }
static int errs_return(void) { return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN); }
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// Comm is MPI_COMM_WORLD after Init.
type Comm struct {
	rank, size int
	// scratch for counts and displacements, reused by every call.
	cnt, dsp   []C.int
	rcnt, rdsp []C.int // Alltoallv's receive side
}

func mpiErr(op string, code C.int) error {
	if code == C.MPI_SUCCESS {
		return nil
	}
	buf := make([]byte, C.MPI_MAX_ERROR_STRING)
	var n C.int
	C.MPI_Error_string(code, (*C.char)(unsafe.Pointer(&buf[0])), &n)
	return fmt.Errorf("mpi: %s: %s", op, string(buf[:n]))
}

// Init initialises MPI (MPI_Init_thread with MPI_THREAD_SERIALIZED) and
// returns the world communicator.
func Init() (*Comm, error) {
	var provided C.int
	if err := mpiErr("MPI_Init_thread", C.MPI_Init_thread(nil, nil, C.serialized(), &provided)); err != nil {
		return nil, err
	}
	if provided < C.serialized() {
		return nil, errors.New("mpi: MPI_Init_thread: the MPI library does not provide MPI_THREAD_SERIALIZED")
	}
	if err := mpiErr("MPI_Comm_set_errhandler", C.errs_return()); err != nil {
		return nil, err
	}
	var r, s C.int
	if err := mpiErr("MPI_Comm_rank", C.MPI_Comm_rank(C.world(), &r)); err != nil {
		return nil, err
	}
	if err := mpiErr("MPI_Comm_size", C.MPI_Comm_size(C.world(), &s)); err != nil {
		return nil, err
	}
	return &Comm{rank: int(r), size: int(s), cnt: make([]C.int, s), dsp: make([]C.int, s),
		rcnt: make([]C.int, s), rdsp: make([]C.int, s)}, nil
}

// Rank is this process's rank, 0 ≤ Rank < Size.
func (c *Comm) Rank() int { return c.rank }

// Size is the number of ranks.
func (c *Comm) Size() int { return c.size }

// Allgatherv gathers in place: rank r's part buf[displs[r] : displs[r]+counts[r]]
// is sent to every rank, and on return every rank's buf holds all parts.
func (c *Comm) Allgatherv(buf []float64, counts, displs []int) error {
	if len(counts) != c.size || len(displs) != c.size {
		return fmt.Errorf("mpi: Allgatherv: %d counts and %d displacements for %d ranks", len(counts), len(displs), c.size)
	}
	for r := range counts {
		if counts[r] < 0 || displs[r] < 0 || displs[r]+counts[r] > len(buf) || counts[r] > 1<<31-1 {
			return fmt.Errorf("mpi: Allgatherv: rank %d's part [%d, %d+%d) is outside the buffer of %d values (or too large)", r, displs[r], displs[r], counts[r], len(buf))
		}
		c.cnt[r], c.dsp[r] = C.int(counts[r]), C.int(displs[r])
	}
	var p unsafe.Pointer
	if len(buf) > 0 {
		p = unsafe.Pointer(&buf[0])
	}
	return mpiErr("MPI_Allgatherv", C.MPI_Allgatherv(C.inplace(), 0, C.dbl(), p, &c.cnt[0], &c.dsp[0], C.dbl(), C.world()))
}

// Alltoallv sends send[sdispls[q] : sdispls[q]+scounts[q]] to rank q and
// receives rank q's part for this rank into recv[rdispls[q] :
// rdispls[q]+rcounts[q]], for every rank q (this one included).
func (c *Comm) Alltoallv(send []float64, scounts, sdispls []int, recv []float64, rcounts, rdispls []int) error {
	if len(scounts) != c.size || len(sdispls) != c.size || len(rcounts) != c.size || len(rdispls) != c.size {
		return fmt.Errorf("mpi: Alltoallv: %d, %d, %d, %d counts and displacements for %d ranks", len(scounts), len(sdispls), len(rcounts), len(rdispls), c.size)
	}
	for q := range c.size {
		if scounts[q] < 0 || sdispls[q] < 0 || sdispls[q]+scounts[q] > len(send) || scounts[q] > 1<<31-1 {
			return fmt.Errorf("mpi: Alltoallv: the part for rank %d [%d, %d+%d) is outside the send buffer of %d values (or too large)", q, sdispls[q], sdispls[q], scounts[q], len(send))
		}
		if rcounts[q] < 0 || rdispls[q] < 0 || rdispls[q]+rcounts[q] > len(recv) || rcounts[q] > 1<<31-1 {
			return fmt.Errorf("mpi: Alltoallv: the part from rank %d [%d, %d+%d) is outside the receive buffer of %d values (or too large)", q, rdispls[q], rdispls[q], rcounts[q], len(recv))
		}
		c.cnt[q], c.dsp[q] = C.int(scounts[q]), C.int(sdispls[q])
		c.rcnt[q], c.rdsp[q] = C.int(rcounts[q]), C.int(rdispls[q])
	}
	var sp, rp unsafe.Pointer
	if len(send) > 0 {
		sp = unsafe.Pointer(&send[0])
	}
	if len(recv) > 0 {
		rp = unsafe.Pointer(&recv[0])
	}
	return mpiErr("MPI_Alltoallv", C.MPI_Alltoallv(sp, &c.cnt[0], &c.dsp[0], C.dbl(), rp, &c.rcnt[0], &c.rdsp[0], C.dbl(), C.world()))
}

// AllgatherInt returns every rank's value of v, in rank order.
func (c *Comm) AllgatherInt(v int) ([]int, error) {
	in := C.int(v)
	out := make([]C.int, c.size)
	if err := mpiErr("MPI_Allgather", C.MPI_Allgather(unsafe.Pointer(&in), 1, C.intt(), unsafe.Pointer(&out[0]), 1, C.intt(), C.world())); err != nil {
		return nil, err
	}
	res := make([]int, c.size)
	for i, x := range out {
		res[i] = int(x)
	}
	return res, nil
}

// BcastBytes sends root's b (whose length every rank must pass) to every rank.
func (c *Comm) BcastBytes(b []byte, root int) error {
	if len(b) == 0 {
		return nil
	}
	return mpiErr("MPI_Bcast", C.MPI_Bcast(unsafe.Pointer(&b[0]), C.int(len(b)), C.byt(), C.int(root), C.world()))
}

// Abort ends every rank of the job with the given exit code.
func (c *Comm) Abort(code int) { C.MPI_Abort(C.world(), C.int(code)) }

// Finalize shuts MPI down; no MPI call may follow.
func Finalize() error { return mpiErr("MPI_Finalize", C.MPI_Finalize()) }

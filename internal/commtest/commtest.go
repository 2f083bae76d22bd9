// Package commtest is an in-process communicator of k ranks (goroutines)
// with the methods of engine.Comm, so that distributed code is tested
// without MPI; grd-mpi's tests (make test-mpi) run the real one.
package commtest

import (
	"fmt"
	"sync"
)

// World is the shared state of k ranks.
type World struct {
	k    int
	mu   sync.Mutex
	cond sync.Cond
	gen  int
	wait int
	bufs [][]float64
	errs []error
	// Alltoallv: every rank's send counts and displacements
	scounts, sdispls [][]int
}

// NewWorld returns a world of k ranks.
func NewWorld(k int) *World {
	w := &World{k: k, bufs: make([][]float64, k), errs: make([]error, k), scounts: make([][]int, k), sdispls: make([][]int, k)}
	w.cond.L = &w.mu
	return w
}

func (w *World) barrier() {
	w.mu.Lock()
	defer w.mu.Unlock()
	gen := w.gen
	if w.wait++; w.wait == w.k {
		w.wait, w.gen = 0, w.gen+1
		w.cond.Broadcast()
		return
	}
	for gen == w.gen {
		w.cond.Wait()
	}
}

// Comm is one rank of a World.
type Comm struct {
	w    *World
	rank int
}

// Rank returns the rank.
func (c *Comm) Rank() int { return c.rank }

// Size returns the number of ranks.
func (c *Comm) Size() int { return c.w.k }

// Allgatherv gathers in place: rank r's buf[displs[r] : displs[r]+counts[r]]
// reaches every rank's buf.
func (c *Comm) Allgatherv(buf []float64, counts, displs []int) error {
	c.w.bufs[c.rank] = buf
	c.w.barrier()
	for q := range c.w.k {
		if q != c.rank {
			copy(buf[displs[q]:displs[q]+counts[q]], c.w.bufs[q][displs[q]:displs[q]+counts[q]])
		}
	}
	c.w.barrier()
	return nil
}

// Alltoallv sends send[sdispls[q] : sdispls[q]+scounts[q]] to rank q and
// receives rank q's part for this rank into recv[rdispls[q] :
// rdispls[q]+rcounts[q]].
func (c *Comm) Alltoallv(send []float64, scounts, sdispls []int, recv []float64, rcounts, rdispls []int) error {
	c.w.bufs[c.rank] = send
	c.w.sdispls[c.rank], c.w.scounts[c.rank] = sdispls, scounts
	c.w.barrier()
	for q := range c.w.k {
		if n := c.w.scounts[q][c.rank]; n != rcounts[q] {
			panic(fmt.Sprintf("commtest: Alltoallv: rank %d sends %d values to rank %d, which expects %d", q, n, c.rank, rcounts[q]))
		}
		a := c.w.sdispls[q][c.rank]
		copy(recv[rdispls[q]:rdispls[q]+rcounts[q]], c.w.bufs[q][a:a+rcounts[q]])
	}
	c.w.barrier()
	return nil
}

// Agree returns nil on every rank if every local error is nil, otherwise
// "rank q: err" wrapping the lowest failing rank q's error.
func (c *Comm) Agree(local error) error {
	c.w.errs[c.rank] = local
	c.w.barrier()
	var err error
	for q, e := range c.w.errs {
		if e != nil {
			err = fmt.Errorf("rank %d: %w", q, e)
			break
		}
	}
	c.w.barrier()
	return err
}

// OnRanks runs f on the k ranks of a new world, concurrently, and returns
// each rank's result.
func OnRanks[T any](k int, f func(c *Comm) (T, error)) ([]T, []error) {
	w := NewWorld(k)
	out, errs := make([]T, k), make([]error, k)
	var wg sync.WaitGroup
	for r := range k {
		wg.Go(func() { out[r], errs[r] = f(&Comm{w: w, rank: r}) })
	}
	wg.Wait()
	return out, errs
}

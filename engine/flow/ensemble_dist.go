package flow

// An ensemble on the ranks of a distributed run (engine.Geometry.Comm):
// runs split by run index, folded in run order on every rank.

import (
	"context"
	"errors"
	"fmt"

	"github.com/grd-engine/grd/engine"

	"github.com/sourcegraph/conc/pool"
)

// blockOf returns the contiguous block [lo, hi) of n items that rank (of
// size ranks) takes: ⌊n·rank/size⌋ to ⌊n·(rank+1)/size⌋.
func blockOf(n, rank, size int) (lo, hi int) {
	return n * rank / size, n * (rank + 1) / size
}

// Run states in the exchanged records.
const (
	runOK = iota
	runFailed
	runCanceled
)

// runRanks computes runs rd.next … runs−1 on the ranks of comm and folds
// every one of them, in run order, into rd on every rank, as the
// single-process pool does: the accumulator, and so the Trajectory, is
// bit-identical to a single process's for any number of ranks and workers
// (a run's bits depend only on the seed and its index).
//
// The runs go in waves of W = Σ_q workers_q runs (every rank's worker
// count, all-gathered first); rank q computes the contiguous block of a
// wave that follows the blocks of ranks 0 … q−1, workers_q runs, on its own
// goroutines. At the end of a wave the ranks all-gather the wave's
// records (state, rows, steps and the K·d rows of w, the K losses and KL
// values of each run) and agree on the first failure in run order, which
// is the lowest failing rank's first failure (Comm.Agree): its message is
// the run's own, so a failed run reads as in a single process. Memory is
// one wave's records, O(W·K·d), as for a single process with W workers.
//
// A wave with a canceled run (an interruption reaches the ranks one after
// another) ends the loop on every rank: later runs are not started, and
// the Trajectory keeps at most its t0 row, as a single process's would
// (its later runs record their t0 row and stop at their first step; runs
// resumed from a checkpoint aside). Runs in progress on ranks other than 0 are
// not in rank 0's checkpoint: they start afresh on resume, with the same
// bits.
//
// The error is a failure of the communicator itself.
func (rd *ensembleReducer) runRanks(comm engine.Comm, runs, workers int, one func(int, *ensembleRun), tick func(int), jOut []int) error {
	size, me := comm.Size(), comm.Rank()
	ws := make([]float64, size)
	ws[me] = float64(workers)
	counts, displs := make([]int, size), make([]int, size)
	for q := range size {
		counts[q], displs[q] = 1, q
	}
	if err := comm.Allgatherv(ws, counts, displs); err != nil {
		return fmt.Errorf("gathering the ranks' worker counts: %w", err)
	}
	width := runRecordLen(rd.d, rd.k)
	var buf []float64
	lo0, hi0 := make([]int, size), make([]int, size)
	for lo := rd.next; lo < runs; {
		hi := lo
		for q := range size {
			lo0[q] = hi
			hi = min(runs, hi+max(1, int(ws[q])))
			hi0[q] = hi
			counts[q], displs[q] = (hi0[q]-lo0[q])*width, (lo0[q]-lo)*width
		}
		buf = grow(buf, (hi-lo)*width)

		mine := make([]*ensembleRun, hi0[me]-lo0[me])
		p := pool.New().WithMaxGoroutines(max(1, len(mine)))
		for i := range mine {
			mine[i] = rd.get()
			p.Go(func() { one(lo0[me]+i, mine[i]) })
		}
		p.Wait()
		var first error
		for i, run := range mine {
			run.pack(buf[(lo0[me]-lo+i)*width:(lo0[me]-lo+i+1)*width], rd.d, rd.k)
			if first == nil {
				first = run.err
			}
		}
		if err := comm.Allgatherv(buf, counts, displs); err != nil {
			return fmt.Errorf("gathering runs %d to %d: %w", lo, hi-1, err)
		}
		agreed := comm.Agree(first)
		firstErr := errors.Unwrap(agreed) // the failing run's own error, without the rank
		if agreed != nil && firstErr == nil {
			firstErr = agreed
		}
		canceled, failed := false, false
		for r := lo; r < hi; r++ {
			var run *ensembleRun
			if r >= lo0[me] && r < hi0[me] {
				run = mine[r-lo0[me]]
			} else {
				run = rd.get()
				run.unpack(buf[(r-lo)*width:(r-lo+1)*width], rd.d, rd.k)
				if run.rows > 1 {
					tick(jOut[run.rows-1] - jOut[0])
				}
			}
			state := int(buf[(r-lo)*width])
			canceled = canceled || state == runCanceled
			if state != runOK && run.err == nil {
				run.err = errOtherRun // a later failure of another rank: not reported
				if !failed {
					run.err = remoteError(firstErr)
				}
			}
			failed = failed || state != runOK
			rd.finish(r, run)
		}
		switch {
		case agreed != nil && !failed:
			return agreed // the agreement itself failed
		case failed && agreed == nil:
			return fmt.Errorf("runs %d to %d: the ranks disagree on a failed run", lo, hi-1)
		}
		lo = hi
		if canceled && lo < runs {
			rd.rows = min(rd.rows, 1) // the runs not started would reach their t0 row only
			break
		}
	}
	return nil
}

// errOtherRun stands for the failure of a run on another rank that is not
// the first one in run order (only the first is reported).
var errOtherRun = errors.New("a run on another rank failed")

// runRecordLen is the length of an exchanged run record: state, rows,
// steps, then w (K·d), loss (K) and KL (K).
func runRecordLen(d, k int) int { return 3 + k*d + 2*k }

// pack writes the run's record into x (runRecordLen long).
func (run *ensembleRun) pack(x []float64, d, k int) {
	state := runOK
	switch {
	case errors.Is(run.err, context.Canceled) || errors.Is(run.err, context.DeadlineExceeded):
		state = runCanceled
	case run.err != nil:
		state = runFailed
	}
	x[0], x[1], x[2] = float64(state), float64(run.rows), float64(run.steps)
	x = x[3:]
	copy(x, run.w[:k*d])
	copy(x[k*d:], run.loss[:k])
	copy(x[k*d+k:], run.kl[:k])
}

// unpack sets the run's rows and counts from a record (its error is set by
// the caller).
func (run *ensembleRun) unpack(x []float64, d, k int) {
	run.rows, run.steps = int(x[1]), int(x[2])
	x = x[3:]
	copy(run.w, x[:k*d])
	copy(run.loss, x[k*d:k*d+k])
	copy(run.kl, x[k*d+k:k*d+2*k])
}

// remoteErr is an error agreed on by the ranks: it reads as the failing
// rank's message, and a cancellation on another rank also unwraps to
// engine.ErrRankCanceled, so that every rank treats it as an interruption.
// Other sentinels (ErrDiverged) do not cross ranks: on the other ranks the
// error is the message only.
type remoteErr struct{ err error }

func (e *remoteErr) Error() string { return e.err.Error() }
func (e *remoteErr) Unwrap() []error {
	if errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded) {
		return []error{e.err, engine.ErrRankCanceled}
	}
	return []error{e.err}
}

// remoteError wraps err (nil stays nil) as a remoteErr.
func remoteError(err error) error {
	if err == nil {
		return nil
	}
	return &remoteErr{err}
}

// agreeRemote agrees on the ranks' outcomes (Comm.Agree) and returns the
// agreed error as a remoteErr: it keeps the rank's name (a fault outside
// the runs, reported as such).
func agreeRemote(comm engine.Comm, local error) error {
	return remoteError(comm.Agree(local))
}

// grow returns x resized to n, reusing its storage when it is large
// enough.
func grow(x []float64, n int) []float64 {
	if cap(x) < n {
		return make([]float64, n)
	}
	return x[:n]
}

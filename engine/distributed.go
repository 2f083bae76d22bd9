package engine

// This file is the distributed pass scheduler: ranks (MPI processes), each
// computing a contiguous range of whole chunks on its own worker pool.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gonum.org/v1/gonum/floats"
)

// Comm is what the distributed scheduler needs of a communicator of
// ranks (in grd-mpi, MPI_COMM_WORLD through internal/mpi). Every method
// but Rank and Size is collective: all ranks call it, in the same order,
// from one goroutine at a time.
type Comm interface {
	// Rank is this process's rank in [0, Size).
	Rank() int
	// Size is the number of ranks.
	Size() int
	// Allgatherv gathers in place: rank r's part
	// buf[displs[r] : displs[r]+counts[r]] reaches every rank's buf.
	Allgatherv(buf []float64, counts, displs []int) error
	// Alltoallv sends send[sdispls[q] : sdispls[q]+scounts[q]] to rank q
	// and receives rank q's part for this rank into recv[rdispls[q] :
	// rdispls[q]+rcounts[q]], for every q (this rank included).
	Alltoallv(send []float64, scounts, sdispls []int, recv []float64, rcounts, rdispls []int) error
	// Agree combines the ranks' outcomes: nil on every rank if every
	// local error is nil, otherwise the same error on every rank, naming
	// the lowest failing rank.
	Agree(local error) error
}

// ShardRows returns the samples [lo, hi) that rank (of size ranks) reads
// in the passes of a distributed Geometry over n samples with options
// opts (Options.Comm of that size): a rank of a distributed run needs to
// load only those (scenarios.Scenario.BuildRows, models.Shard).
//
// A pass of chunk size c gives rank r the samples from
// s_r = c·⌊⌈n/c⌉·r/K⌋ to s_{r+1}, and n·r/K − c < s_r < n·r/K + c. Every
// pass of a distributed Geometry has c ≤ Chunk (the row passes' chunks
// are at most Chunk, and dense D's blocks are capped at Chunk when
// distributed), so the range [⌊n·r/K⌋ − Chunk, ⌈n·(r+1)/K⌉ + Chunk),
// clipped to [0, n), holds every sample rank r reads: about n/K samples,
// plus at most 2·Chunk (≤ 512).
func ShardRows(n int, opts *Options, rank, size int) (lo, hi int) {
	if n < 1 || size < 1 || rank < 0 || rank >= size {
		panic(fmt.Sprintf("engine: ShardRows(n = %d, rank %d of %d): want n ≥ 1 and 0 ≤ rank < size", n, rank, size))
	}
	c := opts.resolve(n, 1).Chunk
	lo = max(0, n*rank/size-c)
	hi = min(n, (n*(rank+1)+size-1)/size+c)
	return lo, hi
}

// sampleOut is a per-sample (or per-chunk) output of a pass that the
// distributed scheduler gathers: unit i (sample i, or chunk i if perChunk)
// is x[i·width : (i+1)·width].
type sampleOut struct {
	x        []float64
	width    int
	perChunk bool
}

// outputter is implemented by the jobs of passes with per-sample or
// per-chunk outputs: outputs appends them to dst (nil slices are skipped).
type outputter interface {
	outputs(dst []sampleOut) []sampleOut
}

func (j *dirJob) outputs(dst []sampleOut) []sampleOut {
	for _, x := range [...][]float64{j.loss, j.s, j.q} {
		if x != nil {
			dst = append(dst, sampleOut{x: x, width: 1})
		}
	}
	return dst
}

func (j *lossJob) outputs(dst []sampleOut) []sampleOut {
	return append(dst, sampleOut{x: j.loss, width: 1})
}

func (j *rowsJob) outputs(dst []sampleOut) []sampleOut {
	if j.scal != nil {
		dst = append(dst, sampleOut{x: j.scal, width: 1, perChunk: true})
	}
	return dst
}

func (j *gradRowsJob) outputs(dst []sampleOut) []sampleOut {
	return append(dst, sampleOut{x: j.rows, width: j.d})
}

// rankRunner is the distributed scheduler. Rank r of K computes the
// chunks [⌊nc·r/K⌋, ⌊nc·(r+1)/K⌋) of a pass of nc chunks on its own
// worker pool (a runner), which folds them, in chunk order, onto zero.
// Then:
//
//   - a reducing pass's rank partials are all-gathered and summed in rank
//     order, p_0 + p_1 + … + p_{K−1}, identically on every rank;
//   - a per-sample pass's outputs (its job's outputter) are all-gathered.
//
// A reducing pass's combination is a reduce-scatter then an all-gather
// when there are at least 3 ranks and the partials are long (segmentMin):
// the vector is cut into K segments, rank q receives every rank's part of
// segment q (Comm.Alltoallv), sums them in rank order, and the summed
// segments are all-gathered. Every element is the same rank-order sum as
// with the all-gather of whole partials, so the bits are the same; each
// rank receives 2(K−1)/K·l values instead of (K−1)·l (for K = 2 both are
// l, and the all-gather takes one collective instead of two).
//
// Every rank therefore holds the same bits, and they do not depend on
// --workers; for K = 1 they are the worker pool's. For K > 1 the sums are
// regrouped (K partial left folds, then a left fold of those), so they
// differ from the single-process sums in the last bits (see README,
// "Distributed runs").
//
// Faults: before any data is exchanged the ranks agree on the outcome of
// their local work (Comm.Agree); an error, a cancellation or a panic on one
// rank makes every rank's run return the same error naming that rank.
// ErrRankCanceled marks a pass that stopped because the run was interrupted
// on one of the ranks (its context was cancelled): a distributed run treats
// it like its own cancellation.
var ErrRankCanceled = errors.New("interrupted on one of the ranks")

// rankCanceled is a pass error caused by an interruption on some rank: it
// reads as the agreed error and unwraps to it and to ErrRankCanceled.
type rankCanceled struct{ err error }

func (e *rankCanceled) Error() string   { return e.err.Error() }
func (e *rankCanceled) Unwrap() []error { return []error{e.err, ErrRankCanceled} }

type rankRunner struct {
	local *runner
	comm  Comm

	sub    pass // the local part of the current pass
	subJob offsetJob
	subFld offsetFolder

	outs             []sampleOut
	counts, displs   []int
	rcounts, rdispls []int // Alltoallv's receive side
	partials         []float64

	stats CommStats
}

// CommStats counts a Geometry's traffic between ranks (Geometry.CommStats):
// the collectives its passes made and the float64 values (as bytes) this
// rank sent to and received from the other ranks, as the algorithm moves
// them (a value sent to K−1 ranks counts K−1 times), not as the MPI
// library routes them. It leaves out the agreement on errors (a few ints
// per pass).
type CommStats struct {
	Collectives          int64
	BytesSent, BytesRecv int64
	// Seconds is the wall time from the end of this rank's local part of
	// each pass to the end of its collectives: the exchange, and the wait
	// for slower ranks.
	Seconds float64
}

// Sub returns the traffic of s since an earlier reading t.
func (s CommStats) Sub(t CommStats) CommStats {
	return CommStats{Collectives: s.Collectives - t.Collectives, BytesSent: s.BytesSent - t.BytesSent,
		BytesRecv: s.BytesRecv - t.BytesRecv, Seconds: s.Seconds - t.Seconds}
}

// segmentMin is the length of a reducing pass's partial from which, with
// at least 3 ranks, it is combined by a reduce-scatter and an all-gather
// rather than one all-gather (below it the extra collective's latency
// costs more than the bytes it saves).
const segmentMin = 1024

var _ scheduler = (*rankRunner)(nil)

func newRankRunner(local *runner, comm Comm) *rankRunner {
	k := comm.Size()
	return &rankRunner{local: local, comm: comm, counts: make([]int, k), displs: make([]int, k),
		rcounts: make([]int, k), rdispls: make([]int, k)}
}

func (r *rankRunner) workers() int { return r.local.workers() }

// chunks returns the chunk range [k0, k1) of rank of a pass of nc chunks.
func (r *rankRunner) chunks(nc, rank int) (k0, k1 int) {
	k := r.comm.Size()
	return nc * rank / k, nc * (rank + 1) / k
}

func (r *rankRunner) run(ctx context.Context, p *pass) error {
	nc := p.numChunks()
	k0, k1 := r.chunks(nc, r.comm.Rank())
	off := k0 * p.chunk
	r.sub = *p
	r.sub.n = max(0, min(k1*p.chunk, p.n)-off)
	r.subJob = offsetJob{job: p.job, k0: k0, off: off}
	r.sub.job = &r.subJob
	if p.fold != nil {
		r.subFld = offsetFolder{inner: p.fold, k0: k0}
		r.sub.fold = &r.subFld
	}
	local := r.runLocal(ctx)
	r.sub, r.subJob, r.subFld = pass{}, offsetJob{}, offsetFolder{}
	start := time.Now()
	defer func() { r.stats.Seconds += time.Since(start).Seconds() }()
	if err := r.comm.Agree(local); err != nil {
		err = fmt.Errorf("engine: pass over %d samples: %w", p.n, err)
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			// Interrupted on some rank (the signal reaches the ranks one
			// after another): every rank reports an interruption, not a
			// failure, so that the run is checkpointed, not finished.
			err = &rankCanceled{err}
		}
		return err
	}
	if p.fold != nil {
		if err := r.combine(p.fold); err != nil {
			return fmt.Errorf("engine: pass over %d samples: combining the ranks' sums: %w", p.n, err)
		}
	}
	if o, ok := p.job.(outputter); ok {
		r.outs = o.outputs(r.outs[:0])
		for _, out := range r.outs {
			if err := r.gather(p, nc, out); err != nil {
				return fmt.Errorf("engine: pass over %d samples: gathering per-sample outputs: %w", p.n, err)
			}
		}
		clear(r.outs)
	}
	return nil
}

// runLocal runs the local part of the pass, turning a panic into an error
// so that the other ranks learn of it instead of waiting.
func (r *rankRunner) runLocal(ctx context.Context) (err error) {
	defer func() {
		if e := recover(); e != nil {
			err = fmt.Errorf("panic: %v", e)
		}
	}()
	return r.local.run(ctx, &r.sub)
}

// combine replaces fold's destination (this rank's partial) by the
// rank-order sum of all ranks' partials, or for a merger their rank-order
// merge.
func (r *rankRunner) combine(fold folder) error {
	dst := fold.dest()
	k, l := r.comm.Size(), len(dst)
	mg, isMerger := fold.(merger)
	if k >= 3 && l >= segmentMin && !isMerger {
		// A merger's entries are not independent sums (a mean and its
		// centred squares merge together), so it is never cut into
		// segments.
		return r.combineSegments(dst)
	}
	r.count(int64(k-1)*int64(l), int64(k-1)*int64(l))
	r.partials = grow(r.partials, k*l)
	for q := range k {
		r.counts[q], r.displs[q] = l, q*l
	}
	copy(r.partials[r.comm.Rank()*l:], dst)
	if err := r.comm.Allgatherv(r.partials, r.counts, r.displs); err != nil {
		return err
	}
	copy(dst, r.partials[:l])
	for q := 1; q < k; q++ {
		if isMerger {
			mg.merge(dst, r.partials[q*l:(q+1)*l])
		} else {
			floats.Add(dst, r.partials[q*l:(q+1)*l])
		}
	}
	return nil
}

// segment returns segment q [lo, hi) of a vector of l values cut into the
// ranks' segments.
func (r *rankRunner) segment(l, q int) (lo, hi int) {
	k := r.comm.Size()
	return l * q / k, l * (q + 1) / k
}

// combineSegments is combine by a reduce-scatter and an all-gather: rank q
// sums segment q of every rank's partial, in rank order, then the
// segments are all-gathered into dst.
func (r *rankRunner) combineSegments(dst []float64) error {
	k, l, me := r.comm.Size(), len(dst), r.comm.Rank()
	a, b := r.segment(l, me)
	m := b - a
	r.partials = grow(r.partials, k*m)
	for q := range k {
		lo, hi := r.segment(l, q)
		r.counts[q], r.displs[q] = hi-lo, lo // what this rank sends to q
		r.rcounts[q], r.rdispls[q] = m, q*m  // q's part of segment me
	}
	if err := r.comm.Alltoallv(dst, r.counts, r.displs, r.partials, r.rcounts, r.rdispls); err != nil {
		return err
	}
	seg := dst[a:b]
	copy(seg, r.partials[:m])
	for q := 1; q < k; q++ {
		floats.Add(seg, r.partials[q*m:(q+1)*m])
	}
	r.count(int64(l-m), int64((k-1)*m))
	for q := range k {
		lo, hi := r.segment(l, q)
		r.counts[q], r.displs[q] = hi-lo, lo
	}
	r.count(int64((k-1)*m), int64(l-m))
	return r.comm.Allgatherv(dst, r.counts, r.displs)
}

// count records one collective in which this rank sent and received the
// given numbers of float64 values.
func (r *rankRunner) count(sent, recv int64) {
	r.stats.Collectives++
	r.stats.BytesSent += 8 * sent
	r.stats.BytesRecv += 8 * recv
}

// gather all-gathers one per-sample or per-chunk output of a pass of nc
// chunks.
func (r *rankRunner) gather(p *pass, nc int, out sampleOut) error {
	k, me := r.comm.Size(), r.comm.Rank()
	total := 0
	for q := range k {
		k0, k1 := r.chunks(nc, q)
		u0, u1 := k0, k1
		if !out.perChunk {
			u0, u1 = min(k0*p.chunk, p.n), min(k1*p.chunk, p.n)
		}
		r.counts[q], r.displs[q] = (u1-u0)*out.width, u0*out.width
		total += r.counts[q]
	}
	own := int64(r.counts[me])
	r.count(int64(k-1)*own, int64(total)-own)
	return r.comm.Allgatherv(out.x, r.counts, r.displs)
}

// offsetJob runs the chunks of a local pass as chunks k0+k, samples
// off+lo … of the whole pass.
type offsetJob struct {
	job     chunkJob
	k0, off int
}

func (j *offsetJob) do(ws *worker, k, lo, hi int, slot []float64) {
	j.job.do(ws, j.k0+k, j.off+lo, j.off+hi, slot)
}

// offsetFolder folds local chunk k as chunk k0+k of the whole pass.
type offsetFolder struct {
	inner folder
	k0    int
}

func (f *offsetFolder) fold(k, q int, slot []float64) { f.inner.fold(f.k0+k, q, slot) }
func (f *offsetFolder) dest() []float64               { return f.inner.dest() }

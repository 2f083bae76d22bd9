package engine

// This file is the pass scheduler: the one place where the per-chunk sums
// of every pass are computed and reduced.

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/grd-engine/grd/models"
	"github.com/sourcegraph/conc/pool"
	"gonum.org/v1/gonum/floats"
)

// chunkJob is the per-chunk work of a pass.
//
// do processes chunk k = samples [lo, hi) on worker ws. In a reducing pass
// slot is the chunk's own zeroed slot (pass.slotLen values): the job
// writes chunk k's contribution into it, to be folded into the
// destination by the pass's folder. In a per-sample pass slot is nil and
// the job writes per-sample outputs (disjoint across chunks) or per-chunk
// scalars.
type chunkJob interface {
	do(ws *worker, k, lo, hi int, slot []float64)
}

// folder folds the chunks of a reducing pass into its destination, which
// is cut into lanes: fold adds chunk k's contribution, left in slot by
// chunkJob.do, into lane q. Lanes are independent parts of the destination
// (the column panels of dense D; a vector pass has one lane).
type folder interface {
	fold(k, q int, slot []float64)
	// dest is the whole destination, every lane, as one slice: the
	// distributed scheduler combines the ranks' partial folds in it (by
	// adding them, unless the folder is a merger).
	dest() []float64
}

// merger is implemented by a folder whose destination is not a plain sum
// of the chunks' slots (a running mean with its centred sum of squares):
// merge sets dst to the fold of dst's chunks followed by src's, where each
// is a fold of consecutive chunks onto the zero destination. The
// distributed scheduler combines the ranks' partials with it, in rank
// order.
type merger interface {
	merge(dst, src []float64)
}

// pass describes one pass over the samples to a scheduler.
type pass struct {
	job   chunkJob
	n     int // samples
	chunk int // samples per chunk; chunk k is [k·chunk, min((k+1)·chunk, n))

	// A reducing pass has a folder; a per-sample pass (fold == nil) has no
	// slots and no lanes.
	fold    folder
	lanes   int // ≥ 1 when reducing
	slotLen int // values per slot
	window  int // slots at most; 0 means 2 per worker
}

func (p *pass) numChunks() int { return numChunks(p.n, p.chunk) }

// scheduler runs the passes of a Geometry. It is the reduction seam: the
// worker pool (runner) implements it, and a distributed backend (ranks
// that each compute a contiguous range of whole chunks) is meant to be a
// second implementation. Its contract:
//
//   - Chunks. A pass covers chunks k = 0 … K−1 of p.chunk consecutive
//     samples (the last may be shorter). Their boundaries depend on N and
//     p.chunk only, never on the number of workers or ranks.
//   - Compute. job.do is called exactly once for every chunk of a pass that
//     is not cancelled or aborted, concurrently for different chunks, each
//     call on a worker that no other call uses at the same time.
//   - Order. In a reducing pass fold(k, q, slot) is called exactly once for
//     every chunk k and lane q, after do(k) has returned; each lane receives
//     its chunks strictly in chunk order, 0, 1, …, K−1, and never two folds
//     at once (different lanes may fold concurrently). Every lane therefore
//     holds the left fold ((0 ⊕ c_0) ⊕ c_1) ⊕ … of its chunks' contributions,
//     the same bits whatever the number of workers and whatever the order in
//     which the chunks finish.
//   - Buffers. Slots belong to the scheduler and are zeroed before do. The
//     slot of chunk k belongs to chunk k alone from the start of do(k) until
//     its last fold returns; at most p.window slots exist at once (default
//     two per worker), so memory is window·slotLen, not one slot per chunk.
//     The job and the folder own everything else (destinations, per-sample
//     outputs) and must not keep a slot after the call.
//   - Cancellation. ctx is checked before each chunk starts. Once it is
//     done no chunk starts, the chunks in flight finish, and run returns an
//     error wrapping ctx.Err(); the destination then holds a partial fold.
//   - Panics. A panic in do or fold aborts the pass (no further chunk or
//     fold starts; nobody waits for the missing ones) and is re-raised by
//     run on the caller's goroutine.
//
// A distributed backend (ranks, each computing a contiguous range of whole
// chunks) has two ways to keep this contract. Passing the running fold of
// each lane from rank to rank (rank r folds its chunks onto the prefix of
// ranks < r) gives exactly the single-process bits, but rank r can fold
// only once its prefix has arrived, so it must hold its chunks' slots (or
// wait) meanwhile. A fold order fixed by chunk index alone that is not the
// left fold (a balanced tree over the chunks: each rank folds its whole
// subtrees and sends the O(log K) boundary partials) is parallel and
// layout-independent, but gives other bits than the left fold here, so
// both backends would switch to it together. Per-sample outputs have to be
// gathered in either case.
type scheduler interface {
	// run executes p. A reducing pass folds into the folder's destination,
	// which the caller has set to the fold's start value (normally zero).
	run(ctx context.Context, p *pass) error
	// workers is the number of workers (and of Evaluators) a pass uses.
	workers() int
}

// worker is the state one goroutine owns during a pass: its own model
// evaluator and row scratch, grown on first use and reused afterwards.
type worker struct {
	eval  models.Evaluator
	rowsA []float64
	rowsB []float64
	vec   []float64
}

// grow returns buf resized to n, reusing its storage when possible.
func grow(buf []float64, n int) []float64 {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]float64, n)
}

// vecSum folds a vector pass: the destination is one lane, dst += slot.
type vecSum struct{ dst []float64 }

func (v *vecSum) fold(_, _ int, slot []float64) { floats.Add(v.dst, slot) }
func (v *vecSum) dest() []float64               { return v.dst }

// runner is the worker-pool scheduler: W goroutines (one conc pool per
// pass), each with its own models.Evaluator.
//
// Workers claim chunks in increasing order. A claimed chunk waits for its
// slot (k mod window) to be free, computes into it, and marks itself
// computed; any worker that finds a lane whose next chunk is computed
// folds it (one fold per lane at a time), including workers waiting for a
// slot and workers that have no chunk left to claim. Every wait is for an
// earlier chunk, so a pass cannot deadlock. The bookkeeping is foldState.
//
// With one worker (or one unit of work) a pass runs on the calling
// goroutine and allocates nothing.
type runner struct {
	ws []*worker

	// slot storage, grown on demand and reused by every pass.
	slots []float64

	// per-pass state; mu guards st and the fields below it.
	p       *pass
	nchunks int
	next    atomic.Int64 // next chunk to claim
	mu      sync.Mutex
	cond    sync.Cond
	st      foldState
	aborted bool
	err     error // the context's error that aborted the pass
}

var _ scheduler = (*runner)(nil)

func newRunner(m models.Model, workers, chunk int) *runner {
	r := &runner{ws: make([]*worker, workers)}
	for i := range r.ws {
		r.ws[i] = &worker{eval: m.NewEvaluator(chunk)}
	}
	r.cond.L = &r.mu
	return r
}

func (r *runner) workers() int { return len(r.ws) }

func (r *runner) run(ctx context.Context, p *pass) error {
	nchunks := p.numChunks()
	units := nchunks
	if p.fold != nil {
		units *= p.lanes
	}
	nw := min(len(r.ws), units)
	if nw <= 1 {
		return r.runSerial(ctx, p, nchunks)
	}
	window := 0
	if p.fold != nil {
		window = p.window
		if window <= 0 {
			window = 2 * nw
		}
		window = min(window, nchunks)
		r.slots = grow(r.slots, window*p.slotLen)
	}
	r.p, r.nchunks = p, nchunks
	r.next.Store(0)
	r.st.reset(nchunks, p.lanes, window)
	r.aborted, r.err = false, nil

	pl := pool.New().WithMaxGoroutines(nw)
	for i := 0; i < nw; i++ {
		ws := r.ws[i]
		pl.Go(func() { r.work(ctx, ws) })
	}
	pl.Wait()
	err := r.err
	r.p, r.err = nil, nil
	if err != nil {
		return fmt.Errorf("engine: pass over %d samples cancelled: %w", p.n, err)
	}
	return nil
}

func (r *runner) runSerial(ctx context.Context, p *pass, nchunks int) error {
	ws := r.ws[0]
	var slot []float64
	if p.fold != nil {
		r.slots = grow(r.slots, p.slotLen)
		slot = r.slots[:p.slotLen]
	}
	for k := 0; k < nchunks; k++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("engine: pass over %d samples cancelled: %w", p.n, err)
		}
		lo := k * p.chunk
		hi := min(lo+p.chunk, p.n)
		if slot != nil {
			clear(slot)
		}
		p.job.do(ws, k, lo, hi, slot)
		for q := p.lanes - 1; q >= 0 && slot != nil; q-- {
			p.fold.fold(k, q, slot)
		}
	}
	return nil
}

// work is one worker's loop: claim the next chunk, wait for its slot
// (folding meanwhile), compute, fold what is ready; with no chunk left,
// help fold the rest.
func (r *runner) work(ctx context.Context, ws *worker) {
	defer func() {
		if e := recover(); e != nil {
			r.abort(nil)
			panic(e)
		}
	}()
	p := r.p
	for {
		k := int(r.next.Add(1)) - 1
		if k >= r.nchunks {
			if p.fold != nil {
				r.drain()
			}
			return
		}
		if err := ctx.Err(); err != nil {
			r.abort(err)
			return
		}
		var slot []float64
		if p.fold != nil {
			if slot = r.acquire(k); slot == nil {
				return
			}
			clear(slot)
		}
		lo := k * p.chunk
		hi := min(lo+p.chunk, p.n)
		p.job.do(ws, k, lo, hi, slot)
		if p.fold != nil {
			r.computed(k)
		}
	}
}

// slot returns the storage of slot s.
func (r *runner) slot(s int) []float64 {
	n := r.p.slotLen
	return r.slots[s*n : (s+1)*n]
}

// foldReady runs every fold that is ready (r.mu held; released while
// folding) and reports whether it ran any.
func (r *runner) foldReady() bool {
	ran := false
	for !r.aborted {
		k, q, ok := r.st.claimFold()
		if !ok {
			break
		}
		r.mu.Unlock()
		r.p.fold.fold(k, q, r.slot(k%r.st.window))
		r.mu.Lock()
		r.st.folded(q)
		r.cond.Broadcast()
		ran = true
	}
	return ran
}

// acquire waits until chunk k may use its slot, folding ready chunks
// meanwhile, and returns the slot, or nil if the pass was aborted.
func (r *runner) acquire(k int) []float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	for !r.aborted && !r.st.slotFree(k) {
		if !r.foldReady() {
			r.cond.Wait()
		}
	}
	if r.aborted {
		return nil
	}
	return r.slot(k % r.st.window)
}

// computed marks chunk k computed and folds whatever is ready.
func (r *runner) computed(k int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.computed(k)
	r.cond.Broadcast()
	r.foldReady()
}

// drain folds until every lane has received every chunk (or the pass is
// aborted).
func (r *runner) drain() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for !r.aborted && !r.st.finished() {
		if !r.foldReady() {
			r.cond.Wait()
		}
	}
}

func (r *runner) abort(err error) {
	r.mu.Lock()
	r.aborted = true
	if err != nil && r.err == nil {
		r.err = err
	}
	r.cond.Broadcast()
	r.mu.Unlock()
}

// foldState is the bookkeeping of an ordered reduction over a window of
// slots, free of locks and goroutines so that tests can drive it through
// any order of events: chunk k lives in slot k mod window; it may start
// once the chunk that used the slot before it (k − window) has been folded
// into every lane; lane q folds chunk next[q] once that chunk is computed.
type foldState struct {
	nchunks, window int
	holds           []int  // per slot: the chunk computed into it (−1: none yet)
	next            []int  // per lane: the next chunk to fold
	busy            []bool // per lane: a fold is running
}

func (s *foldState) reset(nchunks, lanes, window int) {
	s.nchunks, s.window = nchunks, window
	s.holds = resizeInts(s.holds, window)
	for i := range s.holds {
		s.holds[i] = -1
	}
	s.next = resizeInts(s.next, lanes)
	clear(s.next)
	if cap(s.busy) < lanes {
		s.busy = make([]bool, lanes)
	}
	s.busy = s.busy[:lanes]
	clear(s.busy)
}

func resizeInts(x []int, n int) []int {
	if cap(x) < n {
		return make([]int, n)
	}
	return x[:n]
}

// done is the number of chunks folded into every lane.
func (s *foldState) done() int {
	m := s.nchunks
	for _, k := range s.next {
		m = min(m, k)
	}
	return m
}

// slotFree reports whether chunk k may start: the previous user of its
// slot, chunk k − window, has been folded into every lane.
func (s *foldState) slotFree(k int) bool { return k < s.done()+s.window }

// computed records that chunk k's contribution is in its slot.
func (s *foldState) computed(k int) { s.holds[k%s.window] = k }

// claimFold returns a lane q that is idle and whose next chunk k is
// computed, marking the lane busy; lanes are tried from the last to the
// first.
func (s *foldState) claimFold() (k, q int, ok bool) {
	for q = len(s.next) - 1; q >= 0; q-- {
		k = s.next[q]
		if !s.busy[q] && k < s.nchunks && s.holds[k%s.window] == k {
			s.busy[q] = true
			return k, q, true
		}
	}
	return 0, 0, false
}

// folded records that lane q has folded its next chunk.
func (s *foldState) folded(q int) {
	s.busy[q] = false
	s.next[q]++
}

// finished reports whether every lane has folded every chunk.
func (s *foldState) finished() bool { return s.done() == s.nchunks }

// numChunks is the number of chunks of size chunk covering n samples.
func numChunks(n, chunk int) int { return (n + chunk - 1) / chunk }

// sum runs a vector pass over the samples in chunks of chunk on g's
// scheduler: if width > 0 it reduces, and dst (len width) is overwritten
// with the in-order sum of the chunks' contributions; otherwise it is a
// per-sample pass (dst nil).
func (g *Geometry) sum(ctx context.Context, job chunkJob, chunk, width int, dst []float64) error {
	if width > 0 && len(dst) != width {
		panic(fmt.Sprintf("engine: internal: reduction destination has length %d, want %d", len(dst), width))
	}
	if width == 0 {
		return g.reduce(ctx, job, chunk, nil, 0)
	}
	g.vsum.dst = dst
	err := g.reduce(ctx, job, chunk, &g.vsum, width)
	g.vsum.dst = nil
	return err
}

// reduce runs a pass over the samples in chunks of chunk on g's scheduler,
// folding its chunks' slots (width values each) into fold's destination,
// which it zeroes first; with fold nil it is a per-sample pass.
func (g *Geometry) reduce(ctx context.Context, job chunkJob, chunk int, fold folder, width int) error {
	g.vp = pass{job: job, n: g.n, chunk: chunk}
	g.passes++
	if fold != nil {
		clear(fold.dest())
		g.vp.fold, g.vp.lanes, g.vp.slotLen = fold, 1, width
	}
	err := g.sched.run(ctx, &g.vp)
	g.vp = pass{}
	return err
}

package engine

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/grd-engine/grd/models"
	"github.com/sourcegraph/conc/pool"
	"gonum.org/v1/gonum/floats"
)

// chunkJob is the work of one pass on one chunk of consecutive samples.
//
// do processes chunk k = samples [lo, hi) on worker ws. For a reducing pass
// part is the chunk's own zeroed partial (the pass's width); the job adds
// its contribution into it. For a per-sample pass part is nil and the job
// writes per-sample outputs (disjoint across chunks) or per-chunk scalars.
type chunkJob interface {
	do(ws *worker, k, lo, hi int, part []float64)
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

// runner executes passes over the samples of a model on a fixed number of
// workers, deterministically.
//
// The samples are split into chunks of a given size (independent of the
// worker count). Workers claim chunks in increasing order. In a reducing
// pass each claimed chunk writes its partial sum into one of a window of
// W slots (slot k mod W), and the partials are added into the destination
// strictly in chunk order, ((0 + p_0) + p_1) + …, by whichever worker
// completes the next chunk in line. A worker that claims chunk k waits
// until chunk k−W has been reduced. The result is therefore bit-identical
// for every worker count, and the memory is W·width, not one partial per
// chunk.
type runner struct {
	n       int
	workers []*worker

	// slot storage for reducing passes, grown on demand.
	slots []float64

	// per-pass state.
	mu       sync.Mutex
	cond     sync.Cond
	job      chunkJob
	chunk    int
	nchunks  int
	width    int
	window   int
	dst      []float64
	next     atomic.Int64
	reduced  int
	done     []bool
	aborted  bool
	ctxError error
}

func newRunner(m models.Model, workers, chunk int) *runner {
	r := &runner{n: m.Len(), workers: make([]*worker, workers)}
	for i := range r.workers {
		r.workers[i] = &worker{eval: m.NewEvaluator(chunk)}
	}
	r.cond.L = &r.mu
	return r
}

// numChunks is the number of chunks of size chunk covering the samples.
func (r *runner) numChunks(chunk int) int { return (r.n + chunk - 1) / chunk }

// run executes job over all chunks of size chunk. If width > 0 the pass
// reduces: dst (len width) is overwritten with the in-order sum of the
// chunks' partials. It returns the context's error, wrapped, if the pass
// was cancelled (dst is then incomplete).
func (r *runner) run(ctx context.Context, job chunkJob, chunk, width int, dst []float64) error {
	if width > 0 && len(dst) != width {
		panic(fmt.Sprintf("engine: internal: reduction destination has length %d, want %d", len(dst), width))
	}
	nchunks := r.numChunks(chunk)
	nw := min(len(r.workers), nchunks)
	if width > 0 {
		clear(dst)
	}
	if nw <= 1 {
		return r.runSerial(ctx, job, chunk, nchunks, width, dst)
	}
	window := min(2*nw, nchunks)
	if width > 0 {
		r.slots = grow(r.slots, window*width)
	}
	if cap(r.done) < window {
		r.done = make([]bool, window)
	}
	r.done = r.done[:window]
	clear(r.done)
	r.job, r.chunk, r.nchunks, r.width, r.window, r.dst = job, chunk, nchunks, width, window, dst
	r.next.Store(0)
	r.reduced = 0
	r.aborted = false
	r.ctxError = nil

	p := pool.New().WithMaxGoroutines(nw)
	for i := 0; i < nw; i++ {
		ws := r.workers[i]
		p.Go(func() { r.work(ctx, ws) })
	}
	p.Wait()
	err := r.ctxError
	r.job, r.dst = nil, nil
	if err != nil {
		return fmt.Errorf("engine: pass over %d samples cancelled: %w", r.n, err)
	}
	return nil
}

func (r *runner) runSerial(ctx context.Context, job chunkJob, chunk, nchunks, width int, dst []float64) error {
	ws := r.workers[0]
	var part []float64
	if width > 0 {
		r.slots = grow(r.slots, width)
		part = r.slots[:width]
	}
	for k := 0; k < nchunks; k++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("engine: pass over %d samples cancelled: %w", r.n, err)
		}
		lo := k * chunk
		hi := min(lo+chunk, r.n)
		if part != nil {
			clear(part)
		}
		job.do(ws, k, lo, hi, part)
		if part != nil {
			floats.Add(dst, part)
		}
	}
	return nil
}

// work is one worker's loop: claim the next chunk, wait for its slot,
// compute, and reduce whatever is ready in chunk order.
func (r *runner) work(ctx context.Context, ws *worker) {
	defer func() {
		if e := recover(); e != nil {
			r.abort(nil)
			panic(e)
		}
	}()
	for {
		k := int(r.next.Add(1)) - 1
		if k >= r.nchunks {
			return
		}
		if err := ctx.Err(); err != nil {
			r.abort(err)
			return
		}
		var part []float64
		if r.width > 0 {
			if part = r.acquire(k); part == nil {
				return
			}
			clear(part)
		}
		lo := k * r.chunk
		hi := min(lo+r.chunk, r.n)
		r.job.do(ws, k, lo, hi, part)
		if r.width > 0 {
			r.finish(k)
		}
	}
}

// acquire waits until the slot of chunk k is free (chunk k−window has been
// reduced) and returns it, or nil if the pass was aborted.
func (r *runner) acquire(k int) []float64 {
	r.mu.Lock()
	for !r.aborted && r.reduced+r.window <= k {
		r.cond.Wait()
	}
	aborted := r.aborted
	r.mu.Unlock()
	if aborted {
		return nil
	}
	s := k % r.window
	return r.slots[s*r.width : (s+1)*r.width]
}

// finish marks chunk k done and reduces every consecutive completed chunk.
func (r *runner) finish(k int) {
	r.mu.Lock()
	r.done[k%r.window] = true
	for r.reduced < r.nchunks && r.done[r.reduced%r.window] {
		s := r.reduced % r.window
		floats.Add(r.dst, r.slots[s*r.width:(s+1)*r.width])
		r.done[s] = false
		r.reduced++
	}
	r.cond.Broadcast()
	r.mu.Unlock()
}

func (r *runner) abort(err error) {
	r.mu.Lock()
	r.aborted = true
	if err != nil && r.ctxError == nil {
		r.ctxError = err
	}
	r.cond.Broadcast()
	r.mu.Unlock()
}

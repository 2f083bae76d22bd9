package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file tests the pass scheduler's ordered reduction on purpose rather
// than by chance: foldState is driven through every interleaving of its
// events for small passes, and the worker pool through chosen completion
// orders with jobs that block on channels the test controls. Every test
// that runs goroutines fails within seconds if the pass deadlocks.

// passTimeout bounds every scheduler test that could deadlock.
const passTimeout = 10 * time.Second

// within runs f and fails the test if it does not return within passTimeout.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(passTimeout):
		t.Fatalf("%s: did not finish within %v (deadlock in the scheduler?)", what, passTimeout)
	}
}

// foldSim is one state of the simulated pass: the scheduler's foldState
// and an independent record of what a correct reduction must satisfy.
type foldSim struct {
	st     foldState
	phase  []int // per chunk: 0 waiting, 1 computing, 2 computed
	slotOf []int // per slot: the chunk whose data it holds (−1: none)
	folds  []int // per lane: folds done (the oracle's count)
	busy   []int // per lane: chunk being folded (−1: none)
}

func newFoldSim(nchunks, lanes, window int) *foldSim {
	s := &foldSim{phase: make([]int, nchunks), slotOf: make([]int, window), folds: make([]int, lanes), busy: make([]int, lanes)}
	s.st.reset(nchunks, lanes, window)
	for i := range s.slotOf {
		s.slotOf[i] = -1
	}
	for i := range s.busy {
		s.busy[i] = -1
	}
	return s
}

func (s *foldSim) clone() *foldSim {
	c := &foldSim{phase: append([]int(nil), s.phase...), slotOf: append([]int(nil), s.slotOf...),
		folds: append([]int(nil), s.folds...), busy: append([]int(nil), s.busy...)}
	c.st = foldState{nchunks: s.st.nchunks, window: s.st.window, holds: append([]int(nil), s.st.holds...),
		next: append([]int(nil), s.st.next...), busy: append([]bool(nil), s.st.busy...)}
	return c
}

func (s *foldSim) key() string {
	return fmt.Sprint(s.phase, s.slotOf, s.folds, s.busy, s.st.holds, s.st.next, s.st.busy)
}

// event is one step of the simulated pass.
type event struct {
	kind string // "start", "finish", "claim", "fold"
	k, q int
}

// enabled lists the events the scheduler allows in state s.
func (s *foldSim) enabled() []event {
	var ev []event
	for k, ph := range s.phase {
		switch {
		case ph == 0 && s.st.slotFree(k):
			ev = append(ev, event{"start", k, 0})
		case ph == 1:
			ev = append(ev, event{"finish", k, 0})
		}
	}
	c := s.clone()
	if k, q, ok := c.st.claimFold(); ok {
		ev = append(ev, event{"claim", k, q})
	}
	for q, k := range s.busy {
		if k >= 0 {
			ev = append(ev, event{"fold", k, q})
		}
	}
	return ev
}

// apply performs e on s, checking the oracle; it returns a description of
// the first violation, or "".
func (s *foldSim) apply(e event) string {
	w := s.st.window
	switch e.kind {
	case "start":
		slot := e.k % w
		if prev := s.slotOf[slot]; prev >= 0 {
			for q, n := range s.folds {
				if n <= prev {
					return fmt.Sprintf("chunk %d started in slot %d while chunk %d, which still holds it, was not yet folded into lane %d (window %d)", e.k, slot, prev, q, w)
				}
			}
		}
		s.slotOf[slot] = e.k
		s.phase[e.k] = 1
	case "finish":
		s.st.computed(e.k)
		s.phase[e.k] = 2
	case "claim":
		k, q, _ := s.st.claimFold()
		switch {
		case s.busy[q] >= 0:
			return fmt.Sprintf("lane %d claimed for chunk %d while it is folding chunk %d", q, k, s.busy[q])
		case k != s.folds[q]:
			return fmt.Sprintf("lane %d folds chunk %d after %d folds: out of chunk order", q, k, s.folds[q])
		case s.phase[k] != 2:
			return fmt.Sprintf("lane %d folds chunk %d before it is computed", q, k)
		case s.slotOf[k%w] != k:
			return fmt.Sprintf("lane %d folds chunk %d from slot %d, which holds chunk %d", q, k, k%w, s.slotOf[k%w])
		}
		s.busy[q] = k
	case "fold":
		s.st.folded(e.q)
		s.busy[e.q] = -1
		s.folds[e.q]++
	}
	return ""
}

// explore visits every state reachable from s, failing on an oracle
// violation or a state from which the pass cannot finish.
func explore(s *foldSim, path []event, seen map[string]bool) string {
	if seen[s.key()] {
		return ""
	}
	seen[s.key()] = true
	ev := s.enabled()
	if len(ev) == 0 {
		for q, n := range s.folds {
			if n != len(s.phase) {
				return fmt.Sprintf("stuck: lane %d folded %d of %d chunks and no event is possible (deadlock) after %v", q, n, len(s.phase), path)
			}
		}
		if !s.st.finished() {
			return "every chunk folded, but foldState does not report the pass finished"
		}
		return ""
	}
	for _, e := range ev {
		c := s.clone()
		p := append(path[:len(path):len(path)], e)
		if msg := c.apply(e); msg != "" {
			return fmt.Sprintf("%s\n\tafter events %v", msg, p)
		}
		if msg := explore(c, p, seen); msg != "" {
			return msg
		}
	}
	return ""
}

// TestFoldStateEveryInterleaving drives the reduction bookkeeping through
// every order of its events (chunks starting and finishing in any order the
// window allows, folds claimed and completed in any order) for small
// passes: no slot is reused before its chunk is folded into every lane,
// every lane folds in chunk order, and no reachable state is stuck.
func TestFoldStateEveryInterleaving(t *testing.T) {
	for nchunks := 1; nchunks <= 6; nchunks++ {
		for lanes := 1; lanes <= 2; lanes++ {
			for window := 1; window <= 4; window++ {
				msg := explore(newFoldSim(nchunks, lanes, window), nil, map[string]bool{})
				if msg != "" {
					t.Fatalf("%d chunks, %d lanes, window %d: %s", nchunks, lanes, window, msg)
				}
			}
		}
	}
}

// gatedJob is a reducing job whose chunks block until the test releases
// them. Chunk k's contribution is vals[k] in every slot entry, written at
// the start of do; at its end do checks that its slot was not taken by
// another chunk meanwhile, and fold checks that it gets chunk k's slot in
// chunk order. The values make the float sum depend on the order.
type gatedJob struct {
	t       *testing.T
	vals    []float64
	gate    []chan struct{} // do(k) waits for gate[k]
	started chan int        // receives k when do(k) begins (if non-nil)
	done    chan int        // receives k when do(k) ends (if non-nil)
	dst     [][]float64     // per lane

	mu    sync.Mutex
	folds [][]int // per lane: chunks in fold order
}

func newGatedJob(t *testing.T, nchunks, lanes, width int) *gatedJob {
	j := &gatedJob{t: t, vals: make([]float64, nchunks), gate: make([]chan struct{}, nchunks),
		dst: make([][]float64, lanes), folds: make([][]int, lanes)}
	for k := range j.vals {
		j.gate[k] = make(chan struct{})
		j.vals[k] = []float64{1e16, 1, -1e16, 3, 0.5, 1e-3}[k%6] * float64(k%5+1)
	}
	for q := range j.dst {
		j.dst[q] = make([]float64, width)
	}
	return j
}

func (j *gatedJob) do(_ *worker, k, _, _ int, slot []float64) {
	for i := range slot {
		if slot[i] != 0 {
			j.t.Errorf("chunk %d: slot not zeroed (entry %d = %g)", k, i, slot[i])
			break
		}
		slot[i] = j.vals[k]
	}
	if j.started != nil {
		j.started <- k
	}
	<-j.gate[k]
	for i, v := range slot {
		if v != j.vals[k] {
			j.t.Errorf("chunk %d: its slot was overwritten while it computed (entry %d = %g, want %g): a slot was reused before its chunk was folded", k, i, v, j.vals[k])
			break
		}
	}
	if j.done != nil {
		j.done <- k
	}
}

func (j *gatedJob) dest() []float64 { return nil }

func (j *gatedJob) fold(k, q int, slot []float64) {
	j.mu.Lock()
	j.folds[q] = append(j.folds[q], k)
	j.mu.Unlock()
	for i, v := range slot {
		if v != j.vals[k] {
			j.t.Errorf("lane %d, chunk %d: folded a slot holding %g at entry %d, want %g", q, k, v, i, j.vals[k])
			break
		}
		j.dst[q][i] += v
	}
}

// check verifies fold order and the left fold's bits on every lane.
func (j *gatedJob) check(what string) {
	j.t.Helper()
	var want float64
	for _, v := range j.vals {
		want += v
	}
	for q, ks := range j.folds {
		for i, k := range ks {
			if k != i {
				j.t.Errorf("%s: lane %d folded chunks in order %v, want 0, 1, …, %d", what, q, ks, len(j.vals)-1)
				break
			}
		}
		if len(ks) != len(j.vals) {
			j.t.Errorf("%s: lane %d folded %d chunks, want %d", what, q, len(ks), len(j.vals))
		}
		for i, v := range j.dst[q] {
			if v != want {
				j.t.Errorf("%s: lane %d entry %d = %v, want the left fold %v", what, q, i, v, want)
				break
			}
		}
	}
}

func testRunner(workers int) *runner {
	r := &runner{ws: make([]*worker, workers)}
	for i := range r.ws {
		r.ws[i] = &worker{}
	}
	r.cond.L = &r.mu
	return r
}

// permutations calls f with every permutation of 0 … n−1.
func permutations(n int, f func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var rec func(int)
	rec = func(i int) {
		if i == n {
			f(p)
			return
		}
		for j := i; j < n; j++ {
			p[i], p[j] = p[j], p[i]
			rec(i + 1)
			p[i], p[j] = p[j], p[i]
		}
	}
	rec(0)
}

// TestRunnerCompletionOrders runs the worker pool with as many workers as
// chunks and lets the chunks finish in every order: the lanes must always
// fold in chunk order and hold the bits of the left fold.
func TestRunnerCompletionOrders(t *testing.T) {
	for nchunks := 1; nchunks <= 5; nchunks++ {
		for _, lanes := range []int{1, 3} {
			permutations(nchunks, func(order []int) {
				what := fmt.Sprintf("%d chunks, %d lanes, completion order %v", nchunks, lanes, order)
				j := newGatedJob(t, nchunks, lanes, 2)
				j.done = make(chan int)
				r := testRunner(nchunks)
				p := &pass{job: j, n: nchunks, chunk: 1, fold: j, lanes: lanes, slotLen: 2}
				errc := make(chan error, 1)
				within(t, what, func() {
					go func() { errc <- r.run(context.Background(), p) }()
					for _, k := range order {
						close(j.gate[k])
						if got := <-j.done; got != k {
							t.Errorf("%s: chunk %d finished, want %d", what, got, k)
						}
					}
					if err := <-errc; err != nil {
						t.Errorf("%s: %v", what, err)
					}
				})
				j.check(what)
			})
		}
	}
}

// TestRunnerStalledChunk stalls chunk 0 while the other worker runs ahead
// to the end of the window: the chunk that reuses chunk 0's slot must not
// start before chunk 0 is folded, with one lane (vector passes) and with
// several lanes and two slots (dense D).
func TestRunnerStalledChunk(t *testing.T) {
	for _, tc := range []struct{ workers, lanes, window int }{{2, 1, 0}, {3, 1, 0}, {2, 3, 2}, {3, 4, 2}} {
		what := fmt.Sprintf("%d workers, %d lanes, window %d", tc.workers, tc.lanes, tc.window)
		const nchunks = 13
		j := newGatedJob(t, nchunks, tc.lanes, 3)
		j.started = make(chan int, nchunks)
		for k := 1; k < nchunks; k++ {
			close(j.gate[k])
		}
		r := testRunner(tc.workers)
		p := &pass{job: j, n: nchunks, chunk: 1, fold: j, lanes: tc.lanes, slotLen: 3, window: tc.window}
		window := tc.window
		if window == 0 {
			window = 2 * tc.workers
		}
		within(t, what, func() {
			errc := make(chan error, 1)
			go func() { errc <- r.run(context.Background(), p) }()
			// Wait until every chunk of the window has started, then give
			// the scheduler time to start the next one (it must not).
			for seen := map[int]bool{}; len(seen) < window; {
				seen[<-j.started] = true
			}
			select {
			case k := <-j.started:
				t.Errorf("%s: chunk %d started while chunk 0 (slot 0) was stalled and unfolded", what, k)
			case <-time.After(50 * time.Millisecond):
			}
			close(j.gate[0])
			if err := <-errc; err != nil {
				t.Errorf("%s: %v", what, err)
			}
		})
		j.check(what)
	}
}

// panicJob panics on one chunk.
type panicJob struct{ bad int }

func (j *panicJob) do(_ *worker, k, _, _ int, _ []float64) {
	if k == j.bad {
		panic("chunk failed")
	}
}
func (j *panicJob) fold(int, int, []float64) {}
func (j *panicJob) dest() []float64          { return nil }

// TestRunnerPanicAndCancel checks that a panicking job aborts the pass and
// re-panics on the caller, and that a cancelled context ends a pass with
// an error wrapping ctx.Err(), without deadlock.
func TestRunnerPanicAndCancel(t *testing.T) {
	for _, workers := range []int{1, 2, 3} {
		r := testRunner(workers)
		within(t, "panic", func() {
			defer func() {
				if e := recover(); e == nil || !strings.Contains(fmt.Sprint(e), "chunk failed") {
					t.Errorf("%d workers: recovered %v, want the job's panic", workers, e)
				}
			}()
			_ = r.run(context.Background(), &pass{job: &panicJob{bad: 3}, n: 20, chunk: 1, fold: &panicJob{}, lanes: 2, slotLen: 1})
		})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		within(t, "cancel", func() {
			err := r.run(ctx, &pass{job: &panicJob{bad: -1}, n: 20, chunk: 1, fold: &panicJob{}, lanes: 1, slotLen: 1})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%d workers: err = %v, want one wrapping context.Canceled", workers, err)
			}
		})
	}
}

package flow

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/models"
	"gonum.org/v1/gonum/floats"
)

// One ensemble run's scratch and steps: the sgd minibatch step, the sde
// Euler–Maruyama step (cd's is in cd.go), and the run's checkpoint state.

// ensembleWorker holds one run's scratch: evaluators and buffers sized once.
type ensembleWorker struct {
	d, n  int
	chunk int
	ev    models.Evaluator // on the full model
	w     []float64
	dir   []float64 // the step's weighted gradient sum
	part  []float64 // one chunk's partial
	c     []float64 // per-sample weights (len N)
	lossN []float64 // per-sample losses (len N)
	xi    []float64 // sde noise (len N)
	// sgd
	perm  []int
	cnt   []int // batch members per chunk (masked path)
	sub   models.Model
	evSub models.Evaluator
	subs  models.Subsetter
	// cd
	cd *cdState
}

// sumChunks sets dst = Σ_{n∈[lo,hi)} c_n g_n over chunks of the evaluator's
// size, each chunk's partial added in order (as engine.Geometry's passes do).
func (wk *ensembleWorker) sumChunks(ev models.Evaluator, dst, c []float64, lo, hi int) {
	clear(dst)
	for a := lo; a < hi; a += wk.chunk {
		b := min(a+wk.chunk, hi)
		clear(wk.part)
		ev.Accumulate(wk.part, c[a-lo:b-lo], nil, wk.w, nil, a, b)
		floats.Add(dst, wk.part)
	}
}

// fullLoss returns f(w) over all samples.
func (wk *ensembleWorker) fullLoss() float64 {
	for a := 0; a < wk.n; a += wk.chunk {
		b := min(a+wk.chunk, wk.n)
		wk.ev.Losses(wk.lossN[a:b], wk.w, a, b)
	}
	return sumOf(wk.lossN) / float64(wk.n)
}

// sgdState tracks the position in the current epoch.
type sgdState struct {
	pos int // index of the next batch's first sample in the permutation
}

// sgdStep takes one minibatch step.
func (wk *ensembleWorker) sgdStep(rng *rand.Rand, st *sgdState, lr float64, batch int) {
	n := wk.n
	if batch >= n { // full batch, in sample order: discrete GD
		wk.sumChunks(wk.ev, wk.dir, wk.c, 0, n)
		floats.AddScaled(wk.w, -lr, wk.dir)
		return
	}
	if st.pos == 0 || st.pos >= n {
		for i := range wk.perm {
			wk.perm[i] = i
		}
		rng.Shuffle(n, func(i, j int) { wk.perm[i], wk.perm[j] = wk.perm[j], wk.perm[i] })
		st.pos = 0
		if wk.subs != nil {
			wk.sub = wk.subs.Subset(wk.perm)
			wk.evSub = wk.sub.NewEvaluator(wk.chunk)
		}
	}
	lo, hi := st.pos, min(st.pos+batch, n)
	st.pos = hi
	inv := 1 / float64(hi-lo)
	if wk.subs != nil {
		c := wk.c[:hi-lo]
		for i := range c {
			c[i] = inv
		}
		wk.sumChunks(wk.evSub, wk.dir, c, lo, hi)
	} else {
		// Masked full pass: c_n = 1/|B| on the batch, 0 elsewhere; chunks
		// without batch members are skipped.
		clear(wk.cnt)
		for _, s := range wk.perm[lo:hi] {
			wk.c[s] = inv
			wk.cnt[s/wk.chunk]++
		}
		clear(wk.dir)
		for k, cnt := range wk.cnt {
			if cnt == 0 {
				continue
			}
			a, b := k*wk.chunk, min((k+1)*wk.chunk, n)
			clear(wk.part)
			wk.ev.Accumulate(wk.part, wk.c[a:b], nil, wk.w, nil, a, b)
			floats.Add(wk.dir, wk.part)
		}
		for _, s := range wk.perm[lo:hi] {
			wk.c[s] = 0
		}
	}
	floats.AddScaled(wk.w, -lr, wk.dir)
}

// sdeStep takes one Euler–Maruyama step of size dt at temperature η/|B|.
func (wk *ensembleWorker) sdeStep(rng *rand.Rand, dt, temp float64) {
	n := float64(wk.n)
	for i := range wk.xi {
		wk.xi[i] = rng.NormFloat64()
	}
	xbar := meanOf(wk.xi)
	sig := math.Sqrt(temp) * math.Sqrt(dt) / math.Sqrt(n)
	drift := -dt / n
	for i, x := range wk.xi {
		wk.c[i] = drift + sig*(x-xbar)
	}
	wk.sumChunks(wk.ev, wk.dir, wk.c, 0, wk.n)
	floats.Add(wk.w, wk.dir)
}

// newEnsembleWorker returns the scratch of one run of spec's flow.
func newEnsembleWorker(g *engine.Geometry, spec *Spec) *ensembleWorker {
	d, n, chunk := g.Dim(), g.Len(), g.ChunkSize()
	wk := &ensembleWorker{d: d, n: n, chunk: chunk, ev: g.Model().NewEvaluator(chunk),
		w: make([]float64, d), dir: make([]float64, d), part: make([]float64, d),
		c: make([]float64, n), lossN: make([]float64, n)}
	switch spec.Flow {
	case CD:
		wk.perm = make([]int, n)
	case SGD:
		if spec.Ensemble.Batch >= n {
			for i := range wk.c {
				wk.c[i] = 1 / float64(n)
			}
		} else {
			wk.perm = make([]int, n)
			if s, ok := g.Model().(models.Subsetter); ok {
				wk.subs = s
			} else {
				wk.cnt = make([]int, (n+chunk-1)/chunk)
			}
		}
	case SDE:
		wk.xi = make([]float64, n)
	}
	return wk
}

// snapshot copies run r's state after j steps with k rows recorded.
func (wk *ensembleWorker) snapshot(r, j, k int, pcg *rand.PCG, st *sgdState, out *ensembleRun, lastLoss, lastT float64) *EnsembleRun {
	rng, err := pcg.MarshalBinary()
	if err != nil {
		panic("engine: marshalling a PCG state: " + err.Error()) // cannot fail
	}
	d := wk.d
	s := &EnsembleRun{Run: r, Step: j, Out: k, W: append([]float64(nil), wk.w...), RNG: rng, Pos: st.pos,
		RowW: append([]float64(nil), out.w[:k*d]...), Loss: append([]float64(nil), out.loss[:k]...),
		KL: append([]float64(nil), out.kl[:k]...), LastLoss: lastLoss, LastT: lastT}
	if wk.perm != nil {
		s.Perm = append([]int(nil), wk.perm...)
	}
	if wk.cd != nil && wk.cd.chains != nil {
		s.Chains = append([]float64(nil), wk.cd.chains...)
	}
	return s
}

// restore sets the worker, the run's random state, the epoch position and
// the recorded rows from s.
func (wk *ensembleWorker) restore(s *EnsembleRun, pcg *rand.PCG, rng *rand.Rand, st *sgdState, spec *Spec, rbm *models.RBM, out *ensembleRun) error {
	bad := func(what string) error {
		return fmt.Errorf("engine: %s flow: resume state of run %d: %s", spec.Flow, s.Run, what)
	}
	if err := pcg.UnmarshalBinary(s.RNG); err != nil {
		return bad("random state: " + err.Error())
	}
	if (wk.perm == nil) != (s.Perm == nil) || (s.Perm != nil && len(s.Perm) != len(wk.perm)) {
		return bad("the epoch permutation does not fit the flow")
	}
	es := &spec.Ensemble
	if spec.Flow == CD && es.Persistent && s.Step > 0 && len(s.Chains) != es.Batch*rbm.Visible() {
		return bad("the persistent chains do not fit the flow")
	}
	copy(wk.w, s.W)
	copy(wk.perm, s.Perm)
	st.pos = s.Pos
	if wk.subs != nil && st.pos > 0 && st.pos < wk.n {
		wk.sub = wk.subs.Subset(wk.perm)
		wk.evSub = wk.sub.NewEvaluator(wk.chunk)
	}
	if spec.Flow == CD && s.Step > 0 {
		wk.cd = &cdState{est: rbm.NewCD(rng)}
		if es.Persistent {
			wk.cd.chains = append([]float64(nil), s.Chains...)
		}
	}
	copy(out.w, s.RowW)
	copy(out.loss, s.Loss)
	copy(out.kl, s.KL)
	out.rows, out.steps = s.Out, s.Step
	return nil
}

package flow

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/models"
	"gonum.org/v1/gonum/floats"
)

// One ensemble run from w0 (or a checkpoint) to the last output time.

// ensembleOne computes run r into out, from the start or from the state
// rs (nil: the start). With ck it delivers its state when asked
// (ck.c.Request), when it completes and when the context stops it.
func ensembleOne(ctx context.Context, g *engine.Geometry, out *ensembleRun, r int, w0 []float64, spec *Spec, jOut []int, h, bound float64, tick func(int), ck *ensembleCk, rs *EnsembleRun) {
	d, K := g.Dim(), len(jOut)
	er := &oneRun{wk: newEnsembleWorker(g, spec), out: out, r: r, spec: spec, h: h, ck: ck,
		lastLoss: math.NaN(), lastT: spec.Times[0]}
	copy(er.wk.w, w0)
	er.pcg = runSource(spec.Ensemble.Seed, r)
	er.rng = rand.New(er.pcg)
	klm, _ := g.Model().(KLModel)
	er.rbm, _ = g.Model().(*models.RBM) // cd only (validated)
	j, k0 := 0, 0
	if rs != nil {
		if err := er.wk.restore(rs, er.pcg, er.rng, &er.st, spec, er.rbm, out); err != nil {
			out.err = err
			return
		}
		j, k0 = rs.Step, rs.Out
		er.lastLoss, er.lastT = rs.LastLoss, rs.LastT
	}
	if ck != nil {
		er.hook, er.gen = ck.c.EnsembleStep, ck.c.gen.Load()
	}
	for k := k0; k < K; k++ {
		var ok bool
		if j, ok = er.stepTo(ctx, j, jOut[k], k); !ok {
			return
		}
		loss := er.wk.fullLoss()
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			er.fail(j, errNonFinite)
			return
		}
		if k > 0 && loss > bound {
			er.fail(j, divergedError(spec.Times[0]+float64(j)*h, loss, bound))
			return
		}
		copy(out.w[k*d:(k+1)*d], er.wk.w)
		out.loss[k] = loss
		if klm != nil {
			out.kl[k] = klm.KL(er.wk.w)
		}
		out.rows = k + 1
		er.lastLoss, er.lastT = loss, spec.Times[k]
		if k > 0 {
			tick(jOut[k] - jOut[k-1])
		}
	}
	if ck != nil {
		ck.put(r, er.snapshot(j, K))
	}
}

// oneRun is the state of one ensemble run in progress (ensembleOne).
type oneRun struct {
	wk              *ensembleWorker
	out             *ensembleRun
	r               int
	spec            *Spec
	h               float64
	pcg             *rand.PCG
	rng             *rand.Rand
	st              sgdState
	rbm             *models.RBM
	lastLoss, lastT float64
	ck              *ensembleCk
	hook            func(run, step int)
	gen             uint64
}

// snapshot is the run's state after step j, output row k next.
func (er *oneRun) snapshot(j, k int) *EnsembleRun {
	return er.wk.snapshot(er.r, j, k, er.pcg, &er.st, er.out, er.lastLoss, er.lastT)
}

// fail records why the run stopped at step j.
func (er *oneRun) fail(j int, cause error) {
	t := er.spec.Times[0] + float64(j)*er.h
	what := "failed"
	if errors.Is(cause, context.Canceled) || errors.Is(cause, context.DeadlineExceeded) {
		what = "canceled"
	}
	er.out.err = fmt.Errorf("engine: %s flow %s at t=%g (run %d, step %d, step size %g; last finite loss %g at t=%g): %w",
		er.spec.Flow, what, t, er.r, j, er.h, er.lastLoss, er.lastT, cause)
}

// stepTo takes the steps j … jEnd−1 (output row k next), handing a
// snapshot to the checkpoint when one is asked for or the context stops.
// It returns the step reached and false if the run stopped (out.err says
// why).
func (er *oneRun) stepTo(ctx context.Context, j, jEnd, k int) (int, bool) {
	es := &er.spec.Ensemble
	temp := es.LR / float64(es.Batch)
	for ; j < jEnd; j++ {
		er.out.steps = j
		if er.ck != nil && j > 0 {
			if g := er.ck.c.gen.Load(); g != er.gen {
				er.gen = g
				er.ck.put(er.r, er.snapshot(j, k))
			}
		}
		if err := ctx.Err(); err != nil {
			if er.ck != nil && j > 0 {
				er.ck.put(er.r, er.snapshot(j, k))
			}
			er.fail(j, err)
			return j, false
		}
		switch er.spec.Flow {
		case SGD:
			er.wk.sgdStep(er.rng, &er.st, es.LR, es.Batch)
		case CD:
			er.wk.cdStep(er.rng, &er.st, es, er.rbm)
		default:
			er.wk.sdeStep(er.rng, es.Dt, temp)
		}
		er.out.steps = j + 1
		if !allFinite(er.wk.w) {
			er.fail(j+1, errNonFinite)
			return j, false
		}
		if er.hook != nil {
			er.hook(er.r, j+1)
		}
	}
	return j, true
}

// ensembleBound is the divergence bound of every run (DivergenceBound):
// all runs start at w0.
func ensembleBound(ctx context.Context, g *engine.Geometry, w0 []float64, span float64) (float64, error) {
	grad := make([]float64, len(w0))
	loss, err := g.LossGrad(ctx, grad, w0)
	if err != nil {
		return 0, err
	}
	return DivergenceBound(loss, floats.Norm(grad, 2), span), nil
}

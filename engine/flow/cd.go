package flow

// This file holds the cd flow (contrastive-divergence training of an RBM,
// run as an ensemble by the machinery of flow_ensemble.go) and the exact
// KL(p_data ‖ p_model) recorded along every flow of a model that defines it.

import (
	"math/rand/v2"

	"github.com/grd-engine/grd/engine"

	"github.com/grd-engine/grd/models"
	"gonum.org/v1/gonum/floats"
)

// KLModel is an optional interface of a models.Model: KL returns the
// Kullback–Leibler divergence KL(p_data ‖ p_model(w)) of the model's
// distribution from the data's, exactly. models.RBM implements it.
//
// Run records it for every flow of such a model: Trajectory.KL holds
// KL(w(t)) at each output time for gd, ngd and grd, and for the ensembles
// (sgd, sde, cd) the mean over runs of KL(w_r(t)), with Trajectory.KLStd
// its population standard deviation (1/R). For other models both are nil.
type KLModel interface {
	KL(w []float64) float64
}

// cdState is one cd run's estimator and (for PCD) persistent chains.
type cdState struct {
	est    *models.CD
	chains []float64 // PCD: Batch chains of n_v values; nil for CD
}

// cdStep takes one contrastive-divergence step
//
//	w ← w − η ĝ_CD(w; B_j),
//
// with the minibatch B_j cut from the epoch's permutation exactly as
// sgdStep cuts it (a fresh shuffle per epoch; a short last batch is used).
// The estimator draws from rng, the run's only stream, after the shuffles.
// With Persistent the Batch chains start at the patterns of the run's
// first minibatch and are carried from step to step.
func (wk *ensembleWorker) cdStep(rng *rand.Rand, st *sgdState, es *EnsembleSpec, rbm *models.RBM) {
	n := wk.n
	if st.pos == 0 || st.pos >= n {
		for i := range wk.perm {
			wk.perm[i] = i
		}
		rng.Shuffle(n, func(i, j int) { wk.perm[i], wk.perm[j] = wk.perm[j], wk.perm[i] })
		st.pos = 0
	}
	lo, hi := st.pos, min(st.pos+es.Batch, n)
	st.pos = hi
	batch := wk.perm[lo:hi]
	cs := wk.cd
	if cs == nil {
		cs = &cdState{est: rbm.NewCD(rng)}
		if es.Persistent {
			nv := rbm.Visible()
			cs.chains = make([]float64, 0, len(batch)*nv)
			for _, s := range batch {
				cs.chains = append(cs.chains, rbm.Pattern(s)...)
			}
		}
		wk.cd = cs
	}
	k := es.K
	if k == 0 {
		k = engine.DefaultCDK
	}
	cs.est.Gradient(wk.dir, wk.w, batch, k, cs.chains)
	floats.AddScaled(wk.w, -es.LR, wk.dir)
}

// recordKL fills tr.KL from tr.W for a deterministic flow of a model that
// implements KLModel (nothing otherwise, or if the flow already set it).
func recordKL(g *engine.Geometry, tr *Trajectory) {
	km, ok := g.Model().(KLModel)
	if !ok || tr.KL != nil || tr.WStd != nil {
		return
	}
	tr.KL = make([]float64, len(tr.W))
	for k, w := range tr.W {
		tr.KL[k] = km.KL(w)
	}
}

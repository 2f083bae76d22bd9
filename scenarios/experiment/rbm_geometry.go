package experiment

import (
	"context"
	"fmt"
	"math"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/scenarios"
	"gonum.org/v1/gonum/mat"
)

// addRBM adds the keys of an rbm scenario to a geometry report at w: the
// exact KL, the CD diffusion matrix D_cd(w) (when d ≤ GeometryDenseMaxDim)
// and its largest eigenvalue. It does nothing for other model kinds.
func (r *GeometryReport) addRBM(ctx context.Context, g *engine.Geometry, b *scenarios.Built, w []float64) error {
	s := b.Scenario
	km, ok := b.Model.(flow.KLModel)
	if s.Model.Kind != scenarios.KindRBM || !ok {
		return nil
	}
	kl := km.KL(w)
	r.KL = &kl
	var dcd mat.SymDense
	lam, err := g.CDDiffusion(ctx, &dcd, w, cdDiffusionSpec(s))
	if err != nil {
		return err
	}
	r.LambdaMaxCD = &lam
	d := b.Model.Dim()
	if d <= GeometryDenseMaxDim {
		r.DiffusionCD = make([][]float64, d)
		for i := range r.DiffusionCD {
			row := make([]float64, d)
			for j := range row {
				row[j] = dcd.At(i, j)
			}
			r.DiffusionCD[i] = row
		}
	}
	for _, x := range []float64{kl, lam} {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("scenarios: %s: geometry: kl or lambda_max_cd is %v at the evaluation point (want finite values)", s.Name, x)
		}
	}
	return nil
}

// cdDiffusionSpec is the engine's CDDiffusionSpec of `grd geometry`.
func cdDiffusionSpec(s *scenarios.Scenario) engine.CDDiffusionSpec {
	return engine.CDDiffusionSpec{K: s.CD.K, Batch: s.CD.Batch, Samples: s.CD.Samples,
		Seed: scenarios.NewSource(s.Seed, scenarios.StreamCDDiffusion).Uint64()}
}

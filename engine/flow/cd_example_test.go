package flow_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/grd-engine/grd/engine/flow"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/models"
	"gonum.org/v1/gonum/mat"
)

// Contrastive-divergence training of an RBM on the 2×2 bars-and-stripes
// patterns, next to gradient descent on its exact likelihood, compared by
// the exact KL(p_data ‖ p_model) that both record.
func ExampleRun_cd() {
	p, _ := models.BarsAndStripes(2)
	rbm, err := models.NewRBM(p, 4, 3)
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	w0 := make([]float64, rbm.Dim())
	for i := range w0 {
		w0[i] = 0.5 * rng.NormFloat64()
	}
	g := engine.New(rbm, nil)
	times := []float64{0, 100, 200}
	cd := flow.Run(context.Background(), g, w0, flow.Spec{Flow: flow.CD, Times: times,
		Ensemble: flow.EnsembleSpec{LR: 0.1, Batch: 3, Runs: 16, K: 1, Seed: 7}}, nil)
	gd := flow.Run(context.Background(), g, w0, flow.Spec{Flow: flow.GD, Times: times}, nil)
	for k, t := range times {
		fmt.Printf("t = %3.0f  KL gd %.2f  cd %.2f ± %.2f\n", t, gd.KL[k], cd.KL[k], cd.KLStd[k])
	}
	// Output:
	// t =   0  KL gd 1.38  cd 1.38 ± 0.00
	// t = 100  KL gd 0.91  cd 0.93 ± 0.01
	// t = 200  KL gd 0.76  cd 0.81 ± 0.03
}

// The per-sample diffusion matrix of CD-1 next to D of the exact
// per-sample gradients: the Gibbs chains add the noise of the negative
// phase.
func ExampleGeometry_CDDiffusion() {
	p, _ := models.BarsAndStripes(2)
	rbm, err := models.NewRBM(p, 4, 3)
	if err != nil {
		panic(err)
	}
	w := make([]float64, rbm.Dim())
	for i := range w {
		w[i] = 0.3 * float64(i%5-2)
	}
	g := engine.New(rbm, nil)
	lam, err := g.LambdaMax(context.Background(), w)
	if err != nil {
		panic(err)
	}
	var dcd mat.SymDense
	lamCD, err := g.CDDiffusion(context.Background(), &dcd, w, engine.CDDiffusionSpec{K: 1, Batch: 4, Samples: 8192, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("λ_max(D) = %.2f, λ_max(D_cd) = %.1f\n", lam, lamCD)
	// Output:
	// λ_max(D) = 0.61, λ_max(D_cd) = 1.0
}

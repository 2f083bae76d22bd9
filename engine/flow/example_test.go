package flow_test

import (
	"context"
	"fmt"
	"log"

	"github.com/grd-engine/grd/engine/flow"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/integrators"
	"github.com/grd-engine/grd/models"
)

// ExampleRun runs gradient descent and its natural-gradient and
// SGD counterparts on two 1-D quadratics f_n = ½(w − c_n)², c = ±1, so that
// f = ½w² + ½ and gd is w(t) = w0·e^{−t}. The diffusion D = Var(g_n) = 1 is
// constant, ε = 0.5 = safety/λ_max, and the exact-inverse NGD flow is
// ẇ = −w/(1 + ε), i.e. w(t) = w0·e^{−t/1.5}. The SGD ensemble mean
// (64 seeded runs, η = 0.01, batch 1) follows discrete GD
// w0·(1 − η)^{t/η} = 0.7321, 0.2680 up to sampling error.
func ExampleRun() {
	m, err := models.NewQuadratic([]models.QuadSample{
		{A: []float64{1}, C: []float64{-1}},
		{A: []float64{1}, C: []float64{1}},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	g := engine.New(m, nil)
	w0 := []float64{2}
	eps, _, err := g.Epsilon(ctx, w0, engine.EpsilonSpec{Auto: true})
	if err != nil {
		log.Fatal(err)
	}
	dopri5, _ := integrators.MethodByName("dopri5")
	spec := flow.Spec{
		Times:    []float64{0, 1, 2},
		Metric:   engine.Metric{Epsilon: eps, Inverse: engine.Exact},
		Method:   dopri5,
		Settings: integrators.Settings{RTol: 1e-10, ATol: 1e-12},
		Ensemble: flow.EnsembleSpec{LR: 0.01, Batch: 1, Runs: 64, Seed: 1},
	}
	for _, name := range []flow.Name{flow.GD, flow.NGD, flow.SGD} {
		spec.Flow = name
		tr := flow.Run(ctx, g, w0, spec, nil)
		if tr.Err != nil {
			log.Fatal(tr.Err)
		}
		fmt.Printf("%-3s %s:", name, tr.Status)
		for k, t := range tr.T {
			fmt.Printf("  w(%g) = %.4f", t, tr.W[k][0])
		}
		fmt.Println()
	}
	// Output:
	// gd  ok:  w(0) = 2.0000  w(1) = 0.7358  w(2) = 0.2707
	// ngd ok:  w(0) = 2.0000  w(1) = 1.0268  w(2) = 0.5272
	// sgd ok:  w(0) = 2.0000  w(1) = 0.7321  w(2) = 0.2678
}

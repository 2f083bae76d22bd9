package flow

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/grd-engine/grd/engine"

	"github.com/grd-engine/grd/integrators"
	"github.com/grd-engine/grd/models"
)

// benchmarkFlow runs one flow on an Iris-sized two-layer network
// (N = 150, 4 inputs, 8 tanh hidden units, 3 outputs, squared loss,
// d = 67) over t ∈ [0, 5] with 51 outputs, dopri5 at rtol 1e-8, and the
// default ensemble sizes of the scenarios (R = 32, batch 16).
func benchmarkFlow(b *testing.B, flow Name) {
	rng := rand.New(rand.NewPCG(1, 1))
	data := testDataFlow(rng, 150, 4, 3)
	m, err := models.NewTwoLayer(data, 8, models.Tanh, models.Squared)
	if err != nil {
		b.Fatal(err)
	}
	w0 := make([]float64, m.Dim())
	for i := range w0 {
		w0[i] = 0.5 * rng.NormFloat64()
	}
	g := engine.New(m, nil)
	ctx := context.Background()
	eps, _, err := g.Epsilon(ctx, w0, engine.EpsilonSpec{Auto: true})
	if err != nil {
		b.Fatal(err)
	}
	dopri5, _ := integrators.MethodByName("dopri5")
	spec := Spec{Flow: flow, Times: flLinspace(0, 5, 51), Method: dopri5,
		Settings: integrators.Settings{RTol: 1e-8, ATol: 1e-10},
		Metric:   engine.Metric{Epsilon: eps},
		Ensemble: EnsembleSpec{LR: 0.05, Batch: 16, Runs: 32, Dt: 0.01, Seed: 1}}
	b.ResetTimer()
	for b.Loop() {
		tr := Run(ctx, g, w0, spec, nil)
		if tr.Err != nil {
			b.Fatal(tr.Err)
		}
		b.ReportMetric(float64(tr.NFev), "nfev")
	}
}

func BenchmarkFlowGD(b *testing.B)  { benchmarkFlow(b, GD) }
func BenchmarkFlowNGD(b *testing.B) { benchmarkFlow(b, NGD) }
func BenchmarkFlowGRD(b *testing.B) { benchmarkFlow(b, GRD) }
func BenchmarkFlowSGD(b *testing.B) { benchmarkFlow(b, SGD) }
func BenchmarkFlowSDE(b *testing.B) { benchmarkFlow(b, SDE) }

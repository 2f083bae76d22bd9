package engine

import (
	"math/rand/v2"
	"testing"

	"github.com/grd-engine/grd/models"
)

// BenchmarkResidualPasses times the two fused row passes of ResidualsGrad
// (pass A: g_n and H_n u; pass B: ∇³f_n[u,u] + H_n a) on a synthetic
// Fashion-shaped network: tanh 784 → 32 → 10, squared loss, N = 4000
// (d = 25450), the default chunk, row chunk and workers. "rhs" is one GRD
// acceleration (weak field) timed in the same run, the unit of issue 11's
// diagnostics budget. On this shared machine read "cpu-ms/op" (process CPU
// time per op, from getrusage): wall time includes the other users' load.
func BenchmarkResidualPasses(b *testing.B) {
	rng := rand.New(rand.NewPCG(11, 4000))
	data := testData(rng, 4000, 784, 10)
	m, err := models.NewTwoLayer(data, 32, models.Tanh, models.Squared)
	if err != nil {
		b.Fatal(err)
	}
	d := m.Dim()
	w, u, a := randVec(rng, d, 0.05), randVec(rng, d, 0.05), randVec(rng, d, 0.05)
	benchResidualPasses(b, New(m, nil), w, u, a)
}

func benchResidualPasses(b *testing.B, g *Geometry, w, u, a []float64) {
	d := len(w)
	grad := make([]float64, d)
	if err := g.Grad(ctx, grad, w); err != nil {
		b.Fatal(err)
	}
	g.resA = grow(g.resA, residAWidth(d))
	g.resB = grow(g.resB, 2+d)
	passA := func() error {
		g.rA = residAJob{w: w, u: u, grad: grad, d: d}
		g.mA = residAFold{dst: g.resA, d: d}
		return g.reduce(ctx, &g.rA, g.rowC, &g.mA, len(g.resA))
	}
	passB := func() error {
		g.rB = residBJob{w: w, u: u, a: a, d: d}
		g.mB = residBFold{dst: g.resB, d: d}
		return g.reduce(ctx, &g.rB, g.rowC, &g.mB, len(g.resB))
	}
	dst := make([]float64, d)
	met := Metric{Epsilon: 0.1, Inverse: WeakField, Christoffel: WeakField}
	for _, bc := range []struct {
		name string
		op   func() error
	}{
		{"passA", passA},
		{"passB", passB},
		{"rhs", func() error { return g.Acceleration(ctx, dst, w, u, met) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if err := bc.op(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPUSeconds()
			for range b.N {
				if err := bc.op(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((processCPUSeconds()-cpu)*1e3/float64(b.N), "cpu-ms/op")
		})
	}
}

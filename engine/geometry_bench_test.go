package engine

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/grd-engine/grd/models"
)

// Benchmarks at the DESIGN performance point: two-layer tanh network,
// squared loss, N = 10000, n = 64, h = 128, o = 10 (d = 9610), default
// chunk and workers. Each benchmark also times one full-batch gradient pass
// right after its loop and reports its cost in "passes" (op time / gradient
// time); bench.RunGeometry gives the same numbers as a table.

type geoBench struct {
	g    *Geometry
	w, u []float64
	dst  []float64
	dst2 []float64
	eps  float64
}

func newGeoBench(b *testing.B, workers int) *geoBench {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	data := testData(rng, 10000, 64, 10)
	m, err := models.NewTwoLayer(data, 128, models.Tanh, models.Squared)
	if err != nil {
		b.Fatal(err)
	}
	gb := &geoBench{g: New(m, &Options{Workers: workers}), w: randVec(rng, m.Dim(), 0.1), u: randVec(rng, m.Dim(), 1)}
	gb.dst = make([]float64, m.Dim())
	gb.dst2 = make([]float64, m.Dim())
	gb.eps, _, err = gb.g.Epsilon(ctx, gb.w, EpsilonSpec{Auto: true})
	if err != nil {
		b.Fatal(err)
	}
	return gb
}

// run times op over b.N and reports its cost relative to gradient passes.
func (gb *geoBench) run(b *testing.B, op func() error) {
	if err := op(); err != nil { // warm-up
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	per := b.Elapsed().Seconds() / float64(b.N)
	const k = 3
	start := time.Now()
	for range k {
		if err := gb.g.Grad(ctx, gb.dst2, gb.w); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(per/(time.Since(start).Seconds()/k), "passes")
}

func BenchmarkGrad(b *testing.B) {
	gb := newGeoBench(b, 0)
	gb.run(b, func() error { return gb.g.Grad(ctx, gb.dst, gb.w) })
}

func BenchmarkDiffusionVec(b *testing.B) {
	gb := newGeoBench(b, 0)
	gb.run(b, func() error { return gb.g.DiffusionVec(ctx, gb.dst, gb.w, gb.u) })
}

func BenchmarkChristoffelFirst(b *testing.B) {
	gb := newGeoBench(b, 0)
	gb.run(b, func() error { return gb.g.ChristoffelFirst(ctx, gb.dst, gb.w, gb.u, gb.eps) })
}

// BenchmarkChristoffelFirstWorkers1 and …Workers2 give the parallel
// speed-up of Γ(v,v) as the ratio of their ns/op.
func BenchmarkChristoffelFirstWorkers1(b *testing.B) {
	gb := newGeoBench(b, 1)
	gb.run(b, func() error { return gb.g.ChristoffelFirst(ctx, gb.dst, gb.w, gb.u, gb.eps) })
}

func BenchmarkChristoffelFirstWorkers2(b *testing.B) {
	gb := newGeoBench(b, 2)
	gb.run(b, func() error { return gb.g.ChristoffelFirst(ctx, gb.dst, gb.w, gb.u, gb.eps) })
}

// BenchmarkGRDRHS is ∇f + Hu + Γ(u,u) with the weak-field inverse.
func BenchmarkGRDRHS(b *testing.B) {
	gb := newGeoBench(b, 0)
	met := Metric{Epsilon: gb.eps}
	gb.run(b, func() error {
		if err := gb.g.Grad(ctx, gb.dst2, gb.w); err != nil {
			return err
		}
		return gb.g.Acceleration(ctx, gb.dst, gb.w, gb.u, met)
	})
}

func BenchmarkChristoffelExact(b *testing.B) {
	gb := newGeoBench(b, 0)
	gb.run(b, func() error { return gb.g.Christoffel(ctx, gb.dst, gb.w, gb.u, Exact, gb.eps) })
}

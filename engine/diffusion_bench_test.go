package engine

import (
	"math/rand/v2"
	"testing"

	"github.com/grd-engine/grd/models"
	"gonum.org/v1/gonum/mat"
)

// BenchmarkDiffusionDense times the dense d×d diffusion matrix of a
// two-layer tanh network with squared loss at (N, n, h, o) =
// (10000, 64, 64, 1), d = 4225: the size bench/peers/kernels.py times for
// numpy's (G − ḡ)ᵀ(G − ḡ)/N. The Gram work is N·d(d+1)/2 ≈ 8.9·10¹⁰
// multiply-adds; GFLOP/s counts two flops each. Run with -tags openblas
// for the OpenBLAS backend (models.BLASBackend). cpu-s/op is the process's
// CPU time per op (all workers), a guide when the machine is shared.
func BenchmarkDiffusionDense(b *testing.B) {
	if testing.Short() {
		b.Skip("d = 4225 dense D skipped under -short")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	data := testData(rng, 10000, 64, 1)
	m, err := models.NewTwoLayer(data, 64, models.Tanh, models.Squared)
	if err != nil {
		b.Fatal(err)
	}
	g := New(m, nil)
	w := randVec(rng, m.Dim(), 0.1)
	dst := mat.NewSymDense(m.Dim(), nil)
	if err := g.Diffusion(ctx, dst, w); err != nil { // warm-up: scratch
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPUSeconds()
	for range b.N {
		if err := g.Diffusion(ctx, dst, w); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric((processCPUSeconds()-cpu0)/float64(b.N), "cpu-s/op")
	n, d := float64(m.Len()), float64(m.Dim())
	b.ReportMetric(n*d*(d+1)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	b.Logf("backend %s, d = %d, workers %d, row chunk %d", models.BLASBackend, m.Dim(), g.Workers(), g.RowChunkSize())
}

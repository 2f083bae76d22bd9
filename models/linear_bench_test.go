package models_test

import (
	"math/rand/v2"
	"testing"

	"github.com/grd-engine/grd/models"
)

// benchmarkAccumulate times one full pass Σ c_n g_n + e_n H_n v over all
// samples in chunks of 64 (the shape of the engine's Hessian-vector pass).
func benchmarkAccumulate(b *testing.B, m models.Model, withHess bool) {
	r := rand.New(rand.NewPCG(1, 1))
	n, d := m.Len(), m.Dim()
	const chunk = 64
	ev := m.NewEvaluator(chunk)
	w, v := randVec(r, d, 0.3), randVec(r, d, 1)
	c := make([]float64, n)
	e := make([]float64, n)
	for i := range c {
		c[i], e[i] = 1/float64(n), 1/float64(n)
	}
	dst := make([]float64, d)
	b.ResetTimer()
	for range b.N {
		for lo := 0; lo < n; lo += chunk {
			hi := min(lo+chunk, n)
			if withHess {
				ev.Accumulate(dst, c[lo:hi], e[lo:hi], w, v, lo, hi)
			} else {
				ev.Accumulate(dst, c[lo:hi], nil, w, nil, lo, hi)
			}
		}
	}
}

func BenchmarkLogisticGrad(b *testing.B) {
	m, _ := models.NewLogistic(randData(rand.New(rand.NewPCG(2, 2)), 4096, 64, true), true)
	benchmarkAccumulate(b, m, false)
}

func BenchmarkLogisticGradHess(b *testing.B) {
	m, _ := models.NewLogistic(randData(rand.New(rand.NewPCG(2, 2)), 4096, 64, true), true)
	benchmarkAccumulate(b, m, true)
}

func BenchmarkLinearGrad(b *testing.B) {
	m, _ := models.NewLinearRegression(randData(rand.New(rand.NewPCG(2, 2)), 4096, 64, false), true)
	benchmarkAccumulate(b, m, false)
}

func BenchmarkQuadraticGrad(b *testing.B) {
	m, _ := models.NewQuadratic(models.GenerateQuadratics(16, 1024, 100, rand.NewPCG(3, 3)))
	benchmarkAccumulate(b, m, false)
}

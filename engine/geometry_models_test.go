package engine

import (
	"math/rand/v2"
	"testing"

	"github.com/grd-engine/grd/models"
)

// testData returns a seeded classification data set: N×in standard normal
// inputs, labels in 0..out−1 and their one-hot rows.
func testData(rng *rand.Rand, n, in, out int) *models.Data {
	d := &models.Data{N: n, In: in, Out: out, X: make([]float64, n*in), Y: make([]float64, n*out), Labels: make([]int, n)}
	for i := range d.X {
		d.X[i] = rng.NormFloat64()
	}
	for i := 0; i < n; i++ {
		l := rng.IntN(out)
		d.Labels[i] = l
		d.Y[i*out+l] = 1
	}
	return d
}

// builtinModels returns small instances of the built-in models for the
// invariant tests (d ≤ 40 so the dense tensor checks stay cheap).
func builtinModels(t testing.TB, rng *rand.Rand) []models.Model {
	var ms []models.Model
	must := func(m models.Model, err error) {
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	must(models.NewQuadratic(models.GenerateQuadratics(4, 9, 10, rand.NewPCG(7, 7))))
	reg := testData(rng, 12, 3, 1)
	for i := range reg.Y {
		reg.Y[i] = rng.NormFloat64() // regression targets
	}
	reg.Labels = nil
	must(models.NewLinearRegression(reg, true))
	logi := testData(rng, 15, 3, 1)
	for i := range logi.Y {
		logi.Y[i] = float64(rng.IntN(2)) // 0/1 targets
	}
	logi.Labels = nil
	must(models.NewLogistic(logi, true))
	must(models.NewTwoLayer(testData(rng, 13, 3, 2), 4, models.Tanh, models.Squared))
	must(models.NewMLP(testData(rng, 11, 2, 3), []int{2, 3, 3, 3}, models.Softplus, models.CrossEntropy))
	must(models.NewTwoLayer(testData(rng, 3, 3, 2), 5, models.Sigmoid, models.CrossEntropy))
	return ms
}

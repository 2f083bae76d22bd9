package models_test

import (
	"math/rand/v2"
	"testing"

	"github.com/grd-engine/grd/models"
	"github.com/grd-engine/grd/models/modeltest"
)

// nnConfData returns a seeded data set for the conformance runs.
func nnConfData(seed uint64, n, in, out int, classes bool) *models.Data {
	rng := rand.New(rand.NewPCG(seed, 5))
	d := &models.Data{N: n, In: in, Out: out, X: make([]float64, n*in), Y: make([]float64, n*out)}
	for i := range d.X {
		d.X[i] = rng.NormFloat64()
	}
	if classes {
		d.Labels = make([]int, n)
		for i := range d.Labels {
			d.Labels[i] = rng.IntN(out)
			d.Y[i*out+d.Labels[i]] = 1
		}
	} else {
		for i := range d.Y {
			d.Y[i] = rng.NormFloat64()
		}
	}
	return d
}

func nnConfVec(seed uint64, n int, sd float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 6))
	v := make([]float64, n)
	for i := range v {
		v[i] = sd * rng.NormFloat64()
	}
	return v
}

// TestNetworkConformance runs the shared model harness on TwoLayer and on
// 3- and 4-layer MLPs for every activation and loss (relu at order 1).
func TestNetworkConformance(t *testing.T) {
	for _, act := range []models.Activation{models.Tanh, models.Sigmoid, models.Softplus, models.Relu} {
		for _, loss := range []models.Loss{models.Squared, models.CrossEntropy} {
			d := nnConfData(uint64(7+3*int(act)+int(loss)), 11, 4, 3, loss == models.CrossEntropy)
			var ms []models.Model
			tl, err := models.NewTwoLayer(d, 5, act, loss)
			if err != nil {
				t.Fatal(err)
			}
			ms = append(ms, tl)
			for _, layers := range [][]int{{4, 5, 6, 3}, {4, 6, 3, 5, 3}} {
				m, err := models.NewMLP(d, layers, act, loss)
				if err != nil {
					t.Fatal(err)
				}
				ms = append(ms, m)
			}
			for i, m := range ms {
				t.Run(m.Name(), func(t *testing.T) {
					seed := uint64(100 * (i + 1))
					w := nnConfVec(seed, m.Dim(), 0.5)
					v := nnConfVec(seed+1, m.Dim(), 0.5)
					u := nnConfVec(seed+2, m.Dim(), 0.5)
					modeltest.Check(t, m, w, v, u, &modeltest.Options{MaxChunk: 4})
				})
			}
		}
	}
}

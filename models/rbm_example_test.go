package models_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/grd-engine/grd/models"
)

// ExampleRBM fits an RBM to the six 2×2 bars-and-stripes patterns by plain
// gradient descent on the exact mean negative log-likelihood and reports
// the exact KL divergence from the data distribution.
func ExampleRBM() {
	patterns, n := models.BarsAndStripes(2)
	m, err := models.NewRBM(patterns, 4, 4)
	if err != nil {
		fmt.Println(err)
		return
	}
	w := make([]float64, m.Dim())
	// At w = 0 the model is uniform on 16 configurations, the data on 6:
	// KL = log(16/6).
	fmt.Printf("N = %d, d = %d, KL(0) = %.5f\n", n, m.Dim(), m.KL(w))

	// Break the hidden units' symmetry, then descend the mean loss.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range w {
		w[i] = 0.1 * rng.NormFloat64()
	}
	ev := m.NewEvaluator(n)
	c := make([]float64, n)
	for i := range c {
		c[i] = 1 / float64(n)
	}
	g := make([]float64, m.Dim())
	for range 2000 {
		clear(g)
		ev.Accumulate(g, c, nil, w, nil, 0, n) // ∇ of the mean NLL
		for i := range w {
			w[i] -= 1.0 * g[i]
		}
	}
	fmt.Printf("after gradient descent: KL = %.3f\n", m.KL(w))
	// Output:
	// N = 6, d = 24, KL(0) = 0.98083
	// after gradient descent: KL = 0.016
}

// ExampleCD trains the same RBM with persistent contrastive divergence
// (PCD-1, 100 chains, learning rate 0.2) and checks the result with the exact KL.
func ExampleCD() {
	patterns, n := models.BarsAndStripes(2)
	m, _ := models.NewRBM(patterns, 4, 4)
	rng := rand.New(rand.NewPCG(3, 4))
	w := make([]float64, m.Dim())
	for i := range w {
		w[i] = 0.1 * rng.NormFloat64()
	}
	chains := make([]float64, 100*4)
	for i := range chains {
		chains[i] = float64(rng.IntN(2))
	}
	batch := make([]int, n)
	for i := range batch {
		batch[i] = i
	}
	cd := m.NewCD(rand.NewPCG(5, 6))
	g := make([]float64, m.Dim())
	kl0 := m.KL(w)
	for range 3000 {
		cd.Gradient(g, w, batch, 1, chains)
		for i := range w {
			w[i] -= 0.2 * g[i]
		}
	}
	fmt.Printf("KL %.3f → %.3f\n", kl0, m.KL(w))
	// Output:
	// KL 1.007 → 0.175
}

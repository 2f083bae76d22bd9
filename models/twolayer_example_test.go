package models_test

import (
	"fmt"

	"github.com/grd-engine/grd/models"
)

// ExampleNewTwoLayer builds a 2-3-2 tanh network on four samples with
// cross-entropy loss and computes the mean gradient, a Hessian-vector
// product and the second directional derivatives in chunks of two samples.
func ExampleNewTwoLayer() {
	d := &models.Data{
		N: 4, In: 2, Out: 2,
		X:      []float64{0, 1, 1, 0, 1, 1, -1, 0.5},
		Y:      []float64{1, 0, 0, 1, 0, 1, 1, 0},
		Labels: []int{0, 1, 1, 0},
	}
	m, err := models.NewTwoLayer(d, 3, models.Tanh, models.CrossEntropy)
	if err != nil {
		panic(err)
	}
	// w = [W1 (3×2), b1 (3), W2 (2×3), b2 (2)]
	w := []float64{0.5, -0.3, 0.8, 0.1, -0.6, 0.4, 0, 0.1, -0.1, 1, -1, 0.5, -0.5, 0.7, 0.2, 0, 0}
	v := make([]float64, m.Dim())
	v[0] = 1 // direction: the weight W1[0,0]

	const chunk = 2
	ev := m.NewEvaluator(chunk)
	c := []float64{0.25, 0.25} // 1/N
	grad := make([]float64, m.Dim())
	hv := make([]float64, m.Dim())
	q := make([]float64, m.Len())
	for lo := 0; lo < m.Len(); lo += chunk {
		hi := lo + chunk
		ev.Accumulate(grad, c, nil, w, nil, lo, hi) // ∇f
		ev.Accumulate(hv, nil, c, w, v, lo, hi)     // H v
		ev.Directional(nil, nil, q[lo:hi], w, v, lo, hi)
	}
	fmt.Println(m.Name(), "d =", m.Dim())
	// With v = e_0, (H v)_0 = H_00 equals the mean of q_n = vᵀH_n v.
	fmt.Printf("∂f/∂W1[0,0] = %.6f, (Hv)[0] = %.6f, mean q = %.6f\n", grad[0], hv[0], (q[0]+q[1]+q[2]+q[3])/4)
	// Output:
	// two-layer(tanh, h=3, cross-entropy) d = 17
	// ∂f/∂W1[0,0] = 0.296126, (Hv)[0] = -0.011767, mean q = -0.011767
}

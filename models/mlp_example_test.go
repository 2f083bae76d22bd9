package models_test

import (
	"fmt"

	"github.com/grd-engine/grd/models"
)

// ExampleNewMLP builds a 1-3-3-1 softplus network (two hidden layers) for
// regression, checks that it provides third derivatives, and evaluates the
// per-sample losses and the gradient of the mean loss in one chunk.
func ExampleNewMLP() {
	d := &models.Data{N: 3, In: 1, Out: 1, X: []float64{-1, 0, 1}, Y: []float64{1, 0, 1}}
	m, err := models.NewMLP(d, []int{1, 3, 3, 1}, models.Softplus, models.Squared)
	if err != nil {
		panic(err)
	}
	if err := models.RequireOrder(m, 3, "grd residuals"); err != nil {
		panic(err)
	}
	// w = [W1 (3×1), b1 (3), W2 (3×3), b2 (3), W3 (1×3), b3 (1)]: d = 6 + 12 + 4.
	w := make([]float64, m.Dim())
	for i := range w {
		w[i] = 0.1 * float64(i%5-2)
	}
	ev := m.NewEvaluator(m.Len())
	loss := make([]float64, m.Len())
	ev.Losses(loss, w, 0, m.Len())
	grad := make([]float64, m.Dim())
	ev.Accumulate(grad, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, nil, w, nil, 0, m.Len())
	// ∂f/∂b3 is the mean residual (1/N) Σ (ŷ_n − y_n).
	fmt.Println(m.Name(), "d =", m.Dim())
	fmt.Printf("losses %.4f, ∂f/∂b3 = %.4f\n", loss, grad[m.Dim()-1])
	// Output:
	// mlp(softplus, [1 3 3 1], squared) d = 22
	// losses [0.5813 0.0031 0.5810], ∂f/∂b3 = -0.7448
}

package models_test

import (
	"math"
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

// TestAccumulateLosses: the network Evaluators' AccumulateLosses gives the
// bits of Losses followed by Accumulate (e = nil), for every activation and
// loss, on full and partial chunks, and losses only when c is nil.
func TestAccumulateLosses(t *testing.T) {
	for _, act := range []models.Activation{models.Tanh, models.Sigmoid, models.Softplus, models.Relu} {
		for _, loss := range []models.Loss{models.Squared, models.CrossEntropy} {
			d := nnConfData(uint64(40+3*int(act)+int(loss)), 11, 4, 3, loss == models.CrossEntropy)
			tl, err := models.NewTwoLayer(d, 5, act, loss)
			if err != nil {
				t.Fatal(err)
			}
			mlp, err := models.NewMLP(d, []int{4, 6, 3, 5, 3}, act, loss)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range []models.Model{tl, mlp} {
				w := nnConfVec(3, m.Dim(), 0.7)
				c := nnConfVec(4, m.Len(), 1)
				ev := m.NewEvaluator(4)
				la, ok := ev.(models.LossAccumulator)
				if !ok {
					t.Fatalf("%s: the Evaluator is not a LossAccumulator", m.Name())
				}
				for _, r := range [][2]int{{0, 4}, {4, 8}, {8, 11}} {
					lo, hi := r[0], r[1]
					l1, l2 := make([]float64, hi-lo), make([]float64, hi-lo)
					g1, g2 := nnConfVec(5, m.Dim(), 1), nnConfVec(5, m.Dim(), 1) // added into
					ev.Losses(l1, w, lo, hi)
					ev.Accumulate(g1, c[lo:hi], nil, w, nil, lo, hi)
					la.AccumulateLosses(l2, g2, c[lo:hi], w, lo, hi)
					for i := range l1 {
						if l1[i] != l2[i] {
							t.Errorf("%s [%d,%d): loss %d = %v, Losses %v", m.Name(), lo, hi, i, l2[i], l1[i])
						}
					}
					for i := range g1 {
						if g1[i] != g2[i] {
							t.Errorf("%s [%d,%d): sum %d = %v, Accumulate %v", m.Name(), lo, hi, i, g2[i], g1[i])
							break
						}
					}
					l3 := make([]float64, hi-lo)
					la.AccumulateLosses(l3, nil, nil, w, lo, hi)
					for i := range l1 {
						if l1[i] != l3[i] {
							t.Errorf("%s [%d,%d) with c nil: loss %d = %v, Losses %v", m.Name(), lo, hi, i, l3[i], l1[i])
						}
					}
				}
			}
		}
	}
}

// TestShardAccumulateLosses: a Shard of a network model (a rank's samples)
// keeps its Evaluators' LossAccumulator, at the shifted sample indices
// with the inner model's bits; a Shard of a model without one does not
// claim it.
func TestShardAccumulateLosses(t *testing.T) {
	d := nnConfData(71, 9, 4, 3, false)
	tl, err := models.NewTwoLayer(d, 5, models.Tanh, models.Squared)
	if err != nil {
		t.Fatal(err)
	}
	const lo = 6 // the shard holds samples [6, 6+9) of 20
	sh := models.Shard(tl, 20, lo)
	la, ok := sh.NewEvaluator(4).(models.LossAccumulator)
	if !ok {
		t.Fatal("a Shard of a two-layer network: its Evaluator is not a LossAccumulator")
	}
	inner := tl.NewEvaluator(4).(models.LossAccumulator)
	w := nnConfVec(3, tl.Dim(), 0.7)
	c := nnConfVec(4, 4, 1)
	l1, l2 := make([]float64, 4), make([]float64, 4)
	g1, g2 := make([]float64, tl.Dim()), make([]float64, tl.Dim())
	inner.AccumulateLosses(l1, g1, c, w, 2, 6)
	la.AccumulateLosses(l2, g2, c, w, lo+2, lo+6)
	for i := range l1 {
		if math.Float64bits(l1[i]) != math.Float64bits(l2[i]) {
			t.Errorf("loss %d = %v, inner model %v", i, l2[i], l1[i])
		}
	}
	for i := range g1 {
		if math.Float64bits(g1[i]) != math.Float64bits(g2[i]) {
			t.Errorf("sum %d = %v, inner model %v", i, g2[i], g1[i])
			break
		}
	}
	q, err := models.NewQuadratic([]models.QuadSample{{A: []float64{1}, C: []float64{0}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := models.Shard(q, 3, 1).NewEvaluator(1).(models.LossAccumulator); ok {
		t.Error("a Shard of a quadratic claims a LossAccumulator its model does not have")
	}
}

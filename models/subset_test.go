package models_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/grd-engine/grd/models"
)

// subsetModels returns one instance of every built-in model on N samples.
func subsetModels(t *testing.T, n int) []models.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(11, 12))
	reg := nnConfData(21, n, 3, 1, false)
	bin := randData(rng, n, 3, true)
	cls := nnConfData(22, n, 3, 3, true)
	var out []models.Model
	add := func(m models.Model, err error) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	add(models.NewQuadratic(models.GenerateQuadratics(3, n, 10, rand.NewPCG(3, 4))))
	add(models.NewLinearRegression(reg, true))
	add(models.NewLogistic(bin, false))
	add(models.NewTwoLayer(reg, 4, models.Tanh, models.Squared))
	add(models.NewTwoLayer(cls, 3, models.Softplus, models.CrossEntropy))
	add(models.NewMLP(cls, []int{3, 4, 2, 3}, models.Sigmoid, models.CrossEntropy))
	return out
}

// closeTo reports |a − b| ≤ tol·(1 + |b|).
func closeTo(a, b, tol float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(b)) }

// TestSubsetEvaluatesSelectedSamples checks, for every built-in model, that
// sample i of m.Subset(idx) evaluates like sample idx[i] of m: every
// per-sample output, and the weighted sums of Accumulate, evaluated on the
// subset in one chunk and on the original one sample at a time. The two
// differ only in how a chunk's rows are blocked in the matrix products, so
// they agree to a few ulps; 1e-12 relative (to 1 + |value|) leaves a wide
// margin and still catches any wrong row.
func TestSubsetEvaluatesSelectedSamples(t *testing.T) {
	const n, tol = 13, 1e-12
	rng := rand.New(rand.NewPCG(7, 8))
	// A permutation with a repeated and a dropped sample.
	idx := rng.Perm(n)
	idx[5] = idx[2]
	idx = idx[:n-1]
	k := len(idx)
	for _, m := range subsetModels(t, n) {
		t.Run(m.Name(), func(t *testing.T) {
			ss, ok := m.(models.Subsetter)
			if !ok {
				t.Fatalf("%s does not implement models.Subsetter", m.Name())
			}
			s := ss.Subset(idx)
			d := m.Dim()
			if s.Len() != k || s.Dim() != d || s.MaxOrder() != m.MaxOrder() {
				t.Fatalf("subset: Len %d Dim %d MaxOrder %d, want %d %d %d", s.Len(), s.Dim(), s.MaxOrder(), k, d, m.MaxOrder())
			}
			if m.Name() != s.Name() && !strings.Contains(s.Name(), "N=") {
				t.Errorf("subset name %q, original %q", s.Name(), m.Name())
			}
			w, v, u := make([]float64, d), make([]float64, d), make([]float64, d)
			for i := range w {
				w[i], v[i], u[i] = 0.5*rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
			}
			c, e := make([]float64, k), make([]float64, k)
			for i := range c {
				c[i], e[i] = rng.NormFloat64(), rng.NormFloat64()
			}
			es, eo := s.NewEvaluator(k), m.NewEvaluator(1)

			// Subset, one chunk.
			loss, sv, qv := make([]float64, k), make([]float64, k), make([]float64, k)
			es.Directional(loss, sv, qv, w, v, 0, k)
			grads, hv, tv := make([]float64, k*d), make([]float64, k*d), make([]float64, k*d)
			es.Grads(grads, w, 0, k)
			es.HessVecs(hv, w, v, 0, k)
			es.ThirdVecs(tv, w, u, 0, k)
			acc := make([]float64, d)
			es.Accumulate(acc, c, e, w, v, 0, k)
			lossOnly := make([]float64, k)
			es.Losses(lossOnly, w, 0, k)

			// Original, one sample at a time.
			want := make([]float64, d)
			row := make([]float64, d)
			one := []float64{0}
			for i, j := range idx {
				var l, s1, q1 [1]float64
				eo.Directional(l[:], s1[:], q1[:], w, v, j, j+1)
				eo.Losses(one, w, j, j+1)
				if !closeTo(loss[i], l[0], tol) || !closeTo(lossOnly[i], one[0], tol) || !closeTo(sv[i], s1[0], tol) || !closeTo(qv[i], q1[0], tol) {
					t.Errorf("sample %d (= %d): loss %v/%v s %v q %v, original %v/%v %v %v",
						i, j, loss[i], lossOnly[i], sv[i], qv[i], l[0], one[0], s1[0], q1[0])
				}
				for _, op := range []struct {
					name string
					got  []float64
					eval func()
				}{
					{"Grads", grads, func() { eo.Grads(row, w, j, j+1) }},
					{"HessVecs", hv, func() { eo.HessVecs(row, w, v, j, j+1) }},
					{"ThirdVecs", tv, func() { eo.ThirdVecs(row, w, u, j, j+1) }},
				} {
					op.eval()
					for a := range d {
						if !closeTo(op.got[i*d+a], row[a], tol) {
							t.Errorf("%s sample %d (= %d) [%d]: %v, original %v", op.name, i, j, a, op.got[i*d+a], row[a])
						}
					}
				}
				eo.Accumulate(want, c[i:i+1], e[i:i+1], w, v, j, j+1)
			}
			for a := range d {
				if !closeTo(acc[a], want[a], tol) {
					t.Errorf("Accumulate[%d] = %v, original %v", a, acc[a], want[a])
				}
			}
		})
	}
}

// TestSubsetCopiesAndPanics checks that a subset does not alias its parent
// (building further subsets leaves it unchanged) and that invalid index
// lists panic with a models-prefixed message.
func TestSubsetCopiesAndPanics(t *testing.T) {
	for _, m := range subsetModels(t, 5) {
		ss := m.(models.Subsetter)
		s := ss.Subset([]int{4, 0})
		w := make([]float64, m.Dim())
		for i := range w {
			w[i] = 0.1 * float64(i+1)
		}
		l1 := make([]float64, 2)
		s.NewEvaluator(2).Losses(l1, w, 0, 2)
		_ = ss.Subset([]int{1, 2, 3})
		l2 := make([]float64, 2)
		s.NewEvaluator(2).Losses(l2, w, 0, 2)
		if l1[0] != l2[0] || l1[1] != l2[1] {
			t.Errorf("%s: subset changed after another Subset call", m.Name())
		}
		for _, bad := range [][]int{nil, {0, 5}, {-1}} {
			func() {
				defer func() {
					r := recover()
					if msg, _ := r.(string); !strings.HasPrefix(msg, "models: ") {
						t.Errorf("%s: Subset(%v) panic = %v, want a models: message", m.Name(), bad, r)
					}
				}()
				ss.Subset(bad)
			}()
		}
	}
}

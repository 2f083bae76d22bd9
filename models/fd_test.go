package models_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/grd-engine/grd/models"
)

// expModel has f_n(w) = exp(x_n·w), so H_n v = e^s (x·v) x and
// ∇³f_n[u,u] = e^s (x·u)² x exactly; every derivative order is non-zero.
type expModel struct {
	d int
	x []float64
}

func (m *expModel) HessVecs(dst []float64, w, v []float64, lo, hi int) {
	for n := lo; n < hi; n++ {
		x := m.x[n*m.d : (n+1)*m.d]
		var s, xv float64
		for k := range x {
			s += x[k] * w[k]
			xv += x[k] * v[k]
		}
		a := math.Exp(s) * xv
		for k := range x {
			dst[(n-lo)*m.d+k] = a * x[k]
		}
	}
}

func (m *expModel) third(dst []float64, w, u []float64, lo, hi int) {
	for n := lo; n < hi; n++ {
		x := m.x[n*m.d : (n+1)*m.d]
		var s, xu float64
		for k := range x {
			s += x[k] * w[k]
			xu += x[k] * u[k]
		}
		a := math.Exp(s) * xu * xu
		for k := range x {
			dst[(n-lo)*m.d+k] = a * x[k]
		}
	}
}

func newExpModel(r *rand.Rand, n, d int) *expModel {
	m := &expModel{d: d, x: make([]float64, n*d)}
	for i := range m.x {
		m.x[i] = r.NormFloat64() / math.Sqrt(float64(d))
	}
	return m
}

func randVec(r *rand.Rand, d int, scale float64) []float64 {
	x := make([]float64, d)
	for i := range x {
		x[i] = scale * r.NormFloat64()
	}
	return x
}

// relErr returns ‖a − b‖∞ / ‖b‖∞.
func relErr(a, b []float64) float64 {
	var num, den float64
	for i := range a {
		num = math.Max(num, math.Abs(a[i]-b[i]))
		den = math.Max(den, math.Abs(b[i]))
	}
	return num / den
}

// TestThirdVecsFDAccuracy compares the default-step difference with the
// analytic third derivative for w and u over six orders of magnitude of
// scale. The expected relative error is ≈ 1e-10 (truncation h²/6 ≈ 6e-12
// plus rounding ε/h ≈ 4e-11, times modest factors); 1e-8 leaves two orders
// of headroom while an O(h) or wrong-sign formula fails by orders of
// magnitude.
func TestThirdVecsFDAccuracy(t *testing.T) {
	const seed = 11
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	const n, d = 7, 5
	m := newExpModel(r, n, d)
	var tfd models.ThirdVecsFD
	tests := []struct{ wscale, uscale float64 }{
		{1, 1}, {0.01, 1}, {1, 1e-3}, {1, 1e3}, {0.3, 30}, {2, 0.5},
	}
	for _, tc := range tests {
		w, u := randVec(r, d, tc.wscale), randVec(r, d, tc.uscale)
		got := make([]float64, n*d)
		want := make([]float64, n*d)
		for _, c := range [][2]int{{0, n}, {2, 5}, {6, 7}} {
			lo, hi := c[0], c[1]
			tfd.ThirdVecs(m, got[:(hi-lo)*d], w, u, lo, hi)
			m.third(want[:(hi-lo)*d], w, u, lo, hi)
			for i := range hi - lo {
				g, wnt := got[i*d:(i+1)*d], want[i*d:(i+1)*d]
				if e := relErr(g, wnt); e > 1e-8 {
					t.Errorf("w scale %g, u scale %g, sample %d: relative error %.3g > 1e-8", tc.wscale, tc.uscale, lo+i, e)
				}
			}
		}
	}
}

// TestThirdVecsFDOrder halves the step four times and requires the observed
// convergence order log2(e(h)/e(h/2)) to be 2 ± 0.25 (steps are large enough
// for truncation to dominate rounding by many orders of magnitude).
func TestThirdVecsFDOrder(t *testing.T) {
	const seed = 12
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	const d = 4
	m := newExpModel(r, 1, d)
	w, u := randVec(r, d, 1), randVec(r, d, 1)
	want := make([]float64, d)
	m.third(want, w, u, 0, 1)
	got := make([]float64, d)
	var prev float64
	for i, step := range []float64{0.08, 0.04, 0.02, 0.01, 0.005} {
		tfd := models.ThirdVecsFD{Step: step}
		tfd.ThirdVecs(m, got, w, u, 0, 1)
		e := relErr(got, want)
		if i > 0 {
			order := math.Log2(prev / e)
			t.Logf("step %g: error %.3g, observed order %.3f", step, e, order)
			if math.Abs(order-2) > 0.25 {
				t.Errorf("step %g: observed order %.3f, want 2 ± 0.25", step, order)
			}
		}
		prev = e
	}
}

func TestThirdVecsFDZeroDirection(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 1))
	m := newExpModel(r, 3, 2)
	dst := []float64{1, 2, 3, 4, 5, 6}
	var tfd models.ThirdVecsFD
	tfd.ThirdVecs(m, dst, []float64{1, 2}, []float64{0, 0}, 0, 3)
	for i, x := range dst {
		if x != 0 {
			t.Errorf("dst[%d] = %g with u = 0, want 0", i, x)
		}
	}
}

func TestThirdVecsFDNoAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation check skipped under -short")
	}
	r := rand.New(rand.NewPCG(14, 1))
	const n, d = 16, 6
	m := newExpModel(r, n, d)
	w, u := randVec(r, d, 1), randVec(r, d, 1)
	dst := make([]float64, n*d)
	var tfd models.ThirdVecsFD
	tfd.ThirdVecs(m, dst, w, u, 0, n) // sizes the scratch
	for _, k := range []int{n, 1, 7} {
		if a := testing.AllocsPerRun(10, func() { tfd.ThirdVecs(m, dst[:k*d], w, u, 0, k) }); a != 0 {
			t.Errorf("chunk %d: %v allocations per call, want 0", k, a)
		}
	}
}

func TestThirdVecsFDPanics(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 1))
	m := newExpModel(r, 3, 2)
	w := []float64{1, 2}
	tests := []struct {
		name string
		fn   func()
	}{
		{"short dst", func() { new(models.ThirdVecsFD).ThirdVecs(m, make([]float64, 3), w, w, 0, 2) }},
		{"short u", func() { new(models.ThirdVecsFD).ThirdVecs(m, make([]float64, 4), w, w[:1], 0, 2) }},
		{"hi < lo", func() { new(models.ThirdVecsFD).ThirdVecs(m, nil, w, w, 2, 1) }},
		{"negative step", func() { (&models.ThirdVecsFD{Step: -1}).ThirdVecs(m, make([]float64, 4), w, w, 0, 2) }},
	}
	for _, tc := range tests {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.fn()
		}()
	}
}

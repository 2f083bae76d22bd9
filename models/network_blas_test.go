package models

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// nnNaiveGrad returns f_n and g_n of sample n of a squared-loss network
// with layers widths and activation act by the textbook backpropagation,
// one sample at a time with scalar triple loops and no BLAS: the reference
// the BLAS backends (pure Go by default, OpenBLAS under the build tag
// openblas) must both reproduce.
func nnNaiveGrad(d *Data, widths []int, act Activation, w []float64, n int) (float64, []float64) {
	L := len(widths) - 1
	as := [][]float64{d.X[n*d.In : (n+1)*d.In]}
	var zs [][]float64
	off := 0
	wOff, bOff := make([]int, L+1), make([]int, L+1)
	for l := 1; l <= L; l++ {
		nin, nout := widths[l-1], widths[l]
		wOff[l], bOff[l] = off, off+nout*nin
		off += nout*nin + nout
		z := make([]float64, nout)
		for j := range z {
			s := w[bOff[l]+j]
			for k := 0; k < nin; k++ {
				s += w[wOff[l]+j*nin+k] * as[l-1][k]
			}
			z[j] = s
		}
		zs = append(zs, z)
		a := make([]float64, nout)
		for j, zj := range z {
			if l == L {
				a[j] = zj
			} else {
				a[j] = nnNaiveAct(act, zj)
			}
		}
		as = append(as, a)
	}
	g := make([]float64, off)
	y := d.Y[n*d.Out : (n+1)*d.Out]
	delta := make([]float64, widths[L])
	var f float64
	for j, yj := range as[L] {
		delta[j] = yj - y[j]
		f += 0.5 * delta[j] * delta[j]
	}
	for l := L; l >= 1; l-- {
		nin := widths[l-1]
		for j, dj := range delta {
			for k := 0; k < nin; k++ {
				g[wOff[l]+j*nin+k] = dj * as[l-1][k]
			}
			g[bOff[l]+j] = dj
		}
		if l == 1 {
			break
		}
		prev := make([]float64, nin)
		for k := range prev {
			var s float64
			for j, dj := range delta {
				s += dj * w[wOff[l]+j*nin+k]
			}
			prev[k] = s * nnNaiveActDeriv(act, zs[l-2][k])
		}
		delta = prev
	}
	return f, g
}

func nnNaiveAct(act Activation, z float64) float64 {
	switch act {
	case Tanh:
		return math.Tanh(z)
	case Sigmoid:
		return 1 / (1 + math.Exp(-z))
	default:
		panic("nnNaiveAct: tanh and sigmoid only")
	}
}

func nnNaiveActDeriv(act Activation, z float64) float64 {
	switch act {
	case Tanh:
		t := math.Tanh(z)
		return 1 - t*t
	case Sigmoid:
		s := 1 / (1 + math.Exp(-z))
		return s * (1 - s)
	default:
		panic("nnNaiveActDeriv: tanh and sigmoid only")
	}
}

// TestNetworkBLASBackend compares losses, per-sample gradients and the
// gradient sum of the batched networks with nnNaiveGrad, under whichever
// BLAS backend the test binary was built with (run it as `go test
// ./models/` and `go test -tags openblas ./models/`). The widths exceed
// the 64-wide blocks of gonum's GEMM and make layers both wider and
// narrower than their inputs, so every GEMM orientation and panel split
// is used. Both sides only reorder sums of O(100) terms of size O(1), so
// they agree to a few hundred ulps: the tolerance is 1e-12 relative to the
// largest entry.
func TestNetworkBLASBackend(t *testing.T) {
	t.Logf("BLAS backend: %s", BLASBackend)
	for _, tc := range []struct {
		name   string
		widths []int
		act    Activation
		o      int
	}{
		{"two-layer o=1 wide", []int{70, 130, 1}, Tanh, 1},
		{"two-layer o=3 narrow", []int{70, 40, 3}, Sigmoid, 3},
		{"mlp 3 layers", []int{20, 150, 67, 2}, Tanh, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const N, chunk = 300, 150
			data := nnTestData(5, N, tc.widths[0], tc.o, false)
			var m Model
			var err error
			if len(tc.widths) == 3 {
				m, err = NewTwoLayer(data, tc.widths[1], tc.act, Squared)
			} else {
				m, err = NewMLP(data, tc.widths, tc.act, Squared)
			}
			if err != nil {
				t.Fatal(err)
			}
			dim := m.Dim()
			w := nnTestVec(7, dim, 1/math.Sqrt(float64(tc.widths[0])))
			ev := m.NewEvaluator(chunk)
			loss := make([]float64, N)
			rows := make([]float64, N*dim)
			sum := make([]float64, dim)
			c := nnTestVec(8, N, 1)
			for lo := 0; lo < N; lo += chunk {
				ev.Losses(loss[lo:lo+chunk], w, lo, lo+chunk)
				ev.Grads(rows[lo*dim:(lo+chunk)*dim], w, lo, lo+chunk)
				ev.Accumulate(sum, c[lo:lo+chunk], nil, w, nil, lo, lo+chunk)
			}
			wantLoss := make([]float64, N)
			wantRows := make([]float64, N*dim)
			wantSum := make([]float64, dim)
			for n := 0; n < N; n++ {
				f, g := nnNaiveGrad(data, tc.widths, tc.act, w, n)
				wantLoss[n] = f
				copy(wantRows[n*dim:], g)
				for k, gk := range g {
					wantSum[k] += c[n] * gk
				}
			}
			nnAssertClose(t, "losses", loss, wantLoss, 1e-12)
			nnAssertClose(t, "per-sample gradients", rows, wantRows, 1e-12)
			nnAssertClose(t, "Σ c_n g_n", sum, wantSum, 1e-12)
		})
	}
}

// TestGramAdd checks GramAdd against a naive sum of outer products on the
// upper triangle, and that it leaves the strict lower triangle alone, at a
// size beyond gonum's 64-wide blocks, under the build's backend.
func TestGramAdd(t *testing.T) {
	const m, d, alpha = 37, 130, 0.7
	a := nnTestVec(21, m*d, 1)
	c := nnTestVec(22, d*d, 1)
	want := append([]float64(nil), c...)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			var s float64
			for l := 0; l < m; l++ {
				s += a[l*d+i] * a[l*d+j]
			}
			want[i*d+j] += alpha * s
		}
	}
	c0 := append([]float64(nil), c...)
	GramAdd(c, alpha, a, m, d)
	// Sums of 37 products of O(1) terms: rounding is a few ulps of O(10).
	nnAssertClose(t, "GramAdd", c, want, 1e-13)
	// Panels of equal work (boundaries d·√(p/3)) and a ragged split,
	// applied in an arbitrary order, add up to the same matrix.
	for _, cuts := range [][]int{{0, 75, 106, 130}, {0, 1, 64, 65, 129, 130}} {
		cp := append([]float64(nil), c0...)
		for p := len(cuts) - 2; p >= 0; p-- {
			GramAddPanel(cp, alpha, a, m, d, cuts[p], cuts[p+1])
		}
		nnAssertClose(t, fmt.Sprintf("GramAddPanel over %v", cuts), cp, want, 1e-13)
	}
	before := append([]float64(nil), c...)
	GramAdd(c, alpha, a, 0, d) // m = 0 is a no-op
	nnAssertClose(t, "GramAdd with m = 0", c, before, 0)
	for _, bad := range []func(){
		func() { GramAdd(c, 1, a, m, 0) },
		func() { GramAdd(c, 1, a[:m*d-1], m, d) },
		func() { GramAdd(c[:d*d-1], 1, a, m, d) },
		func() { GramAddPanel(c, 1, a, m, d, 5, 4) },
		func() { GramAddPanel(c, 1, a, m, d, 0, d+1) },
	} {
		if msg := nnPanicMessage(bad); !strings.HasPrefix(msg, "models: GramAdd") {
			t.Errorf("GramAdd with bad shapes: panic %q, want a models: GramAdd message", msg)
		}
	}
}

// ExampleGramAdd accumulates the Gram matrix of two rows of a 2×3 matrix.
func ExampleGramAdd() {
	a := []float64{
		1, 2, 3,
		0, 1, -1,
	}
	c := make([]float64, 9)
	GramAdd(c, 1, a, 2, 3)
	for i := 0; i < 3; i++ {
		fmt.Println(c[i*3 : i*3+3])
	}
	// Output:
	// [1 2 3]
	// [0 5 5]
	// [0 0 10]
}

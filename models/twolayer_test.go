package models

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
)

func TestNewTwoLayerErrors(t *testing.T) {
	reg := nnTestData(1, 5, 3, 2, false)
	cls := nnTestData(2, 5, 3, 2, true)
	one := nnTestData(3, 5, 3, 1, true)
	bad := &Data{N: 2, In: 3, Out: 1, X: make([]float64, 5), Y: make([]float64, 2)}
	for _, tc := range []struct {
		name   string
		d      *Data
		hidden int
		act    Activation
		loss   Loss
		want   string // substring of the error
	}{
		{"zero hidden", reg, 0, Tanh, Squared, "hidden = 0"},
		{"negative hidden", reg, -3, Tanh, Squared, "hidden = -3"},
		{"nil data", nil, 4, Tanh, Squared, "data is nil"},
		{"invalid data", bad, 4, Tanh, Squared, "len(X) = 5"},
		{"cross-entropy without labels", reg, 4, Tanh, CrossEntropy, "Labels is nil"},
		{"cross-entropy one output", one, 4, Tanh, CrossEntropy, "at least 2 classes"},
		{"unknown activation", reg, 4, Activation(9), Squared, "unknown activation"},
		{"unknown loss", cls, 4, Tanh, Loss(5), "unknown loss"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewTwoLayer(tc.d, tc.hidden, tc.act, tc.loss)
			if err == nil {
				t.Fatalf("NewTwoLayer succeeded (%s), want an error containing %q", m.Name(), tc.want)
			}
			if !strings.HasPrefix(err.Error(), "models: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want prefix \"models: \" and %q", err, tc.want)
			}
		})
	}
}

func TestTwoLayerAccessors(t *testing.T) {
	d := nnTestData(1, 6, 3, 2, true)
	m, err := NewTwoLayer(d, 5, Softplus, CrossEntropy)
	if err != nil {
		t.Fatal(err)
	}
	// d = h(n+1) + o(h+1) = 5·4 + 2·6.
	if m.Dim() != 32 || m.Len() != 6 || m.Hidden() != 5 || m.MaxOrder() != 3 ||
		m.Activation() != Softplus || m.Loss() != CrossEntropy || m.Name() != "two-layer(softplus, h=5, cross-entropy)" {
		t.Errorf("got Dim %d Len %d Hidden %d MaxOrder %d %v %v %q", m.Dim(), m.Len(), m.Hidden(), m.MaxOrder(), m.Activation(), m.Loss(), m.Name())
	}
}

// TestTwoLayerLayout pins the DESIGN §3 layout on a case small enough to do
// by hand: n = 2, h = 2, o = 1, tanh, squared loss, with
// W1 = [[0.5, 0.25], [−0.5, 1]], b1 = (0, 0.1), W2 = [[1, −1]], b2 = 0.2,
// x = (1, −1), y = 0.5. Then z1 = (0.25, −1.4),
// ŷ = tanh 0.25 − tanh(−1.4) + 0.2, f = ½(ŷ − y)², and, with r = ŷ − y,
// ∂f/∂W2 = r·tanh(z1), ∂f/∂b2 = r, ∂f/∂b1_j = r·W2_j·(1 − tanh² z1_j),
// ∂f/∂W1_jk = ∂f/∂b1_j · x_k.
func TestTwoLayerLayout(t *testing.T) {
	d := &Data{N: 1, In: 2, Out: 1, X: []float64{1, -1}, Y: []float64{0.5}}
	m, err := NewTwoLayer(d, 2, Tanh, Squared)
	if err != nil {
		t.Fatal(err)
	}
	w := []float64{0.5, 0.25, -0.5, 1, 0, 0.1, 1, -1, 0.2}
	t1, t2 := math.Tanh(0.25), math.Tanh(-1.4)
	r := t1 - t2 + 0.2 - 0.5
	gb1 := []float64{r * (1 - t1*t1), -r * (1 - t2*t2)}
	want := []float64{gb1[0], -gb1[0], gb1[1], -gb1[1], gb1[0], gb1[1], r * t1, r * t2, r}
	ev := m.NewEvaluator(1)
	loss := []float64{0}
	ev.Losses(loss, w, 0, 1)
	nnAssertClose(t, "loss", loss, []float64{r * r / 2}, 1e-15)
	g := make([]float64, 9)
	ev.Grads(g, w, 0, 1)
	nnAssertClose(t, "gradient", g, want, 1e-15)
}

// TestMLPEqualsTwoLayer checks that the MLP with layers [n, h, o] is the
// two-layer network with h hidden units, weight for weight, on every
// operation (to rounding).
func TestMLPEqualsTwoLayer(t *testing.T) {
	for _, loss := range []Loss{Squared, CrossEntropy} {
		d := nnTestData(5, 9, 3, 4, loss == CrossEntropy)
		tl, err := NewTwoLayer(d, 6, Sigmoid, loss)
		if err != nil {
			t.Fatal(err)
		}
		ml, err := NewMLP(d, []int{3, 6, 4}, Sigmoid, loss)
		if err != nil {
			t.Fatal(err)
		}
		if tl.Dim() != ml.Dim() {
			t.Fatalf("Dim: two-layer %d, mlp %d", tl.Dim(), ml.Dim())
		}
		dim, N := tl.Dim(), d.N
		w, v := nnTestVec(1, dim, 0.7), nnTestVec(2, dim, 1)
		c, e := nnTestVec(3, N, 1), nnTestVec(4, N, 1)
		run := func(m Model) [][]float64 {
			ev := m.NewEvaluator(4)
			var out [][]float64
			loss, s, q := make([]float64, N), make([]float64, N), make([]float64, N)
			acc := make([]float64, dim)
			for lo := 0; lo < N; lo += 4 {
				hi := min(lo+4, N)
				ev.Directional(loss[lo:hi], s[lo:hi], q[lo:hi], w, v, lo, hi)
				ev.Accumulate(acc, c[lo:hi], e[lo:hi], w, v, lo, hi)
			}
			out = append(out, loss, s, q, acc)
			out = append(out, nnRows(m, 4, func(ev Evaluator, dst []float64, lo, hi int) { ev.Grads(dst, w, lo, hi) }))
			out = append(out, nnRows(m, 4, func(ev Evaluator, dst []float64, lo, hi int) { ev.HessVecs(dst, w, v, lo, hi) }))
			out = append(out, nnRows(m, 4, func(ev Evaluator, dst []float64, lo, hi int) { ev.ThirdVecs(dst, w, v, lo, hi) }))
			return out
		}
		a, b := run(tl), run(ml)
		for i, what := range []string{"loss", "s", "q", "Accumulate", "Grads", "HessVecs", "ThirdVecs"} {
			nnAssertClose(t, loss.String()+" "+what, b[i], a[i], 1e-14)
		}
	}
}

// TestReluFirstOrderOnly checks that a relu network reports MaxOrder 1, is
// refused by RequireOrder for order 2, computes first-order quantities
// correctly (against the reference loss's finite differences, see also the
// conformance test) and panics with a clear message on second-order calls.
func TestReluFirstOrderOnly(t *testing.T) {
	d := nnTestData(8, 5, 3, 2, false)
	m, err := NewTwoLayer(d, 4, Relu, Squared)
	if err != nil {
		t.Fatal(err)
	}
	if m.MaxOrder() != 1 {
		t.Fatalf("MaxOrder = %d, want 1", m.MaxOrder())
	}
	if err := RequireOrder(m, 2, "grd"); err == nil || !strings.Contains(err.Error(), "relu") {
		t.Errorf("RequireOrder(relu, 2) = %v, want an error naming the model", err)
	}
	if err := RequireOrder(m, 1, "gd"); err != nil {
		t.Errorf("RequireOrder(relu, 1) = %v", err)
	}
	dim := m.Dim()
	w, v := nnTestVec(1, dim, 0.7), nnTestVec(2, dim, 1)
	ev := m.NewEvaluator(5)
	G := make([]float64, 5*dim)
	ev.Grads(G, w, 0, 5)
	for n := 0; n < 5; n++ {
		// The data are generic, so no pre-activation lies within the step
		// 1e-5 of relu's kink and the central difference is exact up to
		// rounding (the loss is piecewise quadratic); 1e-7 as in
		// TestNetworkFiniteDifferences.
		ref := func(x []float64) float64 { return nnRefLoss(d, []int{3, 4, 2}, Relu, Squared, x, n) }
		gfd := fd.Gradient(nil, ref, w, &fd.Settings{Formula: fd.Central, Step: 1e-5})
		nnAssertClose(t, fmt.Sprintf("relu Grads row %d", n), G[n*dim:(n+1)*dim], gfd, 1e-7)
	}
	s := make([]float64, 5)
	ev.Directional(nil, s, nil, w, v, 0, 5)
	for n := 0; n < 5; n++ {
		want := nnDot(G[n*dim:(n+1)*dim], v)
		if math.Abs(s[n]-want) > 1e-12*(1+math.Abs(want)) {
			t.Errorf("relu s[%d] = %g, g·v = %g", n, s[n], want)
		}
	}
	out := make([]float64, 5*dim)
	e := []float64{1, 1, 1, 1, 1}
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"Directional q", func() { ev.Directional(nil, s, s, w, v, 0, 5) }},
		{"Accumulate e", func() { ev.Accumulate(w[:dim:dim], nil, e, w, v, 0, 5) }},
		{"HessVecs", func() { ev.HessVecs(out, w, v, 0, 5) }},
		{"ThirdVecs", func() { ev.ThirdVecs(out, w, v, 0, 5) }},
	} {
		msg := nnPanicMessage(tc.f)
		if !strings.HasPrefix(msg, "models: ") || !strings.Contains(msg, "RequireOrder") || !strings.Contains(msg, "relu") {
			t.Errorf("%s on relu: panic %q, want a models: message naming relu and RequireOrder", tc.name, msg)
		}
	}
}

// nnPanicMessage runs f and returns its panic value as a string ("" if none).
func nnPanicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg, _ = r.(string)
			if msg == "" {
				msg = "non-string panic"
			}
		}
	}()
	f()
	return ""
}

// TestNetworkMisusePanics checks the programmer-error panics.
func TestNetworkMisusePanics(t *testing.T) {
	d := nnTestData(9, 6, 3, 2, false)
	m, err := NewTwoLayer(d, 4, Tanh, Squared)
	if err != nil {
		t.Fatal(err)
	}
	dim := m.Dim()
	w := make([]float64, dim)
	ev := m.NewEvaluator(3)
	buf := make([]float64, 4)
	for _, tc := range []struct {
		name, want string
		f          func()
	}{
		{"chunk too large", "exceeds the evaluator's maxChunk 3", func() { ev.Losses(buf, w, 0, 4) }},
		{"chunk out of range", "outside [0, 6)", func() { ev.Losses(buf[:2], w, 5, 7) }},
		{"short w", "len(w) = 3", func() { ev.Losses(buf[:2], w[:3], 0, 2) }},
		{"short loss", "len(loss) = 4, want 2", func() { ev.Losses(buf, w, 0, 2) }},
		{"short v", "len(v)", func() { ev.Directional(nil, buf[:2], nil, w, w[:1], 0, 2) }},
		{"short dst", "len(dst)", func() { ev.Accumulate(buf, buf[:2], nil, w, nil, 0, 2) }},
		{"short rows", "len(dst)", func() { ev.Grads(buf, w, 0, 2) }},
		{"bad maxChunk", "maxChunk must be at least 1", func() { m.NewEvaluator(0) }},
	} {
		if msg := nnPanicMessage(tc.f); !strings.HasPrefix(msg, "models: ") || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: panic %q, want %q", tc.name, msg, tc.want)
		}
	}
}

// TestNetworkNoAllocs checks that steady-state calls allocate nothing at
// widths large enough that an unsplit gonum Dgemm would go parallel (and
// allocate): n = 70, h = 200, chunk 150.
func TestNetworkNoAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation test skipped under -short")
	}
	const N, n, h, o, B = 300, 70, 200, 3, 150
	d := nnTestData(11, N, n, o, true)
	m, err := NewTwoLayer(d, h, Tanh, CrossEntropy)
	if err != nil {
		t.Fatal(err)
	}
	dim := m.Dim()
	w, v := nnTestVec(1, dim, 0.1), nnTestVec(2, dim, 1)
	c, e := nnTestVec(3, B, 1), nnTestVec(4, B, 1)
	l, s, q := make([]float64, B), make([]float64, B), make([]float64, B)
	acc := make([]float64, dim)
	rows := make([]float64, B*dim)
	ev := m.NewEvaluator(B)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"Losses", func() { ev.Losses(l, w, B, 2*B) }},
		{"Directional", func() { ev.Directional(l, s, q, w, v, B, 2*B) }},
		{"Accumulate", func() { ev.Accumulate(acc, c, e, w, v, B, 2*B) }},
		{"Grads", func() { ev.Grads(rows, w, 0, B) }},
		{"HessVecs", func() { ev.HessVecs(rows, w, v, 0, B) }},
		{"ThirdVecs", func() { ev.ThirdVecs(rows, w, v, 0, B) }},
	} {
		if a := testing.AllocsPerRun(3, tc.f); a != 0 {
			t.Errorf("%s: %v allocations per call, want 0", tc.name, a)
		}
	}
}

// TestNNGemm checks the panelled GEMM against a naive triple loop for all
// transpositions at sizes that need several panels, with α, β ∉ {0, 1}.
func TestNNGemm(t *testing.T) {
	const m, n, k = 150, 200, 70
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		tA, tB := tr[0], tr[1]
		a, b := nnTestVec(1, m*k, 1), nnTestVec(2, k*n, 1)
		c := nnTestVec(3, m*n, 1)
		want := make([]float64, m*n)
		at := func(i, l int) float64 {
			if tA {
				return a[l*m+i]
			}
			return a[i*k+l]
		}
		bt := func(l, j int) float64 {
			if tB {
				return b[j*k+l]
			}
			return b[l*n+j]
		}
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for l := 0; l < k; l++ {
					s += at(i, l) * bt(l, j)
				}
				want[i*n+j] = 1.5*s - 0.5*c[i*n+j]
			}
		}
		lda, ldb := k, n
		if tA {
			lda = m
		}
		if tB {
			ldb = k
		}
		var ws nnGemmWork
		nnGemm(&ws, tA, tB, m, n, k, 1.5, a, lda, b, ldb, -0.5, c, n)
		nnAssertClose(t, "nnGemm", c, want, 1e-13)
	}
}

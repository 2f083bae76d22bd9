package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
)

// nnTestData returns a seeded random data set: standard normal inputs and
// either standard normal regression targets or random class labels with
// one-hot Y rows.
func nnTestData(seed uint64, nSamples, in, out int, classes bool) *Data {
	rng := rand.New(rand.NewPCG(seed, 17))
	d := &Data{N: nSamples, In: in, Out: out, X: make([]float64, nSamples*in), Y: make([]float64, nSamples*out)}
	for i := range d.X {
		d.X[i] = rng.NormFloat64()
	}
	if !classes {
		for i := range d.Y {
			d.Y[i] = rng.NormFloat64()
		}
		return d
	}
	d.Labels = make([]int, nSamples)
	for n := range d.Labels {
		k := rng.IntN(out)
		d.Labels[n] = k
		d.Y[n*out+k] = 1
	}
	return d
}

// nnTestVec returns a seeded normal vector of length n scaled by sd.
func nnTestVec(seed uint64, n int, sd float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 99))
	v := make([]float64, n)
	for i := range v {
		v[i] = sd * rng.NormFloat64()
	}
	return v
}

// nnRefLoss is an independent, deliberately naive per-sample loss written
// straight from DESIGN §3: one sample at a time, scalar loops, activations
// and losses from their textbook definitions.
func nnRefLoss(d *Data, widths []int, act Activation, loss Loss, w []float64, n int) float64 {
	a := append([]float64(nil), d.X[n*d.In:(n+1)*d.In]...)
	off := 0
	L := len(widths) - 1
	for l := 1; l <= L; l++ {
		nin, nout := widths[l-1], widths[l]
		W := w[off : off+nout*nin]
		b := w[off+nout*nin : off+nout*nin+nout]
		off += nout*nin + nout
		z := make([]float64, nout)
		for j := 0; j < nout; j++ {
			s := b[j]
			for k := 0; k < nin; k++ {
				s += W[j*nin+k] * a[k]
			}
			if l < L {
				switch act {
				case Tanh:
					s = math.Tanh(s)
				case Sigmoid:
					s = 1 / (1 + math.Exp(-s))
				case Softplus:
					s = math.Log(1 + math.Exp(s))
				case Relu:
					s = math.Max(s, 0)
				}
			}
			z[j] = s
		}
		a = z
	}
	if off != len(w) {
		panic(fmt.Sprintf("nnRefLoss: layout uses %d weights, len(w) = %d", off, len(w)))
	}
	switch loss {
	case Squared:
		var f float64
		for j, y := range a {
			r := y - d.Y[n*d.Out+j]
			f += r * r / 2
		}
		return f
	default:
		var z float64
		for _, y := range a {
			z += math.Exp(y)
		}
		return -math.Log(math.Exp(a[d.Labels[n]]) / z)
	}
}

// nnMaxAbs returns max |x_i|.
func nnMaxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// nnAssertClose fails unless |got_i − want_i| ≤ tol·max(1, ‖want‖_∞) for
// every i.
func nnAssertClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", what, len(got), len(want))
	}
	scale := math.Max(1, nnMaxAbs(want))
	worst, at := 0.0, -1
	for i := range got {
		if e := math.Abs(got[i] - want[i]); !(e <= worst) {
			worst, at = e, i
		}
	}
	if at >= 0 && !(worst <= tol*scale) {
		t.Errorf("%s: max error %.3g at %d (got %.15g, want %.15g), tolerance %.3g·%.3g", what, worst, at, got[at], want[at], tol, scale)
	}
}

// nnCase is a network under test.
type nnCase struct {
	name   string
	model  Model
	data   *Data
	widths []int
	act    Activation
	loss   Loss
}

func nnCases(t *testing.T, acts []Activation) []nnCase {
	t.Helper()
	var cases []nnCase
	for _, act := range acts {
		for _, loss := range []Loss{Squared, CrossEntropy} {
			d := nnTestData(uint64(10*int(act)+int(loss)+1), 7, 3, 3, loss == CrossEntropy)
			tl, err := NewTwoLayer(d, 4, act, loss)
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, nnCase{tl.Name(), tl, d, []int{3, 4, 3}, act, loss})
			for _, widths := range [][]int{{3, 3}, {3, 4, 5, 3}, {3, 5, 4, 2, 3}} {
				m, err := NewMLP(d, widths, act, loss)
				if err != nil {
					t.Fatal(err)
				}
				cases = append(cases, nnCase{m.Name(), m, d, widths, act, loss})
			}
		}
	}
	return cases
}

// nnRows evaluates a row operation over the whole data set in chunks of
// size chunk (the last one partial).
func nnRows(m Model, chunk int, op func(ev Evaluator, dst []float64, lo, hi int)) []float64 {
	ev := m.NewEvaluator(chunk)
	N, d := m.Len(), m.Dim()
	out := make([]float64, N*d)
	for lo := 0; lo < N; lo += chunk {
		hi := min(lo+chunk, N)
		op(ev, out[lo*d:hi*d], lo, hi)
	}
	return out
}

// TestNetworkFiniteDifferences checks every Evaluator operation of smooth
// two-layer and 3- and 4-layer networks against finite differences of the
// independent reference loss (first and second order) or of the analytic
// lower-order operation (Hessian-vector and third-order products).
//
// Tolerances: central differences have truncation O(h²·f”') and rounding
// O(ε/h); with h = 1e-5 (first derivative) both are ≲ 1e-9 relative, so
// 1e-7 leaves margin. The second difference for q (h = 1e-4) has rounding
// O(ε/h²) ≈ 1e-8, hence 1e-5. Identities between analytic operations
// (s = g·v, q = v·Hv, Accumulate = Σ c g + e Hv) hold to rounding: 1e-12.
func TestNetworkFiniteDifferences(t *testing.T) {
	const chunk = 3
	for _, tc := range nnCases(t, []Activation{Tanh, Sigmoid, Softplus}) {
		t.Run(tc.name, func(t *testing.T) {
			m, d := tc.model, tc.data
			N, dim := m.Len(), m.Dim()
			if m.MaxOrder() != 3 {
				t.Fatalf("MaxOrder = %d, want 3", m.MaxOrder())
			}
			w := nnTestVec(1, dim, 0.6)
			v := nnTestVec(2, dim, 1)
			u := nnTestVec(3, dim, 1)
			ref := func(w []float64, n int) float64 { return nnRefLoss(d, tc.widths, tc.act, tc.loss, w, n) }
			ev := m.NewEvaluator(chunk)

			// Losses against the reference.
			loss := make([]float64, N)
			want := make([]float64, N)
			for lo := 0; lo < N; lo += chunk {
				hi := min(lo+chunk, N)
				ev.Losses(loss[lo:hi], w, lo, hi)
			}
			for n := range want {
				want[n] = ref(w, n)
			}
			nnAssertClose(t, "Losses", loss, want, 1e-13)

			// Grads against fd.Gradient of the reference loss.
			G := nnRows(m, chunk, func(ev Evaluator, dst []float64, lo, hi int) { ev.Grads(dst, w, lo, hi) })
			for n := 0; n < N; n++ {
				gfd := fd.Gradient(nil, func(x []float64) float64 { return ref(x, n) }, w, &fd.Settings{Formula: fd.Central, Step: 1e-5})
				nnAssertClose(t, fmt.Sprintf("Grads row %d", n), G[n*dim:(n+1)*dim], gfd, 1e-7)
			}

			// HessVecs against the central difference of Grads along v.
			Hv := nnRows(m, chunk, func(ev Evaluator, dst []float64, lo, hi int) { ev.HessVecs(dst, w, v, lo, hi) })
			nnAssertClose(t, "HessVecs vs FD of Grads", Hv, nnCentral(m, chunk, w, v, 1e-5, func(ev Evaluator, dst, x []float64, lo, hi int) {
				ev.Grads(dst, x, lo, hi)
			}), 1e-7)

			// ThirdVecs against the central difference of HessVecs(·, u) along u.
			Tu := nnRows(m, chunk, func(ev Evaluator, dst []float64, lo, hi int) { ev.ThirdVecs(dst, w, u, lo, hi) })
			nnAssertClose(t, "ThirdVecs vs FD of HessVecs", Tu, nnCentral(m, chunk, w, u, 1e-5, func(ev Evaluator, dst, x []float64, lo, hi int) {
				ev.HessVecs(dst, x, u, lo, hi)
			}), 1e-7)

			// Directional against g·v, v·Hv and finite differences of the reference.
			s := make([]float64, N)
			q := make([]float64, N)
			l2 := make([]float64, N)
			s1 := make([]float64, N)
			q1 := make([]float64, N)
			for lo := 0; lo < N; lo += chunk {
				hi := min(lo+chunk, N)
				ev.Directional(l2[lo:hi], s[lo:hi], q[lo:hi], w, v, lo, hi)
				ev.Directional(nil, s1[lo:hi], nil, w, v, lo, hi)
				ev.Directional(nil, nil, q1[lo:hi], w, v, lo, hi)
			}
			nnAssertClose(t, "Directional loss", l2, loss, 1e-14)
			nnAssertClose(t, "Directional s alone", s1, s, 1e-14)
			nnAssertClose(t, "Directional q alone", q1, q, 1e-14)
			gv := make([]float64, N)
			vHv := make([]float64, N)
			sfd := make([]float64, N)
			qfd := make([]float64, N)
			x := make([]float64, dim)
			for n := 0; n < N; n++ {
				gv[n] = nnDot(G[n*dim:(n+1)*dim], v)
				vHv[n] = nnDot(Hv[n*dim:(n+1)*dim], v)
				line := func(h float64) float64 {
					for i := range x {
						x[i] = w[i] + h*v[i]
					}
					return ref(x, n)
				}
				sfd[n] = fd.Derivative(line, 0, &fd.Settings{Formula: fd.Central, Step: 1e-5})
				qfd[n] = fd.Derivative(line, 0, &fd.Settings{Formula: fd.Central2nd, Step: 1e-4})
			}
			nnAssertClose(t, "s vs g·v", s, gv, 1e-12)
			nnAssertClose(t, "q vs v·Hv", q, vHv, 1e-12)
			nnAssertClose(t, "s vs FD", s, sfd, 1e-7)
			nnAssertClose(t, "q vs FD", q, qfd, 1e-5)

			// Accumulate in all three forms against the rows.
			c := nnTestVec(4, N, 1)
			e := nnTestVec(5, N, 1)
			for _, form := range []struct {
				name string
				c, e []float64
			}{{"c and e", c, e}, {"c only", c, nil}, {"e only", nil, e}} {
				got := nnTestVec(6, dim, 1) // Accumulate adds into dst
				want := append([]float64(nil), got...)
				for n := 0; n < N; n++ {
					for i := range want {
						if form.c != nil {
							want[i] += form.c[n] * G[n*dim+i]
						}
						if form.e != nil {
							want[i] += form.e[n] * Hv[n*dim+i]
						}
					}
				}
				var vv []float64
				if form.e != nil {
					vv = v
				}
				for lo := 0; lo < N; lo += chunk {
					hi := min(lo+chunk, N)
					var cc, ee []float64
					if form.c != nil {
						cc = form.c[lo:hi]
					}
					if form.e != nil {
						ee = form.e[lo:hi]
					}
					ev.Accumulate(got, cc, ee, w, vv, lo, hi)
				}
				nnAssertClose(t, "Accumulate "+form.name, got, want, 1e-12)
			}
		})
	}
}

// nnCentral returns the central difference (F(w+hv) − F(w−hv))/(2h) of a
// row operation F over all samples.
func nnCentral(m Model, chunk int, w, v []float64, h float64, op func(ev Evaluator, dst, x []float64, lo, hi int)) []float64 {
	xp := make([]float64, len(w))
	xm := make([]float64, len(w))
	for i := range w {
		xp[i] = w[i] + h*v[i]
		xm[i] = w[i] - h*v[i]
	}
	fp := nnRows(m, chunk, func(ev Evaluator, dst []float64, lo, hi int) { op(ev, dst, xp, lo, hi) })
	fm := nnRows(m, chunk, func(ev Evaluator, dst []float64, lo, hi int) { op(ev, dst, xm, lo, hi) })
	for i := range fp {
		fp[i] = (fp[i] - fm[i]) / (2 * h)
	}
	return fp
}

func nnDot(a, b []float64) float64 {
	var s float64
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

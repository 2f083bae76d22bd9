package engine

import (
	"fmt"
	"math/rand/v2"

	"github.com/grd-engine/grd/models"
)

// toy is a test model with known derivatives of every order:
//
//	f_n(w) = ½ wᵀA_n w + b_nᵀw + (γ_n/6)(a_n·w)³
//	g_n    = A_n w + b_n + (γ_n/2)(a_n·w)² a_n
//	H_n    = A_n + γ_n (a_n·w) a_n a_nᵀ
//	∇³f_n[u,u] = γ_n (a_n·u)² a_n
//
// A_n is symmetric (not necessarily definite; the engine does not care).
type toy struct {
	n, d  int
	A     [][]float64 // d×d row-major per sample
	b, a  [][]float64
	gamma []float64
}

// newToy returns a seeded toy model. With same = true every sample is
// identical, so all g_n are equal and D = 0.
func newToy(n, d int, seed uint64, same bool) *toy {
	rng := rand.New(rand.NewPCG(seed, 7))
	t := &toy{n: n, d: d}
	for i := 0; i < n; i++ {
		if same && i > 0 {
			t.A = append(t.A, t.A[0])
			t.b = append(t.b, t.b[0])
			t.a = append(t.a, t.a[0])
			t.gamma = append(t.gamma, t.gamma[0])
			continue
		}
		A := make([]float64, d*d)
		for r := 0; r < d; r++ {
			for c := r; c < d; c++ {
				v := rng.NormFloat64() / float64(d)
				if r == c {
					v += 1
				}
				A[r*d+c], A[c*d+r] = v, v
			}
		}
		b := make([]float64, d)
		a := make([]float64, d)
		for k := range b {
			b[k] = rng.NormFloat64()
			a[k] = rng.NormFloat64() / float64(d)
		}
		t.A = append(t.A, A)
		t.b = append(t.b, b)
		t.a = append(t.a, a)
		t.gamma = append(t.gamma, 0.5+rng.Float64())
	}
	return t
}

func (t *toy) Name() string  { return fmt.Sprintf("toy(N=%d, d=%d)", t.n, t.d) }
func (t *toy) Dim() int      { return t.d }
func (t *toy) Len() int      { return t.n }
func (t *toy) MaxOrder() int { return 3 }
func (t *toy) NewEvaluator(maxChunk int) models.Evaluator {
	return &toyEval{t: t, max: maxChunk, g: make([]float64, t.d), hv: make([]float64, t.d)}
}

type toyEval struct {
	t     *toy
	max   int
	g, hv []float64
}

func dotv(x, y []float64) float64 {
	var s float64
	for i := range x {
		s += x[i] * y[i]
	}
	return s
}

func (e *toyEval) check(lo, hi int) {
	if lo < 0 || hi > e.t.n || hi-lo > e.max || lo > hi {
		panic(fmt.Sprintf("toy: bad chunk [%d,%d) (max %d)", lo, hi, e.max))
	}
}

func (e *toyEval) loss(n int, w []float64) float64 {
	t, d := e.t, e.t.d
	var q float64
	for i := 0; i < d; i++ {
		q += w[i] * dotv(t.A[n][i*d:(i+1)*d], w)
	}
	z := dotv(t.a[n], w)
	return 0.5*q + dotv(t.b[n], w) + t.gamma[n]/6*z*z*z
}

func (e *toyEval) grad(dst []float64, n int, w []float64) {
	t, d := e.t, e.t.d
	z := dotv(t.a[n], w)
	for i := 0; i < d; i++ {
		dst[i] = dotv(t.A[n][i*d:(i+1)*d], w) + t.b[n][i] + t.gamma[n]/2*z*z*t.a[n][i]
	}
}

func (e *toyEval) hessVec(dst []float64, n int, w, v []float64) {
	t, d := e.t, e.t.d
	z, av := dotv(t.a[n], w), dotv(t.a[n], v)
	for i := 0; i < d; i++ {
		dst[i] = dotv(t.A[n][i*d:(i+1)*d], v) + t.gamma[n]*z*av*t.a[n][i]
	}
}

func (e *toyEval) Losses(loss, w []float64, lo, hi int) {
	e.check(lo, hi)
	for n := lo; n < hi; n++ {
		loss[n-lo] = e.loss(n, w)
	}
}

func (e *toyEval) Directional(loss, s, q []float64, w, v []float64, lo, hi int) {
	e.check(lo, hi)
	for n := lo; n < hi; n++ {
		if loss != nil {
			loss[n-lo] = e.loss(n, w)
		}
		if s != nil {
			e.grad(e.g, n, w)
			s[n-lo] = dotv(e.g, v)
		}
		if q != nil {
			e.hessVec(e.hv, n, w, v)
			q[n-lo] = dotv(e.hv, v)
		}
	}
}

func (e *toyEval) Accumulate(dst []float64, c, ew []float64, w, v []float64, lo, hi int) {
	e.check(lo, hi)
	for n := lo; n < hi; n++ {
		if c != nil {
			e.grad(e.g, n, w)
			for i, x := range e.g {
				dst[i] += c[n-lo] * x
			}
		}
		if ew != nil {
			e.hessVec(e.hv, n, w, v)
			for i, x := range e.hv {
				dst[i] += ew[n-lo] * x
			}
		}
	}
}

func (e *toyEval) Grads(dst []float64, w []float64, lo, hi int) {
	e.check(lo, hi)
	d := e.t.d
	for n := lo; n < hi; n++ {
		e.grad(dst[(n-lo)*d:(n-lo+1)*d], n, w)
	}
}

func (e *toyEval) HessVecs(dst []float64, w, v []float64, lo, hi int) {
	e.check(lo, hi)
	d := e.t.d
	for n := lo; n < hi; n++ {
		e.hessVec(dst[(n-lo)*d:(n-lo+1)*d], n, w, v)
	}
}

func (e *toyEval) ThirdVecs(dst []float64, _, u []float64, lo, hi int) {
	e.check(lo, hi)
	t, d := e.t, e.t.d
	for n := lo; n < hi; n++ {
		au := dotv(t.a[n], u)
		for i := 0; i < d; i++ {
			dst[(n-lo)*d+i] = t.gamma[n] * au * au * t.a[n][i]
		}
	}
}

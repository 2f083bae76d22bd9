package models

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// QuadSample is one sample of a Quadratic model:
// f_n(w) = ½ (w − C)ᵀ A (w − C).
type QuadSample struct {
	A []float64 // d×d, row-major, symmetric
	C []float64 // the centre c_n, length d
}

// quadSymTol is the relative asymmetry NewQuadratic accepts:
// |A_ij − A_ji| ≤ quadSymTol · max_kl |A_kl|.
const quadSymTol = 1e-10

// Quadratic is the model f_n(w) = ½ (w − c_n)ᵀ A_n (w − c_n) with symmetric
// A_n (DESIGN §3 `quadratic`), so that
//
//	g_n = A_n (w − c_n),   H_n = A_n,   ∇³f_n = 0.
//
// A_n need not be definite. Every derivative is exact and MaxOrder is 3.
// Evaluating a sample costs O(d²).
type Quadratic struct {
	d, n int
	a    []float64 // n blocks of d×d
	c    []float64 // n×d
	name string
}

// NewQuadratic returns the quadratic model of samples, which are copied.
// Every sample must have a centre of the same length d ≥ 1, a d×d matrix A
// that is symmetric up to a relative 1e-10 of its largest entry (it is then
// symmetrised exactly), and finite entries.
func NewQuadratic(samples []QuadSample) (*Quadratic, error) {
	if len(samples) == 0 {
		return nil, errorf(ErrInvalid, "quadratic: no samples, need at least 1")
	}
	d := len(samples[0].C)
	if d == 0 {
		return nil, errorf(ErrInvalid, "quadratic: sample 0 has an empty centre c, need the dimension d ≥ 1")
	}
	n := len(samples)
	q := &Quadratic{d: d, n: n, a: make([]float64, n*d*d), c: make([]float64, n*d),
		name: fmt.Sprintf("quadratic(d=%d, N=%d)", d, n)}
	for s, smp := range samples {
		if len(smp.C) != d {
			return nil, errorf(ErrInvalid, "quadratic: sample %d: centre c has length %d, want d = %d (the length of sample 0's)", s, len(smp.C), d)
		}
		if len(smp.A) != d*d {
			return nil, errorf(ErrInvalid, "quadratic: sample %d: A has %d entries, want d×d = %d", s, len(smp.A), d*d)
		}
		var amax float64
		for i, x := range smp.A {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, errorf(ErrInvalid, "quadratic: sample %d: A[%d][%d] = %v, want a finite number", s, i/d, i%d, x)
			}
			amax = math.Max(amax, math.Abs(x))
		}
		for i, x := range smp.C {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, errorf(ErrInvalid, "quadratic: sample %d: c[%d] = %v, want a finite number", s, i, x)
			}
		}
		dst := q.a[s*d*d : (s+1)*d*d]
		for i := range d {
			for j := i; j < d; j++ {
				aij, aji := smp.A[i*d+j], smp.A[j*d+i]
				if math.Abs(aij-aji) > quadSymTol*amax {
					return nil, errorf(ErrInvalid, "quadratic: sample %d: A is not symmetric: A[%d][%d] = %v but A[%d][%d] = %v (want |A_ij − A_ji| ≤ %g·max|A|)",
						s, i, j, aij, j, i, aji, quadSymTol)
				}
				m := 0.5 * (aij + aji)
				dst[i*d+j], dst[j*d+i] = m, m
			}
		}
		copy(q.c[s*d:], smp.C)
	}
	return q, nil
}

// Name returns "quadratic(d=…, N=…)".
func (q *Quadratic) Name() string { return q.name }

// Dim returns d.
func (q *Quadratic) Dim() int { return q.d }

// Len returns the number of samples N.
func (q *Quadratic) Len() int { return q.n }

// MaxOrder returns 3.
func (q *Quadratic) MaxOrder() int { return 3 }

// Samples returns a copy of the model's samples (with the symmetrised A_n),
// e.g. to draw contours of the mean loss.
func (q *Quadratic) Samples() []QuadSample {
	d := q.d
	out := make([]QuadSample, q.n)
	for s := range out {
		out[s] = QuadSample{
			A: append([]float64(nil), q.a[s*d*d:(s+1)*d*d]...),
			C: append([]float64(nil), q.c[s*d:(s+1)*d]...),
		}
	}
	return out
}

// NewEvaluator returns an evaluator for chunks of at most maxChunk samples.
// It panics if maxChunk < 1.
func (q *Quadratic) NewEvaluator(maxChunk int) Evaluator {
	if maxChunk < 1 {
		panic(fmt.Sprintf("models: quadratic: NewEvaluator(%d), want maxChunk ≥ 1", maxChunk))
	}
	return &quadEval{q: q, maxChunk: maxChunk, r: make([]float64, q.d)}
}

// quadEval evaluates a Quadratic; r is scratch of length d.
type quadEval struct {
	q        *Quadratic
	maxChunk int
	r        []float64
}

func (e *quadEval) check(op string, w []float64, lo, hi int) {
	chkChunk("quadratic", op, e.q.n, e.q.d, e.maxChunk, w, lo, hi)
}

// mat returns A_n, d×d row-major.
func (e *quadEval) mat(n int) []float64 {
	d := e.q.d
	return e.q.a[n*d*d : (n+1)*d*d]
}

// diff sets e.r = w − c_n and returns it.
func (e *quadEval) diff(w []float64, n int) []float64 {
	d := e.q.d
	c := e.q.c[n*d : (n+1)*d]
	r := e.r
	for i := range r {
		r[i] = w[i] - c[i]
	}
	return r
}

// quadForm returns xᵀ A y for symmetric d×d A.
func quadForm(a, x, y []float64, d int) float64 {
	var s float64
	for i := range d {
		s += x[i] * floats.Dot(a[i*d:(i+1)*d], y)
	}
	return s
}

// matVec sets dst = A x.
func matVec(dst, a, x []float64, d int) {
	for i := range d {
		dst[i] = floats.Dot(a[i*d:(i+1)*d], x)
	}
}

func (e *quadEval) Losses(loss, w []float64, lo, hi int) {
	e.check("Losses", w, lo, hi)
	chkLen("quadratic", "Losses", "loss", loss, hi-lo, false)
	d := e.q.d
	for n := lo; n < hi; n++ {
		r := e.diff(w, n)
		loss[n-lo] = 0.5 * quadForm(e.mat(n), r, r, d)
	}
}

func (e *quadEval) Directional(loss, s, q []float64, w, v []float64, lo, hi int) {
	e.check("Directional", w, lo, hi)
	k := hi - lo
	chkLen("quadratic", "Directional", "loss", loss, k, true)
	chkLen("quadratic", "Directional", "s", s, k, true)
	chkLen("quadratic", "Directional", "q", q, k, true)
	if s != nil || q != nil {
		chkLen("quadratic", "Directional", "v", v, e.q.d, false)
	}
	d := e.q.d
	for n := lo; n < hi; n++ {
		a := e.mat(n)
		if loss != nil || s != nil {
			r := e.diff(w, n)
			// g·v = vᵀA r and f = ½ rᵀA r share the rows of A.
			var f, sv float64
			for i := range d {
				ar := floats.Dot(a[i*d:(i+1)*d], r)
				f += r[i] * ar
				sv += v[i] * ar
			}
			if loss != nil {
				loss[n-lo] = 0.5 * f
			}
			if s != nil {
				s[n-lo] = sv
			}
		}
		if q != nil {
			q[n-lo] = quadForm(a, v, v, d)
		}
	}
}

func (e *quadEval) Accumulate(dst []float64, c, ew []float64, w, v []float64, lo, hi int) {
	e.check("Accumulate", w, lo, hi)
	k := hi - lo
	d := e.q.d
	chkLen("quadratic", "Accumulate", "dst", dst, d, false)
	chkLen("quadratic", "Accumulate", "c", c, k, true)
	chkLen("quadratic", "Accumulate", "e", ew, k, true)
	if ew != nil {
		chkLen("quadratic", "Accumulate", "v", v, d, false)
	}
	for n := lo; n < hi; n++ {
		// c g_n + e H_n v = A_n y with y = c (w − c_n) + e v; since A_n is
		// symmetric, A_n y = Σ_j y_j (row j of A_n).
		y := e.r
		cn := e.q.c[n*d : (n+1)*d]
		var ci, ei float64
		if c != nil {
			ci = c[n-lo]
		}
		if ew != nil {
			ei = ew[n-lo]
		}
		for j := range y {
			y[j] = ci * (w[j] - cn[j])
			if ew != nil {
				y[j] += ei * v[j]
			}
		}
		a := e.mat(n)
		for j, yj := range y {
			if yj != 0 {
				floats.AddScaled(dst, yj, a[j*d:(j+1)*d])
			}
		}
	}
}

func (e *quadEval) Grads(dst []float64, w []float64, lo, hi int) {
	e.check("Grads", w, lo, hi)
	d := e.q.d
	chkLen("quadratic", "Grads", "dst", dst, (hi-lo)*d, false)
	for n := lo; n < hi; n++ {
		matVec(dst[(n-lo)*d:(n-lo+1)*d], e.mat(n), e.diff(w, n), d)
	}
}

func (e *quadEval) HessVecs(dst []float64, w, v []float64, lo, hi int) {
	e.check("HessVecs", w, lo, hi)
	d := e.q.d
	chkLen("quadratic", "HessVecs", "dst", dst, (hi-lo)*d, false)
	chkLen("quadratic", "HessVecs", "v", v, d, false)
	for n := lo; n < hi; n++ {
		matVec(dst[(n-lo)*d:(n-lo+1)*d], e.mat(n), v, d)
	}
}

// ThirdVecs sets every row to zero: the third derivatives of a quadratic
// vanish.
func (e *quadEval) ThirdVecs(dst []float64, w, u []float64, lo, hi int) {
	e.check("ThirdVecs", w, lo, hi)
	d := e.q.d
	chkLen("quadratic", "ThirdVecs", "dst", dst, (hi-lo)*d, false)
	chkLen("quadratic", "ThirdVecs", "u", u, d, false)
	clear(dst)
}

// GenerateQuadratics returns count random quadratic samples in dimension
// dim, deterministic for a given state of src. Each A_n = Q_n Λ Q_nᵀ is
// symmetric positive definite with
//
//	Λ = diag(λ_1, …, λ_dim),  λ_i = condition^(−(i−1)/(dim−1)),
//
// eigenvalues log-spaced in [1/condition, 1] (largest 1, smallest
// 1/condition, so the condition number of every A_n is condition; for dim = 1,
// A_n = [1]), and Q_n a Haar-random orthogonal matrix (the Q factor of a
// d×d standard normal matrix, with the signs of R's diagonal moved into Q).
// The centre c_n has independent standard normal entries. Samples are drawn
// in order, each from dim² normals for Q_n and then dim normals for c_n.
//
// It panics if dim < 1, count < 1 or condition is not a finite number ≥ 1.
func GenerateQuadratics(dim, count int, condition float64, src rand.Source) []QuadSample {
	if dim < 1 || count < 1 {
		panic(fmt.Sprintf("models: GenerateQuadratics: dim = %d, count = %d, want both ≥ 1", dim, count))
	}
	if !(condition >= 1) || math.IsInf(condition, 0) {
		panic(fmt.Sprintf("models: GenerateQuadratics: condition = %v, want a finite number ≥ 1", condition))
	}
	rng := rand.New(src)
	lambda := make([]float64, dim)
	for i := range lambda {
		if dim == 1 {
			lambda[i] = 1
		} else {
			lambda[i] = math.Pow(condition, -float64(i)/float64(dim-1))
		}
	}
	g := mat.NewDense(dim, dim, nil)
	var qr mat.QR
	var qm, rm mat.Dense
	out := make([]QuadSample, count)
	for s := range out {
		for i := range dim {
			for j := range dim {
				g.Set(i, j, rng.NormFloat64())
			}
		}
		qr.Factorize(g)
		qr.QTo(&qm)
		qr.RTo(&rm)
		for j := range dim {
			if rm.At(j, j) < 0 {
				for i := range dim {
					qm.Set(i, j, -qm.At(i, j))
				}
			}
		}
		a := make([]float64, dim*dim)
		for i := range dim {
			for j := i; j < dim; j++ {
				var x float64
				for k := range dim {
					x += qm.At(i, k) * lambda[k] * qm.At(j, k)
				}
				a[i*dim+j], a[j*dim+i] = x, x
			}
		}
		c := make([]float64, dim)
		for i := range c {
			c[i] = rng.NormFloat64()
		}
		out[s] = QuadSample{A: a, C: c}
	}
	return out
}

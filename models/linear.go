package models

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// LinearRegression is least squares on a linear predictor (DESIGN §3
// `linear-regression`):
//
//	ŷ = w·x (+ b),   f_n = ½ (ŷ − y_n)²,
//
// with the bias b, when present, the last weight. With x̃ = (x, 1) (or x
// without bias) and r = ŷ − y:
//
//	g_n = r x̃,   H_n = x̃ x̃ᵀ,   ∇³f_n = 0.
//
// MaxOrder is 3.
type LinearRegression struct{ glm }

// NewLinearRegression returns the linear-regression model of data, which
// must have one target column (Out = 1) and finite values. The data are
// copied. With bias the model has d = In + 1 weights, the bias last.
func NewLinearRegression(d *Data, bias bool) (*LinearRegression, error) {
	g, err := newGLM(glmLinear, "linear-regression", d, bias)
	if err != nil {
		return nil, err
	}
	return &LinearRegression{g}, nil
}

// glmKind selects the scalar link of a glm.
type glmKind int

const (
	glmLinear   glmKind = iota // φ(s, y) = ½ (s − y)²
	glmLogistic                // φ(s, y) = softplus(s) − y s
)

// glm is a per-sample loss f_n(w) = φ(w·x̃_n, y_n) of a linear predictor,
// the common core of LinearRegression and Logistic. Its derivatives are
//
//	g_n = φ' x̃,  H_n v = φ'' (x̃·v) x̃,  ∇³f_n[u,u] = φ''' (x̃·u)² x̃,
//
// so every chunk evaluation is one or two matrix-vector products with the
// chunk of inputs (gonum BLAS) plus a scalar loop over its samples.
type glm struct {
	kind     glmKind
	kindName string
	n, in    int
	dim      int
	bias     bool
	x, y     []float64
	name     string
}

func newGLM(kind glmKind, kindName string, d *Data, bias bool) (glm, error) {
	if d == nil {
		return glm{}, errorf(ErrInvalid, "%s: no data", kindName)
	}
	if err := d.Validate(); err != nil {
		return glm{}, errorf(ErrInvalid, "%s: %w", kindName, err)
	}
	if d.Out != 1 {
		return glm{}, errorf(ErrInvalid, "%s: data has %d target columns, want exactly 1", kindName, d.Out)
	}
	for i, v := range d.X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return glm{}, errorf(ErrInvalid, "%s: sample %d: input %d is %v, want a finite number", kindName, i/d.In, i%d.In, v)
		}
	}
	for i, v := range d.Y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return glm{}, errorf(ErrInvalid, "%s: sample %d: target is %v, want a finite number", kindName, i, v)
		}
		if kind == glmLogistic && v != 0 && v != 1 {
			return glm{}, errorf(ErrInvalid, "%s: sample %d: target is %v, want 0 or 1", kindName, i, v)
		}
	}
	g := glm{kind: kind, kindName: kindName, n: d.N, in: d.In, dim: d.In, bias: bias,
		x: append([]float64(nil), d.X...), y: append([]float64(nil), d.Y...)}
	b := "no bias"
	if bias {
		g.dim++
		b = "bias"
	}
	g.name = fmt.Sprintf("%s(in=%d, %s, N=%d)", kindName, d.In, b, d.N)
	return g, nil
}

// Name returns e.g. "linear-regression(in=3, bias, N=100)".
func (g *glm) Name() string { return g.name }

// Dim returns d = In (+1 with a bias).
func (g *glm) Dim() int { return g.dim }

// Len returns the number of samples N.
func (g *glm) Len() int { return g.n }

// MaxOrder returns 3.
func (g *glm) MaxOrder() int { return 3 }

// Bias reports whether the last weight is a bias.
func (g *glm) Bias() bool { return g.bias }

// NewEvaluator returns an evaluator for chunks of at most maxChunk samples.
// It panics if maxChunk < 1.
func (g *glm) NewEvaluator(maxChunk int) Evaluator {
	if maxChunk < 1 {
		panic(fmt.Sprintf("models: %s: NewEvaluator(%d), want maxChunk ≥ 1", g.kindName, maxChunk))
	}
	return &glmEval{g: g, maxChunk: maxChunk,
		s: make([]float64, maxChunk), xv: make([]float64, maxChunk), a: make([]float64, maxChunk)}
}

// glmEval evaluates a glm. s, xv and a are per-sample scratch (maxChunk).
type glmEval struct {
	g        *glm
	maxChunk int
	s, xv, a []float64
}

func (e *glmEval) check(op string, w []float64, lo, hi int) {
	chkChunk(e.g.kindName, op, e.g.n, e.g.dim, e.maxChunk, w, lo, hi)
}

// chunkX returns the inputs of samples [lo, hi) as a BLAS matrix.
func (e *glmEval) chunkX(lo, hi int) blas64.General {
	in := e.g.in
	return blas64.General{Rows: hi - lo, Cols: in, Stride: in, Data: e.g.x[lo*in : hi*in]}
}

// predict sets dst[i] = x̃_{lo+i}·w for the chunk and returns dst[:hi−lo].
func (e *glmEval) predict(dst, w []float64, lo, hi int) []float64 {
	k := hi - lo
	dst = dst[:k]
	blas64.Gemv(blas.NoTrans, 1, e.chunkX(lo, hi), blas64.Vector{N: e.g.in, Inc: 1, Data: w[:e.g.in]},
		0, blas64.Vector{N: k, Inc: 1, Data: dst})
	if e.g.bias {
		b := w[e.g.in]
		for i := range dst {
			dst[i] += b
		}
	}
	return dst
}

// addXT adds Σ_i a[i] x̃_{lo+i} into dst (len d): dst[:In] += X_chunkᵀ a
// and the bias component += Σ a.
func (e *glmEval) addXT(dst, a []float64, lo, hi int) {
	in := e.g.in
	blas64.Gemv(blas.Trans, 1, e.chunkX(lo, hi), blas64.Vector{N: hi - lo, Inc: 1, Data: a},
		1, blas64.Vector{N: in, Inc: 1, Data: dst[:in]})
	if e.g.bias {
		var s float64
		for _, x := range a {
			s += x
		}
		dst[in] += s
	}
}

// rowsScaled sets row i of dst to a[i] x̃_{lo+i}.
func (e *glmEval) rowsScaled(dst, a []float64, lo, hi int) {
	in, d := e.g.in, e.g.dim
	for i := range hi - lo {
		x := e.g.x[(lo+i)*in : (lo+i+1)*in]
		row := dst[i*d : (i+1)*d]
		ai := a[i]
		for k, xk := range x {
			row[k] = ai * xk
		}
		if e.g.bias {
			row[in] = ai
		}
	}
}

// The logistic link φ(s, y) = softplus(s) − y s, y ∈ {0, 1}, and its
// derivatives are evaluated to a few ulps for every s from e = e^(−|s|)
// (which never overflows):
//
//	σ(|s|) = 1/(1+e),  σ(−|s|) = e/(1+e),  softplus(±|s|) = max(±|s|, 0) + log1p(e),
//	φ'' = σ(s)σ(−s) = e/(1+e)²,
//	φ''' = φ''(σ(−s) − σ(s)) = −sign(s) φ'' (1−e)/(1+e),
//
// with 1 − e = −expm1(−|s|) to keep its relative accuracy near s = 0. For
// y = 1 the identities softplus(s) − s = softplus(−s) and σ(s) − 1 = −σ(−s)
// avoid cancellation. Only the requested quantities are computed, so a
// gradient pass costs one exp per sample.

// derivs sets, for the chunk samples with predictions s, the loss (if
// loss ≠ nil) and the derivatives of φ up to order k into d1, d2, d3 (nil
// when not wanted; they may alias s).
func (e *glmEval) derivs(loss, d1, d2, d3, s []float64, lo int) {
	y := e.g.y[lo : lo+len(s)]
	switch e.g.kind {
	case glmLinear:
		for i, si := range s {
			r := si - y[i]
			if loss != nil {
				loss[i] = 0.5 * r * r
			}
			if d1 != nil {
				d1[i] = r
			}
			if d2 != nil {
				d2[i] = 1
			}
			if d3 != nil {
				d3[i] = 0
			}
		}
	case glmLogistic:
		for i, si := range s {
			as := math.Abs(si)
			e := math.Exp(-as)
			den := 1 + e
			sigPos := 1 / den    // σ(|s|)
			sigNeg := e * sigPos // σ(−|s|)
			// yPos: the target agrees with the sign of s (s ≥ 0 and y = 1, or
			// s < 0 and y = 0): then |φ'| = σ(−|s|) and φ = softplus(−|s|).
			yPos := (si >= 0) == (y[i] == 1)
			if loss != nil {
				f := math.Log1p(e)
				if !yPos {
					f += as
				}
				loss[i] = f
			}
			if d1 != nil {
				// φ' = σ(s) − y.
				g := sigNeg
				if !yPos {
					g = sigPos
				}
				if y[i] == 1 {
					g = -g
				}
				d1[i] = g
			}
			if d2 != nil || d3 != nil {
				h := sigPos * sigNeg
				if d3 != nil {
					t := h * math.Expm1(-as) / den // −φ''·(1−e)/(1+e)
					if si < 0 {
						t = -t
					}
					d3[i] = t
				}
				if d2 != nil {
					d2[i] = h
				}
			}
		}
	}
}

func (e *glmEval) Losses(loss, w []float64, lo, hi int) {
	e.check("Losses", w, lo, hi)
	chkLen(e.g.kindName, "Losses", "loss", loss, hi-lo, false)
	s := e.predict(e.s, w, lo, hi)
	e.derivs(loss, nil, nil, nil, s, lo)
}

func (e *glmEval) Directional(loss, s, q []float64, w, v []float64, lo, hi int) {
	e.check("Directional", w, lo, hi)
	k := hi - lo
	name := e.g.kindName
	chkLen(name, "Directional", "loss", loss, k, true)
	chkLen(name, "Directional", "s", s, k, true)
	chkLen(name, "Directional", "q", q, k, true)
	pred := e.predict(e.s, w, lo, hi)
	if s == nil && q == nil {
		e.derivs(loss, nil, nil, nil, pred, lo)
		return
	}
	chkLen(name, "Directional", "v", v, e.g.dim, false)
	xv := e.predict(e.xv, v, lo, hi)
	var d1, d2 []float64
	if s != nil {
		d1 = s
	}
	if q != nil {
		d2 = q
	}
	e.derivs(loss, d1, d2, nil, pred, lo)
	for i, t := range xv {
		if s != nil {
			s[i] *= t
		}
		if q != nil {
			q[i] *= t * t
		}
	}
}

func (e *glmEval) Accumulate(dst []float64, c, ew []float64, w, v []float64, lo, hi int) {
	e.check("Accumulate", w, lo, hi)
	k := hi - lo
	name := e.g.kindName
	chkLen(name, "Accumulate", "dst", dst, e.g.dim, false)
	chkLen(name, "Accumulate", "c", c, k, true)
	chkLen(name, "Accumulate", "e", ew, k, true)
	if c == nil && ew == nil {
		return
	}
	pred := e.predict(e.s, w, lo, hi)
	a := e.a[:k]
	// a_i = c_i φ'_i + e_i φ''_i (x̃_i·v); then dst += Σ a_i x̃_i.
	var d1, d2 []float64
	if c != nil {
		d1 = a
	}
	if ew != nil {
		chkLen(name, "Accumulate", "v", v, e.g.dim, false)
		xv := e.predict(e.xv, v, lo, hi)
		d2 = pred
		e.derivs(nil, d1, d2, nil, pred, lo) // pred now holds φ''
		for i := range a {
			h := ew[i] * pred[i] * xv[i]
			if c != nil {
				a[i] = c[i]*a[i] + h
			} else {
				a[i] = h
			}
		}
	} else {
		e.derivs(nil, d1, nil, nil, pred, lo)
		for i := range a {
			a[i] *= c[i]
		}
	}
	e.addXT(dst, a, lo, hi)
}

func (e *glmEval) Grads(dst []float64, w []float64, lo, hi int) {
	e.check("Grads", w, lo, hi)
	chkLen(e.g.kindName, "Grads", "dst", dst, (hi-lo)*e.g.dim, false)
	pred := e.predict(e.s, w, lo, hi)
	e.derivs(nil, pred, nil, nil, pred, lo)
	e.rowsScaled(dst, pred, lo, hi)
}

func (e *glmEval) HessVecs(dst []float64, w, v []float64, lo, hi int) {
	e.check("HessVecs", w, lo, hi)
	chkLen(e.g.kindName, "HessVecs", "dst", dst, (hi-lo)*e.g.dim, false)
	chkLen(e.g.kindName, "HessVecs", "v", v, e.g.dim, false)
	pred := e.predict(e.s, w, lo, hi)
	xv := e.predict(e.xv, v, lo, hi)
	e.derivs(nil, nil, pred, nil, pred, lo)
	for i := range xv {
		xv[i] *= pred[i]
	}
	e.rowsScaled(dst, xv, lo, hi)
}

func (e *glmEval) ThirdVecs(dst []float64, w, u []float64, lo, hi int) {
	e.check("ThirdVecs", w, lo, hi)
	chkLen(e.g.kindName, "ThirdVecs", "dst", dst, (hi-lo)*e.g.dim, false)
	chkLen(e.g.kindName, "ThirdVecs", "u", u, e.g.dim, false)
	pred := e.predict(e.s, w, lo, hi)
	xu := e.predict(e.xv, u, lo, hi)
	e.derivs(nil, nil, nil, pred, pred, lo)
	for i := range xu {
		xu[i] *= xu[i] * pred[i]
	}
	e.rowsScaled(dst, xu, lo, hi)
}

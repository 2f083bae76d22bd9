package modeltest_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/grd-engine/grd/models"
	"github.com/grd-engine/grd/models/modeltest"
)

// bug selects a defect injected into the test model.
type bug int

const (
	noBug           bug = iota
	gradScale           // g_n off by a relative 1e-4
	hessTerm            // H_n misses the −sin term
	thirdSign           // ∇³f_n has the wrong sign on its cos term
	accOverwrite        // Accumulate overwrites dst
	lossAdds            // Losses adds into loss
	ignoresLo           // Accumulate reads samples [0, hi−lo)
	allocates           // Directional allocates
	qWrong              // Directional's q uses a different curvature than HessVecs
	lossDirWrong        // Directional's loss differs from Losses
	rowsShifted         // Grads writes row i from sample lo+i+1 (clamped)
	firstOrderPanic     // MaxOrder 1; second- and third-order methods panic
	accLossesWrong      // AccumulateLosses' losses differ from Losses' in the last bit
)

var bugNames = map[bug]string{
	noBug: "none", gradScale: "gradient scale", hessTerm: "Hessian term", thirdSign: "third-derivative sign",
	accOverwrite: "Accumulate overwrites", lossAdds: "Losses adds", ignoresLo: "Accumulate ignores lo",
	allocates: "Directional allocates", qWrong: "q inconsistent", lossDirWrong: "Directional loss wrong",
	rowsShifted: "Grads rows shifted", firstOrderPanic: "first order only",
	accLossesWrong: "AccumulateLosses wrong",
}

// glm is f_n(w) = φ(x_n·w) − y_n x_n·w with φ(s) = s⁴/4 + sin s: a smooth
// model with non-zero derivatives of every order.
type glm struct {
	n, d int
	x, y []float64
	bug  bug
}

func newGLM(n, d int, seed uint64, b bug) *glm {
	r := rand.New(rand.NewPCG(seed, 7))
	m := &glm{n: n, d: d, x: make([]float64, n*d), y: make([]float64, n), bug: b}
	for i := range m.x {
		m.x[i] = r.NormFloat64() / math.Sqrt(float64(d))
	}
	for i := range m.y {
		m.y[i] = r.NormFloat64()
	}
	return m
}

func (m *glm) Name() string { return "glm(" + bugNames[m.bug] + ")" }
func (m *glm) Dim() int     { return m.d }
func (m *glm) Len() int     { return m.n }
func (m *glm) MaxOrder() int {
	if m.bug == firstOrderPanic {
		return 1
	}
	return 3
}
func (m *glm) NewEvaluator(maxChunk int) models.Evaluator {
	return &glmEval{m: m, s: make([]float64, maxChunk)}
}

type glmEval struct {
	m    *glm
	s    []float64
	junk []float64
}

func (e *glmEval) row(n int) []float64 { return e.m.x[n*e.m.d : (n+1)*e.m.d] }

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func (e *glmEval) phi(n int, s float64) (f, d1, d2, d3 float64) {
	y := e.m.y[n]
	f = s*s*s*s/4 + math.Sin(s) - y*s
	d1 = s*s*s + math.Cos(s) - y
	d2 = 3*s*s - math.Sin(s)
	d3 = 6*s - math.Cos(s)
	switch e.m.bug {
	case gradScale:
		d1 *= 1 + 1e-4
	case hessTerm:
		d2 = 3 * s * s
	case thirdSign:
		d3 = 6*s + math.Cos(s)
	}
	return
}

func (e *glmEval) Losses(loss, w []float64, lo, hi int) {
	for n := lo; n < hi; n++ {
		f, _, _, _ := e.phi(n, dot(e.row(n), w))
		if e.m.bug == lossAdds {
			loss[n-lo] += f
		} else {
			loss[n-lo] = f
		}
	}
}

func (e *glmEval) Directional(loss, s, q []float64, w, v []float64, lo, hi int) {
	if e.m.bug == allocates {
		e.junk = make([]float64, hi-lo+1)
	}
	if q != nil && e.m.bug == firstOrderPanic {
		panic("glm: no q")
	}
	for n := lo; n < hi; n++ {
		x := e.row(n)
		f, d1, d2, _ := e.phi(n, dot(x, w))
		xv := dot(x, v)
		if loss != nil {
			loss[n-lo] = f
			if e.m.bug == lossDirWrong {
				loss[n-lo] = f * (1 + 1e-8)
			}
		}
		if s != nil {
			s[n-lo] = d1 * xv
		}
		if q != nil {
			q[n-lo] = d2 * xv * xv
			if e.m.bug == qWrong {
				q[n-lo] += 1e-7 * xv * xv
			}
		}
	}
}

func (e *glmEval) Accumulate(dst []float64, c, ee []float64, w, v []float64, lo, hi int) {
	if ee != nil && e.m.bug == firstOrderPanic {
		panic("glm: no Hessian")
	}
	if e.m.bug == accOverwrite {
		clear(dst)
	}
	for n := lo; n < hi; n++ {
		src := n
		if e.m.bug == ignoresLo {
			src = n - lo
		}
		x := e.row(src)
		_, d1, d2, _ := e.phi(src, dot(x, w))
		var a float64
		if c != nil {
			a += c[n-lo] * d1
		}
		if ee != nil {
			a += ee[n-lo] * d2 * dot(x, v)
		}
		for k := range dst {
			dst[k] += a * x[k]
		}
	}
}

// AccumulateLosses implements models.LossAccumulator.
func (e *glmEval) AccumulateLosses(loss, dst, c, w []float64, lo, hi int) {
	e.Losses(loss, w, lo, hi)
	if c != nil {
		e.Accumulate(dst, c, nil, w, nil, lo, hi)
	}
	if e.m.bug == accLossesWrong && hi > lo {
		loss[0] = math.Nextafter(loss[0], math.Inf(1))
	}
}

func (e *glmEval) Grads(dst []float64, w []float64, lo, hi int) {
	d := e.m.d
	for n := lo; n < hi; n++ {
		src := n
		if e.m.bug == rowsShifted {
			src = min(n+1, hi-1)
		}
		x := e.row(src)
		_, d1, _, _ := e.phi(src, dot(x, w))
		for k := range d {
			dst[(n-lo)*d+k] = d1 * x[k]
		}
	}
}

func (e *glmEval) HessVecs(dst []float64, w, v []float64, lo, hi int) {
	if e.m.bug == firstOrderPanic {
		panic("glm: no Hessian")
	}
	d := e.m.d
	for n := lo; n < hi; n++ {
		x := e.row(n)
		_, _, d2, _ := e.phi(n, dot(x, w))
		a := d2 * dot(x, v)
		for k := range d {
			dst[(n-lo)*d+k] = a * x[k]
		}
	}
}

func (e *glmEval) ThirdVecs(dst []float64, w, u []float64, lo, hi int) {
	if e.m.bug == firstOrderPanic {
		panic("glm: no third derivatives")
	}
	d := e.m.d
	for n := lo; n < hi; n++ {
		x := e.row(n)
		_, _, _, d3 := e.phi(n, dot(x, w))
		xu := dot(x, u)
		for k := range d {
			dst[(n-lo)*d+k] = d3 * xu * xu * x[k]
		}
	}
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Helper()             {}
func (r *recorder) Logf(string, ...any) {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// run runs Check with a recorder and returns the reported errors.
func run(t *testing.T, m models.Model, w, v, u []float64, opts *modeltest.Options) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		modeltest.Check(r, m, w, v, u, opts)
	}()
	<-done
	return r.errors
}

func randVec(r *rand.Rand, d int, scale float64) []float64 {
	x := make([]float64, d)
	for i := range x {
		x[i] = scale * r.NormFloat64()
	}
	return x
}

// TestCheckCatchesBugs: a correct model passes; each injected defect is
// reported by the check that targets it.
func TestCheckCatchesBugs(t *testing.T) {
	const seed = 20261127
	t.Logf("seed %d", seed)
	tests := []struct {
		bug  bug
		want string // substring of the first expected error ("" = pass)
	}{
		{noBug, ""},
		{firstOrderPanic, ""},
		{gradScale, "Grads vs fd.Gradient"},
		{hessTerm, "HessVecs vs central difference"},
		{thirdSign, "ThirdVecs vs central difference"},
		{accOverwrite, "z + Accumulate"},
		{lossAdds, "Losses"},
		{ignoresLo, "Accumulate"},
		{allocates, "allocates"},
		{qWrong, "Directional q"},
		{lossDirWrong, "Directional loss"},
		{rowsShifted, "Grads"},
		{accLossesWrong, "AccumulateLosses"},
	}
	for _, tc := range tests {
		t.Run(bugNames[tc.bug], func(t *testing.T) {
			if tc.bug == allocates && testing.Short() {
				t.Skip("allocation checks are skipped under -short")
			}
			const n, d = 11, 5
			m := newGLM(n, d, seed, tc.bug)
			r := rand.New(rand.NewPCG(seed, 1))
			w, v, u := randVec(r, d, 1), randVec(r, d, 1), randVec(r, d, 1)
			errs := run(t, m, w, v, u, &modeltest.Options{MaxChunk: 8})
			if tc.want == "" {
				for _, e := range errs {
					t.Errorf("correct model reported: %s", e)
				}
				return
			}
			for _, e := range errs {
				if strings.Contains(e, tc.want) {
					return
				}
			}
			t.Errorf("bug %q: no error containing %q; got %d errors: %q", bugNames[tc.bug], tc.want, len(errs), errs)
		})
	}
}

// TestCheckLargeDim exercises the random-coordinate path (d > Coords) and a
// sample subset (N > Samples).
func TestCheckLargeDim(t *testing.T) {
	const seed = 99
	for _, b := range []bug{noBug, gradScale} {
		m := newGLM(40, 300, seed, b)
		r := rand.New(rand.NewPCG(seed, 2))
		w, v, u := randVec(r, 300, 0.5), randVec(r, 300, 1), randVec(r, 300, 1)
		errs := run(t, m, w, v, u, &modeltest.Options{Coords: 20, Samples: 4, Src: rand.NewPCG(seed, 3)})
		if (len(errs) == 0) != (b == noBug) {
			t.Errorf("bug %q: got errors %q", bugNames[b], errs)
		}
	}
}

func TestCompare(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		got, want []float64
		tol       modeltest.Tol
		worst     int
		close     bool
	}{
		{[]float64{1, 2}, []float64{1, 2}, modeltest.Tol{}, 0, true},
		{[]float64{1, 2 + 1e-9}, []float64{1, 2}, modeltest.Tol{Rel: 1e-9}, 1, true},
		{[]float64{1, 2 + 1e-8}, []float64{1, 2}, modeltest.Tol{Rel: 1e-9}, 1, false},
		{[]float64{1e-12, 0}, []float64{0, 0}, modeltest.Tol{Abs: 1e-11}, 0, true},
		{[]float64{1e-12, 0}, []float64{0, 0}, modeltest.Tol{Rel: 1}, 0, true},
		{[]float64{1e-12, 0}, []float64{0, 0}, modeltest.Tol{Rel: 0.5}, 0, false},
		{[]float64{0, nan}, []float64{0, nan}, modeltest.Tol{Abs: 1}, 1, false},
		{[]float64{math.Inf(1)}, []float64{math.Inf(1)}, modeltest.Tol{}, 0, true},
		{[]float64{}, []float64{}, modeltest.Tol{}, -1, true},
	}
	for i, tc := range tests {
		worst, ratio := modeltest.Compare(tc.got, tc.want, tc.tol)
		if worst != tc.worst || (ratio <= 1) != tc.close || modeltest.Close(tc.got, tc.want, tc.tol) != tc.close {
			t.Errorf("case %d: Compare = (%d, %g), want worst %d, close %v", i, worst, ratio, tc.worst, tc.close)
		}
	}
}

// TestCheckCorrectModel runs Check directly on the correct model at several
// scales of w, v and u (logging the worst error/tolerance ratios).
func TestCheckCorrectModel(t *testing.T) {
	const seed = 5
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 4))
	for _, scale := range []float64{0.01, 1, 3} {
		m := newGLM(9, 4, seed, noBug)
		w, v, u := randVec(r, 4, scale), randVec(r, 4, scale), randVec(r, 4, 1/scale)
		modeltest.Check(t, m, w, v, u, nil)
	}
}

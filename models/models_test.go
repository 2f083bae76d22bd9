package models_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/grd-engine/grd/models"
	"github.com/grd-engine/grd/models/modeltest"
)

// randData returns a regression data set with standard normal inputs and
// targets; with binary set the targets are Bernoulli(½) 0/1.
func randData(r *rand.Rand, n, in int, binary bool) *models.Data {
	d := &models.Data{N: n, In: in, Out: 1, X: make([]float64, n*in), Y: make([]float64, n)}
	for i := range d.X {
		d.X[i] = r.NormFloat64()
	}
	for i := range d.Y {
		if binary {
			d.Y[i] = float64(r.IntN(2))
		} else {
			d.Y[i] = r.NormFloat64()
		}
	}
	return d
}

// must returns x, panicking on a (test set-up) error.
func must[T any](x T, err error) T {
	if err != nil {
		panic(err)
	}
	return x
}

// TestBuiltinsConform runs the conformance harness on every built-in model
// of this file at several seeded random points.
func TestBuiltinsConform(t *testing.T) {
	const seed = 424242
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	indefinite := []models.QuadSample{
		{A: []float64{2, 1, 1, -3}, C: []float64{0.5, -1}},
		{A: []float64{0, 0, 0, 0}, C: []float64{1, 1}},
		{A: []float64{1, -0.5, -0.5, 4}, C: []float64{-2, 0}},
	}
	tests := []struct {
		name  string
		m     models.Model
		scale float64 // of w
	}{
		{"quadratic d=2", must(models.NewQuadratic(models.GenerateQuadratics(2, 8, 10, rand.NewPCG(seed, 2)))), 1},
		{"quadratic d=7", must(models.NewQuadratic(models.GenerateQuadratics(7, 23, 1e3, rand.NewPCG(seed, 3)))), 1},
		{"quadratic indefinite", must(models.NewQuadratic(indefinite)), 1},
		{"linear no bias", must(models.NewLinearRegression(randData(r, 37, 3, false), false)), 1},
		{"linear bias", must(models.NewLinearRegression(randData(r, 20, 4, false), true)), 1},
		{"linear d=60", must(models.NewLinearRegression(randData(r, 50, 59, false), true)), 0.2},
		{"logistic no bias", must(models.NewLogistic(randData(r, 29, 2, true), false)), 1},
		{"logistic bias", must(models.NewLogistic(randData(r, 33, 5, true), true)), 1},
		{"logistic saturated", must(models.NewLogistic(randData(r, 17, 3, true), true)), 8},
		{"logistic d=70", must(models.NewLogistic(randData(r, 40, 69, true), true)), 0.3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.m.Dim()
			for range 3 {
				w, v, u := randVec(r, d, tc.scale), randVec(r, d, 1), randVec(r, d, 1)
				modeltest.Check(t, tc.m, w, v, u, &modeltest.Options{Src: rand.NewPCG(seed, uint64(d))})
			}
		})
	}
}

// meanGrad returns ∇f = (1/N) Σ g_n via Accumulate with c = 1/N.
func meanGrad(m models.Model, w []float64) []float64 {
	n := m.Len()
	c := make([]float64, n)
	for i := range c {
		c[i] = 1 / float64(n)
	}
	g := make([]float64, m.Dim())
	m.NewEvaluator(n).Accumulate(g, c, nil, w, nil, 0, n)
	return g
}

// TestQuadraticClosedForm: ∇f = mean A_n(w − c_n), f_n = ½ rᵀA r computed
// with gonum mat, H_n v = A_n v, ∇³f_n = 0.
func TestQuadraticClosedForm(t *testing.T) {
	const seed = 7
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	const d, n = 4, 6
	samples := models.GenerateQuadratics(d, n, 50, rand.NewPCG(seed, 2))
	q := must(models.NewQuadratic(samples))
	w, v := randVec(r, d, 1), randVec(r, d, 1)
	ev := q.NewEvaluator(n)

	loss := make([]float64, n)
	ev.Losses(loss, w, 0, n)
	hv := make([]float64, n*d)
	ev.HessVecs(hv, w, v, 0, n)
	third := make([]float64, n*d)
	for i := range third {
		third[i] = math.NaN()
	}
	ev.ThirdVecs(third, w, v, 0, n)

	want := mat.NewVecDense(d, nil)
	for i, s := range samples {
		a := mat.NewSymDense(d, s.A)
		rv := mat.NewVecDense(d, nil)
		rv.SubVec(mat.NewVecDense(d, w), mat.NewVecDense(d, s.C))
		if f := 0.5 * mat.Inner(rv, a, rv); math.Abs(loss[i]-f) > 1e-14*(1+f) {
			t.Errorf("sample %d: loss %.17g, want ½rᵀAr = %.17g", i, loss[i], f)
		}
		var g, av mat.VecDense
		g.MulVec(a, rv)
		want.AddScaledVec(want, 1/float64(n), &g)
		av.MulVec(a, mat.NewVecDense(d, v))
		modeltest.AssertClose(t, "H_n v = A_n v", hv[i*d:(i+1)*d], av.RawVector().Data, modeltest.Tol{Rel: 1e-14, Abs: 1e-15})
	}
	modeltest.AssertClose(t, "∇f = mean A_n(w − c_n)", meanGrad(q, w), want.RawVector().Data, modeltest.Tol{Rel: 1e-13, Abs: 1e-15})
	for i, x := range third {
		if x != 0 {
			t.Errorf("ThirdVecs[%d] = %g, want exactly 0", i, x)
		}
	}
	// At a common centre the gradient vanishes exactly.
	common := []models.QuadSample{{A: []float64{3, 1, 1, 2}, C: []float64{1, -2}}, {A: []float64{1, 0, 0, 5}, C: []float64{1, -2}}}
	g := meanGrad(must(models.NewQuadratic(common)), []float64{1, -2})
	if g[0] != 0 || g[1] != 0 {
		t.Errorf("gradient at the common centre = %v, want 0", g)
	}
}

// TestLinearRegressionClosedForm: g_n = (ŷ − y) x̃ by hand, and zero loss
// and gradient at the weights that generated noiseless targets.
func TestLinearRegressionClosedForm(t *testing.T) {
	const seed = 8
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	const n, in = 9, 3
	data := randData(r, n, in, false)
	for _, bias := range []bool{false, true} {
		m := must(models.NewLinearRegression(data, bias))
		d := m.Dim()
		if want := in + map[bool]int{false: 0, true: 1}[bias]; d != want {
			t.Fatalf("bias %v: Dim = %d, want %d", bias, d, want)
		}
		w := randVec(r, d, 1)
		ev := m.NewEvaluator(4)
		grads := make([]float64, n*d)
		loss := make([]float64, n)
		for lo := 0; lo < n; lo += 4 {
			hi := min(lo+4, n)
			ev.Grads(grads[lo*d:hi*d], w, lo, hi)
			ev.Losses(loss[lo:hi], w, lo, hi)
		}
		for i := range n {
			x := data.X[i*in : (i+1)*in]
			yhat := 0.0
			for k := range in {
				yhat += w[k] * x[k]
			}
			xt := append([]float64(nil), x...)
			if bias {
				yhat += w[in]
				xt = append(xt, 1)
			}
			res := yhat - data.Y[i]
			want := make([]float64, d)
			for k := range want {
				want[k] = res * xt[k]
			}
			modeltest.AssertClose(t, "g_n = (ŷ − y) x̃", grads[i*d:(i+1)*d], want, modeltest.Tol{Rel: 1e-14, Abs: 1e-14})
			if f := 0.5 * res * res; math.Abs(loss[i]-f) > 1e-14*(1+f) {
				t.Errorf("sample %d: loss %.17g, want %.17g", i, loss[i], f)
			}
		}
	}

	// Noiseless targets y = w*·x + b*: the loss and gradient vanish at w*.
	wstar := []float64{0.5, -2, 1.25, 3}
	exact := randData(r, n, in, false)
	for i := range n {
		x := exact.X[i*in : (i+1)*in]
		exact.Y[i] = wstar[0]*x[0] + wstar[1]*x[1] + wstar[2]*x[2] + wstar[3]
	}
	m := must(models.NewLinearRegression(exact, true))
	loss := make([]float64, n)
	m.NewEvaluator(n).Losses(loss, wstar, 0, n)
	for i, f := range loss {
		if f > 1e-28 {
			t.Errorf("sample %d: loss %g at the generating weights, want 0", i, f)
		}
	}
	modeltest.AssertClose(t, "∇f at the generating weights", meanGrad(m, wstar), make([]float64, 4), modeltest.Tol{Abs: 1e-14})
}

// TestLogisticClosedForm: at s = 0 every loss is log 2, g_n = (½ − y) x̃,
// H_n v = ¼ (x̃·v) x̃ and ∇³f_n = 0.
func TestLogisticClosedForm(t *testing.T) {
	const seed = 9
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	const n, in = 8, 3
	data := randData(r, n, in, true)
	m := must(models.NewLogistic(data, true))
	d := m.Dim()
	w := make([]float64, d)
	v := randVec(r, d, 1)
	ev := m.NewEvaluator(n)
	loss := make([]float64, n)
	grads := make([]float64, n*d)
	hv := make([]float64, n*d)
	third := make([]float64, n*d)
	ev.Losses(loss, w, 0, n)
	ev.Grads(grads, w, 0, n)
	ev.HessVecs(hv, w, v, 0, n)
	ev.ThirdVecs(third, w, v, 0, n)
	for i := range n {
		if math.Abs(loss[i]-math.Ln2) > 1e-16 {
			t.Errorf("sample %d: loss at s = 0 is %.17g, want log 2", i, loss[i])
		}
		xt := append(append([]float64(nil), data.X[i*in:(i+1)*in]...), 1)
		var xv float64
		for k := range xt {
			xv += xt[k] * v[k]
		}
		wantG := make([]float64, d)
		wantH := make([]float64, d)
		for k := range xt {
			wantG[k] = (0.5 - data.Y[i]) * xt[k]
			wantH[k] = 0.25 * xv * xt[k]
		}
		modeltest.AssertClose(t, "g_n at s = 0", grads[i*d:(i+1)*d], wantG, modeltest.Tol{Rel: 1e-15})
		modeltest.AssertClose(t, "H_n v at s = 0", hv[i*d:(i+1)*d], wantH, modeltest.Tol{Rel: 1e-14, Abs: 1e-16})
		modeltest.AssertClose(t, "∇³f_n[v,v] at s = 0", third[i*d:(i+1)*d], make([]float64, d), modeltest.Tol{})
	}
}

// TestLogisticExtremeScores checks the scalar loss and derivatives for
// scores up to |s| = 700 against independent closed forms that are accurate
// there (σ'(s) = ¼ sech²(s/2), σ”(s) = −¼ sech²(s/2) tanh(s/2), and for
// y = 1 the loss softplus(−s)), to 1e-13 relative: the naive
// softplus(s) − y s loses all digits at s = 40 and overflows at s = 710.
func TestLogisticExtremeScores(t *testing.T) {
	scores := []float64{-700, -300, -40, -5, -1e-3, 0, 1e-8, 2, 37, 40, 300, 700}
	for _, y := range []float64{0, 1} {
		data := &models.Data{N: 1, In: 1, Out: 1, X: []float64{1}, Y: []float64{y}}
		m := must(models.NewLogistic(data, false))
		ev := m.NewEvaluator(1)
		for _, s := range scores {
			w := []float64{s}
			one := []float64{1}
			loss, g, h, th := make([]float64, 1), make([]float64, 1), make([]float64, 1), make([]float64, 1)
			ev.Losses(loss, w, 0, 1)
			ev.Grads(g, w, 0, 1)
			ev.HessVecs(h, w, one, 0, 1)
			ev.ThirdVecs(th, w, one, 0, 1)

			// Independent references.
			ss := s
			if y == 1 {
				ss = -s
			}
			wantLoss := math.Log1p(math.Exp(-math.Abs(ss))) + math.Max(ss, 0) // softplus(±s)
			sech := 1 / math.Cosh(s/2)
			wantH := 0.25 * sech * sech
			wantT := -wantH * math.Tanh(s/2)
			var wantG float64 // σ(s) − y = ½(1 + tanh(s/2)) − y, cancellation-free per branch
			if y == 0 {
				wantG = 1 / (1 + math.Exp(-s))
			} else {
				wantG = -1 / (1 + math.Exp(s))
			}
			tol := modeltest.Tol{Rel: 1e-13, Abs: 1e-300}
			for _, c := range []struct {
				what      string
				got, want float64
			}{
				{"loss", loss[0], wantLoss}, {"gradient", g[0], wantG},
				{"Hessian", h[0], wantH}, {"third derivative", th[0], wantT},
			} {
				if !modeltest.Close([]float64{c.got}, []float64{c.want}, tol) {
					t.Errorf("y = %g, s = %g: %s %.17g, want %.17g", y, s, c.what, c.got, c.want)
				}
			}
		}
	}
}

// TestLogisticThirdVecsFD checks the analytic third derivatives of the
// logistic model against the ThirdVecsFD fallback (expected relative
// agreement ≈ 1e-10; asserted at 1e-7 of the row scale).
func TestLogisticThirdVecsFD(t *testing.T) {
	const seed = 10
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	const n, in = 12, 4
	m := must(models.NewLogistic(randData(r, n, in, true), true))
	d := m.Dim()
	ev := m.NewEvaluator(n)
	var tfd models.ThirdVecsFD
	got, want := make([]float64, n*d), make([]float64, n*d)
	for range 4 {
		w, u := randVec(r, d, 0.7), randVec(r, d, 1)
		ev.ThirdVecs(want, w, u, 0, n)
		tfd.ThirdVecs(ev, got, w, u, 0, n)
		for i := range n {
			row := want[i*d : (i+1)*d]
			var scale float64
			for _, x := range row {
				scale = math.Max(scale, math.Abs(x))
			}
			modeltest.AssertClose(t, "ThirdVecsFD vs analytic logistic", got[i*d:(i+1)*d], row, modeltest.Tol{Rel: 1e-7, Abs: 1e-7 * scale})
		}
	}
}

// TestGenerateQuadratics: every A_n is symmetric with eigenvalues in
// [1/condition, 1] and condition number condition (gonum EigenSym), and the
// samples are reproducible from the seed.
func TestGenerateQuadratics(t *testing.T) {
	tests := []struct {
		dim, count int
		condition  float64
	}{
		{1, 3, 1}, {1, 2, 100}, {2, 5, 10}, {3, 4, 1}, {5, 6, 1e3}, {12, 3, 1e6},
	}
	for _, tc := range tests {
		seed := uint64(1000*tc.dim + tc.count)
		samples := models.GenerateQuadratics(tc.dim, tc.count, tc.condition, rand.NewPCG(seed, 1))
		again := models.GenerateQuadratics(tc.dim, tc.count, tc.condition, rand.NewPCG(seed, 1))
		other := models.GenerateQuadratics(tc.dim, tc.count, tc.condition, rand.NewPCG(seed+1, 1))
		if len(samples) != tc.count {
			t.Fatalf("%+v: %d samples, want %d", tc, len(samples), tc.count)
		}
		wantCond := tc.condition
		if tc.dim == 1 {
			wantCond = 1
		}
		for s, smp := range samples {
			d := tc.dim
			if len(smp.A) != d*d || len(smp.C) != d {
				t.Fatalf("%+v sample %d: len(A), len(C) = %d, %d", tc, s, len(smp.A), len(smp.C))
			}
			for i := range d {
				for j := range d {
					if smp.A[i*d+j] != smp.A[j*d+i] {
						t.Errorf("%+v sample %d: A not exactly symmetric at (%d,%d)", tc, s, i, j)
					}
				}
			}
			var es mat.EigenSym
			if !es.Factorize(mat.NewSymDense(d, smp.A), false) {
				t.Fatalf("%+v sample %d: EigenSym failed", tc, s)
			}
			ev := es.Values(nil) // ascending
			lmin, lmax := ev[0], ev[d-1]
			// Eigenvalues of Q Λ Qᵀ are recovered to ≈ ε·‖A‖ = ε absolutely,
			// so the smallest (1/condition) to relative ε·condition.
			if math.Abs(lmax-1) > 1e-13 || math.Abs(lmin*wantCond-1) > 1e-13*wantCond {
				t.Errorf("%+v sample %d: eigenvalues [%.17g, %.17g], want [1/%g, 1]", tc, s, lmin, lmax, wantCond)
			}
			if c := lmax / lmin; math.Abs(c/wantCond-1) > 1e-13*wantCond {
				t.Errorf("%+v sample %d: condition number %.17g, want %g", tc, s, c, wantCond)
			}
			for i := range smp.A {
				if smp.A[i] != again[s].A[i] {
					t.Fatalf("%+v sample %d: not reproducible from the seed", tc, s)
				}
			}
			for i := range smp.C {
				if smp.C[i] != again[s].C[i] {
					t.Fatalf("%+v sample %d: centre not reproducible from the seed", tc, s)
				}
			}
		}
		if samples[0].C[0] == other[0].C[0] {
			t.Errorf("%+v: a different seed gave the same centre", tc)
		}
	}
}

// TestGenerateQuadraticsHaar: the random rotations are Haar: the mean of
// A_n over many samples is (tr Λ / d) I; entries of the sample mean lie
// within 6 standard errors of it.
func TestGenerateQuadraticsHaar(t *testing.T) {
	const d, count = 3, 4000
	const cond = 100.0
	samples := models.GenerateQuadratics(d, count, cond, rand.NewPCG(77, 1))
	var tr float64
	for i := range d {
		tr += math.Pow(cond, -float64(i)/float64(d-1))
	}
	mean := make([]float64, d*d)
	sq := make([]float64, d*d)
	for _, s := range samples {
		for i, a := range s.A {
			mean[i] += a / count
			sq[i] += a * a / count
		}
	}
	for i := range mean {
		want := 0.0
		if i/d == i%d {
			want = tr / d
		}
		se := math.Sqrt((sq[i] - mean[i]*mean[i]) / count)
		if math.Abs(mean[i]-want) > 6*se {
			t.Errorf("mean A[%d][%d] = %.4f, want %.4f ± %.4f", i/d, i%d, mean[i], want, 6*se)
		}
	}
}

func TestGenerateQuadraticsPanics(t *testing.T) {
	for _, tc := range []struct {
		dim, count int
		cond       float64
	}{{0, 1, 1}, {2, 0, 1}, {2, 1, 0.5}, {2, 1, math.NaN()}, {2, 1, math.Inf(1)}} {
		func() {
			defer func() {
				if p := recover(); p == nil || !strings.HasPrefix(p.(string), "models: ") {
					t.Errorf("%+v: panic %v, want a models: panic", tc, p)
				}
			}()
			models.GenerateQuadratics(tc.dim, tc.count, tc.cond, rand.NewPCG(1, 1))
		}()
	}
}

// TestQuadraticSamplesCopy: Samples returns the symmetrised samples as a
// deep copy, and NewQuadratic copies its input.
func TestQuadraticSamplesCopy(t *testing.T) {
	in := []models.QuadSample{{A: []float64{2, 1, 1 + 1e-13, 3}, C: []float64{1, 2}}}
	q := must(models.NewQuadratic(in))
	in[0].C[0] = 99
	s := q.Samples()
	if s[0].C[0] != 1 {
		t.Errorf("model changed with its input: c = %v", s[0].C)
	}
	if s[0].A[1] != s[0].A[2] {
		t.Errorf("stored A not symmetrised: %v", s[0].A)
	}
	s[0].A[0] = 99
	if q.Samples()[0].A[0] != 2 {
		t.Errorf("Samples is not a copy")
	}
}

// TestConstructorErrors: invalid inputs give errors that start with
// "models: " and name the problem and where it is.
func TestConstructorErrors(t *testing.T) {
	good := func() *models.Data {
		return &models.Data{N: 3, In: 2, Out: 1, X: []float64{1, 2, 3, 4, 5, 6}, Y: []float64{0, 1, 0}}
	}
	with := func(f func(*models.Data)) *models.Data { d := good(); f(d); return d }
	nan := math.NaN()
	type ctor func() error
	lin := func(d *models.Data) ctor {
		return func() error { _, err := models.NewLinearRegression(d, true); return err }
	}
	logi := func(d *models.Data) ctor {
		return func() error { _, err := models.NewLogistic(d, false); return err }
	}
	quad := func(s []models.QuadSample) ctor {
		return func() error { _, err := models.NewQuadratic(s); return err }
	}
	tests := []struct {
		name string
		fn   ctor
		want []string
	}{
		{"linear nil data", lin(nil), []string{"linear-regression", "no data"}},
		{"linear two outputs", lin(&models.Data{N: 1, In: 1, Out: 2, X: []float64{1}, Y: []float64{1, 2}}), []string{"2 target columns", "exactly 1"}},
		{"linear bad shape", lin(with(func(d *models.Data) { d.X = d.X[:5] })), []string{"len(X)"}},
		{"linear NaN input", lin(with(func(d *models.Data) { d.X[3] = nan })), []string{"sample 1", "input 1", "finite"}},
		{"linear Inf target", lin(with(func(d *models.Data) { d.Y[2] = math.Inf(-1) })), []string{"sample 2", "target"}},
		{"logistic target 0.5", logi(with(func(d *models.Data) { d.Y[1] = 0.5 })), []string{"logistic", "sample 1", "0.5", "0 or 1"}},
		{"logistic target 2", logi(with(func(d *models.Data) { d.Y[2] = 2 })), []string{"sample 2", "0 or 1"}},
		{"logistic two outputs", logi(&models.Data{N: 1, In: 1, Out: 2, X: []float64{1}, Y: []float64{0, 1}}), []string{"exactly 1"}},
		{"logistic empty", logi(&models.Data{In: 1, Out: 1}), []string{"0 samples"}},
		{"quadratic none", quad(nil), []string{"quadratic", "no samples"}},
		{"quadratic empty centre", quad([]models.QuadSample{{}}), []string{"sample 0", "empty centre"}},
		{"quadratic centre length", quad([]models.QuadSample{{A: []float64{1}, C: []float64{0}}, {A: []float64{1, 0, 0, 1}, C: []float64{0, 0}}}), []string{"sample 1", "length 2", "d = 1"}},
		{"quadratic A size", quad([]models.QuadSample{{A: []float64{1, 0, 0}, C: []float64{0, 0}}}), []string{"sample 0", "3 entries", "4"}},
		{"quadratic asymmetric", quad([]models.QuadSample{{A: []float64{1, 0, 0, 1}, C: []float64{0, 0}}, {A: []float64{1, 2, 2.1, 1}, C: []float64{0, 0}}}), []string{"sample 1", "not symmetric", "A[0][1] = 2", "A[1][0] = 2.1"}},
		{"quadratic NaN A", quad([]models.QuadSample{{A: []float64{1, 0, 0, nan}, C: []float64{0, 0}}}), []string{"sample 0", "A[1][1] = NaN"}},
		{"quadratic Inf c", quad([]models.QuadSample{{A: []float64{1, 0, 0, 1}, C: []float64{0, math.Inf(1)}}}), []string{"sample 0", "c[1]"}},
	}
	for _, tc := range tests {
		err := tc.fn()
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "models: ") {
			t.Errorf("%s: error %q lacks the models: prefix", tc.name, msg)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: error %q does not mention %q", tc.name, msg, w)
			}
		}
	}
}

// TestEvaluatorPanics: wrong lengths and chunks are programmer errors that
// panic with a models: message.
func TestEvaluatorPanics(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	ms := []models.Model{
		must(models.NewQuadratic(models.GenerateQuadratics(2, 5, 3, rand.NewPCG(1, 1)))),
		must(models.NewLinearRegression(randData(r, 5, 1, false), true)),
		must(models.NewLogistic(randData(r, 5, 1, true), true)),
	}
	for _, m := range ms {
		ev := m.NewEvaluator(3)
		w2, w3 := make([]float64, 2), make([]float64, 3)
		tests := []struct {
			name string
			fn   func()
		}{
			{"chunk too large", func() { ev.Losses(make([]float64, 4), w2, 0, 4) }},
			{"hi > N", func() { ev.Losses(make([]float64, 2), w2, 4, 6) }},
			{"lo < 0", func() { ev.Losses(make([]float64, 1), w2, -1, 0) }},
			{"short w", func() { ev.Grads(make([]float64, 2), w2[:1], 0, 1) }},
			{"long w", func() { ev.Grads(make([]float64, 2), w3, 0, 1) }},
			{"short loss", func() { ev.Losses(make([]float64, 1), w2, 0, 2) }},
			{"short s", func() { ev.Directional(nil, make([]float64, 1), nil, w2, w2, 0, 2) }},
			{"short v", func() { ev.Directional(nil, make([]float64, 2), nil, w2, w2[:1], 0, 2) }},
			{"short dst", func() { ev.Accumulate(w2[:1], []float64{1}, nil, w2, nil, 0, 1) }},
			{"short c", func() { ev.Accumulate(make([]float64, 2), []float64{1}, nil, w2, nil, 0, 2) }},
			{"short rows", func() { ev.HessVecs(make([]float64, 3), w2, w2, 0, 2) }},
			{"short u", func() { ev.ThirdVecs(make([]float64, 2), w2, w2[:1], 0, 1) }},
		}
		for _, tc := range tests {
			func() {
				defer func() {
					p := recover()
					s, _ := p.(string)
					if !strings.HasPrefix(s, "models: ") {
						t.Errorf("%s: %s: panic %v, want a models: panic", m.Name(), tc.name, p)
					}
				}()
				tc.fn()
			}()
		}
	}
}

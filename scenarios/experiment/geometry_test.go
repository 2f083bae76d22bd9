package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/scenarios"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"
)

// quadGeometry computes the GeometryAt report of a quadratic scenario
// directly from its samples, independently of the engine: with
// f_n = ½(w−c_n)ᵀA_n(w−c_n), g_n = A_n(w−c_n), H_n = A_n and ∇³f_n = 0, so
// a_n = A_n a. Dense linear algebra on d×d matrices throughout.
func quadGeometry(t *testing.T, b *scenarios.Built, w, v []float64, inverse, christoffel string) *GeometryReport {
	t.Helper()
	q := b.Quad
	n, d := len(q), len(w)
	grads := make([][]float64, n)
	mean := make([]float64, d)
	loss := 0.0
	H := mat.NewDense(d, d, nil)
	for k, s := range q {
		A := mat.NewDense(d, d, s.A)
		r := make([]float64, d)
		floats.SubTo(r, w, s.C)
		g := mat.NewVecDense(d, nil)
		g.MulVec(A, mat.NewVecDense(d, r))
		grads[k] = g.RawVector().Data
		loss += 0.5 * floats.Dot(r, grads[k]) / float64(n)
		floats.AddScaled(mean, 1/float64(n), grads[k])
		H.Add(H, A)
	}
	H.Scale(1/float64(n), H)
	diff := func(x []float64) *mat.SymDense { // D at x
		D := mat.NewSymDense(d, nil)
		var m []float64 = make([]float64, d)
		gs := make([][]float64, n)
		for k, s := range q {
			r := make([]float64, d)
			floats.SubTo(r, x, s.C)
			g := mat.NewVecDense(d, nil)
			g.MulVec(mat.NewDense(d, d, s.A), mat.NewVecDense(d, r))
			gs[k] = g.RawVector().Data
			floats.AddScaled(m, 1/float64(n), gs[k])
		}
		for _, g := range gs {
			c := make([]float64, d)
			floats.SubTo(c, g, m)
			D.SymRankOne(D, 1/float64(n), mat.NewVecDense(d, c))
		}
		return D
	}
	lmax := func(D *mat.SymDense) float64 {
		var e mat.EigenSym
		if !e.Factorize(D, false) {
			t.Fatal("EigenSym failed")
		}
		vals := e.Values(nil)
		return vals[len(vals)-1]
	}
	D := diff(w)
	eps := scenarios.DefaultSafety / lmax(diff(b.W0))
	I := mat.NewDiagDense(d, nil)
	for i := 0; i < d; i++ {
		I.SetDiag(i, 1)
	}
	var G mat.Dense // I + εD
	G.Scale(eps, D)
	G.Add(&G, I)
	apply := func(kind string, x []float64) []float64 { // P x, or Γ index raised
		out := mat.NewVecDense(d, nil)
		if kind == engine.Exact.String() {
			if err := out.SolveVec(&G, mat.NewVecDense(d, x)); err != nil {
				t.Fatal(err)
			}
		} else {
			out.MulVec(D, mat.NewVecDense(d, x))
			out.AddScaledVec(mat.NewVecDense(d, x), -eps, out)
		}
		return out.RawVector().Data
	}
	r := &GeometryReport{Dim: d, Samples: n, Loss: loss, Grad: mean, LambdaMax: lmax(D), Epsilon: eps}
	for i := 0; i < d; i++ {
		row := make([]float64, d)
		for j := range row {
			row[j] = D.At(i, j)
		}
		r.Diffusion = append(r.Diffusion, row)
	}
	r.NGDVelocity = apply(inverse, mean)
	floats.Scale(-1, r.NGDVelocity)
	if v == nil {
		v = r.NGDVelocity
	}
	r.V = v
	hv := mat.NewVecDense(d, nil)
	hv.MulVec(H, mat.NewVecDense(d, v))
	r.HVP = hv.RawVector().Data
	// Γ₁(v,v) = ε [(1/N) Σ q_n g_n − q̄ ∇f], q_n = vᵀA_n v.
	av := make([][]float64, n)
	gam := make([]float64, d)
	qbar := 0.0
	for k, s := range q {
		x := mat.NewVecDense(d, nil)
		x.MulVec(mat.NewDense(d, d, s.A), mat.NewVecDense(d, v))
		av[k] = x.RawVector().Data
		qn := floats.Dot(v, av[k])
		qbar += qn / float64(n)
		floats.AddScaled(gam, eps*qn/float64(n), grads[k])
	}
	floats.AddScaled(gam, -eps*qbar, mean)
	if christoffel == engine.Exact.String() {
		gam = apply(engine.Exact.String(), gam)
	}
	r.ChristoffelVV = gam
	r.GRDAccel = make([]float64, d)
	floats.SubTo(r.GRDAccel, r.GRDAccel, r.HVP)
	floats.Sub(r.GRDAccel, gam)
	spread := func(xs [][]float64) float64 { // sqrt(tr Cov_n x_n)
		m := make([]float64, d)
		for _, x := range xs {
			floats.AddScaled(m, 1/float64(n), x)
		}
		s := 0.0
		for _, x := range xs {
			c := make([]float64, d)
			floats.SubTo(c, x, m)
			s += floats.Dot(c, c) / float64(n)
		}
		return math.Sqrt(s)
	}
	r.R0 = spread(grads)
	r.R1 = spread(av)
	aa := make([][]float64, n)
	for k, s := range q {
		x := mat.NewVecDense(d, nil)
		x.MulVec(mat.NewDense(d, d, s.A), mat.NewVecDense(d, r.GRDAccel))
		aa[k] = x.RawVector().Data
	}
	r.R2 = spread(aa)
	return r
}

// compareReports checks got against want number by number. The engine and
// the reference sum in different orders and the engine forms D from centred
// gradients like the reference, so agreement is to a few hundred ulps of each
// quantity's scale: tol is relative to the largest entry of the vector.
func compareReports(t *testing.T, got, want *GeometryReport, tol float64) {
	t.Helper()
	if got.Dim != want.Dim || got.Samples != want.Samples {
		t.Fatalf("dim, samples = %d, %d, want %d, %d", got.Dim, got.Samples, want.Dim, want.Samples)
	}
	scal := func(name string, g, w float64) {
		if !scalar.EqualWithinAbsOrRel(g, w, tol, tol) {
			t.Errorf("%s = %.17g, want %.17g", name, g, w)
		}
	}
	vec := func(name string, g, w []float64) {
		if len(g) != len(w) {
			t.Fatalf("len(%s) = %d, want %d", name, len(g), len(w))
		}
		scale := math.Max(floats.Norm(w, math.Inf(1)), 1e-300)
		for i := range w {
			if math.Abs(g[i]-w[i]) > tol*scale {
				t.Errorf("%s[%d] = %.17g, want %.17g", name, i, g[i], w[i])
			}
		}
	}
	scal("loss", got.Loss, want.Loss)
	scal("lambda_max", got.LambdaMax, want.LambdaMax)
	scal("epsilon", got.Epsilon, want.Epsilon)
	scal("r0", got.R0, want.R0)
	scal("r1", got.R1, want.R1)
	scal("r2", got.R2, want.R2)
	vec("grad", got.Grad, want.Grad)
	vec("ngd_velocity", got.NGDVelocity, want.NGDVelocity)
	vec("v", got.V, want.V)
	vec("hvp", got.HVP, want.HVP)
	vec("christoffel_vv", got.ChristoffelVV, want.ChristoffelVV)
	vec("grd_accel", got.GRDAccel, want.GRDAccel)
	if len(got.Diffusion) != len(want.Diffusion) {
		t.Fatalf("diffusion has %d rows, want %d", len(got.Diffusion), len(want.Diffusion))
	}
	for i := range want.Diffusion {
		vec("diffusion row", got.Diffusion[i], want.Diffusion[i])
	}
}

func TestGeometryAtQuadratic(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name                 string
		inverse, christoffel string
		w, v                 []float64
	}{
		{"w0 ngd-velocity weak-field", engine.WeakField.String(), engine.WeakField.String(), nil, nil},
		{"w0 ngd-velocity exact", engine.Exact.String(), engine.Exact.String(), nil, nil},
		{"given w and v weak-field", engine.WeakField.String(), engine.WeakField.String(), []float64{0.3, -1.2}, []float64{0.7, 0.4}},
		{"given w and v mixed", engine.WeakField.String(), engine.Exact.String(), []float64{-0.5, 2}, []float64{-1, 0.25}},
		{"given w, ngd v, exact", engine.Exact.String(), engine.Exact.String(), []float64{1.5, 1}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := scenarios.Builtin("quadratic-2d")
			if err != nil {
				t.Fatal(err)
			}
			s.Metric.Inverse, s.Metric.Christoffel = tc.inverse, tc.christoffel
			b, err := s.Build()
			if err != nil {
				t.Fatal(err)
			}
			got, err := GeometryAt(ctx, b, tc.w, tc.v, &engine.Options{Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			w := tc.w
			if w == nil {
				w = b.W0
			}
			// 1e-11: the exact inverse by CG stops at a relative residual
			// 1e-12 and cond(I+εD) < 2; everything else is direct.
			compareReports(t, got, quadGeometry(t, b, w, tc.v, tc.inverse, tc.christoffel), 1e-11)
		})
	}
}

// TestGeometryAtNetwork checks, on a network (non-zero third derivatives,
// d = 67), that the report is the engine's own quantities: acceleration =
// −Hv − Γ(v,v), v defaults to the NGD velocity, ε is the run's, λ_max at
// the evaluation point, the dense D agrees with D·v, the worker count does not
// matter, and an explicit w = w0 gives the same report as the default.
func TestGeometryAtNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("network geometry: skipped under -short")
	}
	ctx := context.Background()
	s, err := scenarios.Builtin("two-layer-iris")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	r1, err := GeometryAt(ctx, b, nil, nil, &engine.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := GeometryAt(ctx, b, append([]float64(nil), b.W0...), nil, &engine.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	j1, _ := json.Marshal(r1)
	j2, _ := json.Marshal(r2)
	if string(j1) != string(j2) {
		t.Error("report differs between (default w, 1 worker) and (explicit w0, 2 workers)")
	}
	d := b.Model.Dim()
	if r1.Dim != d || r1.Samples != b.Model.Len() || len(r1.Diffusion) != d {
		t.Fatalf("dim %d samples %d diffusion rows %d, want %d %d %d", r1.Dim, r1.Samples, len(r1.Diffusion), d, b.Model.Len(), d)
	}
	if !floats.Equal(r1.V, r1.NGDVelocity) {
		t.Error("default v is not the NGD velocity")
	}
	g := engine.New(b.Model, nil)
	eps, lam, err := g.Epsilon(ctx, b.W0, engine.EpsilonSpec{Auto: true, Safety: s.Metric.Safety})
	if err != nil {
		t.Fatal(err)
	}
	if r1.Epsilon != eps || r1.LambdaMax != lam {
		t.Errorf("epsilon, lambda_max = %g, %g, want %g, %g", r1.Epsilon, r1.LambdaMax, eps, lam)
	}
	acc := make([]float64, d)
	floats.SubTo(acc, acc, r1.HVP)
	floats.Sub(acc, r1.ChristoffelVV)
	// The engine fuses Hv and Γ(v,v) into one weighted pass; the sums differ
	// only in rounding.
	if !floats.EqualApprox(acc, r1.GRDAccel, 1e-12*floats.Norm(acc, math.Inf(1))) {
		t.Errorf("grd_accel ≠ −hvp − christoffel_vv:\n%v\n%v", r1.GRDAccel, acc)
	}
	dv := make([]float64, d)
	if err := g.DiffusionVec(ctx, dv, b.W0, r1.V); err != nil {
		t.Fatal(err)
	}
	dense := mat.NewDense(d, d, nil)
	for i, row := range r1.Diffusion {
		dense.SetRow(i, row)
	}
	var dvd mat.VecDense
	dvd.MulVec(dense, mat.NewVecDense(d, r1.V))
	if !floats.EqualApprox(dv, dvd.RawVector().Data, 1e-12*floats.Norm(dv, math.Inf(1))) {
		t.Error("dense diffusion times v differs from the matrix-free D·v")
	}

	// Away from w0: ε stays the w0 value, λ_max moves.
	w := append([]float64(nil), b.W0...)
	floats.Scale(1.5, w)
	r3, err := GeometryAt(ctx, b, w, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	lam3, err := g.LambdaMax(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if r3.Epsilon != eps || !scalar.EqualWithinRel(r3.LambdaMax, lam3, 1e-12) || r3.LambdaMax == lam {
		t.Errorf("at 1.5·w0: epsilon %g lambda_max %g, want %g and %g", r3.Epsilon, r3.LambdaMax, eps, lam3)
	}
}

func TestGeometryAtErrors(t *testing.T) {
	ctx := context.Background()
	s, err := scenarios.Builtin("quadratic-2d")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("epsilon too large", func(t *testing.T) {
		s2 := *s
		s2.Metric.Epsilon = scenarios.Epsilon{Fixed: true, Value: 1e6}
		b2 := *b
		b2.Scenario = &s2
		_, err := GeometryAt(ctx, &b2, nil, nil, nil)
		if !errors.Is(err, scenarios.ErrBadValue) || !strings.Contains(err.Error(), "metric.epsilon") {
			t.Errorf("err = %v, want ErrBadValue at metric.epsilon", err)
		}
	})
	t.Run("infinite loss", func(t *testing.T) {
		_, err := GeometryAt(ctx, b, []float64{1e200, 1e200}, []float64{1, 0}, nil)
		if err == nil || !strings.Contains(err.Error(), "want finite values") {
			t.Errorf("err = %v, want a non-finite error", err)
		}
	})
	t.Run("wrong length panics", func(t *testing.T) {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "scenarios: GeometryAt") {
				t.Errorf("recover() = %v, want a scenarios panic", r)
			}
		}()
		_, _ = GeometryAt(ctx, b, []float64{1}, nil, nil)
	})
}

// TestGeometryAtMatchesRun: `grd geometry` reports the ε and λ_max(D(w0))
// that `grd run` uses, for auto and fixed ε.
func TestGeometryAtMatchesRun(t *testing.T) {
	ctx := context.Background()
	for _, eps := range []scenarios.Epsilon{{}, {Fixed: true, Value: 0.05}} {
		s, err := scenarios.Builtin("quadratic-2d")
		if err != nil {
			t.Fatal(err)
		}
		s.Metric.Epsilon = eps
		s.Flows = []string{scenarios.FlowGD}
		s.Time.T1, s.Time.Outputs = 0.1, 2
		rep, err := Run(ctx, s, RunOptions{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Build()
		if err != nil {
			t.Fatal(err)
		}
		g, err := GeometryAt(ctx, b, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if g.Epsilon != rep.Epsilon || g.LambdaMax != rep.LambdaMax {
			t.Errorf("epsilon %v: geometry (ε, λ_max) = (%g, %g), run (%g, %g)", eps, g.Epsilon, g.LambdaMax, rep.Epsilon, rep.LambdaMax)
		}
	}
}

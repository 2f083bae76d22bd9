package engine

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/grd-engine/grd/models"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// testCase is a model with a point w and a direction u at which the
// engine's invariants are checked.
type testCase struct {
	name string
	m    models.Model
	w, u []float64
}

func randVec(rng *rand.Rand, d int, scale float64) []float64 {
	x := make([]float64, d)
	for i := range x {
		x[i] = scale * rng.NormFloat64()
	}
	return x
}

// testCases returns every model the invariants are checked on: toy models
// in several shapes (N < d, N > d, N = 1) and the built-in models.
func testCases(t testing.TB) []testCase {
	rng := rand.New(rand.NewPCG(42, 1))
	t.Logf("test points seeded with PCG(42, 1)")
	var cs []testCase
	add := func(name string, m models.Model, scale float64) {
		cs = append(cs, testCase{name: name, m: m, w: randVec(rng, m.Dim(), scale), u: randVec(rng, m.Dim(), 1)})
	}
	add("toy N=30 d=5", newToy(30, 5, 1, false), 0.7)
	add("toy N=4 d=7", newToy(4, 7, 2, false), 0.7)
	add("toy N=1 d=3", newToy(1, 3, 3, false), 0.7)
	for _, bm := range builtinModels(t, rng) {
		add(bm.Name(), bm, 0.3)
	}
	return cs
}

// ctx is the context every test uses.
var ctx = context.Background()

// relErr returns ‖got − want‖∞ / max(‖want‖∞, floor).
func relErr(got, want []float64, floor float64) float64 {
	var e, s float64
	for i := range got {
		e = math.Max(e, math.Abs(got[i]-want[i]))
		s = math.Max(s, math.Abs(want[i]))
	}
	return e / math.Max(s, floor)
}

// perSampleGrads returns the N×d per-sample gradients from a fresh
// evaluator, one sample at a time (an assembly independent of the engine's).
func perSampleGrads(m models.Model, w []float64) [][]float64 {
	ev := m.NewEvaluator(1)
	G := make([][]float64, m.Len())
	for n := range G {
		G[n] = make([]float64, m.Dim())
		ev.Grads(G[n], w, n, n+1)
	}
	return G
}

// pairwiseD builds D = (1/N²) Σ_{i<j} (g_i − g_j)(g_i − g_j)ᵀ.
func pairwiseD(G [][]float64) *mat.SymDense {
	n, d := len(G), len(G[0])
	D := mat.NewSymDense(d, nil)
	diff := make([]float64, d)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			floats.SubTo(diff, G[i], G[j])
			D.SymRankOne(D, 1/float64(n*n), mat.NewVecDense(d, diff))
		}
	}
	return D
}

func symData(s *mat.SymDense) []float64 {
	d := s.SymmetricDim()
	out := make([]float64, d*d)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			out[i*d+j] = s.At(i, j)
		}
	}
	return out
}

func maxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// TestToyDerivatives checks the toy oracle itself against central finite
// differences (gonum diff/fd): the gradient of f_n, H_n v as the
// derivative of g_n along v, and ∇³f_n[u,u] as the derivative of H_n u
// along u. Step 1e-5: error O(h²)·f”' ≈ 1e-10 plus rounding ≈ 1e-11, so
// 1e-7 (relative) has a wide margin and still catches any wrong term.
func TestToyDerivatives(t *testing.T) {
	m := newToy(5, 4, 9, false)
	rng := rand.New(rand.NewPCG(3, 3))
	w, u := randVec(rng, 4, 0.8), randVec(rng, 4, 1)
	ev := m.NewEvaluator(1).(*toyEval)
	for n := 0; n < m.n; n++ {
		g := make([]float64, 4)
		ev.grad(g, n, w)
		gfd := fd.Gradient(nil, func(x []float64) float64 { return ev.loss(n, x) }, w, &fd.Settings{Formula: fd.Central, Step: 1e-5})
		if e := relErr(g, gfd, 1); e > 1e-7 {
			t.Errorf("sample %d: gradient vs FD rel. error %.2g", n, e)
		}
		along := func(f func(dst, x []float64), dir []float64) []float64 {
			h := 1e-5
			xp, xm := make([]float64, 4), make([]float64, 4)
			fp, fm := make([]float64, 4), make([]float64, 4)
			floats.AddScaledTo(xp, w, h, dir)
			floats.AddScaledTo(xm, w, -h, dir)
			f(fp, xp)
			f(fm, xm)
			floats.Sub(fp, fm)
			floats.Scale(1/(2*h), fp)
			return fp
		}
		hv := make([]float64, 4)
		ev.hessVec(hv, n, w, u)
		if e := relErr(hv, along(func(dst, x []float64) { ev.grad(dst, n, x) }, u), 1); e > 1e-7 {
			t.Errorf("sample %d: H_n u vs FD rel. error %.2g", n, e)
		}
		tv := make([]float64, 4)
		ev.ThirdVecs(tv, w, u, n, n+1)
		if e := relErr(tv, along(func(dst, x []float64) { ev.hessVec(dst, n, x, u) }, u), 1); e > 1e-7 {
			t.Errorf("sample %d: ∇³f_n[u,u] vs FD rel. error %.2g", n, e)
		}
	}
}

// TestLossGradHessVec compares the pooled passes with plain per-sample sums.
func TestLossGradHessVec(t *testing.T) {
	for _, tc := range testCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			m, w, u := tc.m, tc.w, tc.u
			n, d := m.Len(), m.Dim()
			g := New(m, &Options{Workers: 2, Chunk: 3})
			ev := m.NewEvaluator(1)
			var fwant float64
			gwant := make([]float64, d)
			hwant := make([]float64, d)
			l := make([]float64, 1)
			row := make([]float64, d)
			for i := 0; i < n; i++ {
				ev.Losses(l, w, i, i+1)
				fwant += l[0] / float64(n)
				ev.Grads(row, w, i, i+1)
				floats.AddScaled(gwant, 1/float64(n), row)
				ev.HessVecs(row, w, u, i, i+1)
				floats.AddScaled(hwant, 1/float64(n), row)
			}
			f, err := g.Loss(ctx, w)
			if err != nil || math.Abs(f-fwant) > 1e-13*math.Max(1, math.Abs(fwant)) {
				t.Errorf("Loss = %v (%v), want %v", f, err, fwant)
			}
			grad := make([]float64, d)
			f2, err := g.LossGrad(ctx, grad, w)
			if err != nil || f2 != f {
				t.Errorf("LossGrad loss = %v (%v), want Loss's %v bit for bit", f2, err, f)
			}
			if e := relErr(grad, gwant, 1e-300); e > 1e-13 {
				t.Errorf("LossGrad gradient rel. error %.2g", e)
			}
			if err := g.Grad(ctx, row, w); err != nil || !bitsEqual(row, grad) {
				t.Errorf("Grad differs from LossGrad's gradient (%v)", err)
			}
			if err := g.HessVec(ctx, row, w, u); err != nil {
				t.Fatal(err)
			}
			if e := relErr(row, hwant, 1e-300); e > 1e-13 {
				t.Errorf("HessVec rel. error %.2g", e)
			}
			// WeightedSum with c_n = 1/N, e_n = 1/N is ∇f + Hu.
			cw := make([]float64, n)
			for i := range cw {
				cw[i] = 1 / float64(n)
			}
			if err := g.WeightedSum(ctx, row, w, u, cw, cw); err != nil {
				t.Fatal(err)
			}
			floats.Add(gwant, hwant)
			if e := relErr(row, gwant, 1e-300); e > 1e-13 {
				t.Errorf("WeightedSum rel. error %.2g", e)
			}
		})
	}
}

// TestDiffusion checks invariant 2: the centred dense D equals the
// pairwise form, is PSD with rank ≤ N−1 (exactly 0 for N = 1), and the
// matrix-free D·v equals dense D times v. Both forms are sums of O(N·d)
// products of O(‖g‖²) terms, so they agree to ~N·ε_mach relative; 1e-12
// leaves room. Eigenvalues below 1e-12·λ_max count as zero for the rank.
func TestDiffusion(t *testing.T) {
	for _, tc := range testCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			m, w, v := tc.m, tc.w, tc.u
			n, d := m.Len(), m.Dim()
			g := New(m, &Options{Workers: 2, Chunk: 4})
			var D mat.SymDense
			if err := g.Diffusion(ctx, &D, w); err != nil {
				t.Fatal(err)
			}
			got := symData(&D)
			if n == 1 {
				if maxAbs(got) != 0 {
					t.Errorf("N = 1: D has entries up to %g, want exactly 0", maxAbs(got))
				}
			}
			P := pairwiseD(perSampleGrads(m, w))
			want := symData(P)
			if e := relErr(got, want, 1e-300); n > 1 && e > 1e-12 {
				t.Errorf("centred D vs pairwise form: rel. error %.2g", e)
			}
			var es mat.EigenSym
			if !es.Factorize(&D, false) {
				t.Fatal("EigenSym failed")
			}
			vals := es.Values(nil)
			lmax := vals[d-1]
			rank := 0
			for _, l := range vals {
				if l < -1e-12*lmax {
					t.Errorf("D has eigenvalue %g < 0 (λ_max %g)", l, lmax)
				}
				if l > 1e-12*lmax {
					rank++
				}
			}
			if rank > n-1 {
				t.Errorf("rank(D) = %d > N−1 = %d; eigenvalues %v", rank, n-1, vals)
			}
			dv := make([]float64, d)
			if err := g.DiffusionVec(ctx, dv, w, v); err != nil {
				t.Fatal(err)
			}
			dvWant := make([]float64, d)
			mat.NewVecDense(d, dvWant).MulVec(P, mat.NewVecDense(d, v))
			if n == 1 {
				if maxAbs(dv) != 0 {
					t.Errorf("N = 1: D·v = %v, want exactly 0", dv)
				}
			} else if e := relErr(dv, dvWant, 1e-300); e > 1e-11 {
				t.Errorf("D·v vs dense D v: rel. error %.2g", e)
			}
			tr, err := g.TraceDiffusion(ctx, w)
			if err != nil {
				t.Fatal(err)
			}
			if trWant := mat.Trace(P); math.Abs(tr-trWant) > 1e-12*math.Max(trWant, 1e-300) && !(n == 1 && tr == 0) {
				t.Errorf("tr D = %g, want %g", tr, trWant)
			}
		})
	}
}

// TestLambdaMax checks the Lanczos λ_max against gonum's dense EigenSym to
// 1e-10 relative (DESIGN §1), on shapes with rank D < d, = d, and with N < d.
func TestLambdaMax(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	cases := []struct {
		name string
		m    models.Model
	}{
		{"toy N=60 d=40", newToy(60, 40, 11, false)},
		{"toy N=12 d=40", newToy(12, 40, 12, false)},
		{"toy N=200 d=8", newToy(200, 8, 13, false)},
		{"toy N=2 d=6", newToy(2, 6, 14, false)},
	}
	for _, bm := range builtinModels(t, rng) {
		cases = append(cases, struct {
			name string
			m    models.Model
		}{bm.Name(), bm})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := randVec(rng, c.m.Dim(), 0.5)
			g := New(c.m, &Options{Workers: 2})
			dense, err := g.LambdaMaxDense(ctx, w)
			if err != nil {
				t.Fatal(err)
			}
			res, err := g.LambdaMaxLanczos(ctx, w)
			if err != nil {
				t.Fatal(err)
			}
			if e := math.Abs(res.Value-dense) / dense; e > 1e-10 {
				t.Errorf("Lanczos λ_max = %.17g, EigenSym %.17g: rel. error %.2g (iterations %d, residual %.2g)",
					res.Value, dense, e, res.Iterations, res.Residual)
			}
			t.Logf("λ_max = %.6g after %d Lanczos iterations (residual/θ = %.2g)", res.Value, res.Iterations, res.Residual/res.Value)
			auto, err := g.LambdaMax(ctx, w)
			if err != nil || auto != dense {
				t.Errorf("LambdaMax = %v (%v), want the dense value %v for d ≤ DenseMaxDim", auto, err, dense)
			}
		})
	}
	t.Run("D=0", func(t *testing.T) {
		m := newToy(5, 6, 15, true)
		g := New(m, nil)
		w := randVec(rng, 6, 0.5)
		res, err := g.LambdaMaxLanczos(ctx, w)
		if err != nil || res.Value != 0 {
			t.Errorf("identical samples: Lanczos λ_max = %v (%v), want exactly 0", res.Value, err)
		}
		eps, lam, err := g.Epsilon(ctx, w, EpsilonSpec{Auto: true})
		if err != nil || eps != 0 || lam != 0 {
			t.Errorf("auto ε with D = 0: ε = %v, λ = %v, err %v; want 0, 0, nil", eps, lam, err)
		}
	})
}

// TestResolveEpsilon covers the ε policy and its errors.
func TestResolveEpsilon(t *testing.T) {
	cases := []struct {
		name    string
		spec    EpsilonSpec
		lambda  float64
		want    float64
		wantErr string
	}{
		{"auto default safety", EpsilonSpec{Auto: true}, 4, 0.125, ""},
		{"auto safety 0.9", EpsilonSpec{Auto: true, Safety: 0.9}, 3, 0.3, ""},
		{"auto λ=0", EpsilonSpec{Auto: true}, 0, 0, ""},
		{"auto safety 1", EpsilonSpec{Auto: true, Safety: 1}, 2, 0, "safety factor 1 is outside (0, 1)"},
		{"auto safety -0.1", EpsilonSpec{Auto: true, Safety: -0.1}, 2, 0, "outside (0, 1)"},
		{"fixed valid", EpsilonSpec{Value: 0.2}, 4, 0.2, ""},
		{"fixed zero", EpsilonSpec{Value: 0}, 4, 0, ""},
		{"fixed with λ=0", EpsilonSpec{Value: 100}, 0, 100, ""},
		{"fixed product 1", EpsilonSpec{Value: 0.25}, 4, 0, "epsilon 0.25 with λ_max(D(w0)) = 4 gives ε·λ_max = 1 ≥ 1"},
		{"fixed product 2", EpsilonSpec{Value: 0.5}, 4, 0, "use ε < 0.25 = 1/λ_max"},
		{"fixed negative", EpsilonSpec{Value: -1}, 4, 0, "epsilon -1 is invalid"},
		{"fixed NaN", EpsilonSpec{Value: math.NaN()}, 4, 0, "invalid"},
		{"bad λ", EpsilonSpec{Auto: true}, math.NaN(), 0, "λ_max(D(w0)) = NaN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ResolveEpsilon(c.spec, c.lambda)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.HasPrefix(err.Error(), "engine: ") {
					t.Errorf("err = %v, want an \"engine: \" error containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil || math.Abs(got-c.want) > 1e-15*c.want {
				t.Errorf("ε = %v (%v), want %v", got, err, c.want)
			}
		})
	}
}

// denseMetric returns g = I + εD(w) from the pairwise form.
func denseMetric(m models.Model, w []float64, eps float64) *mat.SymDense {
	d := m.Dim()
	D := pairwiseD(perSampleGrads(m, w))
	G := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			v := eps * D.At(i, j)
			if i == j {
				v++
			}
			G.SetSym(i, j, v)
		}
	}
	return G
}

// autoEps returns ε = 0.5/λ_max from the dense eigensolver (or 0.5).
func autoEps(t testing.TB, m models.Model, w []float64) float64 {
	g := New(m, nil)
	eps, _, err := g.Epsilon(ctx, w, EpsilonSpec{Auto: true, Safety: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	if eps == 0 {
		return 0.5
	}
	return eps
}

// TestPrecondition checks both inverses: weak-field P x = x − εDx against
// the dense product, and the exact inverse by CG and by Woodbury against a
// dense Cholesky solve of (I+εD)y = x. With ε·λ_max = 0.9 the condition
// number is < 1.9, so CG's residual 1e-12 bounds the error by ~2e-12;
// Woodbury and the dense solve agree to rounding. Tolerance 1e-10.
func TestPrecondition(t *testing.T) {
	for _, tc := range testCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			m, w, x := tc.m, tc.w, tc.u
			d := m.Dim()
			eps := autoEps(t, m, w)
			G := denseMetric(m, w, eps)
			var ch mat.Cholesky
			if !ch.Factorize(G) {
				t.Fatal("dense metric not SPD")
			}
			want := mat.NewVecDense(d, nil)
			if err := ch.SolveVecTo(want, mat.NewVecDense(d, x)); err != nil {
				t.Fatal(err)
			}
			for _, s := range []Solver{SolverCG, SolverWoodbury, SolverAuto} {
				g := New(m, &Options{Workers: 2, Chunk: 3, Solver: s})
				got := make([]float64, d)
				if err := g.Precondition(ctx, got, w, x, Exact, eps); err != nil {
					t.Fatalf("%v: %v", s, err)
				}
				if e := relErr(got, want.RawVector().Data, 1e-300); e > 1e-10 {
					t.Errorf("%v exact inverse vs dense solve: rel. error %.2g", s, e)
				}
				// In place (dst aliases x) gives the same bits.
				y := append([]float64(nil), x...)
				if err := g.SolveExact(ctx, y, w, y, eps); err != nil || !bitsEqual(y, got) {
					t.Errorf("%v in-place solve differs (%v)", s, err)
				}
			}
			g := New(m, &Options{Workers: 2, Chunk: 3})
			got := make([]float64, d)
			if err := g.Precondition(ctx, got, w, x, WeakField, eps); err != nil {
				t.Fatal(err)
			}
			D := pairwiseD(perSampleGrads(m, w))
			wf := mat.NewVecDense(d, nil)
			wf.MulVec(D, mat.NewVecDense(d, x))
			wf.AddScaledVec(mat.NewVecDense(d, x), -eps, wf)
			if e := relErr(got, wf.RawVector().Data, 1e-300); e > 1e-11 {
				t.Errorf("weak-field P x vs dense: rel. error %.2g", e)
			}
		})
	}
}

// TestNGDEqualsGDWhenDZero checks invariant 6: with identical samples
// (D = 0) and any ε, NGD with the exact inverse (either solver) and with
// the weak field is −∇f. D·v then vanishes up to the rounding of s̄
// (exactly, with the corrected mean), so the match is to 1e-14.
func TestNGDEqualsGDWhenDZero(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	ms := []models.Model{newToy(6, 4, 21, true), newToy(1, 4, 22, false)}
	same := models.GenerateQuadratics(4, 1, 5, rand.NewPCG(9, 9))
	q, err := models.NewQuadratic([]models.QuadSample{same[0], same[0], same[0]})
	if err != nil {
		t.Fatal(err)
	}
	ms = append(ms, q)
	for _, m := range ms {
		w := randVec(rng, 4, 0.5)
		for _, s := range []Solver{SolverCG, SolverWoodbury} {
			for _, k := range []Kind{Exact, WeakField} {
				g := New(m, &Options{Workers: 2, Chunk: 2, Solver: s})
				grad := make([]float64, 4)
				if err := g.Grad(ctx, grad, w); err != nil {
					t.Fatal(err)
				}
				floats.Scale(-1, grad)
				v := make([]float64, 4)
				if err := g.NGDVelocity(ctx, v, w, Metric{Epsilon: 3.7, Inverse: k}); err != nil {
					t.Fatal(err)
				}
				if e := relErr(v, grad, 1e-300); e > 1e-14 {
					t.Errorf("%s %v %v: NGD velocity vs −∇f rel. error %.2g", m.Name(), s, k, e)
				}
			}
		}
	}
}

// TestChristoffel checks invariant 3: the dense tensor equals
// ½(∂_i g_jk + ∂_j g_ik − ∂_k g_ij) with ∂g from central differences of
// g = I + εD (gonum fd.Jacobian of the dense D; error O(h²) ≈ 1e-10 and
// rounding ≈ ε_mach/h ≈ 1e-11 relative, tolerance 1e-6 relative to max|Γ|),
// the matrix-free contraction equals the tensor contracted (rounding
// only, 1e-11), the exact kind equals (I+εD)⁻¹Γ₁ from a dense solve, and the
// GRD acceleration equals −Hu − Γ(u,u) for both kinds.
func TestChristoffel(t *testing.T) {
	for _, tc := range testCases(t) {
		m, w, u := tc.m, tc.w, tc.u
		d := m.Dim()
		if d > 40 {
			continue // the dense tensor and the FD Jacobian are O(d³)
		}
		t.Run(tc.name, func(t *testing.T) {
			eps := autoEps(t, m, w)
			g := New(m, &Options{Workers: 2, Chunk: 3})
			T := make([]float64, d*d*d)
			if err := g.ChristoffelTensor(ctx, T, w, eps); err != nil {
				t.Fatal(err)
			}
			// FD of the dense D.
			gd := New(m, &Options{Workers: 1})
			var Dm mat.SymDense
			J := mat.NewDense(d*d, d, nil)
			fd.Jacobian(J, func(y, x []float64) {
				Dm.Reset()
				if err := gd.Diffusion(ctx, &Dm, x); err != nil {
					panic(err)
				}
				copy(y, symData(&Dm))
			}, w, &fd.JacobianSettings{Formula: fd.Central})
			dg := func(a, b, c int) float64 { return eps * J.At(a*d+b, c) } // ∂_c g_ab
			fdT := make([]float64, d*d*d)
			for k := 0; k < d; k++ {
				for i := 0; i < d; i++ {
					for j := 0; j < d; j++ {
						fdT[(k*d+i)*d+j] = 0.5 * (dg(j, k, i) + dg(i, k, j) - dg(i, j, k))
					}
				}
			}
			if m.Len() == 1 {
				if maxAbs(T) != 0 {
					t.Errorf("N = 1: Γ tensor not exactly 0 (max %g)", maxAbs(T))
				}
			} else if e := relErr(T, fdT, 1e-300); e > 1e-6 {
				t.Errorf("Γ tensor vs FD of g: rel. error %.2g", e)
			}
			// Symmetry in i, j.
			tmax := maxAbs(T)
			for k := 0; k < d; k++ {
				for i := 0; i < d; i++ {
					for j := 0; j < i; j++ {
						a, b := T[(k*d+i)*d+j], T[(k*d+j)*d+i]
						if math.Abs(a-b) > 1e-12*tmax {
							t.Fatalf("Γ_{%d,%d%d} = %g ≠ Γ_{%d,%d%d} = %g", k, i, j, a, k, j, i, b)
						}
					}
				}
			}
			want := make([]float64, d)
			ContractTensor(want, T, u)
			got := make([]float64, d)
			if err := g.ChristoffelFirst(ctx, got, w, u, eps); err != nil {
				t.Fatal(err)
			}
			scale := maxAbs(want)
			if m.Len() == 1 {
				scale = 1
			}
			if e := relErr(got, want, scale); e > 1e-11 {
				t.Errorf("Γ(u,u) matrix-free vs tensor contracted: rel. error %.2g", e)
			}
			wk := make([]float64, d)
			if err := g.Christoffel(ctx, wk, w, u, WeakField, eps); err != nil || !bitsEqual(wk, got) {
				t.Errorf("Christoffel(WeakField) differs from ChristoffelFirst (%v)", err)
			}
			// Second kind against a dense solve.
			var ch mat.Cholesky
			ch.Factorize(denseMetric(m, w, eps))
			second := mat.NewVecDense(d, nil)
			if err := ch.SolveVecTo(second, mat.NewVecDense(d, want)); err != nil {
				t.Fatal(err)
			}
			ex := make([]float64, d)
			if err := g.Christoffel(ctx, ex, w, u, Exact, eps); err != nil {
				t.Fatal(err)
			}
			if e := relErr(ex, second.RawVector().Data, scale); e > 1e-10 {
				t.Errorf("Γ(u,u) second kind vs dense solve: rel. error %.2g", e)
			}
			// Acceleration a = −Hu − Γ(u,u).
			hu := make([]float64, d)
			if err := g.HessVec(ctx, hu, w, u); err != nil {
				t.Fatal(err)
			}
			for _, k := range []Kind{WeakField, Exact} {
				gam := want
				if k == Exact {
					gam = second.RawVector().Data
				}
				aWant := make([]float64, d)
				for i := range aWant {
					aWant[i] = -hu[i] - gam[i]
				}
				a := make([]float64, d)
				if err := g.Acceleration(ctx, a, w, u, Metric{Epsilon: eps, Christoffel: k}); err != nil {
					t.Fatal(err)
				}
				if e := relErr(a, aWant, 1e-300); e > 1e-10 {
					t.Errorf("acceleration (%v) vs −Hu − Γ(u,u): rel. error %.2g", k, e)
				}
			}
		})
	}
}

// TestResiduals checks R0, R1, R2 and the NGD defect against direct
// per-sample computations (rows formed sample by sample, covariances by
// the pairwise form (1/N²)Σ_{i<j}‖x_i − x_j‖², a different formula).
func TestResiduals(t *testing.T) {
	for _, tc := range testCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			m, w, u := tc.m, tc.w, tc.u
			n, d := m.Len(), m.Dim()
			eps := autoEps(t, m, w)
			for _, met := range []Metric{{Epsilon: eps}, {Epsilon: eps, Inverse: Exact, Christoffel: Exact}} {
				g := New(m, &Options{Workers: 2, Chunk: 3, RowBytes: 8 * d * 2})
				res, err := g.Residuals(ctx, w, u, met)
				if err != nil {
					t.Fatal(err)
				}
				a := make([]float64, d)
				if err := g.Acceleration(ctx, a, w, u, met); err != nil {
					t.Fatal(err)
				}
				ev := m.NewEvaluator(1)
				G := perSampleGrads(m, w)
				Hu := make([][]float64, n)
				An := make([][]float64, n)
				for i := 0; i < n; i++ {
					Hu[i] = make([]float64, d)
					An[i] = make([]float64, d)
					ev.HessVecs(Hu[i], w, u, i, i+1)
					ev.ThirdVecs(An[i], w, u, i, i+1)
					ha := make([]float64, d)
					ev.HessVecs(ha, w, a, i, i+1)
					floats.Add(An[i], ha)
				}
				pair := func(X [][]float64) float64 {
					var s float64
					for i := 0; i < n; i++ {
						for j := i + 1; j < n; j++ {
							s += floats.Distance(X[i], X[j], 2) * floats.Distance(X[i], X[j], 2)
						}
					}
					return math.Sqrt(s) / float64(n)
				}
				check := func(name string, got, want, scale float64) {
					if math.Abs(got-want) > 1e-10*math.Max(scale, 1e-300) {
						t.Errorf("%v: %s = %.17g, want %.17g", met, name, got, want)
					}
				}
				check("R0", res.R0, pair(G), pair(G))
				check("R1", res.R1, pair(Hu), pair(Hu))
				check("R2", res.R2, pair(An), pair(An))
				vel := make([]float64, d)
				if err := g.NGDVelocity(ctx, vel, w, met); err != nil {
					t.Fatal(err)
				}
				floats.Sub(vel, u)
				check("NGDDefect", res.NGDDefect, floats.Norm(vel, 2), floats.Norm(u, 2))
			}
		})
	}
}

// TestWorkerDeterminism checks that every operation gives bit-identical
// results with 1, 2 and 7 workers (DESIGN §2), with a small chunk so that
// there are many chunks and the reduction window is exercised.
func TestWorkerDeterminism(t *testing.T) {
	for _, tc := range testCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			m, w, u := tc.m, tc.w, tc.u
			d := m.Dim()
			eps := autoEps(t, m, w)
			run := func(workers int) [][]float64 {
				var out [][]float64
				vec := func() []float64 { x := make([]float64, d); out = append(out, x); return x }
				sc := func(x ...float64) { out = append(out, x) }
				must := func(err error) {
					if err != nil {
						t.Fatal(err)
					}
				}
				for _, s := range []Solver{SolverCG, SolverWoodbury} {
					g := New(m, &Options{Workers: workers, Chunk: 2, Solver: s, RowBytes: 8 * d * 3})
					f, err := g.Loss(ctx, w)
					must(err)
					f2, err := g.LossGrad(ctx, vec(), w)
					must(err)
					sc(f, f2)
					must(g.Grad(ctx, vec(), w))
					must(g.HessVec(ctx, vec(), w, u))
					must(g.DiffusionVec(ctx, vec(), w, u))
					var D mat.SymDense
					must(g.Diffusion(ctx, &D, w))
					out = append(out, symData(&D))
					lz, err := g.LambdaMaxLanczos(ctx, w)
					must(err)
					sc(lz.Value, lz.Residual)
					for _, k := range []Kind{WeakField, Exact} {
						must(g.Precondition(ctx, vec(), w, u, k, eps))
						must(g.Christoffel(ctx, vec(), w, u, k, eps))
						met := Metric{Epsilon: eps, Inverse: k, Christoffel: k}
						must(g.Acceleration(ctx, vec(), w, u, met))
						must(g.NGDVelocity(ctx, vec(), w, met))
						r, err := g.Residuals(ctx, w, u, met)
						must(err)
						sc(r.R0, r.R1, r.R2, r.NGDDefect)
					}
					tr, err := g.TraceDiffusion(ctx, w)
					must(err)
					sc(tr)
					if d <= 10 {
						T := make([]float64, d*d*d)
						must(g.ChristoffelTensor(ctx, T, w, eps))
						out = append(out, T)
					}
				}
				return out
			}
			ref := run(1)
			for _, workers := range []int{2, 7} {
				got := run(workers)
				for i := range ref {
					if !bitsEqual(got[i], ref[i]) {
						t.Errorf("%d workers: result %d differs from 1 worker: %v vs %v", workers, i, got[i][:min(3, len(got[i]))], ref[i][:min(3, len(ref[i]))])
					}
				}
			}
		})
	}
}

// TestCancel checks that a cancelled context stops passes with an error
// wrapping context.Canceled, serially and in parallel.
func TestCancel(t *testing.T) {
	m := newToy(50, 4, 31, false)
	w := make([]float64, 4)
	c, cancel := context.WithCancel(context.Background())
	cancel()
	for _, workers := range []int{1, 3} {
		g := New(m, &Options{Workers: workers, Chunk: 4})
		dst := make([]float64, 4)
		if err := g.Grad(c, dst, w); !errors.Is(err, context.Canceled) {
			t.Errorf("%d workers: Grad err = %v, want context.Canceled", workers, err)
		}
		if _, err := g.Loss(c, w); !errors.Is(err, context.Canceled) {
			t.Errorf("%d workers: Loss err = %v, want context.Canceled", workers, err)
		}
		if err := g.SolveExact(c, dst, w, []float64{1, 2, 3, 4}, 0.1); !errors.Is(err, context.Canceled) {
			t.Errorf("%d workers: SolveExact err = %v, want context.Canceled", workers, err)
		}
		// Still usable afterwards.
		if err := g.Grad(ctx, dst, w); err != nil {
			t.Errorf("%d workers: Grad after cancel: %v", workers, err)
		}
	}
}

// TestRequireOrder checks that Hessian-based operations refuse a relu
// network (MaxOrder 1) with an error, while first-order ones work.
func TestRequireOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	m, err := models.NewTwoLayer(testData(rng, 5, 2, 2), 3, models.Relu, models.Squared)
	if err != nil {
		t.Fatal(err)
	}
	d := m.Dim()
	g := New(m, nil)
	w, u := randVec(rng, d, 0.5), randVec(rng, d, 1)
	dst := make([]float64, d)
	if err := g.DiffusionVec(ctx, dst, w, u); err != nil {
		t.Errorf("D·v on relu: %v", err)
	}
	if err := g.NGDVelocity(ctx, dst, w, Metric{Epsilon: 0.1}); err != nil {
		t.Errorf("NGD velocity on relu: %v", err)
	}
	errs := map[string]error{
		"HessVec":           g.HessVec(ctx, dst, w, u),
		"ChristoffelFirst":  g.ChristoffelFirst(ctx, dst, w, u, 0.1),
		"Christoffel":       g.Christoffel(ctx, dst, w, u, Exact, 0.1),
		"Acceleration":      g.Acceleration(ctx, dst, w, u, Metric{Epsilon: 0.1}),
		"ChristoffelTensor": g.ChristoffelTensor(ctx, make([]float64, d*d*d), w, 0.1),
	}
	_, errs["Residuals"] = g.Residuals(ctx, w, u, Metric{Epsilon: 0.1})
	for name, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "needs derivatives of order") {
			t.Errorf("%s on relu: err = %v, want an order error", name, err)
		}
	}
}

// TestShapePanics checks that wrong lengths panic with an engine message.
func TestShapePanics(t *testing.T) {
	g := New(newToy(3, 4, 1, false), nil)
	cases := map[string]func(){
		"Grad dst":   func() { _ = g.Grad(ctx, make([]float64, 3), make([]float64, 4)) },
		"HessVec v":  func() { _ = g.HessVec(ctx, make([]float64, 4), make([]float64, 4), make([]float64, 5)) },
		"Tensor dst": func() { _ = g.ChristoffelTensor(ctx, make([]float64, 10), make([]float64, 4), 1) },
		"Diffusion":  func() { _ = g.Diffusion(ctx, mat.NewSymDense(3, nil), make([]float64, 4)) },
		"Contract":   func() { ContractTensor(make([]float64, 2), make([]float64, 8), make([]float64, 3)) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "engine: ") {
					t.Errorf("panic = %v, want an \"engine: \" message", r)
				}
			}()
			f()
		})
	}
}

// TestAllocs checks that steady-state operations allocate nothing with one
// worker, and with two workers only the per-pass goroutine machinery of
// conc's pool (a constant per pass, independent of N and d).
func TestAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are slow-ish")
	}
	m := newToy(40, 5, 41, false)
	rng := rand.New(rand.NewPCG(4, 4))
	w, u := randVec(rng, 5, 0.5), randVec(rng, 5, 1)
	dst := make([]float64, 5)
	for _, workers := range []int{1, 2} {
		for _, s := range []Solver{SolverCG, SolverWoodbury} {
			g := New(m, &Options{Workers: workers, Chunk: 4, Solver: s})
			var D mat.SymDense
			ops := []struct {
				name   string
				passes int
				f      func()
			}{
				{"Loss", 1, func() { _, _ = g.Loss(ctx, w) }},
				{"Grad", 1, func() { _ = g.Grad(ctx, dst, w) }},
				{"HessVec", 1, func() { _ = g.HessVec(ctx, dst, w, u) }},
				{"DiffusionVec", 2, func() { _ = g.DiffusionVec(ctx, dst, w, u) }},
				{"Diffusion", 2, func() { _ = g.Diffusion(ctx, &D, w) }},
				{"ChristoffelFirst", 2, func() { _ = g.ChristoffelFirst(ctx, dst, w, u, 0.1) }},
				{"Christoffel exact", 60, func() { _ = g.Christoffel(ctx, dst, w, u, Exact, 0.1) }},
				{"Acceleration", 2, func() { _ = g.Acceleration(ctx, dst, w, u, Metric{Epsilon: 0.1}) }},
				{"Acceleration exact", 60, func() {
					_ = g.Acceleration(ctx, dst, w, u, Metric{Epsilon: 0.1, Christoffel: Exact})
				}},
				{"NGDVelocity", 3, func() { _ = g.NGDVelocity(ctx, dst, w, Metric{Epsilon: 0.1}) }},
				{"NGDVelocity exact", 60, func() { _ = g.NGDVelocity(ctx, dst, w, Metric{Epsilon: 0.1, Inverse: Exact}) }},
				{"LossGrad", 1, func() { _, _ = g.LossGrad(ctx, dst, w) }},
				{"Residuals", 3, func() { _, _ = g.Residuals(ctx, w, u, Metric{Epsilon: 0.1}) }},
			}
			for _, op := range ops {
				op.f() // warm-up: scratch is sized on first use
				allocs := testing.AllocsPerRun(20, op.f)
				limit := 0.0
				if workers > 1 {
					limit = float64(op.passes * poolAllocsPerPass)
				}
				if allocs > limit {
					t.Errorf("%d workers, %v: %s allocates %v per call, want ≤ %v", workers, s, op.name, allocs, limit)
				}
				if workers > 1 && op.passes == 1 {
					t.Logf("%d workers: %s: %v allocations per pass (conc pool)", workers, op.name, allocs)
				}
			}
		}
	}
}

// poolAllocsPerPass bounds the allocations of one multi-worker pass: the
// conc pool, its limiter channel, its task channel, and one closure and
// goroutine per worker.
const poolAllocsPerPass = 12

// TestPoolStress runs many tiny chunks on many workers (window reuse,
// out-of-order completion) and checks bit-identity with one worker.
func TestPoolStress(t *testing.T) {
	m := newToy(997, 3, 51, false)
	rng := rand.New(rand.NewPCG(5, 1))
	w, v := randVec(rng, 3, 0.5), randVec(rng, 3, 1)
	var ref []float64
	for _, workers := range []int{1, 2, 3, 7, 16} {
		g := New(m, &Options{Workers: workers, Chunk: 1})
		out := make([]float64, 3)
		for rep := 0; rep < 3; rep++ {
			if err := g.DiffusionVec(ctx, out, w, v); err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref = append([]float64(nil), out...)
			} else if !bitsEqual(out, ref) {
				t.Fatalf("%d workers, repetition %d: D·v = %v, want %v bit for bit", workers, rep, out, ref)
			}
		}
	}
}

// panicky wraps a model whose evaluators panic on one sample.
type panicky struct {
	*toy
	bad int
}

func (p *panicky) NewEvaluator(maxChunk int) models.Evaluator {
	return &panickyEval{toyEval: p.toy.NewEvaluator(maxChunk).(*toyEval), p: p}
}

type panickyEval struct {
	*toyEval
	p *panicky
}

func (e *panickyEval) Accumulate(dst []float64, c, ew []float64, w, v []float64, lo, hi int) {
	if lo <= e.p.bad && e.p.bad < hi {
		panic("toy: deliberate failure")
	}
	e.toyEval.Accumulate(dst, c, ew, w, v, lo, hi)
}

// TestPoolPanic checks that a panic in a worker reaches the caller (no
// deadlock of the workers waiting for its slot) and that the Geometry is
// usable afterwards.
func TestPoolPanic(t *testing.T) {
	for _, workers := range []int{1, 3} {
		m := &panicky{toy: newToy(40, 3, 52, false), bad: 5}
		g := New(m, &Options{Workers: workers, Chunk: 2})
		w := make([]float64, 3)
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%d workers: no panic from a failing evaluator", workers)
				}
			}()
			_ = g.Grad(ctx, make([]float64, 3), w)
		}()
		m.bad = -1
		if err := g.Grad(ctx, make([]float64, 3), w); err != nil {
			t.Errorf("%d workers: Grad after a panic: %v", workers, err)
		}
	}
}

// TestErrorKinds: the ε policy's refusals wrap ErrEpsilon and print with
// the package prefix once; Detail drops it.
func TestErrorKinds(t *testing.T) {
	for _, c := range []struct {
		spec EpsilonSpec
		lm   float64
	}{
		{EpsilonSpec{Value: 2}, 1},              // ε·λ_max ≥ 1
		{EpsilonSpec{Value: math.NaN()}, 1},     // not a number
		{EpsilonSpec{Auto: true, Safety: 2}, 1}, // safety outside (0, 1)
		{EpsilonSpec{Auto: true}, math.Inf(1)},  // λ_max not finite
	} {
		_, err := ResolveEpsilon(c.spec, c.lm)
		var e *Error
		if !errors.Is(err, ErrEpsilon) || !errors.As(err, &e) || err.Error() != "engine: "+e.Detail() {
			t.Errorf("ResolveEpsilon(%+v, %g) = %v, want an *Error wrapping ErrEpsilon", c.spec, c.lm, err)
		}
	}
}

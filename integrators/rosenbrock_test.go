package integrators

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// classicalRos converts a transformed Rosenbrock tableau back to the
// classical coefficients (α, Γ, b) of Hairer & Wanner §IV.7: Γ⁻¹ = I/γ − C,
// α = aΓ, b = mΓ.
func classicalRos(tb *rosTableau, w []float64) (alpha, gam *mat.Dense, b []float64) {
	s := len(tb.m)
	gi := mat.NewDense(s, s, nil)
	am := mat.NewDense(s, s, nil)
	for i := 0; i < s; i++ {
		gi.Set(i, i, 1/tb.gamma)
		for j, c := range tb.C[i] {
			gi.Set(i, j, -c)
		}
		for j, a := range tb.a[i] {
			am.Set(i, j, a)
		}
	}
	gam = mat.NewDense(s, s, nil)
	if err := gam.Inverse(gi); err != nil {
		panic(err)
	}
	alpha = mat.NewDense(s, s, nil)
	alpha.Mul(am, gam)
	bv := mat.NewVecDense(s, nil)
	bv.MulVec(gam.T(), mat.NewVecDense(s, append([]float64(nil), w...)))
	return alpha, gam, bv.RawVector().Data
}

// TestRosenbrockOrderConditions checks the rodas4 coefficients against
// the order conditions of Rosenbrock methods (Hairer & Wanner, Solving
// ODEs II, Table IV.7.1) in the classical form: all eight conditions of
// order ≤ 4 for the solution m, those of order ≤ 3 for the embedded
// solution m − e (and that it fails order 4, so the estimate is not
// zero), the nodes c_i = Σ_j α_ij and time weights d_i = Σ_j γ_ij, and
// stiff accuracy (b_i = α_si + γ_si: y1 is the last stage's value).
func TestRosenbrockOrderConditions(t *testing.T) {
	tb := rodas4Tableau()
	s := len(tb.m)
	g := tb.gamma
	check := func(label string, w []float64, order int) (worst float64) {
		alpha, gam, b := classicalRos(tb, w)
		al := make([]float64, s) // α_i
		bp := make([]float64, s) // β'_i = Σ_{j<i} (α_ij + γ_ij)
		beta := func(i, j int) float64 { return alpha.At(i, j) + gam.At(i, j) }
		for i := 0; i < s; i++ {
			for j := 0; j < i; j++ {
				al[i] += alpha.At(i, j)
				bp[i] += beta(i, j)
			}
		}
		type cond struct {
			name      string
			got, want float64
			order     int
		}
		var c [8]float64
		for i := 0; i < s; i++ {
			c[0] += b[i]
			c[1] += b[i] * bp[i]
			c[2] += b[i] * al[i] * al[i]
			c[4] += b[i] * al[i] * al[i] * al[i]
			for k := 0; k < i; k++ {
				c[3] += b[i] * beta(i, k) * bp[k]
				c[5] += b[i] * al[i] * alpha.At(i, k) * bp[k]
				c[6] += b[i] * beta(i, k) * al[k] * al[k]
				for l := 0; l < k; l++ {
					c[7] += b[i] * beta(i, k) * beta(k, l) * bp[l]
				}
			}
		}
		conds := []cond{
			{"Σb", c[0], 1, 1},
			{"Σbβ'", c[1], 0.5 - g, 2},
			{"Σbα²", c[2], 1.0 / 3, 3},
			{"Σbββ'", c[3], 1.0/6 - g + g*g, 3},
			{"Σbα³", c[4], 0.25, 4},
			{"Σbααβ'", c[5], 1.0/8 - g/3, 4},
			{"Σbβα²", c[6], 1.0/12 - g/3, 4},
			{"Σbβββ'", c[7], 1.0/24 - g/2 + 1.5*g*g - g*g*g, 4},
		}
		for _, cd := range conds {
			d := math.Abs(cd.got - cd.want)
			if cd.order <= order && d > 1e-12 {
				t.Errorf("%s: %s = %.16g, want %.16g", label, cd.name, cd.got, cd.want)
			}
			if cd.order > order {
				worst = math.Max(worst, d)
			}
		}
		if label == "solution" {
			for i := 0; i < s; i++ {
				var gs float64
				for j := 0; j <= i; j++ {
					gs += gam.At(i, j)
				}
				if math.Abs(al[i]-tb.c[i]) > 1e-12 || math.Abs(gs-tb.d[i]) > 1e-12 {
					t.Errorf("stage %d: Σα = %.16g (c = %g), Σγ = %.16g (d = %g)", i, al[i], tb.c[i], gs, tb.d[i])
				}
				if d := b[i] - alpha.At(s-1, i) - gam.At(s-1, i); math.Abs(d) > 1e-12 {
					t.Errorf("not stiffly accurate: b_%d − α_s%d − γ_s%d = %g", i, i, i, d)
				}
			}
		}
		return worst
	}
	check("solution", tb.m, 4)
	emb := subVec(tb.m, tb.e)
	if worst := check("embedded", emb, 3); worst < 1e-3 {
		t.Errorf("embedded solution satisfies the order-4 conditions to %g: the error estimate would vanish", worst)
	}
}

// riccati is y' = −2t y², y(0) = 1, y = 1/(1 + t²): nonlinear and
// non-autonomous, so that the Jacobian and ∂F/∂t both matter.
func riccati(t float64, y, dy []float64) { dy[0] = -2 * t * y[0] * y[0] }

// TestRosenbrockConvergence: rodas4 with fixed steps on the Riccati
// problem has observed order 4 ± 0.25 with every Jacobian source and both
// linear solvers. Steps start at h = 1/16, where the error is already
// asymptotic; with directional differences for J·v the error of J
// (O(sqrt ε)) leaves a floor near 1e-11, so that case starts at h = 1/4.
func TestRosenbrockConvergence(t *testing.T) {
	m, _ := MethodByName("rodas4")
	jv := func(t float64, y, v, jv []float64) { jv[0] = -4 * t * y[0] * v[0] }
	jac := func(t float64, y, j []float64) { j[0] = -4 * t * y[0] }
	cases := []struct {
		name string
		p    Problem
		lin  LinearSolver
		n0   int
	}{
		{"dense, differences", Problem{F: riccati}, LinearDense, 32},
		{"dense, Jac", Problem{F: riccati, Jac: jac}, LinearDense, 32},
		{"dense, JV", Problem{F: riccati, JV: jv}, LinearDense, 32},
		{"GMRES, differences", Problem{F: riccati}, LinearGMRES, 8},
		{"GMRES, JV", Problem{F: riccati, JV: jv}, LinearGMRES, 32},
	}
	for _, c := range cases {
		var hs, errs []float64
		for lvl := 0; lvl < 5; lvl++ {
			n := c.n0 << lvl
			p := c.p
			p.Y0, p.T0, p.T1 = []float64{1}, 0, 2
			dt := 2 / float64(n)
			res, err := Solve(context.Background(), p, m, []float64{2}, &Settings{Dt: dt, Linear: c.lin, RTol: 1e-12, ATol: 1e-12})
			if err != nil {
				t.Fatal(err)
			}
			hs = append(hs, dt)
			errs = append(errs, math.Abs(res.Y[0][0]-0.2))
		}
		slope := slopeOf(hs, errs)
		t.Logf("%-20s errors %.3g … %.3g, slope %.3f", c.name, errs[0], errs[4], slope)
		if math.Abs(slope-4) > 0.25 {
			t.Errorf("%s: observed order %.3f, want 4 ± 0.25 (errors %.3g)", c.name, slope, errs)
		}
	}
}

func slopeOf(h, e []float64) float64 {
	var sx, sy, sxx, sxy float64
	n := float64(len(h))
	for i := range h {
		x, y := math.Log(h[i]), math.Log(e[i])
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

// robertson is Robertson's chemical kinetics, the classic stiff test
// (Hairer & Wanner II, §IV.1).
func robertson(_ float64, y, dy []float64) {
	dy[0] = -0.04*y[0] + 1e4*y[1]*y[2]
	dy[2] = 3e7 * y[1] * y[1]
	dy[1] = -dy[0] - dy[2]
}

// TestRodas4Robertson integrates Robertson's problem to t = 40 and
// compares with the reference values of Hairer & Wanner (computed at
// tight tolerance; y(40) = 0.7158270687193, 9.185534764e-6,
// 0.2841637457): within 1e-5 relative at RTol = 1e-7, in a few hundred
// steps. dopri5 needs ~ 10⁴ times the work (tested in the stiffness test).
func TestRodas4Robertson(t *testing.T) {
	want := []float64{0.7158270687193, 9.185534764e-6, 0.2841637457}
	m, _ := MethodByName("rodas4")
	for _, lin := range []LinearSolver{LinearDense, LinearGMRES} {
		res, err := Solve(context.Background(), Problem{F: robertson, Y0: []float64{1, 0, 0}, T1: 40, Autonomous: true},
			m, nil, &Settings{RTol: 1e-7, ATol: 1e-12, Linear: lin})
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range want {
			if d := math.Abs(res.YEnd[i]-w) / w; d > 1e-5 {
				t.Errorf("linear %d: y%d(40) = %.10g, want %.10g (relative error %.2g)", lin, i, res.YEnd[i], w, d)
			}
		}
		t.Logf("linear %d: %+v", lin, res.Stats)
		if res.Stats.Accepted > 500 {
			t.Errorf("linear %d: %d steps for Robertson to t=40", lin, res.Stats.Accepted)
		}
		// One Jacobian per point (a rejected attempt reuses it), one LU per
		// attempt (dense), six solves per attempt.
		st := res.Stats
		attempts := st.Accepted + st.Rejected
		if st.NJac != st.Accepted || st.NLinSolve != 6*attempts || (lin == LinearDense && st.NDecomp != attempts) ||
			(lin == LinearGMRES && (st.NJv != st.NKrylov || st.NDecomp != 0)) {
			t.Errorf("linear %d: counters %+v", lin, st)
		}
	}
}

// TestRodas4Failures: bad linear algebra ends the run with status
// LinearSolveFailed and an error saying why, never a hang.
func TestRodas4Failures(t *testing.T) {
	m, _ := MethodByName("rodas4")
	ctx := context.Background()
	lin := func(_ float64, y, dy []float64) { dy[0] = 4 * y[0] }
	// With Dt = 1 and γ = 1/4, I/(γh) − J = 4 − 4 = 0.
	res, err := Solve(ctx, Problem{F: lin, Jac: func(_ float64, _, j []float64) { j[0] = 4 }, Y0: []float64{1}, T1: 2}, m, nil, &Settings{Dt: 1})
	if !errors.Is(err, ErrLinearSolve) || res == nil || res.Status != LinearSolveFailed || !strings.Contains(err.Error(), "singular") {
		t.Errorf("singular matrix: status %v, err %v", res.Status, err)
	}
	// Adaptive: a singular matrix halves the step, which cures it.
	res, err = Solve(ctx, Problem{F: lin, Jac: func(_ float64, _, j []float64) { j[0] = 4 }, Y0: []float64{1}, T1: 2}, m, nil, &Settings{H0: 1})
	if err != nil || res.Status != Success {
		t.Errorf("singular matrix at the first step, adaptive: status %v, err %v", res.Status, err)
	}
	// A non-finite Jacobian ends the run at once.
	res, err = Solve(ctx, Problem{F: lin, JV: func(_ float64, _, _, jv []float64) { jv[0] = math.NaN() }, Y0: []float64{1}, T1: 2}, m, nil, nil)
	if !errors.Is(err, ErrLinearSolve) || res.Status != LinearSolveFailed || !strings.Contains(err.Error(), "not finite") || res.Stats.Rejected != 1 {
		t.Errorf("NaN Jacobian: status %v, stats %+v, err %v", res.Status, res.Stats, err)
	}
	// GMRES that cannot converge (one iteration allowed on a 20-dimensional
	// stiff problem): the step is halved maxLinFail times, then the run ends.
	n := 20
	stiff := func(_ float64, y, dy []float64) {
		for i := range y {
			dy[i] = -math.Pow(10, float64(i)/4) * y[i]
		}
	}
	y0 := make([]float64, n)
	for i := range y0 {
		y0[i] = 1
	}
	d, err := newDriver(Problem{F: stiff, Y0: y0, T1: 10, Autonomous: true}, m, nil, &Settings{Linear: LinearGMRES})
	if err != nil {
		t.Fatal(err)
	}
	d.kr.ros.lin.(*krylov).maxIter = 1
	res, err = d.run(ctx)
	if !errors.Is(err, ErrLinearSolve) || res.Status != LinearSolveFailed || !strings.Contains(err.Error(), "GMRES did not converge") {
		t.Errorf("GMRES: status %v, err %v", res.Status, err)
	}
	t.Log(err)
	// An invalid solver choice is refused before the run.
	if _, err := Solve(ctx, Problem{F: lin, Y0: []float64{1}, T1: 1}, m, nil, &Settings{Linear: 7}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Linear = 7: err %v, want ErrInvalid", err)
	}
}

// BenchmarkRodas4Linear times rodas4 with the dense LU and with GMRES on
// the gradient flow of a quadratic with condition 10⁴ (exact J·v) for
// several dimensions: the crossover sets DenseMaxDim.
func BenchmarkRodas4Linear(b *testing.B) {
	m, _ := MethodByName("rodas4")
	for _, d := range []int{25, 50, 100, 200, 400} {
		f, jv, _ := quadraticFlow(d, 1e4)
		y0 := make([]float64, d)
		for i := range y0 {
			y0[i] = 1
		}
		p := Problem{F: f, JV: jv, Y0: y0, T1: 30, Autonomous: true}
		for _, lin := range []LinearSolver{LinearDense, LinearGMRES} {
			name := map[LinearSolver]string{LinearDense: "dense", LinearGMRES: "gmres"}[lin]
			b.Run(fmt.Sprintf("d=%d/%s", d, name), func(b *testing.B) {
				var st Stats
				for b.Loop() {
					res, err := Solve(context.Background(), p, m, nil, &Settings{RTol: 1e-6, ATol: 1e-10, Linear: lin})
					if err != nil {
						b.Fatal(err)
					}
					st = res.Stats
				}
				b.ReportMetric(float64(st.NJv), "Jv/op")
				b.ReportMetric(float64(st.Accepted), "steps/op")
			})
		}
	}
}

package integrators

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

// rock4Step runs one rock4 step of degree index idx on y' = λy (scalar)
// from y(0) = 1 with step h, and returns y1 and the error measure.
func rock4Step(t *testing.T, idx int, lambda, h float64) (y1, errm float64) {
	t.Helper()
	p := Problem{F: func(_ float64, y, dy []float64) { dy[0] = lambda * y[0] }, Y0: []float64{1}, T0: 0, T1: h}
	kr := newKernel(tableauRock4(), p.F, 1, stepRock4)
	kr.norm = ErrorNorm{RTol: 1, ATol: 1}
	r := newRock4(kr, p, kr.norm, &Settings{MaxStep: h})
	kr.rock = r
	y, out := []float64{1}, []float64{0}
	kr.f(0, y, kr.k[0])
	errm = r.stepDegree(idx, 0, h, h, y, out, true)
	return out[0], errm
}

// TestRock4Polynomials checks the transcribed tables degree by degree
// through the stability polynomial R(z) of one step on y' = λy, z = hλ:
// R(z) − e^z = O(z⁵) (order 4: the error ratio between z = −0.1 and
// −0.05 is 2⁵ within ±0.3 in the exponent); the embedded solution has
// order 3 (the estimate behaves like z⁴); and |R(−x)| ≤ 1 for every
// x = h·ρ for which rock4Degree selects that degree — the stability
// promise the degree selection relies on.
func TestRock4Polynomials(t *testing.T) {
	for idx, m := range rock4Degrees {
		e := func(h float64) (float64, float64) {
			y1, errm := rock4Step(t, idx, -1, h)
			return math.Abs(y1 - math.Exp(-h)), errm
		}
		e1, est1 := e(0.1)
		e2, est2 := e(0.05)
		if p := math.Log2(e1 / e2); math.Abs(p-5) > 0.3 {
			t.Errorf("degree %d: local error %.3g → %.3g, order of R(z) − e^z %.2f, want 5", m, e1, e2, p)
		}
		if p := math.Log2(est1 / est2); math.Abs(p-4) > 0.3 {
			t.Errorf("degree %d: error estimate %.3g → %.3g, order %.2f, want 4", m, est1, est2, p)
		}
		xmax := 0.353*float64(m+4)*float64(m+4) - 3
		worst, at := 0.0, 0.0
		for i := 1; i <= 2000; i++ {
			x := xmax * float64(i) / 2000
			if rock4Degree(x) != idx {
				continue
			}
			if y1, _ := rock4Step(t, idx, -x, 1); math.Abs(y1) > worst {
				worst, at = math.Abs(y1), x
			}
		}
		if worst > 1+1e-9 {
			t.Errorf("degree %d (%d stages): |R(−%g)| = %.6g > 1 inside the range the degree is chosen for", m, m+4, at, worst)
		}
	}
}

// diagonal returns y' = Λy with Λ = diag(λ_i), λ_i log-spaced from −1 to
// −lmax, y0 = 1, with its exact solution; jv supplies J·v if set.
func diagonal(n int, lmax, t1 float64, jv bool) (Problem, func(t float64) []float64) {
	lam := make([]float64, n)
	for i := range lam {
		lam[i] = -math.Pow(lmax, float64(i)/float64(n-1))
	}
	y0 := make([]float64, n)
	for i := range y0 {
		y0[i] = 1
	}
	p := Problem{F: func(_ float64, y, dy []float64) {
		for i, l := range lam {
			dy[i] = l * y[i]
		}
	}, Y0: y0, T0: 0, T1: t1, Autonomous: true}
	if jv {
		p.JV = func(_ float64, _, v, out []float64) {
			for i, l := range lam {
				out[i] = l * v[i]
			}
		}
	}
	return p, func(t float64) []float64 {
		y := make([]float64, n)
		for i, l := range lam {
			y[i] = math.Exp(l * t)
		}
		return y
	}
}

// heat is the 1-D heat equation u_t = u_xx on (0, 1), u = 0 at both ends,
// by central differences on n interior points, from u0 = sin(πx) +
// sin(3πx)/2 — a combination of two eigenvectors of the discrete
// Laplacian, so the exact solution of the ODE is known: each decays with
// its eigenvalue −(4/Δx²) sin²(kπΔx/2). ρ(J) ≈ 4/Δx².
func heat(n int, t1 float64) (Problem, func(t float64) []float64) {
	dx := 1 / float64(n+1)
	c := 1 / (dx * dx)
	mode := func(k float64, t float64, y []float64, a float64) {
		l := -4 * c * math.Pow(math.Sin(k*math.Pi*dx/2), 2)
		for i := range y {
			y[i] += a * math.Exp(l*t) * math.Sin(k*math.Pi*float64(i+1)*dx)
		}
	}
	exact := func(t float64) []float64 {
		y := make([]float64, n)
		mode(1, t, y, 1)
		mode(3, t, y, 0.5)
		return y
	}
	f := func(_ float64, u, du []float64) {
		for i := range u {
			l, r := 0.0, 0.0
			if i > 0 {
				l = u[i-1]
			}
			if i < n-1 {
				r = u[i+1]
			}
			du[i] = c * (l - 2*u[i] + r)
		}
	}
	return Problem{F: f, Y0: exact(0), T0: 0, T1: t1, Autonomous: true}, exact
}

// TestRock4Stiff solves stiff linear problems with a real negative
// spectrum (a diagonal one with eigenvalues from −1 to −10⁴, and the heat
// equation with ρ ≈ 4·10⁴) at RTol 1e-6: the error at T1 must be below
// 1e-5 (relative to the largest component) and the evaluations at least
// 5× fewer than dopri5's, which is limited by stability; with J·v given
// or by differences of F.
func TestRock4Stiff(t *testing.T) {
	rock, _ := MethodByName("rock4")
	dp, _ := MethodByName("dopri5")
	hp, hex := heat(99, 0.1)
	dg, dex := diagonal(100, 1e4, 2, false)
	dgj, _ := diagonal(100, 1e4, 2, true)
	for _, c := range []struct {
		name  string
		p     Problem
		exact func(float64) []float64
		jv    bool
	}{{"heat", hp, hex, false}, {"diagonal", dg, dex, false}, {"diagonal+JV", dgj, dex, true}} {
		set := &Settings{RTol: 1e-6, ATol: 1e-9}
		r, err := Solve(context.Background(), c.p, rock, nil, set)
		if err != nil {
			t.Fatalf("%s: rock4: %v", c.name, err)
		}
		d, err := Solve(context.Background(), c.p, dp, nil, set)
		if err != nil {
			t.Fatalf("%s: dopri5: %v", c.name, err)
		}
		want := c.exact(c.p.T1)
		var e, scale float64
		for i, v := range want {
			e = math.Max(e, math.Abs(r.YEnd[i]-v))
			scale = math.Max(scale, math.Abs(v))
		}
		t.Logf("%-12s rock4: error %.2e (scale %.2e), nfev %d (%d steps, %d rejected, %d ρ estimates, %d J·v, ≤ %d stages); dopri5 nfev %d",
			c.name, e, scale, r.Stats.NFev, r.Stats.Accepted, r.Stats.Rejected, r.Stats.NRho, r.Stats.NJv, r.Stats.MaxStages, d.Stats.NFev)
		if e > 1e-5*scale {
			t.Errorf("%s: rock4 error %.3g, want ≤ %.3g", c.name, e, 1e-5*scale)
		}
		if 5*r.Stats.NFev > d.Stats.NFev {
			t.Errorf("%s: rock4 %d evaluations, dopri5 %d: want ≥ 5× fewer", c.name, r.Stats.NFev, d.Stats.NFev)
		}
		if r.Stats.NRho < 2 || r.Stats.NJv == 0 || r.Stats.MaxStages < 6 {
			t.Errorf("%s: stats %+v: want repeated ρ estimates and more than the minimal 5 stages", c.name, r.Stats)
		}
		if r.Stats.NFev < r.Stats.NJv && !c.jv {
			t.Errorf("%s: %d evaluations do not include the %d differences of the power iteration", c.name, r.Stats.NFev, r.Stats.NJv)
		}
	}
}

// TestRock4Bound: a correct user bound (Settings.SpectralRadius) gives the
// same accuracy without estimates (one check before the first step).
func TestRock4Bound(t *testing.T) {
	rock, _ := MethodByName("rock4")
	p, ex := heat(99, 0.1)
	rho := 4 * 100.0 * 100.0
	r, err := Solve(context.Background(), p, rock, nil, &Settings{RTol: 1e-6, ATol: 1e-9, SpectralRadius: rho})
	if err != nil {
		t.Fatal(err)
	}
	want := ex(p.T1)
	var e float64
	for i, v := range want {
		e = math.Max(e, math.Abs(r.YEnd[i]-v))
	}
	if e > 1e-5 || r.Stats.NRho > 1+r.Stats.Rejected/rock4CheckRejects {
		t.Errorf("bound %g: error %.3g, stats %+v: want error ≤ 1e-5 and ρ checked only before the first step and after every %d rejections",
			rho, e, r.Stats, rock4CheckRejects)
	}
}

// TestRock4Failures: every way rock4 can distrust its spectral radius ends
// the run with SpectralRadiusFailed and a message that says why; a step
// needing more stages than the table has is shortened and counted.
func TestRock4Failures(t *testing.T) {
	rock, _ := MethodByName("rock4")
	ctx := context.Background()

	// A violated bound: ρ = 10⁴, bound 10.
	p, _ := diagonal(20, 1e4, 1, false)
	res, err := Solve(ctx, p, rock, nil, &Settings{SpectralRadius: 10})
	if !errors.Is(err, ErrSpectralRadius) || res.Status != SpectralRadiusFailed || !strings.Contains(err.Error(), "Settings.SpectralRadius = 10 is violated") {
		t.Errorf("violated bound: status %v, err %v", res.Status, err)
	}

	// A power iteration that cannot converge: three eigenvalues of equal
	// modulus 10³ (a complex pair 10³·e^{±i} and −10³), made non-normal
	// by S = diag(1, 100, 10): J = S·B·S⁻¹, the iterates never settle
	// near a line or a plane.
	c, s := 1e3*math.Cos(1), 1e3*math.Sin(1)
	tri := Problem{F: func(_ float64, y, dy []float64) {
		dy[0], dy[1], dy[2] = c*y[0]-s/100*y[1], 100*s*y[0]+c*y[1], -1e3*y[2]
		dy[0] += 0.1 * y[2] // couple the blocks a little
	}, Y0: []float64{1, 1, 1}, T0: 0, T1: 1}
	res, err = Solve(ctx, tri, rock, nil, nil)
	if !errors.Is(err, ErrSpectralRadius) || res.Status != SpectralRadiusFailed || !strings.Contains(err.Error(), "did not converge") {
		t.Errorf("non-converging power iteration: status %v, err %v", res.Status, err)
	}

	// A dominant complex pair, J = 10³·S·R(1)·S⁻¹ with S = diag(1, 100)
	// (eigenvalues 10³·e^{±i}, strongly non-normal): ‖Jv‖/‖v‖ never
	// settles, Rayleigh–Ritz on the last two iterates gives 10³.
	cpx := Problem{F: func(_ float64, y, dy []float64) { dy[0], dy[1] = c*y[0]-s/100*y[1], 100*s*y[0]+c*y[1] }, Y0: []float64{1, 1}, T0: 0, T1: 1e-3}
	kr := newKernel(tableauRock4(), cpx.F, 2, stepRock4)
	r := newRock4(kr, cpx, ErrorNorm{RTol: 1e-6, ATol: 1e-9}, &Settings{MaxStep: 1})
	kr.f(0, cpx.Y0, kr.k[0])
	if rho, err := r.power(0, cpx.Y0, kr.k[0]); err != nil || math.Abs(rho-1e3) > 20 {
		t.Errorf("complex pair: ρ ≈ %g, err %v: want 10³", rho, err)
	}

	// A ± pair, J = [[0, 10⁴], [10², 0]] (eigenvalues ±10³): ‖Jv‖/‖v‖
	// alternates between 10² and 10⁴.
	osc := Problem{F: func(_ float64, y, dy []float64) { dy[0], dy[1] = 1e4*y[1], 1e2*y[0] }, Y0: []float64{1, 0}, T0: 0, T1: 1e-3}
	res, err = Solve(ctx, osc, rock, nil, nil)
	if err != nil || res.Stats.NRho == 0 {
		t.Errorf("± pair: err %v, stats %+v", err, res.Stats)
	} else if want := math.Cosh(1e3 * 1e-3); math.Abs(res.YEnd[0]-want) > 1e-5*want {
		t.Errorf("± pair: y_0(1e-3) = %.10g, want cosh(1) = %.10g", res.YEnd[0], want)
	}

	// More stages than the table has: ρ = 10⁸ over t1 = 1, loose
	// tolerances: steps are capped and counted, the run succeeds.
	p, ex := diagonal(10, 1e8, 1, true)
	res, err = Solve(ctx, p, rock, nil, &Settings{RTol: 1e-4, ATol: 1e-6})
	if err != nil || res.Stats.NCapped == 0 || res.Stats.MaxStages > 152 {
		t.Errorf("capped degree: err %v, stats %+v: want success with NCapped > 0 and at most 152 stages", err, res.Stats)
	} else if d := math.Abs(res.YEnd[0] - ex(1)[0]); d > 1e-3 {
		t.Errorf("capped degree: y_0(1) off by %.3g", d)
	}

	// Fixed steps too large for 152 stages.
	res, err = Solve(ctx, p, rock, nil, &Settings{Dt: 0.1})
	if !errors.Is(err, ErrSpectralRadius) || res.Status != SpectralRadiusFailed || !strings.Contains(err.Error(), "lower Dt") {
		t.Errorf("fixed step too large: status %v, err %v", res.Status, err)
	}

	// An invalid bound.
	if _, err := Solve(ctx, p, rock, nil, &Settings{SpectralRadius: -1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative SpectralRadius: want ErrInvalid, got %v", err)
	}
	if SpectralRadiusFailed.String() != "spectral-radius-failed" || SpectralRadiusFailed.Err() != ErrSpectralRadius {
		t.Errorf("status %v: %v", SpectralRadiusFailed, SpectralRadiusFailed.Err())
	}
}

// TestRock4Events: events are located on rock4's Hermite dense output.
func TestRock4Events(t *testing.T) {
	rock, _ := MethodByName("rock4")
	p, _ := heat(49, 1)
	// u at the midpoint decays like e^{−π²t} (mode 1) plus mode 3 (zero at
	// x = 1/2·(odd)): crosses 0.5 near t = ln 2/λ_1.
	mid := 24
	dx := 1 / 50.0
	l1 := 4 / (dx * dx) * math.Pow(math.Sin(math.Pi*dx/2), 2)
	m3 := math.Sin(3 * math.Pi * float64(mid+1) * dx) // mode 3's value at the midpoint: −1
	ev := Event{G: func(_ float64, y []float64) float64 { return y[mid] - 0.25 }, Terminal: true}
	res, err := Solve(context.Background(), p, rock, nil, &Settings{RTol: 1e-8, ATol: 1e-10, Events: []Event{ev}})
	if err != nil || res.Status != EventTerminated || len(res.Events) != 1 {
		t.Fatalf("status %v, err %v, events %v", res.Status, err, res.Events)
	}
	// Solve e^{−λ1 t} + m3/2·e^{−λ3 t} = 0.25 by Newton from the event.
	l3 := 4 / (dx * dx) * math.Pow(math.Sin(3*math.Pi*dx/2), 2)
	tt := res.Events[0].T
	for range 20 {
		g := math.Exp(-l1*tt) + m3/2*math.Exp(-l3*tt) - 0.25
		dg := -l1*math.Exp(-l1*tt) - l3*m3/2*math.Exp(-l3*tt)
		tt -= g / dg
	}
	if d := math.Abs(res.Events[0].T - tt); d > 1e-6 {
		t.Errorf("event at t=%.10g, exact %.10g (off by %.2g)", res.Events[0].T, tt, d)
	}
}

// TestRock4GlobalError measures what rock4's error control delivers on the
// gradient flow of a diagonal quadratic (eigenvalues 1 … 10⁴, t1 = 20,
// RTol 1e-6, ATol 1e-10), in units of the tolerance per component
// (ATol + RTol·|y_i|) at every step end, beside rodas4. ROCK4's embedded
// order-3 estimate has an error constant that shrinks with the degree
// (measured here too: at 152 stages it is about 20× below the true local
// error of a step on y' = −y with h = 0.1, at 5 stages 3.5× above it), so
// on the slow modes, which its long steps integrate with an error ≈ h⁵/120,
// the estimate passes steps whose true error is far above the tolerance:
// rock4's global error reaches about 120 tolerance units where rodas4's
// stays near 1. The bounds are this measurement with a margin; a change
// that makes rock4 worse (or better: then tighten them) fails here.
func TestRock4GlobalError(t *testing.T) {
	const d = 10
	lam := make([]float64, d)
	for i := range lam {
		lam[i] = math.Pow(1e4, float64(i)/(d-1))
	}
	y0 := make([]float64, d)
	for i := range y0 {
		y0[i] = 1
	}
	p := Problem{F: func(_ float64, y, dy []float64) {
		for i, l := range lam {
			dy[i] = -l * y[i]
		}
	}, JV: func(_ float64, _, v, out []float64) {
		for i, l := range lam {
			out[i] = -l * v[i]
		}
	}, Y0: y0, T0: 0, T1: 20, Autonomous: true}
	const rtol, atol = 1e-6, 1e-10
	units := map[string]float64{}
	for _, name := range []string{"rodas4", "rock4"} {
		m, _ := MethodByName(name)
		worst := 0.0
		rec := RecorderFunc(func(s StepInfo) error {
			for i, l := range lam {
				want := math.Exp(-l * s.T1)
				worst = math.Max(worst, math.Abs(s.Y[i]-want)/(atol+rtol*want))
			}
			return nil
		})
		res, err := Solve(context.Background(), p, m, nil, &Settings{RTol: rtol, ATol: atol, Recorder: rec})
		if err != nil {
			t.Fatal(err)
		}
		units[name] = worst
		t.Logf("%s: %d steps, %d evaluations: worst error at a step end %.3g tolerance units", name, res.Stats.Accepted, res.Stats.NFev, worst)
	}
	if units["rodas4"] > 3 || units["rock4"] > 300 {
		t.Errorf("worst errors in tolerance units: rodas4 %.3g (want ≤ 3), rock4 %.3g (want ≤ 300)", units["rodas4"], units["rock4"])
	}
	// The estimate against the true local error of one step on y' = −y.
	ratio := func(idx int) float64 {
		y1, est := rock4Step(t, idx, -1, 0.1)
		return est / math.Abs(y1-math.Exp(-0.1))
	}
	lo, hi := ratio(0), ratio(len(rock4Degrees)-1)
	t.Logf("estimate / true local error at h = 0.1: %.3g with 5 stages, %.3g with 152", lo, hi)
	if !(lo > 1 && hi < 0.1) {
		t.Errorf("estimate / true local error: %.3g (5 stages), %.3g (152 stages): want > 1 and < 0.1", lo, hi)
	}
}

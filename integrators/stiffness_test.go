package integrators

import (
	"context"
	"math"
	"testing"

	"github.com/grd-engine/grd/integrators/internal/odetest"
)

// quadraticFlow is the gradient flow y' = −H y of ½ yᵀHy with H diagonal,
// eigenvalues log-spaced from 1 to cond.
func quadraticFlow(d int, cond float64) (Func, func(t float64, y, v, jv []float64), []float64) {
	lam := make([]float64, d)
	for i := range lam {
		lam[i] = math.Pow(cond, float64(i)/float64(d-1))
	}
	f := func(_ float64, y, dy []float64) {
		for i, l := range lam {
			dy[i] = -l * y[i]
		}
	}
	jv := func(_ float64, _, v, jv []float64) {
		for i, l := range lam {
			jv[i] = -l * v[i]
		}
	}
	return f, jv, lam
}

// TestStiffnessDetection: dopri5 and dop853 report stiffness on
// Robertson's problem and on a quadratic gradient flow with condition
// 10⁴, with h·ρ above their bound, and stay silent on the (non-stiff)
// Arenstorf orbit, integrated over ten periods at a tolerance that takes
// thousands of steps. rodas4 on the same stiff problems needs less than a
// tenth of the evaluations (F and J·v).
func TestStiffnessDetection(t *testing.T) {
	ctx := context.Background()
	qf, qjv, _ := quadraticFlow(20, 1e4)
	ones := make([]float64, 20)
	for i := range ones {
		ones[i] = 1
	}
	stiff := []struct {
		name string
		p    Problem
	}{
		{"robertson", Problem{F: robertson, Y0: []float64{1, 0, 0}, T1: 20, Autonomous: true}},
		{"quadratic", Problem{F: qf, JV: qjv, Y0: ones, T1: 30, Autonomous: true}},
	}
	rodas4, _ := MethodByName("rodas4")
	for _, name := range []string{"dopri5", "dop853"} {
		m, _ := MethodByName(name)
		for _, c := range stiff {
			res, err := Solve(ctx, c.p, m, nil, &Settings{RTol: 1e-6, ATol: 1e-10, MaxSteps: 1e6})
			if err != nil {
				t.Fatal(err)
			}
			st := res.Stiffness
			if st == nil {
				t.Errorf("%s on %s: no stiffness reported after %d steps", name, c.name, res.Stats.Accepted)
				continue
			}
			t.Logf("%s on %s: stiff at t=%.4g (step %d, h·ρ = %.3g); %d evaluations in all", name, c.name, st.T, st.Step, st.HRho, res.Stats.NFev)
			if st.HRho <= st.Bound || st.Step < stiffEvery || st.T <= c.p.T0 || st.T >= c.p.T1 {
				t.Errorf("%s on %s: implausible report %+v", name, c.name, *st)
			}
			rr, err := Solve(ctx, c.p, rodas4, nil, &Settings{RTol: 1e-6, ATol: 1e-10})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("rodas4 on %s: %+v", c.name, rr.Stats)
			if work := rr.Stats.NFev + rr.Stats.NJv; 10*work > res.Stats.NFev {
				t.Errorf("%s on %s: rodas4 needs %d evaluations, %s %d", name, c.name, work, name, res.Stats.NFev)
			}
		}
		p := odetest.Arenstorf()
		res, err := Solve(ctx, Problem{F: p.F, Y0: p.Y0, T1: 10 * p.T1}, m, nil, &Settings{RTol: 1e-12, ATol: 1e-12, MaxSteps: 1e6})
		if err != nil {
			t.Fatal(err)
		}
		if res.Stats.Accepted < 2*stiffEvery {
			t.Fatalf("%s: only %d steps on Arenstorf, the test never runs", name, res.Stats.Accepted)
		}
		if res.Stiffness != nil {
			t.Errorf("%s on Arenstorf: stiffness reported: %+v", name, *res.Stiffness)
		}
	}
}

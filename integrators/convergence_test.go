package integrators

import (
	"context"
	"math"
	"testing"

	"github.com/grd-engine/grd/integrators/internal/odetest"
)

// solveFixed runs m with n fixed steps on p and returns the max-norm error
// at T1 against the exact solution.
func solveFixed(t *testing.T, p odetest.Problem, m Method, n int) float64 {
	t.Helper()
	dt := (p.T1 - p.T0) / float64(n)
	res, err := Solve(context.Background(), Problem{F: p.F, Y0: p.Y0, T0: p.T0, T1: p.T1}, m, []float64{p.T1}, &Settings{Dt: dt})
	if err != nil {
		t.Fatalf("%s/%s: %v", m.Name(), p.Name, err)
	}
	if res.Stats.Accepted != n {
		t.Fatalf("%s/%s: %d steps, want %d", m.Name(), p.Name, res.Stats.Accepted, n)
	}
	exact := make([]float64, len(p.Y0))
	p.Exact(p.T1, exact)
	return odetest.MaxErr(res.Y[0], exact)
}

// TestConvergenceOrder halves a fixed step 4 times (5 levels) on problems
// with exact solutions and checks that the least-squares slope of log(error)
// against log(h) is within ±0.25 of each method's nominal order. Adaptive
// methods run with step-size control switched off (Settings.Dt). Interval
// T1 and coarsest step count n0 are chosen per case so that all five errors
// lie between the pre-asymptotic regime and the round-off floor: Tsit5's
// coefficients make its h^5 term small on linear problems, so it needs finer
// steps before the h^5 term dominates; DOP853 reaches round-off within a few
// halvings, so it starts from steps of size ~1.
func TestConvergenceOrder(t *testing.T) {
	type cfg struct {
		t1 float64
		n0 int
	}
	def := map[string]cfg{
		"euler": {2, 200}, "heun": {2, 40}, "rk4": {2, 10}, "bs3": {2, 20},
		"dopri5": {2, 8}, "tsit5": {10, 64}, "dop853": {10, 8}, "rodas4": {2, 8}, "rock4": {2, 8}, "auto": {2, 8},
	}
	override := map[[2]string]cfg{
		{"tsit5", "decay"}:     {4, 32},
		{"dop853", "decay"}:    {4, 2},
		{"dop853", "harmonic"}: {10, 4},
	}
	for _, name := range Methods() {
		m, _ := MethodByName(name)
		for _, pname := range []string{"decay", "harmonic", "linear4"} {
			c, ok := override[[2]string{name, pname}]
			if !ok {
				c = def[name]
			}
			var p odetest.Problem
			switch pname {
			case "decay":
				p = odetest.Decay(-1, c.t1)
			case "harmonic":
				p = odetest.Harmonic(1, c.t1)
			case "linear4":
				p = odetest.Linear4(c.t1)
			}
			var hs, errs []float64
			for lvl := 0; lvl < 5; lvl++ {
				n := c.n0 << lvl
				hs = append(hs, (p.T1-p.T0)/float64(n))
				errs = append(errs, solveFixed(t, p, m, n))
			}
			slope := odetest.Slope(hs, errs)
			t.Logf("%-7s %-9s errors %.3g … %.3g, slope %.3f", name, p.Name, errs[0], errs[len(errs)-1], slope)
			if math.Abs(slope-float64(m.Order())) > 0.25 {
				t.Errorf("%s on %s: observed order %.3f, want %d ± 0.25 (errors %.3g)", name, p.Name, slope, m.Order(), errs)
			}
		}
	}
}

// TestDenseOutputOrder checks each adaptive method's continuous extension:
// one step of size h from the exact y(t0), interpolated at θ = 0.3 and 0.7,
// has a local error O(h^(p*+1)) with p* the dense order (bs3 3, dopri5 4,
// tsit5 4, dop853 7). The slope over up to 5 halvings of h must be
// p*+1 ± 0.25. Levels with an error below 1e-13 are dropped (at least 3 must
// remain): DOP853's dense coefficients reach 5e2 and cancel, so their float64
// rounding alone leaves an error floor near 500ε·h|k| ≈ 5e-15 at h = 0.1.
func TestDenseOutputOrder(t *testing.T) {
	// Largest step per method: small enough to be asymptotic, large enough
	// that the finest of 5 levels stays above round-off.
	h0 := map[string]float64{"bs3": 0.4, "dopri5": 0.4, "tsit5": 0.2, "dop853": 1.6, "rodas4": 0.4, "rock4": 0.4}
	for _, name := range []string{"bs3", "dopri5", "tsit5", "dop853", "rodas4", "rock4"} {
		m, _ := MethodByName(name)
		for _, p := range odetest.All(1) {
			var hs, errs []float64
			for lvl := 0; lvl < 5; lvl++ {
				h := h0[name] / float64(int(1)<<lvl)
				if name == "dop853" && p.Name != "harmonic" {
					h /= 2 // start one level finer, still asymptotic
				}
				t0 := 0.3
				y0 := make([]float64, len(p.Y0))
				p.Exact(t0, y0)
				times := []float64{t0 + 0.3*h, t0 + 0.7*h}
				res, err := Solve(context.Background(), Problem{F: p.F, Y0: y0, T0: t0, T1: t0 + h}, m, times, &Settings{Dt: h})
				if err != nil {
					t.Fatal(err)
				}
				ex := make([]float64, len(y0))
				var e float64
				for i, tt := range times {
					p.Exact(tt, ex)
					e = math.Max(e, odetest.MaxErr(res.Y[i], ex))
				}
				if e < 1e-13 {
					break
				}
				hs = append(hs, h)
				errs = append(errs, e)
			}
			if len(errs) < 3 {
				t.Fatalf("%s on %s: only %d levels above the round-off floor", name, p.Name, len(errs))
			}
			slope := odetest.Slope(hs, errs)
			want := float64(m.DenseOrder() + 1)
			t.Logf("%-7s %-9s dense errors %.3g … %.3g, slope %.3f (want %g)", name, p.Name, errs[0], errs[len(errs)-1], slope, want)
			if math.Abs(slope-want) > 0.25 {
				t.Errorf("%s on %s: dense-output local order %.3f, want %g ± 0.25 (errors %.3g)", name, p.Name, slope, want, errs)
			}
		}
	}
}

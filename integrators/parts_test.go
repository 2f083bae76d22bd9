package integrators

import (
	"context"
	"math"
	"testing"

	"github.com/grd-engine/grd/integrators/internal/odetest"
)

func TestErrorNorm(t *testing.T) {
	n := ErrorNorm{RTol: 1e-3, ATol: 1e-6}
	y0 := []float64{1, -2, 0}
	y1 := []float64{3, 1, 0}
	e := []float64{3e-3, 2e-3, 1e-6}
	// sc = (1e-6 + 3e-3, 1e-6 + 2e-3, 1e-6): ratios ≈ (0.99967, 0.9995, 1).
	r := []float64{3e-3 / (1e-6 + 3e-3), 2e-3 / (1e-6 + 2e-3), 1}
	want := math.Sqrt((r[0]*r[0] + r[1]*r[1] + r[2]*r[2]) / 3)
	if got := n.Norm(e, y0, y1); math.Abs(got-want) > 1e-15 {
		t.Errorf("Norm = %.17g, want %.17g", got, want)
	}
	// Combined: ‖e5‖²/sqrt(‖e5‖² + 0.01‖e3‖²).
	e3 := []float64{6e-3, 4e-3, 2e-6}
	a, b := n.Norm(e, y0, y1), n.Norm(e3, y0, y1)
	if got, w := n.Combined(e, e3, y0, y1), a*a/math.Sqrt(a*a+0.01*b*b); math.Abs(got-w) > 1e-15 {
		t.Errorf("Combined = %v, want %v", got, w)
	}
	if got := n.Combined(make([]float64, 3), e3, y0, y1); got != 0 {
		t.Errorf("Combined with zero e5 = %v, want 0", got)
	}
	if n.Norm(nil, nil, nil) != 0 {
		t.Error("empty norm should be 0")
	}
}

func TestController(t *testing.T) {
	c := NewController(5)
	if math.Abs(c.Beta1-0.14) > 1e-15 || math.Abs(c.Beta2-0.08) > 1e-15 || c.Safety != 0.9 || c.FacMin != 0.2 || c.FacMax != 10 {
		t.Fatalf("defaults %+v", c)
	}
	// First step: no history, fac = 0.9 err^(−β1).
	ok, fac := c.Accept(0.5)
	if !ok || math.Abs(fac-0.9*math.Pow(0.5, -0.14)) > 1e-14 {
		t.Errorf("Accept(0.5) = %v, %v", ok, fac)
	}
	// Second step uses err_prev = 0.5.
	ok, fac = c.Accept(0.25)
	if w := 0.9 * math.Pow(0.25, -0.14) * math.Pow(0.5, 0.08); !ok || math.Abs(fac-w) > 1e-14 {
		t.Errorf("PI factor %v, want %v", fac, w)
	}
	// Rejection shrinks with the I part only, within [FacMin, 1).
	ok, fac = c.Accept(4)
	if w := 0.9 * math.Pow(4, -0.2); ok || math.Abs(fac-w) > 1e-15 {
		t.Errorf("reject: %v %v, want false %v", ok, fac, w)
	}
	ok, fac = c.Accept(1e12)
	if ok || fac != c.FacMin {
		t.Errorf("huge error: %v %v, want FacMin", ok, fac)
	}
	// After a rejection an accepted step may not grow.
	ok, fac = c.Accept(1e-8)
	if !ok || fac != 1 {
		t.Errorf("after reject: %v %v, want true 1", ok, fac)
	}
	// Growth is capped, zero error gives FacMax.
	ok, fac = c.Accept(1e-30)
	if !ok || fac != c.FacMax {
		t.Errorf("tiny error: fac %v, want FacMax", fac)
	}
	ok, fac = c.Accept(0)
	if !ok || fac != c.FacMax {
		t.Errorf("zero error: fac %v", fac)
	}
	for _, e := range []float64{math.NaN(), math.Inf(1)} {
		if ok, fac := c.Accept(e); ok || fac != c.FacMin {
			t.Errorf("Accept(%v) = %v %v, want reject with FacMin", e, ok, fac)
		}
	}
	// Acceptance boundary.
	c.Reset()
	if ok, _ := c.Accept(1); !ok {
		t.Error("err = 1 must be accepted")
	}
	if ok, _ := c.Accept(1.0000001); ok {
		t.Error("err > 1 must be rejected")
	}
}

// TestHinit checks the automatic initial step against the formula worked
// by hand for y' = −y, y0 = 1: d0 = d1 = d2 = 1/sc, h0 = 0.01,
// h1 = (0.01·sc)^(1/(p+1)), h = min(100·h0, h1).
func TestHinit(t *testing.T) {
	dec := odetest.Decay(-1, 10)
	for _, name := range []string{"bs3", "dopri5", "dop853"} {
		m, _ := MethodByName(name)
		d, err := newDriver(Problem{F: dec.F, Y0: []float64{1}, T1: 10}, m, nil, &Settings{RTol: 1e-6, ATol: 1e-9})
		if err != nil {
			t.Fatal(err)
		}
		d.kr.f(0, d.y, d.kr.k[0])
		got := d.hinit()
		sc := 1e-9 + 1e-6
		// d2 = |f1 − f0|/(sc h0) with f1 − f0 = h0 exactly up to rounding.
		want := math.Min(1, math.Pow(0.01*sc, 1/float64(m.Order()+1)))
		if math.Abs(got-want) > 1e-9*want {
			t.Errorf("%s: hinit = %.12g, want %.12g", name, got, want)
		}
		if d.kr.nfev != 1 {
			t.Errorf("%s: hinit used %d evaluations, want 1", name, d.kr.nfev)
		}
	}
}

// TestPolynomialExactness: a method of order p integrates y' = p t^(p−1)
// (y = t^p) exactly, whatever the step; so does its dense output of order
// p* for y = t^(p*) (to 1e-13 relative: DOP853's dense coefficients of
// size 5e2 lose a few digits to cancellation). A stiff method gets the
// autonomous form (τ, y)' = (1, k τ^(k−1)) with its exact Jacobian, since a
// difference quotient for ∂F/∂t or J is only accurate to sqrt(ε).
func TestPolynomialExactness(t *testing.T) {
	for _, name := range Methods() {
		m, _ := MethodByName(name)
		for _, deg := range []int{m.Order(), m.DenseOrder()} {
			k := float64(deg)
			f := func(tt float64, _, dy []float64) { dy[0] = k * math.Pow(tt, k-1) }
			pr := Problem{F: f, Y0: []float64{0}, T1: 2}
			col := 0
			if m.Stiff() {
				pr = Problem{F: func(_ float64, y, dy []float64) { dy[0], dy[1] = 1, k*math.Pow(y[0], k-1) },
					Jac: func(_ float64, y, j []float64) {
						j[0], j[1], j[3] = 0, 0, 0
						j[2] = k * (k - 1) * math.Pow(y[0], k-2)
					},
					Y0: []float64{0, 0}, T1: 2, Autonomous: true}
				col = 1
			}
			times := []float64{0.37, 1.21, 2}
			res, err := Solve(context.Background(), pr, m, times, &Settings{Dt: 0.25})
			if err != nil {
				t.Fatal(err)
			}
			for i := range res.Y {
				res.Y[i] = res.Y[i][col:]
			}
			for i, tt := range times {
				if deg == m.Order() && tt != 2 {
					continue // only the step ends are exact at order p
				}
				if d := math.Abs(res.Y[i][0] - math.Pow(tt, k)); d > 1e-13*math.Max(1, math.Pow(tt, k)) {
					t.Errorf("%s: y = t^%d at %v off by %.3g", name, deg, tt, d)
				}
			}
		}
	}
}

// TestFixedStepLanding: fixed steps land exactly on T1, with no accumulated
// time, whether or not Dt divides the interval.
func TestFixedStepLanding(t *testing.T) {
	dec := odetest.Decay(-1, 1)
	m, _ := MethodByName("rk4")
	for _, c := range []struct {
		t1, dt float64
		steps  int
	}{{1, 0.1, 10}, {1, 0.3, 4}, {0.7, 0.1, 7}, {-1, 0.1, 10}, {3, 1.0 / 3, 9}} {
		var ends []float64
		rec := RecorderFunc(func(s StepInfo) error { ends = append(ends, s.T1); return nil })
		res, err := Solve(context.Background(), Problem{F: dec.F, Y0: []float64{1}, T1: c.t1}, m, nil, &Settings{Dt: c.dt, Recorder: rec})
		if err != nil {
			t.Fatal(err)
		}
		if res.TEnd != c.t1 || res.Stats.Accepted != c.steps || res.T[1] != c.t1 {
			t.Errorf("T1=%v dt=%v: ended at %v after %d steps, want exactly T1 after %d", c.t1, c.dt, res.TEnd, res.Stats.Accepted, c.steps)
		}
		for i, e := range ends[:len(ends)-1] {
			if want := math.Copysign(float64(i+1)*c.dt, c.t1); e != want {
				t.Errorf("T1=%v dt=%v: step %d ends at %v, want %v", c.t1, c.dt, i, e, want)
			}
		}
		if want := math.Exp(-c.t1); math.Abs(res.YEnd[0]-want) > 1e-3*want {
			t.Errorf("T1=%v: y=%v, want %v", c.t1, res.YEnd[0], want)
		}
	}
}

// TestAdaptiveLanding: adaptive runs end exactly on T1, forwards and
// backwards, and output times do not change the steps taken.
func TestAdaptiveLanding(t *testing.T) {
	for _, name := range []string{"bs3", "dopri5", "tsit5", "dop853"} {
		m, _ := MethodByName(name)
		for _, t1 := range []float64{10, -10} {
			p := odetest.Harmonic(1, t1)
			pr := Problem{F: p.F, Y0: p.Y0, T1: t1}
			s := &Settings{RTol: 1e-10, ATol: 1e-10}
			plain, err := Solve(context.Background(), pr, m, nil, s)
			if err != nil {
				t.Fatal(err)
			}
			var times []float64
			for i := 0; i <= 100; i++ {
				times = append(times, t1*float64(i)/100)
			}
			res, err := Solve(context.Background(), pr, m, times, s)
			if err != nil {
				t.Fatal(err)
			}
			if res.TEnd != t1 || res.Stats.Accepted != plain.Stats.Accepted || res.Stats.Rejected != plain.Stats.Rejected {
				t.Errorf("%s T1=%v: end %v, steps %d/%d vs %d/%d without outputs", name, t1, res.TEnd,
					res.Stats.Accepted, res.Stats.Rejected, plain.Stats.Accepted, plain.Stats.Rejected)
			}
			if res.YEnd[0] != plain.YEnd[0] {
				t.Errorf("%s: outputs changed the solution", name)
			}
			ex := make([]float64, 2)
			var worst float64
			for i, tt := range res.T {
				p.Exact(tt, ex)
				worst = math.Max(worst, odetest.MaxErr(res.Y[i], ex))
			}
			// Global error at rtol = atol = 1e-10 over 1.6 periods is a few
			// 1e-10 (bs3: ~1e-9, its lower order makes the tolerance
			// proportionality weaker); 1e-8 leaves room for the dense output.
			if limit := 1e-8; worst > limit || len(res.T) != 101 {
				t.Errorf("%s T1=%v: %d outputs, worst error %.3g > %g", name, t1, len(res.T), worst, limit)
			}
			t.Logf("%s T1=%v: worst output error %.3g", name, t1, worst)
		}
	}
}

// TestAllocations: after setup, stepping allocates nothing: a run 100 times
// longer allocates exactly as much as a short one (setup only).
func TestAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are slow-ish")
	}
	p := odetest.Harmonic(1, 1)
	ev := Event{G: func(_ float64, y []float64) float64 { return y[0] - 2 }} // never fires
	for _, name := range Methods() {
		m, _ := MethodByName(name)
		run := func(t1 float64) float64 {
			pr := Problem{F: p.F, Y0: p.Y0, T1: t1}
			s := &Settings{RTol: 1e-8, ATol: 1e-8, Dt: dtIfFixed(m, 0.01), Events: []Event{ev}, MaxSteps: 1e6}
			times := []float64{t1 / 3, t1 / 2}
			// The least of three counts: a stray allocation by another
			// goroutine (the runtime, the test framework) must not make
			// the comparison flaky; a per-step allocation adds ~100× more
			// for t1 = 100 and is caught every time.
			least := math.Inf(1)
			for range 3 {
				least = math.Min(least, testing.AllocsPerRun(5, func() {
					if _, err := Solve(context.Background(), pr, m, times, s); err != nil {
						t.Fatal(err)
					}
				}))
			}
			return least
		}
		short, long := run(1), run(100)
		t.Logf("%s: %v allocations per Solve (setup only)", name, short)
		if long != short {
			t.Errorf("%s: %v allocations for t1=100, %v for t1=1: stepping allocates", name, long, short)
		}
	}
}

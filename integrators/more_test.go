package integrators

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/grd-engine/grd/integrators/internal/odetest"
)

// TestKernelMatchesTextbookRK4: one generic-kernel step of the rk4 tableau
// on a nonlinear non-autonomous problem equals the textbook formula
// written out by hand, to rounding.
func TestKernelMatchesTextbookRK4(t *testing.T) {
	f := func(tt float64, y, dy []float64) {
		dy[0] = math.Sin(tt) * y[1]
		dy[1] = -y[0] * y[0]
	}
	y0 := []float64{0.7, -0.3}
	t0, h := 0.4, 0.25
	eval := func(tt float64, y []float64) []float64 {
		d := make([]float64, 2)
		f(tt, y, d)
		return d
	}
	axpy := func(a float64, x, y []float64) []float64 { return []float64{y[0] + a*x[0], y[1] + a*x[1]} }
	k1 := eval(t0, y0)
	k2 := eval(t0+h/2, axpy(h/2, k1, y0))
	k3 := eval(t0+h/2, axpy(h/2, k2, y0))
	k4 := eval(t0+h, axpy(h, k3, y0))
	want := make([]float64, 2)
	for i := range want {
		want[i] = y0[i] + h/6*(k1[i]+2*k2[i]+2*k3[i]+k4[i])
	}
	m, _ := MethodByName("rk4")
	res, err := Solve(context.Background(), Problem{F: f, Y0: y0, T0: t0, T1: t0 + h}, m, nil, &Settings{Dt: h})
	if err != nil {
		t.Fatal(err)
	}
	if d := odetest.MaxErr(res.YEnd, want); d > 1e-16 || res.Stats.NFev != 4 {
		t.Errorf("generic rk4 step differs from the textbook one by %.3g (nfev %d)", d, res.Stats.NFev)
	}
}

// TestNFevAccounting: FSAL methods spend s−1 evaluations per attempt,
// DOP853 11 per attempt plus one per accepted step, plus the first
// evaluation and the one of the automatic initial step.
func TestNFevAccounting(t *testing.T) {
	p := odetest.Arenstorf()
	for _, c := range []struct {
		name       string
		perAttempt int
		perAccept  int
	}{{"bs3", 3, 0}, {"dopri5", 6, 0}, {"tsit5", 6, 0}, {"dop853", 11, 1}} {
		m, _ := MethodByName(c.name)
		res, err := Solve(context.Background(), Problem{F: p.F, Y0: p.Y0, T1: p.T1}, m, []float64{p.T1}, &Settings{RTol: 1e-8, ATol: 1e-8})
		if err != nil {
			t.Fatal(err)
		}
		s := res.Stats
		// The end derivative of DOP853's last step is never needed.
		want := 2 + c.perAttempt*(s.Accepted+s.Rejected) + c.perAccept*(s.Accepted-1)
		if s.NFev != want {
			t.Errorf("%s: nfev %d, want %d (accepted %d, rejected %d)", c.name, s.NFev, want, s.Accepted, s.Rejected)
		}
	}
}

// TestEventsBackward: integrating x = cos t backwards from 0 to −10 finds
// the zeros −π/2, −3π/2, −5π/2 in that order; rising/falling refer to the
// direction of integration.
func TestEventsBackward(t *testing.T) {
	p := odetest.Harmonic(1, -10)
	m, _ := MethodByName("dop853")
	res, err := Solve(context.Background(), Problem{F: p.F, Y0: p.Y0, T1: -10}, m, nil,
		&Settings{RTol: 1e-13, ATol: 1e-13, Events: []Event{{G: func(_ float64, y []float64) float64 { return y[0] }}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{-math.Pi / 2, -3 * math.Pi / 2, -5 * math.Pi / 2}
	if len(res.Events) != 3 {
		t.Fatalf("%d events, want 3", len(res.Events))
	}
	for i, e := range res.Events {
		if d := math.Abs(e.T - want[i]); d > 1e-10 {
			t.Errorf("event %d at %.15g, want %.15g", i, e.T, want[i])
		}
		// cos decreases through −π/2 going backwards? cos(−π/2+δ) > 0 for
		// small δ > 0, so moving to smaller t the value goes + → −: falling.
		if wantRising := i == 1; e.Rising != wantRising {
			t.Errorf("event %d: Rising = %v", i, e.Rising)
		}
	}
}

// TestResume: a run split in two halves, the second started with the first
// one's Result.H, matches the one-piece run to tolerance level and starts
// with that step.
func TestResume(t *testing.T) {
	p := odetest.Harmonic(1, 10)
	m, _ := MethodByName("tsit5")
	s := &Settings{RTol: 1e-9, ATol: 1e-9}
	whole, err := Solve(context.Background(), Problem{F: p.F, Y0: p.Y0, T1: 10}, m, nil, s)
	if err != nil {
		t.Fatal(err)
	}
	first, err := Solve(context.Background(), Problem{F: p.F, Y0: p.Y0, T1: 5}, m, nil, s)
	if err != nil {
		t.Fatal(err)
	}
	var h0 float64
	rec := RecorderFunc(func(st StepInfo) error {
		if h0 == 0 {
			h0 = st.T1 - st.T0
		}
		return nil
	})
	s2 := &Settings{RTol: 1e-9, ATol: 1e-9, H0: math.Abs(first.H), Recorder: rec}
	second, err := Solve(context.Background(), Problem{F: p.F, Y0: first.YEnd, T0: 5, T1: 10}, m, nil, s2)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(h0-first.H) > 1e-12*first.H { // h0 = (5+h)−5 is h to rounding
		t.Errorf("resumed run's first step %v, want Result.H = %v", h0, first.H)
	}
	if d := odetest.MaxErr(second.YEnd, whole.YEnd); d > 1e-8 {
		t.Errorf("split run differs from the whole by %.3g", d)
	}
}

func TestPrinterAndInterpolate(t *testing.T) {
	p := odetest.Harmonic(1, 1)
	m, _ := MethodByName("dop853")
	var buf bytes.Buffer
	pr := Printer{W: &buf}
	var maxErr float64
	calls := 0
	rec := RecorderFunc(func(s StepInfo) error {
		calls++
		mid := make([]float64, 2)
		s.Interpolate(0.5*(s.T0+s.T1), mid)
		ex := make([]float64, 2)
		p.Exact(0.5*(s.T0+s.T1), ex)
		maxErr = math.Max(maxErr, odetest.MaxErr(mid, ex))
		return pr.Record(s)
	})
	res, err := Solve(context.Background(), Problem{F: p.F, Y0: p.Y0, T1: 1}, m, nil, &Settings{RTol: 1e-10, ATol: 1e-10, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if calls != res.Stats.Accepted || len(lines) != calls || !strings.HasPrefix(lines[0], "t=") || !strings.Contains(lines[0], "nfev=") {
		t.Errorf("%d calls, %d lines for %d steps:\n%s", calls, len(lines), res.Stats.Accepted, buf.String())
	}
	if maxErr > 1e-9 {
		t.Errorf("mid-step interpolation error %.3g", maxErr)
	}
	// Interpolate outside the step panics.
	defer func() {
		if r := recover(); r == nil {
			t.Error("Interpolate outside the step should panic")
		}
	}()
	Solve(context.Background(), Problem{F: p.F, Y0: p.Y0, T1: 1}, m, nil, &Settings{Recorder: RecorderFunc(func(s StepInfo) error {
		s.Interpolate(s.T1+1, make([]float64, 2))
		return nil
	})})
}

// TestNewMethod runs a user tableau (the explicit midpoint rule, order 2,
// Hermite dense output supplied by NewMethod) and rejects inconsistent ones.
func TestNewMethod(t *testing.T) {
	mid := Tableau{Name: "midpoint", C: []float64{0, 0.5}, A: [][]float64{{}, {0.5}}, B: []float64{0, 1}, Order: 2}
	m, err := NewMethod(mid)
	if err != nil {
		t.Fatal(err)
	}
	p := odetest.Harmonic(1, 2)
	var hs, errs []float64
	for n := 40; n <= 640; n *= 2 {
		hs = append(hs, 2/float64(n))
		errs = append(errs, solveFixed(t, p, m, n))
	}
	if s := odetest.Slope(hs, errs); math.Abs(s-2) > 0.25 || m.DenseOrder() != 2 {
		t.Errorf("midpoint: order %.3f, dense order %d", s, m.DenseOrder())
	}
	bad := mid
	bad.A = [][]float64{{}, {0.4}}
	if _, err := NewMethod(bad); err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("inconsistent row sum accepted: %v", err)
	}
	bad = mid
	bad.E = []float64{1, -1}
	if _, err := NewMethod(bad); err == nil || !strings.Contains(err.Error(), "ErrOrder") {
		t.Errorf("error weights without ErrOrder accepted: %v", err)
	}
}

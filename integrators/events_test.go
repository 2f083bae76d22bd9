package integrators

import (
	"context"
	"math"
	"testing"

	"github.com/grd-engine/grd/integrators/internal/odetest"
)

// TestEventDecayLevel: y' = −y, y(0) = 1 crosses 0.5 at t = ln 2. A
// terminal falling event must stop there; with rtol = atol = 1e-12 the
// solution error is ~1e-12, so the located time must be within 1e-10 of
// ln 2 for every adaptive method.
func TestEventDecayLevel(t *testing.T) {
	p := odetest.Decay(-1, 3)
	for _, name := range []string{"bs3", "dopri5", "tsit5", "dop853"} {
		m, _ := MethodByName(name)
		tol := 1e-12
		if name == "bs3" {
			tol = 1e-13 // 3rd order: tighter tolerance for the same accuracy
		}
		ev := Event{Name: "half", G: func(_ float64, y []float64) float64 { return y[0] - 0.5 }, Direction: -1, Terminal: true}
		res, err := Solve(context.Background(), Problem{F: p.F, Y0: p.Y0, T0: 0, T1: 3}, m, nil,
			&Settings{RTol: tol, ATol: tol, Events: []Event{ev}, MaxSteps: 1e6})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.Status != EventTerminated || len(res.Events) != 1 {
			t.Fatalf("%s: status %v with %d events, want event with 1", name, res.Status, len(res.Events))
		}
		te := res.Events[0].T
		if d := math.Abs(te - math.Ln2); d > 1e-10 {
			t.Errorf("%s: event at %.15g, want ln 2 (off by %.3g)", name, te, d)
		}
		if res.TEnd != te || math.Abs(res.YEnd[0]-0.5) > 1e-10 || res.Events[0].Rising {
			t.Errorf("%s: stopped at t=%v y=%v rising=%v, want t=%v y=0.5 falling", name, res.TEnd, res.YEnd, res.Events[0].Rising, te)
		}
		if len(res.T) != 2 || res.T[1] != te || res.Y[1][0] != res.YEnd[0] {
			t.Errorf("%s: default outputs %v, want [0 %v]", name, res.T, te)
		}
	}
}

// TestEventHarmonicZeros: x = cos t has zeros at π/2 + kπ. On [0, 10]
// a non-terminal event on x must find π/2 (falling), 3π/2 (rising) and
// 5π/2 (falling); Direction = +1 keeps only 3π/2. Each located time must be
// a root of the method's own dense output to the event tolerance
// (|g(Y)| ≤ 1e-12 with |g'| ≤ 1), and with DOP853 at 1e-13 within 1e-10
// of the exact zero.
func TestEventHarmonicZeros(t *testing.T) {
	p := odetest.Harmonic(1, 10)
	g := func(_ float64, y []float64) float64 { return y[0] }
	want := []float64{math.Pi / 2, 3 * math.Pi / 2, 5 * math.Pi / 2}
	for _, name := range []string{"bs3", "dopri5", "tsit5", "dop853"} {
		m, _ := MethodByName(name)
		for _, dir := range []int{0, 1} {
			tol := 1e-8
			if name == "dop853" {
				tol = 1e-13
			}
			res, err := Solve(context.Background(), Problem{F: p.F, Y0: p.Y0, T0: 0, T1: 10}, m, []float64{10},
				&Settings{RTol: tol, ATol: tol, Events: []Event{{G: g, Direction: dir}}})
			if err != nil {
				t.Fatal(err)
			}
			exp := want
			if dir == 1 {
				exp = want[1:2]
			}
			if res.Status != Success || len(res.Events) != len(exp) {
				t.Fatalf("%s dir %d: status %v, %d events, want success with %d", name, dir, res.Status, len(res.Events), len(exp))
			}
			for i, ev := range res.Events {
				if gv := math.Abs(ev.Y[0]); gv > 1e-12 {
					t.Errorf("%s: event %d: |g| = %.3g on the dense output, want ≤ 1e-12", name, i, gv)
				}
				if ev.Rising != (math.Abs(exp[i]-3*math.Pi/2) < 1) {
					t.Errorf("%s: event %d at %v has Rising=%v", name, i, ev.T, ev.Rising)
				}
				limit := 1e-6 // tol 1e-8: event time error ~ solution error
				if name == "dop853" {
					limit = 1e-10
				}
				if d := math.Abs(ev.T - exp[i]); d > limit {
					t.Errorf("%s: event %d at %.15g, want %.15g (off by %.3g > %g)", name, i, ev.T, exp[i], d, limit)
				}
			}
		}
	}
}

// TestEventTerminalOutputs: output times after a terminal event are not
// filled; those before it are.
func TestEventTerminalOutputs(t *testing.T) {
	p := odetest.Decay(-1, 3)
	m, _ := MethodByName("dopri5")
	ev := Event{G: func(_ float64, y []float64) float64 { return y[0] - 0.5 }, Terminal: true}
	times := []float64{0, 0.25, 0.5, 0.75, 1, 2}
	res, err := Solve(context.Background(), Problem{F: p.F, Y0: p.Y0, T0: 0, T1: 3}, m, times, &Settings{Events: []Event{ev}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.T) != 3 || len(res.Y) != 3 || res.T[2] != 0.5 {
		t.Fatalf("outputs %v, want [0 0.25 0.5]", res.T)
	}
	for i, tt := range res.T {
		if d := math.Abs(res.Y[i][0] - math.Exp(-tt)); d > 1e-6 {
			t.Errorf("y(%v) off by %.3g", tt, d)
		}
	}
}

// TestEventFixedStep: events work with fixed-step methods through the
// cubic Hermite interpolant (error O(h^4) for rk4).
func TestEventFixedStep(t *testing.T) {
	p := odetest.Decay(-1, 3)
	m, _ := MethodByName("rk4")
	ev := Event{G: func(_ float64, y []float64) float64 { return y[0] - 0.5 }, Terminal: true}
	res, err := Solve(context.Background(), Problem{F: p.F, Y0: p.Y0, T0: 0, T1: 3}, m, nil, &Settings{Dt: 0.01, Events: []Event{ev}})
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(res.TEnd - math.Ln2); res.Status != EventTerminated || d > 1e-8 {
		t.Errorf("status %v, event at %v (off by %.3g), want ln 2 within 1e-8", res.Status, res.TEnd, d)
	}
}

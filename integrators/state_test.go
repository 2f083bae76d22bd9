package integrators

import (
	"context"
	"errors"
	"math"
	"testing"
)

// vanDerPol is a mildly stiff nonlinear test problem: its steps vary, so
// the controller memory matters for an exact resume.
func vanDerPol(t float64, y, dy []float64) {
	const mu = 5
	dy[0] = y[1]
	dy[1] = mu*(1-y[0]*y[0])*y[1] - y[0]
}

// TestResumeBitIdentical stops a run after its k-th accepted step (the
// Recorder returns an error), resumes it from StepInfo.State, and checks
// that the resumed run reproduces the uninterrupted one exactly: every
// output after the stop, the end state, the proposed step and the
// counters. The truth is the uninterrupted run itself: equality is bitwise.
func TestResumeBitIdentical(t *testing.T) {
	times := make([]float64, 41)
	for i := range times {
		times[i] = float64(i) * 0.25
	}
	p := Problem{F: vanDerPol, Y0: []float64{2, 0}, T0: 0, T1: 10}
	rob := Problem{F: robertson, Y0: []float64{1, 0, 0}, T0: 0, T1: 10, Autonomous: true}
	hp, _ := heat(49, 10)                // rock4: ρ re-estimated every 25 steps
	dg, _ := diagonal(10, 1e6, 10, true) // rock4: steps capped at 152 stages
	cases := []struct {
		method string
		set    Settings
		p      *Problem // nil: Van der Pol
	}{
		{"dopri5", Settings{RTol: 1e-8, ATol: 1e-10}, nil}, // FSAL
		{"tsit5", Settings{RTol: 1e-7, ATol: 1e-9}, nil},   // FSAL
		{"bs3", Settings{RTol: 1e-6, ATol: 1e-8}, nil},     // FSAL, no extra dense stages
		{"dop853", Settings{RTol: 1e-9, ATol: 1e-11}, nil}, // not FSAL, extra dense stages
		{"rk4", Settings{Dt: 0.01}, nil},                   // fixed step
		{"heun", Settings{Dt: 0.003}, nil},                 // fixed step
		{"dopri5", Settings{Dt: 0.02}, nil},                // adaptive method, fixed steps
		{"rodas4", Settings{RTol: 1e-7, ATol: 1e-9}, nil},  // Rosenbrock, dense LU
		{"rodas4", Settings{RTol: 1e-6, ATol: 1e-8, Linear: LinearGMRES}, nil},
		{"auto", Settings{RTol: 1e-6, ATol: 1e-8}, nil},
		{"auto", Settings{RTol: 1e-6, ATol: 1e-10}, &rob},   // switches to rodas4
		{"dopri5", Settings{RTol: 1e-6, ATol: 1e-10}, &rob}, // detects stiffness
		{"rock4", Settings{RTol: 1e-7, ATol: 1e-9}, nil},    // complex pairs: Rayleigh–Ritz
		{"rock4", Settings{RTol: 1e-7, ATol: 1e-9, SpectralRadius: 300}, nil},
		{"rock4", Settings{RTol: 1e-8, ATol: 1e-12}, &hp},
		{"rock4", Settings{RTol: 1e-6, ATol: 1e-9, SpectralRadius: 1e4}, &hp},
		{"rock4", Settings{RTol: 1e-4, ATol: 1e-6}, &dg},
		{"rock4", Settings{Dt: 0.01, SpectralRadius: 300}, nil},
	}
	stop := errors.New("stop here")
	for _, c := range cases {
		m, err := MethodByName(c.method)
		if err != nil {
			t.Fatal(err)
		}
		p := p
		if c.p != nil {
			p = *c.p
		}
		full, err := Solve(context.Background(), p, m, times, &c.set)
		if err != nil {
			t.Fatalf("%s: %v", c.method, err)
		}
		if c.method == "dopri5" && c.p == &rob && full.Stiffness == nil {
			t.Fatalf("dopri5 on Robertson: no stiffness detected, the resume of Result.Stiffness is untested")
		}
		n := full.Stats.Accepted
		for _, k := range []int{1, 2, n / 3, n / 2, n - 1} {
			var st State
			set := c.set
			set.Recorder = RecorderFunc(func(s StepInfo) error {
				if s.Stats.Accepted == k {
					s.State(&st)
					return stop
				}
				return nil
			})
			if _, err := Solve(context.Background(), p, m, times, &set); !errors.Is(err, ErrStopped) {
				t.Fatalf("%s k=%d: want a stopped run, got %v", c.method, k, err)
			}
			set = c.set
			set.Resume = &st
			res, err := Solve(context.Background(), p, m, times, &set)
			if err != nil {
				t.Fatalf("%s k=%d: resume: %v", c.method, k, err)
			}
			skip := len(full.T) - len(res.T)
			if skip < 0 || (skip < len(full.T) && !(full.T[skip] > st.T)) || (skip > 0 && full.T[skip-1] > st.T) {
				t.Fatalf("%s k=%d: resumed outputs %v do not continue after t=%g", c.method, k, res.T, st.T)
			}
			for i := range res.T {
				if res.T[i] != full.T[skip+i] {
					t.Fatalf("%s k=%d: output time %d: %v, want %v", c.method, k, i, res.T[i], full.T[skip+i])
				}
				for j := range res.Y[i] {
					if math.Float64bits(res.Y[i][j]) != math.Float64bits(full.Y[skip+i][j]) {
						t.Fatalf("%s k=%d: y(%g)[%d] = %v, uninterrupted %v", c.method, k, res.T[i], j, res.Y[i][j], full.Y[skip+i][j])
					}
				}
			}
			if res.Stats != full.Stats || res.H != full.H || res.TEnd != full.TEnd {
				t.Errorf("%s k=%d: resumed stats %+v H=%v TEnd=%v, uninterrupted %+v H=%v TEnd=%v",
					c.method, k, res.Stats, res.H, res.TEnd, full.Stats, full.H, full.TEnd)
			}
			if (res.Stiffness == nil) != (full.Stiffness == nil) || (res.Stiffness != nil && *res.Stiffness != *full.Stiffness) {
				t.Errorf("%s k=%d: resumed Stiffness %+v, uninterrupted %+v", c.method, k, res.Stiffness, full.Stiffness)
			}
			for j := range res.YEnd {
				if res.YEnd[j] != full.YEnd[j] {
					t.Errorf("%s k=%d: YEnd[%d] = %v, want %v", c.method, k, j, res.YEnd[j], full.YEnd[j])
				}
			}
		}
	}
}

func TestResumeInvalid(t *testing.T) {
	m, _ := MethodByName("dopri5")
	p := Problem{F: vanDerPol, Y0: []float64{2, 0}, T0: 0, T1: 1}
	for _, st := range []State{
		{T: 0.5, Y: []float64{1}, H: 0.1},
		{T: 1, Y: []float64{1, 0}, H: 0.1},
		{T: -1, Y: []float64{1, 0}, H: 0.1},
		{T: 0.5, Y: []float64{math.NaN(), 0}, H: 0.1},
		{T: 0.5, Y: []float64{1, 0}, H: -0.1},
		{T: 0.5, Y: []float64{1, 0}, H: 0.1, ErrPrev: -1},
	} {
		if _, err := Solve(context.Background(), p, m, nil, &Settings{Resume: &st}); !errors.Is(err, ErrInvalid) {
			t.Errorf("Resume %v: want ErrInvalid, got %v", st.String(), err)
		}
	}
}

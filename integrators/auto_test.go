package integrators

import (
	"context"
	"testing"

	"github.com/grd-engine/grd/integrators/internal/odetest"
)

// vdp1000 is Van der Pol's oscillator y1' = y2, y2' = μ(1 − y1²)y2 − y1
// with μ = 1000 (period ≈ (3 − 2 ln 2)μ ≈ 1614): slow stiff stretches
// separated by fast jumps.
func vdp1000(_ float64, y, dy []float64) {
	const mu = 1000
	dy[0] = y[1]
	dy[1] = mu*(1-y[0]*y[0])*y[1] - y[0]
}

type autoCase struct {
	name string
	p    Problem
	set  Settings
}

func autoCases() []autoCase {
	qf, qjv, _ := quadraticFlow(20, 1e4)
	ones := make([]float64, 20)
	for i := range ones {
		ones[i] = 1
	}
	ar := odetest.Arenstorf()
	return []autoCase{
		{"robertson", Problem{F: robertson, Y0: []float64{1, 0, 0}, T1: 40, Autonomous: true}, Settings{RTol: 1e-6, ATol: 1e-10}},
		{"vdp1000", Problem{F: vdp1000, Y0: []float64{2, 0}, T1: 3000, Autonomous: true}, Settings{RTol: 1e-6, ATol: 1e-6}},
		{"quadratic", Problem{F: qf, JV: qjv, Y0: ones, T1: 30, Autonomous: true}, Settings{RTol: 1e-6, ATol: 1e-10}},
		{"arenstorf", Problem{F: ar.F, Y0: ar.Y0, T1: ar.T1, Autonomous: true}, Settings{RTol: 1e-8, ATol: 1e-8}},
		{"lorenz", Problem{F: lorenz, Y0: []float64{1, 1, 1}, T1: 20, Autonomous: true}, Settings{RTol: 1e-8, ATol: 1e-8}},
	}
}

// TestAutoCost: on the stiff set (Robertson, Van der Pol μ = 1000, a
// quadratic gradient flow with condition 10⁴) and the non-stiff one
// (Arenstorf, Lorenz), auto costs (F evaluations + J·v products) at most
// 1.3 times the better of dopri5 and rodas4 at the same tolerances. Where
// it never switches it is dopri5 bit for bit; where it does, its end
// state is within 10 times rodas4's error of a reference (rodas4 at
// RTol 1e-11).
func TestAutoCost(t *testing.T) {
	ctx := context.Background()
	for _, c := range autoCases() {
		cost := map[string]int{}
		end := map[string][]float64{}
		var autoRes *Result
		for _, name := range []string{"dopri5", "rodas4", "auto"} {
			m, _ := MethodByName(name)
			s := c.set
			s.MaxSteps = 1e7
			res, err := Solve(ctx, c.p, m, nil, &s)
			if err != nil {
				t.Fatalf("%s on %s: %v", name, c.name, err)
			}
			cost[name] = res.Stats.NFev + res.Stats.NJv
			end[name] = res.YEnd
			autoRes = res
			t.Logf("%-9s %-7s cost %8d  %+v", c.name, name, cost[name], res.Stats)
		}
		if best := min(cost["dopri5"], cost["rodas4"]); 10*cost["auto"] > 13*best {
			t.Errorf("%s: auto costs %d, the better of dopri5 and rodas4 %d", c.name, cost["auto"], best)
		}
		if autoRes.Stats.NSwitch == 0 {
			for i, v := range end["auto"] {
				if v != end["dopri5"][i] {
					t.Errorf("%s: auto did not switch but differs from dopri5: %v vs %v", c.name, end["auto"], end["dopri5"])
					break
				}
			}
			continue
		}
		m, _ := MethodByName("rodas4")
		ref, err := Solve(ctx, c.p, m, nil, &Settings{RTol: 1e-11, ATol: c.set.ATol * 1e-5, MaxSteps: 1e7})
		if err != nil {
			t.Fatal(err)
		}
		ea, er := odetest.MaxErr(end["auto"], ref.YEnd), odetest.MaxErr(end["rodas4"], ref.YEnd)
		t.Logf("%s: error at T1: auto %.3g, rodas4 %.3g", c.name, ea, er)
		if ea > 10*er+1e-10 {
			t.Errorf("%s: auto's error %.3g, rodas4's %.3g", c.name, ea, er)
		}
	}
}

// TestAutoLooseRobertson: at rtol = atol = 1e-3 and 1e-4 dopri5 lets y2
// of Robertson's problem (scale 4e-5) turn negative within its first few
// steps, and the ODE itself blows up from there: dopri5 ends with a step
// size underflow. auto must switch to rodas4 before that happens (its
// first stiffness test above the bound) and finish as rodas4 does: within
// 10 times rodas4's error of a tight rodas4 reference, at most 1.3 times
// its cost.
func TestAutoLooseRobertson(t *testing.T) {
	ctx := context.Background()
	p := Problem{F: robertson, Y0: []float64{1, 0, 0}, T1: 40, Autonomous: true}
	rodas, _ := MethodByName("rodas4")
	ref, err := Solve(ctx, p, rodas, nil, &Settings{RTol: 1e-11, ATol: 1e-14})
	if err != nil {
		t.Fatal(err)
	}
	for _, tol := range []float64{1e-3, 1e-4} {
		set := Settings{RTol: tol, ATol: tol}
		dp, _ := MethodByName("dopri5")
		if _, err := Solve(ctx, p, dp, nil, &set); err == nil {
			t.Errorf("tol %g: dopri5 finished; this test needs the case where it fails", tol)
		}
		r, err := Solve(ctx, p, rodas, nil, &set)
		if err != nil {
			t.Fatalf("tol %g: rodas4: %v", tol, err)
		}
		auto, _ := MethodByName("auto")
		a, err := Solve(ctx, p, auto, nil, &set)
		if err != nil {
			t.Fatalf("tol %g: auto: %v", tol, err)
		}
		ea, er := odetest.MaxErr(a.YEnd, ref.YEnd), odetest.MaxErr(r.YEnd, ref.YEnd)
		t.Logf("tol %g: auto %+v error %.3g; rodas4 nfev %d error %.3g", tol, a.Stats, ea, r.Stats.NFev, er)
		if a.Stats.NSwitch == 0 || ea > 10*er+1e-12 || 10*a.Stats.NFev > 13*r.Stats.NFev {
			t.Errorf("tol %g: auto switched %d times, error %.3g (rodas4 %.3g), nfev %d (rodas4 %d)",
				tol, a.Stats.NSwitch, ea, er, a.Stats.NFev, r.Stats.NFev)
		}
	}
}

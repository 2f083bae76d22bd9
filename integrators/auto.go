package integrators

import "math"

// auto runs dopri5 and switches to rodas4 where the problem is stiff, and
// back where it is not (as LSODA and DifferentialEquations.jl's
// auto-switching methods do):
//
//   - in dopri5, Hairer's stiffness test (stiffness.go) runs at every
//     step; when h·ρ exceeds 3.25 on an accepted step (autoStiffAfter
//     tests), the step size is limited by stability, and auto switches
//     to rodas4 at once;
//   - in rodas4 the same quotient is formed from its last stage (ŷ, the
//     stage value at t + h, and y1 = ŷ + u_6):
//     h·ρ ≈ |h| ‖F(t+h, y1) − F(t+h, ŷ)‖ / ‖y1 − ŷ‖; when it stays below
//     dopri5's bound 3.25 for stiffCount steps in a row, dopri5 could take
//     the same steps without a Jacobian, and auto switches back.
//
// The switch to rodas4 is eager and the switch back is not: waiting for
// Hairer's 15 stiff tests (as the warning of a plain dopri5 run does) lets
// dopri5 accept, at loose tolerances, the inaccurate stability-limited
// steps that carry the state into a region the problem cannot come back
// from (Robertson at rtol = atol = 1e-3: y2 turns negative in the third
// step and the ODE itself blows up from there, so dopri5 fails with a
// step size underflow after 52 steps; switching at the first test above
// the bound takes rodas4's path). A false alarm costs at most stiffCount
// rodas4 steps; none occurred on the non-stiff suite (Lorenz, Arenstorf,
// Van der Pol μ = 1, the GRD toy at 1e-3 … 1e-9: auto takes dopri5's
// steps exactly). Measurements: bench/RESULTS.md, "Stiff problems".
//
// A switch happens at the end of an accepted step and keeps t, y, the
// proposed step size and F(t, y); the new method's controller starts
// afresh. With fixed steps (Settings.Dt) auto is dopri5.

// autoStiffAfter is the number of stiffness tests above dopri5's bound
// (counted as Hairer's IASTI, see stiffState.above) after which auto
// switches to rodas4.
const autoStiffAfter = 1

// autoSwitch holds auto's two kernels: 0 dopri5, 1 rodas4.
type autoSwitch struct {
	kr   [2]*kernel
	tb   [2]*Tableau
	mode int
	calm int // rodas4 steps in a row with h·ρ below dopri5's bound
}

// newAuto sets up the rodas4 kernel beside the dopri5 one d.kr runs.
func (d *driver) newAuto() {
	n := len(d.y)
	a := &autoSwitch{}
	a.kr[0], a.tb[0] = d.kr, d.tb
	a.tb[1] = tableauRodas4()
	a.kr[1] = newKernel(a.tb[1], d.p.F, n, stepRos)
	a.kr[1].norm = d.norm
	r := newRosenbrock(rodas4Tableau(), a.kr[1], d.p, d.norm, d.set.krylov(n))
	r.flast = make([]float64, n)
	a.kr[1].ros = r
	d.ros = r
	d.auto = a
	d.stiff.every = 1
}

// switchTo makes auto run method mode (0 dopri5, 1 rodas4) from the
// current point on.
func (d *driver) switchTo(mode int) {
	a := d.auto
	old := d.kr
	d.kr, d.tb = a.kr[mode], a.tb[mode]
	d.kr.nfev = old.nfev
	if d.kSValid {
		copy(d.kr.k[d.kr.s], old.k[old.s])
	}
	d.k0Valid = false
	d.ctrl = NewController(d.tb.ErrOrder)
	if d.set.Controller != nil {
		d.ctrl = *d.set.Controller
		d.ctrl.Reset()
	}
	d.stiff.above, d.stiff.below = 0, 0
	d.stiff.every = 0
	if mode == 0 {
		d.stiff.every = 1
	} else {
		d.ros.jacOK = false
	}
	a.mode, a.calm = mode, 0
	d.res.Stats.NSwitch++
}

// autoDecide switches after an accepted step whose test completed a
// count (in dopri5, autoStiffAfter tests above its bound; in rodas4,
// stiffCount steps in a row that dopri5 could take).
func (d *driver) autoDecide() {
	switch a := d.auto; {
	case a.mode == 0 && d.stiff.above >= autoStiffAfter:
		d.switchTo(1)
	case a.mode == 1 && a.calm >= stiffCount:
		d.switchTo(0)
	}
}

// calmCheck updates auto's count of rodas4 steps that dopri5 could take
// as well, after an accepted rodas4 step of size h that does not end the
// run (before its outputs).
func (d *driver) calmCheck(h float64) {
	a := d.auto
	d.ensureKS()
	kr := d.kr
	n := len(d.y)
	if lu, ok := d.ros.lin.(*denseLU); ok {
		// ‖J‖_∞ ≥ ρ(J): switch back only when even this bound allows
		// dopri5 the step.
		var rho float64
		for i := 0; i < n; i++ {
			var s float64
			for _, v := range lu.jac[i*n : (i+1)*n] {
				s += math.Abs(v)
			}
			rho = math.Max(rho, s)
		}
		d.stiff.lastHRho = math.Abs(h) * rho
		if d.stiff.lastHRho < a.tb[0].stiff.bound {
			a.calm++
		} else {
			a.calm = 0
		}
		return
	}
	hr, ok := hRho(h, d.y, kr.ytmp[:n], kr.k[kr.s][:n], d.ros.flast[:n])
	if !ok {
		a.calm = 0
		return
	}
	d.stiff.lastHRho = hr
	if hr < a.tb[0].stiff.bound/2 { // the quotient may underestimate ρ
		a.calm++
	} else {
		a.calm = 0
	}
}

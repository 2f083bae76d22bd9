package integrators

import "math"

// Controller is a PI step-size controller (Gustafsson; Hairer & Wanner,
// Solving ODEs II §IV.2). With err_n ≤ 1 the error measure of the accepted
// step and err_{n−1} that of the previous accepted step,
//
//	fac   = Safety · err_n^(−Beta1) · err_{n−1}^(Beta2)
//	h_new = h · min(FacMax, max(FacMin, fac))
//
// and after a rejection (err > 1) the integral part alone shrinks the step:
// fac = Safety·err^(−1/q), limited to [FacMin, 1). Right after a rejection
// the accepted step may not grow. Beta2 = 0 gives the classical I controller.
type Controller struct {
	Safety         float64 // safety factor, default 0.9
	FacMin, FacMax float64 // limits of h_new/h, defaults 0.2 and 10
	Beta1, Beta2   float64 // PI exponents, defaults 0.7/q and 0.4/q
	Q              float64 // error exponent q (err ∝ h^q)

	errPrev  float64
	lnPrev   float64 // log(errPrev), kept so that a step costs one Log and one Exp
	rejected bool
}

// NewController returns the default controller for an error estimate
// behaving like h^q: Safety 0.9, FacMin 0.2, FacMax 10, Beta1 = 0.7/q,
// Beta2 = 0.4/q.
func NewController(q int) Controller {
	fq := float64(q)
	return Controller{Safety: 0.9, FacMin: 0.2, FacMax: 10, Beta1: 0.7 / fq, Beta2: 0.4 / fq, Q: fq}
}

// Reset forgets the step history.
func (c *Controller) Reset() { c.setMemory(0, false) }

// setMemory sets the step history: errPrev (0 for none) and whether the
// last attempt was rejected.
func (c *Controller) setMemory(errPrev float64, rejected bool) {
	c.errPrev, c.rejected, c.lnPrev = errPrev, rejected, 0
	if errPrev > 0 {
		c.lnPrev = ctlLog(errPrev)
	}
}

// Accept reports whether a step with error measure err is accepted and
// returns the factor by which to multiply h for the next attempt. A NaN or
// infinite err is rejected with factor FacMin.
func (c *Controller) Accept(err float64) (ok bool, fac float64) {
	if math.IsNaN(err) || math.IsInf(err, 0) {
		c.rejected = true
		return false, c.FacMin
	}
	if err <= 1 {
		lnErr := math.NaN()
		if err == 0 {
			fac = c.FacMax
		} else {
			// err^(−Beta1)·errPrev^(Beta2) as one exponential of logs (ctlmath.go)
			// (math.Pow twice per step was a third of a small
			// system's run time).
			lnErr = ctlLog(err)
			x := -c.Beta1 * lnErr
			if c.errPrev > 0 && c.Beta2 != 0 {
				x += c.Beta2 * c.lnPrev
			}
			fac = c.Safety * ctlExp(x)
		}
		// fac is finite and positive here: clamp by comparison.
		if fac > c.FacMax {
			fac = c.FacMax
		}
		if fac < c.FacMin {
			fac = c.FacMin
		}
		if c.rejected && fac > 1 {
			fac = 1
		}
		if err >= 1e-4 {
			// Same bits as setMemory's ctlLog(err): a resumed run
			// (which calls setMemory) continues identically.
			c.errPrev, c.lnPrev, c.rejected = err, lnErr, false
		} else {
			c.setMemory(1e-4, false)
		}
		return true, fac
	}
	fac = math.Max(c.FacMin, math.Min(c.Safety*ctlExp(-ctlLog(err)/c.Q), 0.999))
	c.rejected = true
	return false, fac
}

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
func (c *Controller) Reset() { c.errPrev, c.rejected = 0, false }

// Accept reports whether a step with error measure err is accepted and
// returns the factor by which to multiply h for the next attempt. A NaN or
// infinite err is rejected with factor FacMin.
func (c *Controller) Accept(err float64) (ok bool, fac float64) {
	if math.IsNaN(err) || math.IsInf(err, 0) {
		c.rejected = true
		return false, c.FacMin
	}
	if err <= 1 {
		if err == 0 {
			fac = c.FacMax
		} else {
			fac = c.Safety * math.Pow(err, -c.Beta1)
			if c.errPrev > 0 && c.Beta2 != 0 {
				fac *= math.Pow(c.errPrev, c.Beta2)
			}
		}
		fac = math.Min(c.FacMax, math.Max(c.FacMin, fac))
		if c.rejected {
			fac = math.Min(fac, 1)
		}
		c.errPrev = math.Max(err, 1e-4)
		c.rejected = false
		return true, fac
	}
	fac = math.Max(c.FacMin, math.Min(c.Safety*math.Pow(err, -1/c.Q), 0.999))
	c.rejected = true
	return false, fac
}

package flow

import (
	"errors"
	"fmt"
	"math"
)

// Divergence. A flow whose loss becomes NaN or infinite has failed; so has a
// flow whose loss, though finite, has grown far beyond anything the flow
// could reach legitimately. At every output time t_k (k ≥ 1) a flow has
// diverged when
//
//	f(w(t_k)) > B = f(w0) + DivergenceFactor·(|f(w0)| + ‖∇f(w0)‖²·(t_{K−1} − t_0))
//
// (for an ensemble, the loss of each run). The two terms inside the
// parentheses are the loss scales of the problem: the initial loss, and the
// decrease the gradient flow's initial rate ḟ = −‖∇f‖² would achieve over
// the whole horizon. Both have the units of f, so the rule does not depend
// on the units of the loss, of w or of t. Along gd and ngd the loss never
// increases (they are descent flows), grd trades loss for kinetic energy of
// the same scale, and a stable sgd, sde or cd fluctuates about the descent
// path by an amount of order the loss itself: a loss 1000 times its scales
// above the start is a blow-up (an unstable step size, an unstable
// integrator step), not a result. The flow then fails at t_k, the row is
// not recorded, and the error wraps ErrDiverged.

// DivergenceFactor is the factor of the divergence bound (see DivergenceBound).
const DivergenceFactor = 1e3

// ErrDiverged is wrapped by the error of a flow whose finite loss exceeded
// its divergence bound (DivergenceBound).
var ErrDiverged = errors.New("the flow diverged")

// DivergenceBound returns the loss B above which a flow that started with
// loss loss0 and gradient norm gradNorm0 at t_0 and runs for span = t_{K−1}
// − t_0 counts as diverged:
//
//	B = loss0 + DivergenceFactor·(|loss0| + gradNorm0²·span).
//
// B is +Inf when that overflows (only non-finite losses fail then).
func DivergenceBound(loss0, gradNorm0, span float64) float64 {
	return loss0 + DivergenceFactor*(math.Abs(loss0)+gradNorm0*gradNorm0*span)
}

// divergedError is the error of a loss above its bound at output time t.
func divergedError(t, loss, bound float64) error {
	return fmt.Errorf("%w: the loss %g at t=%g exceeds the divergence bound %g = f(w0) + %g·(|f(w0)| + ‖∇f(w0)‖²·(t1 − t0))",
		ErrDiverged, loss, t, bound, float64(DivergenceFactor))
}

package scenarios

import (
	"fmt"

	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/integrators"
)

// validateSteps refuses, before anything is computed or written, a
// scenario whose step counts the flows would refuse when they start: a
// fixed-step integrator taking more than integrators.DefaultMaxSteps steps
// over [t0, t1] (integrators.FixedStepCount), an ensemble run of more than
// flow.DefaultMaxEnsembleSteps steps or of none (flow.EnsembleSteps) —
// the same functions and limits the integrators and flows apply — and a
// span too short for time.outputs distinct output times.
func (s *Scenario) validateSteps() error {
	t0, t1 := s.Time.T0, s.Time.T1
	times := s.Time.Times()
	for k := 1; k < len(times); k++ {
		if !(times[k] > times[k-1]) {
			return s.errAt("time.t1", fmt.Sprintf("t1 − t0 = %g is too short for %d distinct output times (output times %d and %d are both %g): want a longer span or fewer outputs",
				t1-t0, len(times), k-1, k, times[k]), ErrBadTime)
		}
	}
	if s.HasFlow(FlowGD) || s.HasFlow(FlowNGD) || s.HasFlow(FlowGRD) {
		if in := s.Integrator; !isAdaptive(in.Method) && in.DT > 0 {
			if n := integrators.FixedStepCount(t0, t1, in.DT); n > integrators.DefaultMaxSteps {
				return s.errAt("integrator.dt", fmt.Sprintf("dt = %g on [%g, %g] needs %.4g steps, more than the limit %d (raise dt, shorten the horizon or use an adaptive method)",
					in.DT, t0, t1, n, integrators.DefaultMaxSteps), ErrBadValue)
			}
		}
	}
	for _, e := range []struct {
		flow, sec, key string
		h              float64
	}{
		{FlowSGD, "sgd", "lr", s.SGD.LR},
		{FlowSDE, "sde", "dt", s.SDE.DT},
		{FlowCD, "cd", "lr", s.CD.LR},
	} {
		if !s.HasFlow(e.flow) {
			continue
		}
		switch n := flow.EnsembleSteps(t0, t1, e.h); {
		case !(n >= 1):
			return s.errAt(e.sec+"."+e.key, fmt.Sprintf("%s = %g takes no step on [%g, %g]: want %s ≤ %g", e.key, e.h, t0, t1, e.key, 2*(t1-t0)), ErrBadValue)
		case n > flow.DefaultMaxEnsembleSteps:
			return s.errAt(e.sec+"."+e.key, fmt.Sprintf("%s = %g on [%g, %g] needs %.4g steps per run, more than the limit %d (raise %s or shorten the horizon)",
				e.key, e.h, t0, t1, n, flow.DefaultMaxEnsembleSteps, e.key), ErrBadValue)
		}
	}
	return nil
}

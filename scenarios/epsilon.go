package scenarios

import (
	"github.com/grd-engine/grd/engine"
)

// The ε policy of a scenario, in one place: a run, `grd geometry` and the
// ε sweep all take ε from λ_max(D(w0)) through Epsilon (the sweep through
// EpsilonAtSafety, the auto policy at its own safety factors).

// EpsilonSpec is the engine's form of the scenario's ε policy
// (metric.epsilon and metric.safety).
func (m MetricSpec) EpsilonSpec() engine.EpsilonSpec {
	return engine.EpsilonSpec{Auto: !m.Epsilon.Fixed, Safety: m.Safety, Value: m.Epsilon.Value}
}

// Epsilon applies the scenario's ε policy to lambdaMax = λ_max(D(w0)) (of
// the metric's model, Built.MetricModel): auto gives safety/λ_max (0 when
// λ_max = 0), a fixed ε must satisfy ε·λ_max < 1. An error cites
// metric.epsilon and wraps ErrBadValue.
func (s *Scenario) Epsilon(lambdaMax float64) (float64, error) {
	return s.epsilon(s.Metric.EpsilonSpec(), lambdaMax)
}

// EpsilonAtSafety is ε = safety/λ_max of the auto policy at the given
// safety factor in (0, 1), whatever the scenario's metric.epsilon: the
// points of an ε sweep. Errors are as for Epsilon.
func (s *Scenario) EpsilonAtSafety(safety, lambdaMax float64) (float64, error) {
	return s.epsilon(engine.EpsilonSpec{Auto: true, Safety: safety}, lambdaMax)
}

func (s *Scenario) epsilon(spec engine.EpsilonSpec, lambdaMax float64) (float64, error) {
	eps, err := engine.ResolveEpsilon(spec, lambdaMax)
	if err != nil {
		return 0, s.ErrorFrom("metric.epsilon", err, ErrBadValue)
	}
	return eps, nil
}

package experiment

import (
	"context"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/scenarios"
)

// The metric of a scenario is resolved the same way by Run, Check, Sweep
// and GeometryAt: λ_max(D(w0)) of the metric's model by lambdaMaxAt, then
// ε by the scenario's policy (scenarios.Scenario.Epsilon; the sweep's
// points by Scenario.EpsilonAtSafety), the inverse and Christoffel kinds
// by metricKinds.

// lambdaMaxAt is λ_max(D(w)) of g by the engine's ε rule: a spread of the
// per-sample gradients at rounding level counts as 0.
func lambdaMaxAt(ctx context.Context, g *engine.Geometry, w []float64) (float64, error) {
	_, lam, err := g.Epsilon(ctx, w, engine.EpsilonSpec{Auto: true})
	return lam, err
}

// metricKinds parses the scenario's metric.inverse and metric.christoffel.
func metricKinds(sc *scenarios.Scenario) (inv, chr engine.Kind, err error) {
	if inv, err = engine.ParseKind(sc.Metric.Inverse); err != nil {
		return inv, chr, sc.ErrorAt("metric.inverse", err.Error(), scenarios.ErrUnknownName)
	}
	if chr, err = engine.ParseKind(sc.Metric.Christoffel); err != nil {
		return inv, chr, sc.ErrorAt("metric.christoffel", err.Error(), scenarios.ErrUnknownName)
	}
	return inv, chr, nil
}

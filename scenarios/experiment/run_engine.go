package experiment

import (
	"context"
	"fmt"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/integrators"
	"github.com/grd-engine/grd/scenarios"
)

// flowSpec translates the scenario's settings for one flow into the
// engine's FlowSpec, with the metric met.
//
// The sgd and sde ensembles get their seeds from the scenario seed through
// their own streams (StreamSGD, StreamSDE), so adding a flow or changing
// the number of runs of one does not change the other.
func (p *prepared) flowSpec(flow string, met engine.Metric) (engine.FlowSpec, error) {
	sc := p.sc
	spec := engine.FlowSpec{Flow: flow, Times: p.times, Metric: met, V0: sc.GRD.V0}
	m, err := integrators.MethodByName(sc.Integrator.Method)
	if err != nil {
		return spec, sc.ErrorAt("integrator.method", err.Error(), scenarios.ErrUnknownName)
	}
	spec.Method = m
	spec.Settings = integrators.Settings{RTol: sc.Integrator.Rtol, ATol: sc.Integrator.Atol, Dt: sc.Integrator.DT}
	switch flow {
	case scenarios.FlowSGD:
		spec.Ensemble = engine.EnsembleSpec{LR: sc.SGD.LR, Batch: sc.SGD.Batch, Runs: sc.SGD.Runs,
			Seed: scenarios.NewSource(sc.Seed, scenarios.StreamSGD).Uint64()}
	case scenarios.FlowSDE:
		spec.Ensemble = engine.EnsembleSpec{LR: sc.SDE.LR, Batch: sc.SDE.Batch, Runs: sc.SDE.Runs, Dt: sc.SDE.DT,
			Seed: scenarios.NewSource(sc.Seed, scenarios.StreamSDE).Uint64()}
	case scenarios.FlowCD:
		spec.Ensemble = cdEnsemble(sc)
	}
	return spec, nil
}

// engineFlow runs a flow with engine.Geometry.RunFlow.
func engineFlow(ctx context.Context, g *engine.Geometry, p *prepared, flow string, met engine.Metric, progress func(float64)) *engine.Trajectory {
	spec, err := p.flowSpec(flow, met)
	if err != nil {
		return &engine.Trajectory{Flow: flow, Status: engine.StatusFailed, Err: fmt.Errorf("scenarios: %s flow: %w", flow, err)}
	}
	p.ck.apply(&spec)
	var prog func(done, total float64)
	if progress != nil {
		prog = func(done, total float64) {
			if total > 0 {
				progress(done / total)
			}
		}
	}
	if p.b.CDMetric != nil {
		mg := engine.New(p.b.CDMetric, &engine.Options{Workers: g.Workers()}) // metric source cd, within the flow's budget
		if flow == scenarios.FlowNGD || flow == scenarios.FlowGRD {
			g = mg
		} else {
			spec.MetricGeometry = mg // the ε·λ_max monitor of gd and the ensembles
		}
	}
	return g.RunFlow(ctx, p.b.W0, spec, prog)
}

// cdEnsemble is the engine's EnsembleSpec of the cd flow.
func cdEnsemble(s *scenarios.Scenario) engine.EnsembleSpec {
	return engine.EnsembleSpec{LR: s.CD.LR, Batch: s.CD.Batch, Runs: s.CD.Runs, K: s.CD.K,
		Persistent: s.CD.Persistent, Seed: scenarios.NewSource(s.Seed, scenarios.StreamCD).Uint64()}
}

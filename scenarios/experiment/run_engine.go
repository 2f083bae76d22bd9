package experiment

import (
	"context"
	"fmt"
	"math"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/integrators"
	"github.com/grd-engine/grd/scenarios"
)

// flowSpec translates the scenario's settings for one flow into the
// engine's FlowSpec, with the metric met.
//
// The sgd and sde ensembles get their seeds from the scenario seed through
// their own streams (StreamSGD, StreamSDE), so adding a flow or changing
// the number of runs of one does not change the other.
func (p *prepared) flowSpec(fl string, met engine.Metric) (flow.Spec, error) {
	sc := p.sc
	spec := flow.Spec{Flow: flow.Name(fl), Times: p.times, Metric: met, V0: flow.V0(sc.GRD.V0),
		// λ_max(D(w0)) of the metric's model is known from the ε policy:
		// the monitors' row at t_0 and their first warm start.
		Monitor: flow.Monitor{LambdaMax0: p.lambdaMax, Have0: true, Start0: p.lmVec}}
	m, err := integrators.MethodByName(sc.Integrator.Method)
	if err != nil {
		return spec, sc.ErrorAt("integrator.method", err.Error(), scenarios.ErrUnknownName)
	}
	spec.Method = m
	spec.Settings = integrators.Settings{RTol: sc.Integrator.Rtol, ATol: sc.Integrator.Atol, Dt: sc.Integrator.DT}
	switch fl {
	case scenarios.FlowSGD:
		spec.Ensemble = flow.EnsembleSpec{LR: sc.SGD.LR, Batch: sc.SGD.Batch, Runs: sc.SGD.Runs,
			Seed: scenarios.NewSource(sc.Seed, scenarios.StreamSGD).Uint64()}
	case scenarios.FlowSDE:
		spec.Ensemble = flow.EnsembleSpec{LR: sc.SDE.LR, Batch: sc.SDE.Batch, Runs: sc.SDE.Runs, Dt: sc.SDE.DT,
			Seed: scenarios.NewSource(sc.Seed, scenarios.StreamSDE).Uint64()}
	case scenarios.FlowCD:
		spec.Ensemble = cdEnsemble(sc)
	}
	return spec, nil
}

// engineFlow runs a flow with flow.Run.
func engineFlow(ctx context.Context, g *engine.Geometry, p *prepared, fl string, met engine.Metric, progress progressFunc) *flow.Trajectory {
	spec, err := p.flowSpec(fl, met)
	if err != nil {
		return &flow.Trajectory{Flow: flow.Name(fl), Status: flow.StatusFailed, Err: fmt.Errorf("scenarios: %s flow: %w", fl, err)}
	}
	p.ck.apply(&spec)
	var prog func(done, total float64)
	if progress != nil {
		loss := math.NaN() // at the last output row
		spec.Row = func(_, l float64) { loss = l }
		prog = func(done, total float64) {
			if total > 0 {
				progress(done/total, loss)
			}
		}
	}
	if p.b.CDMetric != nil {
		mg := engine.New(p.b.CDMetric, &engine.Options{Workers: g.Workers(), Comm: p.comm}) // metric source cd, within the flow's budget
		if fl == scenarios.FlowNGD || fl == scenarios.FlowGRD {
			g = mg
		} else {
			spec.MetricGeometry = mg // the ε·λ_max monitor of gd and the ensembles
		}
	}
	return flow.Run(ctx, g, p.b.W0, spec, prog)
}

// cdEnsemble is the engine's EnsembleSpec of the cd flow.
func cdEnsemble(s *scenarios.Scenario) flow.EnsembleSpec {
	return flow.EnsembleSpec{LR: s.CD.LR, Batch: s.CD.Batch, Runs: s.CD.Runs, K: s.CD.K,
		Persistent: s.CD.Persistent, Seed: scenarios.NewSource(s.Seed, scenarios.StreamCD).Uint64()}
}

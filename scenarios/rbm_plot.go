package scenarios

import (
	"fmt"

	"github.com/grd-engine/grd/engine/flow"
)

// klFigure: KL(p_data ‖ p_model(w(t))) for every flow that recorded it
// (rbm scenarios); the ensembles (sgd, sde, cd) as their mean over runs
// with a ± std band. nil when no flow has a KL.
func klFigure(r *Report) *figure {
	var ss []series
	var drawn []*flow.Trajectory
	for _, tr := range r.Flows {
		if tr.Len() == 0 || len(tr.KL) != tr.Len() {
			continue
		}
		drawn = append(drawn, tr)
		band := len(tr.KLStd) == len(tr.KL)
		s := series{label: flowLabel(tr, r.Scenario, band), x: tr.T, y: tr.KL, style: flowStyle(string(tr.Flow)), legend: true}
		if band {
			s.band = tr.KLStd
		}
		ss = append(ss, s)
	}
	if len(ss) == 0 {
		return nil
	}
	return &figure{panels: []panel{{
		title:  fmt.Sprintf("%s: KL(p_data ‖ p_model) along each flow (exact, by enumeration)", r.Scenario.Name),
		xlabel: timeAxisLabel(drawn),
		xlim:   r.timeSpan(),
		ylabel: "KL(p_data ‖ p_model) [nats]",
		series: ss,
	}}}
}

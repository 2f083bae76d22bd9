package report

import (
	"fmt"

	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/internal/figure"
	"github.com/grd-engine/grd/scenarios/experiment"
)

// klFigure: KL(p_data ‖ p_model(w(t))) for every flow that recorded it
// (rbm scenarios); the ensembles (sgd, sde, cd) as their mean over runs
// with a ± std band. nil when no flow has a KL.
func klFigure(r *experiment.Report) *figure.Figure {
	var ss []figure.Series
	var drawn []*flow.Trajectory
	for _, tr := range r.Flows {
		if tr.Len() == 0 || len(tr.KL) != tr.Len() {
			continue
		}
		drawn = append(drawn, tr)
		band := len(tr.KLStd) == len(tr.KL)
		s := figure.Series{Label: flowLabel(tr, r.Scenario, band), X: tr.T, Y: tr.KL, Style: flowStyle(string(tr.Flow)), Legend: true}
		if band {
			s.Band = tr.KLStd
		}
		ss = append(ss, s)
	}
	if len(ss) == 0 {
		return nil
	}
	top := figure.Panel{
		Title:  fmt.Sprintf("%s: KL(p_data ‖ p_model) along each flow (exact, by enumeration)", r.Scenario.Name),
		XLabel: timeAxisLabel(drawn),
		XLim:   timeSpan(r),
		YLabel: "KL(p_data ‖ p_model) [nats]",
		Series: ss,
	}
	return &figure.Figure{Panels: excessPanels(top, "KL", "KL")}
}

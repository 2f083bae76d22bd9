package report

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
)

// faultScenarios are scenarios in which the gd flow meets each kind of
// numerical fault while sgd finishes:
//
//   - diverged: explicit Euler with dt = 1 on a quadratic with λ_max(H) = 10
//     amplifies by |1 − 10| = 9 per step: at the output time t = 100 the
//     loss (≈ 1e190) is far above the divergence bound (flow.DivergenceBound);
//   - nonfinite: the same with only t0 and t1 as output times overflows
//     near t ≈ 323, between them;
//   - underflow: at t ≈ 1e12 the smallest step dopri5 may take is
//     16·ε_mach·t ≈ 3.6e-3, but stability on λ = 1e4 needs h ≈ 3e-4;
//   - maxsteps: the same stiffness from t = 0 needs ≈ 1.2e5 steps to reach
//     t1 = 40, beyond the integrator's 1e5.
var faultScenarios = []struct {
	name, yaml, want string
	slow             bool
}{
	{"diverged", `name: diverged
model: {kind: quadratic, samples: [{A: [[10, 0], [0, 1]], c: [0, 0]}, {A: [[10, 0], [0, 1]], c: [1, 1]}]}
init: {w: [1, 1]}
flows: [gd, sgd]
integrator: {method: euler, dt: 1}
sgd: {lr: 0.01, batch: 1, runs: 2}
time: {t1: 400, outputs: 5}
`, "the flow diverged: the loss", false},
	{"nonfinite", `name: nonfinite
model: {kind: quadratic, samples: [{A: [[10, 0], [0, 1]], c: [0, 0]}, {A: [[10, 0], [0, 1]], c: [1, 1]}]}
init: {w: [1, 1]}
flows: [gd, sgd]
integrator: {method: euler, dt: 1}
sgd: {lr: 0.01, batch: 1, runs: 2}
time: {t1: 400, outputs: 2}
`, "not finite", false},
	{"underflow", `name: underflow
model: {kind: quadratic, samples: [{A: [[10000, 0], [0, 1]], c: [0, 0]}, {A: [[10000, 0], [0, 1]], c: [1, 1]}]}
init: {w: [1, 1]}
flows: [gd, sgd]
sgd: {lr: 1.0e-4, batch: 1, runs: 2}
time: {t0: 1.0e12, t1: 1.0000000000005e12, outputs: 6}
`, "step size underflow", false},
	{"maxsteps", `name: maxsteps
model: {kind: quadratic, samples: [{A: [[10000, 0], [0, 1]], c: [0, 0]}, {A: [[10000, 0], [0, 1]], c: [1, 1]}]}
init: {w: [1, 1]}
flows: [gd, sgd]
sgd: {lr: 1.0e-4, batch: 1, runs: 2}
time: {t1: 40, outputs: 5}
`, "maximum number of steps reached", true},
}

// TestNumericalFaults runs each fault scenario through Run: gd stops with
// StatusFailed and an error naming the flow, t, the step size and the last
// finite loss; its rows up to the fault are kept (all finite); sgd still
// finishes; Run's error wraps ErrFlowFailed; summary.json records both
// statuses.
func TestNumericalFaults(t *testing.T) {
	for _, c := range faultScenarios {
		t.Run(c.name, func(t *testing.T) {
			if c.slow && testing.Short() {
				t.Skip("1e5 integrator steps")
			}
			sc, err := scenarios.Parse([]byte(c.yaml), "")
			if err != nil {
				t.Fatal(err)
			}
			r, err := experiment.Run(context.Background(), sc, experiment.RunOptions{Workers: 2})
			if !errors.Is(err, experiment.ErrFlowFailed) || r == nil {
				t.Fatalf("Run: %v, want ErrFlowFailed and a report", err)
			}
			gd, sgd := r.Flow(scenarios.FlowGD), r.Flow(scenarios.FlowSGD)
			if gd.Status != flow.StatusFailed || sgd.Status != flow.StatusOK {
				t.Fatalf("statuses gd %s, sgd %s; want failed, ok", gd.Status, sgd.Status)
			}
			msg := gd.Err.Error()
			for _, want := range []string{"engine: gd flow failed at t=", "step size ", "last finite loss ", c.want} {
				if !strings.Contains(msg, want) {
					t.Errorf("gd error %q lacks %q", msg, want)
				}
			}
			if gd.Len() < 1 || gd.Len() == len(r.Times) {
				t.Errorf("gd kept %d rows of %d", gd.Len(), len(r.Times))
			}
			for k := range gd.T {
				if !finiteAll(gd.W[k]) || !finiteAll([]float64{gd.Loss[k]}) {
					t.Errorf("gd row %d is not finite", k)
				}
			}
			s, err := NewSummary(r)
			if err != nil {
				t.Fatal(err)
			}
			if s.Flows["gd"].Status != "failed" || s.Flows["gd"].Error != msg || s.Flows["sgd"].Status != "ok" ||
				s.Flows["gd"].Rows != gd.Len() {
				t.Errorf("summary flows = %+v", s.Flows)
			}
		})
	}
}

func finiteAll(x []float64) bool {
	for _, v := range x {
		if v-v != 0 {
			return false
		}
	}
	return true
}

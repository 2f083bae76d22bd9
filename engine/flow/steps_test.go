package flow

import (
	"math"
	"strings"
	"testing"
)

// TestEnsembleStepLimits: every ensemble step count is checked before the
// run. Step sizes whose count overflows int (1e-300), would run for ever
// (1e-12) or takes no step at all (1e6 on [0, 2]) are refused with the count
// and the limit; counts at the limit and a single step pass.
func TestEnsembleStepLimits(t *testing.T) {
	for _, c := range []struct {
		flow     Name
		lr, dt   float64
		maxSteps int
		want     string // "" = accepted
	}{
		{SGD, 1e-300, 0, 0, "lr = 1e-300 on [0, 2] needs 2e+300 steps per run, more than the limit 10000000"},
		{SGD, 1e-12, 0, 0, "needs 2e+12 steps per run, more than the limit 10000000"},
		{SDE, 0.1, 1e-300, 0, "dt = 1e-300 on [0, 2] needs 2e+300 steps"},
		{SGD, 1e6, 0, 0, "lr = 1e+06 takes no step on [0, 2]"},
		{CD, math.Inf(1), 0, 0, "lr = +Inf"},
		{SGD, 0.5, 0, 3, "needs 4 steps per run, more than the limit 3"},
		{SGD, 0.5, 0, 4, ""},
		{SGD, 4, 0, 0, ""}, // one step: t = 4 is the step time nearest to t1 = 2
		{SGD, 4.1, 0, 0, "takes no step"},
		{SGD, 0.1, 0, -1, "max steps = -1"},
	} {
		es := EnsembleSpec{LR: c.lr, Dt: c.dt, Batch: 1, Runs: 1, MaxSteps: c.maxSteps}
		err := es.validate(c.flow, 4)
		if err == nil {
			err = es.validateSteps(c.flow, 0, 2)
		}
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s lr=%g dt=%g max=%d: %v, want accepted", c.flow, c.lr, c.dt, c.maxSteps, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s lr=%g dt=%g max=%d: %v, want an error containing %q", c.flow, c.lr, c.dt, c.maxSteps, err, c.want)
		}
	}
}

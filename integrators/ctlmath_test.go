package integrators

import (
	"math"
	"testing"
)

// TestCtlLogExp compares the controller's short-series ln and exp with
// math.Log and math.Exp over the whole ranges the controller can meet.
func TestCtlLogExp(t *testing.T) {
	worstLog, worstExp := 0.0, 0.0
	for i := 0; i <= 200000; i++ {
		// x from 1e-310 (subnormal) to 1e308, logarithmically.
		x := math.Pow(10, -310+618*float64(i)/200000)
		want := math.Log(x)
		if d := math.Abs(ctlLog(x)-want) / math.Max(1, math.Abs(want)); d > worstLog {
			worstLog = d
		}
		for _, y := range []float64{1 - 1e-16*float64(i%7), 1 + 2e-16*float64(i%5), math.Sqrt2 * (1 + 1e-9*float64(i%3-1))} {
			if d := math.Abs(ctlLog(y) - math.Log(y)); d > worstLog {
				worstLog = d
			}
		}
		u := -700 + 1400*float64(i)/200000
		if d := math.Abs(ctlExp(u)-math.Exp(u)) / math.Exp(u); d > worstExp {
			worstExp = d
		}
	}
	t.Logf("worst: log %.2g (absolute, relative above 1), exp %.2g (relative)", worstLog, worstExp)
	if worstLog > 1e-12 {
		t.Errorf("ctlLog: worst error %.3g, want ≤ 1e-12", worstLog)
	}
	if worstExp > 1e-12 {
		t.Errorf("ctlExp: worst relative error %.3g, want ≤ 1e-12", worstExp)
	}
	for _, c := range []struct{ x, want float64 }{{701, math.Inf(1)}, {-701, 0}, {0, 1}} {
		if got := ctlExp(c.x); got != c.want {
			t.Errorf("ctlExp(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if got := ctlExp(math.NaN()); !math.IsNaN(got) {
		t.Errorf("ctlExp(NaN) = %v, want NaN", got)
	}
	if got := ctlLog(1); got != 0 {
		t.Errorf("ctlLog(1) = %v, want 0", got)
	}
}

package integrators

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/grd-engine/grd/integrators/internal/odetest"
)

func TestInvalidInput(t *testing.T) {
	dec := odetest.Decay(-1, 1)
	good := Problem{F: dec.F, Y0: []float64{1}, T0: 0, T1: 1}
	dp, _ := MethodByName("dopri5")
	rk4, _ := MethodByName("rk4")
	g := func(float64, []float64) float64 { return 0 }
	cases := []struct {
		name  string
		p     Problem
		m     Method
		times []float64
		s     *Settings
		want  string
	}{
		{"nil F", Problem{Y0: []float64{1}, T1: 1}, dp, nil, nil, "F is nil"},
		{"empty Y0", Problem{F: dec.F, T1: 1}, dp, nil, nil, "Y0 is empty"},
		{"NaN Y0", Problem{F: dec.F, Y0: []float64{math.NaN()}, T1: 1}, dp, nil, nil, "not finite"},
		{"t1 == t0", Problem{F: dec.F, Y0: []float64{1}, T0: 2, T1: 2}, dp, nil, nil, "empty interval"},
		{"infinite t1", Problem{F: dec.F, Y0: []float64{1}, T1: math.Inf(1)}, dp, nil, nil, "not finite"},
		{"negative rtol", good, dp, nil, &Settings{RTol: -1e-6}, "RTol"},
		{"negative atol", good, dp, nil, &Settings{ATol: -1}, "ATol"},
		{"NaN H0", good, dp, nil, &Settings{H0: math.NaN()}, "H0"},
		{"negative max steps", good, dp, nil, &Settings{MaxSteps: -3}, "MaxSteps"},
		{"min step above max", good, dp, nil, &Settings{MinStep: 1, MaxStep: 0.1}, "MinStep"},
		{"fixed step without dt", good, rk4, nil, nil, "Dt must be > 0"},
		{"negative dt", good, rk4, nil, &Settings{Dt: -0.1}, "Dt"},
		{"time outside", good, dp, []float64{0.5, 2}, nil, "outside"},
		{"time before t0", good, dp, []float64{-0.1}, nil, "outside"},
		{"times unordered", good, dp, []float64{0.5, 0.2}, nil, "not ordered"},
		{"controller without Q", good, dp, nil, &Settings{Controller: &Controller{Safety: 0.9, FacMin: 0.2, FacMax: 5, Beta1: 0.2}}, "Controller"},
		{"controller growth ≤ 1", good, dp, nil, &Settings{Controller: &Controller{Safety: 0.9, FacMin: 0.2, FacMax: 1, Beta1: 0.2, Q: 5}}, "Controller"},
		{"event without G", good, dp, nil, &Settings{Events: []Event{{}}}, "G is nil"},
		{"event direction", good, dp, nil, &Settings{Events: []Event{{G: g, Direction: 2}}}, "Direction"},
	}
	for _, c := range cases {
		res, err := Solve(context.Background(), c.p, c.m, c.times, c.s)
		if err == nil || res != nil {
			t.Errorf("%s: got result %v, err %v; want an error", c.name, res, err)
			continue
		}
		if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "integrators: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want ErrInvalid mentioning %q", c.name, err, c.want)
		}
	}
}

func TestUnknownMethod(t *testing.T) {
	_, err := MethodByName("rk45")
	if err == nil || !strings.Contains(err.Error(), "dopri5") {
		t.Errorf("error %v should list the valid names", err)
	}
	if m, err := MethodByName("DOPRI5"); err != nil || m.Name() != "dopri5" {
		t.Errorf("names are case-insensitive: %v %v", m, err)
	}
}

func TestZeroMethodPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "integrators:") {
			t.Errorf("recover() = %v, want an integrators: panic", r)
		}
	}()
	dec := odetest.Decay(-1, 1)
	Solve(context.Background(), Problem{F: dec.F, Y0: []float64{1}, T1: 1}, Method{}, nil, nil)
}

// checkFail asserts a failed run: non-nil partial result with the status,
// an error wrapping the sentinel and naming t and h.
func checkFail(t *testing.T, name string, res *Result, err error, st Status) {
	t.Helper()
	if res == nil {
		t.Fatalf("%s: nil result", name)
	}
	if res.Status != st || !errors.Is(err, st.Err()) {
		t.Fatalf("%s: status %v, err %v; want %v", name, res.Status, err, st)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "integrators: ") || !strings.Contains(msg, "at t=") || !strings.Contains(msg, "step h=") {
		t.Errorf("%s: error %q should say where (t) and with which step (h)", name, msg)
	}
	if len(res.YEnd) == 0 || res.Stats.NFev == 0 {
		t.Errorf("%s: partial result missing state or stats: %+v", name, res)
	}
}

func TestMaxSteps(t *testing.T) {
	p := odetest.Arenstorf()
	m, _ := MethodByName("dopri5")
	res, err := Solve(context.Background(), Problem{F: p.F, Y0: p.Y0, T1: p.T1}, m, nil, &Settings{MaxSteps: 5})
	checkFail(t, "max steps", res, err, MaxStepsReached)
	if n := res.Stats.Accepted + res.Stats.Rejected; n != 5 {
		t.Errorf("%d attempts, want 5", n)
	}
	if res.TEnd <= 0 || res.TEnd >= p.T1 {
		t.Errorf("stopped at %v, want inside (0, T)", res.TEnd)
	}
	// Fixed step: 10 steps needed, 4 allowed.
	rk4, _ := MethodByName("rk4")
	res, err = Solve(context.Background(), Problem{F: p.F, Y0: p.Y0, T1: 1}, rk4, nil, &Settings{Dt: 0.1, MaxSteps: 4})
	checkFail(t, "fixed max steps", res, err, MaxStepsReached)
	if res.Stats.Accepted != 4 || math.Abs(res.TEnd-0.4) > 1e-15 {
		t.Errorf("fixed: %d steps to t=%v, want 4 to 0.4", res.Stats.Accepted, res.TEnd)
	}
}

// TestStepUnderflow: y' = y² with y(0) = 1 blows up at t = 1; integrating
// to 2 the controller must shrink h below MinStep before t = 1.
func TestStepUnderflow(t *testing.T) {
	f := func(_ float64, y, dy []float64) { dy[0] = y[0] * y[0] }
	for _, name := range []string{"bs3", "dopri5", "tsit5", "dop853"} {
		m, _ := MethodByName(name)
		res, err := Solve(context.Background(), Problem{F: f, Y0: []float64{1}, T1: 2}, m, nil, &Settings{MinStep: 1e-6})
		checkFail(t, name, res, err, StepUnderflow)
		// The numerical blow-up lags the exact one slightly at loose tolerance.
		if math.Abs(res.TEnd-1) > 0.01 {
			t.Errorf("%s: stopped at t=%v, want near the blow-up at 1", name, res.TEnd)
		}
	}
}

func TestNonFinite(t *testing.T) {
	// F is NaN beyond t = 0.5: every attempt crossing it fails.
	f := func(tt float64, y, dy []float64) {
		dy[0] = -y[0]
		if tt > 0.5 {
			dy[0] = math.NaN()
		}
	}
	for _, name := range []string{"dopri5", "dop853", "rk4"} {
		m, _ := MethodByName(name)
		res, err := Solve(context.Background(), Problem{F: f, Y0: []float64{1}, T1: 1}, m, nil, &Settings{Dt: dtIfFixed(m, 0.1)})
		checkFail(t, name, res, err, NonFinite)
		if res.TEnd > 0.5 || !allFinite(res.YEnd) {
			t.Errorf("%s: stopped at t=%v with y=%v, want a finite state before 0.5", name, res.TEnd, res.YEnd)
		}
	}
	// NaN at the initial point.
	m, _ := MethodByName("tsit5")
	g := func(_ float64, y, dy []float64) { dy[0] = math.Inf(1) }
	res, err := Solve(context.Background(), Problem{F: g, Y0: []float64{1}, T1: 1}, m, nil, nil)
	if res == nil || res.Status != NonFinite || !errors.Is(err, ErrNonFinite) || res.TEnd != 0 {
		t.Errorf("Inf at t0: %v %v", res, err)
	}
}

func dtIfFixed(m Method, dt float64) float64 {
	if m.Adaptive() {
		return 0
	}
	return dt
}

func TestCancelled(t *testing.T) {
	p := odetest.Arenstorf()
	m, _ := MethodByName("dopri5")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Solve(ctx, Problem{F: p.F, Y0: p.Y0, T1: p.T1}, m, nil, nil)
	if res == nil || res.Status != Cancelled || !errors.Is(err, context.Canceled) || !errors.Is(err, ErrCancelled) || res.Stats.Accepted != 0 {
		t.Fatalf("cancelled before start: %+v, %v", res, err)
	}
	// Cancel from the recorder after 3 accepted steps: the run stops at the
	// next accepted-step boundary with the partial result.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	rec := RecorderFunc(func(s StepInfo) error {
		if s.Stats.Accepted == 3 {
			cancel()
		}
		return nil
	})
	times := []float64{0, 1e-9, p.T1}
	res, err = Solve(ctx, Problem{F: p.F, Y0: p.Y0, T1: p.T1}, m, times, &Settings{Recorder: rec})
	checkFail(t, "cancel", res, err, Cancelled)
	if !errors.Is(err, context.Canceled) || res.Stats.Accepted != 3 {
		t.Errorf("err %v after %d steps, want context.Canceled after 3", err, res.Stats.Accepted)
	}
	if len(res.T) != 2 || len(res.Y) != 2 {
		t.Errorf("partial outputs %v, want the first two", res.T)
	}
}

func TestRecorderStops(t *testing.T) {
	p := odetest.Decay(-1, 1)
	m, _ := MethodByName("bs3")
	stop := errors.New("enough")
	rec := RecorderFunc(func(s StepInfo) error {
		if s.T1 > 0.5 {
			return stop
		}
		return nil
	})
	res, err := Solve(context.Background(), Problem{F: p.F, Y0: p.Y0, T1: 1}, m, nil, &Settings{Recorder: rec})
	checkFail(t, "recorder", res, err, Stopped)
	if !strings.Contains(err.Error(), "enough") {
		t.Errorf("error %q should carry the recorder's error", err)
	}
}

func TestStatusStrings(t *testing.T) {
	seen := map[string]bool{}
	for s := Success; s <= Stopped; s++ {
		name := s.String()
		if name == "unknown" || seen[name] {
			t.Errorf("status %d has name %q", s, name)
		}
		seen[name] = true
		if (s.Err() == nil) != (s == Success || s == EventTerminated) {
			t.Errorf("%v.Err() = %v", s, s.Err())
		}
	}
	if Status(99).String() != "unknown" || Status(99).Err() == nil {
		t.Error("out-of-range status")
	}
}

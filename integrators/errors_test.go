package integrators

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
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

// TestMethodVocabulary: FixedStepMethods and AdaptiveMethods split Methods
// in order, and agree with MethodByName(name).Adaptive().
func TestMethodVocabulary(t *testing.T) {
	fixed, adaptive := FixedStepMethods(), AdaptiveMethods()
	if all := append(slices.Clone(fixed), adaptive...); !slices.Equal(all, Methods()) {
		t.Errorf("FixedStepMethods %v + AdaptiveMethods %v, want Methods %v", fixed, adaptive, Methods())
	}
	for _, name := range Methods() {
		m, err := MethodByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if m.Adaptive() != slices.Contains(adaptive, name) || m.Adaptive() == slices.Contains(fixed, name) {
			t.Errorf("%s: Adaptive() = %v, but listed as fixed %v, adaptive %v", name, m.Adaptive(), fixed, adaptive)
		}
	}
	fixed[0] = "changed"
	if FixedStepMethods()[0] != "euler" {
		t.Error("FixedStepMethods returns shared storage")
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
	// Fixed step: 10 steps needed, 4 allowed: refused before the run.
	rk4, _ := MethodByName("rk4")
	res, err = Solve(context.Background(), Problem{F: p.F, Y0: p.Y0, T1: 1}, rk4, nil, &Settings{Dt: 0.1, MaxSteps: 4})
	want := "integrators: invalid input: rk4: too many steps: Settings.Dt = 0.1 on [0, 1] needs 10 steps, more than Settings.MaxSteps = 4 (raise Dt or MaxSteps)"
	if res != nil || !errors.Is(err, ErrInvalid) || !errors.Is(err, ErrTooManySteps) || err.Error() != want {
		t.Errorf("fixed max steps: result %v, error %v; want no result and\n%s", res, err, want)
	}
	// Exactly as many as allowed: runs.
	res, err = Solve(context.Background(), Problem{F: p.F, Y0: p.Y0, T1: 1}, rk4, nil, &Settings{Dt: 0.1, MaxSteps: 10})
	if err != nil || res.Stats.Accepted != 10 || res.TEnd != 1 {
		t.Errorf("fixed, 10 steps allowed: %v, %+v", err, res)
	}
}

// TestStepCountOverflow: a step so small that the number of steps does not
// fit in an int used to overflow to a single step over the whole interval
// with status Success; every such count must be refused before the run,
// for fixed-step methods and adaptive ones with Dt, naming the count and
// the limit.
func TestStepCountOverflow(t *testing.T) {
	dec := odetest.Decay(-1, 1)
	cases := []struct {
		method string
		t0, t1 float64
		dt     float64
		max    int
		count  string
	}{
		{"rk4", 0, 2, 1e-19, 0, "2e+19"},
		{"euler", 0, 2, 1e-300, 0, "2e+300"},
		{"heun", 0, 2, 5e-324, 0, "+Inf"},
		{"dopri5", 0, 2, 1e-19, 0, "2e+19"},
		{"rk4", 2, 0, 1e-5, 0, "200000"},
		{"rk4", 0, 1, 1e-10, math.MaxInt, "1e+10"}, // within MaxSteps: allowed (not run here)
		{"tsit5", 0, 1e6, 0.5, 1e6, "2000000"},
	}
	for _, c := range cases {
		m, _ := MethodByName(c.method)
		if c.max == math.MaxInt {
			if n := FixedStepCount(c.t0, c.t1, c.dt); n != 1e10 {
				t.Errorf("FixedStepCount(%g, %g, %g) = %g, want 1e10", c.t0, c.t1, c.dt, n)
			}
			continue
		}
		s := &Settings{Dt: c.dt, MaxSteps: c.max}
		res, err := Solve(context.Background(), Problem{F: dec.F, Y0: []float64{1}, T0: c.t0, T1: c.t1}, m, nil, s)
		limit := c.max
		if limit == 0 {
			limit = 100000
		}
		wantCount := "needs " + c.count + " steps, more than Settings.MaxSteps = " + strconv.Itoa(limit)
		if res != nil || !errors.Is(err, ErrTooManySteps) || !strings.Contains(fmt.Sprint(err), wantCount) {
			t.Errorf("%s dt=%g on [%g, %g]: result %+v, error %v; want a refusal saying %q", c.method, c.dt, c.t0, c.t1, res, err, wantCount)
		}
	}
	for _, c := range []struct{ t0, t1, dt, want float64 }{
		{0, 1, 0.1, 10}, {0, 1, 0.3, 4}, {0, 1, 2, 1}, {1, 0, 0.25, 4}, {0, 1, 1.0 / 3, 3},
	} {
		if n := FixedStepCount(c.t0, c.t1, c.dt); n != c.want {
			t.Errorf("FixedStepCount(%g, %g, %g) = %g, want %g", c.t0, c.t1, c.dt, n, c.want)
		}
	}
	for _, dt := range []float64{0, -1, math.NaN()} {
		if n := FixedStepCount(0, 1, dt); !math.IsNaN(n) {
			t.Errorf("FixedStepCount(0, 1, %g) = %g, want NaN", dt, n)
		}
	}
}

// TestTinyTolerance: rtol = atol = 1e-300 used to fail at t = 0 with a
// non-finite step size; an RTol no step can meet (≤ 10ε) is refused before
// the run, with step-size control only.
func TestTinyTolerance(t *testing.T) {
	dec := odetest.Decay(-1, 1)
	p := Problem{F: dec.F, Y0: []float64{1}, T1: 1}
	for _, name := range []string{"bs3", "dopri5", "tsit5", "dop853"} {
		m, _ := MethodByName(name)
		for _, rtol := range []float64{1e-300, 1e-16, 2e-15} {
			res, err := Solve(context.Background(), p, m, nil, &Settings{RTol: rtol, ATol: 1e-300})
			if res != nil || !errors.Is(err, ErrInvalid) || !strings.Contains(fmt.Sprint(err), "Settings.RTol = ") ||
				!strings.Contains(fmt.Sprint(err), "too small") {
				t.Errorf("%s rtol=%g: result %v, error %v; want a refusal of RTol", name, rtol, res, err)
			}
		}
		// Just above the limit, with a tiny ATol: runs.
		if _, err := Solve(context.Background(), p, m, nil, &Settings{RTol: 1e-14, ATol: 1e-300}); err != nil {
			t.Errorf("%s rtol=1e-14: %v", name, err)
		}
		// Tolerances are unused by fixed steps: not checked.
		if _, err := Solve(context.Background(), p, m, nil, &Settings{RTol: 1e-300, ATol: 1e-300, Dt: 0.1}); err != nil {
			t.Errorf("%s with Dt and rtol=1e-300: %v", name, err)
		}
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

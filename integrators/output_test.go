package integrators

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// outputRun collects what Settings.Output delivers.
type outputRun struct {
	t []float64
	y [][]float64
}

func (o *outputRun) out(t float64, y []float64) error {
	o.t = append(o.t, t)
	o.y = append(o.y, slices.Clone(y))
	return nil
}

// recorderOutputs computes the outputs the way a caller did before
// Settings.Output (engine/flow.go's odeFlow.step): y0 at T0, then in a
// Recorder every output time in (T0, T1] of the step, copying the step's
// end state at T1 and interpolating otherwise. Forward integration only.
func recorderOutputs(t *testing.T, p Problem, m Method, times []float64, set Settings) (*outputRun, *Result) {
	t.Helper()
	o := &outputRun{}
	next := 0
	for next < len(times) && times[next] == p.T0 {
		o.out(p.T0, p.Y0)
		next++
	}
	set.Recorder = RecorderFunc(func(s StepInfo) error {
		for next < len(times) && times[next] <= s.T1 {
			y := make([]float64, len(s.Y))
			if times[next] == s.T1 {
				copy(y, s.Y)
			} else {
				s.Interpolate(times[next], y)
			}
			o.out(times[next], y)
			next++
		}
		return nil
	})
	res, err := Solve(context.Background(), p, m, nil, &set)
	if err != nil {
		t.Fatal(err)
	}
	return o, res
}

// outputCases: fixed-step methods, an adaptive method with fixed steps,
// and adaptive methods, each with output times at T0, at step ends (fixed
// steps end at T0 + n·Dt, computed the same way) and between steps.
var outputCases = []struct {
	method string
	set    Settings
}{
	{"euler", Settings{Dt: 1.0 / 64}},
	{"rk4", Settings{Dt: 1.0 / 64}},
	{"dopri5", Settings{Dt: 1.0 / 32}},
	{"bs3", Settings{RTol: 1e-6, ATol: 1e-8}},
	{"dopri5", Settings{RTol: 1e-8, ATol: 1e-10}},
	{"tsit5", Settings{RTol: 1e-8, ATol: 1e-10}},
	{"dop853", Settings{RTol: 1e-9, ATol: 1e-11}}, // extra dense stages, counted in NFev
}

func outputTimes() []float64 {
	var times []float64
	for i := 0; i <= 40; i++ {
		times = append(times, 0+float64(i)*0.25) // step ends of Dt = 1/64 and 1/32
		if i < 40 {
			times = append(times, float64(i)*0.25+0.1) // between steps
		}
	}
	return times
}

// TestOutputMatchesRecorder: Settings.Output delivers every output time in
// order, bit-identical to the Result rows and to a Recorder that copies at
// step ends and interpolates between them, with the same counters.
func TestOutputMatchesRecorder(t *testing.T) {
	p := Problem{F: vanDerPol, Y0: []float64{2, 0}, T0: 0, T1: 10}
	times := outputTimes()
	for _, c := range outputCases {
		m, _ := MethodByName(c.method)
		want, wantRes := recorderOutputs(t, p, m, times, c.set)

		stored, err := Solve(context.Background(), p, m, times, &c.set)
		if err != nil {
			t.Fatalf("%s: %v", c.method, err)
		}
		got := &outputRun{}
		set := c.set
		set.Output = got.out
		res, err := Solve(context.Background(), p, m, times, &set)
		if err != nil {
			t.Fatalf("%s: %v", c.method, err)
		}
		if len(res.T) != 0 || len(res.Y) != 0 {
			t.Errorf("%s: with Output, Result holds %d rows, want none", c.method, len(res.T))
		}
		if !slices.Equal(got.t, times) || !slices.Equal(want.t, times) || !slices.Equal(stored.T, times) {
			t.Fatalf("%s: output times\n%v\n%v\n%v\nwant %v", c.method, got.t, want.t, stored.T, times)
		}
		for i := range times {
			if !slices.Equal(got.y[i], want.y[i]) || !slices.Equal(got.y[i], stored.Y[i]) {
				t.Errorf("%s: t=%g: Output %v, Recorder %v, Result %v: want identical bits",
					c.method, times[i], got.y[i], want.y[i], stored.Y[i])
			}
		}
		if res.Stats != wantRes.Stats || res.Stats != stored.Stats || !slices.Equal(res.YEnd, wantRes.YEnd) {
			t.Errorf("%s: stats %+v, recorder %+v, stored %+v", c.method, res.Stats, wantRes.Stats, stored.Stats)
		}
	}
}

// TestOutputStepEnds: an output time at the end of an accepted step gets
// the step's end state itself.
func TestOutputStepEnds(t *testing.T) {
	p := Problem{F: vanDerPol, Y0: []float64{2, 0}, T0: 0, T1: 3}
	for _, c := range outputCases {
		m, _ := MethodByName(c.method)
		// First run: the step ends.
		var ends []float64
		var states [][]float64
		set := c.set
		set.Recorder = RecorderFunc(func(s StepInfo) error {
			ends = append(ends, s.T1)
			states = append(states, slices.Clone(s.Y))
			return nil
		})
		if _, err := Solve(context.Background(), p, m, nil, &set); err != nil {
			t.Fatal(err)
		}
		got := &outputRun{}
		set = c.set
		set.Output = got.out
		if _, err := Solve(context.Background(), p, m, ends, &set); err != nil {
			t.Fatal(err)
		}
		for i := range ends {
			if got.t[i] != ends[i] || !slices.Equal(got.y[i], states[i]) {
				t.Errorf("%s: output at step end %g: %v, want the end state %v", c.method, ends[i], got.y[i], states[i])
			}
		}
	}
}

// TestOutputBackward: backward integration delivers outputs in time order
// of integration (decreasing t), bit-identical to the Result rows.
func TestOutputBackward(t *testing.T) {
	osc := func(_ float64, y, dy []float64) { dy[0], dy[1] = y[1], -y[0] }
	p := Problem{F: osc, Y0: []float64{2, 0}, T0: 2, T1: -1}
	times := []float64{2, 1.9, 1.5, 1, 0.3, 0.25, -1} // 1.5, 1, 0.25: fixed step ends
	for _, c := range outputCases {
		m, _ := MethodByName(c.method)
		stored, err := Solve(context.Background(), p, m, times, &c.set)
		if err != nil {
			t.Fatal(err)
		}
		got := &outputRun{}
		set := c.set
		set.Output = got.out
		if _, err := Solve(context.Background(), p, m, times, &set); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.t, times) {
			t.Fatalf("%s: times %v, want %v", c.method, got.t, times)
		}
		for i := range times {
			if !slices.Equal(got.y[i], stored.Y[i]) {
				t.Errorf("%s: t=%g: %v, want %v", c.method, times[i], got.y[i], stored.Y[i])
			}
		}
	}
}

// TestOutputBeyondStop: output times after the point where a run stops
// are not delivered: after a terminal event (outputs up to the event are)
// and after MaxSteps.
func TestOutputBeyondStop(t *testing.T) {
	// y' = −y from 1: y = 1/2 at ln 2 ≈ 0.693.
	f := func(_ float64, y, dy []float64) { dy[0] = -y[0] }
	half := Event{G: func(_ float64, y []float64) float64 { return y[0] - 0.5 }, Terminal: true}
	p := Problem{F: f, Y0: []float64{1}, T1: 2}
	times := []float64{0, 0.3, 0.6, 0.69, 0.7, 1, 2}
	for _, c := range outputCases {
		m, _ := MethodByName(c.method)
		got := &outputRun{}
		set := c.set
		set.Output = got.out
		set.Events = []Event{half}
		res, err := Solve(context.Background(), p, m, times, &set)
		if err != nil || res.Status != EventTerminated {
			t.Fatalf("%s: %v, %v", c.method, res.Status, err)
		}
		var want []float64
		for _, tt := range times {
			if tt <= res.TEnd {
				want = append(want, tt)
			}
		}
		if !slices.Equal(got.t, want) || len(want) < 3 || len(want) == len(times) {
			t.Errorf("%s: terminal event at %g: outputs at %v, want %v", c.method, res.TEnd, got.t, want)
		}

		if c.set.Dt > 0 {
			continue // too many fixed steps are refused before the run
		}
		got = &outputRun{}
		set = c.set
		set.Output = got.out
		set.MaxSteps = 5
		res, err = Solve(context.Background(), p, m, times, &set)
		if res == nil || res.Status != MaxStepsReached {
			t.Fatalf("%s: %v, want max-steps", c.method, err)
		}
		for _, tt := range got.t {
			if tt > res.TEnd {
				t.Errorf("%s: output at %g after the run stopped at %g", c.method, tt, res.TEnd)
			}
		}
		if len(got.t) == len(times) {
			t.Errorf("%s: all outputs delivered though the run stopped at %g", c.method, res.TEnd)
		}
	}
}

// TestOutputResume: a run stopped after its k-th step and resumed from
// StepInfo.State continues the output list: it delivers exactly the output
// times after the stop, with the same bits as the uninterrupted run.
func TestOutputResume(t *testing.T) {
	p := Problem{F: vanDerPol, Y0: []float64{2, 0}, T0: 0, T1: 10}
	times := outputTimes()
	stop := errors.New("stop here")
	for _, c := range outputCases {
		m, _ := MethodByName(c.method)
		full := &outputRun{}
		set := c.set
		set.Output = full.out
		fullRes, err := Solve(context.Background(), p, m, times, &set)
		if err != nil {
			t.Fatal(err)
		}
		n := fullRes.Stats.Accepted
		for _, k := range []int{1, n / 2, n - 1} {
			first := &outputRun{}
			var st State
			set := c.set
			set.Output = first.out
			set.Recorder = RecorderFunc(func(s StepInfo) error {
				if s.Stats.Accepted == k {
					s.State(&st)
					return stop
				}
				return nil
			})
			if _, err := Solve(context.Background(), p, m, times, &set); !errors.Is(err, stop) {
				t.Fatalf("%s k=%d: %v", c.method, k, err)
			}
			second := &outputRun{}
			set.Output, set.Recorder, set.Resume = second.out, nil, &st
			res, err := Solve(context.Background(), p, m, times, &set)
			if err != nil {
				t.Fatalf("%s k=%d resumed: %v", c.method, k, err)
			}
			all := append(slices.Clone(first.t), second.t...)
			if !slices.Equal(all, times) {
				t.Fatalf("%s k=%d: outputs %v then %v, want %v", c.method, k, first.t, second.t, times)
			}
			for i, tt := range second.t {
				if tt <= st.T {
					t.Errorf("%s k=%d: resumed run repeats the output at %g ≤ %g", c.method, k, tt, st.T)
				}
				j := len(first.t) + i
				if !slices.Equal(second.y[i], full.y[j]) {
					t.Errorf("%s k=%d: t=%g: %v, want %v", c.method, k, tt, second.y[i], full.y[j])
				}
			}
			if res.Stats != fullRes.Stats {
				t.Errorf("%s k=%d: stats %+v, want %+v", c.method, k, res.Stats, fullRes.Stats)
			}
		}
	}
}

// TestOutputError: an error from Settings.Output stops the run with status
// Stopped and an error wrapping it and ErrStopped that names the output
// time; no later output and no Recorder call for that step follow.
func TestOutputError(t *testing.T) {
	p := Problem{F: vanDerPol, Y0: []float64{2, 0}, T0: 0, T1: 10}
	times := outputTimes()
	bad := errors.New("disk full")
	for _, c := range outputCases {
		m, _ := MethodByName(c.method)
		for _, failAt := range []int{0, 1, 7} {
			var got []float64
			set := c.set
			set.Output = func(tt float64, _ []float64) error {
				if len(got) == failAt {
					return bad
				}
				got = append(got, tt)
				return nil
			}
			var recorded []float64
			set.Recorder = RecorderFunc(func(s StepInfo) error {
				recorded = append(recorded, s.T1)
				return nil
			})
			res, err := Solve(context.Background(), p, m, times, &set)
			if res == nil || res.Status != Stopped || !errors.Is(err, bad) || !errors.Is(err, ErrStopped) {
				t.Fatalf("%s fail at %d: result %v, error %v; want status stopped wrapping the cause", c.method, failAt, res, err)
			}
			tt := times[failAt]
			if !slices.Equal(got, times[:failAt]) {
				t.Errorf("%s: outputs %v before the failure, want %v", c.method, got, times[:failAt])
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("output at t=%g: disk full", tt)) {
				t.Errorf("%s: error %q should name the output time %g and the cause", c.method, err, tt)
			}
			if len(recorded) > 0 && recorded[len(recorded)-1] >= tt {
				t.Errorf("%s: Recorder saw the step ending at %g, after the failed output at %g", c.method, recorded[len(recorded)-1], tt)
			}
			if failAt == 0 && (res.TEnd != 0 || res.Stats.NFev != 0) {
				t.Errorf("%s: failure at T0: stopped at %g after %d evaluations, want 0 and 0", c.method, res.TEnd, res.Stats.NFev)
			}
		}
	}
}

// TestOutputNeedsTimes: Output without output times is refused.
func TestOutputNeedsTimes(t *testing.T) {
	m, _ := MethodByName("dopri5")
	p := Problem{F: vanDerPol, Y0: []float64{2, 0}, T1: 1}
	res, err := Solve(context.Background(), p, m, nil, &Settings{Output: func(float64, []float64) error { return nil }})
	if res != nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "Settings.Output is set but no output times") {
		t.Errorf("result %v, error %v", res, err)
	}
}

// TestOutputNoAllocs: streaming outputs allocates nothing per step or per
// output.
func TestOutputNoAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation count")
	}
	m, _ := MethodByName("dopri5")
	p := Problem{F: vanDerPol, Y0: []float64{2, 0}, T1: 10}
	sink := 0.0
	out := func(_ float64, y []float64) error { sink += y[0]; return nil }
	short, long := outputTimes()[:3], outputTimes()
	allocs := func(times []float64, t1 float64) float64 {
		p.T1 = t1
		return testing.AllocsPerRun(5, func() {
			if _, err := Solve(context.Background(), p, m, times, &Settings{Output: out}); err != nil {
				t.Fatal(err)
			}
		})
	}
	a, b := allocs(short, 1), allocs(long, 10)
	if a != b {
		t.Errorf("allocations: %v for 1 time unit and 3 outputs, %v for 10 and %d outputs: want equal", a, b, len(long))
	}
	_ = math.Abs(sink)
}

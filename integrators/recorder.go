package integrators

import (
	"fmt"
	"io"
)

// Recorder observes a run: Record is called after every accepted step
// (after its events and outputs were processed). Returning an error stops
// the run with status Stopped.
type Recorder interface {
	Record(StepInfo) error
}

// RecorderFunc adapts a function to the Recorder interface.
type RecorderFunc func(StepInfo) error

// Record calls f(s).
func (f RecorderFunc) Record(s StepInfo) error { return f(s) }

// StepInfo describes an accepted step from T0 to T1 (T1 is the event time
// when a terminal event ended the step early). It is valid only during the
// Record call.
type StepInfo struct {
	T0, T1 float64
	// Y is the state at T1; do not modify or retain it.
	Y []float64
	// Stats so far.
	Stats Stats
	d     *driver
}

// Interpolate writes the method's dense output at t ∈ [T0, T1] into dst
// (len(dst) = len(Y)). For DOP853 the first call in a step costs three
// evaluations of F. It panics if t is outside the step.
func (s StepInfo) Interpolate(t float64, dst []float64) {
	if len(dst) != len(s.Y) {
		panic("integrators: StepInfo.Interpolate: wrong length of dst")
	}
	lo, hi := min(s.T0, s.T1), max(s.T0, s.T1)
	if t < lo || t > hi {
		panic(fmt.Sprintf("integrators: StepInfo.Interpolate: t=%g outside the step [%g, %g]", t, s.T0, s.T1))
	}
	s.d.interp(t, dst)
}

// Printer is a Recorder that writes one line per accepted step to W:
// the step's end time, its size, and the counters. It allocates, so use it
// for debugging, not in benchmarks.
type Printer struct {
	W io.Writer
}

// Record writes "t=… h=… nfev=… accepted=… rejected=…".
func (p Printer) Record(s StepInfo) error {
	_, err := fmt.Fprintf(p.W, "t=%-14.8g h=%-12.6g nfev=%d accepted=%d rejected=%d\n",
		s.T1, s.T1-s.T0, s.Stats.NFev, s.Stats.Accepted, s.Stats.Rejected)
	return err
}

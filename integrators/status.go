package integrators

import "errors"

// Status says how a Solve ended.
type Status int

const (
	// Success: the integration reached T1.
	Success Status = iota
	// EventTerminated: a terminal event stopped the integration before T1.
	EventTerminated
	// MaxStepsReached: Settings.MaxSteps step attempts were made.
	MaxStepsReached
	// StepUnderflow: the step-size controller asked for a step below the
	// minimum step (Settings.MinStep or 16 ulp of t).
	StepUnderflow
	// NonFinite: the right-hand side or the state became NaN or infinite.
	NonFinite
	// Cancelled: the context was cancelled.
	Cancelled
	// Stopped: the Recorder or Settings.Output returned an error.
	Stopped
	// LinearSolveFailed: a stiff method could not solve its linear
	// systems (singular I/(γh) − J, GMRES not converging, a non-finite
	// Jacobian) for several step sizes in a row.
	LinearSolveFailed
	// SpectralRadiusFailed: rock4 could not trust its spectral radius
	// (Settings.SpectralRadius violated, the power iteration not
	// converging, or a fixed step needing more stages than it has).
	SpectralRadiusFailed
)

// Sentinel errors matching the failure statuses; Solve's errors wrap them.
var (
	ErrMaxSteps      = errors.New("maximum number of steps reached")
	ErrStepUnderflow = errors.New("step size underflow")
	ErrNonFinite     = errors.New("non-finite value (NaN or Inf)")
	ErrCancelled     = errors.New("cancelled")
	ErrStopped       = errors.New("stopped by recorder")
	// ErrInvalid is wrapped by errors about invalid problems and settings.
	ErrInvalid = errors.New("invalid input")
)

var statusNames = [...]string{"success", "event", "max-steps", "step-underflow", "non-finite", "cancelled", "stopped", "linear-solve-failed", "spectral-radius-failed"}

// String returns a short lower-case name of s.
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "unknown"
}

// Err returns nil for Success and EventTerminated and the matching sentinel
// error otherwise.
func (s Status) Err() error {
	switch s {
	case Success, EventTerminated:
		return nil
	case MaxStepsReached:
		return ErrMaxSteps
	case StepUnderflow:
		return ErrStepUnderflow
	case NonFinite:
		return ErrNonFinite
	case Cancelled:
		return ErrCancelled
	case Stopped:
		return ErrStopped
	case LinearSolveFailed:
		return ErrLinearSolve
	case SpectralRadiusFailed:
		return ErrSpectralRadius
	}
	return errors.New("integrators: unknown status")
}

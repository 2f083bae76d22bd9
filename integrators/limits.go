package integrators

// DefaultMaxSteps is the default of Settings.MaxSteps: the step attempts
// (accepted + rejected) a run may take, and the largest fixed-step count
// (FixedStepCount) accepted before a run starts. Callers validating their
// own input up front (package scenarios) compare against it.
const DefaultMaxSteps = defaultMaxSteps

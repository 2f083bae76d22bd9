// Package experiment runs scenarios (package scenarios): `grd run`,
// `grd check`, `grd check --sweep` and `grd geometry`.
//
// Run builds a scenario, resolves its metric once — λ_max(D(w0)) of the
// metric's model, then ε by the scenario's policy (scenarios.Scenario.
// Epsilon; the sweep's points by EpsilonAtSafety) — and runs its flows
// concurrently, each on its own engine.Geometry, into a Report: one
// trajectory per flow and the Comparisons between them (the GRD–NGD and
// NGD–GD gaps, the NGD defect, R2/R1) with warnings. Check runs gd, ngd
// and grd and adds a plain-language verdict; Sweep repeats ngd and grd at
// several safety factors and fits how the gaps scale with ε
// (FitLogLogSlope). GeometryAt evaluates the geometry at one point with
// the same metric a run would use.
//
// # Workers
//
// RunOptions.Workers = W is one budget: F = min(W, flows) flows run at
// once, each with ⌊W/F⌋ pass workers, so at most W goroutines do passes.
// A pass's sums are reduced in a fixed chunk order, so every number is
// bit-identical for any W.
//
// # Checkpoints
//
// With RunOptions.Checkpoint, Run writes the state of every flow into
// DIR/CheckpointFile periodically and when interrupted, and continues from
// a Checkpoint read back by ReadCheckpoint; the resumed outputs are
// bit-identical to an uninterrupted run's. A checkpoint of another grd
// version, scenario or format, or damaged, is refused (ErrCheckpoint).
// When every flow has finished Run writes a final checkpoint holding every
// trajectory, and leaves it: the caller removes it with RemoveCheckpoint
// once the outputs are safely written, so that outputs that fail to be
// written (a full disk) lose nothing (a resume writes them again).
//
// Nothing here writes outputs or prints: package scenarios/report turns
// the reports into files and tables. A flow that fails does not stop the
// others: Run returns the complete report with an error wrapping
// ErrFlowFailed, so the outputs can still be written.
package experiment

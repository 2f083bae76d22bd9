// Package scenarios is the description of an experiment: it reads
// scenario files (YAML, DESIGN §4), fills their defaults, validates them,
// loads their data, and builds their model and initial point (Build). It
// runs nothing: package scenarios/experiment runs a scenario and package
// scenarios/report writes and prints the results.
//
// The scenario's ε policy lives here too (Scenario.Epsilon, used by every
// run, `grd geometry` and the ε sweep), and the integrator methods a
// scenario may name, with which of them are fixed-step, come from package
// integrators (integrators.Methods, Method.Adaptive).
//
// # Scenario files
//
// A scenario is a YAML file (JSON is valid YAML) with the keys of DESIGN §4:
//
//	name: two-layer-iris            # required
//	seed: 1
//	data: {csv: data/iris.csv, target: species, standardize: true, classes: true, limit: 0}
//	model: {kind: two-layer, hidden: 8, activation: tanh, loss: squared}
//	init: {normal: 0.5}             # or w: [..] or file: w0.txt
//	metric: {epsilon: auto, safety: 0.5, inverse: weak-field, christoffel: weak-field}
//	flows: [gd, ngd, grd, sgd]
//	grd: {v0: ngd}
//	sgd: {lr: 0.05, batch: 16, runs: 32}
//	sde: {lr: 0.05, batch: 16, runs: 32, dt: 0.01}
//	integrator: {method: dopri5, rtol: 1.0e-8, atol: 1.0e-10}
//	time: {t0: 0, t1: 20, outputs: 201}
//
// Decoding is strict: an unknown key, a repeated key or a value of the wrong
// type (2.5 for an integer, yes for a boolean, a word for a number) is an
// error naming the key path and file:line. Missing keys take the defaults
// documented on the Scenario fields and the Default constants: seed 0,
// standardize true, classes false, limit 0 (all rows), activation tanh, loss
// squared, condition 1, init normal 0.5, epsilon auto, safety 0.5, inverse
// and christoffel weak-field, flows [gd, ngd, grd], v0 ngd, sgd/sde lr 0.05,
// batch 16, runs 32, sde dt 0.01, method dopri5, rtol 1e-8, atol 1e-10,
// t0 0, outputs 201. name, model.kind and time.t1 have no default. A key
// given as 0 where 0 is not valid (safety: 0, rtol: 0, …) is an error rather
// than silently the default.
//
// Validate then checks the settings against each other (relu with ngd or
// grd, a fixed-step method without integrator.dt, a quadratic with a data
// section, …) and Build checks what needs the data (mlp layers, batch ≤ N,
// logistic 0/1 targets, the length of w0). Every error is an *Error
// wrapping one of the exported sentinels (ErrUnknownKey, ErrType,
// ErrMissing, ErrUnknownName, ErrBadTolerance, ErrBadTime, ErrBadValue,
// ErrConflict, ErrShape, ErrData, ErrWeights, ErrSyntax, ErrNotFound), so
// callers can test errors.Is; it prints as one line
//
//	scenarios: FILE:LINE[:COLUMN]: KEY: what is wrong (what would be valid)
//
// # Data
//
// data.csv is a CSV file with a header row and numbers only, relative to
// the scenario file. The target is one column (default the last) or a list;
// the inputs are the other columns or data.inputs. limit keeps the first
// rows; standardize then z-scores each input with its population mean and
// standard deviation (1/N), a constant column only centred; targets are
// never changed. With classes: true the single target holds integer labels
// 0..K−1, K = max label + 1 is the output size, Y is one-hot and Labels
// holds the indices. CSV errors cite file:line:column.
//
// Four UCI data sets (iris, wine, breast_cancer, digits; CC BY 4.0, see
// data/README.md) are embedded. Built-in scenarios refer to them as
// data/<file>.csv, and so may any scenario: a relative data/<file>.csv that
// does not exist next to the scenario file is read from the embedded copy,
// so a copy of a built-in scenario runs anywhere.
//
// # Restricted Boltzmann machines
//
// model: {kind: rbm, hidden: n_h} is a binary RBM (models.RBM) whose loss
// is the exact mean negative log-likelihood. Its data are binary patterns:
// data: {csv: patterns.csv}, every column a visible unit holding 0 or 1
// (no target, inputs, standardize or classes: each is an error saying so),
// or generated, data: {bars-and-stripes: 3} (3×3 → n_v = 9, N = 14;
// sizes 1..4). n_v, n_h ≤ 20. Every flow of an rbm records the exact
// KL(p_data ‖ p_model): the CSVs add kl right after loss (gd, ngd, grd:
// t,loss,kl,grad_norm,…) or kl_mean,kl_std right after loss_mean,loss_std
// (sgd, sde, cd), summary.json adds final_kl (and final_kl_std), and the
// plot kl.png/svg shows KL against t for every flow (ensembles: mean ±
// std).
//
// The flow cd is contrastive-divergence training, configured by
//
//	cd: {lr: 0.05, batch: 16, runs: 32, k: 1, persistent: false, samples: 4096}
//
// (the defaults): CD-k (persistent: PCD-k) steps of size lr on minibatches
// drawn without replacement per epoch, t = j·lr, runs seeded runs
// (flow.EnsembleSpec; stream StreamCD). samples is the number of CD
// estimates behind `grd geometry`'s diffusion_cd (engine.CDDiffusion) and
// behind metric: {source: cd}, which makes ε and the ngd and grd flows use
// the CD covariance as D (engine.CDMetric: M per-sample CD estimates drawn
// at w0 and quenched; see its documentation for what that means).
//
// # Built-in scenarios
//
// Builtins lists them (two-layer-iris, the default, then quadratic-2d,
// logistic-cancer, mlp-wine, two-layer-digits, rbm-bars, quadratic-stiff); Builtin parses one and
// BuiltinYAML returns its commented text. Open accepts a file path or a
// built-in name.
//
// # Randomness
//
// All randomness derives from the scenario seed through NewSource(seed,
// stream), a math/rand/v2 PCG with one stream per use (StreamInit,
// StreamQuadratic, StreamSGD, StreamSDE, StreamCD, StreamCDDiffusion,
// StreamCDMetric), so results are reproducible and
// adding one flow does not change another's draws.
package scenarios

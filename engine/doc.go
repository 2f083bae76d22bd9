// Package engine builds the diffusion geometry of a model, using only the
// per-sample operations of package models. The flows that move in it (gd,
// ngd, grd, sgd, sde, cd) are in package engine/flow, which takes a
// *Geometry; engine knows nothing of them.
//
// With per-sample gradients g_n and mean gradient ∇f, the diffusion matrix is
//
//	D(w) = (1/N) Σ_n g_n g_nᵀ − ∇f ∇fᵀ,
//
// the metric is g = I + εD, and the Christoffel symbols of the first kind
// contract to
//
//	Γ(v,v) = ε [ (1/N) Σ_n q_n g_n − q̄ ∇f ],  q_n = vᵀ H_n v,
//
// which costs two passes over the samples and O(d) memory: no d×d×d (or d×d)
// object is formed on the matrix-free path.
//
// # Geometry
//
// New(m, opts) returns a Geometry whose methods evaluate, at weights w:
//
//	Loss, Grad, LossGrad, HessVec     f, ∇f, H v                         (1 pass each)
//	DiffusionVec                      D v = Σ c_n g_n, c_n = (s_n − s̄)/N, s_n = g_n·v   (2 passes)
//	Diffusion                         dense D into a *mat.SymDense        (small d)
//	LambdaMax                         λ_max(D): EigenSym (d ≤ 256) or Lanczos, rel. accuracy 1e-10
//	Epsilon / ResolveEpsilon          the ε policy: auto ε = s/λ_max(D(w0)), or a checked fixed ε
//	Precondition, SolveExact          P x: x − εDx (weak-field) or (I+εD)⁻¹x (exact: CG or Woodbury)
//	ChristoffelFirst, Christoffel     Γ(v,v) of the first kind, or the second kind for Exact
//	ChristoffelTensor, ContractTensor the dense Γ_{k,ij} (validation only), index (k·d+i)·d+j
//	Acceleration                      a = −Hu − Γ(u,u)                    (2 passes, weak-field)
//	NGDVelocity                       −P∇f
//	Residuals, ResidualsGrad          R0, R1, R2 and the NGD defect of DESIGN §1 (3 passes; 2 with ∇f)
//	TraceDiffusion                    tr D = R0²
//
// Restricted Boltzmann machines (models.RBM): CDDiffusion estimates the
// per-sample covariance of CD-k gradient estimates, comparable with D; and
// CDMetric is a models.Model with the RBM's exact loss whose D is the
// covariance of quenched per-sample CD estimates (metric source cd).
//
// A Metric value {Epsilon, Inverse, Christoffel} carries the constant ε and
// the two choices of inverse (WeakField or Exact) of a trajectory.
//
// Destinations are caller-owned and never resized (except an empty
// *mat.SymDense, which sizes itself); a wrong length panics with an
// "engine: …" message. Long computations take a context.Context and stop
// with an error wrapping ctx.Err(). Numerical failures (Lanczos or CG not
// converging, an invalid ε) are errors, never panics.
//
// # Deterministic parallelism
//
// Every pass goes through one scheduler (reduce.go), the reduction seam:
// per-sample sums run on a worker pool (github.com/sourcegraph/conc, one
// pool with WithMaxGoroutines per pass, one models.Evaluator per worker)
// over fixed-size chunks of consecutive samples. The chunk size depends
// only on N (Options.Chunk), never on the worker count. Each chunk's
// contribution goes to a slot of a bounded window (2 slots per worker for
// vector passes, two row blocks for dense D), and each lane of the result
// (the whole vector, or one panel of dense D) receives the contributions
// strictly in chunk order, so every result is bit-identical for any number
// of workers, while memory stays O(window·slot). The scheduler's contract
// (order, buffers, cancellation, panics) is written at its interface; a
// distributed backend is meant to be its second implementation. Passes that need per-sample vectors in
// row form (dense D, R0–R2, the dense tensor) use row chunks of at most
// Options.RowBytes per worker buffer; the residual passes (R0–R2) of at
// most 2 MiB, so the rows they walk several times stay in cache.
//
// With one worker a pass runs on the calling goroutine and steady-state
// calls allocate nothing. With more workers each pass allocates only conc's
// per-pass machinery (about 8 small objects: the pool, its channels, one
// closure per worker), independent of N and d.
//
// A Geometry holds scratch buffers and is not safe for concurrent use;
// create one per goroutine (they may share the Model).
package engine

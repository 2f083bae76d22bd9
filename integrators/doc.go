// Package integrators solves initial value problems y' = F(t, y), y ∈ R^m,
// with explicit Runge–Kutta methods and, for stiff problems, a Rosenbrock
// method and a stabilized explicit one, all sharing one driver.
//
// It knows nothing of losses or geometry: a problem is a right-hand side on
// []float64 state.
//
// # Methods
//
// A method is data — a Butcher tableau with its error weights and its
// continuous extension (Tableau) — run by one generic kernel:
//
//	k_i = F(t + c_i h, y + h Σ_{j<i} a_ij k_j),   i = 1…s
//	y1  = y + h Σ_i b_i k_i
//	err = h Σ_i e_i k_i                     (e = b − b̂, the embedded pair)
//
// Built-in methods (MethodByName, Methods):
//
//	euler   order 1, fixed step
//	heun    order 2, fixed step (explicit trapezoid)
//	rk4     order 4, fixed step (classical)
//	bs3     Bogacki–Shampine 3(2), FSAL, cubic Hermite dense output (order 3)
//	dopri5  Dormand–Prince 5(4), FSAL, Shampine's dense output (order 4)
//	tsit5   Tsitouras 5(4) (2011), FSAL, Tsitouras' interpolant (order 4)
//	dop853  Hairer's DOP853 8(5,3), dense output of order 7 (3 extra stages)
//	rodas4  Hairer–Wanner RODAS4 4(3), Rosenbrock, L-stable, stiffly accurate,
//	        dense output of order 3 (see "Stiff problems")
//	rock4   Abdulle's ROCK4, stabilized explicit, order 4 (embedded 3), 5 to 152
//	        stages chosen from the spectral radius, cubic Hermite dense output
//	        (order 3)
//	auto    dopri5, switching to rodas4 where the problem is stiff and back
//
// For bs3, dopri5, tsit5 and dop853 the kernel's step is replaced by a
// straight-line version generated from the same tableau (kernels_gen.go, go
// generate): the same operations in the same order, the error estimate
// fused with its norm, tested bit-identical to the generic kernel on amd64.
// Tableaus passed to NewMethod always run on the generic kernel.
//
// FSAL methods reuse their last stage F(t+h, y1) as the first stage of the
// next step; DOP853 evaluates F(t+h, y1) once per accepted step (12
// evaluations per accepted step, 11 per rejected one). Its error measure
// combines the 5th- and 3rd-order estimates as in Hairer's code:
//
//	err = ‖e5‖² / sqrt(‖e5‖² + 0.01‖e3‖²)
//
// Fixed-step methods interpolate with the cubic Hermite polynomial through
// (y0, F(t0, y0), y1, F(t1, y1)), whose local error is O(h^min(4, p+1)).
// NewMethod runs a user tableau.
//
// # Error control
//
// With sc_i = ATol + RTol·max(|y0_i|, |y1_i|) the error measure is the RMS
// norm (ErrorNorm)
//
//	‖err‖ = sqrt( (1/m) Σ_i (err_i / sc_i)² )
//
// and a step is accepted when ‖err‖ ≤ 1. The PI controller (Controller)
// proposes
//
//	h_new = h · clamp(Safety · ‖err_n‖^(−β1) · ‖err_{n−1}‖^(β2), FacMin, FacMax)
//
// with defaults Safety 0.9, FacMin 0.2, FacMax 10, β1 = 0.7/q, β2 = 0.4/q,
// q the error exponent (3 for bs3, 5 for dopri5 and tsit5, 8 for dop853).
// A rejection shrinks h by Safety·‖err‖^(−1/q) (at least FacMin), and the
// step after a rejection may not grow. The first step comes from Hairer &
// Wanner's algorithm (one extra evaluation) unless Settings.H0 is given.
//
// # The driver
//
// Solve owns everything that is not the method: end clipping (a step that
// would end within 1% of a step of T1 is stretched or shortened to end
// exactly on T1; time is never accumulated past it), output at requested
// times from the dense output (steps are never shortened for outputs),
// events, statistics, limits and cancellation. With Settings.Dt an
// adaptive method takes fixed steps (for convergence studies). Fixed steps
// end at T0 + n·Dt, the last one exactly at T1.
//
// Settings defaults (a nil *Settings or a zero field):
//
//	RTol 1e-6, ATol 1e-9, H0 automatic, MaxStep |T1−T0|, MinStep 0
//	(the run still stops when |h| < 16ε|t|), MaxSteps 100000 attempts,
//	Dt none (required for fixed-step methods), Controller NewController(q),
//	EventTol 1e-12, Output none (rows stored in Result).
//
// Before any work Solve validates the problem and the settings (invalid
// input is an error wrapping ErrInvalid, with a nil Result) and refuses
// runs that cannot succeed: a fixed-step run needing more than MaxSteps
// steps (FixedStepCount; the count is compared as a float64, so no Dt is
// small enough to overflow it; the error wraps ErrTooManySteps and gives
// the count and the limit), and step-size control with RTol ≤ 10ε ≈
// 2.2e-15, which rounding alone keeps from being met (Hairer's codes
// refuse RTOL ≤ 10·UROUND likewise).
//
// # Output times
//
// The times argument of Solve lists output times in the direction of
// integration (as odeint's integrate_times). The state at each is, in
// order: y0 at T0 (before the first step; a resumed run skips the times up
// to Settings.Resume.T), then for each accepted step the times in (t_prev,
// t_end]: the step's end state itself at t_end, the dense output between.
// Result.T and Result.Y store them; with Settings.Output (an OutputFunc)
// they are streamed to a callback instead, as soon as the step is
// accepted and before the Recorder sees it, and nothing is stored. Output
// times after the point where a run stops (terminal event, failure) are
// not delivered. An error from Output stops the run with status Stopped.
//
// Events (Event) are zero crossings of g(t, y), detected by a sign change
// between the ends of an accepted step and located on the dense output by
// Illinois regula falsi with a bisection safeguard to EventTol in t;
// terminal events end the run at the crossing.
//
// Steps taking NaN or Inf values are rejected and retried with a smaller
// step; 10 in a row, or a step shrinking to underflow because of them, end
// the run with status NonFinite. The context is checked at every accepted
// step boundary; a cancelled run returns its partial Result with status
// Cancelled and an error wrapping ctx.Err(). Every failure returns the
// partial Result and an error naming the method, t and the step size.
//
// A Recorder sees every accepted step (StepInfo, with access to the dense
// output); Printer writes one line per step to an io.Writer. Errors of the
// Recorder and of Output are wrapped by Solve's error.
//
// The method vocabulary for validating user input: Methods,
// FixedStepMethods (they need Settings.Dt), AdaptiveMethods.
//
// After setup, stepping allocates nothing: stage vectors and scratch are
// sized once per Solve (a test counts allocations for short and long runs).
//
// # Stiff problems
//
// rodas4 is a Rosenbrock method (rosenbrock.go, in Hairer & Wanner's
// transformed form): each step solves six linear systems
// (I/(γh) − J) u_i = b_i with J = ∂F/∂y(t, y), γ = 1/4, and needs ∂F/∂t
// unless Problem.Autonomous. J comes from Problem.Jac (dense), from
// Problem.JV (products J·v), or from finite differences of F: column
// differences with Hairer's increment sqrt(ε·max(1e-5, |y_j|)) for a
// dense J, directional differences (F(t, y + εv) − F(t, y))/ε with
// ε = sqrt(ε_mach)(1 + ‖y‖)/‖v‖ for J·v. Settings.Linear chooses the
// solver: a dense LU (LAPACK getrf via gonum, refactored only when h or J
// changes) up to DenseMaxDim unknowns, matrix-free restarted GMRES(30) on
// J·v beyond, with its residual measured in the error norm's weights.
// Stats counts NJac, NJv, NDecomp, NLinSolve and NKrylov. J is evaluated
// once per accepted step (a rejected attempt reuses it). A singular
// matrix or a GMRES that does not converge rejects the attempt and
// halves h; five in a row, or a non-finite Jacobian, end the run with
// status LinearSolveFailed (ErrLinearSolve).
//
// rock4 (rock4.go) is Abdulle's fourth-order orthogonal-Runge–Kutta–
// Chebyshev method (SIAM J. Sci. Comput. 23, 2002): explicit, with a
// stability region along the negative real axis of length ≈ 0.353·s² for
// s stages, so a step of size h needs only s ≈ sqrt(h·ρ/0.353) stages,
// ρ the spectral radius of J. A step is a three-term recurrence of
// m = s − 4 stages and a four-stage finishing procedure with an embedded
// order-3 solution (error exponent 4); it costs m + 4 evaluations of F,
// the last one F(t+h, y1) being the next step's first (FSAL). The degree
// m is the smallest of Abdulle's 50 tabulated degrees 1…148 (his
// coefficient tables, generated into rock4_tables.go by
// internal/rockgen) that makes the step stable for h·ρ. ρ is
// Settings.SpectralRadius, an upper bound the user guarantees (checked
// by a power iteration before the first step and after every third
// rejected step: a violation ends the run; a check that does not
// converge leaves the bound trusted), or else estimated by a power
// iteration on J·v (Problem.JV, else directional differences of F, as
// rodas4's GMRES), warm-started at the previous eigenvector, converged to
// 1% in ‖Jv‖ or, for a dominant complex pair, in the Rayleigh–Ritz
// values of the last two iterates, multiplied by 1.2, and repeated every
// 25 accepted steps and after a rejected step (Abdulle's constants). A
// step needing more than 152 stages is shortened to 0.8 of the largest
// stable one (Stats.NCapped). A power iteration that does not converge in
// 50 iterations, a violated bound, or a fixed step Dt needing more than
// 152 stages end the run with status SpectralRadiusFailed
// (ErrSpectralRadius). Stats counts NRho (estimates), NJv (their
// products), MaxStages and NCapped. Its dense output is the cubic Hermite
// interpolant through y and F at both ends of the step (local error
// O(h⁴), order 3). Its error control is weaker than the other
// methods': the embedded estimate's constant shrinks with the degree, so
// at many stages it underestimates the error of the slow modes, and
// global errors reach tens to a hundred times the tolerance (rodas4's stay
// near it; TestRock4GlobalError): ask rock4 for a tighter tolerance. rock4
// suits spectra near the negative real axis (gradient flows, diffusion);
// with large imaginary parts (Van der Pol, oscillatory problems) it needs
// many more evaluations than rodas4.
//
// Stiffness detection: dopri5 and dop853 run Hairer's test (stiffness.go)
// every 1000 accepted steps, and at every step after a positive test:
// h·ρ(J) ≈ |h|·‖F(t+h, y1) − F(t+h, ŷ)‖/‖y1 − ŷ‖ from the last stage ŷ at
// t + h. Fifteen values in a row above the stability bound (3.25 for
// dopri5, 6.1 for dop853) set Result.Stiffness (time, h·ρ, step): the
// step size was limited by stability, and rodas4, rock4 or auto would do
// better.
// The test changes neither the steps nor the results of a run, nor its
// counts (but for a dop853 run ending at a terminal event on a tested
// step, which counts the evaluation of F(t+h, y1) the test made).
//
// auto (auto.go) runs dopri5 with the test at every step and switches to
// rodas4 at the first test above the bound (waiting longer lets dopri5
// accept the inaccurate steps that wreck Robertson's problem at loose
// tolerances); it switches back when h·‖J‖_∞ (or,
// with GMRES, the quotient above for rodas4's last stage, halved) stays
// below 3.25 for fifteen steps. Stats.NSwitch counts the switches; with
// fixed steps auto is dopri5.
//
// # Panics
//
// Solve panics when given the zero Method; ErrorNorm panics on slices of
// different lengths; StepInfo.Interpolate panics for a t outside the step
// or a dst of the wrong length. Everything else is reported as an error.
package integrators

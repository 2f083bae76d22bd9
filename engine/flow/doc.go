// Package flow runs the flows of DESIGN §1 on the diffusion geometry of
// package engine and records them as Trajectories:
//
//	gd    ẇ = −∇f(w)
//	ngd   ẇ = −P(w)∇f(w)
//	grd   ẇ = u,  u̇ = −H(w)u − Γ(u,u)
//	sgd   minibatch SGD, an ensemble of seeded runs
//	sde   the SDE model of SGD (Euler–Maruyama), an ensemble
//	cd    contrastive divergence of an RBM, an ensemble
//
// Run(ctx, g, w0, spec, progress) integrates one flow on the Geometry g (gd,
// ngd and grd through package integrators, recorded from the method's dense
// output at Spec.Times) or runs an ensemble (EnsembleSpec: runs seeded by
// run index, folded in run order, bit-identical for any worker count). A
// Trajectory always comes back, with a Status (StatusOK, StatusFailed,
// StatusCanceled) and, when the flow stopped early, the error and the rows
// computed before it. Checkpoint and State let a caller snapshot a running
// flow and resume it bit-identically.
//
// The vocabulary — flow names (Name, ParseName, Names), statuses (Status)
// and grd's initial velocities (V0, ParseV0) — is defined here once; the
// metric kinds are engine.Kind.
//
// The flows use only the exported geometry of package engine; engine does
// not import this package. Error messages keep the prefix "engine: " that
// users have always seen (the error catalogue of cmd/grd pins them).
package flow

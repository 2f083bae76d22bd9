// Package models provides per-sample losses f_n(w) with exact first, second
// and third derivatives, evaluated in batched passes over chunks of samples.
//
// The engine never asks a model for one scalar at a time: it hands an
// Evaluator a chunk of consecutive samples [lo, hi) and asks for per-sample
// scalars (losses, s_n = g_n·v, q_n = vᵀH_n v) or for weighted sums of
// per-sample vectors,
//
//	Σ_n c_n g_n + e_n H_n v,
//
// which is all that the gradient, Hessian-vector products, the diffusion
// matrix D·v and the Christoffel contraction Γ(v,v) need. Per-sample vectors
// (g_n, H_n v, ∇³f_n[u,u]) are available in row form for dense paths,
// diagnostics and tests.
//
// Built-in models: Quadratic, LinearRegression, Logistic, TwoLayer and MLP.
// Parameter layouts follow DESIGN §3 and are part of the output contract.
// A user model implements Model and Evaluator; see the package example.
package models

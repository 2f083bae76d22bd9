// Package engine builds the diffusion geometry of a model and the flows that
// move in it, using only the per-sample operations of package models.
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
// Per-sample sums run on a worker pool over fixed-size chunks whose partial
// results are reduced in chunk order, so every result is bit-identical for
// any number of workers.
package engine

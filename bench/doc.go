// Package bench measures grd's integrators and geometry kernels:
// work-precision of the integrators, and the cost of diffusion and
// Christoffel evaluations relative to one gradient pass.
package bench

// Package integrators solves initial value problems y' = F(t, y), y ∈ R^m,
// with explicit Runge–Kutta methods sharing one driver.
//
// It knows nothing of losses or geometry: a problem is a right-hand side on
// []float64 state.
package integrators

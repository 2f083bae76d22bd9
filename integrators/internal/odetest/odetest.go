// Package odetest holds closed-form initial value problems for testing the
// integrators: each has an exact solution to measure errors against.
package odetest

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Problem is an IVP y' = F(t, y), y(T0) = Y0 with exact solution Exact.
type Problem struct {
	Name   string
	F      func(t float64, y, dydt []float64)
	Y0     []float64
	T0, T1 float64
	// Exact writes y(t) into dst.
	Exact func(t float64, dst []float64)
}

// Decay is y' = λy, y(0) = 1, on [0, T1]: y = e^{λt}.
func Decay(lambda, t1 float64) Problem {
	return Problem{
		Name: "decay",
		F:    func(_ float64, y, dy []float64) { dy[0] = lambda * y[0] },
		Y0:   []float64{1}, T0: 0, T1: t1,
		Exact: func(t float64, dst []float64) { dst[0] = math.Exp(lambda * t) },
	}
}

// Harmonic is the oscillator x” = −ω²x as y = (x, x'), y(0) = (1, 0):
// x = cos ωt, x' = −ω sin ωt.
func Harmonic(omega, t1 float64) Problem {
	return Problem{
		Name: "harmonic",
		F: func(_ float64, y, dy []float64) {
			dy[0] = y[1]
			dy[1] = -omega * omega * y[0]
		},
		Y0: []float64{1, 0}, T0: 0, T1: t1,
		Exact: func(t float64, dst []float64) {
			dst[0] = math.Cos(omega * t)
			dst[1] = -omega * math.Sin(omega*t)
		},
	}
}

// Linear4 is y' = A y with a fixed non-normal 4×4 matrix A (eigenvalues
// with negative and zero real parts), y(0) = (1, −1, 0.5, 2). The exact
// solution e^{At} y0 comes from gonum's mat.Exp (Padé with scaling and
// squaring), an implementation independent of the integrators.
func Linear4(t1 float64) Problem {
	a := mat.NewDense(4, 4, []float64{
		-0.5, 1, 0, 0.2,
		-1, -0.5, 0.3, 0,
		0, 0, -0.1, 2,
		0.1, 0, -2, -0.1,
	})
	y0 := []float64{1, -1, 0.5, 2}
	return Problem{
		Name: "linear4",
		F: func(_ float64, y, dy []float64) {
			for i := 0; i < 4; i++ {
				var s float64
				for j := 0; j < 4; j++ {
					s += a.At(i, j) * y[j]
				}
				dy[i] = s
			}
		},
		Y0: y0, T0: 0, T1: t1,
		Exact: func(t float64, dst []float64) {
			var at, e mat.Dense
			at.Scale(t, a)
			e.Exp(&at)
			v := mat.NewVecDense(4, dst)
			v.MulVec(&e, mat.NewVecDense(4, y0))
		},
	}
}

// All returns the standard conformance problems on [0, t1].
func All(t1 float64) []Problem {
	return []Problem{Decay(-1, t1), Harmonic(1, t1), Linear4(t1)}
}

// MaxErr is the max-norm distance between a and b.
func MaxErr(a, b []float64) float64 {
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// Slope returns the least-squares slope of log(err) against log(h).
func Slope(h, err []float64) float64 {
	n := float64(len(h))
	var sx, sy, sxx, sxy float64
	for i := range h {
		x, y := math.Log(h[i]), math.Log(err[i])
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

// Arenstorf orbit of the restricted three-body problem (Hairer, Nørsett &
// Wanner, Solving ODEs I, §II.0): a periodic orbit with period
// ArenstorfPeriod, so y(T) = y(0) is the exact solution at T.
const (
	ArenstorfMu     = 0.012277471
	ArenstorfPeriod = 17.0652165601579625588917206249
)

// Arenstorf returns the orbit over one period; Exact is known only at 0
// and T (both y0).
func Arenstorf() Problem {
	const mu = ArenstorfMu
	const mup = 1 - mu
	y0 := []float64{0.994, 0, 0, -2.00158510637908252240537862224}
	return Problem{
		Name: "arenstorf",
		F: func(_ float64, y, dy []float64) {
			d1 := math.Pow((y[0]+mu)*(y[0]+mu)+y[1]*y[1], 1.5)
			d2 := math.Pow((y[0]-mup)*(y[0]-mup)+y[1]*y[1], 1.5)
			dy[0] = y[2]
			dy[1] = y[3]
			dy[2] = y[0] + 2*y[3] - mup*(y[0]+mu)/d1 - mu*(y[0]-mup)/d2
			dy[3] = y[1] - 2*y[2] - mup*y[1]/d1 - mu*y[1]/d2
		},
		Y0: y0, T0: 0, T1: ArenstorfPeriod,
		Exact: func(t float64, dst []float64) {
			if t != 0 && t != ArenstorfPeriod {
				panic("odetest: Arenstorf exact solution known only at 0 and T")
			}
			copy(dst, y0)
		},
	}
}

package integrators_test

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/grd-engine/grd/integrators"
)

// Solve the harmonic oscillator x” = −x, x(0) = 1, x'(0) = 0 with
// DOPRI5 and read x at t = π/2 and π from the dense output.
func ExampleSolve() {
	m, err := integrators.MethodByName("dopri5")
	if err != nil {
		panic(err)
	}
	p := integrators.Problem{
		F: func(_ float64, y, dy []float64) {
			dy[0] = y[1]
			dy[1] = -y[0]
		},
		Y0: []float64{1, 0},
		T0: 0, T1: math.Pi,
	}
	res, err := integrators.Solve(context.Background(), p, m, []float64{math.Pi / 2, math.Pi}, &integrators.Settings{RTol: 1e-10, ATol: 1e-10})
	if err != nil {
		panic(err)
	}
	round := func(x float64) float64 { return math.Round(x*1e8)/1e8 + 0 } // +0 turns −0 into 0
	for i, t := range res.T {
		fmt.Printf("t=%.4f x=%+.8f v=%+.8f\n", t, round(res.Y[i][0]), round(res.Y[i][1]))
	}
	fmt.Println(res.Status)
	// Output:
	// t=1.5708 x=+0.00000000 v=-1.00000000
	// t=3.1416 x=-1.00000000 v=+0.00000000
	// success
}

// A terminal event: y' = −y from y(0) = 1 stops when y falls to 1/2, at
// t = ln 2.
func ExampleEvent() {
	m, _ := integrators.MethodByName("dop853")
	p := integrators.Problem{
		F:  func(_ float64, y, dy []float64) { dy[0] = -y[0] },
		Y0: []float64{1}, T0: 0, T1: 10,
	}
	half := integrators.Event{
		Name:      "half",
		G:         func(_ float64, y []float64) float64 { return y[0] - 0.5 },
		Direction: -1,
		Terminal:  true,
	}
	res, err := integrators.Solve(context.Background(), p, m, nil, &integrators.Settings{RTol: 1e-12, ATol: 1e-12, Events: []integrators.Event{half}})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s at t=%.10f (ln 2 = %.10f), status %v\n", res.Events[0].Name, res.TEnd, math.Ln2, res.Status)
	// Output:
	// half at t=0.6931471806 (ln 2 = 0.6931471806), status event
}

// The built-in methods and their orders.
func ExampleMethods() {
	for _, name := range integrators.Methods() {
		m, _ := integrators.MethodByName(name)
		fmt.Printf("%-7s order %d, dense %d, adaptive %v\n", m.Name(), m.Order(), m.DenseOrder(), m.Adaptive())
	}
	// Output:
	// euler   order 1, dense 1, adaptive false
	// heun    order 2, dense 2, adaptive false
	// rk4     order 4, dense 3, adaptive false
	// bs3     order 3, dense 3, adaptive true
	// dopri5  order 5, dense 4, adaptive true
	// tsit5   order 5, dense 4, adaptive true
	// dop853  order 8, dense 7, adaptive true
	// rodas4  order 4, dense 3, adaptive true
	// rock4   order 4, dense 3, adaptive true
	// auto    order 5, dense 4, adaptive true
}

// Stream the solution of y' = −y, y(0) = 1 at output times to a callback
// instead of storing it: t = 0 is delivered before the first step, t = 0.5
// and 1 are ends of rk4 steps (their end states), t = 0.3 and 0.9 come from
// the dense output.
func ExampleOutputFunc() {
	m, _ := integrators.MethodByName("rk4")
	p := integrators.Problem{
		F:  func(_ float64, y, dy []float64) { dy[0] = -y[0] },
		Y0: []float64{1}, T0: 0, T1: 1,
	}
	show := func(t float64, y []float64) error {
		fmt.Printf("t=%.1f y=%.6f exp(-t)=%.6f\n", t, y[0], math.Exp(-t))
		return nil
	}
	set := &integrators.Settings{Dt: 0.25, Output: show}
	res, err := integrators.Solve(context.Background(), p, m, []float64{0, 0.3, 0.5, 0.9, 1}, set)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, len(res.T), "rows stored")
	// Output:
	// t=0.0 y=1.000000 exp(-t)=1.000000
	// t=0.3 y=0.740823 exp(-t)=0.740818
	// t=0.5 y=0.606543 exp(-t)=0.606531
	// t=0.9 y=0.406581 exp(-t)=0.406570
	// t=1.0 y=0.367894 exp(-t)=0.367879
	// success 0 rows stored
}

// The method vocabulary, for validating a method name given by a user.
func ExampleFixedStepMethods() {
	fmt.Println("fixed step:", strings.Join(integrators.FixedStepMethods(), ", "))
	fmt.Println("adaptive:  ", strings.Join(integrators.AdaptiveMethods(), ", "))
	// Output:
	// fixed step: euler, heun, rk4
	// adaptive:   bs3, dopri5, tsit5, dop853, rodas4, rock4, auto
}

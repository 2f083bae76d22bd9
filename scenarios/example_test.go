package scenarios_test

import (
	"errors"
	"fmt"

	"github.com/grd-engine/grd/scenarios"
)

// Parse a scenario from text: missing keys take their defaults.
func ExampleParse() {
	s, err := scenarios.Parse([]byte(`
name: bowl
model:
  kind: quadratic
  samples:
    - {A: [[2, 0], [0, 1]], c: [1, 1]}
    - {A: [[1, 0], [0, 3]], c: [0, 2]}
time: {t1: 5}
`), "bowl.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Flows, s.Metric.Epsilon, s.Integrator.Method, s.Integrator.Rtol, s.Time.Outputs)
	// Output:
	// [gd ngd grd] auto dopri5 1e-08 201
}

// Errors name the file, line and key, say what would be valid, and wrap a
// sentinel.
func ExampleParse_error() {
	_, err := scenarios.Parse([]byte("name: x\nmodel: {kind: quadratic, dim: 2, count: 4}\nintegrator: {method: rk45}\ntime: {t1: 1}\n"), "x.yaml")
	fmt.Println(err)
	fmt.Println(errors.Is(err, scenarios.ErrUnknownName))
	// Output:
	// scenarios: x.yaml:3: integrator.method: unknown method "rk45" (valid: euler, heun, rk4, bs3, dopri5, tsit5, dop853, rodas4, rock4, auto)
	// true
}

// List the built-in scenarios, load the default one and build it.
func ExampleBuiltin() {
	for _, b := range scenarios.Builtins() {
		fmt.Println(b.Name)
	}
	s, err := scenarios.Builtin(scenarios.DefaultName)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := s.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: d = %d, N = %d, outputs %d, inputs %v\n", s.Name, b.Model.Dim(), b.Model.Len(), b.Data.Out, b.Dataset.Inputs)
	// Output:
	// two-layer-iris
	// quadratic-2d
	// logistic-cancer
	// mlp-wine
	// two-layer-digits
	// rbm-bars
	// two-layer-fashion
	// paper-resnet-size
	// quadratic-stiff
	// two-layer-iris: d = 67, N = 150, outputs 3, inputs [sepal_length sepal_width petal_length petal_width]
}

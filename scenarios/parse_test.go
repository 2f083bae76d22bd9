package scenarios

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/grd-engine/grd/engine"
)

// quadBase is a minimal valid scenario (no data file needed).
const quadBase = `name: q
model: {kind: quadratic, samples: [{A: [[2, 0], [0, 1]], c: [1, 1]}]}
time: {t1: 1}
`

// netBase is a minimal valid network scenario; Parse does not read the data.
const netBase = `name: net
data: {csv: data/iris.csv, classes: true}
model: {kind: two-layer, hidden: 3}
time: {t1: 1}
`

// TestParseErrors is the catalogue of bad scenarios: each must fail with
// the given sentinel and an error text holding every piece (file:line, key
// path, what would be valid).
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name     string
		yaml     string
		sentinel error
		pieces   []string
	}{
		{"malformed", "name: q\nmodel: {kind: quadratic\ntime: {t1: 1}\n", ErrSyntax,
			[]string{"scenarios: test.yaml:", "malformed YAML"}},
		{"bad indentation", "name: q\n  model: x\n", ErrSyntax,
			[]string{"test.yaml:2:", "malformed YAML"}},
		{"tab", "name: q\nmodel:\n\tkind: quadratic\n", ErrSyntax, []string{"test.yaml:3: malformed YAML:", "(a tab: YAML indents with spaces only)"}},
		{"empty", "", ErrMissing, []string{"test.yaml: empty scenario"}},
		{"comments only", "# nothing\n", ErrMissing, []string{"empty scenario"}},
		{"two documents", quadBase + "---\nname: r\n", ErrSyntax, []string{"test.yaml:4:", "more than one YAML document"}},
		{"root list", "- name\n- q\n", ErrType, []string{"test.yaml:1:", "the scenario must be a mapping with keys name, seed, data, model"}},
		{"unknown top key", quadBase + "modle: x\n", ErrUnknownKey,
			[]string{"test.yaml:4: modle: unknown key \"modle\", did you mean \"model\"? (valid keys at the top level: name, seed, data, model, init, metric, flows, grd, sgd, sde, cd, integrator, time)"}},
		{"unknown nested key", quadBase + "metric:\n  epsilon: auto\n  saftey: 0.5\n", ErrUnknownKey,
			[]string{"test.yaml:6: metric.saftey: unknown key \"saftey\", did you mean \"safety\"? (valid keys in metric: epsilon, safety, inverse, christoffel, source)"}},
		{"unknown key in list item", "name: q\nmodel:\n  kind: quadratic\n  samples:\n    - {A: [[1]], c: [0], b: 2}\ntime: {t1: 1}\n", ErrUnknownKey,
			[]string{"test.yaml:5: model.samples[0].b: unknown key \"b\" (valid keys in model.samples[0]: A, c)"}},
		{"case matters", quadBase + "Name: x\n", ErrUnknownKey, []string{"test.yaml:4: Name: unknown key \"Name\", did you mean \"name\"?"}},
		{"far from any key", quadBase + "optimizer: adam\n", ErrUnknownKey, []string{"unknown key \"optimizer\" (valid keys at the top level"}},
		{"duplicate key", quadBase + "name: r\n", ErrSyntax, []string{"test.yaml:4: name: duplicate key (first given at line 1)"}},
		{"wrong type number", "name: q\nmodel: {kind: quadratic, dim: 2, count: 2}\ntime: {t1: soon}\n", ErrType,
			[]string{"test.yaml:3: time.t1: want a number, got \"soon\""}},
		{"wrong type int", netBase + "sgd: {batch: 2.5}\n", ErrType, []string{"test.yaml:5: sgd.batch: want an integer, got \"2.5\""}},
		{"wrong type bool", netBase[:strings.Index(netBase, "data")] + "data: {csv: a.csv, classes: yes}\nmodel: {kind: two-layer, hidden: 3}\ntime: {t1: 1}\n", ErrType,
			[]string{"test.yaml:2: data.classes: want true or false, got \"yes\""}},
		{"wrong type negative seed", quadBase + "seed: -1\n", ErrType, []string{"test.yaml:4: seed: want a non-negative integer, got \"-1\""}},
		{"wrong type list", quadBase + "flows: gd\n", ErrType, []string{"test.yaml:4: flows: want a list of names, got \"gd\""}},
		{"wrong type mapping", quadBase + "metric: weak\n", ErrType, []string{"test.yaml:4: metric: metric must be a mapping with keys epsilon, safety, inverse, christoffel"}},
		{"wrong type scalar", quadBase + "grd: {v0: [ngd]}\n", ErrType, []string{"test.yaml:4: grd.v0: want a string, got a list"}},
		{"epsilon word", quadBase + "metric: {epsilon: big}\n", ErrType, []string{"test.yaml:4: metric.epsilon: want auto or a number ≥ 0, got \"big\""}},
		{"missing name", "model: {kind: quadratic, dim: 2, count: 2}\ntime: {t1: 1}\n", ErrMissing,
			[]string{"test.yaml: name: missing: every scenario needs a name"}},
		{"bad name", strings.Replace(quadBase, "name: q", "name: a/b", 1), ErrBadValue,
			[]string{"test.yaml:1: name: \"a/b\" is not a valid name: use letters, digits"}},
		{"missing kind", "name: q\nmodel: {hidden: 2}\ntime: {t1: 1}\n", ErrMissing,
			[]string{"test.yaml:2: model.kind: missing: want one of quadratic, linear-regression, logistic, two-layer, mlp"}},
		{"unknown kind", "name: q\nmodel: {kind: cnn}\ntime: {t1: 1}\n", ErrUnknownName,
			[]string{"test.yaml:2: model.kind: unknown model kind \"cnn\" (valid: quadratic, linear-regression, logistic, two-layer, mlp, rbm)"}},
		{"unknown activation", strings.Replace(netBase, "hidden: 3", "hidden: 3, activation: gelu", 1), ErrUnknownName,
			[]string{"test.yaml:3: model.activation: unknown activation \"gelu\" (valid: tanh, sigmoid, softplus, relu)"}},
		{"unknown loss", strings.Replace(netBase, "hidden: 3", "hidden: 3, loss: hinge", 1), ErrUnknownName,
			[]string{"test.yaml:3: model.loss: unknown loss \"hinge\" (valid: squared, cross-entropy)"}},
		{"unknown method", quadBase + "integrator: {method: rk45}\n", ErrUnknownName,
			[]string{"test.yaml:4: integrator.method: unknown method \"rk45\" (valid: euler, heun, rk4, bs3, dopri5, tsit5, dop853, rodas4, rock4, auto)"}},
		{"unknown flow", quadBase + "flows:\n  - gd\n  - adam\n", ErrUnknownName,
			[]string{"test.yaml:6: flows[1]: unknown flow \"adam\" (valid: gd, ngd, grd, sgd, sde, cd)"}},
		{"duplicate flow", quadBase + "flows: [gd, gd]\n", ErrBadValue, []string{"flows[1]: flow \"gd\" listed twice"}},
		{"unknown inverse", quadBase + "metric: {inverse: strong}\n", ErrUnknownName,
			[]string{"test.yaml:4: metric.inverse: unknown inverse \"strong\" (valid: weak-field, exact)"}},
		{"unknown christoffel", quadBase + "metric: {christoffel: full}\n", ErrUnknownName,
			[]string{"metric.christoffel: unknown christoffel \"full\" (valid: weak-field, exact)"}},
		{"unknown v0", quadBase + "grd: {v0: random}\n", ErrUnknownName,
			[]string{"test.yaml:4: grd.v0: unknown v0 \"random\" (valid: ngd, gd, zero)"}},
		{"negative rtol", quadBase + "integrator: {rtol: -1e-6}\n", ErrBadTolerance,
			[]string{"test.yaml:4: integrator.rtol: want a finite relative tolerance > 0, got -1e-06"}},
		{"zero atol", quadBase + "integrator:\n  atol: 0\n", ErrBadTolerance,
			[]string{"test.yaml:5: integrator.atol: 0 is not valid: want a number > 0"}},
		{"nan rtol", quadBase + "integrator: {rtol: .nan}\n", ErrBadTolerance, []string{"integrator.rtol: want a finite relative tolerance > 0, got NaN"}},
		{"t1 before t0", "name: q\nmodel: {kind: quadratic, dim: 1, count: 1}\ntime: {t0: 5, t1: 1}\n", ErrBadTime,
			[]string{"test.yaml:3: time.t1: t1 = 1 must be greater than t0 = 5"}},
		{"t1 equal t0", "name: q\nmodel: {kind: quadratic, dim: 1, count: 1}\ntime: {t0: 1, t1: 1}\n", ErrBadTime,
			[]string{"time.t1: t1 = 1 must be greater than t0 = 1"}},
		{"t1 missing", "name: q\nmodel: {kind: quadratic, dim: 1, count: 1}\n", ErrBadTime,
			[]string{"test.yaml: time.t1: missing: want the end time > t0 = 0"}},
		{"one output", "name: q\nmodel: {kind: quadratic, dim: 1, count: 1}\ntime: {t1: 1, outputs: 1}\n", ErrBadTime,
			[]string{"test.yaml:3: time.outputs: want between 2 and 1000000 output times (both ends included), got 1"}},
		{"zero outputs", "name: q\nmodel: {kind: quadratic, dim: 1, count: 1}\ntime: {t1: 1, outputs: 0}\n", ErrBadTime,
			[]string{"time.outputs: 0 is not valid: want an integer ≥ 2"}},
		{"fixed step without dt", quadBase + "integrator: {method: rk4}\n", ErrConflict,
			[]string{"test.yaml:4: integrator.dt: missing: fixed-step method rk4 needs a step dt > 0"}},
		{"adaptive with dt", quadBase + "integrator: {method: tsit5, dt: 0.1}\n", ErrConflict,
			[]string{"integrator.dt: adaptive method tsit5 chooses its own steps"}},
		{"negative dt", quadBase + "integrator: {method: euler, dt: -0.1}\n", ErrBadValue, []string{"integrator.dt: want a finite step > 0, got -0.1"}},
		{"fixed step with rtol", quadBase + "integrator: {method: rk4, dt: 0.1, rtol: 1.0e-6}\n", ErrConflict,
			[]string{"integrator.rtol: fixed-step method rk4 takes the step dt and uses no tolerance: drop rtol and atol, or use an adaptive method (bs3, dopri5, tsit5, dop853, rodas4, rock4, auto)"}},
		{"fixed step with atol", quadBase + "integrator: {method: euler, dt: 0.1, atol: 1.0e-6}\n", ErrConflict, []string{"integrator.atol: fixed-step method euler"}},
		{"relu with ngd", strings.Replace(netBase, "hidden: 3", "hidden: 3, activation: relu", 1) + "flows: [gd, ngd]\n", ErrConflict,
			[]string{"test.yaml:3: model.activation: relu has no second derivatives, so flow ngd is not defined: use tanh, sigmoid or softplus"}},
		{"relu with grd by default", strings.Replace(netBase, "hidden: 3", "hidden: 3, activation: relu", 1), ErrConflict,
			[]string{"so flow ngd is not defined"}},
		{"relu with grd", strings.Replace(netBase, "hidden: 3", "hidden: 3, activation: relu", 1) + "flows: [gd, grd]\n", ErrConflict,
			[]string{"so flow grd is not defined"}},
		{"sgd lr", quadBase + "sgd: {lr: -0.1}\n", ErrBadValue, []string{"test.yaml:4: sgd.lr: want a finite step size > 0, got -0.1"}},
		{"sgd zero batch", quadBase + "sgd: {batch: 0}\n", ErrBadValue, []string{"sgd.batch: 0 is not valid: want an integer ≥ 1"}},
		{"sde runs", quadBase + "sde: {runs: -2}\n", ErrBadValue, []string{"sde.runs: want the number of runs ≥ 1, got -2"}},
		{"sde dt", quadBase + "sde: {dt: -1}\n", ErrBadValue, []string{"sde.dt: want a finite Euler–Maruyama step > 0"}},
		{"safety too big", quadBase + "metric: {safety: 1}\n", ErrBadValue, []string{"test.yaml:4: metric.safety: want a number in (0,1), got 1"}},
		{"safety zero", quadBase + "metric: {safety: 0}\n", ErrBadValue, []string{"metric.safety: 0 is not valid: want a number in (0,1)"}},
		{"negative epsilon", quadBase + "metric: {epsilon: -1}\n", ErrBadValue, []string{"metric.epsilon: want auto or a finite number ≥ 0, got -1"}},
		{"quadratic with data", quadBase + "data: {csv: x.csv}\n", ErrConflict,
			[]string{"test.yaml:4: data: a quadratic model takes no data section"}},
		{"network without data", "name: n\nmodel: {kind: two-layer, hidden: 2}\ntime: {t1: 1}\n", ErrMissing,
			[]string{"test.yaml: data: missing: model kind two-layer needs a data section"}},
		{"data without csv", "name: n\ndata: {classes: true}\nmodel: {kind: two-layer, hidden: 2}\ntime: {t1: 1}\n", ErrMissing,
			[]string{"test.yaml:2: data.csv: missing"}},
		{"negative limit", strings.Replace(netBase, "classes: true", "classes: true, limit: -1", 1), ErrBadValue,
			[]string{"data.limit: want the number of rows to use (0 = all), got -1"}},
		{"input is target", strings.Replace(netBase, "classes: true", "classes: true, target: y, inputs: [a, y]", 1), ErrConflict,
			[]string{"data.inputs[1]: column \"y\" is the target"}},
		{"classes with two targets", strings.Replace(netBase, "classes: true", "classes: true, target: [a, b]", 1), ErrConflict,
			[]string{"data.target: classes: true reads one label column, got 2 target columns"}},
		{"hidden missing", strings.Replace(netBase, "hidden: 3", "activation: tanh", 1), ErrBadValue,
			[]string{"model.hidden: want the hidden width ≥ 1, got 0"}},
		{"hidden on mlp", strings.Replace(netBase, "kind: two-layer, hidden: 3", "kind: mlp, hidden: 3, layers: [4, 3]", 1), ErrConflict,
			[]string{"test.yaml:3: model.hidden: not used by model kind mlp: only for two-layer"}},
		{"layers too short", strings.Replace(netBase, "kind: two-layer, hidden: 3", "kind: mlp, layers: [4]", 1), ErrBadValue,
			[]string{"model.layers: want every width [inputs, hidden…, outputs] (at least 2 entries), got [4]"}},
		{"layer zero", strings.Replace(netBase, "kind: two-layer, hidden: 3", "kind: mlp, layers: [4, 0, 3]", 1), ErrBadValue,
			[]string{"model.layers[1]: want a width ≥ 1, got 0"}},
		{"bias on network", strings.Replace(netBase, "hidden: 3", "hidden: 3, bias: true", 1), ErrConflict,
			[]string{"model.bias: not used by model kind two-layer: only for linear-regression and logistic"}},
		{"activation on logistic", "name: l\ndata: {csv: a.csv}\nmodel: {kind: logistic, activation: tanh}\ntime: {t1: 1}\n", ErrConflict,
			[]string{"test.yaml:3: model.activation: not used by model kind logistic"}},
		{"logistic with classes", "name: l\ndata: {csv: a.csv, classes: true}\nmodel: {kind: logistic}\ntime: {t1: 1}\n", ErrConflict,
			[]string{"test.yaml:2: data.classes: logistic takes one 0/1 target column: set classes: false"}},
		{"cross-entropy without classes", "name: n\ndata: {csv: a.csv}\nmodel: {kind: two-layer, hidden: 2, loss: cross-entropy}\ntime: {t1: 1}\n", ErrConflict,
			[]string{"model.loss: cross-entropy needs class labels: set data.classes: true"}},
		{"quadratic samples and dim", strings.Replace(quadBase, "c: [1, 1]}]", "c: [1, 1]}], dim: 2", 1), ErrConflict,
			[]string{"model.samples: give either samples or dim/count/condition, not both"}},
		{"quadratic nothing", "name: q\nmodel: {kind: quadratic}\ntime: {t1: 1}\n", ErrMissing,
			[]string{"test.yaml:2: model: a quadratic needs samples"}},
		{"quadratic bad condition", "name: q\nmodel: {kind: quadratic, dim: 2, count: 3, condition: 0.5}\ntime: {t1: 1}\n", ErrBadValue,
			[]string{"model.condition: want a finite condition number ≥ 1, got 0.5"}},
		{"quadratic asymmetric", strings.Replace(quadBase, "[[2, 0], [0, 1]]", "[[2, 1], [0, 1]]", 1), ErrBadValue,
			[]string{"model.samples[0].A: not symmetric: A[0][1] = 1 but A[1][0] = 0"}},
		{"quadratic ragged A", strings.Replace(quadBase, "[[2, 0], [0, 1]]", "[[2, 0], [0]]", 1), ErrShape,
			[]string{"model.samples[0].A[1]: has 1 entries, want 2"}},
		{"quadratic c length", strings.Replace(quadBase, "}]}", "}, {A: [[1]], c: [0]}]}", 1), ErrShape,
			[]string{"model.samples[1].c: has 1 entries but samples[0].c has 2"}},
		{"two inits", quadBase + "init: {normal: 1, w: [1, 2]}\n", ErrConflict,
			[]string{"test.yaml:4: init: give exactly one of normal: σ, w: [..] or file: PATH"}},
		{"negative normal", quadBase + "init: {normal: -1}\n", ErrBadValue, []string{"init.normal: want a standard deviation ≥ 0, got -1"}},
		{"inf in w", quadBase + "init: {w: [1, .inf]}\n", ErrBadValue, []string{"init.w: entry 1 is +Inf"}},
	}
	// An alias bomb: a 1024×1024 matrix built from one aliased row, then
	// 1000 aliases of that sample: 10⁹ values from 20 kB of text.
	var bomb strings.Builder
	bomb.WriteString("name: b\nmodel:\n  kind: quadratic\n  samples:\n")
	bomb.WriteString("    - &s {A: [&r [" + strings.Repeat("0, ", 1023) + "0], " + strings.Repeat("*r, ", 1022) + "*r], c: [0]}\n")
	bomb.WriteString(strings.Repeat("    - *s\n", 1000))
	cases = append(cases, struct {
		name     string
		yaml     string
		sentinel error
		pieces   []string
	}{"alias bomb", bomb.String(), ErrSyntax, []string{"test.yaml:5: model.samples[0].A[", "expands to more than 1048576 values (excessive use of aliases)"}})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse([]byte(c.yaml), "test.yaml")
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want an error", s)
			}
			if !errors.Is(err, c.sentinel) {
				t.Errorf("error %q does not wrap %v", err, c.sentinel)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("error %q is not an *Error", err)
			}
			for _, p := range c.pieces {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error\n  %s\nlacks\n  %s", err, p)
				}
			}
		})
	}
}

// TestParseValid checks scenarios that must be accepted, and their defaults.
func TestParseValid(t *testing.T) {
	cases := []struct {
		name  string
		yaml  string
		check func(t *testing.T, s *Scenario)
	}{
		{"defaults", quadBase, func(t *testing.T, s *Scenario) {
			want := Scenario{Name: "q", Model: ModelSpec{Kind: KindQuadratic,
				Samples: []QuadSpec{{A: [][]float64{{2, 0}, {0, 1}}, C: []float64{1, 1}}}},
				Init:       InitSpec{Normal: ptr(0.5)},
				Metric:     MetricSpec{Safety: 0.5, Inverse: engine.WeakField.String(), Christoffel: engine.WeakField.String()},
				Flows:      []string{"gd", "ngd", "grd"},
				GRD:        GRDSpec{V0: "ngd"},
				SGD:        SGDSpec{LR: 0.05, Batch: 16, Runs: 32},
				SDE:        SDESpec{LR: 0.05, Batch: 16, Runs: 32, DT: 0.01},
				Integrator: IntegratorSpec{Method: "dopri5", Rtol: 1e-8, Atol: 1e-10},
				Time:       TimeSpec{T1: 1, Outputs: 201}}
			if !equalScenarios(s, &want) {
				t.Errorf("defaults:\n got %+v\nwant %+v", *s, want)
			}
		}},
		{"network defaults", netBase, func(t *testing.T, s *Scenario) {
			if s.Model.Activation != "tanh" || s.Model.Loss != "squared" || !s.Data.StandardizeOn() || s.Data.Standardize == nil {
				t.Errorf("network defaults: %+v %+v", s.Model, *s.Data)
			}
		}},
		{"generated quadratic condition default", "name: g\nmodel: {kind: quadratic, dim: 2, count: 3}\ntime: {t1: 1}\n", func(t *testing.T, s *Scenario) {
			if s.Model.Condition != 1 {
				t.Errorf("condition = %g, want default 1", s.Model.Condition)
			}
		}},
		{"json", `{"name": "j", "model": {"kind": "quadratic", "dim": 2, "count": 3, "condition": 4},
			"metric": {"epsilon": 0.25}, "flows": ["gd", "sde"], "time": {"t1": 2.5, "outputs": 11}}`,
			func(t *testing.T, s *Scenario) {
				if s.Metric.Epsilon != (Epsilon{Fixed: true, Value: 0.25}) || s.Time.T1 != 2.5 || !s.HasFlow("sde") || s.HasFlow("grd") {
					t.Errorf("json: %+v", *s)
				}
			}},
		{"epsilon zero is fixed", quadBase + "metric: {epsilon: 0}\n", func(t *testing.T, s *Scenario) {
			if s.Metric.Epsilon != (Epsilon{Fixed: true}) {
				t.Errorf("epsilon 0 = %+v, want fixed 0", s.Metric.Epsilon)
			}
		}},
		{"json with tabs", "{\n\t\"name\": \"j\",\n\t\"model\": {\n\t\t\"kind\": \"quadratic\",\n\t\t\"dim\": 2,\n\t\t\"count\": 3\n\t},\n\t\"time\": {\"t1\": 1}\n}\n", nil},
		{"relu first order only", strings.Replace(netBase, "hidden: 3", "hidden: 3, activation: relu", 1) + "flows: [gd, sgd, sde]\n", nil},
		{"target list and inputs", strings.Replace(netBase, "classes: true", "target: [a, b], inputs: [c, d]", 1), func(t *testing.T, s *Scenario) {
			if !reflect.DeepEqual(s.Data.Target, Columns{"a", "b"}) || !reflect.DeepEqual(s.Data.Inputs, []string{"c", "d"}) {
				t.Errorf("target %v inputs %v", s.Data.Target, s.Data.Inputs)
			}
		}},
		{"fixed step with dt", quadBase + "integrator: {method: heun, dt: 0.01}\n", nil},
		{"null sections keep defaults", quadBase + "metric:\nsgd: ~\n", func(t *testing.T, s *Scenario) {
			if s.Metric.Safety != 0.5 || s.SGD.Batch != 16 {
				t.Errorf("null sections: %+v %+v", s.Metric, s.SGD)
			}
		}},
		{"anchors and aliases", "name: q\nmodel: {kind: quadratic, samples: [{A: &a [[1, 0], [0, 1]], c: [0, 0]}, {A: *a, c: [1, 1]}]}\ntime: {t1: 1}\n", func(t *testing.T, s *Scenario) {
			if len(s.Model.Samples) != 2 || s.Model.Samples[1].A[1][1] != 1 {
				t.Errorf("aliases: %+v", s.Model.Samples)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse([]byte(c.yaml), "test.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if c.check != nil {
				c.check(t, s)
			}
			roundTrip(t, s)
		})
	}
}

func ptr[T any](v T) *T { return &v }

// equalScenarios compares the exported content of two scenarios.
func equalScenarios(a, b *Scenario) bool {
	x, y := *a, *b
	x.src, y.src = nil, nil
	return reflect.DeepEqual(x, y)
}

// roundTrip checks YAML → struct → YAML → struct and JSON → struct give the
// same scenario and the same text.
func roundTrip(t *testing.T, s *Scenario) {
	t.Helper()
	y1, err := s.YAML()
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Parse(y1, "roundtrip.yaml")
	if err != nil {
		t.Fatalf("re-parsing the marshalled YAML: %v\n%s", err, y1)
	}
	if !equalScenarios(s, s2) {
		t.Errorf("YAML round trip changed the scenario:\n%+v\n%+v", *s, *s2)
	}
	y2, err := s2.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(y1, y2) {
		t.Errorf("YAML round trip changed the text:\n%s\n---\n%s", y1, y2)
	}
	j, err := s.JSON()
	if err != nil {
		t.Fatal(err)
	}
	s3, err := Parse(j, "roundtrip.json")
	if err != nil {
		t.Fatalf("re-parsing the marshalled JSON: %v\n%s", err, j)
	}
	if !equalScenarios(s, s3) {
		t.Errorf("JSON round trip changed the scenario:\n%+v\n%+v", *s, *s3)
	}
}

func TestBuiltinsParseAndRoundTrip(t *testing.T) {
	infos := Builtins()
	if infos[0].Name != DefaultName {
		t.Errorf("first built-in is %q, want the default %q", infos[0].Name, DefaultName)
	}
	files, err := embedded.ReadDir("builtin")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(infos) {
		t.Errorf("%d files in builtin/, %d listed in Builtins", len(files), len(infos))
	}
	for _, info := range infos {
		t.Run(info.Name, func(t *testing.T) {
			if info.Description == "" || strings.Contains(info.Description, "\n") {
				t.Errorf("description %q: want one line", info.Description)
			}
			s, err := Builtin(info.Name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != info.Name {
				t.Errorf("scenario name %q in file %s.yaml", s.Name, info.Name)
			}
			if s.Source() != "builtin/"+info.Name+".yaml" {
				t.Errorf("Source() = %q", s.Source())
			}
			roundTrip(t, s)
		})
	}
	if _, err := Builtin("nope"); !errors.Is(err, ErrUnknownName) || !strings.Contains(err.Error(), "built-ins: two-layer-iris, quadratic-2d") {
		t.Errorf("Builtin(nope) = %v", err)
	}
}

func TestEpsilonAndColumnsJSON(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Epsilon
		ok   bool
	}{{`"auto"`, Epsilon{}, true}, {`0.5`, Epsilon{Fixed: true, Value: 0.5}, true}, {`"big"`, Epsilon{}, false}, {`[1]`, Epsilon{}, false}} {
		var e Epsilon
		err := e.UnmarshalJSON([]byte(c.in))
		if (err == nil) != c.ok || (c.ok && e != c.want) {
			t.Errorf("Epsilon.UnmarshalJSON(%s) = %+v, %v", c.in, e, err)
		}
	}
	if (Epsilon{}).String() != "auto" || (Epsilon{Fixed: true, Value: 1e-3}).String() != "0.001" {
		t.Error("Epsilon.String")
	}
	var c Columns
	if err := c.UnmarshalJSON([]byte(`["a","b"]`)); err != nil || len(c) != 2 {
		t.Errorf("Columns.UnmarshalJSON list: %v %v", c, err)
	}
	if err := c.UnmarshalJSON([]byte(`"a"`)); err != nil || len(c) != 1 {
		t.Errorf("Columns.UnmarshalJSON name: %v %v", c, err)
	}
	if err := c.UnmarshalJSON([]byte(`3`)); err == nil {
		t.Error("Columns.UnmarshalJSON(3) succeeded")
	}
}

func TestTimes(t *testing.T) {
	ts := TimeSpec{T0: 0.1, T1: 0.7, Outputs: 7}.Times()
	for i, v := range ts {
		// 0.1 + 0.1·i, exact at both ends; interior points within 1 ulp-ish.
		if want := 0.1 + 0.1*float64(i); abs(v-want) > 1e-15 {
			t.Errorf("t[%d] = %v, want %v", i, v, want)
		}
	}
	if ts[0] != 0.1 || ts[6] != 0.7 {
		t.Errorf("ends %v %v not exact", ts[0], ts[6])
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/mine.yaml"
	if err := writeFile(p, quadBase); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(p); err != nil || s.Name != "q" || s.Source() != p {
		t.Errorf("Open(file) = %v, %v", s, err)
	}
	if s, err := Open("mlp-wine"); err != nil || s.Name != "mlp-wine" {
		t.Errorf("Open(builtin) = %v, %v", s, err)
	}
	_, err := Open(dir + "/absent.yaml")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "is neither a scenario file nor a built-in scenario (built-ins: two-layer-iris, quadratic-2d, logistic-cancer, mlp-wine, two-layer-digits, rbm-bars, two-layer-fashion, paper-resnet-size, quadratic-stiff)") {
		t.Errorf("Open(absent) = %v", err)
	}
	_, err = Open("mlp-wne")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"mlp-wne" is neither a scenario file nor a built-in scenario, did you mean "mlp-wine"? (built-ins: `) {
		t.Errorf("Open(typo) = %v, want a did-you-mean", err)
	}
	if _, err := Open(dir); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open(dir) = %v", err)
	}
	if err := writeFile(p, "name: q\nbad: 1\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(p); !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), p+":2: bad: unknown key") {
		t.Errorf("Open(bad file) = %v", err)
	}
}

// TestFixedStepNoTolerances: a fixed-step method gets no rtol/atol defaults,
// so the echo does not claim tolerances that were never used.
func TestFixedStepNoTolerances(t *testing.T) {
	s, err := Parse([]byte(quadBase+"integrator: {method: heun, dt: 0.01}\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if s.Integrator.Rtol != 0 || s.Integrator.Atol != 0 || strings.Contains(string(b), "rtol") || strings.Contains(string(b), "atol") {
		t.Errorf("fixed-step scenario echoes tolerances: %+v\n%s", s.Integrator, b)
	}
	a, err := Parse([]byte(quadBase), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if a.Integrator.Rtol != DefaultRtol || a.Integrator.Atol != DefaultAtol {
		t.Errorf("adaptive default tolerances %+v", a.Integrator)
	}
}

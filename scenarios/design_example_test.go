package scenarios

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestDesignExample parses the example scenario of DESIGN §4 verbatim
// (testdata/design-example.yaml, a copy checked against docs/DESIGN.md
// here, so that a renamed key in either is caught), checks that every
// value of the example is what the scenario holds (package experiment
// runs it: TestDesignExampleRuns). Its data/iris.csv is
// testdata/data/iris.csv, a copy of the embedded set: a relative path is a
// file next to the scenario, never an embedded fallback.
func TestDesignExample(t *testing.T) {
	path := filepath.Join("testdata", "design-example.yaml")
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	design, err := os.ReadFile(filepath.Join("..", "docs", "DESIGN.md"))
	if err != nil {
		t.Fatal(err)
	}
	const start = "## 4. Scenario files (user-facing contract)\n\n```yaml\n"
	i := bytes.Index(design, []byte(start))
	if i < 0 {
		t.Fatal("docs/DESIGN.md: no §4 yaml block")
	}
	block := design[i+len(start):]
	block = block[:bytes.Index(block, []byte("```"))]
	if !bytes.Equal(block, text) {
		t.Errorf("%s is not the DESIGN §4 example verbatim:\n%s\nDESIGN:\n%s", path, text, block)
	}

	sc, err := Load(path)
	if err != nil {
		t.Fatalf("the DESIGN example does not load: %v", err)
	}
	yes := true
	normal := 0.5
	for _, c := range []struct {
		key       string
		got, want any
	}{
		{"name", sc.Name, "two-layer-iris"},
		{"seed", sc.Seed, uint64(1)},
		{"data.csv", sc.Data.CSV, "data/iris.csv"},
		{"data.target", []string(sc.Data.Target), []string{"species"}},
		{"data.standardize", sc.Data.Standardize, &yes},
		{"data.classes", sc.Data.Classes, true},
		{"data.limit", sc.Data.Limit, 0},
		{"model.kind", sc.Model.Kind, KindTwoLayer},
		{"model.hidden", sc.Model.Hidden, 8},
		{"model.activation", sc.Model.Activation, "tanh"},
		{"model.loss", sc.Model.Loss, "squared"},
		{"init.normal", sc.Init.Normal, &normal},
		{"metric.epsilon", sc.Metric.Epsilon.Fixed, false},
		{"metric.safety", sc.Metric.Safety, 0.5},
		{"metric.inverse", sc.Metric.Inverse, "weak-field"},
		{"metric.christoffel", sc.Metric.Christoffel, "weak-field"},
		{"flows", sc.Flows, []string{FlowGD, FlowNGD, FlowGRD}},
		{"grd.v0", sc.GRD.V0, "ngd"},
		{"sgd", []any{sc.SGD.LR, sc.SGD.Batch, sc.SGD.Runs}, []any{0.05, 16, 32}},
		{"sde", []any{sc.SDE.LR, sc.SDE.Batch, sc.SDE.Runs, sc.SDE.DT}, []any{0.05, 16, 32, 0.01}},
		{"integrator", []any{sc.Integrator.Method, sc.Integrator.Rtol, sc.Integrator.Atol}, []any{"dopri5", 1e-8, 1e-10}},
		{"time", []any{sc.Time.T0, sc.Time.T1, sc.Time.Outputs}, []any{0.0, 20.0, 201}},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.key, c.got, c.want)
		}
	}
}

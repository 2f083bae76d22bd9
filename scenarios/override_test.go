package scenarios

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func mustOverrides(t *testing.T, args ...string) []Override {
	t.Helper()
	var set []Override
	for _, a := range args {
		o, err := ParseOverride(a)
		if err != nil {
			t.Fatalf("ParseOverride(%q): %v", a, err)
		}
		set = append(set, o)
	}
	return set
}

func TestOverrideSetsKeys(t *testing.T) {
	s, err := Builtin("two-layer-iris", mustOverrides(t,
		"metric.safety=0.2", "sgd.runs=64", "model.hidden=16", "flows=[gd,ngd]",
		"sgd.runs=8", // repeated: applied in order, the last wins
		"integrator={method: rk4, dt: 0.01}",
		"time={t1: 5}", // a whole section: the keys it leaves out take their defaults
	)...)
	if err != nil {
		t.Fatal(err)
	}
	if s.Metric.Safety != 0.2 || s.SGD.Runs != 8 || s.Model.Hidden != 16 || !reflect.DeepEqual(s.Flows, []string{"gd", "ngd"}) {
		t.Errorf("overrides not applied: safety %g, sgd.runs %d, hidden %d, flows %v", s.Metric.Safety, s.SGD.Runs, s.Model.Hidden, s.Flows)
	}
	if s.Integrator.Method != "rk4" || s.Integrator.DT != 0.01 || s.Integrator.Rtol != 0 || s.Integrator.Atol != 0 {
		t.Errorf("integrator = %+v, want rk4 with dt 0.01 and no tolerances (a fixed-step method uses none)", s.Integrator)
	}
	if s.Time.T1 != 5 || s.Time.Outputs != DefaultOutputs {
		t.Errorf("time = %+v, want t1 5 and the default %d outputs", s.Time, DefaultOutputs)
	}
	if got := strings.Join(s.OverrideStrings(), " "); !strings.Contains(got, "metric.safety=0.2") || len(s.Overrides()) != 7 {
		t.Errorf("Overrides = %q", got)
	}
	// Without overrides, nothing is recorded and the scenario is the file's.
	plain, err := Builtin("two-layer-iris")
	if err != nil {
		t.Fatal(err)
	}
	if plain.Overrides() != nil || plain.Metric.Safety != 0.5 {
		t.Errorf("plain built-in: overrides %v, safety %g", plain.Overrides(), plain.Metric.Safety)
	}
}

func TestOverrideListIndex(t *testing.T) {
	s, err := Builtin("mlp-wine", mustOverrides(t, "model.layers[1]=8")...)
	if err != nil {
		t.Fatal(err)
	}
	if s.Model.Layers[1] != 8 {
		t.Errorf("layers = %v, want item 1 = 8", s.Model.Layers)
	}
	// The same value as the file gives the same scenario (and checkpoint hash).
	a, _ := Builtin("mlp-wine")
	b, err := Builtin("mlp-wine", mustOverrides(t, "model.layers[1]=10", "metric.safety=0.5")...)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := a.JSON()
	jb, _ := b.JSON()
	if string(ja) != string(jb) {
		t.Errorf("overrides equal to the file changed the scenario:\n%s\n%s", ja, jb)
	}
}

// Every check of the file applies to what an override sets, with the
// override cited in place of FILE:LINE.
func TestOverrideErrors(t *testing.T) {
	cases := []struct {
		set      string
		sentinel error
		want     string
	}{
		{"metric.saftey=0.2", ErrUnknownKey, `scenarios: --set metric.saftey=0.2: metric.saftey: unknown key "saftey", did you mean "safety"?`},
		{"metric.safety=abc", ErrType, `scenarios: --set metric.safety=abc: metric.safety: want a number, got "abc"`},
		{"metric.safety=2", ErrBadValue, `scenarios: --set metric.safety=2: metric.safety:`},
		{"metric.safety=0", ErrBadValue, `scenarios: --set metric.safety=0: metric.safety: 0 is not valid`},
		{"sgd.runs=2.5", ErrType, `scenarios: --set sgd.runs=2.5: sgd.runs: want an integer`},
		{"flows=[gd,xyz]", ErrUnknownName, `scenarios: --set flows=[gd,xyz]: flows[1]:`},
		{"model.layers[7]=3", ErrShape, `model.layers has 4 items (indices 0..3), no item [7]`},
		{"model.kind.x=3", ErrType, `model.kind is "mlp", not a mapping`},
		{"metric.safety=[", ErrSyntax, `is not valid YAML`},
		{"bogus=1", ErrUnknownKey, `scenarios: --set bogus=1: bogus: unknown key "bogus" (valid keys at the top level:`},
	}
	for _, c := range cases {
		_, err := Builtin("mlp-wine", mustOverrides(t, c.set)...)
		if err == nil {
			t.Errorf("--set %s: no error", c.set)
			continue
		}
		if !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--set %s:\n got %v\nwant %q (%v)", c.set, err, c.want, c.sentinel)
		}
	}
	// A file error keeps its file and line even with overrides given.
	dir := t.TempDir()
	if err := writeFile(dir+"/s.yaml", "name: q\nmodel: {kind: quadratic, dim: 2}\nmetrik: {}\ntime: {t1: 1}\n"); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir+"/s.yaml", mustOverrides(t, "metric.safety=0.2")...)
	if err == nil || !strings.Contains(err.Error(), "s.yaml:3: metrik: unknown key") {
		t.Errorf("file error with overrides: %v", err)
	}
}

func TestParseOverride(t *testing.T) {
	o, err := ParseOverride("flows=[gd, ngd]")
	if err != nil || o.Key != "flows" || o.Value != "[gd, ngd]" || o.String() != "flows=[gd, ngd]" {
		t.Errorf("ParseOverride = %+v, %v", o, err)
	}
	if o, err := ParseOverride("init.normal=a=b"); err != nil || o.Value != "a=b" {
		t.Errorf("value with '=': %+v, %v", o, err)
	}
	for _, bad := range []string{"metric.safety", "=1", "metric..safety=1", "layers[x]=1", "a b=1"} {
		if _, err := ParseOverride(bad); err == nil {
			t.Errorf("ParseOverride(%q): no error", bad)
		}
	}
}

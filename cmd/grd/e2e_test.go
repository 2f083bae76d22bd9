package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
)

// grd runs the command line args end to end and returns stdout, stderr and
// the exit status.
func grd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

func TestVersion(t *testing.T) {
	out, errs, code := grd(t, "--version")
	if code != exitOK || errs != "" || !strings.HasPrefix(out, "grd version ") {
		t.Errorf("--version: code %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestScenariosList(t *testing.T) {
	out, _, code := grd(t, "scenarios")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	infos := scenarios.Builtins()
	if len(lines) != len(infos) {
		t.Fatalf("%d lines, want one per built-in (%d):\n%s", len(lines), len(infos), out)
	}
	for i, b := range infos {
		f := strings.Fields(lines[i])
		if len(f) < 2 || f[0] != b.Name || strings.Join(f[1:], " ") != strings.Join(strings.Fields(b.Description), " ") {
			t.Errorf("line %d = %q, want %s and its description", i, lines[i], b.Name)
		}
	}
	if !strings.HasPrefix(lines[0], scenarios.DefaultName+" ") {
		t.Errorf("the default scenario %s is not listed first", scenarios.DefaultName)
	}
}

// TestScenariosShow checks that the printed YAML is the built-in with every
// default filled in: it parses back to the same scenario and spells out
// settings the built-in file leaves to their defaults.
func TestScenariosShow(t *testing.T) {
	for _, b := range scenarios.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			out, errs, code := grd(t, "scenarios", "show", b.Name)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			back, err := scenarios.Parse([]byte(out), "")
			if err != nil {
				t.Fatalf("printed YAML does not parse: %v\n%s", err, out)
			}
			want, err := scenarios.Builtin(b.Name)
			if err != nil {
				t.Fatal(err)
			}
			j1, _ := back.JSON()
			j2, _ := want.JSON()
			if string(j1) != string(j2) {
				t.Errorf("printed scenario differs from the built-in:\n%s\nwant\n%s", j1, j2)
			}
			for _, key := range []string{"\nmetric:", "  safety:", "  inverse:", "  christoffel:", "\nintegrator:", "  rtol:", "\ntime:", "  outputs:", "\nsde:"} {
				if !strings.Contains(out, key) {
					t.Errorf("YAML lacks %q: defaults not filled in", key)
				}
			}
		})
	}
}

// geometryKeys are the keys of `grd geometry`, in order (DESIGN §5).
var geometryKeys = []string{"dim", "samples", "loss", "grad", "lambda_max", "epsilon", "diffusion",
	"ngd_velocity", "v", "hvp", "christoffel_vv", "grd_accel", "r0", "r1", "r2"}

// jsonKeys returns the top-level keys of a JSON object in order.
func jsonKeys(t *testing.T, data string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %v %v", tok, err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestGeometryJSON(t *testing.T) {
	out, errs, code := grd(t, "geometry", "quadratic-2d", "--workers", "1")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if keys := jsonKeys(t, out); !reflect.DeepEqual(keys, geometryKeys) {
		t.Errorf("keys = %v\nwant   %v", keys, geometryKeys)
	}
	var got experiment.GeometryReport
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	// The CLI only marshals the library's report: the JSON must carry it
	// exactly (shortest round-trip float formatting).
	s, err := scenarios.Builtin("quadratic-2d")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	want, err := experiment.GeometryAt(context.Background(), b, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("JSON report differs from experiment.GeometryAt:\n%+v\nwant\n%+v", got, *want)
	}
	if got.Dim != 2 || got.Samples != 8 || len(got.Diffusion) != 2 || len(got.Diffusion[0]) != 2 {
		t.Errorf("dim %d samples %d diffusion %v: want 2, 8 and a 2×2 matrix", got.Dim, got.Samples, got.Diffusion)
	}

	// --w and --v: the report is at the given point along the given direction.
	dir := t.TempDir()
	wf, vf, bad := filepath.Join(dir, "w.txt"), filepath.Join(dir, "v.txt"), filepath.Join(dir, "bad.txt")
	for name, text := range map[string]string{wf: "# point\n0.5\n-1.25\n", vf: "1\n0\n", bad: "1\n2\n3\n"} {
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, errs, code = grd(t, "geometry", "quadratic-2d", "--w", wf, "--v", vf)
	if code != exitOK {
		t.Fatalf("--w --v: exit %d: %s", code, errs)
	}
	var at experiment.GeometryReport
	if err := json.Unmarshal([]byte(out), &at); err != nil {
		t.Fatal(err)
	}
	want, err = experiment.GeometryAt(context.Background(), b, []float64{0.5, -1.25}, []float64{1, 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&at, want) {
		t.Errorf("--w --v report differs from experiment.GeometryAt at that point:\n%+v\nwant\n%+v", at, *want)
	}
	_, errs, code = grd(t, "geometry", "quadratic-2d", "--v", bad)
	if code != exitError || !strings.Contains(errs, bad) || strings.Count(errs, "\n") != 1 {
		t.Errorf("wrong-length --v: exit %d, stderr %q; want 1 and one line naming %s", code, errs, bad)
	}
}

// TestUsageErrors: wrong usage prints one line on stderr, nothing on
// stdout, and exits 2.
func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"frobnicate"},
		{"--no-such-flag"},
		{"--workers", "0", "scenarios"},
		{"--workers", "two", "scenarios"},
		{"geometry"},
		{"geometry", "quadratic-2d", "extra"},
		{"geometry", "quadratic-2d", "--x", "1"},
		{"scenarios", "show"},
		{"scenarios", "nope"},
		{"bench", "nope"},
		{"bench", "integrators", "--format", "xml"},
		{"bench", "integrators", "--tols", "abc"},
		{"bench", "integrators", "--problems", "pendulum"},
		{"bench", "geometry", "--n", "-1"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, errs, code := grd(t, args...)
			if code != exitUsage || out != "" || strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "grd") {
				t.Errorf("exit %d, stdout %q, stderr %q: want exit 2, one line on stderr", code, out, errs)
			}
		})
	}
}

// TestErrors: a failure that is not a usage error prints "grd: …" on one
// line and exits 1.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	badYAML := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badYAML, []byte("name: bad\nmodel: {kind: quadratic, dim: 2, count: 3}\ntime: {t1: 1}\nmetric: {safety: 2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string // in the message
	}{
		{[]string{"geometry", "no-such-scenario"}, "no-such-scenario"},
		{[]string{"scenarios", "show", "no-such-scenario"}, "no-such-scenario"},
		{[]string{"geometry", badYAML}, "metric.safety"},
		{[]string{"geometry", "quadratic-2d", "--w", filepath.Join(dir, "missing.txt")}, "missing.txt"},
		{[]string{"bench", "integrators", "--methods", "rk4", "--tols", "1e-3", "--problems", "arenstorf", "--reps", "1"}, "rk4"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errs, code := grd(t, tc.args...)
			if code != exitError || out != "" || !strings.HasPrefix(errs, "grd: ") || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q: want exit 1 and one line 'grd: …' naming %q", code, out, errs, tc.want)
			}
		})
	}
}

func TestBenchIntegratorsCSV(t *testing.T) {
	plot := filepath.Join(t.TempDir(), "wp.svg")
	out, errs, code := grd(t, "bench", "integrators", "--problems", "arenstorf,vanderpol", "--methods", "dopri5,bs3",
		"--tols", "1e-3,1e-5", "--reps", "1", "--plot", plot)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[0] != "problem,method,tol,error,nfev,steps,rejected,seconds" {
		t.Errorf("header = %q", lines[0])
	}
	if len(lines) != 1+2*2*2 {
		t.Errorf("%d rows, want 8 (2 problems × 2 methods × 2 tolerances)", len(lines)-1)
	}
	for _, l := range lines[1:] {
		if f := strings.Split(l, ","); len(f) != 8 {
			t.Errorf("row %q has %d fields, want 8", l, len(f))
		}
	}
	if fi, err := os.Stat(plot); err != nil || fi.Size() == 0 {
		t.Errorf("plot not written: %v", err)
	}
	out, _, code = grd(t, "bench", "integrators", "--problems", "arenstorf", "--methods", "dopri5", "--tols", "1e-4", "--reps", "1", "--format", "table")
	if code != exitOK || !strings.Contains(out, "arenstorf") || strings.Contains(out, ",") {
		t.Errorf("--format table: exit %d, output %q", code, out)
	}
}

func TestQuiet(t *testing.T) {
	out, errs, code := grd(t, "--quiet", "geometry", "quadratic-2d")
	if code != exitOK || out != "" || errs != "" {
		t.Errorf("--quiet: exit %d, stdout %q, stderr %q; want silence", code, out, errs)
	}
}

func TestBenchGeometrySmall(t *testing.T) {
	out, errs, code := grd(t, "bench", "geometry", "--n", "200", "--inputs", "4", "--hidden", "4", "--outputs", "2",
		"--min-time", "1ms", "--trials", "1", "--skip-dense", "--skip-speedup", "--workers", "1")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, op := range []string{"D·v", "Γ(v,v)", "GRD RHS", "N=200", "workers=1"} {
		if !strings.Contains(out, op) {
			t.Errorf("table lacks %q:\n%s", op, out)
		}
	}
}

// TestScenariosShowDefaultTarget: `grd scenarios show FILE` of a scenario
// that omits data.target prints the default target column by name.
func TestScenariosShowDefaultTarget(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "d.csv"), []byte("a,b,price\n0,1,1\n1,0,3\n2,2,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	scen := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(scen, []byte("name: lr\ndata: {csv: d.csv}\nmodel: {kind: linear-regression}\nflows: [gd]\ntime: {t1: 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := grd(t, "scenarios", "show", scen)
	if code != exitOK || !strings.Contains(out, "\n  target: price\n") {
		t.Errorf("exit %d (%s), output\n%s\nwant target: price", code, errs, out)
	}
}

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// catalogueBase is the scenario every catalogue case edits: a two-layer
// network on the CSV file d.csv (see catalogueCSV), gd and ngd only.
const catalogueBase = `name: cat
seed: 1
data: {csv: d.csv, target: y}
model: {kind: two-layer, hidden: 2}
flows: [gd, ngd]
time: {t1: 0.1, outputs: 3}
`

const catalogueCSV = "x1,x2,y\n0.1,1,0\n0.5,-1,1\n-0.3,0.2,1\n0.9,0.4,0\n-1,0,1\n"

// catalogueCase is one row of the bad-input catalogue (README "Errors"):
// the files it writes (the scenario s.yaml, d.csv, w.txt, …) and the
// command's exact stderr and exit status.
type catalogueCase struct {
	input string            // what is wrong, for the table
	files map[string]string // file name → content; missing keys take the defaults
	args  []string          // default: run s.yaml --out out
	code  int
	want  string // exact stderr
}

// scen returns catalogueBase with the replacements old→new applied.
func scen(repl ...string) string { return strings.NewReplacer(repl...).Replace(catalogueBase) }

func catalogue() []catalogueCase {
	files := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	withS := func(s string) map[string]string { return files("s.yaml", s) }
	withCSV := func(csv string) map[string]string { return files("d.csv", csv) }
	return []catalogueCase{
		{input: "malformed YAML", files: withS("name: cat\nmodel: {kind: two-layer\n"), code: 1, want: "grd: scenarios: s.yaml:2: malformed YAML: did not find expected ',' or '}'\n"},
		{input: "unknown key", files: withS(scen("seed: 1", "seed: 1\nsed: 2")), code: 1, want: "grd: scenarios: s.yaml:3: sed: unknown key \"sed\", did you mean \"seed\"? (valid keys at the top level: name, seed, data, model, init, metric, flows, grd, sgd, sde, cd, integrator, time)\n"},
		{input: "unknown key (nested)", files: withS(scen("hidden: 2", "hiden: 2")), code: 1, want: "grd: scenarios: s.yaml:4: model.hiden: unknown key \"hiden\", did you mean \"hidden\"? (valid keys in model: kind, hidden, activation, loss, layers, bias, samples, dim, count, condition)\n"},
		{input: "wrong type", files: withS(scen("hidden: 2", "hidden: two")), code: 1, want: "grd: scenarios: s.yaml:4: model.hidden: want an integer, got \"two\"\n"},
		{input: "wrong type (integer wanted)", files: withS(scen("outputs: 3", "outputs: 2.5")), code: 1, want: "grd: scenarios: s.yaml:6: time.outputs: want an integer, got \"2.5\"\n"},
		{input: "missing required field (name)", files: withS(scen("name: cat\n", "")), code: 1, want: "grd: scenarios: s.yaml: name: missing: every scenario needs a name (it names the output directory out/<name>/)\n"},
		{input: "missing required field (model.kind)", files: withS(scen("kind: two-layer, ", "")), code: 1, want: "grd: scenarios: s.yaml:4: model.kind: missing: want one of quadratic, linear-regression, logistic, two-layer, mlp, rbm\n"},
		{input: "missing required field (time.t1)", files: withS(scen("t1: 0.1, ", "")), code: 1, want: "grd: scenarios: s.yaml:6: time.t1: missing: want the end time > t0 = 0\n"},
		{input: "unknown model kind", files: withS(scen("two-layer", "three-layer")), code: 1, want: "grd: scenarios: s.yaml:4: model.kind: unknown model kind \"three-layer\" (valid: quadratic, linear-regression, logistic, two-layer, mlp, rbm)\n"},
		{input: "unknown activation", files: withS(scen("hidden: 2", "hidden: 2, activation: swish")), code: 1, want: "grd: scenarios: s.yaml:4: model.activation: unknown activation \"swish\" (valid: tanh, sigmoid, softplus, relu)\n"},
		{input: "unknown loss", files: withS(scen("hidden: 2", "hidden: 2, loss: hinge")), code: 1, want: "grd: scenarios: s.yaml:4: model.loss: unknown loss \"hinge\" (valid: squared, cross-entropy)\n"},
		{input: "unknown integrator method", files: withS(scen("flows:", "integrator: {method: rk45}\nflows:")), code: 1, want: "grd: scenarios: s.yaml:5: integrator.method: unknown method \"rk45\" (valid: euler, heun, rk4, bs3, dopri5, tsit5, dop853, rodas4, rock4, auto)\n"},
		{input: "unknown flow", files: withS(scen("[gd, ngd]", "[gd, adam]")), code: 1, want: "grd: scenarios: s.yaml:5: flows[1]: unknown flow \"adam\" (valid: gd, ngd, grd, sgd, sde, cd)\n"},
		{input: "CSV: ragged row", files: withCSV("x1,x2,y\n0.1,1,0\n0.5,1\n"), code: 1, want: "grd: scenarios: d.csv:3:5: row has 2 fields, the header has 3\n"},
		{input: "CSV: non-numeric cell", files: withCSV("x1,x2,y\n0.1,1,0\n0.5,abc,1\n"), code: 1, want: "grd: scenarios: d.csv:3:5: column \"x2\": cannot read \"abc\" as a number\n"},
		{input: "CSV: NaN", files: withCSV("x1,x2,y\n0.1,1,0\n0.5,NaN,1\n"), code: 1, want: "grd: scenarios: d.csv:3:5: column \"x2\": \"NaN\" is not a number (NaN is not allowed)\n"},
		{input: "CSV: Inf", files: withCSV("x1,x2,y\n0.1,1,0\n0.5,1,-Inf\n"), code: 1, want: "grd: scenarios: d.csv:3:7: column \"y\": \"-Inf\" is infinite or out of range (want a finite number)\n"},
		{input: "CSV: empty file", files: withCSV(""), code: 1, want: "grd: scenarios: d.csv: empty file: want a header row of column names, then rows of numbers\n"},
		{input: "CSV: header only", files: withCSV("x1,x2,y\n"), code: 1, want: "grd: scenarios: d.csv:1: header only: no data rows\n"},
		{input: "CSV: missing target column", files: withCSV("x1,x2,z\n0.1,1,0\n0.5,-1,1\n"), code: 1, want: "grd: scenarios: d.csv:1: data.target: no column \"y\" (columns: x1, x2, z)\n"},
		{input: "CSV: missing file", files: withS(scen("d.csv", "nope.csv")), code: 1, want: "grd: scenarios: s.yaml:3: data.csv: cannot open nope.csv: no such file or directory\n"},
		{input: "weight file: wrong length", files: files("s.yaml", scen("flows:", "init: {file: w.txt}\nflows:"), "w.txt", "0.1\n0.2\n"), code: 1, want: "grd: scenarios: w.txt: has 2 values, the model has d = 9 weights (one value per line)\n"},
		{input: "weight file: not a number", files: files("s.yaml", scen("flows:", "init: {file: w.txt}\nflows:"), "w.txt", "0.1\nzero\n"), code: 1, want: "grd: scenarios: w.txt:2: cannot read \"zero\" as a number (a weight file holds one number per line)\n"},
		{input: "weight file: NaN", files: files("s.yaml", scen("flows:", "init: {file: w.txt}\nflows:"), "w.txt", "0.1\nNaN\n"), code: 1, want: "grd: scenarios: w.txt:2: \"NaN\" is not a number (NaN is not allowed) (a weight file holds one number per line)\n"},
		{input: "inline w0 of the wrong length", files: withS(scen("flows:", "init: {w: [1, 2]}\nflows:")), code: 1, want: "grd: scenarios: s.yaml:5: init.w: has 2 values, the model has d = 9 weights\n"},
		{input: "negative tolerance", files: withS(scen("flows:", "integrator: {rtol: -1.0e-6}\nflows:")), code: 1, want: "grd: scenarios: s.yaml:5: integrator.rtol: want a finite relative tolerance > 0, got -1e-06\n"},
		{input: "zero tolerance", files: withS(scen("flows:", "integrator: {atol: 0}\nflows:")), code: 1, want: "grd: scenarios: s.yaml:5: integrator.atol: 0 is not valid: want a number > 0; default 1e-10 (omit the key for the default)\n"},
		{input: "t1 ≤ t0", files: withS(scen("t1: 0.1", "t0: 1, t1: 0.5")), code: 1, want: "grd: scenarios: s.yaml:6: time.t1: t1 = 0.5 must be greater than t0 = 1\n"},
		{input: "outputs < 2", files: withS(scen("outputs: 3", "outputs: 1")), code: 1, want: "grd: scenarios: s.yaml:6: time.outputs: want between 2 and 1000000 output times (both ends included), got 1\n"},
		{input: "fixed-step method without dt", files: withS(scen("flows:", "integrator: {method: rk4}\nflows:")), code: 1, want: "grd: scenarios: s.yaml:5: integrator.dt: missing: fixed-step method rk4 needs a step dt > 0 (or use an adaptive method: bs3, dopri5, tsit5, dop853, rodas4, rock4, auto)\n"},
		{input: "fixed-step count over the limit", files: withS(scen("flows:", "integrator: {method: rk4, dt: 1.0e-19}\nflows:")), code: 1, want: "grd: scenarios: s.yaml:5: integrator.dt: dt = 1e-19 on [0, 0.1] needs 1e+18 steps, more than the limit 100000 (raise dt, shorten the horizon or use an adaptive method)\n"},
		{input: "ensemble step count over the limit", files: withS(scen("[gd, ngd]", "[gd, sgd]", "flows:", "sgd: {lr: 1.0e-300}\nflows:")), code: 1, want: "grd: scenarios: s.yaml:5: sgd.lr: lr = 1e-300 on [0, 0.1] needs 1e+299 steps per run, more than the limit 10000000 (raise lr or shorten the horizon)\n"},
		{input: "ensemble step larger than the horizon", files: withS(scen("[gd, ngd]", "[gd, sde]", "flows:", "sde: {dt: 1.0e6}\nflows:")), code: 1, want: "grd: scenarios: s.yaml:5: sde.dt: dt = 1e+06 takes no step on [0, 0.1]: want dt ≤ 0.2\n"},
		{input: "t1 = t0 + 1 ulp", files: withS(scen("t1: 0.1", "t0: 1, t1: 1.0000000000000002")), code: 1, want: "grd: scenarios: s.yaml:6: time.t1: t1 − t0 = 2.220446049250313e-16 is too short for 3 distinct output times (output times 0 and 1 are both 1): want a longer span or fewer outputs\n"},
		{input: "relu with ngd", files: withS(scen("hidden: 2", "hidden: 2, activation: relu")), code: 1, want: "grd: scenarios: s.yaml:4: model.activation: relu has no second derivatives, so flow ngd is not defined: use tanh, sigmoid or softplus, or run only gd, sgd and sde\n"},
		{input: "relu with grd", files: withS(scen("hidden: 2", "hidden: 2, activation: relu", "[gd, ngd]", "[gd, grd]")), code: 1, want: "grd: scenarios: s.yaml:4: model.activation: relu has no second derivatives, so flow grd is not defined: use tanh, sigmoid or softplus, or run only gd, sgd and sde\n"},
		{input: "ε·λ_max(D(w0)) ≥ 1", files: withS(scen("flows:", "metric: {epsilon: 1000}\nflows:")), code: 1, want: "grd: scenarios: s.yaml:5: metric.epsilon: epsilon 1000 with λ_max(D(w0)) = 0.2917934792283218 gives ε·λ_max = 291.79347922832176 ≥ 1 (the weak-field inverse is invalid and g may be near-singular); use ε < 3.4270813818204715 = 1/λ_max, or epsilon: auto\n"},
		{input: "safety outside (0, 1)", files: withS(scen("flows:", "metric: {safety: 1}\nflows:")), code: 1, want: "grd: scenarios: s.yaml:5: metric.safety: want a number in (0,1), got 1\n"},
		{input: "sgd batch larger than N", files: withS(scen("[gd, ngd]", "[gd, sgd]", "flows:", "sgd: {batch: 6}\nflows:")), code: 1, want: "grd: scenarios: s.yaml:5: sgd.batch: batch 6 is larger than the number of samples N = 5: want 1..5\n"},
		{input: "sgd lr ≤ 0", files: withS(scen("[gd, ngd]", "[gd, sgd]", "flows:", "sgd: {lr: -0.1}\nflows:")), code: 1, want: "grd: scenarios: s.yaml:5: sgd.lr: want a finite step size > 0, got -0.1\n"},
		{input: "sde dt ≤ 0", files: withS(scen("[gd, ngd]", "[gd, sde]", "flows:", "sde: {dt: -1}\nflows:")), code: 1, want: "grd: scenarios: s.yaml:5: sde.dt: want a finite Euler–Maruyama step > 0, got -1\n"},
		{input: "time.outputs over the maximum", files: withS(scen("outputs: 3", "outputs: 10000000")), code: 1, want: "grd: scenarios: s.yaml:6: time.outputs: want between 2 and 1000000 output times (both ends included), got 10000000\n"},
		{input: "flows: []", files: withS(scen("[gd, ngd]", "[]")), code: 1, want: "grd: scenarios: s.yaml:5: flows: empty: want a list of flows from gd, ngd, grd, sgd, sde, cd\n"},
		{input: "rtol ≤ 10ε with an adaptive method", files: withS(scen("flows:", "integrator: {rtol: 1.0e-300, atol: 1.0e-300}\nflows:")), code: 1, want: "grd: scenarios: s.yaml:5: integrator.rtol: rtol = 1e-300 is too small for the adaptive method dopri5: step-size control needs rtol > 10ε ≈ 2.2e-15 (below it rounding errors alone fail the error test); use rtol ≥ 1e-14, or a fixed-step method with dt\n"},
		{input: "init.normal too large", files: withS(scen("flows:", "init: {normal: 1.0e300}\nflows:")), code: 1, want: "grd: scenarios: s.yaml:5: init.normal: σ = 1e+300 is too large: want σ ≤ 1e+149 (the draws, up to about 10σ, must stay within |w| ≤ 1e+150, whose squares are finite)\n"},
		{input: "weight file: value too large", files: files("s.yaml", scen("flows:", "init: {file: w.txt}\nflows:"), "w.txt", "0.1\n1e308\n"), code: 1, want: "grd: scenarios: w.txt:2: \"1e308\" is too large in magnitude: want |value| ≤ 1e+150 (the losses and the standardisation square it, and its square must be finite) (a weight file holds one number per line)\n"},
		{input: "CSV: value too large", files: withCSV("x1,x2,y\n0.1,1e308,0\n0.5,-1e308,1\n"), code: 1, want: "grd: scenarios: d.csv:2:5: column \"x2\": \"1e308\" is too large in magnitude: want |value| ≤ 1e+150 (the losses and the standardisation square it, and its square must be finite)\n"},
		{input: "CSV: hexadecimal number", files: withCSV("x1,x2,y\n0.1,0x1p2,0\n0.5,1,1\n"), code: 1, want: "grd: scenarios: d.csv:2:5: column \"x2\": cannot read \"0x1p2\" as a number: want a decimal number such as 2, -0.5 or 1.5e-3 (hexadecimal floats and digit separators '_' are not accepted)\n"},
		{input: "CSV: digit separator", files: withCSV("x1,x2,y\n0.1,1_0,0\n0.5,1,1\n"), code: 1, want: "grd: scenarios: d.csv:2:5: column \"x2\": cannot read \"1_0\" as a number: want a decimal number such as 2, -0.5 or 1.5e-3 (hexadecimal floats and digit separators '_' are not accepted)\n"},
		{input: "CSV: CR-only line endings", files: withCSV("x1,x2,y\r0.1,1,0\r0.5,-1,1\r"), code: 1, want: "grd: scenarios: d.csv:1: lines end in a carriage return (CR) alone, as in old Mac OS files: convert the line endings to LF or CRLF (e.g. tr '\\r' '\\n')\n"},
		{input: "CSV: a device (data.csv: /dev/zero)", files: withS(scen("d.csv", "/dev/zero")), code: 1, want: "grd: scenarios: s.yaml:3: data.csv: /dev/zero is a device, want a regular file\n"},
		{input: "scenario: a device (grd run /dev/zero)", args: []string{"run", "/dev/zero", "--out", "out"}, code: 1, want: "grd: scenarios: /dev/zero: is a device, want a regular file (a scenario is a YAML or JSON file)\n"},
		{input: "estimated memory over --max-memory", files: withS(scen("hidden: 2", "hidden: 10000000")), args: []string{"run", "s.yaml", "--out", "out", "--max-memory", "1GiB", "--workers", "1"}, code: 1, want: "grd: scenarios: s.yaml:4: model.hidden: the run needs an estimated 11.7 GiB of memory (d = 40000001, N = 5), more than the 1 GiB allowed (--max-memory 1GiB); its largest part is the gd flow's output rows (3 outputs × d = 40000001): 2.68 GiB. To run it, make the model smaller (each of the K output rows holds its d weights) or run fewer flows, or raise the limit with --max-memory\n"},
		{input: "estimated memory over --max-memory (sgd.runs)", files: withS(scen("[gd, ngd]", "[gd, sgd]", "flows:", "sgd: {runs: 1000000000, batch: 1}\nflows:")), args: []string{"run", "s.yaml", "--out", "out", "--max-memory", "1GiB", "--workers", "1"}, code: 1, want: "grd: scenarios: s.yaml:5: sgd.runs: the run needs an estimated 22.4 GiB of memory (d = 9, N = 5), more than the 1 GiB allowed (--max-memory 1GiB); its largest part is the sgd ensemble's bookkeeping of 1000000000 runs: 22.4 GiB. To run it, lower sgd.runs, or raise the limit with --max-memory\n"},
		{input: "check: sgd batch larger than N", files: withS(scen("[gd, ngd]", "[gd, sgd]", "flows:", "sgd: {batch: 6}\nflows:")), args: []string{"check", "s.yaml"}, code: 1, want: "grd: scenarios: s.yaml:5: sgd.batch: batch 6 is larger than the number of samples N = 5: want 1..5\n"},
		{input: "output directory cannot be written (a file)", files: files("out", "x"), code: 1, want: "grd: scenarios: output directory out is a file, want a directory\n"},
		{input: "output directory holds an interrupted run's checkpoint", files: files("out/checkpoint.gob", "x"), code: 1, want: "grd: scenarios: output directory out holds the checkpoint of an interrupted run: continue it with grd run --resume out, or start afresh there with --discard-checkpoint\n"},
		{input: "scenario not found", args: []string{"run", "nope.yaml"}, code: 1, want: "grd: scenarios: \"nope.yaml\" is neither a scenario file nor a built-in scenario (built-ins: two-layer-iris, quadratic-2d, logistic-cancer, mlp-wine, two-layer-digits, rbm-bars, two-layer-fashion, paper-resnet-size, quadratic-stiff)\n"},
		{input: "usage: too many arguments", args: []string{"run", "s.yaml", "extra"}, code: 2, want: "grd run: want at most 1 argument(s), got 2 (see 'grd run --help')\n"},
		{input: "usage: unknown flag", args: []string{"run", "s.yaml", "--outt", "x"}, code: 2, want: "grd run: unknown flag: --outt (see 'grd run --help')\n"},
		{input: "usage: bad --workers", args: []string{"run", "s.yaml", "--workers", "0"}, code: 2, want: "grd run: --workers must be at least 1, got 0 (see 'grd run --help')\n"},
		{input: "usage: empty --resume", args: []string{"run", "--resume", ""}, code: 2, want: "grd run: --resume needs the output directory of an interrupted run, got an empty string (see 'grd run --help')\n"},
		{input: "usage: --checkpoint-every below 1s", args: []string{"run", "s.yaml", "--checkpoint-every", "1ms"}, code: 2, want: "grd run: --checkpoint-every 1ms is below the minimum 1s (a checkpoint holds every trajectory so far; writing it more often slows the run and wears the disk) (see 'grd run --help')\n"},
		{input: "usage: bad --max-memory", args: []string{"run", "s.yaml", "--max-memory", "lots"}, code: 2, want: "grd run: invalid argument \"lots\" for \"--max-memory\" flag: unknown unit \"lots\" in \"lots\" (want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB) (see 'grd run --help')\n"},
		{input: "usage: bad --checkpoint-every", args: []string{"run", "s.yaml", "--checkpoint-every", "soon"}, code: 2, want: "grd run: invalid argument \"soon\" for \"--checkpoint-every\" flag: time: invalid duration \"soon\" (see 'grd run --help')\n"},
	}
}

// TestErrorCatalogue runs every catalogue case through the CLI in a
// directory of its own and checks the exact message, the exit status and
// that the output directory was not created. With GRD_ERRORS_TABLE=FILE it
// writes the catalogue as a Markdown table (the README's "Errors").
func TestErrorCatalogue(t *testing.T) {
	var table strings.Builder
	table.WriteString("| Input | Exit | Message |\n|---|---|---|\n")
	for _, c := range catalogue() {
		t.Run(c.input, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			all := map[string]string{"s.yaml": catalogueBase, "d.csv": catalogueCSV}
			for k, v := range c.files {
				all[k] = v
			}
			outGiven := false
			for name, text := range all {
				if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				outGiven = outGiven || name == "out" || strings.HasPrefix(name, "out/")
			}
			args := c.args
			if args == nil {
				args = []string{"run", "s.yaml", "--out", "out"}
			}
			_, errs, code := grd(t, args...)
			if code != c.code || errs != c.want {
				t.Errorf("grd %s: exit %d, stderr\n%q\nwant exit %d, stderr\n%q", strings.Join(args, " "), code, errs, c.code, c.want)
			}
			if !outGiven {
				if _, err := os.Stat("out"); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("the output directory was created (stat: %v)", err)
				}
			}
			fmt.Fprintf(&table, "| %s | %d | `%s` |\n", c.input, code, strings.ReplaceAll(strings.TrimSuffix(errs, "\n"), "|", `\|`))
		})
	}
	if path := os.Getenv("GRD_ERRORS_TABLE"); path != "" {
		if err := os.WriteFile(path, []byte(table.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestNumericalFaultsCLI: a flow that meets a numerical fault (divergence,
// a non-finite state, step size underflow, the step limit) stops with a message naming
// flow, t, step size and last finite loss; sgd still finishes; everything
// is written (gd.csv with the rows before the fault, summary.json with
// both statuses) and grd exits 1 with one line.
func TestNumericalFaultsCLI(t *testing.T) {
	const stiff = "model: {kind: quadratic, samples: [{A: [[10000, 0], [0, 1]], c: [0, 0]}, {A: [[10000, 0], [0, 1]], c: [1, 1]}]}\n" +
		"init: {w: [1, 1]}\nflows: [gd, sgd]\nsgd: {lr: 1.0e-4, batch: 1, runs: 2}\n"
	for _, c := range []struct {
		name, yaml, want string
		slow             bool
	}{
		{"diverged", "model: {kind: quadratic, samples: [{A: [[10, 0], [0, 1]], c: [0, 0]}, {A: [[10, 0], [0, 1]], c: [1, 1]}]}\n" +
			"init: {w: [1, 1]}\nflows: [gd, sgd]\nintegrator: {method: euler, dt: 1}\nsgd: {lr: 0.01, batch: 1, runs: 2}\ntime: {t1: 400, outputs: 5}\n",
			"the flow diverged: the loss", false},
		{"nonfinite", "model: {kind: quadratic, samples: [{A: [[10, 0], [0, 1]], c: [0, 0]}, {A: [[10, 0], [0, 1]], c: [1, 1]}]}\n" +
			"init: {w: [1, 1]}\nflows: [gd, sgd]\nintegrator: {method: euler, dt: 1}\nsgd: {lr: 0.01, batch: 1, runs: 2}\ntime: {t1: 400, outputs: 2}\n",
			"not finite", false},
		{"underflow", stiff + "time: {t0: 1.0e12, t1: 1.0000000000005e12, outputs: 6}\n", "step size underflow", false},
		{"maxsteps", stiff + "time: {t1: 40, outputs: 5}\n", "maximum number of steps reached", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.slow && testing.Short() {
				t.Skip("1e5 integrator steps")
			}
			dir := t.TempDir()
			scen, out := filepath.Join(dir, "s.yaml"), filepath.Join(dir, "out")
			if err := os.WriteFile(scen, []byte("name: "+c.name+"\n"+c.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, errs, code := grd(t, "run", scen, "--out", out)
			if code != exitError || strings.Count(errs, "\n") != 1 {
				t.Fatalf("exit %d, stderr %q; want 1 and one line", code, errs)
			}
			for _, want := range []string{"grd: scenarios: flow did not reach t1: gd failed (engine: gd flow failed at t=", "step size ", "last finite loss ", c.want} {
				if !strings.Contains(errs, want) {
					t.Errorf("stderr %q lacks %q", errs, want)
				}
			}
			b, err := os.ReadFile(filepath.Join(out, "summary.json"))
			if err != nil {
				t.Fatal(err)
			}
			var sum struct {
				Flows map[string]struct {
					Status, Error string
					Rows          int
				}
			}
			if err := json.Unmarshal(b, &sum); err != nil {
				t.Fatal(err)
			}
			gd, sgd := sum.Flows["gd"], sum.Flows["sgd"]
			if gd.Status != "failed" || !strings.Contains(gd.Error, c.want) || sgd.Status != "ok" || gd.Rows < 1 {
				t.Errorf("summary flows: %+v", sum.Flows)
			}
			csv, err := os.ReadFile(filepath.Join(out, "gd.csv"))
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(csv), "\n") - 1; n != gd.Rows {
				t.Errorf("gd.csv has %d rows, summary says %d", n, gd.Rows)
			}
		})
	}
}

// TestSingleRowCSV: one data row is allowed (D = 0), the run succeeds and
// the summary says ε = 0 as a warning.
func TestSingleRowCSV(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("s.yaml", []byte(catalogueBase), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("d.csv", []byte("x1,x2,y\n0.1,1,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := grd(t, "run", "s.yaml", "--out", "out"); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b, err := os.ReadFile(filepath.Join("out", "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Epsilon  *float64
		Warnings []string
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Epsilon == nil || *sum.Epsilon != 0 || len(sum.Warnings) == 0 || !strings.Contains(strings.Join(sum.Warnings, "\n"), "ε = 0") {
		t.Errorf("epsilon %v, warnings %q; want ε = 0 and a warning saying so", sum.Epsilon, sum.Warnings)
	}
}

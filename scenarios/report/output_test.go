package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
	"github.com/grd-engine/grd/scenarios/scenariotest"
)

// DESIGN §5 headers, written out by hand for d = 2.
func TestCSVHeader(t *testing.T) {
	for _, tc := range []struct {
		flow string
		d    int
		want string
	}{
		{scenarios.FlowGD, 2, "t,loss,grad_norm,w_0,w_1"},
		{scenarios.FlowNGD, 2, "t,loss,grad_norm,w_0,w_1"},
		{scenarios.FlowGRD, 2, "t,loss,grad_norm,w_0,w_1,u_0,u_1,ngd_defect,r0,r1,r2"},
		{scenarios.FlowSGD, 2, "t,loss_mean,loss_std,w_0,w_1"},
		{scenarios.FlowSDE, 3, "t,loss_mean,loss_std,w_0,w_1,w_2"},
		{scenarios.FlowGD, 1, "t,loss,grad_norm,w_0"},
	} {
		if got := strings.Join(CSVHeader(tc.flow, tc.d), ","); got != tc.want {
			t.Errorf("CSVHeader(%s, %d) = %s, want %s", tc.flow, tc.d, got, tc.want)
		}
	}
}

// TestWriteCSVRoundTrip: every number reads back to the same float64, and
// the columns are where the header says.
func TestWriteCSVRoundTrip(t *testing.T) {
	hard := []float64{0.1, 1.0 / 3, 1e-300, -2.5e17, math.Nextafter(1, 2), 5e-324, 123456789.125}
	tr := &flow.Trajectory{Flow: flow.GRD}
	for k, x := range hard {
		tr.T = append(tr.T, float64(k)*0.1)
		tr.Loss = append(tr.Loss, x)
		tr.GradNorm = append(tr.GradNorm, 2*x)
		tr.W = append(tr.W, []float64{x, -x})
		tr.U = append(tr.U, []float64{x / 7, x * 3})
		tr.NGDDefect = append(tr.NGDDefect, x+1)
		tr.R0 = append(tr.R0, x/3)
		tr.R1 = append(tr.R1, x/9)
		tr.R2 = append(tr.R2, x/11)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, tr, 2); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(hard)+1 {
		t.Fatalf("%d rows, want header + %d", len(rows), len(hard))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for k, row := range rows[1:] {
		get := func(name string) float64 {
			v, err := strconv.ParseFloat(row[col[name]], 64)
			if err != nil {
				t.Fatalf("row %d %s: %v", k, name, err)
			}
			return v
		}
		for name, want := range map[string]float64{
			"t": tr.T[k], "loss": tr.Loss[k], "grad_norm": tr.GradNorm[k], "w_0": tr.W[k][0], "w_1": tr.W[k][1],
			"u_0": tr.U[k][0], "u_1": tr.U[k][1], "ngd_defect": tr.NGDDefect[k], "r0": tr.R0[k], "r1": tr.R1[k], "r2": tr.R2[k],
		} {
			if got := get(name); math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("row %d %s = %v, want %v bit for bit", k, name, got, want)
			}
		}
	}
}

func TestWriteCSVErrors(t *testing.T) {
	ok := func() *flow.Trajectory {
		return &flow.Trajectory{Flow: flow.SGD, T: []float64{0, 1}, Loss: []float64{1, 2}, LossStd: []float64{0, 0},
			W: [][]float64{{1, 2}, {3, 4}}}
	}
	if err := WriteCSV(io.Discard, ok(), 2); err != nil {
		t.Fatalf("valid sgd trajectory: %v", err)
	}
	for _, tc := range []struct {
		name   string
		break_ func(*flow.Trajectory)
		d      int
	}{
		{"missing loss_std", func(tr *flow.Trajectory) { tr.LossStd = nil }, 2},
		{"short w row", func(tr *flow.Trajectory) { tr.W[1] = tr.W[1][:1] }, 2},
		{"wrong d", func(tr *flow.Trajectory) {}, 3},
		{"gd without grad_norm", func(tr *flow.Trajectory) { tr.Flow = flow.GD }, 2},
	} {
		tr := ok()
		tc.break_(tr)
		if err := WriteCSV(io.Discard, tr, tc.d); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

// TestSummaryKeys: summary.json has exactly the documented keys.
func TestSummaryKeys(t *testing.T) {
	r, err := experiment.Run(context.Background(), scenariotest.Tiny(t), experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSummaryJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(buf.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	wantKeys := func(what string, m map[string]any, want ...string) {
		t.Helper()
		var got []string
		for k := range m {
			got = append(got, k)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s keys = %v, want %v", what, got, want)
		}
	}
	wantKeys("summary", s, "scenario", "dim", "samples", "lambda_max", "epsilon", "flows", "comparisons", "warnings", "verdict", "provenance")
	flows := s["flows"].(map[string]any)
	wantKeys("flows", flows, "gd", "ngd", "grd", "sgd", "sde")
	for name, f := range flows {
		keys := []string{"status", "error", "rows", "t_end", "final_loss", "final_loss_std",
			"nfev", "steps", "rejected", "seconds", "max_eps_lambda_max"}
		if name == "gd" || name == "ngd" || name == "grd" { // the wall time split, deterministic flows only
			keys = append(keys, "rhs_seconds", "diagnostic_seconds", "rhs_passes", "diagnostic_passes", "monitored_rows", "monitor_tol")
		}
		wantKeys("flows."+name, f.(map[string]any), keys...)
	}
	wantKeys("comparisons", s["comparisons"].(map[string]any), "max_gap_grd_ngd", "relative_gap", "ngd_path_length",
		"max_gap_ngd_gd", "relative_gap_ngd_gd", "max_ngd_defect", "max_r2_over_r1",
		"median_r2_over_r1", "late_max_r2_over_r1", "final_r2_over_r1")
	if s["dim"] != 2.0 || s["samples"] != 6.0 || s["epsilon"] != r.Epsilon || s["lambda_max"] != r.LambdaMax {
		t.Errorf("dim, samples, epsilon, lambda_max = %v %v %v %v", s["dim"], s["samples"], s["epsilon"], s["lambda_max"])
	}
	if w, ok := s["warnings"].([]any); !ok || len(w) != 0 {
		t.Errorf("warnings = %v, want []", s["warnings"])
	}
	grd := flows["grd"].(map[string]any)
	if grd["status"] != "ok" || grd["rows"] != 11.0 || grd["final_loss"] != r.Flow(scenarios.FlowGRD).Loss[10] || grd["final_loss_std"] != nil {
		t.Errorf("flows.grd = %v", grd)
	}
	for _, tr := range r.Flows { // every flow monitors ε·λ_max (DESIGN §1)
		fs := flows[string(tr.Flow)].(map[string]any)
		want, monitored := tr.MaxEpsLambdaMax()
		if got := fs["max_eps_lambda_max"]; got != want || !(got.(float64) > 0) {
			t.Errorf("%s max_eps_lambda_max = %v, want %v > 0", tr.Flow, got, want)
		}
		if tr.Flow == "gd" || tr.Flow == "ngd" || tr.Flow == "grd" {
			// the budget always monitors t0 and t1, at most every row
			if got := fs["monitored_rows"]; got != float64(monitored) || monitored < 2 || monitored > tr.Len() {
				t.Errorf("%s monitored_rows = %v, want %d in [2, %d]", tr.Flow, got, monitored, tr.Len())
			}
			if fs["monitor_tol"] != flow.DefaultMonitorTol || !(fs["rhs_passes"].(float64) >= float64(tr.NFev)) || !(fs["diagnostic_passes"].(float64) > 0) {
				t.Errorf("%s monitor_tol, rhs_passes, diagnostic_passes = %v %v %v, want %g, ≥ nfev %d, > 0",
					tr.Flow, fs["monitor_tol"], fs["rhs_passes"], fs["diagnostic_passes"], flow.DefaultMonitorTol, tr.NFev)
			}
		}
	}
	// The echo reads back as the same scenario, defaults included.
	echo, _ := json.Marshal(s["scenario"])
	back, err := scenarios.Parse(echo, "")
	if err != nil {
		t.Fatalf("scenario echo does not parse: %v", err)
	}
	a, _ := back.JSON()
	b, _ := r.Scenario.JSON()
	if string(a) != string(b) {
		t.Errorf("echo round trip:\n%s\nwant\n%s", a, b)
	}
}

func TestCheckOutDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckOutDir(filepath.Join(dir, "new", "deeper")); err != nil {
		t.Errorf("a new directory below a writable one: %v", err)
	}
	if names := listDir(t, dir); !slices.Equal(names, []string{"file"}) {
		t.Errorf("CheckOutDir left %v behind, want nothing new", names)
	}
	for _, bad := range []string{file, filepath.Join(file, "sub")} {
		if err := CheckOutDir(bad); err == nil || !strings.Contains(err.Error(), "is a file") {
			t.Errorf("CheckOutDir(%s) = %v, want an error saying a file is in the way", bad, err)
		}
	}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		if err := CheckOutDir(filepath.Join(ro, "out")); err == nil || !strings.Contains(err.Error(), "not writable") {
			t.Errorf("read-only parent: %v, want not writable", err)
		}
		if _, err := WriteOutputs(filepath.Join(ro, "out"), &experiment.Report{}); err == nil {
			t.Error("WriteOutputs into a read-only parent: no error")
		}
	}
}

// TestNothingWrittenOnFailure: a refused scenario returns no report, so the
// caller has nothing to write and the output directory is never created.
func TestNothingWrittenOnFailure(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	sc := scenariotest.Tiny(t, "flows:", "metric: {epsilon: 1000}\nflows:")
	if err := CheckOutDir(dir); err != nil {
		t.Fatal(err)
	}
	r, err := experiment.Run(context.Background(), sc, experiment.RunOptions{Workers: 1})
	if err == nil || r != nil {
		t.Fatalf("Run = %v, %v; want an error and no report", r, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("output directory exists after a refused run (stat: %v)", err)
	}
}

var (
	secondsRe = regexp.MustCompile(`"(rhs_|diagnostic_)?seconds": [-+0-9.eE]+`)
	// runRe matches the provenance fields that differ between runs of the
	// same scenario: the worker budget and the run's times.
	runRe = regexp.MustCompile(`"(workers|start_utc|end_utc)": ("[^"]*"|[0-9]+)`)
)

// zeroSeconds replaces the wall times of a summary.json.
func zeroSeconds(t *testing.T, b []byte) []byte {
	t.Helper()
	if !secondsRe.Match(b) {
		t.Fatal("summary.json has no seconds")
	}
	b = runRe.ReplaceAll(b, []byte(`"$1": null`))
	return secondsRe.ReplaceAll(b, []byte(`"${1}seconds": 0`))
}

func readSummary(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEnsembleCSVDistinctTimes: an SGD step η = 0.5 longer than the output
// spacing 0.2 puts several output times on one step; sgd.csv then has one
// row per distinct step time (t = 0, 0.5, 1, 1.5, 2), and a warning says so.
func TestEnsembleCSVDistinctTimes(t *testing.T) {
	sc := scenariotest.Tiny(t, "flows: [gd, ngd, grd, sgd, sde]", "flows: [gd, sgd]", "sgd: {lr: 0.05,", "sgd: {lr: 0.5,")
	r, err := experiment.Run(context.Background(), sc, experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r.Flow("sgd"), r.Dim); err != nil {
		t.Fatal(err)
	}
	var ts []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n")[1:] {
		ts = append(ts, strings.SplitN(line, ",", 2)[0])
	}
	if strings.Join(ts, " ") != "0 0.5 1 1.5 2" {
		t.Errorf("sgd.csv times %v, want 0 0.5 1 1.5 2", ts)
	}
	if !hasWarning(r.Warnings, "sgd.csv holds one row per distinct step time (5 rows)") {
		t.Errorf("warnings %q", r.Warnings)
	}
}

package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
	"github.com/grd-engine/grd/scenarios/scenariotest"
)

// TestRunWorkersIdentical: every output file is byte-identical for 1, 2
// and 3 workers (1 flow at a time; 2 flows with 1 pass worker each; 3
// flows with 1 each), apart from the wall times in summary.json, for a
// run and for a sweep.
func TestRunWorkersIdentical(t *testing.T) {
	sc := scenariotest.Tiny(t)
	var dirs []string
	var sweeps []string
	for _, w := range []int{1, 2, 3} {
		r, err := experiment.Run(context.Background(), sc, experiment.RunOptions{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "out")
		// Under -short (the race run) the plots, slow to rasterise with the
		// race detector, are left to TestRunPlots.
		if _, err := writeOutputs(dir, r, !testing.Short()); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
		sw, err := experiment.Sweep(context.Background(), sc, []float64{0.1, 0.3}, experiment.RunOptions{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteSweepTable(&buf, sw); err != nil {
			t.Fatal(err)
		}
		sweeps = append(sweeps, buf.String())
	}
	names := listDir(t, dirs[0])
	for i, w := range []int{2, 3} {
		if got := listDir(t, dirs[i+1]); strings.Join(got, " ") != strings.Join(names, " ") {
			t.Fatalf("files differ: %v with 1 worker, %v with %d", names, got, w)
		}
		for _, n := range names {
			a, _ := os.ReadFile(filepath.Join(dirs[0], n))
			b, _ := os.ReadFile(filepath.Join(dirs[i+1], n))
			if n == SummaryFile {
				a, b = zeroSeconds(t, a), zeroSeconds(t, b)
			}
			if n == ReportFile { // shows the provenance (workers, times, seconds); its numbers come from summary.json
				continue
			}
			if string(a) != string(b) {
				t.Errorf("%s differs between 1 and %d workers", n, w)
			}
		}
		if sweeps[i+1] != sweeps[0] {
			t.Errorf("the sweep differs between 1 and %d workers:\n%s\nvs\n%s", w, sweeps[0], sweeps[i+1])
		}
	}
}

// TestRunFailingFlow: SGD with a step far beyond 2/λ_max(H) overflows; the
// other flows still finish, the failure is recorded and reported, and the
// outputs are written (sgd.csv with the rows before the blow-up).
func TestRunFailingFlow(t *testing.T) {
	sc := scenariotest.Tiny(t, "sgd: {lr: 0.05, batch: 2, runs: 4}", "sgd: {lr: 40, batch: 6, runs: 2}",
		"t1: 2, outputs: 11", "t1: 8000, outputs: 11")
	r, err := experiment.Run(context.Background(), sc, experiment.RunOptions{Workers: 2})
	if !errors.Is(err, experiment.ErrFlowFailed) {
		t.Fatalf("err = %v, want ErrFlowFailed", err)
	}
	if r == nil {
		t.Fatal("no report with a failed flow")
	}
	if !strings.Contains(err.Error(), "sgd") {
		t.Errorf("error %q does not name the sgd flow", err)
	}
	for _, tr := range r.Flows {
		want := flow.StatusOK
		if tr.Flow == flow.SGD {
			want = flow.StatusFailed
		}
		if tr.Status != want {
			t.Errorf("flow %s: status %s (%v), want %s", tr.Flow, tr.Status, tr.Err, want)
		}
	}
	if got := r.Failed(); len(got) != 1 || got[0] != scenarios.FlowSGD {
		t.Errorf("Failed() = %v, want [sgd]", got)
	}
	if !hasWarning(r.Warnings, "flow sgd failed") {
		t.Errorf("warnings %q do not report the sgd failure", r.Warnings)
	}
	dir := t.TempDir()
	files, err := writeOutputs(dir, r, !testing.Short())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"gd.csv", "ngd.csv", "grd.csv", "sde.csv", SummaryFile}
	if !testing.Short() {
		want = append(want, "loss.png", "gap.png", "contours.png")
	}
	for _, f := range want {
		if !slices.Contains(files, f) {
			t.Errorf("%s not written (wrote %v)", f, files)
		}
	}
	s := readSummary(t, filepath.Join(dir, SummaryFile))
	sgd := s["flows"].(map[string]any)["sgd"].(map[string]any)
	if sgd["status"] != "failed" || sgd["error"] == "" {
		t.Errorf("summary sgd = %v, want status failed with an error", sgd)
	}
}

// TestDefaultTargetEchoed: a scenario that omits data.target is echoed
// (Report.Scenario, summary.json, FillData for `grd scenarios show`) with
// the name of the column used as the target by default, the last one; the
// echo parses back to the same scenario. An rbm, which has no target,
// is left without one.
func TestDefaultTargetEchoed(t *testing.T) {
	dir := t.TempDir()
	if err := writeFile(filepath.Join(dir, "d.csv"), "a,b,price\n0,1,1\n1,0,3\n2,2,4\n3,1,2\n"); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(dir, "bits.csv"), "p,q\n0,1\n1,0\n1,1\n"); err != nil {
		t.Fatal(err)
	}
	text := "name: lr\ndata: {csv: d.csv}\nmodel: {kind: linear-regression}\nflows: [gd]\ntime: {t1: 1, outputs: 3}\n"
	path := filepath.Join(dir, "s.yaml")
	if err := writeFile(path, text); err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	shown, err := scenarios.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := shown.FillData(); err != nil {
		t.Fatal(err)
	}
	if got := shown.Data.Target; len(got) != 1 || got[0] != "price" {
		t.Errorf("FillData: target %v, want [price]", got)
	}
	r, err := experiment.Run(context.Background(), sc, experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if _, err := writeOutputs(out, r, false); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Scenario struct {
			Data struct {
				Target any `json:"target"`
			} `json:"data"`
		} `json:"scenario"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Scenario.Data.Target != "price" {
		t.Errorf("summary.json scenario.data.target = %v, want \"price\"", s.Scenario.Data.Target)
	}
	y, _ := shown.YAML()
	back, err := scenarios.Parse(y, path)
	if err != nil {
		t.Fatalf("the filled echo does not parse: %v\n%s", err, y)
	}
	a, _ := back.JSON()
	c, _ := r.Scenario.JSON()
	if string(a) != string(c) {
		t.Errorf("echo of show and of run differ:\n%s\n%s", a, c)
	}
	rbm := filepath.Join(dir, "r.yaml")
	if err := writeFile(rbm, "name: r\ndata: {csv: bits.csv}\nmodel: {kind: rbm, hidden: 2}\nflows: [gd]\ntime: {t1: 1, outputs: 3}\n"); err != nil {
		t.Fatal(err)
	}
	rs, err := scenarios.Load(rbm)
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.FillData(); err != nil || rs.Data.Target != nil {
		t.Errorf("rbm: FillData err %v, target %v; want none", err, rs.Data.Target)
	}
	if _, err := rs.Build(); err != nil || rs.Data.Target != nil {
		t.Errorf("rbm: Build err %v, target %v; want none", err, rs.Data.Target)
	}
}

// TestEnsembleRowsAtStepTimes: with output times off the step grid (every
// 0.2 with η = 0.03 and dt = 0.03), the t column of sgd.csv and sde.csv is
// the time t0 + j·η of the step each row holds, j = round((t − t0)/η)
// (DESIGN §1: t = jη), not the requested time; gd keeps the requested
// times.
func TestEnsembleRowsAtStepTimes(t *testing.T) {
	sc := scenariotest.Tiny(t, "lr: 0.05, batch: 2, runs: 4}", "lr: 0.03, batch: 2, runs: 4}", "dt: 0.05", "dt: 0.03")
	r, err := experiment.Run(context.Background(), sc, experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flow string
		h    float64
	}{{scenarios.FlowSGD, 0.03}, {scenarios.FlowSDE, 0.03}, {scenarios.FlowGD, 0}} {
		var buf bytes.Buffer
		if err := WriteCSV(&buf, r.Flow(c.flow), r.Dim); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")[1:]
		for k, tk := range r.Times {
			want := tk
			if c.h > 0 {
				want = r.Times[0] + math.Round((tk-r.Times[0])/c.h)*c.h
			}
			got, err := strconv.ParseFloat(strings.SplitN(lines[k], ",", 2)[0], 64)
			if err != nil || got != want {
				t.Errorf("%s row %d: t = %v (%v), want %v (requested %v)", c.flow, k, got, err, want, tk)
			}
		}
	}
}

package report

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/models"
	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
)

// TestRBMRunOutputs runs a small rbm scenario with every flow kind that
// records KL and checks the kl columns: right after loss (gd, ngd, grd),
// and as kl_mean,kl_std right after loss_mean,loss_std (cd, sgd); their
// values equal the trajectories', and KL = loss − H(p_data) for the
// deterministic flows. Other kinds keep the DESIGN §5 headers.
func TestRBMRunOutputs(t *testing.T) {
	text := "name: r\nseed: 3\ndata: {bars-and-stripes: 2}\nmodel: {kind: rbm, hidden: 2}\n" +
		"flows: [gd, ngd, grd, cd, sgd]\ncd: {lr: 0.1, batch: 3, runs: 3, k: 2}\nsgd: {lr: 0.1, batch: 3, runs: 2}\ntime: {t1: 2, outputs: 5}\n"
	s, err := scenarios.Parse([]byte(text), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := experiment.Run(context.Background(), s, experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	h := r.Model.(*models.RBM).DataEntropy()
	d := r.Dim
	for _, tr := range r.Flows {
		var buf bytes.Buffer
		if err := WriteCSV(&buf, tr, d); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		header := strings.Split(lines[0], ",")
		want := "t,loss,kl,grad_norm,w_0"
		if tr.Flow == flow.CD || tr.Flow == flow.SGD {
			want = "t,loss_mean,loss_std,kl_mean,kl_std,w_0"
		}
		if got := strings.Join(header[:len(strings.Split(want, ","))], ","); got != want {
			t.Errorf("%s: header starts %q, want %q", tr.Flow, got, want)
		}
		if len(lines) != 6 || len(tr.KL) != 5 {
			t.Fatalf("%s: %d lines, %d KL rows", tr.Flow, len(lines), len(tr.KL))
		}
		last := strings.Split(lines[5], ",")
		col := 2
		if tr.Flow == flow.CD || tr.Flow == flow.SGD {
			col = 3
			if last[4] != fmtFloat(tr.KLStd[4]) {
				t.Errorf("%s: kl_std %s, want %v", tr.Flow, last[4], tr.KLStd[4])
			}
		} else if e := math.Abs(tr.KL[4] - (tr.Loss[4] - h)); e > 1e-12 {
			t.Errorf("%s: KL %v, loss − H %v", tr.Flow, tr.KL[4], tr.Loss[4]-h)
		}
		if last[col] != fmtFloat(tr.KL[4]) {
			t.Errorf("%s: kl column %s, want %v", tr.Flow, last[col], tr.KL[4])
		}
	}
	if cd := r.Flow(scenarios.FlowCD); !(cd.KL[4] < cd.KL[0]) {
		t.Errorf("cd: KL %v does not decrease", cd.KL)
	}
	if h := CSVHeader(scenarios.FlowSGD, 1); strings.Join(h, ",") != "t,loss_mean,loss_std,w_0" {
		t.Errorf("sgd header without KL: %v", h)
	}
	if h := CSVHeader(scenarios.FlowGD, 1); strings.Join(h, ",") != "t,loss,grad_norm,w_0" {
		t.Errorf("gd header without KL: %v", h)
	}
}

func fmtFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// TestRBMBuiltinRuns checks the built-in rbm-bars end to end (skipped with
// -short): every flow reaches t1 and its KL decreases, and the kl plot is
// written.
func TestRBMBuiltinRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the rbm-bars scenario (a few seconds)")
	}
	s, err := scenarios.Builtin("rbm-bars")
	if err != nil {
		t.Fatal(err)
	}
	r, err := experiment.Run(context.Background(), s, experiment.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range r.Flows {
		if tr.Status != flow.StatusOK || !(tr.KL[len(tr.KL)-1] < 0.6*tr.KL[0]) {
			t.Errorf("%s: status %s, KL %v → %v: want a decrease by more than 40%%", tr.Flow, tr.Status, tr.KL[0], tr.KL[len(tr.KL)-1])
		}
	}
	dir := t.TempDir()
	files, err := WriteOutputs(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(files, PlotKL+".png") || !slices.Contains(files, PlotKL+".svg") {
		t.Errorf("outputs %v lack the kl plot", files)
	}
	if _, err := os.Stat(filepath.Join(dir, "cd.csv")); err != nil {
		t.Error(err)
	}
	sum := readSummary(t, filepath.Join(dir, SummaryFile))
	flows := sum["flows"].(map[string]any)
	for _, tr := range r.Flows {
		fs := flows[string(tr.Flow)].(map[string]any)
		if got, _ := fs["final_kl"].(float64); got != tr.KL[len(tr.KL)-1] {
			t.Errorf("%s: summary final_kl %v, want %v", tr.Flow, fs["final_kl"], tr.KL[len(tr.KL)-1])
		}
		if _, has := fs["final_kl_std"]; has != (tr.Flow == flow.CD) {
			t.Errorf("%s: final_kl_std present = %v", tr.Flow, has)
		}
	}
}

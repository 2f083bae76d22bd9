package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/grd-engine/grd/engine/flow"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/models"
)

const rbmBars = "name: r\ndata: {bars-and-stripes: 2}\nmodel: {kind: rbm, hidden: 3}\ntime: {t1: 1, outputs: 3}\n"

// TestRBMParseErrors: rbm-specific keys and values, each error naming the
// key, the file and line, and what would be valid.
func TestRBMParseErrors(t *testing.T) {
	cases := []struct {
		name     string
		yaml     string
		sentinel error
		piece    string
	}{
		{"no hidden", strings.Replace(rbmBars, ", hidden: 3", "", 1), ErrBadValue,
			"test.yaml:3: model.hidden: want the number of hidden units n_h in 1..20"},
		{"hidden 21", strings.Replace(rbmBars, "hidden: 3", "hidden: 21", 1), ErrBadValue, "got 21"},
		{"target", strings.Replace(rbmBars, "{bars-and-stripes: 2}", "{csv: p.csv, target: x}", 1), ErrConflict,
			"test.yaml:2: data.target: every CSV column of an rbm is a visible unit holding 0 or 1: an rbm has no target column"},
		{"standardize", strings.Replace(rbmBars, "{bars-and-stripes: 2}", "{csv: p.csv, standardize: false}", 1), ErrConflict,
			"data.standardize: every CSV column of an rbm is a visible unit holding 0 or 1: standardising would destroy the binary values"},
		{"classes", strings.Replace(rbmBars, "{bars-and-stripes: 2}", "{csv: p.csv, classes: true}", 1), ErrConflict,
			"data.classes: every CSV column of an rbm is a visible unit holding 0 or 1: an rbm has no class labels"},
		{"inputs", strings.Replace(rbmBars, "{bars-and-stripes: 2}", "{csv: p.csv, inputs: [a]}", 1), ErrConflict, "data.inputs: "},
		{"both sources", strings.Replace(rbmBars, "{bars-and-stripes: 2}", "{csv: p.csv, bars-and-stripes: 2}", 1), ErrConflict,
			"data.bars-and-stripes: give either csv or bars-and-stripes, not both"},
		{"no data", strings.Replace(rbmBars, "data: {bars-and-stripes: 2}\n", "", 1), ErrMissing, "data: missing"},
		{"bars 5", strings.Replace(rbmBars, "bars-and-stripes: 2", "bars-and-stripes: 5", 1), ErrBadValue,
			"data.bars-and-stripes: want a grid size 1..4 (n_v = size² ≤ 20), got 5"},
		{"bars 0", strings.Replace(rbmBars, "bars-and-stripes: 2", "bars-and-stripes: 0", 1), ErrBadValue, "data.bars-and-stripes: 0 is not valid"},
		{"bars for logistic", "name: l\ndata: {bars-and-stripes: 2}\nmodel: {kind: logistic}\ntime: {t1: 1}\n", ErrConflict,
			"test.yaml:2: data.bars-and-stripes: generates binary patterns for an rbm, not for model kind logistic"},
		{"cd for logistic", "name: l\ndata: {csv: x.csv}\nmodel: {kind: logistic}\nflows: [gd, cd]\ntime: {t1: 1}\n", ErrConflict,
			"test.yaml:4: flows[1]: flow cd (contrastive divergence) trains an rbm, not model kind logistic"},
		{"cd section for logistic", "name: l\ndata: {csv: x.csv}\nmodel: {kind: logistic}\ncd: {k: 2}\ntime: {t1: 1}\n", ErrConflict,
			"test.yaml:4: cd: the cd section configures contrastive divergence of an rbm"},
		{"cd k 0", rbmBars + "cd: {k: 0}\n", ErrBadValue, "test.yaml:5: cd.k: 0 is not valid"},
		{"cd k negative", rbmBars + "cd: {k: -2}\n", ErrBadValue, "cd.k: want the number of Gibbs sweeps ≥ 1, got -2"},
		{"cd samples 1", rbmBars + "cd: {samples: 1}\n", ErrBadValue, "cd.samples: want at least 2 CD estimates"},
		{"cd lr", rbmBars + "cd: {lr: -1}\n", ErrBadValue, "cd.lr: want a finite step size > 0, got -1"},
		{"cd unknown key", rbmBars + "cd: {steps: 3}\n", ErrUnknownKey, "test.yaml:5: cd.steps: unknown key \"steps\""},
		{"source cd for logistic", "name: l\ndata: {csv: x.csv}\nmodel: {kind: logistic}\nmetric: {source: cd}\ntime: {t1: 1}\n", ErrConflict,
			"test.yaml:4: metric.source: cd takes D from contrastive-divergence estimates of an rbm, not model kind logistic"},
		{"unknown source", rbmBars + "metric: {source: fisher}\n", ErrUnknownName, "metric.source: unknown source \"fisher\" (valid: exact, cd)"},
		{"activation", strings.Replace(rbmBars, "hidden: 3", "hidden: 3, activation: tanh", 1), ErrConflict,
			"model.activation: not used by model kind rbm"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml), "test.yaml")
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), c.piece) {
				t.Errorf("error\n  %v\nwant %v containing\n  %s", err, c.sentinel, c.piece)
			}
		})
	}
}

// TestRBMData: bars-and-stripes through a scenario gives the patterns of
// models.BarsAndStripes; a CSV gives its rows; bad cells are cited by
// file:line:column; the cd batch must fit N.
func TestRBMData(t *testing.T) {
	for _, size := range []int{2, 3, 4} {
		s, err := Parse([]byte(strings.Replace(rbmBars, "bars-and-stripes: 2", "bars-and-stripes: "+string(rune('0'+size)), 1)), "test.yaml")
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Build()
		if err != nil {
			t.Fatal(err)
		}
		p, n := models.BarsAndStripes(size)
		rbm := b.Model.(*models.RBM)
		if rbm.Visible() != size*size || rbm.Len() != n || rbm.Hidden() != 3 || b.Model.Dim() != 3*size*size+size*size+3 {
			t.Fatalf("size %d: n_v %d, N %d, n_h %d, d %d", size, rbm.Visible(), rbm.Len(), rbm.Hidden(), b.Model.Dim())
		}
		for i := range n {
			for j, x := range rbm.Pattern(i) {
				if x != p[i*size*size+j] {
					t.Fatalf("size %d: pattern %d differs from models.BarsAndStripes", size, i)
				}
			}
		}
	}

	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		if err := writeFile(filepath.Join(dir, name), text); err != nil {
			t.Fatal(err)
		}
		return name
	}
	write("p.csv", "a,b,c\n1,0,1\n0,0,0\n1,1,0\n")
	write("bad.csv", "a,b,c\n1,0,1\n0,0.5,0\n")
	var wide []string
	for i := range 21 {
		wide = append(wide, "u"+strconv.Itoa(i))
	}
	write("wide.csv", strings.Join(wide, ",")+"\n")
	sc := func(csv, extra string) string {
		return "name: r\ndata: {csv: " + csv + "}\nmodel: {kind: rbm, hidden: 2}\n" + extra + "time: {t1: 1, outputs: 3}\n"
	}
	load := func(text string) (*Built, error) {
		path := filepath.Join(dir, "s.yaml")
		if err := writeFile(path, text); err != nil {
			t.Fatal(err)
		}
		s, err := Load(path)
		if err != nil {
			return nil, err
		}
		return s.Build()
	}
	b, err := load(sc("p.csv", ""))
	if err != nil {
		t.Fatal(err)
	}
	if r := b.Model.(*models.RBM); r.Len() != 3 || r.Visible() != 3 || r.Pattern(2)[1] != 1 {
		t.Errorf("p.csv: N %d, n_v %d, pattern 2 %v", r.Len(), r.Visible(), r.Pattern(2))
	}
	for _, c := range []struct {
		text, piece string
		sentinel    error
	}{
		{sc("bad.csv", ""), "bad.csv:3:3: column \"b\": 0.5 is not 0 or 1", ErrData},
		{sc("wide.csv", ""), "wide.csv:1:71: 21 columns: an rbm has at most 20 visible units", ErrData},
		{sc("p.csv", "flows: [cd]\ncd: {batch: 4}\n"), "cd.batch: batch 4 is larger than the number of samples N = 3", ErrShape},
	} {
		_, err := load(c.text)
		if err == nil || !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), c.piece) {
			t.Errorf("error %v, want %v containing %q", err, c.sentinel, c.piece)
		}
	}
}

// TestRBMRunOutputs runs a small rbm scenario with every flow kind that
// records KL and checks the kl columns: right after loss (gd, ngd, grd),
// and as kl_mean,kl_std right after loss_mean,loss_std (cd, sgd); their
// values equal the trajectories', and KL = loss − H(p_data) for the
// deterministic flows. Other kinds keep the DESIGN §5 headers.
func TestRBMRunOutputs(t *testing.T) {
	text := "name: r\nseed: 3\ndata: {bars-and-stripes: 2}\nmodel: {kind: rbm, hidden: 2}\n" +
		"flows: [gd, ngd, grd, cd, sgd]\ncd: {lr: 0.1, batch: 3, runs: 3, k: 2}\nsgd: {lr: 0.1, batch: 3, runs: 2}\ntime: {t1: 2, outputs: 5}\n"
	s, err := Parse([]byte(text), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), s, RunOptions{Workers: 1})
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
		if tr.Flow == FlowCD || tr.Flow == FlowSGD {
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
		if tr.Flow == FlowCD || tr.Flow == FlowSGD {
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
	if cd := r.Flow(FlowCD); !(cd.KL[4] < cd.KL[0]) {
		t.Errorf("cd: KL %v does not decrease", cd.KL)
	}
	if h := CSVHeader(FlowSGD, 1); strings.Join(h, ",") != "t,loss_mean,loss_std,w_0" {
		t.Errorf("sgd header without KL: %v", h)
	}
	if h := CSVHeader(FlowGD, 1); strings.Join(h, ",") != "t,loss,grad_norm,w_0" {
		t.Errorf("gd header without KL: %v", h)
	}
}

func fmtFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// TestRBMGeometryKeys: `grd geometry` on an rbm keeps every DESIGN §5 key
// and adds kl (= loss − H(p_data)), diffusion_cd (d×d, symmetric, PSD
// diagonal) and lambda_max_cd; other kinds have none of the three.
func TestRBMGeometryKeys(t *testing.T) {
	s, err := Parse([]byte(rbmBars+"cd: {samples: 512}\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := GeometryAt(context.Background(), b, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"dim", "samples", "loss", "grad", "lambda_max", "epsilon", "diffusion", "ngd_velocity", "v", "hvp",
		"christoffel_vv", "grd_accel", "r0", "r1", "r2", "kl", "diffusion_cd", "lambda_max_cd"} {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	h := b.Model.(*models.RBM).DataEntropy()
	if e := math.Abs(*rep.KL - (rep.Loss - h)); e > 1e-12 {
		t.Errorf("kl %v, loss − H %v", *rep.KL, rep.Loss-h)
	}
	d := rep.Dim
	if len(rep.DiffusionCD) != d || !(*rep.LambdaMaxCD > 0) {
		t.Fatalf("diffusion_cd %d rows, lambda_max_cd %v", len(rep.DiffusionCD), *rep.LambdaMaxCD)
	}
	for i := range d {
		if rep.DiffusionCD[i][i] < 0 {
			t.Errorf("diffusion_cd[%d][%d] = %v < 0", i, i, rep.DiffusionCD[i][i])
		}
		for j := range i {
			if rep.DiffusionCD[i][j] != rep.DiffusionCD[j][i] {
				t.Errorf("diffusion_cd not symmetric at (%d,%d)", i, j)
			}
		}
	}
	// The logistic built-in has none of the rbm keys.
	q, err := Builtin("quadratic-2d")
	if err != nil {
		t.Fatal(err)
	}
	qb, err := q.Build()
	if err != nil {
		t.Fatal(err)
	}
	qr, err := GeometryAt(context.Background(), qb, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	qj, _ := json.Marshal(qr)
	for _, k := range []string{`"kl"`, `"diffusion_cd"`, `"lambda_max_cd"`} {
		if bytes.Contains(qj, []byte(k)) {
			t.Errorf("quadratic geometry has %s", k)
		}
	}
}

// TestRBMBuiltinRuns checks the built-in rbm-bars end to end (skipped with
// -short): every flow reaches t1 and its KL decreases, and the kl plot is
// written.
func TestRBMBuiltinRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the rbm-bars scenario (a few seconds)")
	}
	s, err := Builtin("rbm-bars")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), s, RunOptions{})
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
	if !contains(files, PlotKL+".png") || !contains(files, PlotKL+".svg") {
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
		if _, has := fs["final_kl_std"]; has != (tr.Flow == FlowCD) {
			t.Errorf("%s: final_kl_std present = %v", tr.Flow, has)
		}
	}
}

// TestRBMMetricSourceCD: with metric source cd, ε comes from λ_max of the
// CD metric's D at w0 (engine.CDMetric from cd.k, cd.samples and the
// seed), ngd and grd run in that metric (so they differ from the exact-D
// run) while gd is unchanged, and all record the exact KL.
func TestRBMMetricSourceCD(t *testing.T) {
	base := "name: r\nseed: 2\ndata: {bars-and-stripes: 2}\nmodel: {kind: rbm, hidden: 2}\nflows: [gd, ngd, grd]\n" +
		"cd: {k: 1, samples: 300}\ntime: {t1: 3, outputs: 4}\n"
	run := func(text string) *Report {
		t.Helper()
		s, err := Parse([]byte(text), "test.yaml")
		if err != nil {
			t.Fatal(err)
		}
		r, err := Run(context.Background(), s, RunOptions{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	exact := run(base)
	cd := run(base + "metric: {source: cd}\n")
	s, _ := Parse([]byte(base+"metric: {source: cd}\n"), "test.yaml")
	b, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	if b.CDMetric == nil || b.MetricModel() != b.CDMetric || b.CDMetric.Len() != 300 {
		t.Fatalf("CDMetric %v", b.CDMetric)
	}
	_, lam, err := engine.New(b.CDMetric, nil).Epsilon(context.Background(), b.W0, engine.EpsilonSpec{Auto: true, Safety: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if cd.LambdaMax != lam || cd.Epsilon != 0.5/lam || cd.LambdaMax == exact.LambdaMax {
		t.Errorf("source cd: λ_max %v ε %v, want %v and %v (exact-D λ_max %v)", cd.LambdaMax, cd.Epsilon, lam, 0.5/lam, exact.LambdaMax)
	}
	if !flBitsEqual(cd.Flow(FlowGD).W[3], exact.Flow(FlowGD).W[3]) {
		t.Error("gd depends on the metric source")
	}
	for _, f := range []string{FlowNGD, FlowGRD} {
		if flBitsEqual(cd.Flow(f).W[3], exact.Flow(f).W[3]) {
			t.Errorf("%s: the same with both metric sources", f)
		}
		if tr := cd.Flow(f); len(tr.KL) != 4 || tr.KL[3] != b.Model.(*models.RBM).KL(tr.W[3]) {
			t.Errorf("%s: KL %v not the RBM's exact KL", f, tr.KL)
		}
	}
}

func flBitsEqual(a, b []float64) bool {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}

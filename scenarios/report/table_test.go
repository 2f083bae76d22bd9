package report

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
	"github.com/grd-engine/grd/scenarios/scenariotest"
)

func TestWriteTable(t *testing.T) {
	r, err := experiment.Run(context.Background(), scenariotest.Tiny(t), experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	r.Warnings = append(r.Warnings, "a test warning")
	var buf bytes.Buffer
	if err := WriteTable(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(out, "\n")
	if !strings.Contains(lines[0], "tiny: d = 2 weights, N = 6 samples") {
		t.Errorf("first line %q", lines[0])
	}
	header := strings.Fields(lines[1])
	if strings.Join(header, " ") != "flow status final loss nfev steps seconds" {
		t.Errorf("header %q", lines[1])
	}
	for i, tr := range r.Flows {
		f := strings.Fields(lines[2+i])
		if f[0] != string(tr.Flow) || f[1] != "ok" || f[2] != fmtG(tr.Loss[len(tr.Loss)-1]) {
			t.Errorf("row %q, want %s ok %s …", lines[2+i], tr.Flow, fmtG(tr.Loss[len(tr.Loss)-1]))
		}
	}
	for _, w := range []string{"λ_max(D(w0)) = " + fmtG(r.LambdaMax), "ε = " + fmtG(r.Epsilon), "max ‖w_grd − w_ngd‖ = " + fmtG(r.Comparisons.MaxGapGRDNGD),
		"max R2/R1 = " + fmtG(r.Comparisons.MaxR2OverR1), "warning: a test warning", "± "} {
		if !strings.Contains(out, w) {
			t.Errorf("table lacks %q:\n%s", w, out)
		}
	}
	boom := errors.New("boom")
	if err := WriteTable(failWriter{boom}, r); !errors.Is(err, boom) {
		t.Errorf("write error: got %v, want boom", err)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

// TestWriteTableKL: an rbm scenario's table has a final KL column (the
// ensemble's with ± its spread), equal to the trajectories' last KL; other
// scenarios have none (TestWriteTable).
func TestWriteTableKL(t *testing.T) {
	r, err := experiment.Run(context.Background(), mustParse(t, "name: r\nseed: 3\ndata: {bars-and-stripes: 2}\nmodel: {kind: rbm, hidden: 2}\nflows: [gd, cd]\n"+
		"cd: {lr: 0.1, batch: 3, runs: 2, k: 1}\ntime: {t1: 0.4, outputs: 3}\n"), experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	if h := strings.Join(strings.Fields(lines[1]), " "); h != "flow status final loss final KL nfev steps seconds" {
		t.Errorf("header %q", lines[1])
	}
	gd, cd := r.Flow(scenarios.FlowGD), r.Flow(scenarios.FlowCD)
	for i, want := range []string{
		"gd ok " + fmtG(gd.Loss[2]) + " " + fmtG(gd.KL[2]) + " ",
		"cd ok " + fmtG(cd.Loss[2]) + " ± " + fmtG(cd.LossStd[2]) + " " + fmtG(cd.KL[2]) + " ± " + fmtG(cd.KLStd[2]) + " ",
	} {
		if got := strings.Join(strings.Fields(lines[2+i]), " "); !strings.HasPrefix(got, want) {
			t.Errorf("row %q, want it to start with %q", got, want)
		}
	}
}

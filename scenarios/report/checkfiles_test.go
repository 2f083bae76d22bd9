package report

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grd-engine/grd/scenarios/experiment"
	"github.com/grd-engine/grd/scenarios/scenariotest"
)

// TestCheckAndSweepFiles: check.json, sweep.csv (the columns of DESIGN §9,
// one row per safety) and sweep.json (slopes with standard errors) land in
// DIR/check/, agree with the reports, and report.html shows the sweep
// when only the sweep was run in the directory.
func TestCheckAndSweepFiles(t *testing.T) {
	sc := scenariotest.Tiny(t, "flows: [gd, ngd, grd, sgd, sde]", "flows: [gd, ngd, grd]")
	ctx := context.Background()
	dir := t.TempDir()
	sw, err := experiment.Sweep(ctx, sc, []float64{0.1, 0.2, 0.4}, experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	files, err := WriteSweepFiles(dir, sw)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(files, " ") != "check/sweep.csv check/sweep.json" {
		t.Errorf("files %v", files)
	}
	b, err := os.ReadFile(filepath.Join(dir, "check", "sweep.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if lines[0] != "safety,epsilon,gap_grd_ngd,gap_ngd_gd,ngd_path_length,max_ngd_defect,max_r2_over_r1" || len(lines) != 4 {
		t.Fatalf("sweep.csv:\n%s", b)
	}
	if !strings.HasPrefix(lines[1], "0.1,") || strings.Count(lines[1], ",") != 6 || strings.Contains(lines[1], ",,") {
		t.Errorf("sweep.csv row %q", lines[1])
	}
	var sj SweepJSON
	b, _ = os.ReadFile(filepath.Join(dir, "check", "sweep.json"))
	if err := json.Unmarshal(b, &sj); err != nil {
		t.Fatal(err)
	}
	sl := sj.Slopes["gap_grd_ngd"]
	if sl.Slope == nil || *sl.Slope != sw.SlopeGRDNGD || sl.StdErr == nil || *sl.StdErr != sw.FitGRDNGD.StdErr || sl.Points != 3 || !(*sl.StdErr >= 0) {
		t.Errorf("slopes %+v, report %+v", sj.Slopes, sw.FitGRDNGD)
	}
	if len(sj.Points) != 3 || *sj.Points[2].GapGRDNGD != sw.Points[2].GapGRDNGD || sj.Verdict != sw.Verdict || sj.Provenance.Workers != 1 {
		t.Errorf("sweep.json %+v", sj)
	}
	if err := WriteHTMLReport(dir); err != nil {
		t.Fatal(err)
	}
	html, _ := os.ReadFile(filepath.Join(dir, ReportFile))
	if !strings.Contains(string(html), `id="sweep-verdict"`) || !strings.Contains(string(html), "grd report: tiny") {
		t.Errorf("report.html of a sweep-only directory lacks the sweep")
	}

	cr, err := experiment.Check(ctx, sc, experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteCheckFiles(dir, cr); err != nil {
		t.Fatal(err)
	}
	var cj CheckJSON
	b, _ = os.ReadFile(filepath.Join(dir, "check", "check.json"))
	if err := json.Unmarshal(b, &cj); err != nil {
		t.Fatal(err)
	}
	if cj.Verdict != cr.Verdict || cj.Comparisons.MaxGapGRDNGD == nil || *cj.Comparisons.MaxGapGRDNGD != cr.Comparisons.MaxGapGRDNGD ||
		cj.Status["grd"] != "ok" || cj.Dim != 2 || math.IsNaN(*cj.Epsilon) {
		t.Errorf("check.json %s", b)
	}
}

// TestHTMLReportEscapes: text from the files (a warning, a scenario value)
// is escaped, never interpreted as markup.
func TestHTMLReportEscapes(t *testing.T) {
	dir := t.TempDir()
	sum := `{"scenario": {"name": "x"}, "dim": 1, "samples": 1, "flows": {}, "comparisons": {},
		"warnings": ["<script>alert(1)</script> & <b>bold</b>"], "verdict": "a < b"}`
	if err := writeFile(filepath.Join(dir, SummaryFile), sum); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTMLReport(dir); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, ReportFile))
	s := string(b)
	if strings.Contains(s, "<script>") || strings.Contains(s, "<b>bold") || !strings.Contains(s, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;") || !strings.Contains(s, "a &lt; b") {
		t.Errorf("not escaped:\n%s", s)
	}
	if err := RenderHTMLReport(new(strings.Builder), t.TempDir()); err == nil || !strings.Contains(err.Error(), "summary.json") {
		t.Errorf("empty directory: err = %v, want one naming summary.json", err)
	}
}

package report

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
	"github.com/grd-engine/grd/scenarios/scenariotest"
)

func TestCheckTiny(t *testing.T) {
	sc := scenariotest.Tiny(t, "flows: [gd, ngd, grd, sgd, sde]", "flows: [sgd]")
	cr, err := experiment.Check(context.Background(), sc, experiment.RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tr := range cr.Flows {
		names = append(names, string(tr.Flow))
	}
	if strings.Join(names, ",") != "gd,ngd,grd" {
		t.Errorf("Check ran %v, want gd, ngd, grd", names)
	}
	if sc.Flows[0] != scenarios.FlowSGD || len(sc.Flows) != 1 {
		t.Errorf("Check changed the caller's scenario: flows %v", sc.Flows)
	}
	// The check's comparisons equal those of a Run of the same flows.
	sc2 := scenariotest.Tiny(t, "flows: [gd, ngd, grd, sgd, sde]", "flows: [gd, ngd, grd]")
	r, err := experiment.Run(context.Background(), sc2, experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if cr.Comparisons != r.Comparisons {
		t.Errorf("check comparisons %+v ≠ run comparisons %+v", cr.Comparisons, r.Comparisons)
	}
	var buf bytes.Buffer
	if err := WriteCheckTable(&buf, cr); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"max ‖w_grd − w_ngd‖", "NGD path length", "max R2/R1", "verdict: ", fmtG(cr.Comparisons.MaxGapGRDNGD)} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("check table lacks %q:\n%s", w, buf.String())
		}
	}
}

func TestSweepTiny(t *testing.T) {
	sc := scenariotest.Tiny(t)
	safeties := []float64{0.4, 0.05, 0.1, 0.2} // any order
	sw, err := experiment.Sweep(context.Background(), sc, safeties, experiment.RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(sw.Points) != 4 || sw.Points[0].Safety != 0.05 || sw.Points[3].Safety != 0.4 {
		t.Fatalf("points %+v, want 4 sorted by safety", sw.Points)
	}
	var eps, g1, g2 []float64
	for _, pt := range sw.Points {
		if !pt.OK {
			t.Fatalf("point %+v failed", pt)
		}
		if math.Abs(pt.Epsilon*sw.LambdaMax-pt.Safety) > 1e-12 {
			t.Errorf("ε·λ_max = %g, want the safety %g", pt.Epsilon*sw.LambdaMax, pt.Safety)
		}
		if pt.GapGRDNGD != pt.AbsGapGRDNGD/pt.PathLength || pt.GapNGDGD != pt.AbsGapNGDGD/pt.PathLength {
			t.Errorf("relative gaps of %+v are not absolute / path length", pt)
		}
		eps = append(eps, pt.Epsilon)
		g1 = append(g1, pt.GapGRDNGD)
		g2 = append(g2, pt.GapNGDGD)
	}
	p1, _ := experiment.FitLogLogSlope(eps, g1)
	p2, _ := experiment.FitLogLogSlope(eps, g2)
	if p1 != sw.SlopeGRDNGD || p2 != sw.SlopeNGDGD {
		t.Errorf("slopes %g, %g; refit gives %g, %g", sw.SlopeGRDNGD, sw.SlopeNGDGD, p1, p2)
	}
	// NGD − GD = ε·(first-order term) + O(ε²) with a non-zero first-order
	// term (D∇f ≠ 0 at w0), so its slope is near 1; the factor-8 sweep
	// leaves at most a few tenths of curvature.
	if math.Abs(sw.SlopeNGDGD-1) > 0.2 {
		t.Errorf("NGD–GD slope = %g, want ≈ 1", sw.SlopeNGDGD)
	}
	// ε = s/λ_max exactly, so the sweep's NGD at s = 0.5 would match Run;
	// check the point at s = 0.2 against a Run with that safety instead.
	r, err := experiment.Run(context.Background(), scenariotest.Tiny(t, "flows: [gd, ngd, grd, sgd, sde]", "metric: {safety: 0.2}\nflows: [gd, ngd, grd]"), experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Comparisons; c.RelativeGap != sw.Points[2].GapGRDNGD || c.RelativeGapNGDGD != sw.Points[2].GapNGDGD {
		t.Errorf("sweep point s = 0.2 (%g, %g) ≠ run with safety 0.2 (%g, %g)", sw.Points[2].GapGRDNGD, sw.Points[2].GapNGDGD, c.RelativeGap, c.RelativeGapNGDGD)
	}
	var buf bytes.Buffer
	if err := WriteSweepTable(&buf, sw); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"log-log slope vs ε", "verdict: The GRD–NGD gap scales as ε^", "0.05", "0.4"} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("sweep table lacks %q:\n%s", w, buf.String())
		}
	}
	dir := filepath.Join(t.TempDir(), "sweep")
	files, err := WriteSweepPlots(dir, sw)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(files, " ") != "sweep.png sweep.svg" {
		t.Errorf("files %v", files)
	}
	for _, f := range files {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() < 1000 {
			t.Errorf("%s: %v (size %v)", f, err, fi)
		}
	}
}

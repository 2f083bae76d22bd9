package report

import (
	"bytes"
	"context"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/internal/figure"
	"github.com/grd-engine/grd/scenarios/experiment"
	"github.com/grd-engine/grd/scenarios/scenariotest"
)

// TestRunPlots: a d = 2 run writes every plot as a PNG of the documented
// size and an SVG, both non-trivial.
func TestRunPlots(t *testing.T) {
	r, err := experiment.Run(context.Background(), scenariotest.Tiny(t), experiment.RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files, err := WriteOutputs(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"gd.csv", "ngd.csv", "grd.csv", "sgd.csv", "sde.csv",
		"loss.png", "loss.svg", "gap.png", "gap.svg", "residuals.png", "residuals.svg", "contours.png", "contours.svg", SummaryFile, ReportFile}
	if strings.Join(files, " ") != strings.Join(want, " ") {
		t.Errorf("files written:\n%v\nwant\n%v", files, want)
	}
	for _, name := range []string{PlotLoss, PlotGap, PlotResiduals, PlotContours} {
		b, err := os.ReadFile(filepath.Join(dir, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s.png: %v", name, err)
		}
		// 150 dpi: 9 in wide (the contour plot's width follows its square
		// axes), 4.6 in per panel (0.8× for two panels).
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		if name != PlotContours && w != 1350 {
			t.Errorf("%s.png is %d px wide, want 1350", name, w)
		}
		if h < 600 || w < 900 {
			t.Errorf("%s.png is %d×%d, too small for a slide", name, w, h)
		}
		svg, err := os.ReadFile(filepath.Join(dir, name+".svg"))
		if err != nil || !bytes.Contains(svg, []byte("<svg")) || len(svg) < 5000 {
			t.Errorf("%s.svg: %v, %d bytes", name, err, len(svg))
		}
	}
}

// TestPlotsWithoutOptionalFlows: only gd → loss plot only; d ≠ 2 → no
// contours.
func TestPlotsWithoutOptionalFlows(t *testing.T) {
	r, err := experiment.Run(context.Background(), scenariotest.Tiny(t, "flows: [gd, ngd, grd, sgd, sde]", "flows: [gd]", "dim: 2", "dim: 3"), experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	files, err := WriteOutputs(t.TempDir(), r)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(files, " "); got != "gd.csv loss.png loss.svg summary.json report.html" {
		t.Errorf("files %s", got)
	}
}

// TestPlotText: every character of every title, label and legend entry
// exists in the plot font (a missing glyph renders as nothing).
func TestPlotText(t *testing.T) {
	r, err := experiment.Run(context.Background(), scenariotest.Tiny(t), experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	sw, err := experiment.Sweep(context.Background(), scenariotest.Tiny(t), []float64{0.1, 0.2}, experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	face := font.DefaultCache.Lookup(plot.DefaultFont, 12)
	var texts []string
	for _, f := range []*figure.Figure{lossFigure(r), gapFigure(r), residualFigure(r), contourFigure(r), sweepFigure(sw)} {
		for _, p := range f.Panels {
			texts = append(texts, p.Title, p.XLabel, p.YLabel)
			for _, s := range p.Series {
				texts = append(texts, s.Label)
			}
		}
		for _, e := range f.Legend {
			texts = append(texts, e.Label)
		}
	}
	for _, s := range texts {
		for _, c := range s {
			if c == ' ' || c == '\n' { // a newline breaks a title into lines
				continue
			}
			if i, err := face.Face.GlyphIndex(nil, c); err != nil || i == 0 {
				t.Errorf("%q: the plot font has no glyph for %q", s, c)
			}
		}
	}
}

// TestLossGrid: the contour grid holds f(w) as the engine computes it.
func TestLossGrid(t *testing.T) {
	r, err := experiment.Run(context.Background(), scenariotest.Tiny(t, "flows: [gd, ngd, grd, sgd, sde]", "flows: [gd]"), experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	g := engine.New(r.Model, nil)
	grid := lossGrid(r.Model, -1, 2, -3, 0.5, 7)
	for _, rc := range [][2]int{{0, 0}, {3, 4}, {6, 6}, {6, 0}} {
		c, row := rc[0], rc[1]
		f, err := g.Loss(context.Background(), []float64{grid.X(c), grid.Y(row)})
		if err != nil {
			t.Fatal(err)
		}
		if z := grid.Z(c, row); math.Abs(z-f) > 1e-14*math.Abs(f) {
			t.Errorf("grid(%d, %d) = %g, engine f = %g", c, row, z, f)
		}
	}
	if grid.X(0) != -1 || grid.X(6) != 2 || grid.Y(0) != -3 || grid.Y(6) != 0.5 {
		t.Errorf("grid ends %g %g %g %g", grid.X(0), grid.X(6), grid.Y(0), grid.Y(6))
	}
}

// TestTimeAxisLabels: a time axis says what t is for the ensembles only
// when one of them is drawn — "SGD: t = jη" on the loss plot of a run
// with sgd, "CD" on an rbm's, "SDE: t = j·dt" with sde — and is plain
// "time t" otherwise (the gap and residual plots draw no ensemble).
func TestTimeAxisLabels(t *testing.T) {
	r, err := experiment.Run(context.Background(), scenariotest.Tiny(t), experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	gdOnly, err := experiment.Run(context.Background(), scenariotest.Tiny(t, "flows: [gd, ngd, grd, sgd, sde]", "flows: [gd, ngd, grd]"), experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	rbm, err := experiment.Run(context.Background(), mustParse(t, "name: r\nseed: 3\ndata: {bars-and-stripes: 2}\nmodel: {kind: rbm, hidden: 2}\nflows: [gd, cd]\n"+
		"cd: {lr: 0.1, batch: 3, runs: 2, k: 1}\ntime: {t1: 0.4, outputs: 3}\n"), experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    *figure.Figure
		want string
	}{
		{"loss with sgd, sde", lossFigure(r), "time t (continuous; SGD: t = jη; SDE: t = j·dt)"},
		{"loss without ensembles", lossFigure(gdOnly), "time t"},
		{"gap", gapFigure(r), "time t"},
		{"residuals", residualFigure(r), "time t"},
		{"rbm loss", lossFigure(rbm), "time t (continuous; CD: t = jη)"},
		{"rbm kl", klFigure(rbm), "time t (continuous; CD: t = jη)"},
	} {
		for i, p := range c.f.Panels {
			if p.XLabel != c.want {
				t.Errorf("%s panel %d: x label %q, want %q", c.name, i, p.XLabel, c.want)
			}
		}
	}
}

// TestLossExcessPanel: below the loss, its excess over the lowest value
// reached on a log axis, one series per flow, so that flows ending close
// together (GD, NGD, SGD) are told apart.
func TestLossExcessPanel(t *testing.T) {
	r, err := experiment.Run(context.Background(), scenariotest.Tiny(t), experiment.RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	f := lossFigure(r)
	if len(f.Panels) != 2 {
		t.Fatalf("%d panels, want the loss and its excess", len(f.Panels))
	}
	ex := f.Panels[1]
	if ex.Mode != figure.LogY || len(ex.Series) < 4 || !strings.Contains(ex.Title, "f − min f") {
		t.Errorf("excess panel: mode %v, %d series, title %q", ex.Mode, len(ex.Series), ex.Title)
	}
	for _, s := range ex.Series {
		for _, y := range s.Y {
			if y <= 0 {
				t.Errorf("%s: excess %v ≤ 0 on a log axis", s.Label, y)
			}
		}
	}
}

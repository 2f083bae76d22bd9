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
)

// TestRunPlots: a d = 2 run writes every plot as a PNG of the documented
// size and an SVG, both non-trivial.
func TestRunPlots(t *testing.T) {
	r, err := Run(context.Background(), parseTiny(t), RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files, err := WriteOutputs(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"gd.csv", "ngd.csv", "grd.csv", "sgd.csv", "sde.csv",
		"loss.png", "loss.svg", "gap.png", "gap.svg", "residuals.png", "residuals.svg", "contours.png", "contours.svg", SummaryFile}
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
	r, err := Run(context.Background(), parseTiny(t, "flows: [gd, ngd, grd, sgd, sde]", "flows: [gd]", "dim: 2", "dim: 3"), RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	files, err := WriteOutputs(t.TempDir(), r)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(files, " "); got != "gd.csv loss.png loss.svg summary.json" {
		t.Errorf("files %s", got)
	}
}

// TestPlotText: every character of every title, label and legend entry
// exists in the plot font (a missing glyph renders as nothing).
func TestPlotText(t *testing.T) {
	r, err := Run(context.Background(), parseTiny(t), RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	sw, err := Sweep(context.Background(), parseTiny(t), []float64{0.1, 0.2}, RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	face := font.DefaultCache.Lookup(plot.DefaultFont, 12)
	var texts []string
	for _, f := range []*figure{lossFigure(r), gapFigure(r), residualFigure(r), contourFigure(r), sweepFigure(sw)} {
		for _, p := range f.panels {
			texts = append(texts, p.title, p.xlabel, p.ylabel)
			for _, s := range p.series {
				texts = append(texts, s.label)
			}
		}
		for _, e := range f.legend {
			texts = append(texts, e.label)
		}
	}
	for _, s := range texts {
		for _, c := range s {
			if c == ' ' {
				continue
			}
			if i, err := face.Face.GlyphIndex(nil, c); err != nil || i == 0 {
				t.Errorf("%q: the plot font has no glyph for %q", s, c)
			}
		}
	}
}

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   string // labelled ticks
	}{
		{0, 7, "0 1 2 3 4 5 6 7"},
		{0, 10, "0 2 4 6 8 10"},
		{0.39, 0.455, "0.39 0.40 0.41 0.42 0.43 0.44 0.45"},
		{-5.1, 0.75, "-5 -4 -3 -2 -1 0"},
		{0, 40, "0 10 20 30 40"},
		{1e-4, 9e-4, "0.0002 0.0004 0.0006 0.0008"},
	} {
		var got []string
		minor := 0
		for _, tk := range (niceTicks{}).Ticks(tc.lo, tc.hi) {
			if tk.Value < tc.lo-1e-12 || tk.Value > tc.hi+1e-12 {
				t.Errorf("[%g, %g]: tick %g outside the range", tc.lo, tc.hi, tk.Value)
			}
			if tk.Label == "" {
				minor++
				continue
			}
			got = append(got, tk.Label)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("niceTicks[%g, %g] = %v, want %s", tc.lo, tc.hi, got, tc.want)
		}
		if minor == 0 {
			t.Errorf("niceTicks[%g, %g]: no minor ticks", tc.lo, tc.hi)
		}
	}
}

func TestLog10Ticks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64 // log10 of the data range
		want   string
	}{
		{-3.2, 0.5, "0.001 0.01 0.1 1"},
		{math.Log10(0.0115), math.Log10(0.092), "0.02 0.03 0.05"},
		{-1.5, 0.4, "0.05 0.1 0.2 0.5 1 2"},
		{-12, 1, "1e-12 1e-10 1e-8 1e-6 0.0001 0.01 1"},
		{5, 7, "100000 1e6 1e7"},
		{5, 6.9, "100000 200000 500000 1e6 2e6 5e6"},
	} {
		var got []string
		for _, tk := range (log10Ticks{}).Ticks(tc.lo, tc.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("log10Ticks[%g, %g] = %v, want %s", tc.lo, tc.hi, got, tc.want)
		}
	}
}

// TestLossGrid: the contour grid holds f(w) as the engine computes it.
func TestLossGrid(t *testing.T) {
	r, err := Run(context.Background(), parseTiny(t, "flows: [gd, ngd, grd, sgd, sde]", "flows: [gd]"), RunOptions{Workers: 1})
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

// TestLevelSegments: marching squares on z = x² + y² traces the circle
// r = √level: every crossing lies on it to the interpolation error O(h²),
// and the segments' total length is its circumference to O(h²).
func TestLevelSegments(t *testing.T) {
	const n = 81
	g := &lossGridXYZ{x: make([]float64, n), y: make([]float64, n), z: make([]float64, n*n)}
	for i := range n {
		g.x[i] = -1 + 2*float64(i)/(n-1)
		g.y[i] = g.x[i]
	}
	for r := range n {
		for c := range n {
			g.z[r*n+c] = g.x[c]*g.x[c] + g.y[r]*g.y[r]
		}
	}
	h := 2.0 / (n - 1)
	for _, lev := range []float64{0.1, 0.5} {
		var length float64
		segs := 0
		g.levelSegments(lev, func(x0, y0, x1, y1 float64) {
			segs++
			length += math.Hypot(x1-x0, y1-y0)
			for _, p := range [][2]float64{{x0, y0}, {x1, y1}} {
				// Linear interpolation of x² along an edge of length h errs
				// by at most h²/4 in z.
				if d := math.Abs(p[0]*p[0] + p[1]*p[1] - lev); d > h*h/4+1e-15 {
					t.Errorf("level %g: crossing (%g, %g) off the circle by %g in z", lev, p[0], p[1], d)
				}
			}
		})
		want := 2 * math.Pi * math.Sqrt(lev)
		if segs == 0 || math.Abs(length-want) > 0.01*want {
			t.Errorf("level %g: %d segments of total length %g, want ≈ %g", lev, segs, length, want)
		}
	}
}

func TestDecadeLabel(t *testing.T) {
	for _, tc := range []struct {
		m, k int
		want string
	}{{1, 0, "1"}, {2, 3, "2000"}, {5, -1, "0.5"}, {1, -4, "0.0001"}, {3, -5, "3e-5"}, {1, 6, "1e6"}} {
		if got := decadeLabel(tc.m, tc.k); got != tc.want {
			t.Errorf("decadeLabel(%d, %d) = %s, want %s", tc.m, tc.k, got, tc.want)
		}
	}
}

// TestPanelScale: a positive quantity spanning more than two decades gets a
// log axis (with a ± band reaching below zero clipped, and non-positive
// points left out); less than two decades stays linear.
func TestPanelScale(t *testing.T) {
	x := []float64{0, 1, 2, 3}
	for _, tc := range []struct {
		name string
		y    []float64
		band []float64
		log  bool
	}{
		{"three decades", []float64{1, 0.1, 0.01, 0.001}, nil, true},
		{"band below zero", []float64{1, 0.1, 0.01, 0.001}, []float64{0.5, 0.2, 0.02, 0.002}, true},
		{"zero and NaN points", []float64{0, 0.1, math.NaN(), 0.0001}, nil, true},
		{"one decade", []float64{1, 0.5, 0.2, 0.1}, []float64{0.1, 0.1, 0.1, 0.1}, false},
		{"negative values", []float64{-1, 1, -1000, 1000}, nil, false},
	} {
		pn := panel{title: tc.name, xlabel: "x", ylabel: "y", series: []series{{label: "s", x: x, y: tc.y, band: tc.band, style: flowStyle(FlowGD), legend: true}}}
		p, entries := pn.build()
		_, isLog := p.Y.Tick.Marker.(log10Ticks)
		if isLog != tc.log {
			t.Errorf("%s: log axis %v, want %v", tc.name, isLog, tc.log)
		}
		if isLog && !(p.Y.Min < p.Y.Max && p.Y.Max < 1) {
			t.Errorf("%s: log10 range [%g, %g], want within the data's decades", tc.name, p.Y.Min, p.Y.Max)
		}
		if len(entries) != 1 {
			t.Errorf("%s: %d legend entries, want 1", tc.name, len(entries))
		}
		if _, err := (&figure{panels: []panel{pn}}).render("png"); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestTimeAxisLabels: a time axis says what t is for the ensembles only
// when one of them is drawn — "SGD: t = jη" on the loss plot of a run
// with sgd, "CD" on an rbm's, "SDE: t = j·dt" with sde — and is plain
// "time t" otherwise (the gap and residual plots draw no ensemble).
func TestTimeAxisLabels(t *testing.T) {
	r, err := Run(context.Background(), parseTiny(t), RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	gdOnly, err := Run(context.Background(), parseTiny(t, "flows: [gd, ngd, grd, sgd, sde]", "flows: [gd, ngd, grd]"), RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	rbm, err := Run(context.Background(), mustParse(t, "name: r\nseed: 3\ndata: {bars-and-stripes: 2}\nmodel: {kind: rbm, hidden: 2}\nflows: [gd, cd]\n"+
		"cd: {lr: 0.1, batch: 3, runs: 2, k: 1}\ntime: {t1: 0.4, outputs: 3}\n"), RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    *figure
		want string
	}{
		{"loss with sgd, sde", lossFigure(r), "time t (continuous; SGD: t = jη; SDE: t = j·dt)"},
		{"loss without ensembles", lossFigure(gdOnly), "time t"},
		{"gap", gapFigure(r), "time t"},
		{"residuals", residualFigure(r), "time t"},
		{"rbm loss", lossFigure(rbm), "time t (continuous; CD: t = jη)"},
		{"rbm kl", klFigure(rbm), "time t (continuous; CD: t = jη)"},
	} {
		for i, p := range c.f.panels {
			if p.xlabel != c.want {
				t.Errorf("%s panel %d: x label %q, want %q", c.name, i, p.xlabel, c.want)
			}
		}
	}
}

package report

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/internal/figure"
	"github.com/grd-engine/grd/internal/outfile"
	"github.com/grd-engine/grd/models"
	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
)

// timeLabel labels the time axis (timeAxisLabel when an ensemble is
// drawn). Every figure is written as PNG and SVG (writeFigure).
const timeLabel = "time t"

// flowStyle gives each flow a fixed look: NGD is a wide pale band-like line
// with GRD dashed on top of it, since the two often coincide.
func flowStyle(flow string) figure.Style {
	switch flow {
	case scenarios.FlowGD:
		return style(figure.Blue, 2)
	case scenarios.FlowNGD:
		return style(figure.Orange, 4.5)
	case scenarios.FlowGRD:
		return style(figure.Vermilion, 1.8, vg.Points(6), vg.Points(3))
	case scenarios.FlowSGD:
		return style(figure.Purple, 1.8, vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3))
	case scenarios.FlowSDE:
		return style(figure.Green, 1.8, vg.Points(2), vg.Points(2.5))
	case scenarios.FlowCD:
		return style(figure.Black, 1.8, vg.Points(5), vg.Points(2))
	}
	return style(figure.Black, 1.5)
}

// flowLabel is a flow's legend entry; band says whether the ensemble
// flows are drawn with their ± std band.
func flowLabel(tr *flow.Trajectory, sc *scenarios.Scenario, band bool) string {
	switch tr.Flow {
	case flow.GD:
		return "GD"
	case flow.NGD:
		return "NGD"
	case flow.GRD:
		return "GRD"
	case flow.SGD, flow.SDE, flow.CD:
		runs := sc.SGD.Runs
		switch tr.Flow {
		case flow.SDE:
			runs = sc.SDE.Runs
		case flow.CD:
			runs = sc.CD.Runs
		}
		what := "mean"
		if band {
			what = "mean ± std"
		}
		return fmt.Sprintf("%s (%s, %d runs)", strings.ToUpper(string(tr.Flow)), what, runs)
	}
	return string(tr.Flow)
}

// writeFigure writes dir/name.png and dir/name.svg atomically.
func writeFigure(dir, name string, f *figure.Figure) ([]string, error) {
	var files []string
	for _, format := range []string{"png", "svg"} {
		b, err := f.Render(format)
		if err != nil {
			return files, err
		}
		file := name + "." + format
		if err := outfile.WriteAtomic(dir, file, func(w io.Writer) error {
			_, err := w.Write(b)
			return err
		}); err != nil {
			return files, err
		}
		files = append(files, file)
	}
	return files, nil
}

// writeRunPlots writes the plots of a run report: loss (any flow), gap
// (grd and ngd), residuals (grd) and contours (d = 2).
func writeRunPlots(dir string, r *experiment.Report) ([]string, error) {
	var files []string
	add := func(name string, f *figure.Figure) error {
		if f == nil {
			return nil
		}
		fs, err := writeFigure(dir, name, f)
		files = append(files, fs...)
		return err
	}
	if err := add(PlotLoss, lossFigure(r)); err != nil {
		return files, err
	}
	if err := add(PlotKL, klFigure(r)); err != nil { // rbm only (rbm_plot.go)
		return files, err
	}
	if err := add(PlotGap, gapFigure(r)); err != nil {
		return files, err
	}
	if err := add(PlotResiduals, residualFigure(r)); err != nil {
		return files, err
	}
	if r.Dim == 2 {
		if err := add(PlotContours, contourFigure(r)); err != nil {
			return files, err
		}
	}
	return files, nil
}

// timeAxisLabel labels the time axis of a panel that draws the flows trs:
// "time t" alone, or, when an ensemble is among them, what t is for it —
// t = jη for sgd and cd, t = j·dt for sde (the rows are at step times).
func timeAxisLabel(trs []*flow.Trajectory) string {
	var eta []string
	sde := false
	for _, tr := range trs {
		switch tr.Flow {
		case flow.SGD:
			eta = append(eta, "SGD")
		case flow.CD:
			eta = append(eta, "CD")
		case flow.SDE:
			sde = true
		}
	}
	var parts []string
	if len(eta) > 0 {
		parts = append(parts, strings.Join(eta, ", ")+": t = jη")
	}
	if sde {
		parts = append(parts, "SDE: t = j·dt")
	}
	if len(parts) == 0 {
		return timeLabel
	}
	return timeLabel + " (continuous; " + strings.Join(parts, "; ") + ")"
}

// timeSpan is [t0, t1].
func timeSpan(r *experiment.Report) []float64 {
	return []float64{r.Scenario.Time.T0, r.Scenario.Time.T1}
}

// lossFigure: f(w(t)) for every flow; sgd/sde mean with a ± std band.
func lossFigure(r *experiment.Report) *figure.Figure {
	var ss []figure.Series
	var drawn []*flow.Trajectory
	for _, tr := range r.Flows {
		if tr.Len() == 0 {
			continue
		}
		drawn = append(drawn, tr)
		band := tr.LossStd != nil && len(tr.LossStd) == len(tr.Loss)
		s := figure.Series{Label: flowLabel(tr, r.Scenario, band), X: tr.T, Y: tr.Loss, Style: flowStyle(string(tr.Flow)), Legend: true}
		if band {
			s.Band = tr.LossStd
		}
		ss = append(ss, s)
	}
	if len(ss) == 0 {
		return nil
	}
	top := figure.Panel{
		Title:  fmt.Sprintf("%s: loss along each flow (ε = %s)", r.Scenario.Name, fmtG(r.Epsilon)),
		XLabel: timeAxisLabel(drawn),
		XLim:   timeSpan(r),
		YLabel: "mean loss f(w) = (1/N) Σ f_n(w)",
		Series: ss,
	}
	return &figure.Figure{Panels: excessPanels(top, "loss", "f")}
}

// excessPanels returns top and, below it, the same series as their excess
// over the lowest value any of them reaches, y − min y, on a log axis: flows
// that end near one another (GD, NGD and SGD often do) are one line on
// top's axis but separate here, by how far each stays above the best.
// Values within 1e-12 relative of min y are left out (log of 0). Only top
// when fewer than two series have points above min y.
func excessPanels(top figure.Panel, what, sym string) []figure.Panel {
	ymin := math.Inf(1)
	for _, s := range top.Series {
		for _, y := range s.Y {
			if !math.IsNaN(y) {
				ymin = math.Min(ymin, y)
			}
		}
	}
	if math.IsInf(ymin, 0) {
		return []figure.Panel{top}
	}
	floor := 1e-12 * math.Max(math.Abs(ymin), 1e-300)
	var ss []figure.Series
	for _, s := range top.Series {
		ex := make([]float64, len(s.Y))
		any := false
		for k, y := range s.Y {
			ex[k] = y - ymin
			if !(ex[k] > floor) {
				ex[k] = math.NaN()
			} else {
				any = true
			}
		}
		if any {
			ss = append(ss, figure.Series{Label: s.Label, X: s.X, Y: ex, Style: s.Style})
		}
	}
	if len(ss) < 2 {
		return []figure.Panel{top}
	}
	return []figure.Panel{top, {
		Title:  fmt.Sprintf("excess %s over the lowest value reached: %s − min %s (min %s = %s)", what, sym, sym, sym, fmtG(ymin)),
		XLabel: top.XLabel,
		XLim:   top.XLim,
		YLabel: fmt.Sprintf("%s − min %s (log)", sym, sym),
		Series: ss,
		Mode:   figure.LogY,
	}}
}

// gapFigure: ‖w_grd − w_ngd‖ (with ‖w_ngd − w_gd‖ for scale) above the NGD
// defect ‖u + P∇f‖ along GRD.
func gapFigure(r *experiment.Report) *figure.Figure {
	grd, ngd, gd := r.Flow(scenarios.FlowGRD), r.Flow(scenarios.FlowNGD), r.Flow(scenarios.FlowGD)
	if grd == nil || ngd == nil || grd.Len() == 0 || ngd.Len() == 0 {
		return nil
	}
	gap := experiment.GapSeries(grd, ngd)
	ss := []figure.Series{{Label: "‖w_grd − w_ngd‖", X: grd.T[:len(gap)], Y: gap, Style: style(figure.Vermilion, 2.2), Legend: true}}
	if gd != nil && gd.Len() > 0 {
		ref := experiment.GapSeries(ngd, gd)
		ss = append(ss, figure.Series{Label: "‖w_ngd − w_gd‖ (scale)", X: ngd.T[:len(ref)], Y: ref,
			Style: style(figure.Blue, 1.8, vg.Points(6), vg.Points(3)), Legend: true})
	}
	top := figure.Panel{
		Title:  fmt.Sprintf("%s: GRD vs NGD (ε = %s)", r.Scenario.Name, fmtG(r.Epsilon)),
		XLabel: timeLabel,
		XLim:   timeSpan(r),
		YLabel: "distance in weight space",
		Series: ss,
	}
	bottom := figure.Panel{
		Title:  "NGD defect: GRD velocity u vs the NGD field −P grad f",
		XLabel: timeLabel,
		XLim:   timeSpan(r),
		YLabel: "‖u + P grad f(w)‖ (weight / time)",
		Series: []figure.Series{{Label: "NGD defect (lower panel)", X: grd.T, Y: grd.NGDDefect, Style: style(figure.Green, 2.2), Legend: true}},
	}
	return &figure.Figure{Panels: []figure.Panel{top, bottom}}
}

// residualFigure: R0, R1, R2 along GRD (log y) above R2/R1.
func residualFigure(r *experiment.Report) *figure.Figure {
	grd := r.Flow(scenarios.FlowGRD)
	if grd == nil || grd.Len() == 0 {
		return nil
	}
	ratio := make([]float64, len(grd.R2))
	for k := range ratio {
		ratio[k] = math.NaN()
		if grd.R1[k] > 0 {
			ratio[k] = grd.R2[k] / grd.R1[k]
		}
	}
	top := figure.Panel{
		Title:  fmt.Sprintf("%s: residuals of approximation (8) along GRD", r.Scenario.Name),
		XLabel: timeLabel,
		XLim:   timeSpan(r),
		YLabel: "spread over samples √(tr Cov_n)",
		Mode:   figure.LogY,
		Series: []figure.Series{
			{Label: "R₀: gradients g_n", X: grd.T, Y: grd.R0, Style: style(figure.Blue, 2), Legend: true},
			{Label: "R₁: d/dt g_n = H_n u", X: grd.T, Y: grd.R1, Style: style(figure.Orange, 2, vg.Points(6), vg.Points(3)), Legend: true},
			{Label: "R₂: d²/dt² g_n (0 iff (8) holds)", X: grd.T, Y: grd.R2, Style: style(figure.Vermilion, 2, vg.Points(2), vg.Points(2.5)), Legend: true},
		},
	}
	bottom := figure.Panel{
		Title:  "second relative to first time derivative: R₂ / R₁",
		XLabel: timeLabel,
		XLim:   timeSpan(r),
		YLabel: "R₂ / R₁ (1 / time)",
		Series: []figure.Series{{Label: "R₂ / R₁ (lower panel)", X: grd.T, Y: ratio, Style: style(figure.Purple, 2.2), Legend: true}},
	}
	return &figure.Figure{Panels: []figure.Panel{top, bottom}}
}

// contourFigure: for d = 2, contours of f on a grid around every trajectory,
// with the trajectories on top. The axes share one scale so that the
// geometry is not distorted.
func contourFigure(r *experiment.Report) *figure.Figure {
	if r.Dim != 2 {
		return nil
	}
	cx, cy, half := contourFrame(r)
	grid := lossGrid(r.Model, cx-half, cx+half, cy-half, cy+half, 121)
	under, legend := contourLayer(grid)

	var ss []figure.Series
	var marks []plot.Plotter
	for _, tr := range r.Flows {
		if tr.Len() == 0 {
			continue
		}
		x := make([]float64, len(tr.W))
		y := make([]float64, len(tr.W))
		for k, w := range tr.W {
			x[k], y[k] = w[0], w[1]
		}
		ss = append(ss, figure.Series{Label: flowLabel(tr, r.Scenario, false), X: x, Y: y, Style: flowStyle(string(tr.Flow)), Legend: true})
		if n := len(x); n > 0 {
			end, err := plotter.NewScatter(plotter.XYs{{X: x[n-1], Y: y[n-1]}})
			if err == nil {
				end.GlyphStyle = draw.GlyphStyle{Color: flowStyle(string(tr.Flow)).Color, Radius: vg.Points(4), Shape: draw.BoxGlyph{}}
				marks = append(marks, end)
			}
		}
	}
	start, _ := plotter.NewScatter(plotter.XYs{{X: r.W0[0], Y: r.W0[1]}})
	start.GlyphStyle = draw.GlyphStyle{Color: figure.Black, Radius: vg.Points(4.5), Shape: draw.CircleGlyph{}}
	endThumb, _ := plotter.NewScatter(plotter.XYs{{}})
	endThumb.GlyphStyle = draw.GlyphStyle{Color: figure.Grey, Radius: vg.Points(4), Shape: draw.BoxGlyph{}}
	pn := figure.Panel{
		Title:  fmt.Sprintf("%s: loss contours and paths, t ≤ %s", r.Scenario.Name, fmtG(r.Scenario.Time.T1)),
		XLabel: "weight w₀",
		YLabel: "weight w₁",
		Series: ss,
		Mode:   figure.LinearY,
		Under:  under,
		Over:   append(marks, start),
		Fixed:  true,
		XMin:   cx - half, XMax: cx + half, YMin: cy - half, YMax: cy + half,
	}
	return &figure.Figure{
		Panels: []figure.Panel{pn},
		Legend: append([]figure.LegendEntry{
			{Label: "start w₀", Thumbs: []plot.Thumbnailer{start}},
			{Label: "end of each flow", Thumbs: []plot.Thumbnailer{endThumb}},
		}, legend...),
		Height: 6.5 * vg.Inch,
		Square: true,
	}
}

// contourFrame is the square frame of the contour plot: centre (cx, cy)
// and half-width half. It holds w0 and the flows that reached t1 (all
// flows if none did): a flow that blew up leaves the frame, rather than
// shrinking the others to a dot.
func contourFrame(r *experiment.Report) (cx, cy, half float64) {
	xmin, xmax := r.W0[0], r.W0[0]
	ymin, ymax := r.W0[1], r.W0[1]
	frame := r.Flows
	if ok := slices.DeleteFunc(slices.Clone(r.Flows), func(tr *flow.Trajectory) bool { return tr.Status != flow.StatusOK }); len(ok) > 0 {
		frame = ok
	}
	for _, tr := range frame {
		for _, w := range tr.W {
			if math.IsNaN(w[0]) || math.IsInf(w[0], 0) || math.IsNaN(w[1]) || math.IsInf(w[1], 0) {
				continue
			}
			xmin, xmax = math.Min(xmin, w[0]), math.Max(xmax, w[0])
			ymin, ymax = math.Min(ymin, w[1]), math.Max(ymax, w[1])
		}
	}
	half = 0.5 * 1.2 * math.Max(xmax-xmin, ymax-ymin)
	if half == 0 {
		half = 1
	}
	cx, cy = 0.5*(xmin+xmax), 0.5*(ymin+ymax)
	return cx, cy, half
}

// contourLayer returns the contour lines of grid at 14 levels, drawn under
// the paths, and their legend entry (none when a value of grid is not
// finite or grid is flat).
func contourLayer(grid *figure.Grid) (under []plot.Plotter, legend []figure.LegendEntry) {
	lo, hi := grid.MinMax() // ±Inf if some value is not finite: no contours
	const nlev = 14
	levels := make([]float64, nlev)
	for k := range levels {
		// Quadratic spacing in the level: roughly evenly spaced contours
		// near a minimum, where f grows quadratically with distance.
		a := float64(k+1) / float64(nlev+1)
		levels[k] = lo + (hi-lo)*a*a
	}
	if !math.IsInf(lo, 0) && !math.IsInf(hi, 0) && hi > lo {
		under = append(under, &figure.Contours{Grid: grid, Levels: levels, Colors: figure.ContourPalette{N: nlev}.Colors(), Width: 0.9})
		legend = append(legend, figure.LegendEntry{Label: fmt.Sprintf("f = %s … %s", fmtG(levels[0]), fmtG(levels[nlev-1])),
			Thumbs: []plot.Thumbnailer{&plotter.Line{LineStyle: draw.LineStyle{Color: color.Gray{0x99}, Width: 1}}}})
	}
	return under, legend
}

// lossGrid evaluates the mean loss of m (d = 2) on an n×n grid over
// [x0, x1]×[y0, y1], in chunks of at most 256 samples.
func lossGrid(m models.Model, x0, x1, y0, y1 float64, n int) *figure.Grid {
	g := &figure.Grid{Xs: make([]float64, n), Ys: make([]float64, n), Values: make([]float64, n*n)}
	for i := range n {
		a := float64(i) / float64(n-1)
		g.Xs[i] = (1-a)*x0 + a*x1
		g.Ys[i] = (1-a)*y0 + a*y1
	}
	N := m.Len()
	chunk := min(N, 256)
	ev := m.NewEvaluator(chunk)
	loss := make([]float64, chunk)
	w := make([]float64, 2)
	for r := range n {
		for c := range n {
			w[0], w[1] = g.Xs[c], g.Ys[r]
			var s float64
			for lo := 0; lo < N; lo += chunk {
				hi := min(lo+chunk, N)
				ev.Losses(loss[:hi-lo], w, lo, hi)
				for _, v := range loss[:hi-lo] {
					s += v
				}
			}
			g.Values[r*n+c] = s / float64(N)
		}
	}
	return g
}

// style is a line style of colour c, width w and dash pattern dashes
// (none: solid).
func style(c color.Color, w vg.Length, dashes ...vg.Length) figure.Style {
	return figure.Style{Color: c, Width: w, Dashes: dashes}
}

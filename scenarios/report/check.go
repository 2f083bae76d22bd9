package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"

	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/internal/figure"
	"github.com/grd-engine/grd/scenarios/experiment"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// WriteCheckTable writes the numbers and verdict of a check (`grd check`).
func WriteCheckTable(w io.Writer, cr *experiment.CheckReport) error {
	r := cr.Report
	c := r.Comparisons
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "%s: approximation check, d = %d, N = %d, t ∈ [%s, %s]\n", r.Scenario.Name, r.Dim, r.Samples,
		fmtG(r.Scenario.Time.T0), fmtG(r.Scenario.Time.T1))
	fmt.Fprintf(ew, "λ_max(D(w0)) = %s, ε = %s (ε·λ_max = %s), %s inverse, %s Christoffel symbols, v0 = %s\n",
		fmtG(r.LambdaMax), fmtG(r.Epsilon), fmtG(r.Epsilon*r.LambdaMax), r.Scenario.Metric.Inverse, r.Scenario.Metric.Christoffel, r.Scenario.GRD.V0)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tvalue\trelative to NGD path length")
	fmt.Fprintf(tw, "max ‖w_grd − w_ngd‖\t%s\t%s\n", fmtG(c.MaxGapGRDNGD), pct(c.RelativeGap))
	fmt.Fprintf(tw, "max ‖w_ngd − w_gd‖\t%s\t%s\n", fmtG(c.MaxGapNGDGD), pct(c.RelativeGapNGDGD))
	fmt.Fprintf(tw, "NGD path length max ‖w_ngd − w0‖\t%s\t\n", fmtG(c.NGDPathLength))
	fmt.Fprintf(tw, "max NGD defect ‖u + P∇f‖\t%s\t\n", fmtG(c.MaxNGDDefect))
	fmt.Fprintf(tw, "max R2/R1 (1/time)\t%s\t\n", fmtG(c.MaxR2OverR1))
	fmt.Fprintf(tw, "median R2/R1 after the first tenth of the horizon\t%s\t\n", fmtG(c.MedianR2OverR1))
	fmt.Fprintf(tw, "max R2/R1 after the first tenth of the horizon\t%s\t\n", fmtG(c.LateMaxR2OverR1))
	tw.Flush()
	for _, tr := range r.Flows {
		if tr.Status != flow.StatusOK {
			fmt.Fprintf(ew, "flow %s: %s", tr.Flow, tr.Status)
			if tr.Err != nil {
				fmt.Fprintf(ew, " (%v)", tr.Err)
			}
			fmt.Fprintln(ew)
		}
	}
	fmt.Fprintf(ew, "verdict: %s\n", cr.Verdict)
	for _, s := range r.Warnings {
		fmt.Fprintf(ew, "warning: %s\n", s)
	}
	return ew.err
}

// WriteSweepTable writes an ε sweep (`grd check --sweep`) as a table, the
// fitted slopes and the verdict.
func WriteSweepTable(w io.Writer, r *experiment.SweepReport) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "%s: ε sweep, d = %d, N = %d, λ_max(D(w0)) = %s, t ∈ [%s, %s]\n", r.Scenario.Name, r.Dim, r.Samples,
		fmtG(r.LambdaMax), fmtG(r.Scenario.Time.T0), fmtG(r.Scenario.Time.T1))
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "safety s\tε\tgrd–ngd gap / L\tngd–gd gap / L\tL = NGD path\tmax R2/R1\tstatus\t")
	for _, pt := range r.Points {
		st := flow.StatusOK
		if !pt.OK {
			st = flow.StatusFailed
		}
		fmt.Fprintf(tw, "%g\t%s\t%s\t%s\t%s\t%s\t%s\t\n", pt.Safety, fmtG(pt.Epsilon), fmtG(pt.GapGRDNGD), fmtG(pt.GapNGDGD),
			fmtG(pt.PathLength), fmtG(pt.MaxR2OverR1), st)
	}
	tw.Flush()
	fmt.Fprintf(ew, "log-log slope vs ε: grd–ngd %s (%s), ngd–gd %s (%s)\n", SlopeText(r.FitGRDNGD), experiment.OrderName(r.SlopeGRDNGD), SlopeText(r.FitNGDGD), experiment.OrderName(r.SlopeNGDGD))
	fmt.Fprintf(ew, "verdict: %s\n", r.Verdict)
	for _, s := range r.Warnings {
		fmt.Fprintf(ew, "warning: %s\n", s)
	}
	return ew.err
}

// SlopeText formats a fitted slope the one way grd shows slopes to people
// (table, verdict, plot legend, report): two decimals, and ± its standard
// error when there is one ("1.26 ± 0.03").
func SlopeText(f experiment.LogLogFit) string {
	s := fmt.Sprintf("%.2f", f.Slope)
	if !math.IsNaN(f.StdErr) && !math.IsNaN(f.Slope) {
		s += fmt.Sprintf(" ± %.2f", f.StdErr)
	}
	return s
}

// WriteSweepPlots writes sweep.png and sweep.svg into dir (created if
// needed): both relative gaps against the safety factor s (ε = s/λ_max,
// proportional to it, so the log-log slopes are those against ε) on
// log-log axes, with reference lines of slope 1 and 2 through the GRD–NGD
// gap's geometric centre.
func WriteSweepPlots(dir string, r *experiment.SweepReport) ([]string, error) {
	f := sweepFigure(r)
	if f == nil {
		return nil, fmt.Errorf("scenarios: sweep %s: no point to plot", r.Scenario.Name)
	}
	if err := mkOutDir(dir); err != nil {
		return nil, err
	}
	return writeFigure(dir, PlotSweep, f)
}

func sweepFigure(r *experiment.SweepReport) *figure.Figure {
	var eps, g1, g2 []float64
	for _, pt := range r.Points {
		if pt.OK {
			eps = append(eps, math.Log10(pt.Safety))
			g1 = append(g1, pt.GapGRDNGD)
			g2 = append(g2, pt.GapNGDGD)
		}
	}
	if len(eps) == 0 {
		return nil
	}
	mark := func(x, y []float64, c figure.Style, shape draw.GlyphDrawer) plot.Plotter {
		var xy plotter.XYs
		for i := range x {
			if y[i] > 0 {
				xy = append(xy, plotter.XY{X: x[i], Y: math.Log10(y[i])})
			}
		}
		s, err := plotter.NewScatter(xy)
		if err != nil {
			return nil
		}
		s.GlyphStyle = draw.GlyphStyle{Color: c.Color, Radius: vg.Points(4), Shape: shape}
		return s
	}
	st1 := style(figure.Vermilion, 2.2)
	st2 := style(figure.Blue, 2.2, vg.Points(6), vg.Points(3))
	ss := []figure.Series{
		{Label: fmt.Sprintf("GRD–NGD gap (slope %s)", SlopeText(r.FitGRDNGD)), X: eps, Y: g1, Style: st1, Legend: true},
		{Label: fmt.Sprintf("NGD–GD gap (slope %s)", SlopeText(r.FitNGDGD)), X: eps, Y: g2, Style: st2, Legend: true},
	}
	ss = append(ss, slopeReferences(eps, g1, g2)...)
	var over []plot.Plotter
	if m := mark(eps, g1, st1, draw.CircleGlyph{}); m != nil {
		over = append(over, m)
	}
	if m := mark(eps, g2, st2, draw.BoxGlyph{}); m != nil {
		over = append(over, m)
	}
	pn := figure.Panel{
		// Two lines: a long scenario name must not push the title past the
		// canvas (it is centred over the data area, not the figure).
		Title:  fmt.Sprintf("%s: gaps vs ε = s / λ₁\nλ₁ = largest eigenvalue of D(w₀) = %s", r.Scenario.Name, fmtG(r.LambdaMax)),
		XLabel: "safety factor s = ε·λ₁ (log)",
		YLabel: "max gap / NGD path length",
		Series: ss,
		Mode:   figure.LogY,
		Over:   over,
		LogX:   true,
	}
	return &figure.Figure{Panels: []figure.Panel{pn}}
}

// slopeReferences are the reference lines of slope 1 and 2 on the sweep
// plot (x = log10 s), through the centre of the GRD–NGD points g1 (or the
// NGD–GD ones g2 when the former are not positive); none when no point is
// positive.
func slopeReferences(eps, g1, g2 []float64) []figure.Series {
	var ss []figure.Series
	ref := g1
	if slices.IndexFunc(g1, func(v float64) bool { return v > 0 }) < 0 {
		ref = g2
	}
	var cx, cy float64
	var n int
	for i := range eps {
		if ref[i] > 0 {
			cx += eps[i]
			cy += math.Log10(ref[i])
			n++
		}
	}
	if n > 0 {
		cx /= float64(n)
		cy /= float64(n)
		x0, x1 := eps[0], eps[len(eps)-1]
		for _, k := range []struct {
			p   float64
			lab string
			st  figure.Style
		}{
			{1, "reference slope 1 (~ε)", style(figure.Grey, 1.2, vg.Points(2), vg.Points(3))},
			{2, "reference slope 2 (~ε²)", style(figure.Black, 1.2, vg.Points(8), vg.Points(4))},
		} {
			ss = append(ss, figure.Series{Label: k.lab, X: []float64{x0, x1},
				Y:     []float64{math.Pow(10, cy+k.p*(x0-cx)), math.Pow(10, cy+k.p*(x1-cx))},
				Style: k.st, Legend: true})
		}
	}
	return ss
}

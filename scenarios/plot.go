package scenarios

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/grd-engine/grd/engine/flow"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/grd-engine/grd/models"
)

// Plot conventions. Every figure is written as PNG (150 dpi) and SVG, with
// its legend in a strip to the right of the axes so that it never covers
// data, and the time axis labelled timeLabel (timeAxisLabel when an
// ensemble is drawn).
const (
	timeLabel   = "time t"
	plotDPI     = 150
	figWidth    = 9 * vg.Inch
	panelHeight = 4.6 * vg.Inch
	// logSpan: a positive quantity spanning more than this ratio is drawn
	// on a logarithmic axis (two decades).
	logSpan = 100
)

// Okabe–Ito colours: distinguishable with the common colour-vision
// deficiencies and in greyscale together with the dash patterns.
const (
	colBlue      rgb = 0x0072B2
	colOrange    rgb = 0xE69F00
	colVermilion rgb = 0xD55E00
	colGreen     rgb = 0x009E73
	colPurple    rgb = 0xCC79A7
	colBlack     rgb = 0x000000
	colGrey      rgb = 0x707070
)

// rgb is an opaque colour 0xRRGGBB (a color.Color constant).
type rgb uint32

// RGBA implements color.Color.
func (c rgb) RGBA() (r, g, b, a uint32) {
	r, g, b = uint32(c>>16)&0xff, uint32(c>>8)&0xff, uint32(c)&0xff
	return r * 0x101, g * 0x101, b * 0x101, 0xffff
}

// lineStyle is a series' colour, width and dash pattern.
type lineStyle struct {
	color  color.Color
	width  vg.Length
	dashes []vg.Length
}

func (s lineStyle) draw() draw.LineStyle {
	return draw.LineStyle{Color: s.color, Width: s.width, Dashes: s.dashes}
}

// flowStyle gives each flow a fixed look: NGD is a wide pale band-like line
// with GRD dashed on top of it, since the two often coincide.
func flowStyle(fl string) lineStyle {
	switch fl {
	case FlowGD:
		return lineStyle{colBlue, 2, nil}
	case FlowNGD:
		return lineStyle{colOrange, 4.5, nil}
	case FlowGRD:
		return lineStyle{colVermilion, 1.8, []vg.Length{vg.Points(6), vg.Points(3)}}
	case FlowSGD:
		return lineStyle{colPurple, 1.8, []vg.Length{vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)}}
	case FlowSDE:
		return lineStyle{colGreen, 1.8, []vg.Length{vg.Points(2), vg.Points(2.5)}}
	case FlowCD:
		return lineStyle{colBlack, 1.8, []vg.Length{vg.Points(5), vg.Points(2)}}
	}
	return lineStyle{colBlack, 1.5, nil}
}

// flowLabel is a flow's legend entry; band says whether the ensemble
// flows are drawn with their ± std band.
func flowLabel(tr *flow.Trajectory, sc *Scenario, band bool) string {
	switch tr.Flow {
	case FlowGD:
		return "GD"
	case FlowNGD:
		return "NGD"
	case FlowGRD:
		return "GRD"
	case FlowSGD, FlowSDE, FlowCD:
		runs := sc.SGD.Runs
		switch tr.Flow {
		case FlowSDE:
			runs = sc.SDE.Runs
		case FlowCD:
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

// series is one curve of a panel; band, if set, is drawn as a shaded
// region y ± band behind it.
type series struct {
	label  string
	x, y   []float64
	band   []float64
	style  lineStyle
	legend bool // add to the figure legend
}

// axisMode chooses a panel's y scale.
type axisMode int

const (
	autoY axisMode = iota // log if the positive values span > logSpan
	linearY
	logY
)

// panel is one set of axes.
type panel struct {
	title, xlabel, ylabel string
	series                []series
	mode                  axisMode
	// under and over are extra plotters drawn below (contours) and above
	// (markers) the series.
	under, over []plot.Plotter
	// logX: the x values are log10 of the data (decade ticks).
	logX bool
	// xlim, if set, is the x range (the time span, so that curves that
	// cannot show their first point still share the axis).
	xlim []float64
	// fixed sets the axis ranges to xmin…ymax instead of the data's.
	xmin, xmax, ymin, ymax float64
	fixed                  bool
}

// figure is one or more panels stacked vertically with one legend strip on
// the right.
type figure struct {
	panels []panel
	legend []legendEntry // entries after those of the series
	// width and height default to figWidth and panelHeight per panel.
	width, height vg.Length
	// square gives the panels a square data area (axes sharing one scale;
	// the width follows from the height).
	square bool
}

type legendEntry struct {
	label  string
	thumbs []plot.Thumbnailer
}

// finiteRange returns the range of the finite values (and of the positive
// ones), over y ± band.
func (p *panel) yRange() (lo, hi, plo, phi float64) {
	lo, plo = math.Inf(1), math.Inf(1)
	hi, phi = math.Inf(-1), math.Inf(-1)
	see := func(v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
		if v > 0 {
			plo, phi = math.Min(plo, v), math.Max(phi, v)
		}
	}
	for _, s := range p.series {
		for k, v := range s.y {
			see(v)
			if s.band != nil && k < len(s.band) {
				see(v + s.band[k])
				if v-s.band[k] > 0 {
					see(v - s.band[k])
				}
			}
		}
	}
	return
}

// segments splits (x, y) at points that cannot be drawn (non-finite) into
// drawable runs.
func segments(x, y []float64) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	for k := range min(len(x), len(y)) {
		v := y[k]
		ok := !math.IsNaN(v) && !math.IsInf(v, 0) && !math.IsNaN(x[k]) && !math.IsInf(x[k], 0)
		if ok {
			cur = append(cur, plotter.XY{X: x[k], Y: v})
			continue
		}
		if len(cur) > 0 {
			out = append(out, cur)
		}
		cur = nil
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// build turns the panel into a gonum plot and returns the legend entries of
// its series.
func (pn *panel) build() (*plot.Plot, []legendEntry) {
	p := plot.New()
	p.Title.Text = pn.title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = pn.xlabel
	p.Y.Label.Text = pn.ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(12)
		a.Tick.Label.Font.Size = vg.Points(10.5)
	}
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Tick.Marker = niceTicks{}
	p.Y.Tick.Marker = niceTicks{}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{0xdd}
	grid.Horizontal.Color = color.Gray{0xdd}
	p.Add(grid)
	p.Add(pn.under...)

	lo, hi, plo, phi := pn.yRange()
	// auto: a non-negative quantity (zeros are left out on the log axis)
	// whose positive values span more than logSpan.
	log := pn.mode == logY || (pn.mode == autoY && lo >= 0 && phi > 0 && !math.IsInf(plo, 0) && phi/plo > logSpan)
	if pn.mode == logY && math.IsInf(plo, 0) {
		log = false // nothing positive to show
	}
	// A log axis is drawn as log10 of the data on a linear axis with
	// decade ticks (gonum's LogScale misplaces a centred axis label).
	ty := func(v float64) float64 { return v }
	var ymin, ymax float64
	if log {
		ty = func(v float64) float64 {
			if !(v > 0) {
				return math.NaN()
			}
			return math.Log10(v)
		}
		p.Y.Tick.Marker = log10Ticks{}
		ymin, ymax = plo/1.3, phi*1.3
	} else if !math.IsInf(lo, 0) {
		pad := 0.04 * (hi - lo)
		if pad == 0 {
			pad = 0.5 * math.Max(math.Abs(hi), 1)
		}
		ymin, ymax = lo-pad, hi+pad
		if lo >= 0 && lo-pad < 0 {
			ymin = 0 // a non-negative quantity starts at the axis
		}
	}
	// Wide lines are drawn first so that a thin line coinciding with one
	// (GD under NGD's wide band) stays visible; the legend keeps the series
	// order.
	order := make([]int, len(pn.series))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return pn.series[order[a]].style.width > pn.series[order[b]].style.width
	})
	slots := make([]*legendEntry, len(pn.series))
	for _, si := range order {
		s := pn.series[si]
		var thumbs []plot.Thumbnailer
		if s.band != nil {
			fill := bandColor(s.style.color)
			var up, dn []float64
			for k := range s.y {
				up = append(up, s.y[k]+s.band[k])
				d := s.y[k] - s.band[k]
				if log && d < ymin {
					d = ymin
				}
				dn = append(dn, d)
			}
			for k := range up {
				up[k], dn[k] = ty(up[k]), ty(dn[k])
			}
			for _, poly := range bandPolygons(s.x, up, dn) {
				pg, err := plotter.NewPolygon(poly)
				if err != nil {
					continue
				}
				pg.Color = fill
				pg.LineStyle.Width = 0
				p.Add(pg)
				if thumbs == nil {
					thumbs = append(thumbs, pg)
				}
			}
		}
		var line *plotter.Line
		ys := make([]float64, len(s.y))
		for k, v := range s.y {
			ys[k] = ty(v)
		}
		for _, seg := range segments(s.x, ys) {
			l, err := plotter.NewLine(seg)
			if err != nil {
				continue
			}
			l.LineStyle = s.style.draw()
			p.Add(l)
			line = l
		}
		if line == nil {
			line = &plotter.Line{LineStyle: s.style.draw()}
		}
		if s.legend {
			slots[si] = &legendEntry{s.label, append(thumbs, line)}
		}
	}
	var entries []legendEntry
	for _, e := range slots {
		if e != nil {
			entries = append(entries, *e)
		}
	}
	p.Add(pn.over...)
	if pn.logX {
		p.X.Tick.Marker = log10Ticks{}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, s := range pn.series {
			for _, x := range s.x {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
		if hi >= lo {
			pad := 0.05 * math.Max(hi-lo, 0.2)
			p.X.Min, p.X.Max = lo-pad, hi+pad
		}
	}
	if len(pn.xlim) == 2 {
		p.X.Min, p.X.Max = pn.xlim[0], pn.xlim[1]
	}
	if pn.fixed {
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = pn.xmin, pn.xmax, pn.ymin, pn.ymax
	} else if !math.IsInf(lo, 0) || log {
		p.Y.Min, p.Y.Max = ty(ymin), ty(ymax)
	}
	return p, entries
}

// bandColor is a translucent version of c for a ± std band.
func bandColor(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0x48}
}

// bandPolygons returns the region between dn and up as polygons, split
// where a value cannot be drawn.
func bandPolygons(x, up, dn []float64) []plotter.XYs {
	var out []plotter.XYs
	start := -1
	flush := func(end int) {
		if start < 0 || end-start < 2 {
			start = -1
			return
		}
		var poly plotter.XYs
		for k := start; k < end; k++ {
			poly = append(poly, plotter.XY{X: x[k], Y: up[k]})
		}
		for k := end - 1; k >= start; k-- {
			poly = append(poly, plotter.XY{X: x[k], Y: dn[k]})
		}
		out = append(out, poly)
		start = -1
	}
	for k := range x {
		ok := !math.IsNaN(up[k]) && !math.IsInf(up[k], 0) && !math.IsNaN(dn[k]) && !math.IsInf(dn[k], 0)
		if ok && start < 0 {
			start = k
		}
		if !ok {
			flush(k)
		}
	}
	flush(len(x))
	return out
}

// layout places the figure's plots on dc: the panels stacked in equal
// tiles, their data areas aligned left and right, the legend in a strip on
// the right. It returns each plot's canvas and the legend's canvas.
func (f *figure) layout(dc draw.Canvas, plots []*plot.Plot, legend *plot.Legend) (cs []draw.Canvas, lc draw.Canvas, used vg.Length) {
	strip := vg.Length(0)
	if w := legend.Rectangle(dc).Size().X; w > 0 {
		strip = w + vg.Points(28)
	}
	area := draw.Crop(dc, vg.Points(8), -strip-vg.Points(10), vg.Points(6), -vg.Points(8))
	n := len(plots)
	padY := vg.Points(22)
	h := (area.Max.Y - area.Min.Y - padY*vg.Length(n-1)) / vg.Length(n)
	cs = make([]draw.Canvas, n)
	var left, right vg.Length
	for i, p := range plots {
		top := area.Max.Y - vg.Length(i)*(h+padY)
		cs[i] = draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: area.Min.X, Y: top - h}, Max: vg.Point{X: area.Max.X, Y: top}}}
		d := p.DataCanvas(cs[i])
		left = max(left, d.Min.X-cs[i].Min.X)
		right = max(right, cs[i].Max.X-d.Max.X)
	}
	for i, p := range plots {
		d := p.DataCanvas(cs[i])
		cs[i] = draw.Crop(cs[i], left-(d.Min.X-cs[i].Min.X), -(right - (cs[i].Max.X - d.Max.X)), 0, 0)
		if f.square {
			// Equal scales on both axes: a square data area.
			d = p.DataCanvas(cs[i])
			if extra := (d.Max.X - d.Min.X) - (d.Max.Y - d.Min.Y); extra > 0 {
				cs[i] = draw.Crop(cs[i], 0, -extra, 0, 0)
			}
		}
	}
	right2 := cs[0].Max.X
	top := plots[0].DataCanvas(cs[0]).Max.Y
	lc = draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: right2 + vg.Points(18), Y: dc.Min.Y}, Max: vg.Point{X: right2 + strip, Y: top}}}
	return cs, lc, right2 + strip + vg.Points(8)
}

// render draws the figure in format "png" or "svg".
func (f *figure) render(format string) ([]byte, error) {
	width := f.width
	if width == 0 {
		width = figWidth
	}
	height := f.height
	if height == 0 {
		height = panelHeight * vg.Length(len(f.panels))
		if len(f.panels) > 1 {
			height = 0.8 * height
		}
	}
	plots := make([]*plot.Plot, len(f.panels))
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.TextStyle.Font.Size = vg.Points(11)
	legend.ThumbnailWidth = vg.Points(34)
	legend.Padding = vg.Points(5)
	for i := range f.panels {
		p, entries := f.panels[i].build()
		plots[i] = p
		for _, e := range entries {
			legend.Add(e.label, e.thumbs...)
		}
	}
	for _, e := range f.legend {
		legend.Add(e.label, e.thumbs...)
	}
	if f.square {
		// Measure first, then size the figure to the square data area.
		m := draw.New(vgsvg.New(width, height)) // cheap: text metrics only
		_, _, used := f.layout(m, plots, &legend)
		width = used
	}
	var cw vg.CanvasWriterTo
	switch format {
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(plotDPI), vgimg.UseBackgroundColor(color.White))
		cw = vgimg.PngCanvas{Canvas: c}
	case "svg":
		cw = vgsvg.New(width, height)
	default:
		panic("scenarios: render: unknown format " + format)
	}
	dc := draw.New(cw)
	dc.FillPolygon(color.White, []vg.Point{{X: 0, Y: 0}, {X: width, Y: 0}, {X: width, Y: height}, {X: 0, Y: height}})
	cs, lc, _ := f.layout(dc, plots, &legend)
	for i, p := range plots {
		p.Draw(cs[i])
	}
	legend.Draw(lc)
	var buf bytes.Buffer
	if _, err := cw.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("scenarios: rendering %s: %w", format, err)
	}
	return buf.Bytes(), nil
}

// log10Ticks marks an axis that shows log10 of the data: labels at the
// decades (every other one beyond 8 decades, and at 2 and 5 within a
// decade when less than two decades show, and at 3 below one decade), minor ticks at 2…9 times a decade.
type log10Ticks struct{}

// Ticks implements plot.Ticker.
func (log10Ticks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	every := 1
	if hi-lo > 8 {
		every = 2
	}
	few, fewer := hi-lo < 2, hi-lo < 1
	var ticks []plot.Tick
	for k := math.Floor(lo); k <= math.Ceil(hi); k++ {
		for m := 1; m <= 9; m++ {
			v := k + math.Log10(float64(m))
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if (m == 1 && int(k)%every == 0) || (few && (m == 2 || m == 5)) || (fewer && m == 3) {
				t.Label = decadeLabel(m, int(k))
			}
			if every == 2 && m > 1 {
				continue // too dense: decades only
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// decadeLabel formats m·10^k (m = 1…9) exactly: plainly for
// 1e-4 ≤ value < 1e6, as "me±k" beyond.
func decadeLabel(m, k int) string {
	switch {
	case k >= 0 && k < 6:
		return strconv.Itoa(m) + strings.Repeat("0", k)
	case k < 0 && k >= -4:
		return "0." + strings.Repeat("0", -k-1) + strconv.Itoa(m)
	}
	return fmt.Sprintf("%de%d", m, k)
}

// niceTicks marks a linear axis at about seven round values (steps of 1, 2,
// 2.5 or 5 times a power of ten) with unlabelled minor ticks between them.
type niceTicks struct{}

// Ticks implements plot.Ticker.
func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	span := hi - lo
	if !(span > 0) || math.IsInf(span, 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	raw := span / 7
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step, minor := 10*mag, 5
	for _, c := range []struct {
		m     float64
		minor int
	}{{1, 5}, {2, 4}, {2.5, 5}, {5, 5}} {
		if c.m*mag >= raw*0.999 {
			step, minor = c.m*mag, c.minor
			break
		}
	}
	// Decimals needed to print multiples of step exactly.
	dec := 0
	for s := step; dec < 12 && math.Abs(s-math.Round(s)) > 1e-9*s; s *= 10 {
		dec++
	}
	big := math.Max(math.Abs(lo), math.Abs(hi))
	label := func(v float64) string {
		if math.Abs(v) < 1e-9*step {
			return "0"
		}
		if big >= 1e5 || big < 1e-3 {
			return strconv.FormatFloat(v, 'g', 4, 64)
		}
		return strconv.FormatFloat(v, 'f', dec, 64)
	}
	var ticks []plot.Tick
	first := math.Ceil(lo/step*(1-1e-12)) * step
	sub := step / float64(minor)
	for k := math.Floor(lo / sub); k*sub <= hi*(1+1e-12)+1e-300; k++ {
		v := k * sub
		if v < lo-1e-9*span {
			continue
		}
		major := math.Abs(math.Remainder(v-first, step)) < 1e-6*step
		if major {
			ticks = append(ticks, plot.Tick{Value: v, Label: label(v)})
		} else {
			ticks = append(ticks, plot.Tick{Value: v})
		}
	}
	return ticks
}

// writeFigure writes dir/name.png and dir/name.svg atomically.
func writeFigure(dir, name string, f *figure) ([]string, error) {
	var files []string
	for _, format := range []string{"png", "svg"} {
		b, err := f.render(format)
		if err != nil {
			return files, err
		}
		file := name + "." + format
		if err := WriteFileAtomic(dir, file, func(w io.Writer) error {
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
func writeRunPlots(dir string, r *Report) ([]string, error) {
	var files []string
	add := func(name string, f *figure) error {
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
		case FlowSGD:
			eta = append(eta, "SGD")
		case FlowCD:
			eta = append(eta, "CD")
		case FlowSDE:
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
func (r *Report) timeSpan() []float64 { return []float64{r.Scenario.Time.T0, r.Scenario.Time.T1} }

// lossFigure: f(w(t)) for every flow; sgd/sde mean with a ± std band.
func lossFigure(r *Report) *figure {
	var ss []series
	var drawn []*flow.Trajectory
	for _, tr := range r.Flows {
		if tr.Len() == 0 {
			continue
		}
		drawn = append(drawn, tr)
		band := tr.LossStd != nil && len(tr.LossStd) == len(tr.Loss)
		s := series{label: flowLabel(tr, r.Scenario, band), x: tr.T, y: tr.Loss, style: flowStyle(string(tr.Flow)), legend: true}
		if band {
			s.band = tr.LossStd
		}
		ss = append(ss, s)
	}
	if len(ss) == 0 {
		return nil
	}
	return &figure{panels: []panel{{
		title:  fmt.Sprintf("%s: loss along each flow (ε = %s)", r.Scenario.Name, fmtG(r.Epsilon)),
		xlabel: timeAxisLabel(drawn),
		xlim:   r.timeSpan(),
		ylabel: "mean loss f(w) = (1/N) Σ f_n(w)",
		series: ss,
	}}}
}

// gapFigure: ‖w_grd − w_ngd‖ (with ‖w_ngd − w_gd‖ for scale) above the NGD
// defect ‖u + P∇f‖ along GRD.
func gapFigure(r *Report) *figure {
	grd, ngd, gd := r.Flow(FlowGRD), r.Flow(FlowNGD), r.Flow(FlowGD)
	if grd == nil || ngd == nil || grd.Len() == 0 || ngd.Len() == 0 {
		return nil
	}
	gap := gapSeries(grd, ngd)
	ss := []series{{label: "‖w_grd − w_ngd‖", x: grd.T[:len(gap)], y: gap, style: lineStyle{colVermilion, 2.2, nil}, legend: true}}
	if gd != nil && gd.Len() > 0 {
		ref := gapSeries(ngd, gd)
		ss = append(ss, series{label: "‖w_ngd − w_gd‖ (scale)", x: ngd.T[:len(ref)], y: ref,
			style: lineStyle{colBlue, 1.8, []vg.Length{vg.Points(6), vg.Points(3)}}, legend: true})
	}
	top := panel{
		title:  fmt.Sprintf("%s: GRD vs NGD (ε = %s)", r.Scenario.Name, fmtG(r.Epsilon)),
		xlabel: timeLabel,
		xlim:   r.timeSpan(),
		ylabel: "distance in weight space",
		series: ss,
	}
	bottom := panel{
		title:  "NGD defect: GRD velocity u vs the NGD field −P grad f",
		xlabel: timeLabel,
		xlim:   r.timeSpan(),
		ylabel: "‖u + P grad f(w)‖ (weight / time)",
		series: []series{{label: "NGD defect (lower panel)", x: grd.T, y: grd.NGDDefect, style: lineStyle{colGreen, 2.2, nil}, legend: true}},
	}
	return &figure{panels: []panel{top, bottom}}
}

// residualFigure: R0, R1, R2 along GRD (log y) above R2/R1.
func residualFigure(r *Report) *figure {
	grd := r.Flow(FlowGRD)
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
	top := panel{
		title:  fmt.Sprintf("%s: residuals of approximation (8) along GRD", r.Scenario.Name),
		xlabel: timeLabel,
		xlim:   r.timeSpan(),
		ylabel: "spread over samples √(tr Cov_n)",
		mode:   logY,
		series: []series{
			{label: "R₀: gradients g_n", x: grd.T, y: grd.R0, style: lineStyle{colBlue, 2, nil}, legend: true},
			{label: "R₁: d/dt g_n = H_n u", x: grd.T, y: grd.R1, style: lineStyle{colOrange, 2, []vg.Length{vg.Points(6), vg.Points(3)}}, legend: true},
			{label: "R₂: d²/dt² g_n (0 iff (8) holds)", x: grd.T, y: grd.R2, style: lineStyle{colVermilion, 2, []vg.Length{vg.Points(2), vg.Points(2.5)}}, legend: true},
		},
	}
	bottom := panel{
		title:  "second relative to first time derivative: R₂ / R₁",
		xlabel: timeLabel,
		xlim:   r.timeSpan(),
		ylabel: "R₂ / R₁ (1 / time)",
		series: []series{{label: "R₂ / R₁ (lower panel)", x: grd.T, y: ratio, style: lineStyle{colPurple, 2.2, nil}, legend: true}},
	}
	return &figure{panels: []panel{top, bottom}}
}

// contourFigure: for d = 2, contours of f on a grid around every trajectory,
// with the trajectories on top. The axes share one scale so that the
// geometry is not distorted.
func contourFigure(r *Report) *figure {
	if r.Dim != 2 {
		return nil
	}
	xmin, xmax := r.W0[0], r.W0[0]
	ymin, ymax := r.W0[1], r.W0[1]
	// The frame holds the flows that reached t1 (all flows if none did): a
	// flow that blew up leaves the frame, rather than shrinking the others
	// to a dot.
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
	half := 0.5 * 1.2 * math.Max(xmax-xmin, ymax-ymin)
	if half == 0 {
		half = 1
	}
	cx, cy := 0.5*(xmin+xmax), 0.5*(ymin+ymax)
	grid := lossGrid(r.Model, cx-half, cx+half, cy-half, cy+half, 121)
	lo, hi := grid.minmax() // ±Inf if some value is not finite: no contours
	const nlev = 14
	levels := make([]float64, nlev)
	for k := range levels {
		// Quadratic spacing in the level: roughly evenly spaced contours
		// near a minimum, where f grows quadratically with distance.
		a := float64(k+1) / float64(nlev+1)
		levels[k] = lo + (hi-lo)*a*a
	}
	var under []plot.Plotter
	var legend []legendEntry
	if !math.IsInf(lo, 0) && !math.IsInf(hi, 0) && hi > lo {
		under = append(under, &contourLines{grid: grid, levels: levels, colors: contourPalette{n: nlev}.Colors(), width: 0.9})
		legend = append(legend, legendEntry{fmt.Sprintf("f = %s … %s", fmtG(levels[0]), fmtG(levels[nlev-1])),
			[]plot.Thumbnailer{&plotter.Line{LineStyle: draw.LineStyle{Color: color.Gray{0x99}, Width: 1}}}})
	}

	var ss []series
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
		ss = append(ss, series{label: flowLabel(tr, r.Scenario, false), x: x, y: y, style: flowStyle(string(tr.Flow)), legend: true})
		if n := len(x); n > 0 {
			end, err := plotter.NewScatter(plotter.XYs{{X: x[n-1], Y: y[n-1]}})
			if err == nil {
				end.GlyphStyle = draw.GlyphStyle{Color: flowStyle(string(tr.Flow)).color, Radius: vg.Points(4), Shape: draw.BoxGlyph{}}
				marks = append(marks, end)
			}
		}
	}
	start, _ := plotter.NewScatter(plotter.XYs{{X: r.W0[0], Y: r.W0[1]}})
	start.GlyphStyle = draw.GlyphStyle{Color: colBlack, Radius: vg.Points(4.5), Shape: draw.CircleGlyph{}}
	endThumb, _ := plotter.NewScatter(plotter.XYs{{}})
	endThumb.GlyphStyle = draw.GlyphStyle{Color: colGrey, Radius: vg.Points(4), Shape: draw.BoxGlyph{}}
	pn := panel{
		title:  fmt.Sprintf("%s: loss contours and paths, t ≤ %s", r.Scenario.Name, fmtG(r.Scenario.Time.T1)),
		xlabel: "weight w₀",
		ylabel: "weight w₁",
		series: ss,
		mode:   linearY,
		under:  under,
		over:   append(marks, start),
		fixed:  true,
		xmin:   cx - half, xmax: cx + half, ymin: cy - half, ymax: cy + half,
	}
	return &figure{
		panels: []panel{pn},
		legend: append([]legendEntry{
			{"start w₀", []plot.Thumbnailer{start}},
			{"end of each flow", []plot.Thumbnailer{endThumb}},
		}, legend...),
		height: 6.5 * vg.Inch,
		square: true,
	}
}

// lossGridXYZ is f evaluated on a grid (a plotter.GridXYZ).
type lossGridXYZ struct {
	x, y []float64
	z    []float64 // row r (y) major: z[r*n + c]
}

// Dims, Z, X and Y implement plotter.GridXYZ.
func (g *lossGridXYZ) Dims() (c, r int)   { return len(g.x), len(g.y) }
func (g *lossGridXYZ) Z(c, r int) float64 { return g.z[r*len(g.x)+c] }
func (g *lossGridXYZ) X(c int) float64    { return g.x[c] }
func (g *lossGridXYZ) Y(r int) float64    { return g.y[r] }
func (g *lossGridXYZ) minmax() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range g.z {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return math.Inf(1), math.Inf(1)
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return lo, hi
}

// lossGrid evaluates the mean loss of m (d = 2) on an n×n grid over
// [x0, x1]×[y0, y1], in chunks of at most 256 samples.
func lossGrid(m models.Model, x0, x1, y0, y1 float64, n int) *lossGridXYZ {
	g := &lossGridXYZ{x: make([]float64, n), y: make([]float64, n), z: make([]float64, n*n)}
	for i := range n {
		a := float64(i) / float64(n-1)
		g.x[i] = (1-a)*x0 + a*x1
		g.y[i] = (1-a)*y0 + a*y1
	}
	N := m.Len()
	chunk := min(N, 256)
	ev := m.NewEvaluator(chunk)
	loss := make([]float64, chunk)
	w := make([]float64, 2)
	for r := range n {
		for c := range n {
			w[0], w[1] = g.x[c], g.y[r]
			var s float64
			for lo := 0; lo < N; lo += chunk {
				hi := min(lo+chunk, N)
				ev.Losses(loss[:hi-lo], w, lo, hi)
				for _, v := range loss[:hi-lo] {
					s += v
				}
			}
			g.z[r*n+c] = s / float64(N)
		}
	}
	return g
}

// contourLines draws the level sets of a grid by marching squares, one
// path per level, cells in row-major order: unlike gonum's Contour (whose
// path order comes from map iteration) the output is byte-reproducible.
type contourLines struct {
	grid   *lossGridXYZ
	levels []float64
	colors []color.Color
	width  vg.Length
}

// Plot implements plot.Plotter.
func (cl *contourLines) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	for li, lev := range cl.levels {
		var path vg.Path
		cl.grid.levelSegments(lev, func(x0, y0, x1, y1 float64) {
			path.Move(vg.Point{X: trX(x0), Y: trY(y0)})
			path.Line(vg.Point{X: trX(x1), Y: trY(y1)})
		})
		if len(path) > 0 {
			c.SetLineStyle(draw.LineStyle{Color: cl.colors[li%len(cl.colors)], Width: cl.width})
			c.Stroke(path)
		}
	}
}

// levelSegments calls emit for each segment of the level set {z = lev},
// by marching squares over the cells in row-major order, the crossing on
// each cell edge placed by linear interpolation.
func (g *lossGridXYZ) levelSegments(lev float64, emit func(x0, y0, x1, y1 float64)) {
	nc, nr := g.Dims()
	type pt struct{ x, y float64 }
	// cross is where the level crosses the grid edge (c0, r0)–(c1, r1).
	cross := func(c0, r0, c1, r1 int) pt {
		z0, z1 := g.Z(c0, r0), g.Z(c1, r1)
		a := (lev - z0) / (z1 - z0)
		return pt{g.X(c0) + a*(g.X(c1)-g.X(c0)), g.Y(r0) + a*(g.Y(r1)-g.Y(r0))}
	}
	seg := func(p, q pt) { emit(p.x, p.y, q.x, q.y) }
	for r := 0; r+1 < nr; r++ {
		for c := 0; c+1 < nc; c++ {
			b0 := g.Z(c, r) < lev
			b1 := g.Z(c+1, r) < lev
			b2 := g.Z(c+1, r+1) < lev
			b3 := g.Z(c, r+1) < lev
			// Edge crossings: bottom, right, top, left.
			var pts [4]pt
			var idx []int
			if b0 != b1 {
				pts[0], idx = cross(c, r, c+1, r), append(idx, 0)
			}
			if b1 != b2 {
				pts[1], idx = cross(c+1, r, c+1, r+1), append(idx, 1)
			}
			if b3 != b2 {
				pts[2], idx = cross(c, r+1, c+1, r+1), append(idx, 2)
			}
			if b0 != b3 {
				pts[3], idx = cross(c, r, c, r+1), append(idx, 3)
			}
			switch len(idx) {
			case 2:
				seg(pts[idx[0]], pts[idx[1]])
			case 4:
				// Saddle: the centre value decides which corners the level
				// cuts off.
				centre := 0.25 * (g.Z(c, r) + g.Z(c+1, r) + g.Z(c+1, r+1) + g.Z(c, r+1))
				if (centre < lev) == b0 {
					seg(pts[0], pts[1]) // corners 1 and 3 cut off
					seg(pts[2], pts[3])
				} else {
					seg(pts[0], pts[3]) // corners 0 and 2 cut off
					seg(pts[1], pts[2])
				}
			}
		}
	}
}

// contourPalette shades contour lines from light (low f) to darker grey.
type contourPalette struct{ n int }

// Colors implements palette.Palette.
func (p contourPalette) Colors() []color.Color {
	cs := make([]color.Color, p.n)
	for k := range cs {
		a := float64(k) / math.Max(1, float64(p.n-1))
		v := uint8(200 - 90*a)
		cs[k] = color.NRGBA{v, v, uint8(min(255, int(v)+20)), 0xff}
	}
	return cs
}

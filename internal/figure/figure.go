package figure

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure conventions. Every figure is rendered as PNG (150 dpi) or SVG,
// with its legend in a strip to the right of the axes so that it never
// covers data.
const (
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
	Blue      RGB = 0x0072B2
	Orange    RGB = 0xE69F00
	Vermilion RGB = 0xD55E00
	Green     RGB = 0x009E73
	Purple    RGB = 0xCC79A7
	Black     RGB = 0x000000
	Grey      RGB = 0x707070
)

// RGB is an opaque colour 0xRRGGBB (a color.Color constant).
type RGB uint32

// RGBA implements color.Color.
func (c RGB) RGBA() (r, g, b, a uint32) {
	r, g, b = uint32(c>>16)&0xff, uint32(c>>8)&0xff, uint32(c)&0xff
	return r * 0x101, g * 0x101, b * 0x101, 0xffff
}

// Style is a series' colour, width and dash pattern.
type Style struct {
	Color  color.Color
	Width  vg.Length
	Dashes []vg.Length
}

// Line returns the style as a gonum line style.
func (s Style) Line() draw.LineStyle {
	return draw.LineStyle{Color: s.Color, Width: s.Width, Dashes: s.Dashes}
}

// Series is one curve of a panel; Band, if set, is drawn as a shaded
// region Y ± Band behind it. Points that are not finite split the curve.
type Series struct {
	Label  string
	X, Y   []float64
	Band   []float64
	Style  Style
	Legend bool // add to the figure legend
}

// AxisMode chooses a panel's y scale.
type AxisMode int

// The y scales of a panel.
const (
	AutoY   AxisMode = iota // log if the positive values span > 100 (two decades)
	LinearY                 // linear
	LogY                    // log10 (linear if nothing is positive)
)

// Panel is one set of axes.
type Panel struct {
	Title, XLabel, YLabel string
	Series                []Series
	Mode                  AxisMode
	// Under and Over are extra plotters drawn below (contours) and above
	// (markers) the series.
	Under, Over []plot.Plotter
	// LogX: the x values are log10 of the data (decade ticks).
	LogX bool
	// XLim, if set, is the x range (e.g. the time span, so that curves
	// that cannot show their first point still share the axis).
	XLim []float64
	// Fixed sets the axis ranges to XMin…YMax instead of the data's.
	XMin, XMax, YMin, YMax float64
	Fixed                  bool
}

// Figure is one or more panels stacked vertically with one legend strip on
// the right.
type Figure struct {
	Panels []Panel
	Legend []LegendEntry // entries after those of the series
	// Width and Height default to 9 in and 4.6 in per panel (× 0.8 for
	// more than one panel).
	Width, Height vg.Length
	// Square gives the panels a square data area (axes sharing one scale;
	// the width follows from the height).
	Square bool
}

// LegendEntry is one legend line: a label and its thumbnails.
type LegendEntry struct {
	Label  string
	Thumbs []plot.Thumbnailer
}

// yRange returns the range of the finite values (and of the positive
// ones), over y ± band.
func (p *Panel) yRange() (lo, hi, plo, phi float64) {
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
	for _, s := range p.Series {
		for k, v := range s.Y {
			see(v)
			if s.Band != nil && k < len(s.Band) {
				see(v + s.Band[k])
				if v-s.Band[k] > 0 {
					see(v - s.Band[k])
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
func (pn *Panel) build() (*plot.Plot, []LegendEntry) {
	p := pn.newPlot()
	lo, _, _, _ := pn.yRange()
	ys := pn.yScale()
	if ys.log {
		p.Y.Tick.Marker = Log10Ticks{}
	}
	entries := pn.addSeries(p, ys)
	p.Add(pn.Over...)
	if pn.LogX {
		p.X.Tick.Marker = Log10Ticks{}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, s := range pn.Series {
			for _, x := range s.X {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
		if hi >= lo {
			pad := 0.05 * math.Max(hi-lo, 0.2)
			p.X.Min, p.X.Max = lo-pad, hi+pad
		}
	}
	if len(pn.XLim) == 2 {
		p.X.Min, p.X.Max = pn.XLim[0], pn.XLim[1]
	}
	if pn.Fixed {
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = pn.XMin, pn.XMax, pn.YMin, pn.YMax
	} else if !math.IsInf(lo, 0) || ys.log {
		p.Y.Min, p.Y.Max = ys.ty(ys.min), ys.ty(ys.max)
	}
	return p, entries
}

// newPlot is the panel's plot with its titles, fonts, ticks, grid and the
// plotters drawn under the series.
func (pn *Panel) newPlot() *plot.Plot {
	p := plot.New()
	p.Title.Text = pn.Title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = pn.XLabel
	p.Y.Label.Text = pn.YLabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(12)
		a.Tick.Label.Font.Size = vg.Points(10.5)
	}
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Tick.Marker = NiceTicks{}
	p.Y.Tick.Marker = NiceTicks{}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{0xdd}
	grid.Horizontal.Color = color.Gray{0xdd}
	p.Add(grid)
	p.Add(pn.Under...)
	return p
}

// yScale is a panel's y axis: log10 or linear, the map ty from data to
// axis values (log10, NaN for values ≤ 0, on a log axis) and the data
// range [min, max] to show.
type yScale struct {
	log      bool
	ty       func(float64) float64
	min, max float64
}

// yScale chooses the panel's y axis from its mode and data.
func (pn *Panel) yScale() yScale {
	lo, hi, plo, phi := pn.yRange()
	// auto: a non-negative quantity (zeros are left out on the log axis)
	// whose positive values span more than logSpan.
	log := pn.Mode == LogY || (pn.Mode == AutoY && lo >= 0 && phi > 0 && !math.IsInf(plo, 0) && phi/plo > logSpan)
	if pn.Mode == LogY && math.IsInf(plo, 0) {
		log = false // nothing positive to show
	}
	// A log axis is drawn as log10 of the data on a linear axis with
	// decade ticks (gonum's LogScale misplaces a centred axis label).
	ys := yScale{log: log, ty: func(v float64) float64 { return v }}
	if log {
		ys.ty = func(v float64) float64 {
			if !(v > 0) {
				return math.NaN()
			}
			return math.Log10(v)
		}
		ys.min, ys.max = plo/1.3, phi*1.3
	} else if !math.IsInf(lo, 0) {
		pad := 0.04 * (hi - lo)
		if pad == 0 {
			pad = 0.5 * math.Max(math.Abs(hi), 1)
		}
		ys.min, ys.max = lo-pad, hi+pad
		if lo >= 0 && lo-pad < 0 {
			ys.min = 0 // a non-negative quantity starts at the axis
		}
	}
	return ys
}

// addSeries adds the panel's series to p on the y scale ys and returns
// their legend entries. Wide lines are drawn first so that a thin line
// coinciding with one (GD under NGD's wide band) stays visible; the legend
// keeps the series order.
func (pn *Panel) addSeries(p *plot.Plot, ys yScale) []LegendEntry {
	order := make([]int, len(pn.Series))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return pn.Series[order[a]].Style.Width > pn.Series[order[b]].Style.Width
	})
	slots := make([]*LegendEntry, len(pn.Series))
	for _, si := range order {
		s := pn.Series[si]
		thumbs := addBand(p, s, ys)
		var line *plotter.Line
		yv := make([]float64, len(s.Y))
		for k, v := range s.Y {
			yv[k] = ys.ty(v)
		}
		for _, seg := range segments(s.X, yv) {
			l, err := plotter.NewLine(seg)
			if err != nil {
				continue
			}
			l.LineStyle = s.Style.Line()
			p.Add(l)
			line = l
		}
		if line == nil {
			line = &plotter.Line{LineStyle: s.Style.Line()}
		}
		if s.Legend {
			slots[si] = &LegendEntry{s.Label, append(thumbs, line)}
		}
	}
	var entries []LegendEntry
	for _, e := range slots {
		if e != nil {
			entries = append(entries, *e)
		}
	}
	return entries
}

// addBand adds the shaded ± band of s (if any) to p on the y scale ys and
// returns its legend thumbnail (none without a band). On a log axis the
// lower edge is clipped at the bottom of the axis.
func addBand(p *plot.Plot, s Series, ys yScale) []plot.Thumbnailer {
	if s.Band == nil {
		return nil
	}
	var thumbs []plot.Thumbnailer
	fill := bandColor(s.Style.Color)
	var up, dn []float64
	for k := range s.Y {
		up = append(up, s.Y[k]+s.Band[k])
		d := s.Y[k] - s.Band[k]
		if ys.log && d < ys.min {
			d = ys.min
		}
		dn = append(dn, d)
	}
	for k := range up {
		up[k], dn[k] = ys.ty(up[k]), ys.ty(dn[k])
	}
	for _, poly := range bandPolygons(s.X, up, dn) {
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
	return thumbs
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
func (f *Figure) layout(dc draw.Canvas, plots []*plot.Plot, legend *plot.Legend) (cs []draw.Canvas, lc draw.Canvas, used vg.Length) {
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
		if f.Square {
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

// Render draws the figure in format "png" or "svg".
func (f *Figure) Render(format string) ([]byte, error) {
	width := f.Width
	if width == 0 {
		width = figWidth
	}
	height := f.Height
	if height == 0 {
		height = panelHeight * vg.Length(len(f.Panels))
		if len(f.Panels) > 1 {
			height = 0.8 * height
		}
	}
	plots := make([]*plot.Plot, len(f.Panels))
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.TextStyle.Font.Size = vg.Points(11)
	legend.ThumbnailWidth = vg.Points(34)
	legend.Padding = vg.Points(5)
	for i := range f.Panels {
		p, entries := f.Panels[i].build()
		plots[i] = p
		for _, e := range entries {
			legend.Add(e.Label, e.Thumbs...)
		}
	}
	for _, e := range f.Legend {
		legend.Add(e.Label, e.Thumbs...)
	}
	if f.Square {
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
		panic("figure: Render: unknown format " + format)
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
		return nil, fmt.Errorf("figure: rendering %s: %w", format, err)
	}
	return buf.Bytes(), nil
}

// Log10Ticks marks an axis that shows log10 of the data: labels at the
// decades (every other one beyond 8 decades, and at 2 and 5 within a
// decade when less than two decades show, and at 3 below one decade), minor ticks at 2…9 times a decade.
type Log10Ticks struct{}

// Ticks implements plot.Ticker.
func (Log10Ticks) Ticks(lo, hi float64) []plot.Tick {
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
				t.Label = DecadeLabel(m, int(k))
			}
			if every == 2 && m > 1 {
				continue // too dense: decades only
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// DecadeLabel formats m·10^k (m = 1…9) exactly: plainly for
// 1e-4 ≤ value < 1e6, as "me±k" beyond.
func DecadeLabel(m, k int) string {
	switch {
	case k >= 0 && k < 6:
		return strconv.Itoa(m) + strings.Repeat("0", k)
	case k < 0 && k >= -4:
		return "0." + strings.Repeat("0", -k-1) + strconv.Itoa(m)
	}
	return fmt.Sprintf("%de%d", m, k)
}

// NiceTicks marks a linear axis at about seven round values (steps of 1, 2,
// 2.5 or 5 times a power of ten) with unlabelled minor ticks between them.
type NiceTicks struct{}

// Ticks implements plot.Ticker.
func (NiceTicks) Ticks(lo, hi float64) []plot.Tick {
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

// LogTicks marks an axis with a logarithmic scale (plot.LogScale) whose
// values are the data themselves, as Log10Ticks marks one showing their
// log10: labels at the decades (m·10^k written by DecadeLabel), minor
// ticks at 2…9 times a decade.
type LogTicks struct{}

// Ticks implements plot.Ticker.
func (LogTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) || math.IsInf(hi, 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	ticks := Log10Ticks{}.Ticks(math.Log10(lo), math.Log10(hi))
	for i := range ticks {
		// m·10^k to 15 digits, so that the tick sits on the exact value.
		v, _ := strconv.ParseFloat(strconv.FormatFloat(math.Pow(10, ticks[i].Value), 'g', 15, 64), 64)
		ticks[i].Value = v
	}
	return ticks
}

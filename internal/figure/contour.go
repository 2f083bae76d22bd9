package figure

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Grid is a function sampled on a rectangular grid: Values[r*len(Xs) + c]
// is its value at (Xs[c], Ys[r]) (row r, that is y, major). It implements
// plotter.GridXYZ.
type Grid struct {
	Xs, Ys []float64
	Values []float64
}

// Dims, Z, X and Y implement plotter.GridXYZ.
func (g *Grid) Dims() (c, r int)   { return len(g.Xs), len(g.Ys) }
func (g *Grid) Z(c, r int) float64 { return g.Values[r*len(g.Xs)+c] }
func (g *Grid) X(c int) float64    { return g.Xs[c] }
func (g *Grid) Y(r int) float64    { return g.Ys[r] }

// MinMax returns the smallest and largest value, or +Inf, +Inf if some
// value is not finite.
func (g *Grid) MinMax() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range g.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return math.Inf(1), math.Inf(1)
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return lo, hi
}

// Contours draws the level sets of a grid by marching squares, one
// path per level, cells in row-major order: unlike gonum's Contour (whose
// path order comes from map iteration) the output is byte-reproducible.
type Contours struct {
	Grid   *Grid
	Levels []float64
	Colors []color.Color
	Width  vg.Length
}

// Plot implements plot.Plotter.
func (cl *Contours) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	for li, lev := range cl.Levels {
		var path vg.Path
		cl.Grid.LevelSegments(lev, func(x0, y0, x1, y1 float64) {
			path.Move(vg.Point{X: trX(x0), Y: trY(y0)})
			path.Line(vg.Point{X: trX(x1), Y: trY(y1)})
		})
		if len(path) > 0 {
			c.SetLineStyle(draw.LineStyle{Color: cl.Colors[li%len(cl.Colors)], Width: cl.Width})
			c.Stroke(path)
		}
	}
}

// LevelSegments calls emit for each segment of the level set {z = lev},
// by marching squares over the cells in row-major order, the crossing on
// each cell edge placed by linear interpolation.
func (g *Grid) LevelSegments(lev float64, emit func(x0, y0, x1, y1 float64)) {
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

// ContourPalette shades contour lines from light (low f) to darker grey.
type ContourPalette struct{ N int }

// Colors implements palette.Palette.
func (p ContourPalette) Colors() []color.Color {
	cs := make([]color.Color, p.N)
	for k := range cs {
		a := float64(k) / math.Max(1, float64(p.N-1))
		v := uint8(200 - 90*a)
		cs[k] = color.NRGBA{v, v, uint8(min(255, int(v)+20)), 0xff}
	}
	return cs
}

package figure

import (
	"math"
	"strings"
	"testing"
)

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
		for _, tk := range (NiceTicks{}).Ticks(tc.lo, tc.hi) {
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
			t.Errorf("NiceTicks[%g, %g] = %v, want %s", tc.lo, tc.hi, got, tc.want)
		}
		if minor == 0 {
			t.Errorf("NiceTicks[%g, %g]: no minor ticks", tc.lo, tc.hi)
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
		for _, tk := range (Log10Ticks{}).Ticks(tc.lo, tc.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("Log10Ticks[%g, %g] = %v, want %s", tc.lo, tc.hi, got, tc.want)
		}
	}
}

// TestLevelSegments: marching squares on z = x² + y² traces the circle
// r = √level: every crossing lies on it to the interpolation error O(h²),
// and the segments' total length is its circumference to O(h²).
func TestLevelSegments(t *testing.T) {
	const n = 81
	g := &Grid{Xs: make([]float64, n), Ys: make([]float64, n), Values: make([]float64, n*n)}
	for i := range n {
		g.Xs[i] = -1 + 2*float64(i)/(n-1)
		g.Ys[i] = g.Xs[i]
	}
	for r := range n {
		for c := range n {
			g.Values[r*n+c] = g.Xs[c]*g.Xs[c] + g.Ys[r]*g.Ys[r]
		}
	}
	h := 2.0 / (n - 1)
	for _, lev := range []float64{0.1, 0.5} {
		var length float64
		segs := 0
		g.LevelSegments(lev, func(x0, y0, x1, y1 float64) {
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
		if got := DecadeLabel(tc.m, tc.k); got != tc.want {
			t.Errorf("DecadeLabel(%d, %d) = %s, want %s", tc.m, tc.k, got, tc.want)
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
		pn := Panel{Title: tc.name, XLabel: "x", YLabel: "y", Series: []Series{{Label: "s", X: x, Y: tc.y, Band: tc.band, Style: Style{Color: Blue, Width: 2}, Legend: true}}}
		p, entries := pn.build()
		_, isLog := p.Y.Tick.Marker.(Log10Ticks)
		if isLog != tc.log {
			t.Errorf("%s: log axis %v, want %v", tc.name, isLog, tc.log)
		}
		if isLog && !(p.Y.Min < p.Y.Max && p.Y.Max < 1) {
			t.Errorf("%s: log10 range [%g, %g], want within the data's decades", tc.name, p.Y.Min, p.Y.Max)
		}
		if len(entries) != 1 {
			t.Errorf("%s: %d legend entries, want 1", tc.name, len(entries))
		}
		if _, err := (&Figure{Panels: []Panel{pn}}).Render("png"); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

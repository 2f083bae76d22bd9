package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/grd-engine/grd/integrators"
	"github.com/grd-engine/grd/internal/figure"
)

// IntegratorConfig configures RunIntegrators, the integrator
// work-precision benchmark behind `grd bench integrators`. Zero fields
// mean the documented defaults.
type IntegratorConfig struct {
	// Problems to run (see IntegratorProblems). Default: all.
	Problems []string
	// Methods to run: adaptive methods of package integrators. Default:
	// bs3, dopri5, tsit5, dop853. Fixed-step methods (euler, heun, rk4) are
	// not part of the sweep: a tolerance has no meaning for them, and any
	// mapping of tolerance to step count would be arbitrary; requesting one
	// is an error.
	Methods []string
	// Tols are the tolerances of the sweep, rtol = atol = tol, each in
	// (0, 1). Default 1e-3, 1e-4, …, 1e-10.
	Tols []float64
	// Reps is the number of timed repetitions of each solve (after one
	// untimed solve); Seconds is their median. Default 3.
	Reps int
	// Stiff selects the stiff suite's defaults: problems robertson,
	// vdp1000, hires, quad1e6 and grdquad1e6 (StiffProblems), methods
	// dopri5, rodas4, rock4 and auto, tolerances 1e-3 … 1e-8. Fields set
	// explicitly take precedence.
	Stiff bool
}

// IntegratorRow is one solve of the sweep.
type IntegratorRow struct {
	Problem string
	Method  string
	Tol     float64
	// Error is the max-norm distance of the state at the end time from the
	// reference solution (the exact y0 for Arenstorf's closed orbit); +Inf
	// when the solve of a stiff problem failed (the counts are then those
	// up to the failure, and Seconds is one solve's time).
	Error float64
	// NFev, Steps (accepted) and Rejected count the work of one solve.
	// NFev includes the evaluations of F made for finite-difference
	// Jacobians.
	NFev, Steps, Rejected int
	// Seconds is the wall time of one solve: the median over Reps
	// repetitions, each averaging a batch of solves that lasts ≥ 2 ms.
	Seconds float64
	// NJac, NJv and NLinSolve are a stiff method's Jacobian evaluations,
	// Jacobian-vector products (exact ones where the problem supplies
	// them; for rock4 those of its spectral-radius power iteration) and
	// linear solves (integrators.Stats); zero for explicit methods.
	NJac, NJv, NLinSolve int
}

// integProblem is a benchmark problem with its reference end state.
type integProblem struct {
	name, title string
	f           integrators.Func
	y0          []float64
	t0, t1      float64
	ref         []float64
	// jv is the exact J·v if the problem supplies it (stiff methods only).
	jv func(t float64, y, v, jv []float64)
	// stiff marks the problems of the stiff suite (autonomous, every one).
	stiff bool
}

const (
	arenstorfMu = 0.012277471
	// arenstorfPeriod is the period of the Arenstorf orbit (Hairer,
	// Nørsett & Wanner, Solving ODEs I, §II.0).
	arenstorfPeriod = 17.0652165601579625588917206249
	grdtoyDim       = 10
	grdtoyC         = 0.01
)

// Reference end states, computed with DOP853 at rtol = atol = 1e-14 and
// checked against Tsit5 at 1e-13 by TestIntegratorReferences. Regenerate
// with
//
//	go test ./bench -run TestIntegratorReferences -v -args -printrefs
var (
	refLorenz    = [...]float64{13.793199595061647, 12.951803936090039, 34.901608681072638}
	refVanDerPol = [...]float64{2.0081497621749462, -0.042508875273199909}
	refGrdtoy    = [...]float64{0.35231306943674107, 0.11508447980233522, 0.028709339588477774, -0.0022837058021528984, -0.012994190256944465, -0.016318117473361898, -0.01698726835678922, -0.016732746863744073, -0.016183761543842993, -0.015565629771461404, -0.037822996309143854, -0.027827000514414352, -0.015354202197203941, -0.0075303652271369826, -0.0034620933403362217, -0.0015277689603249928, -0.00065521611831295624, -0.00027505148100238539, -0.00011345844687813111, -4.6036466853234908e-05}
)

func lorenzRHS(_ float64, y, dy []float64) {
	dy[0] = 10 * (y[1] - y[0])
	dy[1] = y[0]*(28-y[2]) - y[1]
	dy[2] = y[0]*y[1] - 8.0/3*y[2]
}

func arenstorfRHS(_ float64, y, dy []float64) {
	const mu, mup = arenstorfMu, 1 - arenstorfMu
	r1 := math.Hypot(y[0]+mu, y[1])
	r2 := math.Hypot(y[0]-mup, y[1])
	d1, d2 := r1*r1*r1, r2*r2*r2
	dy[0] = y[2]
	dy[1] = y[3]
	dy[2] = y[0] + 2*y[3] - mup*(y[0]+mu)/d1 - mu*(y[0]-mup)/d2
	dy[3] = y[1] - 2*y[2] - mup*y[1]/d1 - mu*y[1]/d2
}

func vanDerPolRHS(_ float64, y, dy []float64) {
	const mu = 1
	dy[0] = y[1]
	dy[1] = mu*(1-y[0]*y[0])*y[1] - y[0]
}

// grdtoyRHS is the GRD-shaped toy system on (w, u) ∈ R^10 × R^10:
//
//	ẇ = u,   u̇ = −A u − c (u·u) A w,   A = diag(1…10)/10, c = 0.01.
func grdtoyRHS(_ float64, y, dy []float64) {
	w, u := y[:grdtoyDim], y[grdtoyDim:2*grdtoyDim]
	dw, du := dy[:grdtoyDim], dy[grdtoyDim:2*grdtoyDim]
	var uu float64
	for _, v := range u {
		uu += v * v
	}
	for i := range w {
		a := float64(i+1) / 10
		dw[i] = u[i]
		du[i] = -a*u[i] - grdtoyC*uu*a*w[i]
	}
}

func grdtoyY0() []float64 {
	y := make([]float64, 2*grdtoyDim)
	for i := 0; i < grdtoyDim; i++ {
		y[i] = 1
		y[grdtoyDim+i] = -float64(i+1) / 10
	}
	return y
}

// integProblems returns the benchmark problems, in a fixed order.
func integProblems() []integProblem {
	aren := []float64{0.994, 0, 0, -2.00158510637908252240537862224}
	return []integProblem{
		{name: "lorenz", title: "Lorenz (σ=10, ρ=28, β=8/3), t in [0, 20]", f: lorenzRHS, y0: []float64{1, 1, 1}, t1: 20, ref: refLorenz[:]},
		{name: "arenstorf", title: "Arenstorf orbit, one period (error = distance to y0)", f: arenstorfRHS, y0: aren, t1: arenstorfPeriod, ref: aren},
		{name: "vanderpol", title: "Van der Pol (μ=1), t in [0, 20]", f: vanDerPolRHS, y0: []float64{2, 0}, t1: 20, ref: refVanDerPol[:]},
		{name: "grdtoy", title: "GRD toy (w in R^10), t in [0, 10]", f: grdtoyRHS, y0: grdtoyY0(), t1: 10, ref: refGrdtoy[:]},
	}
}

// IntegratorProblems returns the names of the (non-stiff) benchmark
// problems, the default set: lorenz, arenstorf, vanderpol, grdtoy.
func IntegratorProblems() []string {
	var names []string
	for _, p := range integProblems() {
		names = append(names, p.name)
	}
	return names
}

// StiffProblems returns the names of the stiff benchmark problems, the
// set of IntegratorConfig.Stiff: robertson, vdp1000, hires, quad1e6,
// grdquad1e6.
func StiffProblems() []string {
	var names []string
	for _, p := range stiffProblems() {
		names = append(names, p.name)
	}
	return names
}

// AllProblems returns IntegratorProblems and then StiffProblems: the names
// IntegratorConfig.Problems accepts.
func AllProblems() []string { return append(IntegratorProblems(), StiffProblems()...) }

func (c IntegratorConfig) withDefaults() IntegratorConfig {
	if len(c.Problems) == 0 {
		c.Problems = IntegratorProblems()
		if c.Stiff {
			c.Problems = StiffProblems()
		}
	}
	if len(c.Methods) == 0 {
		c.Methods = []string{"bs3", "dopri5", "tsit5", "dop853"}
		if c.Stiff {
			c.Methods = []string{"dopri5", "rodas4", "rock4", "auto"}
		}
	}
	if len(c.Tols) == 0 {
		last := 10
		if c.Stiff {
			last = 8
		}
		for k := 3; k <= last; k++ {
			c.Tols = append(c.Tols, math.Pow(10, -float64(k)))
		}
	}
	if c.Reps == 0 {
		c.Reps = 3
	}
	return c
}

// RunIntegrators runs the work-precision sweep: every problem × method ×
// tolerance, serially (timings on a shared machine are only comparable
// one at a time). Rows come in that order. Invalid names or tolerances are
// errors naming the valid choices; a failed solve is an error naming the
// problem, method and tolerance. Cancellation returns the rows done so
// far with the context's error.
func RunIntegrators(ctx context.Context, cfg IntegratorConfig) ([]IntegratorRow, error) {
	cfg = cfg.withDefaults()
	all := append(integProblems(), stiffProblems()...)
	var probs []integProblem
	for _, name := range cfg.Problems {
		i := slices.IndexFunc(all, func(p integProblem) bool { return p.name == strings.ToLower(name) })
		if i < 0 {
			return nil, fmt.Errorf("bench: unknown integrator problem %q (valid: %s)", name, strings.Join(AllProblems(), ", "))
		}
		probs = append(probs, all[i])
	}
	var methods []integrators.Method
	for _, name := range cfg.Methods {
		m, err := integrators.MethodByName(name)
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		if !m.Adaptive() {
			return nil, fmt.Errorf("bench: method %q has a fixed step and no tolerance; the work-precision sweep takes adaptive methods (bs3, dopri5, tsit5, dop853, rodas4, rock4, auto)", name)
		}
		methods = append(methods, m)
	}
	for _, tol := range cfg.Tols {
		if !(tol > 0 && tol < 1) {
			return nil, fmt.Errorf("bench: tolerance %g outside (0, 1)", tol)
		}
	}
	if cfg.Reps < 1 {
		return nil, fmt.Errorf("bench: Reps = %d, want ≥ 1", cfg.Reps)
	}
	var rows []IntegratorRow
	for _, p := range probs {
		for _, m := range methods {
			for _, tol := range cfg.Tols {
				row, err := integRun(ctx, p, m, tol, cfg.Reps)
				if err != nil {
					return rows, err
				}
				rows = append(rows, row)
			}
		}
	}
	return rows, nil
}

// integSolve solves p with m at rtol = atol = tol to its end time.
func integSolve(ctx context.Context, p integProblem, m integrators.Method, tol float64) (*integrators.Result, error) {
	pr := integrators.Problem{F: p.f, Y0: p.y0, T0: p.t0, T1: p.t1, JV: p.jv, Autonomous: p.stiff}
	return integrators.Solve(ctx, pr, m, []float64{p.t1}, &integrators.Settings{RTol: tol, ATol: tol, MaxSteps: 10_000_000})
}

func integRun(ctx context.Context, p integProblem, m integrators.Method, tol float64, reps int) (IntegratorRow, error) {
	row := IntegratorRow{Problem: p.name, Method: m.Name(), Tol: tol}
	failed := false
	solve := func() error {
		res, err := integSolve(ctx, p, m, tol)
		if err != nil {
			if errors.Is(err, integrators.ErrCancelled) {
				return ctx.Err()
			}
			if p.stiff && res != nil {
				// An explicit method may fail on a stiff problem (dopri5 on
				// Robertson at loose tolerances: step size underflow); that
				// is a result of the suite, not an error of the benchmark.
				row.NFev, row.Steps, row.Rejected = res.Stats.NFev, res.Stats.Accepted, res.Stats.Rejected
				row.NJac, row.NJv, row.NLinSolve = res.Stats.NJac, res.Stats.NJv, res.Stats.NLinSolve
				row.Error, failed = math.Inf(1), true
				return nil
			}
			return fmt.Errorf("bench: %s with %s at tol %g: %w", p.name, m.Name(), tol, err)
		}
		row.NFev, row.Steps, row.Rejected = res.Stats.NFev, res.Stats.Accepted, res.Stats.Rejected
		row.NJac, row.NJv, row.NLinSolve = res.Stats.NJac, res.Stats.NJv, res.Stats.NLinSolve
		row.Error = maxDist(res.YEnd, p.ref)
		return nil
	}
	// A first, untimed solve gives the results and the batch size: each
	// timed repetition runs enough solves to last ≥ integMinBatch, so that
	// microsecond solves are not dominated by timer and scheduler noise.
	start := time.Now()
	if err := solve(); err != nil {
		return row, err
	}
	if failed {
		row.Seconds = time.Since(start).Seconds()
		return row, nil
	}
	batch := 1
	if once := time.Since(start); once < integMinBatch {
		batch = min(1000, int(integMinBatch/max(once, time.Microsecond))+1)
	}
	secs := make([]float64, reps)
	for r := range secs {
		start := time.Now()
		for range batch {
			if err := solve(); err != nil {
				return row, err
			}
		}
		secs[r] = time.Since(start).Seconds() / float64(batch)
	}
	sort.Float64s(secs)
	row.Seconds = secs[len(secs)/2]
	if len(secs)%2 == 0 {
		row.Seconds = 0.5 * (secs[len(secs)/2-1] + secs[len(secs)/2])
	}
	return row, nil
}

// integMinBatch is the minimum duration of one timed repetition.
const integMinBatch = 2 * time.Millisecond

// maxDist is the max-norm distance of a and b (+Inf if their lengths differ).
func maxDist(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// IntegratorsCSVHeader is the header line of WriteIntegratorsCSV.
const IntegratorsCSVHeader = "problem,method,tol,error,nfev,steps,rejected,seconds"

// IntegratorsStiffCSVHeader is the header line of WriteIntegratorsCSV when
// the rows include a stiff problem or method (stiffColumns): the
// Jacobian evaluations, J·v products and linear solves are added.
const IntegratorsStiffCSVHeader = IntegratorsCSVHeader + ",njac,njv,linsolves"

// stiffColumns reports whether rows need the stiff columns: a stiff
// problem, or a method that did linear algebra.
func stiffColumns(rows []IntegratorRow) bool {
	stiff := StiffProblems()
	for _, r := range rows {
		if slices.Contains(stiff, r.Problem) || r.NJac+r.NJv+r.NLinSolve > 0 {
			return true
		}
	}
	return false
}

// WriteIntegratorsCSV writes rows as CSV with the header
// problem,method,tol,error,nfev,steps,rejected,seconds (floats in Go's
// shortest round-trip form), and njac,njv,linsolves after it when the rows
// include a stiff problem or method.
func WriteIntegratorsCSV(w io.Writer, rows []IntegratorRow) error {
	var b strings.Builder
	sc := stiffColumns(rows)
	if sc {
		b.WriteString(IntegratorsStiffCSVHeader)
	} else {
		b.WriteString(IntegratorsCSVHeader)
	}
	b.WriteByte('\n')
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for _, r := range rows {
		fmt.Fprintf(&b, "%s,%s,%s,%s,%d,%d,%d,%s", r.Problem, r.Method, g(r.Tol), g(r.Error), r.NFev, r.Steps, r.Rejected, g(r.Seconds))
		if sc {
			fmt.Fprintf(&b, ",%d,%d,%d", r.NJac, r.NJv, r.NLinSolve)
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteIntegratorsTable writes rows as an aligned human-readable table
// (with the columns njac, njv and linsolves when the rows include a stiff
// problem or method).
func WriteIntegratorsTable(w io.Writer, rows []IntegratorRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	sc := stiffColumns(rows)
	if sc {
		fmt.Fprintln(tw, "problem\tmethod\ttol\terror\tnfev\tsteps\trejected\tseconds\tnjac\tnjv\tlinsolves\t")
	} else {
		fmt.Fprintln(tw, "problem\tmethod\ttol\terror\tnfev\tsteps\trejected\tseconds\t")
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%.0e\t%.2e\t%d\t%d\t%d\t%.3e\t", r.Problem, r.Method, r.Tol, r.Error, r.NFev, r.Steps, r.Rejected, r.Seconds)
		if sc {
			fmt.Fprintf(tw, "%d\t%d\t%d\t", r.NJac, r.NJv, r.NLinSolve)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// PlotWorkPrecision draws the work-precision diagram of rows into path,
// PNG or SVG by its extension (.png, .svg): one row of panels per problem,
// error against RHS evaluations (left) and against seconds (right), both
// log-log, one line per method.
func PlotWorkPrecision(rows []IntegratorRow, path string) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".png" && ext != ".svg" {
		return fmt.Errorf("bench: plot file %q: want a .png or .svg extension", path)
	}
	if len(rows) == 0 {
		return errors.New("bench: no rows to plot")
	}
	var probs, methods []string
	for _, r := range rows {
		if !slices.Contains(probs, r.Problem) {
			probs = append(probs, r.Problem)
		}
		if !slices.Contains(methods, r.Method) {
			methods = append(methods, r.Method)
		}
	}
	titles := map[string]string{}
	for _, p := range append(integProblems(), stiffProblems()...) {
		titles[p.name] = p.title
	}
	plots := make([][]*plot.Plot, len(probs))
	for i, prob := range probs {
		plots[i] = make([]*plot.Plot, 2)
		for j := range 2 {
			t := titles[prob]
			if t == "" {
				t = prob
			}
			p, err := workPrecisionPanel(rows, prob, t, methods, j == 1)
			if err != nil {
				return err
			}
			plots[i][j] = p
		}
	}
	width, height := vg.Points(1100), vg.Points(float64(330*len(probs)))
	var c vg.CanvasWriterTo
	var dc draw.Canvas
	if ext == ".png" {
		img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(144))
		dc = draw.New(img)
		c = vgimg.PngCanvas{Canvas: img}
	} else {
		svg := vgsvg.New(width, height)
		dc = draw.New(svg)
		c = svg
	}
	tiles := draw.Tiles{Rows: len(probs), Cols: 2, PadX: vg.Points(24), PadY: vg.Points(24),
		PadTop: vg.Points(10), PadBottom: vg.Points(10), PadLeft: vg.Points(10), PadRight: vg.Points(16)}
	for i := range plots {
		for j := range plots[i] {
			plots[i][j].Draw(tiles.At(dc, j, i))
		}
	}
	return integWritePlot(path, c)
}

// workPrecisionPanel is one panel of PlotWorkPrecision: the error of each
// method on problem prob (titled title) against its RHS evaluations, or
// against its median time when byTime.
func workPrecisionPanel(rows []IntegratorRow, prob, title string, methods []string, byTime bool) (*plot.Plot, error) {
	p := plot.New()
	xname := "RHS evaluations"
	p.Title.Text = title + " — error vs work"
	if byTime {
		xname = "seconds (median)"
		p.Title.Text = title + " — error vs time"
	}
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xname
	// Keep this label short: gonum/plot reserves the rotated label's
	// width above the axis centre, and a long one pushes the data
	// area down.
	p.Y.Label.Text = "error (max norm)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = figure.LogTicks{}, figure.LogTicks{}
	p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size = vg.Points(10), vg.Points(10)
	p.X.Label.TextStyle.Font.Size, p.Y.Label.TextStyle.Font.Size = vg.Points(11), vg.Points(11)
	p.Add(plotter.NewGrid())
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for k, m := range methods {
		var xys plotter.XYs
		for _, r := range rows {
			if r.Problem != prob || r.Method != m {
				continue
			}
			x := float64(r.NFev)
			if byTime {
				x = r.Seconds
			}
			// Log axes: floor the error at 1e-16 and skip empty timings
			// and failed solves.
			if x <= 0 || math.IsInf(r.Error, 1) {
				continue
			}
			y := math.Max(r.Error, 1e-16)
			xys = append(xys, plotter.XY{X: x, Y: y})
			xlo, xhi = math.Min(xlo, x), math.Max(xhi, x)
			ylo, yhi = math.Min(ylo, y), math.Max(yhi, y)
		}
		if len(xys) == 0 {
			continue
		}
		sort.Slice(xys, func(a, b int) bool { return xys[a].X < xys[b].X })
		line, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("bench: plot %s/%s: %w", prob, m, err)
		}
		line.Color = plotutil.Color(k)
		line.Width = vg.Points(2)
		pts.Color = plotutil.Color(k)
		pts.Shape = plotutil.Shape(k)
		pts.Radius = vg.Points(3.5)
		p.Add(line, pts)
		p.Legend.Add(m, line, pts)
	}
	// Log axes spanning whole decades around the data, so that every
	// panel has labelled ticks (and a single point still has a valid
	// range).
	if xlo <= xhi {
		p.X.Min, p.X.Max = integDecades(xlo, xhi)
		p.Y.Min, p.Y.Max = integDecades(ylo, yhi)
	}
	// Work-precision lines fall from top left to bottom right: the
	// bottom-left corner is free for the legend.
	p.Legend.Top = false
	p.Legend.Left = true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), vg.Points(8)
	p.Legend.TextStyle.Font.Size = vg.Points(11)
	return p, nil
}

// integDecades widens [lo, hi] (lo > 0) to whole decades.
func integDecades(lo, hi float64) (float64, float64) {
	l := math.Pow(10, math.Floor(math.Log10(lo)))
	h := math.Pow(10, math.Ceil(math.Log10(hi)))
	if h <= l {
		h = l * 10
	}
	return l, h
}

func integWritePlot(path string, c io.WriterTo) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("bench: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("bench: writing %s: %w", path, err)
	}
	return nil
}

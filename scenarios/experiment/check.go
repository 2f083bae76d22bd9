package experiment

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/scenarios"
)

// checkFlows are the flows Check and Sweep run, whatever the scenario lists.
func checkFlows() []string { return []string{scenarios.FlowGD, scenarios.FlowNGD, scenarios.FlowGRD} }

// CheckReport is the outcome of Check: the run of gd, ngd and grd, and a
// plain-language verdict on how far GRD is from NGD.
type CheckReport struct {
	// Report is the run (its Scenario is the checked scenario with flows
	// [gd, ngd, grd]); its outputs can be written with WriteOutputs.
	*Report
	// Verdict says in plain words what the numbers show.
	Verdict string
}

// Check runs GD, NGD and GRD on sc (DESIGN §5, `grd check`) and reports the
// gap ‖w_grd − w_ngd‖, absolute and relative to the NGD path length
// max_t ‖w_ngd(t) − w0‖, the NGD–GD gap on the same scale, the largest NGD
// defect and R2/R1, and a verdict.
//
// The verdict calls the gap close below 1% of the NGD path length, rough
// below 10%, and a departure above; it compares it with the NGD–GD gap
// (GRD "much closer to NGD" when the ratio is below 1/3, "as large as the
// metric's own effect" up to 3, "farther" beyond); and it judges the (8)
// residual by the median of R2/R1 after the first tenth of the horizon
// (Comparisons.MedianR2OverR1: the initial transient left out) times the
// time span (the size of the second time derivative's contribution
// relative to the first over the horizon): "holds well" below 0.1,
// "approximately" below 1, "does not hold" beyond.
//
// Errors are as for Run: a problem before
// the flows start returns a nil report; a flow that fails returns the
// report with an error wrapping ErrFlowFailed (the verdict says so).
func Check(ctx context.Context, sc *scenarios.Scenario, opts RunOptions) (*CheckReport, error) {
	return checkWith(ctx, sc, opts, engineFlow)
}

// Verdict is the check's verdict (see Check) on any run report: what its
// GRD, NGD and GD trajectories say about the paper's claim, or why there is
// no verdict (a run without both grd and ngd).
func Verdict(r *Report) string {
	if r.Flow(scenarios.FlowGRD) == nil || r.Flow(scenarios.FlowNGD) == nil {
		return "No verdict: the run has no grd and ngd flows to compare (grd check runs them)."
	}
	return checkVerdict(r)
}

func checkWith(ctx context.Context, sc *scenarios.Scenario, opts RunOptions, run flowRunner) (*CheckReport, error) {
	c := *sc
	c.Flows = checkFlows()
	opts.declared = sc.Flows
	r, err := runWith(ctx, &c, opts, run)
	if r == nil {
		return nil, err
	}
	return &CheckReport{Report: r, Verdict: checkVerdict(r)}, err
}

// Gap thresholds of the verdicts, relative to the NGD path length.
const (
	closeGap = 0.01 // below: "closely"
	roughGap = 0.1  // below: "roughly"; above: "departs"
)

// checkVerdict states what the comparisons of r show.
func checkVerdict(r *Report) string {
	c := r.Comparisons
	var b strings.Builder
	if failed := r.Failed(); len(failed) > 0 {
		fmt.Fprintf(&b, "Incomplete: %s did not reach t1; the numbers below cover only the span computed. ", strings.Join(failed, ", "))
	}
	if r.Epsilon == 0 {
		b.WriteString("ε = 0: the metric is flat, NGD is GD and GRD is GD written as a second-order system, so there is nothing to compare.")
		return b.String()
	}
	if math.IsNaN(c.RelativeGap) {
		b.WriteString("No verdict: the NGD path length is zero or a flow recorded no rows.")
		return b.String()
	}
	g1, g2 := c.RelativeGap, c.RelativeGapNGDGD
	switch {
	case g1 <= closeGap:
		fmt.Fprintf(&b, "GRD follows NGD closely: the largest gap is %s of the NGD path length.", pct(g1))
	case g1 <= roughGap:
		fmt.Fprintf(&b, "GRD follows NGD roughly: the largest gap is %s of the NGD path length.", pct(g1))
	default:
		fmt.Fprintf(&b, "GRD departs from NGD: the largest gap is %s of the NGD path length.", pct(g1))
	}
	if !math.IsNaN(g2) && g2 > 0 {
		fmt.Fprintf(&b, " NGD itself departs from GD by %s, so ", pct(g2))
		switch q := g1 / g2; {
		case q < 1.0/3:
			fmt.Fprintf(&b, "GRD is %s times closer to NGD than NGD is to GD: at this ε the metric's effect is captured by NGD and GRD adds little to it.", fmtG(1/q))
		case q <= 3:
			b.WriteString("the GRD–NGD difference is as large as the metric's own effect: at this ε GRD does not reduce to NGD.")
		default:
			fmt.Fprintf(&b, "GRD is %s times farther from NGD than NGD is from GD: GRD does not reduce to NGD here.", fmtG(q))
		}
	}
	if span := r.Scenario.Time.T1 - r.Scenario.Time.T0; !math.IsNaN(c.MedianR2OverR1) {
		z := c.MedianR2OverR1 * span
		fmt.Fprintf(&b, " The residual of approximation (8), R2/R1 after the first tenth of the horizon, has median %s per unit time (max %s there, %s at t1, %s over the whole span including the initial transient); median × the time span %s = %s: ",
			fmtG(c.MedianR2OverR1), fmtG(c.LateMaxR2OverR1), fmtG(c.FinalR2OverR1), fmtG(c.MaxR2OverR1), fmtG(span), fmtG(z))
		if z < 0.1 {
			b.WriteString("(8) holds well over this horizon.")
		} else if z < 1 {
			b.WriteString("(8) holds only approximately over this horizon.")
		} else {
			b.WriteString("(8) does not hold over this horizon.")
		}
	}
	return b.String()
}

// DefaultSafeties are the safety factors s (ε = s/λ_max(D(w0))) Sweep uses
// when given none: a factor 8 in ε.
func DefaultSafeties() []float64 { return []float64{0.05, 0.1, 0.2, 0.4} }

// SweepPoint is one ε of a Sweep. Gaps are maxima over the output times;
// the relative gaps divide by the NGD path length L = max_t ‖w_ngd(t) − w0‖
// at this ε.
type SweepPoint struct {
	// Safety is s; Epsilon = s/λ_max(D(w0)).
	Safety, Epsilon float64
	// GapGRDNGD = max_t ‖w_grd − w_ngd‖ / L; GapNGDGD = max_t ‖w_ngd − w_gd‖ / L.
	GapGRDNGD, GapNGDGD float64
	// AbsGapGRDNGD and AbsGapNGDGD are the same maxima, not divided by L.
	AbsGapGRDNGD, AbsGapNGDGD float64
	// PathLength is L.
	PathLength float64
	// MaxR2OverR1 is max_t R2/R1 along GRD at this ε.
	MaxR2OverR1 float64
	// MaxNGDDefect is max_t ‖u + P∇f‖ along GRD at this ε.
	MaxNGDDefect float64
	// OK is false when ngd or grd (or gd) did not reach t1 at this ε; the
	// point is then left out of the slope fits.
	OK bool
	// Err says which flow failed and why ("" when OK).
	Err string
}

// SweepReport is the outcome of Sweep.
type SweepReport struct {
	// Scenario is the swept scenario (flows gd, ngd, grd).
	Scenario *scenarios.Scenario
	// Dim is d, Samples is N.
	Dim, Samples int
	// LambdaMax is λ_max(D(w0)).
	LambdaMax float64
	// Points holds one entry per safety, in increasing order.
	Points []SweepPoint
	// SlopeGRDNGD and SlopeNGDGD are the least-squares slopes of
	// log(relative gap) against log ε over the points that are OK and
	// positive (NaN with fewer than two): p means the gap scales as ε^p.
	SlopeGRDNGD, SlopeNGDGD float64
	// FitGRDNGD and FitNGDGD are the same fits in full: slope, its standard
	// error, intercept and the number of points (FitLogLog).
	FitGRDNGD, FitNGDGD LogLogFit
	// Run records the sweep's inputs, workers and span (provenance).
	Run RunInfo
	// Verdict states the orders and how they compare.
	Verdict string
	// Warnings: failed points, gaps near the integration tolerance.
	Warnings []string
}

// Sweep measures how the GRD–NGD and NGD–GD gaps scale with ε: for each
// safety s in (0, 1) it sets ε = s/λ_max(D(w0)) and runs NGD and GRD (GD,
// which does not depend on ε, runs once), then fits the log-log slopes of
// both relative gaps against ε. A slope near 1 means the gap is O(ε), near
// 2 O(ε²). The paper's main result is that GRD agrees with NGD beyond the
// order at which NGD departs from GD, i.e. a GRD–NGD slope above the
// NGD–GD one; the verdict says whether the numbers show that.
//
// It is an error if fewer than two distinct safeties are given, if one is
// outside (0, 1), or if λ_max(D(w0)) = 0 (ε would be 0 throughout). Points
// whose flows fail are kept (OK false) and left out of the fits; the error
// then wraps ErrFlowFailed.
func Sweep(ctx context.Context, sc *scenarios.Scenario, safeties []float64, opts RunOptions) (*SweepReport, error) {
	return sweepWith(ctx, sc, safeties, opts, engineFlow)
}

func sweepWith(ctx context.Context, sc *scenarios.Scenario, safeties []float64, opts RunOptions, run flowRunner) (*SweepReport, error) {
	if len(safeties) == 0 {
		safeties = DefaultSafeties()
	}
	ss := append([]float64(nil), safeties...)
	sort.Float64s(ss)
	for i, s := range ss {
		if !(s > 0 && s < 1) {
			return nil, fmt.Errorf("scenarios: sweep: safety %g is outside (0, 1)", s)
		}
		if i > 0 && s == ss[i-1] {
			return nil, fmt.Errorf("scenarios: sweep: safety %g given twice", s)
		}
	}
	if len(ss) < 2 {
		return nil, fmt.Errorf("scenarios: sweep: %d safety factor(s), need at least 2 to fit a slope", len(ss))
	}
	start := time.Now()
	c := *sc
	c.Flows = checkFlows()
	opts.declared = sc.Flows
	p, err := prepare(ctx, &c, c.Flows, opts)
	if err != nil {
		return nil, err
	}
	if p.lambdaMax == 0 {
		return nil, fmt.Errorf("scenarios: sweep %s: λ_max(D(w0)) = 0, so ε = 0 for every safety: nothing to sweep", sc.Name)
	}
	jobs := []flowJob{{flow: scenarios.FlowGD, label: scenarios.FlowGD, met: p.met}}
	for _, s := range ss {
		met := p.met
		if met.Epsilon, err = c.EpsilonAtSafety(s, p.lambdaMax); err != nil {
			return nil, err
		}
		for _, f := range []string{scenarios.FlowNGD, scenarios.FlowGRD} {
			jobs = append(jobs, flowJob{flow: f, label: fmt.Sprintf("%s s=%g", f, s), met: met})
		}
	}
	trs := runFlows(ctx, p, jobs, run, opts.Progress)
	gd := trs[0]
	var failed []error
	if gd.Status != flow.StatusOK {
		failed = append(failed, fmt.Errorf("gd %s: %v", gd.Status, gd.Err))
	}
	var points []SweepPoint
	for i, s := range ss {
		pt, errs := sweepPoint(s, jobs[1+2*i].met.Epsilon, gd, trs[1+2*i], trs[2+2*i], p.b.W0)
		points = append(points, pt)
		failed = append(failed, errs...)
	}
	rep := NewSweepReport(&c, p.b.Model.Dim(), p.b.Model.Len(), p.lambdaMax, points)
	inputs, err := p.b.InputFiles()
	if err != nil {
		return nil, err
	}
	rep.Run = RunInfo{Inputs: inputs, Workers: p.workers, Ranks: ranks(opts.Comm), Start: start.UTC(), End: time.Now().UTC()}
	if len(failed) > 0 {
		msgs := make([]string, len(failed))
		for i, e := range failed {
			msgs[i] = e.Error()
		}
		err := fmt.Errorf("scenarios: sweep %s: %w: %s", sc.Name, ErrFlowFailed, strings.Join(msgs, "; "))
		if ctx.Err() != nil {
			err = errors.Join(err, ctx.Err())
		}
		return rep, err
	}
	return rep, nil
}

// NewSweepReport completes an ε sweep from its points: it orders them by
// safety, fits the log-log slopes of both relative gaps against ε over the
// points that are OK, and adds the warnings and the verdict. Sweep uses it
// on the points it computes, and `grd check --collect` on points read from
// finished runs (one run per safety), so both give the same report for the
// same points. sc is the swept scenario (its name, time span and
// integrator tolerances are used); dim, samples and lambdaMax are d, N
// and λ_max(D(w0)).
func NewSweepReport(sc *scenarios.Scenario, dim, samples int, lambdaMax float64, points []SweepPoint) *SweepReport {
	rep := &SweepReport{Scenario: sc, Dim: dim, Samples: samples, LambdaMax: lambdaMax,
		Points: slices.Clone(points)}
	slices.SortStableFunc(rep.Points, func(a, b SweepPoint) int { return cmp.Compare(a.Safety, b.Safety) })
	var eps, g1, g2 []float64
	for _, pt := range rep.Points {
		if pt.OK {
			eps = append(eps, pt.Epsilon)
			g1 = append(g1, pt.GapGRDNGD)
			g2 = append(g2, pt.GapNGDGD)
		}
	}
	rep.FitGRDNGD, rep.FitNGDGD = FitLogLog(eps, g1), FitLogLog(eps, g2)
	rep.SlopeGRDNGD, rep.SlopeNGDGD = rep.FitGRDNGD.Slope, rep.FitNGDGD.Slope
	rep.Warnings = sweepWarnings(rep)
	rep.Verdict = sweepVerdict(rep)
	return rep
}

// sweepPoint is the sweep's point at safety s (ε = eps) from its ngd and
// grd trajectories and the common gd one, with an error for each of ngd and
// grd that did not reach t1.
func sweepPoint(s, eps float64, gd, ngd, grd *flow.Trajectory, w0 []float64) (SweepPoint, []error) {
	var failed []error
	cmp := compare(gd, ngd, grd, w0)
	pt := SweepPoint{
		Safety: s, Epsilon: eps,
		GapGRDNGD: cmp.RelativeGap, GapNGDGD: cmp.RelativeGapNGDGD,
		AbsGapGRDNGD: cmp.MaxGapGRDNGD, AbsGapNGDGD: cmp.MaxGapNGDGD,
		PathLength: cmp.NGDPathLength, MaxR2OverR1: cmp.MaxR2OverR1,
		MaxNGDDefect: cmp.MaxNGDDefect,
		OK:           statusOK(gd, ngd, grd),
	}
	var why []string
	for _, tr := range []*flow.Trajectory{ngd, grd} {
		if tr.Status != flow.StatusOK {
			msg := fmt.Sprintf("%s %s", tr.Flow, tr.Status)
			if tr.Err != nil {
				msg += ": " + tr.Err.Error()
			}
			why = append(why, msg)
			failed = append(failed, fmt.Errorf("s=%g: %s", s, msg))
		}
	}
	pt.Err = strings.Join(why, "; ")
	if !pt.OK && pt.Err == "" {
		pt.Err = "gd did not reach t1"
	}
	return pt, failed
}

// FitLogLogSlope fits log y = p log x + c by least squares over the points
// with x > 0 and y > 0 (both finite) and returns the slope p and the number
// of points used. p is NaN with fewer than two usable points or when the x
// values are all equal. FitLogLog also gives the standard error.
func FitLogLogSlope(x, y []float64) (p float64, n int) {
	f := FitLogLog(x, y)
	return f.Slope, f.N
}

// LogLogFit is a least-squares line log y = Slope·log x + Intercept.
type LogLogFit struct {
	// Slope is p; Intercept is c (natural logarithms).
	Slope, Intercept float64
	// StdErr is the standard error of the slope,
	//
	//	SE(p) = sqrt( Σ r_i² / (n − 2) / Σ (log x_i − mean log x)² ),  r_i the residuals,
	//
	// the ordinary least-squares estimate with the residual variance
	// estimated from the n − 2 degrees of freedom left after fitting two
	// parameters: NaN when n ≤ 2 (a line through two points has no
	// residual to estimate it from). It measures how far the points are from
	// a straight line, not the error of each point.
	StdErr float64
	// N is the number of points used.
	N int
}

// FitLogLog fits log y = p log x + c by least squares over the points with
// x > 0 and y > 0 (both finite). Slope and Intercept are NaN with fewer
// than two usable points or when the x values are all equal; StdErr is
// NaN unless N ≥ 3.
func FitLogLog(x, y []float64) LogLogFit {
	if len(x) != len(y) {
		panic(fmt.Sprintf("scenarios: FitLogLog: len(x) = %d ≠ len(y) = %d", len(x), len(y)))
	}
	var lx, ly []float64
	for i := range x {
		if x[i] > 0 && y[i] > 0 && !math.IsInf(x[i], 0) && !math.IsInf(y[i], 0) {
			lx = append(lx, math.Log(x[i]))
			ly = append(ly, math.Log(y[i]))
		}
	}
	f := LogLogFit{Slope: math.NaN(), Intercept: math.NaN(), StdErr: math.NaN(), N: len(lx)}
	n := len(lx)
	if n < 2 {
		return f
	}
	var mx, my float64
	for i := range lx {
		mx += lx[i]
		my += ly[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxy, sxx float64
	for i := range lx {
		dx := lx[i] - mx
		sxy += dx * (ly[i] - my)
		sxx += dx * dx
	}
	if sxx == 0 {
		return f
	}
	f.Slope = sxy / sxx
	f.Intercept = my - f.Slope*mx
	if n > 2 {
		var rss float64
		for i := range lx {
			r := ly[i] - (f.Intercept + f.Slope*lx[i])
			rss += r * r
		}
		f.StdErr = math.Sqrt(rss / float64(n-2) / sxx)
	}
	return f
}

// slopeText is a slope with two decimals and, when known, ± its standard
// error in parentheses-free form: "1.26 ± 0.03" (report.SlopeText, which
// shows slopes the same way).
func slopeText(f LogLogFit) string {
	if math.IsNaN(f.StdErr) {
		return fmt.Sprintf("%.2f", f.Slope)
	}
	return fmt.Sprintf("%.2f ± %.2f", f.Slope, f.StdErr)
}

// OrderName describes a fitted slope: "O(ε)" or "O(ε²)" when within 0.3 of
// 1 or 2 (0.3: a tenth of the way to the neighbouring order on a factor-8
// sweep is well above rounding and tolerance effects on smooth flows).
func OrderName(p float64) string {
	if math.IsNaN(p) {
		return "no fit"
	}
	for k, name := range []string{"O(ε⁰)", "O(ε)", "O(ε²)", "O(ε³)"} {
		if math.Abs(p-float64(k)) <= 0.3 {
			return name
		}
	}
	return "no clean order"
}

// noiseFloorFactor: a relative gap below noiseFloorFactor·rtol is flagged as
// possibly dominated by integration error.
const noiseFloorFactor = 1000

func sweepWarnings(r *SweepReport) []string {
	var w []string
	for _, pt := range r.Points {
		if !pt.OK {
			w = append(w, fmt.Sprintf("s = %g (ε = %s): %s; point left out of the fits", pt.Safety, fmtG(pt.Epsilon), pt.Err))
		}
	}
	floor := noiseFloorFactor * r.Scenario.Integrator.Rtol
	if r.Scenario.Integrator.DT > 0 {
		floor = 0 // fixed step: no tolerance to compare with
	}
	for _, pt := range r.Points {
		if pt.OK && pt.GapGRDNGD < floor {
			w = append(w, fmt.Sprintf("s = %g: the relative GRD–NGD gap %s is within %d× the integration tolerance rtol = %s: the slope may reflect integration error",
				pt.Safety, fmtG(pt.GapGRDNGD), noiseFloorFactor, fmtG(r.Scenario.Integrator.Rtol)))
		}
	}
	return w
}

func sweepVerdict(r *SweepReport) string {
	p1, p2 := r.SlopeGRDNGD, r.SlopeNGDGD
	if math.IsNaN(p1) || math.IsNaN(p2) {
		return "No verdict: fewer than two points with positive gaps could be fitted."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The GRD–NGD gap scales as ε^%s (%s) and the NGD–GD gap as ε^%s (%s). ", slopeText(r.FitGRDNGD), OrderName(p1), slopeText(r.FitNGDGD), OrderName(p2))
	switch d := p1 - p2; {
	case d >= 0.7:
		b.WriteString("GRD agrees with NGD to a higher order in ε than NGD agrees with GD, as the paper's main result says.")
	case d > -0.3:
		b.WriteString("GRD departs from NGD at the same order at which NGD departs from GD: the numbers do not show the paper's claim that GRD agrees with NGD beyond that order.")
	default:
		b.WriteString("GRD departs from NGD at a lower order than NGD departs from GD: the numbers contradict the paper's claim that GRD agrees with NGD beyond that order.")
	}
	if last := r.Points[len(r.Points)-1]; last.OK && last.GapNGDGD > 0 {
		fmt.Fprintf(&b, " At the largest ε (s = %g) the gaps are %s (GRD–NGD) and %s (NGD–GD) of the NGD path length.",
			last.Safety, pct(last.GapGRDNGD), pct(last.GapNGDGD))
	}
	if len(r.Warnings) > 0 {
		b.WriteString(" See the warnings.")
	}
	return b.String()
}

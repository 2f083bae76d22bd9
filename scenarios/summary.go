package scenarios

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"text/tabwriter"

	"github.com/grd-engine/grd/engine"
)

// WriteTable writes the short human summary `grd run` prints: one line per
// flow (status, final loss, nfev, steps, seconds), then d, N, λ_max and ε,
// the comparisons and the warnings. Numbers are shown to 4 significant
// digits; summary.json has them in full.
func (r *Report) WriteTable(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "%s: d = %d weights, N = %d samples, t ∈ [%s, %s], %d output times\n",
		r.Scenario.Name, r.Dim, r.Samples, fmtG(r.Scenario.Time.T0), fmtG(r.Scenario.Time.T1), len(r.Times))
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "flow\tstatus\tfinal loss\tnfev\tsteps\tseconds\t")
	for _, tr := range r.Flows {
		loss := "—"
		if n := tr.Len(); n > 0 && len(tr.Loss) >= n {
			loss = fmtG(tr.Loss[n-1])
			if len(tr.LossStd) >= n {
				loss += " ± " + fmtG(tr.LossStd[n-1])
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%.2f\t\n", tr.Flow, tr.Status, loss, tr.NFev, tr.Steps, tr.Seconds)
	}
	tw.Flush()
	fmt.Fprintf(ew, "λ_max(D(w0)) = %s, ε = %s (ε·λ_max = %s, %s inverse, %s Christoffel symbols)\n",
		fmtG(r.LambdaMax), fmtG(r.Epsilon), fmtG(r.Epsilon*r.LambdaMax), r.Scenario.Metric.Inverse, r.Scenario.Metric.Christoffel)
	c := r.Comparisons
	if !math.IsNaN(c.MaxGapGRDNGD) {
		fmt.Fprintf(ew, "max ‖w_grd − w_ngd‖ = %s = %s of the NGD path length %s\n",
			fmtG(c.MaxGapGRDNGD), pct(c.RelativeGap), fmtG(c.NGDPathLength))
	}
	if !math.IsNaN(c.MaxGapNGDGD) {
		fmt.Fprintf(ew, "max ‖w_ngd − w_gd‖  = %s = %s of the NGD path length\n", fmtG(c.MaxGapNGDGD), pct(c.RelativeGapNGDGD))
	}
	if !math.IsNaN(c.MaxNGDDefect) {
		fmt.Fprintf(ew, "max NGD defect ‖u + P∇f‖ = %s, max R2/R1 = %s\n", fmtG(c.MaxNGDDefect), fmtG(c.MaxR2OverR1))
	}
	for _, s := range r.Warnings {
		fmt.Fprintf(ew, "warning: %s\n", s)
	}
	return ew.err
}

// pct formats a ratio as a percentage ("n/a" when undefined).
func pct(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(100*x, 'g', 3, 64) + "%"
}

// errWriter remembers the first write error so that a sequence of Fprintf
// calls can be checked once.
type errWriter struct {
	w   io.Writer
	err error
}

// Write implements io.Writer.
func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// statusOK reports whether every trajectory reached t1.
func statusOK(trs ...*engine.Trajectory) bool {
	for _, tr := range trs {
		if tr != nil && tr.Status != engine.StatusOK {
			return false
		}
	}
	return true
}

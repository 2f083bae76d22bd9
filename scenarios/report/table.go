package report

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/grd-engine/grd/internal/textfmt"
	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
)

// WriteTable writes the short human summary `grd run` prints: one line per
// flow (status, final loss, for an rbm the final KL(p_data ‖ p_model),
// nfev, steps, seconds; ensembles with ± their spread over runs), then d,
// N, λ_max and ε,
// the comparisons and the warnings. Numbers are shown to 4 significant
// digits; summary.json has them in full.
func WriteTable(w io.Writer, r *experiment.Report) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "%s: d = %d weights, N = %d samples, t ∈ [%s, %s], %d output times\n",
		r.Scenario.Name, r.Dim, r.Samples, fmtG(r.Scenario.Time.T0), fmtG(r.Scenario.Time.T1), len(r.Times))
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	kl := r.Scenario.Model.Kind == scenarios.KindRBM
	if kl {
		fmt.Fprintln(tw, "flow\tstatus\tfinal loss\tfinal KL\tnfev\tsteps\tseconds\t")
	} else {
		fmt.Fprintln(tw, "flow\tstatus\tfinal loss\tnfev\tsteps\tseconds\t")
	}
	// final formats the last row of x (± the last of std when recorded).
	final := func(n int, x, std []float64) string {
		if n == 0 || len(x) < n {
			return "—"
		}
		s := fmtG(x[n-1])
		if len(std) >= n {
			s += " ± " + fmtG(std[n-1])
		}
		return s
	}
	for _, tr := range r.Flows {
		n := tr.Len()
		fmt.Fprintf(tw, "%s\t%s\t%s\t", tr.Flow, tr.Status, final(n, tr.Loss, tr.LossStd))
		if kl {
			fmt.Fprintf(tw, "%s\t", final(n, tr.KL, tr.KLStd))
		}
		fmt.Fprintf(tw, "%d\t%d\t%.2f\t\n", tr.NFev, tr.Steps, tr.Seconds)
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
		fmt.Fprintf(ew, "max NGD defect ‖u + P∇f‖ = %s, max R2/R1 = %s; after the first tenth of the horizon R2/R1 has median %s, max %s\n",
			fmtG(c.MaxNGDDefect), fmtG(c.MaxR2OverR1), fmtG(c.MedianR2OverR1), fmtG(c.LateMaxR2OverR1))
	}
	for _, s := range r.Warnings {
		fmt.Fprintf(ew, "warning: %s\n", s)
	}
	return ew.err
}

// pct formats a ratio as a percentage ("n/a" when undefined).
func pct(x float64) string { return textfmt.Pct(x) }

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

// fmtG formats x compactly for messages and tables.
func fmtG(x float64) string { return textfmt.G(x) }

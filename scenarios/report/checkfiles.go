package report

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"

	"github.com/grd-engine/grd/internal/outfile"
	"github.com/grd-engine/grd/scenarios/experiment"
)

// Machine-readable check results (DESIGN §9), written into DIR/check/ so
// that they are not mixed with the run's own outputs.
const (
	CheckDir      = "check"
	CheckJSONFile = "check.json" // grd check: gaps, defect, residual statistics, verdict
	SweepCSVFile  = "sweep.csv"  // grd check --sweep: one row per safety factor
	SweepJSONFile = "sweep.json" // grd check --sweep: points, slopes with standard errors, verdict
)

// SweepCSVHeader is the header of sweep.csv (DESIGN §9). Gaps are maxima
// over the output times divided by the NGD path length L; max_ngd_defect
// is absolute; a point whose flows did not reach t1 has empty cells.
var SweepCSVHeader = []string{"safety", "epsilon", "gap_grd_ngd", "gap_ngd_gd", "ngd_path_length", "max_ngd_defect", "max_r2_over_r1"}

// CheckJSON is the content of check.json.
type CheckJSON struct {
	Scenario string   `json:"scenario"`
	Dim      int      `json:"dim"`
	Samples  int      `json:"samples"`
	T0       float64  `json:"t0"`
	T1       float64  `json:"t1"`
	Lambda   *float64 `json:"lambda_max"`
	Epsilon  *float64 `json:"epsilon"`
	// Inverse and Christoffel are the metric's kinds, V0 GRD's initial velocity.
	Inverse     string `json:"inverse"`
	Christoffel string `json:"christoffel"`
	V0          string `json:"v0"`
	// Comparisons are as in summary.json.
	Comparisons ComparisonSummary `json:"comparisons"`
	// Status maps each flow to ok, failed or canceled.
	Status map[string]string `json:"status"`
	// Verdict is the plain-words verdict grd check prints.
	Verdict    string     `json:"verdict"`
	Warnings   []string   `json:"warnings"`
	Provenance Provenance `json:"provenance"`
}

// SweepPointJSON is one point of sweep.json (null: not available).
type SweepPointJSON struct {
	Safety        float64  `json:"safety"`
	Epsilon       *float64 `json:"epsilon"`
	GapGRDNGD     *float64 `json:"gap_grd_ngd"`
	GapNGDGD      *float64 `json:"gap_ngd_gd"`
	AbsGapGRDNGD  *float64 `json:"abs_gap_grd_ngd"`
	AbsGapNGDGD   *float64 `json:"abs_gap_ngd_gd"`
	NGDPathLength *float64 `json:"ngd_path_length"`
	MaxNGDDefect  *float64 `json:"max_ngd_defect"`
	MaxR2OverR1   *float64 `json:"max_r2_over_r1"`
	OK            bool     `json:"ok"`
	Error         string   `json:"error"`
}

// SlopeJSON is a fitted log-log slope: the gap scales as ε^slope.
type SlopeJSON struct {
	Slope *float64 `json:"slope"`
	// StdErr is the least-squares standard error of the slope (null with
	// fewer than three points): see experiment.LogLogFit.
	StdErr    *float64 `json:"std_err"`
	Intercept *float64 `json:"intercept"`
	Points    int      `json:"points"`
	Order     string   `json:"order"`
}

// SweepJSON is the content of sweep.json.
type SweepJSON struct {
	Scenario   string               `json:"scenario"`
	Dim        int                  `json:"dim"`
	Samples    int                  `json:"samples"`
	T0         float64              `json:"t0"`
	T1         float64              `json:"t1"`
	LambdaMax  *float64             `json:"lambda_max"`
	Points     []SweepPointJSON     `json:"points"`
	Slopes     map[string]SlopeJSON `json:"slopes"` // keys gap_grd_ngd, gap_ngd_gd
	Verdict    string               `json:"verdict"`
	Warnings   []string             `json:"warnings"`
	Provenance Provenance           `json:"provenance"`
}

// NewCheckJSON returns the content of check.json for cr.
func NewCheckJSON(cr *experiment.CheckReport) *CheckJSON {
	r := cr.Report
	sum, err := NewSummary(r)
	if err != nil { // the scenario echo cannot fail to encode; keep going without it
		sum = &Summary{}
	}
	st := map[string]string{}
	for _, tr := range r.Flows {
		st[string(tr.Flow)] = string(tr.Status)
	}
	sc := r.Scenario
	return &CheckJSON{
		Scenario: sc.Name, Dim: r.Dim, Samples: r.Samples, T0: sc.Time.T0, T1: sc.Time.T1,
		Lambda: jnum(r.LambdaMax), Epsilon: jnum(r.Epsilon),
		Inverse: sc.Metric.Inverse, Christoffel: sc.Metric.Christoffel, V0: sc.GRD.V0,
		Comparisons: sum.Comparisons, Status: st, Verdict: cr.Verdict,
		Warnings: append([]string{}, r.Warnings...), Provenance: NewProvenance(r),
	}
}

// NewSweepJSON returns the content of sweep.json for r.
func NewSweepJSON(r *experiment.SweepReport) *SweepJSON {
	sc := r.Scenario
	out := &SweepJSON{
		Scenario: sc.Name, Dim: r.Dim, Samples: r.Samples, T0: sc.Time.T0, T1: sc.Time.T1,
		LambdaMax: jnum(r.LambdaMax), Verdict: r.Verdict, Warnings: append([]string{}, r.Warnings...),
		Provenance: NewProvenance(&experiment.Report{Scenario: sc, Run: r.Run}),
		Slopes: map[string]SlopeJSON{
			"gap_grd_ngd": slopeJSON(r.FitGRDNGD),
			"gap_ngd_gd":  slopeJSON(r.FitNGDGD),
		},
		Points: []SweepPointJSON{},
	}
	for _, pt := range r.Points {
		out.Points = append(out.Points, SweepPointJSON{
			Safety: pt.Safety, Epsilon: jnum(pt.Epsilon),
			GapGRDNGD: jnum(pt.GapGRDNGD), GapNGDGD: jnum(pt.GapNGDGD),
			AbsGapGRDNGD: jnum(pt.AbsGapGRDNGD), AbsGapNGDGD: jnum(pt.AbsGapNGDGD),
			NGDPathLength: jnum(pt.PathLength), MaxNGDDefect: jnum(pt.MaxNGDDefect),
			MaxR2OverR1: jnum(pt.MaxR2OverR1), OK: pt.OK, Error: pt.Err,
		})
	}
	return out
}

func slopeJSON(f experiment.LogLogFit) SlopeJSON {
	return SlopeJSON{Slope: jnum(f.Slope), StdErr: jnum(f.StdErr), Intercept: jnum(f.Intercept), Points: f.N, Order: experiment.OrderName(f.Slope)}
}

// WriteSweepCSV writes sweep.csv (SweepCSVHeader): numbers in the shortest
// form that reads back to the same float64, empty cells for values that
// are not available.
func WriteSweepCSV(w io.Writer, r *experiment.SweepReport) error {
	ew := &errWriter{w: w}
	for i, h := range SweepCSVHeader {
		if i > 0 {
			io.WriteString(ew, ",")
		}
		io.WriteString(ew, h)
	}
	io.WriteString(ew, "\n")
	cell := func(x float64) string {
		if p := jnum(x); p != nil {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return ""
	}
	for _, pt := range r.Points {
		fmt.Fprintf(ew, "%s,%s,%s,%s,%s,%s,%s\n", cell(pt.Safety), cell(pt.Epsilon), cell(pt.GapGRDNGD), cell(pt.GapNGDGD),
			cell(pt.PathLength), cell(pt.MaxNGDDefect), cell(pt.MaxR2OverR1))
	}
	return ew.err
}

// WriteCheckFiles writes DIR/check/check.json for a check and returns the
// path written, relative to dir.
func WriteCheckFiles(dir string, cr *experiment.CheckReport) ([]string, error) {
	sub := filepath.Join(dir, CheckDir)
	if err := mkOutDir(sub); err != nil {
		return nil, err
	}
	if err := writeJSON(sub, CheckJSONFile, NewCheckJSON(cr)); err != nil {
		return nil, err
	}
	return []string{filepath.Join(CheckDir, CheckJSONFile)}, nil
}

// WriteSweepFiles writes DIR/check/sweep.csv and DIR/check/sweep.json for a
// sweep and returns the paths written, relative to dir.
func WriteSweepFiles(dir string, r *experiment.SweepReport) ([]string, error) {
	sub := filepath.Join(dir, CheckDir)
	if err := mkOutDir(sub); err != nil {
		return nil, err
	}
	if err := outfile.WriteAtomic(sub, SweepCSVFile, func(w io.Writer) error { return WriteSweepCSV(w, r) }); err != nil {
		return nil, err
	}
	if err := writeJSON(sub, SweepJSONFile, NewSweepJSON(r)); err != nil {
		return []string{filepath.Join(CheckDir, SweepCSVFile)}, err
	}
	return []string{filepath.Join(CheckDir, SweepCSVFile), filepath.Join(CheckDir, SweepJSONFile)}, nil
}

// writeJSON writes v indented into dir/name atomically.
func writeJSON(dir, name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("scenarios: encoding %s: %w", name, err)
	}
	return outfile.WriteAtomic(dir, name, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

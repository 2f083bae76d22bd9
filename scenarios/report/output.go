package report

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/internal/buildinfo"
	"github.com/grd-engine/grd/internal/outfile"
	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
)

// DefaultOutDir returns the output directory a run of sc writes into when
// none is given: out/<name>.
func DefaultOutDir(sc *scenarios.Scenario) string { return filepath.Join("out", sc.Name) }

// Output file names (DESIGN §5). Each flow writes <flow>.csv; the plots are
// written as <plot>.png and <plot>.svg.
const (
	SummaryFile   = "summary.json"
	PlotLoss      = "loss"      // loss vs t, every flow
	PlotGap       = "gap"       // ‖w_grd − w_ngd‖ and the NGD defect vs t
	PlotResiduals = "residuals" // R0, R1, R2 vs t
	PlotContours  = "contours"  // d = 2 only: loss contours and trajectories
	PlotSweep     = "sweep"     // grd check --sweep: gaps vs ε (WriteSweepPlots)
	PlotKL        = "kl"        // rbm only: KL(p_data ‖ p_model) vs t, every flow
)

// CSVHeader returns the header of <flow>.csv for a model with d weights
// (DESIGN §5):
//
//	gd, ngd:  t,loss,grad_norm,w_0,…,w_{d−1}
//	grd:      the same, then u_0,…,u_{d−1},ngd_defect,r0,r1,r2
//	sgd, sde, cd: t,loss_mean,loss_std,w_0,…,w_{d−1}  (ensemble means)
//
// The t of an ensemble row is the time t0 + j·η (sde: t0 + j·dt) of the
// step j it holds, the step nearest to the requested output time: equal to
// it when the output times lie on the step grid, up to half a step away
// otherwise (flow.EnsembleSpec). When the step is longer than the output
// spacing, neighbouring output times share a step: the CSV then holds one
// row per distinct step time (the summary's warnings say so).
//
// It panics on an unknown flow name. Trajectories of a model with an exact
// KL (rbm) add KL columns: see CSVHeaderKL.
func CSVHeader(flow string, d int) []string { return CSVHeaderKL(flow, d, false) }

// CSVHeaderKL is CSVHeader with, when kl is set (rbm scenarios, whose
// trajectories carry KL(p_data ‖ p_model)), the KL columns right after the
// loss columns:
//
//	gd, ngd, grd:  t,loss,kl,grad_norm,…
//	sgd, sde, cd:  t,loss_mean,loss_std,kl_mean,kl_std,…  (mean and population std over runs)
//
// The ensembles keep the loss_mean,loss_std pair of DESIGN §5 together and
// put the KL pair right after it.
func CSVHeaderKL(flow string, d int, kl bool) []string {
	var h []string
	switch flow {
	case scenarios.FlowGD, scenarios.FlowNGD, scenarios.FlowGRD:
		h = append(h, "t", "loss")
		if kl {
			h = append(h, "kl")
		}
		h = append(h, "grad_norm")
	case scenarios.FlowSGD, scenarios.FlowSDE, scenarios.FlowCD:
		h = append(h, "t", "loss_mean", "loss_std")
		if kl {
			h = append(h, "kl_mean", "kl_std")
		}
	default:
		panic("scenarios: CSVHeader: unknown flow " + strconv.Quote(flow))
	}
	for i := 0; i < d; i++ {
		h = append(h, "w_"+strconv.Itoa(i))
	}
	if flow == scenarios.FlowGRD {
		for i := 0; i < d; i++ {
			h = append(h, "u_"+strconv.Itoa(i))
		}
		h = append(h, "ngd_defect", "r0", "r1", "r2")
	}
	return h
}

// WriteCSV writes tr as <flow>.csv (see CSVHeader; with KL columns when
// tr.KL is set, see CSVHeaderKL) for a model with d weights: one row per recorded output time, numbers in the shortest form
// that reads back to the same float64 (strconv 'g', −1), so the file is
// byte-reproducible. A slice the trajectory lacks is an error (the
// trajectory does not belong to a flow of this kind).
func WriteCSV(w io.Writer, tr *flow.Trajectory, d int) error {
	hasKL := tr.KL != nil
	ensemble := tr.Flow.Ensemble()
	if err := checkRows(tr, hasKL, ensemble); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(strings.Join(CSVHeaderKL(string(tr.Flow), d, hasKL), ","))
	bw.WriteByte('\n')
	var buf []byte
	for k := 0; k < tr.Len(); k++ {
		if ensemble && k > 0 && tr.T[k] == tr.T[k-1] {
			continue // the same step as the row before (step longer than the output spacing)
		}
		var err error
		if buf, err = appendRow(buf[:0], tr, k, d, hasKL, ensemble); err != nil {
			return err
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// checkRows checks that tr has a row of every column WriteCSV writes for
// each of its output times.
func checkRows(tr *flow.Trajectory, hasKL, ensemble bool) error {
	n := tr.Len()
	need := func(name string, got int) error {
		if got < n {
			return fmt.Errorf("scenarios: %s trajectory has %d %s rows for %d output times", tr.Flow, got, name, n)
		}
		return nil
	}
	checks := []error{need("w", len(tr.W)), need("loss", len(tr.Loss))}
	if hasKL {
		checks = append(checks, need("kl", len(tr.KL)))
		if ensemble {
			checks = append(checks, need("kl_std", len(tr.KLStd)))
		}
	}
	if ensemble {
		checks = append(checks, need("loss_std", len(tr.LossStd)))
	} else {
		checks = append(checks, need("grad_norm", len(tr.GradNorm)))
	}
	if tr.Flow == flow.GRD {
		checks = append(checks, need("u", len(tr.U)), need("ngd_defect", len(tr.NGDDefect)),
			need("r0", len(tr.R0)), need("r1", len(tr.R1)), need("r2", len(tr.R2)))
	}
	return errors.Join(checks...)
}

// appendRow appends CSV row k of tr (columns as CSVHeaderKL, shortest
// round-trip numbers, a final newline) to buf.
func appendRow(buf []byte, tr *flow.Trajectory, k, d int, hasKL, ensemble bool) ([]byte, error) {
	num := func(x float64) {
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, x, 'g', -1, 64)
	}
	vec := func(name string, v []float64) error {
		if len(v) != d {
			return fmt.Errorf("scenarios: %s trajectory row %d: len(%s) = %d, want d = %d", tr.Flow, k, name, len(v), d)
		}
		for _, x := range v {
			num(x)
		}
		return nil
	}
	buf = strconv.AppendFloat(buf, tr.T[k], 'g', -1, 64)
	num(tr.Loss[k])
	if ensemble {
		num(tr.LossStd[k])
		if hasKL {
			num(tr.KL[k])
			num(tr.KLStd[k])
		}
	} else {
		if hasKL {
			num(tr.KL[k])
		}
		num(tr.GradNorm[k])
	}
	if err := vec("w", tr.W[k]); err != nil {
		return buf, err
	}
	if tr.Flow == flow.GRD {
		if err := vec("u", tr.U[k]); err != nil {
			return buf, err
		}
		num(tr.NGDDefect[k])
		num(tr.R0[k])
		num(tr.R1[k])
		num(tr.R2[k])
	}
	return append(buf, '\n'), nil
}

// CheckOutDir reports, without creating or leaving anything, whether dir can
// be used as an output directory: it must be a writable directory, or not
// exist yet below a writable existing directory. The caller can so refuse an
// unusable --out before a long run; the directory itself is created only
// when there is something to write (WriteOutputs).
func CheckOutDir(dir string) error {
	p := filepath.Clean(dir)
	for {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				if p == filepath.Clean(dir) {
					return fmt.Errorf("scenarios: output directory %s is a file, want a directory", dir)
				}
				return fmt.Errorf("scenarios: cannot create output directory %s: %s is a file", dir, p)
			}
			f, err := os.CreateTemp(p, ".grd-probe-*")
			if err != nil {
				return fmt.Errorf("scenarios: output directory %s is not writable: %w", dir, outfile.UnwrapPath(err))
			}
			name := f.Name()
			f.Close()
			os.Remove(name)
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return fmt.Errorf("scenarios: output directory %s: %w", dir, err)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return fmt.Errorf("scenarios: output directory %s: no existing parent directory", dir)
		}
		p = parent
	}
}

// mkOutDir creates dir (and its parents) for writing.
func mkOutDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("scenarios: cannot create output directory %s: %w", dir, outfile.UnwrapPath(err))
	}
	return nil
}

// WriteOutputs writes everything a run produces into dir, creating it if
// needed (DESIGN §5): <flow>.csv for every flow that recorded at least one
// row, the plots (PNG and SVG: loss, gap and residuals when their flows ran,
// contours when d = 2), summary.json, and then report.html, built from
// those files (WriteHTMLReport). summary.json is written last of the data,
// so that its presence means the set is complete: an interrupted run
// (Report.Interrupted) gets no summary.json (and no report.html), and an
// old one is removed first. Every file is written atomically
// (outfile.WriteAtomic), and dir is synced at the end, so the set is on
// disk when WriteOutputs returns.
// It returns the names of the files written, in the order written.
//
// Outputs depend only on the report (timings aside), so they are
// byte-identical for any worker count.
func WriteOutputs(dir string, r *experiment.Report) ([]string, error) {
	return writeOutputs(dir, r, true)
}

// writeOutputs is WriteOutputs, without the plots unless plots is set
// (tests of the other files under -race, where rasterising is slow).
func writeOutputs(dir string, r *experiment.Report, plots bool) ([]string, error) {
	if err := mkOutDir(dir); err != nil {
		return nil, err
	}
	// summary.json marks a complete set: drop an old one before the set changes.
	if err := os.Remove(filepath.Join(dir, SummaryFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("scenarios: removing the old %s: %w", filepath.Join(dir, SummaryFile), err)
	}
	var files []string
	for _, tr := range r.Flows {
		if tr.Len() == 0 {
			continue
		}
		name := string(tr.Flow) + ".csv"
		if err := outfile.WriteAtomic(dir, name, func(w io.Writer) error { return WriteCSV(w, tr, r.Dim) }); err != nil {
			return files, err
		}
		files = append(files, name)
	}
	if plots {
		plotted, err := writeRunPlots(dir, r)
		files = append(files, plotted...)
		if err != nil {
			return files, err
		}
	}
	if err := removeStale(dir, files); err != nil {
		return files, err
	}
	if !r.Interrupted() {
		if err := outfile.WriteAtomic(dir, SummaryFile, func(w io.Writer) error { return WriteSummaryJSON(w, r) }); err != nil {
			return files, err
		}
		files = append(files, SummaryFile)
		if err := WriteHTMLReport(dir); err != nil {
			return files, err
		}
		files = append(files, ReportFile)
	}
	if err := outfile.SyncDir(dir); err != nil {
		return files, fmt.Errorf("scenarios: %w", err)
	}
	return files, nil
}

// runOutputNames are the names of every file WriteOutputs may write (but
// summary.json): a CSV per flow and the plots of a run.
func runOutputNames() []string {
	var names []string
	for _, f := range flow.Names() {
		names = append(names, string(f)+".csv")
	}
	for _, p := range []string{PlotLoss, PlotKL, PlotGap, PlotResiduals, PlotContours} {
		names = append(names, p+".png", p+".svg")
	}
	return names
}

// removeStale removes from dir the run outputs (runOutputNames) that are
// not among written: the files an earlier run with other flows or another
// d left, which would otherwise sit beside this run's summary.json.
func removeStale(dir string, written []string) error {
	for _, name := range runOutputNames() {
		if slices.Contains(written, name) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("scenarios: removing the stale output %s: %w", filepath.Join(dir, name), err)
		}
	}
	return nil
}

// jnum is a JSON number that is null when not available or not finite
// (JSON has no NaN or infinity).
func jnum(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// Summary is the content of summary.json. Every key is always present;
// numbers that do not apply (or are not finite) are null.
type Summary struct {
	// Scenario echoes the scenario as run, every default filled in
	// (the scenario file format of DESIGN §4, as JSON).
	Scenario json.RawMessage `json:"scenario"`
	// Overrides lists the command-line overrides (--set KEY=VALUE) the
	// scenario was read with, in order; the scenario echo already holds
	// their values. Present only when there were some.
	Overrides []string `json:"overrides,omitempty"`
	// Dim is d, the number of weights.
	Dim int `json:"dim"`
	// Samples is N, the number of samples (data rows or quadratic terms).
	Samples int `json:"samples"`
	// LambdaMax is λ_max(D(w0)), the largest eigenvalue of the diffusion
	// matrix at the initial point.
	LambdaMax *float64 `json:"lambda_max"`
	// Epsilon is the ε used along every trajectory (auto: safety/λ_max,
	// 0 when λ_max = 0).
	Epsilon *float64 `json:"epsilon"`
	// Flows holds one entry per flow run, keyed by flow name.
	Flows map[string]FlowSummary `json:"flows"`
	// Comparisons compares the flows (null entries when a flow they need
	// did not run).
	Comparisons ComparisonSummary `json:"comparisons"`
	// Warnings lists what the reader should know: ε·λ_max ≥ 1 along a
	// flow, λ_max = 0 (ε = 0), flows that stopped early, flows an explicit
	// integrator found stiff, comparisons over a shortened span. Empty (not null) when there is nothing to say.
	Warnings []string `json:"warnings"`
	// Verdict is what the run's GRD, NGD and GD trajectories say about the
	// paper's claim, in the words of grd check (experiment.Verdict), or why
	// there is none.
	Verdict string `json:"verdict"`
	// Provenance says which grd, which inputs and which machine produced
	// the outputs (DESIGN §9).
	Provenance Provenance `json:"provenance"`
}

// Provenance is summary.json's record of how the outputs were produced
// (DESIGN §9). The grd fields come from the binary's build information
// (internal/buildinfo): a binary built by `go build` in a git checkout
// carries its commit; under `go run` and `go test` VCSRevision is "".
type Provenance struct {
	// GRDVersion is the one-line version `grd --version` prints.
	GRDVersion string `json:"grd_version"`
	// VCSRevision is the commit grd was built from ("" when not stamped),
	// VCSModified whether its work tree had uncommitted changes.
	VCSRevision string `json:"vcs_revision"`
	VCSModified bool   `json:"vcs_modified"`
	// GoVersion is the Go toolchain that built grd.
	GoVersion string `json:"go_version"`
	// Scenario is where the scenario came from: builtin:<name> or the
	// absolute path of its file; ScenarioSHA256 the SHA-256 of its text.
	Scenario       string `json:"scenario"`
	ScenarioSHA256 string `json:"scenario_sha256"`
	// DataFiles lists every file read (data, init.file) with its SHA-256
	// and shape; empty for inline or generated data.
	DataFiles []scenarios.InputFile `json:"data_files"`
	// Workers is the --workers budget; Ranks the number of processes (1).
	Workers int `json:"workers"`
	Ranks   int `json:"ranks"`
	// Host is the machine's host name.
	Host string `json:"host"`
	// Start and End bound the run, UTC, RFC 3339 with nanoseconds ("" when
	// unknown).
	Start string `json:"start_utc"`
	End   string `json:"end_utc"`
}

// NewProvenance returns the provenance record of the run r.
func NewProvenance(r *experiment.Report) Provenance {
	bi := buildinfo.Read()
	src, sum := r.Scenario.SourceSum()
	host, err := os.Hostname()
	if err != nil {
		host = ""
	}
	utc := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	files := append([]scenarios.InputFile{}, r.Run.Inputs...)
	return Provenance{
		GRDVersion:     bi.String(),
		VCSRevision:    bi.Revision,
		VCSModified:    bi.Modified,
		GoVersion:      bi.GoVersion,
		Scenario:       src,
		ScenarioSHA256: sum,
		DataFiles:      files,
		Workers:        r.Run.Workers,
		Ranks:          max(1, r.Run.Ranks),
		Host:           host,
		Start:          utc(r.Run.Start),
		End:            utc(r.Run.End),
	}
}

// FlowSummary is one flow's entry in summary.json.
type FlowSummary struct {
	// Status is ok (reached t1), failed (stopped by a numerical fault) or
	// canceled (stopped by interruption).
	Status string `json:"status"`
	// Error says why the flow stopped early; "" when Status is ok.
	Error string `json:"error"`
	// Rows is the number of output times recorded (= time.outputs when ok).
	Rows int `json:"rows"`
	// TEnd is the last output time recorded (null if none).
	TEnd *float64 `json:"t_end"`
	// FinalLoss is f(w) at TEnd (sgd/sde: the ensemble mean of f(w_r)).
	FinalLoss *float64 `json:"final_loss"`
	// FinalLossStd is the ensemble standard deviation of f(w_r) at TEnd
	// (sgd/sde; null for the deterministic flows).
	FinalLossStd *float64 `json:"final_loss_std"`
	// NFev counts right-hand-side evaluations of the integrator (gd, ngd,
	// grd) or gradient evaluations over all runs (sgd, sde).
	NFev int `json:"nfev"`
	// Steps counts accepted integrator steps (sgd, sde: steps per run).
	Steps int `json:"steps"`
	// Rejected counts rejected adaptive steps.
	Rejected int `json:"rejected"`
	// Seconds is the flow's wall time (the only non-reproducible number).
	Seconds float64 `json:"seconds"`
	// RHSSeconds and DiagnosticSeconds split the wall time of gd, ngd and
	// grd (absent for the ensembles): the right-hand side evaluations
	// (nfev of them) and the diagnostics at the output times (loss,
	// ε·λ_max, grd's residuals). Of this process's part of a resumed run.
	RHSSeconds        float64 `json:"rhs_seconds,omitempty"`
	DiagnosticSeconds float64 `json:"diagnostic_seconds,omitempty"`
	// MaxEpsLambdaMax is the largest ε·λ_max(D(w(t))) over the output times,
	// monitored along every flow (sgd, sde, cd: at the ensemble-mean w; 0
	// when ε = 0; null only when no row was recorded). ≥ 1 means the
	// weak-field inverse I − εD was not valid there (a warning).
	MaxEpsLambdaMax *float64 `json:"max_eps_lambda_max"`
	// RHSPasses and DiagnosticPasses count the same split as the seconds
	// in sweeps over the samples, the unit of the diagnostics' budget (a
	// fifth of the right-hand sides' passes, DESIGN §6; flow.Monitor).
	// MonitoredRows is the number of output rows at which ε·λ_max was
	// computed (t0, and the later rows the budget allowed: flow.Monitor),
	// MonitorTol the relative Lanczos tolerance after t0 (at t0 it is
	// 1e-10, the λ_max that fixes ε). All absent for the ensembles.
	RHSPasses        int64   `json:"rhs_passes,omitempty"`
	DiagnosticPasses int64   `json:"diagnostic_passes,omitempty"`
	MonitoredRows    int     `json:"monitored_rows,omitempty"`
	MonitorTol       float64 `json:"monitor_tol,omitempty"`
	// FinalKL is KL(p_data ‖ p_model) at TEnd and FinalKLStd its ensemble
	// standard deviation (rbm scenarios only; absent otherwise, and
	// FinalKLStd absent for the deterministic flows).
	FinalKL    *float64 `json:"final_kl,omitempty"`
	FinalKLStd *float64 `json:"final_kl_std,omitempty"`
}

// ComparisonSummary is the comparisons object of summary.json. With
// gap(t) = ‖w_grd(t) − w_ngd(t)‖ and the NGD path length
// L = max_t ‖w_ngd(t) − w0‖, all maxima over the output times both flows
// recorded:
type ComparisonSummary struct {
	// MaxGapGRDNGD is max_t ‖w_grd(t) − w_ngd(t)‖ (needs grd and ngd).
	MaxGapGRDNGD *float64 `json:"max_gap_grd_ngd"`
	// RelativeGap is MaxGapGRDNGD / L.
	RelativeGap *float64 `json:"relative_gap"`
	// NGDPathLength is L = max_t ‖w_ngd(t) − w0‖ (needs ngd).
	NGDPathLength *float64 `json:"ngd_path_length"`
	// MaxGapNGDGD is max_t ‖w_ngd(t) − w_gd(t)‖ (needs ngd and gd): how far
	// the metric moves NGD away from GD, the yardstick for MaxGapGRDNGD.
	MaxGapNGDGD *float64 `json:"max_gap_ngd_gd"`
	// RelativeGapNGDGD is MaxGapNGDGD / L.
	RelativeGapNGDGD *float64 `json:"relative_gap_ngd_gd"`
	// MaxNGDDefect is max_t ‖u + P∇f(w)‖ along GRD (needs grd).
	MaxNGDDefect *float64 `json:"max_ngd_defect"`
	// MaxR2OverR1 is max_t R2/R1 along GRD over the times with R1 > 0
	// (needs grd): how badly the approximation (8) fails, relative to the
	// first time derivative of the gradient differences.
	MaxR2OverR1 *float64 `json:"max_r2_over_r1"`
	// MedianR2OverR1 and LateMaxR2OverR1 are the median and the maximum of
	// R2/R1 over the output times after the first tenth of the span
	// (t ≥ t0 + (t_end − t0)/10, R1 > 0), leaving out the initial transient
	// that often makes MaxR2OverR1; FinalR2OverR1 is R2/R1 at the last
	// output time. The verdict judges (8) by the median.
	MedianR2OverR1  *float64 `json:"median_r2_over_r1"`
	LateMaxR2OverR1 *float64 `json:"late_max_r2_over_r1"`
	FinalR2OverR1   *float64 `json:"final_r2_over_r1"`
}

// NewSummary returns the content of summary.json for the run r.
func NewSummary(r *experiment.Report) (*Summary, error) {
	echo, err := json.Marshal(r.Scenario)
	if err != nil {
		return nil, fmt.Errorf("scenarios: encoding scenario %q: %w", r.Scenario.Name, err)
	}
	s := &Summary{
		Scenario:   echo,
		Overrides:  r.Scenario.OverrideStrings(),
		Dim:        r.Dim,
		Samples:    r.Samples,
		LambdaMax:  jnum(r.LambdaMax),
		Epsilon:    jnum(r.Epsilon),
		Flows:      make(map[string]FlowSummary, len(r.Flows)),
		Warnings:   append([]string{}, r.Warnings...),
		Verdict:    experiment.Verdict(r),
		Provenance: NewProvenance(r),
	}
	for _, tr := range r.Flows {
		fs := FlowSummary{
			Status:            string(tr.Status),
			Rows:              tr.Len(),
			NFev:              tr.NFev,
			Steps:             tr.Steps,
			Rejected:          tr.Rejected,
			Seconds:           tr.Seconds,
			RHSSeconds:        tr.RHSSeconds,
			DiagnosticSeconds: tr.DiagnosticSeconds,
			RHSPasses:         tr.RHSPasses,
			DiagnosticPasses:  tr.DiagnosticPasses,
			MonitorTol:        tr.MonitorTol,
		}
		m, monitored := tr.MaxEpsLambdaMax()
		fs.MaxEpsLambdaMax = jnum(m)
		if tr.MonitorTol > 0 {
			fs.MonitoredRows = monitored
		}
		if tr.Err != nil {
			fs.Error = tr.Err.Error()
		}
		if n := tr.Len(); n > 0 {
			fs.TEnd = jnum(tr.T[n-1])
			if len(tr.Loss) >= n {
				fs.FinalLoss = jnum(tr.Loss[n-1])
			}
			if len(tr.LossStd) >= n {
				fs.FinalLossStd = jnum(tr.LossStd[n-1])
			}
			if len(tr.KL) >= n {
				fs.FinalKL = jnum(tr.KL[n-1])
			}
			if len(tr.KLStd) >= n {
				fs.FinalKLStd = jnum(tr.KLStd[n-1])
			}
		}
		s.Flows[string(tr.Flow)] = fs
	}
	c := r.Comparisons
	s.Comparisons = ComparisonSummary{
		MaxGapGRDNGD:     jnum(c.MaxGapGRDNGD),
		RelativeGap:      jnum(c.RelativeGap),
		NGDPathLength:    jnum(c.NGDPathLength),
		MaxGapNGDGD:      jnum(c.MaxGapNGDGD),
		RelativeGapNGDGD: jnum(c.RelativeGapNGDGD),
		MaxNGDDefect:     jnum(c.MaxNGDDefect),
		MaxR2OverR1:      jnum(c.MaxR2OverR1),
		MedianR2OverR1:   jnum(c.MedianR2OverR1),
		LateMaxR2OverR1:  jnum(c.LateMaxR2OverR1),
		FinalR2OverR1:    jnum(c.FinalR2OverR1),
	}
	return s, nil
}

// WriteSummaryJSON writes summary.json of r (see Summary), indented, keys in a
// fixed order (flows sorted by name).
func WriteSummaryJSON(w io.Writer, r *experiment.Report) error {
	s, err := NewSummary(r)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("scenarios: encoding summary: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

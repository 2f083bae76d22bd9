package report

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/grd-engine/grd/internal/outfile"
	"github.com/grd-engine/grd/internal/textfmt"
	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
)

// ReportFile is the self-contained HTML report of a run directory
// (DESIGN §9): WriteOutputs writes it, `grd report DIR` rebuilds it.
const ReportFile = "report.html"

//go:embed report.html.tmpl
var reportTemplate string

// reportPlots are the plots a report shows, in order, with their captions.
var reportPlots = []struct{ name, caption string }{
	{PlotLoss, "Loss f(w(t)) along every flow (ensembles: mean ± std over runs); below, its excess over the lowest value any flow reached, on a log axis, where flows that end close together separate."},
	{PlotKL, "KL(p_data ‖ p_model) along every flow; below, its excess over the lowest value reached, on a log axis."},
	{PlotGap, "The GRD–NGD gap ‖w_grd − w_ngd‖ and the NGD defect ‖u + P∇f‖ along GRD."},
	{PlotResiduals, "Residuals of approximation (8) along GRD: R0 = √tr D, R1 and R2 the spreads over samples of the first and second time derivatives of the per-sample gradients. (8) holds exactly iff R2 = 0."},
	{PlotContours, "Loss contours (d = 2) with the paths of the flows."},
	{PlotSweep, "ε sweep (grd check --sweep): the relative GRD–NGD and NGD–GD gaps against the safety factor s = ε·λ_max on log-log axes (the slopes are those against ε), with reference slopes 1 and 2."},
}

// htmlReport is what the template renders; every field comes from the
// files of the run directory.
type htmlReport struct {
	Dir      string
	Summary  *Summary
	Scenario string // the scenario as run, YAML
	Name     string
	Span     string // "t ∈ [t0, t1], K output times" ("" when unknown)
	Flows    []htmlFlow
	Verdict  string
	Check    *CheckJSON
	Sweep    *SweepJSON
	SweepCSV bool
	Figures  []htmlFigure
	Files    []string
}

type htmlFlow struct {
	Name string
	FlowSummary
}

type htmlFigure struct {
	Name, Caption string
	Src           template.URL // data:image/svg+xml;base64,…
	Width, Height string
}

// WriteHTMLReport (re)builds DIR/report.html from the files in dir:
// summary.json (required), the SVG plots, and check/check.json,
// check/sweep.json when present. It reads nothing else and needs no run in
// memory, so an old run directory can be re-rendered.
func WriteHTMLReport(dir string) error {
	var buf bytes.Buffer
	if err := RenderHTMLReport(&buf, dir); err != nil {
		return err
	}
	return outfile.WriteAtomic(dir, ReportFile, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
}

// RenderHTMLReport writes the HTML report of the run directory dir to w
// (see WriteHTMLReport). The page is self-contained: the plots are inline
// SVG images (data: URLs), the style sheet is inline, there is no script
// and no font or other resource to fetch.
func RenderHTMLReport(w io.Writer, dir string) error {
	rep, err := loadHTMLReport(dir)
	if err != nil {
		return err
	}
	t, err := template.New("report").Funcs(template.FuncMap{
		"g":   func(p *float64) string { return fmtPtr(p, textfmt.G) },
		"pct": func(p *float64) string { return fmtPtr(p, textfmt.Pct) },
		"full": func(p *float64) string {
			return fmtPtr(p, func(x float64) string { return fmt.Sprint(x) })
		},
		"sec":   func(x float64) string { return fmt.Sprintf("%.2f", x) },
		"short": func(s string) string { return s[:min(len(s), 12)] },
		"shape": func(s []int) string { return strings.Trim(strings.Join(strings.Fields(fmt.Sprint(s)), " × "), "[]") },
		"upper": strings.ToUpper,
		"slope": func(sl SlopeJSON) string { // as SlopeText: two decimals ± the standard error
			f := experiment.LogLogFit{Slope: math.NaN(), StdErr: math.NaN()}
			if sl.Slope != nil {
				f.Slope = *sl.Slope
			}
			if sl.StdErr != nil {
				f.StdErr = *sl.StdErr
			}
			return SlopeText(f)
		},
	}).Parse(reportTemplate)
	if err != nil {
		panic("scenarios: report template: " + err.Error()) // a programmer error, caught by the tests
	}
	return t.Execute(w, rep)
}

func fmtPtr(p *float64, f func(float64) string) string {
	if p == nil {
		return "—"
	}
	return f(*p)
}

// loadHTMLReport reads the files of dir the report shows.
func loadHTMLReport(dir string) (*htmlReport, error) {
	rep := &htmlReport{Dir: dir}
	sc, err := rep.loadSummary(dir)
	if err != nil {
		return nil, err
	}
	rep.orderFlows(sc.Flows)
	if err := rep.loadChecks(dir); err != nil {
		return nil, err
	}
	if err := rep.loadFigures(dir); err != nil {
		return nil, err
	}
	if err := rep.listFiles(dir); err != nil {
		return nil, err
	}
	if rep.Summary.Scenario == nil && rep.Sweep == nil {
		return nil, fmt.Errorf("scenarios: report %s: no %s and no %s/%s: is it the output directory of a grd run?", dir, SummaryFile, CheckDir, SweepJSONFile)
	}
	return rep, nil
}

// loadSummary reads dir's summary.json, if any, into rep (an empty Summary
// when there is none: a sweep alone) and returns the scenario it echoes.
func (rep *htmlReport) loadSummary(dir string) (scenarios.Scenario, error) {
	var sc scenarios.Scenario
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	switch {
	case err == nil:
		var s Summary
		if err := json.Unmarshal(b, &s); err != nil {
			return sc, fmt.Errorf("scenarios: report %s: reading %s: %w", dir, SummaryFile, err)
		}
		rep.Summary, rep.Verdict = &s, s.Verdict
		if err := json.Unmarshal(s.Scenario, &sc); err == nil {
			rep.Name = sc.Name
			rep.Span = fmt.Sprintf("t ∈ [%s, %s], %d output times", fmtG(sc.Time.T0), fmtG(sc.Time.T1), sc.Time.Outputs)
			if y, err := sc.YAML(); err == nil {
				rep.Scenario = string(y)
			}
		}
		if rep.Scenario == "" {
			var pretty bytes.Buffer
			json.Indent(&pretty, s.Scenario, "", "  ")
			rep.Scenario = pretty.String()
		}
	case errors.Is(err, fs.ErrNotExist):
		// Only a sweep may have been written here (grd check --sweep): it
		// is reported alone (loadChecks).
		rep.Summary = &Summary{}
	default:
		return sc, fmt.Errorf("scenarios: report %s: %w", dir, err)
	}
	return sc, nil
}

// orderFlows lists the summary's flows in the scenario's order, then any
// other flow by name.
func (rep *htmlReport) orderFlows(flows []string) {
	s := rep.Summary
	order := slices.Clone(flows)
	for _, name := range slices.Sorted(maps.Keys(s.Flows)) {
		if !slices.Contains(order, name) {
			order = append(order, name)
		}
	}
	for _, name := range order {
		if f, ok := s.Flows[name]; ok {
			rep.Flows = append(rep.Flows, htmlFlow{Name: name, FlowSummary: f})
		}
	}
}

// loadChecks reads check/check.json and check/sweep.json, if present.
func (rep *htmlReport) loadChecks(dir string) error {
	s := rep.Summary
	readJSON := func(name string, v any) (bool, error) {
		b, err := os.ReadFile(filepath.Join(dir, CheckDir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		if err == nil {
			err = json.Unmarshal(b, v)
		}
		if err != nil {
			return false, fmt.Errorf("scenarios: report %s: reading %s/%s: %w", dir, CheckDir, name, err)
		}
		return true, nil
	}
	var cj CheckJSON
	if ok, err := readJSON(CheckJSONFile, &cj); err != nil {
		return err
	} else if ok {
		rep.Check = &cj
		if rep.Verdict == "" {
			rep.Verdict = cj.Verdict
		}
	}
	var sj SweepJSON
	if ok, err := readJSON(SweepJSONFile, &sj); err != nil {
		return err
	} else if ok {
		rep.Sweep = &sj
		if rep.Name == "" { // no summary.json: a sweep alone
			rep.Name = sj.Scenario
			s.Dim, s.Samples, s.LambdaMax, s.Provenance = sj.Dim, sj.Samples, sj.LambdaMax, sj.Provenance
			rep.Scenario = "(no summary.json here: only an ε sweep was run in this directory)"
		}
		_, err := os.Stat(filepath.Join(dir, CheckDir, SweepCSVFile))
		rep.SweepCSV = err == nil
	}
	return nil
}

// loadFigures inlines the SVG plots present in dir.
func (rep *htmlReport) loadFigures(dir string) error {
	for _, p := range reportPlots {
		b, err := os.ReadFile(filepath.Join(dir, p.name+".svg"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("scenarios: report %s: %w", dir, err)
		}
		f := htmlFigure{Name: p.name, Caption: p.caption,
			Src: template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(b))}
		f.Width, f.Height = svgSize(b)
		rep.Figures = append(rep.Figures, f)
	}
	return nil
}

// listFiles lists the run's outputs in dir (report.html included).
func (rep *htmlReport) listFiles(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("scenarios: report %s: %w", dir, err)
	}
	for _, e := range entries {
		// The checkpoint is transient (removed once the outputs are on
		// disk): the report lists the run's outputs only.
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") && e.Name() != experiment.CheckpointFile {
			rep.Files = append(rep.Files, e.Name())
		}
	}
	// The machine-readable checks (check.json, sweep.csv, sweep.json).
	if checks, err := os.ReadDir(filepath.Join(dir, CheckDir)); err == nil {
		for _, e := range checks {
			if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				rep.Files = append(rep.Files, CheckDir+"/"+e.Name())
			}
		}
	}
	if !slices.Contains(rep.Files, ReportFile) {
		rep.Files = append(rep.Files, ReportFile)
	}
	slices.Sort(rep.Files)
	return nil
}

// svgSize reads the width and height attributes of an SVG's root element
// ("" when absent), so that the page reserves the figure's space.
func svgSize(b []byte) (w, h string) {
	i := bytes.Index(b, []byte("<svg"))
	if i < 0 {
		return "", ""
	}
	end := bytes.IndexByte(b[i:], '>')
	if end < 0 {
		return "", ""
	}
	tag := string(b[i : i+end])
	attr := func(name string) string {
		k := strings.Index(tag, " "+name+`="`)
		if k < 0 {
			return ""
		}
		v := tag[k+len(name)+3:]
		v = v[:max(0, strings.IndexByte(v, '"'))]
		return strings.TrimSuffix(strings.TrimSuffix(v, "px"), "pt")
	}
	return attr("width"), attr("height")
}

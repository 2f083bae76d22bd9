package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
)

// ErrCollect is wrapped by the errors of CollectSweep about its inputs:
// a directory that is not a finished run, runs of different scenarios,
// two runs at the same ε.
var ErrCollect = errors.New("cannot collect the runs")

// ReadSummary reads DIR/summary.json as written by WriteOutputs.
func ReadSummary(dir string) (*Summary, error) {
	path := filepath.Join(dir, SummaryFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("scenarios: %s is not a grd summary.json: %w", path, err)
	}
	return &s, nil
}

// sweepKeys are the scenario keys the runs of a collected sweep may differ
// in (the ε of each run).
var sweepKeys = []string{"safety", "epsilon"}

// collected is one run of a collected sweep.
type collected struct {
	dir     string
	sum     *Summary
	sc      scenarios.Scenario // the scenario echo
	shared  map[string]any     // the echo without metric.safety and metric.epsilon
	safety  float64
	epsilon float64
}

// CollectSweep fits the ε sweep (the report of `grd check --sweep`) from
// finished runs, one per ε: the output directories of `grd run` (each with
// its summary.json) of one scenario run at different metric.safety (or
// metric.epsilon), e.g. by a job array with --set metric.safety=S. Each
// run gives the point at its ε from the comparisons its summary.json
// holds; the fits, warnings and verdict are experiment.NewSweepReport's,
// so the report equals Sweep's for the same safeties.
//
// It is an error (wrapping ErrCollect) if fewer than two directories are
// given, if one holds no summary.json or a checkpoint (an unfinished run:
// still running or interrupted), if a run did not run gd, ngd and grd, if
// the runs' scenarios differ in anything but metric.safety and
// metric.epsilon or their d, N or λ_max(D(w0)) differ, or if two runs have
// the same ε. Runs whose flows failed are kept as failed points (left out
// of the fits) and the error then wraps experiment.ErrFlowFailed, as
// Sweep's does; the report is returned with it.
func CollectSweep(dirs []string) (*experiment.SweepReport, error) {
	if len(dirs) < 2 {
		return nil, fmt.Errorf("scenarios: %w: %d run director%s, need at least 2 (one per ε) to fit a slope", ErrCollect, len(dirs), plural(len(dirs), "y", "ies"))
	}
	runs := make([]*collected, len(dirs))
	for i, dir := range dirs {
		r, err := readCollected(dir)
		if err != nil {
			return nil, err
		}
		runs[i] = r
	}
	first := runs[0]
	for _, r := range runs[1:] {
		if err := sameSweep(first, r); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].safety < runs[j].safety })
	var points []experiment.SweepPoint
	var failed []string
	for i, r := range runs {
		if i > 0 && (r.safety == runs[i-1].safety || r.epsilon == runs[i-1].epsilon) {
			return nil, fmt.Errorf("scenarios: %w: %s and %s are runs at the same ε (safety %g): give one run per ε",
				ErrCollect, runs[i-1].dir, r.dir, r.safety)
		}
		pt := collectPoint(r)
		if !pt.OK {
			failed = append(failed, fmt.Sprintf("s=%g (%s): %s", pt.Safety, r.dir, pt.Err))
		}
		points = append(points, pt)
	}
	sc := first.sc
	sc.Flows = []string{scenarios.FlowGD, scenarios.FlowNGD, scenarios.FlowGRD}
	rep := experiment.NewSweepReport(&sc, first.sum.Dim, first.sum.Samples, num(first.sum.LambdaMax), points)
	if len(failed) > 0 {
		return rep, fmt.Errorf("scenarios: sweep %s: %w: %s", sc.Name, experiment.ErrFlowFailed, strings.Join(failed, "; "))
	}
	return rep, nil
}

// readCollected reads and checks one run directory of a collected sweep.
func readCollected(dir string) (*collected, error) {
	refuse := func(format string, a ...any) error {
		return fmt.Errorf("scenarios: %w: %s: %s", ErrCollect, dir, fmt.Sprintf(format, a...))
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, refuse("not a directory (want the output directory of a finished grd run)")
	}
	if _, err := os.Stat(filepath.Join(dir, experiment.CheckpointFile)); err == nil {
		return nil, refuse("holds %s: the run is unfinished (still running, or interrupted: finish it with grd run --resume %s)", experiment.CheckpointFile, dir)
	}
	sum, err := ReadSummary(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, refuse("no %s: not the output directory of a finished grd run", SummaryFile)
	} else if err != nil {
		return nil, refuse("%v", err)
	}
	r := &collected{dir: dir, sum: sum}
	if err := json.Unmarshal(sum.Scenario, &r.sc); err != nil {
		return nil, refuse("the scenario in %s cannot be read: %v", SummaryFile, err)
	}
	if err := json.Unmarshal(sum.Scenario, &r.shared); err != nil {
		return nil, refuse("the scenario in %s cannot be read: %v", SummaryFile, err)
	}
	if m, ok := r.shared["metric"].(map[string]any); ok {
		for _, k := range sweepKeys {
			delete(m, k)
		}
	}
	for _, f := range []string{scenarios.FlowGD, scenarios.FlowNGD, scenarios.FlowGRD} {
		fs, ok := sum.Flows[f]
		if !ok {
			return nil, refuse("the run has no %s flow (flows %v): a sweep point needs gd, ngd and grd (run with --set flows=[gd,ngd,grd])", f, r.sc.Flows)
		}
		if fs.Status == string(flow.StatusCanceled) {
			return nil, refuse("flow %s was interrupted (status %s): the run is unfinished; finish it with grd run --resume %s", f, fs.Status, dir)
		}
	}
	if sum.Epsilon == nil || sum.LambdaMax == nil {
		return nil, refuse("%s has no ε or λ_max", SummaryFile)
	}
	r.epsilon = *sum.Epsilon
	r.safety = r.sc.Metric.Safety
	if r.sc.Metric.Epsilon.Fixed {
		r.safety = r.epsilon * *sum.LambdaMax // the safety a fixed ε amounts to
	}
	if !(r.epsilon > 0) {
		return nil, refuse("ε = %g: a sweep point needs ε > 0", r.epsilon)
	}
	return r, nil
}

// sameSweep checks that b is a run of a's scenario (up to its ε) on the
// same data and w0.
func sameSweep(a, b *collected) error {
	if path, va, vb, diff := firstDiff(a.shared, b.shared, ""); diff {
		return fmt.Errorf("scenarios: %w: %s and %s are runs of different scenarios: %s is %s in one and %s in the other (only metric.safety and metric.epsilon may differ)",
			ErrCollect, a.dir, b.dir, path, va, vb)
	}
	if a.sum.Dim != b.sum.Dim || a.sum.Samples != b.sum.Samples ||
		math.Float64bits(*a.sum.LambdaMax) != math.Float64bits(*b.sum.LambdaMax) {
		return fmt.Errorf("scenarios: %w: %s and %s have the same scenario but different set-ups (d %d/%d, N %d/%d, λ_max(D(w0)) %v/%v): was the data file changed between the runs?",
			ErrCollect, a.dir, b.dir, a.sum.Dim, b.sum.Dim, a.sum.Samples, b.sum.Samples, *a.sum.LambdaMax, *b.sum.LambdaMax)
	}
	return nil
}

// firstDiff finds the first key path (in sorted key order) at which two
// decoded JSON values differ, with both values rendered.
func firstDiff(a, b any, path string) (string, string, string, bool) {
	ma, aok := a.(map[string]any)
	mb, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range ma {
			keys[k] = true
		}
		for k := range mb {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if p, va, vb, d := firstDiff(ma[k], mb[k], p); d {
				return p, va, vb, true
			}
		}
		return "", "", "", false
	}
	if reflect.DeepEqual(a, b) {
		return "", "", "", false
	}
	return path, render(a), render(b), true
}

func render(v any) string {
	if v == nil {
		return "absent"
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(b.String())
}

// collectPoint is the sweep point of one run, as experiment's sweep
// computes it from the same trajectories.
func collectPoint(r *collected) experiment.SweepPoint {
	c := r.sum.Comparisons
	pt := experiment.SweepPoint{
		Safety: r.safety, Epsilon: r.epsilon,
		GapGRDNGD: num(c.RelativeGap), GapNGDGD: num(c.RelativeGapNGDGD),
		AbsGapGRDNGD: num(c.MaxGapGRDNGD), AbsGapNGDGD: num(c.MaxGapNGDGD),
		PathLength: num(c.NGDPathLength), MaxNGDDefect: num(c.MaxNGDDefect),
		MaxR2OverR1: num(c.MaxR2OverR1),
		OK:          true,
	}
	var why []string
	for _, f := range []string{scenarios.FlowGD, scenarios.FlowNGD, scenarios.FlowGRD} {
		if fs := r.sum.Flows[f]; fs.Status != string(flow.StatusOK) {
			pt.OK = false
			if f == scenarios.FlowGD {
				continue
			}
			msg := f + " " + fs.Status
			if fs.Error != "" {
				msg += ": " + fs.Error
			}
			why = append(why, msg)
		}
	}
	pt.Err = strings.Join(why, "; ")
	if !pt.OK && pt.Err == "" {
		pt.Err = "gd did not reach t1"
	}
	return pt
}

// num is a summary.json number: null is NaN.
func num(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/report"
	"github.com/spf13/cobra"
)

func TestParseRun(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		want      runOptions
		workers   int
		wantUsage string
	}{
		{args: []string{"run"}, want: runOptions{Scenario: scenarios.DefaultName}, workers: 4},
		{args: []string{"run", "quadratic-2d", "--out", "/tmp/x"}, want: runOptions{Scenario: "quadratic-2d", Out: "/tmp/x"}, workers: 4},
		{args: []string{"run", "my.yaml", "--workers", "2", "--out=o"}, want: runOptions{Scenario: "my.yaml", Out: "o"}, workers: 2},
		{args: []string{"run", "a", "b"}, wantUsage: "want at most 1 argument(s), got 2"},
		{args: []string{"run", "--out"}, wantUsage: "flag needs an argument"},
		{args: []string{"run", "--workers", "0"}, wantUsage: "--workers must be at least 1"},
		{args: []string{"run", "--sweep", "0.1"}, wantUsage: "unknown flag: --sweep"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var got *runOptions
			g, err := execParse(t, tc.args, func(g *globals) *cobra.Command {
				return newCmdRun(g, func(_ context.Context, o *runOptions) error { got = o; return nil })
			})
			wantParse(t, err, tc.wantUsage)
			if tc.wantUsage != "" {
				return
			}
			if g.Workers != tc.workers {
				t.Errorf("workers = %d, want %d", g.Workers, tc.workers)
			}
			got.g = nil
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("options = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

// smallScenario is a quick scenario with every flow: 3 generated quadratics
// in d = 3, few output times and ensemble runs.
const smallScenario = `name: small
seed: 5
model: {kind: quadratic, dim: 3, count: 6, condition: 4}
init: {normal: 1}
flows: [gd, ngd, grd, sgd, sde]
sgd: {lr: 0.05, batch: 2, runs: 4}
sde: {lr: 0.05, batch: 2, runs: 4, dt: 0.05}
time: {t1: 2, outputs: 11}
`

// TestRunOutputs runs a small scenario end to end with 1 and with 2
// workers: the CSV headers are DESIGN §5's, every file is byte-identical
// across worker counts except the timings in summary.json, stdout carries
// the summary table and stderr (not a terminal) stays empty.
func TestRunOutputs(t *testing.T) {
	dir := t.TempDir()
	scen := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(scen, []byte(smallScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	outs := []string{filepath.Join(dir, "w1"), filepath.Join(dir, "w2")}
	for i, out := range outs {
		stdout, stderr, code := grd(t, "run", scen, "--out", out, "--workers", []string{"1", "2"}[i])
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if stderr != "" {
			t.Errorf("stderr = %q, want nothing (not a terminal)", stderr)
		}
		for _, f := range []string{"small", "gd", "ngd", "grd", "sgd", "sde", "λ_max", out} {
			if !strings.Contains(stdout, f) {
				t.Errorf("summary on stdout lacks %q:\n%s", f, stdout)
			}
		}
	}
	wantHeaders := map[string]string{
		"gd.csv":  "t,loss,grad_norm,w_0,w_1,w_2",
		"ngd.csv": "t,loss,grad_norm,w_0,w_1,w_2",
		"grd.csv": "t,loss,grad_norm,w_0,w_1,w_2,u_0,u_1,u_2,ngd_defect,r0,r1,r2",
		"sgd.csv": "t,loss_mean,loss_std,w_0,w_1,w_2",
		"sde.csv": "t,loss_mean,loss_std,w_0,w_1,w_2",
	}
	for name, header := range wantHeaders {
		b, err := os.ReadFile(filepath.Join(outs[0], name))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if lines[0] != header {
			t.Errorf("%s header = %q, want %q", name, lines[0], header)
		}
		if len(lines) != 1+11 {
			t.Errorf("%s has %d rows, want one per output time (11)", name, len(lines)-1)
		}
	}
	names := func(d string) []string {
		es, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		var n []string
		for _, e := range es {
			n = append(n, e.Name())
		}
		return n
	}
	files := names(outs[0])
	if !reflect.DeepEqual(files, names(outs[1])) {
		t.Fatalf("file sets differ: %v vs %v", files, names(outs[1]))
	}
	for _, want := range []string{"summary.json", "loss.png", "loss.svg", "gap.png", "residuals.svg"} {
		if !slices.Contains(files, want) {
			t.Errorf("%s not written (files: %v)", want, files)
		}
	}
	for _, f := range files {
		a, err1 := os.ReadFile(filepath.Join(outs[0], f))
		b, err2 := os.ReadFile(filepath.Join(outs[1], f))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if f == report.SummaryFile {
			a, b = dropTimings(t, a), dropTimings(t, b)
		}
		if f == report.ReportFile {
			continue // shows the times and workers; its numbers come from summary.json
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between --workers 1 and --workers 2", f)
		}
	}
}

// dropTimings removes the wall times (flows.*.seconds, rhs_seconds,
// diagnostic_seconds) and the provenance's workers, start and end from
// summary.json.
func dropTimings(t *testing.T, b []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	flows, ok := m["flows"].(map[string]any)
	if !ok {
		t.Fatalf("summary.json has no flows object")
	}
	for name, f := range flows {
		fm := f.(map[string]any)
		if _, ok := fm["seconds"]; !ok {
			t.Errorf("summary.json flows.%s has no seconds", name)
		}
		delete(fm, "seconds")
		delete(fm, "rhs_seconds") // gd, ngd, grd: the split of seconds
		delete(fm, "diagnostic_seconds")
	}
	// The provenance of two runs differs by design: their worker budgets
	// and their times.
	if p, ok := m["provenance"].(map[string]any); ok {
		delete(p, "workers")
		delete(p, "start_utc")
		delete(p, "end_utc")
	} else {
		t.Errorf("summary.json has no provenance object")
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRunFlowFails: a diverging flow still gets every output written, then
// grd exits 1 with one line naming the flow.
func TestRunFlowFails(t *testing.T) {
	dir := t.TempDir()
	scen := filepath.Join(dir, "diverge.yaml")
	// Explicit Euler with dt = 5 is unstable for gd on these quadratics: the
	// state overflows to Inf within a few hundred steps, while ngd (whose
	// metric damps the stiff directions) stays finite.
	yaml := "name: diverge\nseed: 1\nmodel: {kind: quadratic, dim: 3, count: 4, condition: 10}\nflows: [gd, ngd]\n" +
		"integrator: {method: euler, dt: 5}\ntime: {t1: 4000, outputs: 5}\n"
	if err := os.WriteFile(scen, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	stdout, stderr, code := grd(t, "run", scen, "--out", out)
	if code != exitError || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "grd: ") || !strings.Contains(stderr, "gd failed") {
		t.Fatalf("exit %d, stderr %q: want exit 1 and one line naming the gd flow", code, stderr)
	}
	if !strings.Contains(stdout, "failed") {
		t.Errorf("summary table does not show the failure:\n%s", stdout)
	}
	for _, f := range []string{"gd.csv", "ngd.csv", "summary.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "no-such-scenario"}, "no-such-scenario"},
		{[]string{"run", "quadratic-2d", "--out", file}, file},
	} {
		out, errs, code := grd(t, tc.args...)
		if code != exitError || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and one line naming %q", tc.args, code, out, errs, tc.want)
		}
	}
}

func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newProgressLineClock(&b, "grd run x:", 3, func() time.Time { return now })
	p.setSpan(0, 10)
	now = now.Add(3 * time.Second)
	nan := math.NaN()
	p.Update("gd", 0.5, 0.25)  // F = 0.5/3: ETA 3 s × 5 = 15 s
	p.Update("gd", 0.501, nan) // same whole percentage, no new loss: no redraw
	p.Update("grd", 0.2, nan)  // no row yet: no loss shown
	now = now.Add(5 * time.Second)
	p.Update("gd", 1, 0.125)
	p.Update("sgd", 2, nan) // clamped to 100%
	p.Update("sde", 0, nan) // a fourth flow: the total grows
	p.Update("grd", 0.2, 3) // same percentage, a new loss: redrawn
	p.Done()
	want := "\rgrd run x: 0/3 done  gd  50% t=5 loss=0.25  elapsed 0:03  ETA 0:15" +
		"\rgrd run x: 0/3 done  gd  50% t=5 loss=0.25  grd  20% t=2  elapsed 0:03  ETA 0:10" + // F = 0.7/3: 9.86 s
		"\rgrd run x: 1/3 done  grd  20% t=2  elapsed 0:08  ETA 0:12                       " + // F = 0.4
		"\rgrd run x: 2/3 done  grd  20% t=2  elapsed 0:08  ETA 0:03" + // F = 2.2/3: 2.9 s
		"\rgrd run x: 2/4 done  grd  20% t=2  sde   0% t=0  elapsed 0:08  ETA 0:07" + // F = 0.55: 6.5 s
		"\rgrd run x: 2/4 done  grd  20% t=2 loss=3  sde   0% t=0  elapsed 0:08  ETA 0:07\n"
	if b.String() != want {
		t.Errorf("progress output\n%q\nwant\n%q", b.String(), want)
	}
	if got := clock(3725 * time.Second); got != "1:02:05" {
		t.Errorf("clock(3725 s) = %q", got)
	}
	var nilLine *progressLine
	nilLine.Done() // no-op
}

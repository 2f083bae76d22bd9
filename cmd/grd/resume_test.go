package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/grd-engine/grd/internal/outfile"
	"github.com/grd-engine/grd/scenarios/experiment"
	"github.com/grd-engine/grd/scenarios/report"
)

// longScenario takes a few hundred milliseconds: long enough to be
// interrupted mid-run.
const longScenario = `name: long
seed: 3
model: {kind: quadratic, dim: 4, count: 40, condition: 30}
init: {normal: 1}
flows: [gd, ngd, grd, sgd]
sgd: {lr: 0.01, batch: 4, runs: 8}
integrator: {method: dop853, rtol: 1.0e-12, atol: 1.0e-14}
time: {t1: 30, outputs: 61}
`

// sameDirs fails unless a and b hold the same files, byte for byte
// (summary.json without wall times).
func sameDirs(t *testing.T, a, b, what string) {
	t.Helper()
	ls := func(d string) []string {
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
	fa, fb := ls(a), ls(b)
	if !slices.Equal(fa, fb) {
		t.Fatalf("%s: files %v, want %v", what, fb, fa)
	}
	for _, f := range fa {
		x, _ := os.ReadFile(filepath.Join(a, f))
		y, _ := os.ReadFile(filepath.Join(b, f))
		if f == report.SummaryFile {
			x, y = dropTimings(t, x), dropTimings(t, y)
		}
		if f == report.ReportFile {
			continue // shows the times and workers; its numbers come from summary.json
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s: %s differs", what, f)
		}
	}
}

// interruptRun runs grd with args and cancels its context (as SIGINT does
// through signal.NotifyContext) from the first progress update for which
// at(flow, frac) holds: a state the test chooses, not a race with a timer.
// It fails the test if the run was not interrupted.
func interruptRun(t *testing.T, args []string, stdout, stderr *bytes.Buffer, at func(flow string, frac float64) bool) int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g := &globals{Out: stdout, Err: stderr, Workers: 2, progress: func(fl string, frac float64) {
		if at(fl, frac) {
			cancel()
		}
	}}
	code := runWith(ctx, args, g)
	if ctx.Err() == nil {
		t.Fatalf("grd %s: the interrupting state was never reached (exit %d, stderr %q)", strings.Join(args, " "), code, stderr.String())
	}
	return code
}

// TestRunInterruptResume interrupts `grd run` (its context is canceled, as
// SIGINT does through signal.NotifyContext, after the first step of a
// flow), checks the exit status and message, resumes with
// `grd run --resume DIR` and compares every output file with an
// uninterrupted run's.
func TestRunInterruptResume(t *testing.T) {
	dir := t.TempDir()
	scen := filepath.Join(dir, "long.yaml")
	if err := os.WriteFile(scen, []byte(longScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(dir, "full")
	if _, errs, code := grd(t, "run", scen, "--out", full, "--checkpoint-every", "-1s"); code != exitOK {
		t.Fatalf("uninterrupted run: exit %d: %s", code, errs)
	}
	out := filepath.Join(dir, "out")
	var so, se bytes.Buffer
	code := interruptRun(t, []string{"run", scen, "--out", out, "--checkpoint-every", "1s", "--workers", "2"}, &so, &se,
		func(_ string, frac float64) bool { return frac > 0 }) // after the first step of any flow
	want := "grd: interrupted: the checkpoint and the outputs so far are in " + out + "; continue with: grd run --resume " + out + "\n"
	if code != exitError || se.String() != want {
		t.Fatalf("interrupted run: exit %d, stderr %q; want exit 1 and %q", code, se.String(), want)
	}
	if _, err := os.Stat(filepath.Join(out, report.SummaryFile)); !os.IsNotExist(err) {
		t.Errorf("an interrupted run wrote summary.json (stat: %v); it marks a complete set", err)
	}
	// A checkpoint of another scenario is refused.
	other := filepath.Join(dir, "other.yaml")
	if err := os.WriteFile(other, []byte(strings.Replace(longScenario, "seed: 3", "seed: 4", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := grd(t, "run", other, "--resume", out); code != exitError || !strings.Contains(errs, "it belongs to another scenario") {
		t.Errorf("resume with another scenario: exit %d, stderr %q", code, errs)
	}
	if _, errs, code := grd(t, "run", "--resume", out, "--workers", "7"); code != exitOK {
		t.Fatalf("resumed run: exit %d: %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(out, experiment.CheckpointFile)); !os.IsNotExist(err) {
		t.Errorf("checkpoint left after the run finished (stat: %v)", err)
	}
	sameDirs(t, full, out, "resumed run")
}

// TestResumeErrors: --resume of a directory without a checkpoint exits 1
// naming the file; --out and --resume of different directories is a
// usage error (exit 2).
func TestResumeErrors(t *testing.T) {
	dir := t.TempDir()
	_, errs, code := grd(t, "run", "--resume", dir)
	want := "grd: scenarios: unusable checkpoint: " + filepath.Join(dir, experiment.CheckpointFile) + " does not exist (grd writes it when a run is interrupted; without one, start the run afresh)\n"
	if code != exitError || errs != want {
		t.Errorf("no checkpoint: exit %d, stderr %q; want 1 and %q", code, errs, want)
	}
	_, errs, code = grd(t, "run", "--resume", dir, "--out", filepath.Join(dir, "x"))
	if code != exitUsage || !strings.Contains(errs, "a resumed run writes into the directory it resumes") {
		t.Errorf("--out with --resume: exit %d, stderr %q; want 2", code, errs)
	}
}

// TestReproducibleWorkers: the same scenario run twice and with --workers
// 1, 2 and 7 gives byte-identical outputs (summary.json up to wall times).
func TestReproducibleWorkers(t *testing.T) {
	dir := t.TempDir()
	scen := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(scen, []byte(smallScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	var first string
	for i, w := range []string{"1", "2", "7", "1"} {
		out := filepath.Join(dir, "w"+w+"-"+string(rune('a'+i)))
		if _, errs, code := grd(t, "run", scen, "--out", out, "--workers", w); code != exitOK {
			t.Fatalf("--workers %s: exit %d: %s", w, code, errs)
		}
		if first == "" {
			first = out
			continue
		}
		sameDirs(t, first, out, "--workers "+w)
	}
}

// ensembleScenario is a run of two ensembles only, long enough (a few
// hundred milliseconds) to be interrupted inside them.
const ensembleScenario = `name: ens
seed: 5
model: {kind: quadratic, dim: 4, count: 40, condition: 30}
init: {normal: 1}
flows: [sgd, sde]
sgd: {lr: 0.01, batch: 4, runs: 16}
sde: {lr: 0.01, batch: 4, runs: 6, dt: 0.01}
time: {t1: 100, outputs: 51}
`

// TestRunInterruptResumeEnsemble interrupts `grd run` of a scenario of
// ensembles as soon as a periodic checkpoint holds progress inside them,
// checks that the final checkpoint keeps that progress (runs folded or in
// progress, not a restart), resumes with `grd run --resume DIR` and
// compares every output file with an uninterrupted run's.
func TestRunInterruptResumeEnsemble(t *testing.T) {
	dir := t.TempDir()
	scen := filepath.Join(dir, "ens.yaml")
	if err := os.WriteFile(scen, []byte(ensembleScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(dir, "full")
	if _, errs, code := grd(t, "run", scen, "--out", full, "--checkpoint-every", "-1s"); code != exitOK {
		t.Fatalf("uninterrupted run: exit %d: %s", code, errs)
	}
	progress := func(ck *experiment.Checkpoint) int {
		n := 0
		for _, f := range ck.Flows {
			if e := f.Ensemble; e != nil {
				n += e.Steps
				for _, r := range e.Runs {
					n += r.Step
				}
			}
		}
		return n
	}
	out := filepath.Join(dir, "out")
	var so, se bytes.Buffer
	code := interruptRun(t, []string{"run", scen, "--out", out, "--checkpoint-every", "1s", "--workers", "2"}, &so, &se,
		func(fl string, frac float64) bool { return fl == "sgd" && frac > 0 }) // the ensemble has made progress
	if code != exitError || !strings.HasPrefix(se.String(), "grd: interrupted:") {
		t.Fatalf("interrupted run: exit %d, stderr %q", code, se.String())
	}
	ck, err := experiment.ReadCheckpoint(out)
	if err != nil {
		t.Fatal(err)
	}
	if progress(ck) == 0 {
		t.Fatal("the checkpoint of the interrupted ensembles holds no progress")
	}
	if _, errs, code := grd(t, "run", "--resume", out, "--workers", "1"); code != exitOK {
		t.Fatalf("resumed run: exit %d: %s", code, errs)
	}
	sameDirs(t, full, out, "resumed ensembles")
}

// TestOutputsFailKeepCheckpoint: when the outputs cannot be written at the
// end (here loss.png is in the way, as a full disk would be), the finished
// run's checkpoint stays, no summary.json claims a complete set, the
// message says how to write the outputs, and that command writes them —
// byte-identical to a clean run — and then removes the checkpoint.
func TestOutputsFailKeepCheckpoint(t *testing.T) {
	dir := t.TempDir()
	scen := filepath.Join(dir, "long.yaml")
	if err := os.WriteFile(scen, []byte(longScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(dir, "full")
	if _, errs, code := grd(t, "run", scen, "--out", full); code != exitOK {
		t.Fatalf("clean run: exit %d: %s", code, errs)
	}
	out := filepath.Join(dir, "out")
	block := filepath.Join(out, "loss.png")
	if err := os.MkdirAll(filepath.Join(block, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, errs, code := grd(t, "run", scen, "--out", out)
	if code != exitError || !strings.Contains(errs, "write its outputs with grd run --resume "+out) {
		t.Fatalf("outputs blocked: exit %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(out, experiment.CheckpointFile)); err != nil {
		t.Fatalf("the checkpoint of the finished run is gone: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, report.SummaryFile)); !os.IsNotExist(err) {
		t.Errorf("summary.json written beside a failed set (stat: %v)", err)
	}
	if err := os.RemoveAll(block); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := grd(t, "run", "--resume", out); code != exitOK {
		t.Fatalf("resume: exit %d: %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(out, experiment.CheckpointFile)); !os.IsNotExist(err) {
		t.Errorf("checkpoint left after the outputs were written (stat: %v)", err)
	}
	sameDirs(t, full, out, "outputs written by the resume")
}

// TestOutDirOwnership: a fresh run into a directory holding an interrupted
// run's checkpoint is refused unless --discard-checkpoint; a directory
// another process writes into is refused; a run removes the outputs of an
// earlier run (another flow's CSV) that would sit beside its summary.json.
func TestOutDirOwnership(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("s.yaml", []byte(catalogueBase), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("d.csv", []byte(catalogueCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("out", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, stale := range []string{"sgd.csv", "residuals.png", "contours.svg"} {
		if err := os.WriteFile(filepath.Join("out", stale), []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ck := filepath.Join("out", experiment.CheckpointFile)
	if err := os.WriteFile(ck, []byte("an old run"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := grd(t, "run", "s.yaml", "--out", "out"); code != exitError || !strings.Contains(errs, "holds the checkpoint of an interrupted run") {
		t.Fatalf("fresh run over a checkpoint: exit %d, stderr %q", code, errs)
	}
	if b, _ := os.ReadFile(ck); string(b) != "an old run" {
		t.Fatal("the refused run touched the checkpoint")
	}

	unlock, err := outfile.Lock("out")
	if err != nil {
		t.Fatal(err)
	}
	_, errs, code := grd(t, "run", "s.yaml", "--out", "out", "--discard-checkpoint")
	if code != exitError || !strings.Contains(errs, "output directory out is in use by another grd process (pid ") {
		t.Errorf("locked directory: exit %d, stderr %q", code, errs)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}

	if _, errs, code := grd(t, "run", "s.yaml", "--out", "out", "--discard-checkpoint"); code != exitOK {
		t.Fatalf("--discard-checkpoint: exit %d: %s", code, errs)
	}
	es, err := os.ReadDir("out")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	if want := []string{"gd.csv", "loss.png", "loss.svg", "ngd.csv", "report.html", "summary.json"}; !slices.Equal(names, want) {
		t.Errorf("out holds %v, want only this run's %v", names, want)
	}
}

// interruptedCommand runs grd with args, interrupts it after the first
// step of a flow (interruptRun), and returns the resume command grd printed.
func interruptedCommand(t *testing.T, args ...string) []string {
	t.Helper()
	var so, se bytes.Buffer
	code := interruptRun(t, args, &so, &se, func(_ string, frac float64) bool { return frac > 0 })
	_, cmd, ok := strings.Cut(strings.TrimSpace(se.String()), "continue with: ")
	if code != exitError || !ok {
		t.Fatalf("interrupted run: exit %d, stderr %q", code, se.String())
	}
	return strings.Fields(cmd)
}

// TestPrintedResumeCommand runs the exact command grd prints on
// interruption, from another working directory, for a built-in scenario
// (the checkpoint must say builtin:NAME, not a path) and for a scenario
// file given by a relative path; the outputs match an uninterrupted run.
func TestPrintedResumeCommand(t *testing.T) {
	base := t.TempDir()
	if err := os.MkdirAll(filepath.Join(base, "elsewhere"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "long.yaml"), []byte(longScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, scenario string }{{"builtin", "logistic-cancer"}, {"file", "long.yaml"}} {
		t.Run(c.name, func(t *testing.T) {
			t.Chdir(base)
			full, out := filepath.Join(base, c.name+"-full"), filepath.Join(base, c.name+"-out")
			if _, errs, code := grd(t, "run", c.scenario, "--out", full, "--quiet"); code != exitOK {
				t.Fatalf("uninterrupted run: exit %d: %s", code, errs)
			}
			cmd := interruptedCommand(t, "run", c.scenario, "--out", out, "--checkpoint-every", "1s", "--quiet")
			if len(cmd) < 2 || cmd[0] != "grd" {
				t.Fatalf("printed command %q", cmd)
			}
			t.Chdir(filepath.Join(base, "elsewhere"))
			if _, errs, code := grd(t, cmd[1:]...); code != exitOK {
				t.Fatalf("%s: exit %d: %s", strings.Join(cmd, " "), code, errs)
			}
			sameDirs(t, full, out, "resumed with the printed command")
		})
	}
}

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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

// TestRunInterruptResume interrupts `grd run` (its context is canceled, as
// SIGINT does through signal.NotifyContext, as soon as the first periodic
// checkpoint exists), checks the exit status and message, resumes with
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
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if _, err := os.Stat(filepath.Join(out, experiment.CheckpointFile)); err == nil {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	var so, se bytes.Buffer
	code := run(ctx, []string{"run", scen, "--out", out, "--checkpoint-every", "5ms", "--workers", "2"}, &so, &se)
	cancel()
	if code == exitOK {
		t.Skip("the run finished before it could be interrupted")
	}
	want := "grd: interrupted: the checkpoint and the outputs so far are in " + out + "; continue with: grd run --resume " + out + "\n"
	if code != exitError || se.String() != want {
		t.Fatalf("interrupted run: exit %d, stderr %q; want exit 1 and %q", code, se.String(), want)
	}
	if _, err := os.Stat(filepath.Join(out, report.SummaryFile)); err != nil {
		t.Errorf("the outputs so far were not written: %v", err)
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
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if ck, err := experiment.ReadCheckpoint(out); err == nil && progress(ck) > 0 {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	var so, se bytes.Buffer
	code := run(ctx, []string{"run", scen, "--out", out, "--checkpoint-every", "5ms", "--workers", "2"}, &so, &se)
	cancel()
	if code == exitOK {
		t.Skip("the run finished before it could be interrupted")
	}
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

package experiment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grd-engine/grd/integrators"
	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/scenariotest"
)

// resumeYAML is scenariotest.TinyYAML with a longer span, so that each deterministic
// flow takes dozens of steps.
func resumeScenario(t *testing.T) *scenarios.Scenario {
	return scenariotest.Tiny(t, "t1: 2, outputs: 11", "t1: 6, outputs: 31", "rtol: 1.0e-8", "rtol: 1.0e-10")
}

// outputsOf runs sc uninterrupted and writes its outputs into a new
// directory.
func outputsOf(t *testing.T, sc *scenarios.Scenario) string {
	t.Helper()
	r, err := Run(context.Background(), sc, RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "full")
	if _, err := writeOutputs(dir, r, false); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sameOutputs fails unless dirs a and b hold the same files with the same
// bytes (summary.json up to the wall times).
func sameOutputs(t *testing.T, a, b, what string) {
	t.Helper()
	na, nb := listDir(t, a), listDir(t, b)
	if strings.Join(na, " ") != strings.Join(nb, " ") {
		t.Fatalf("%s: files %v, uninterrupted run %v", what, nb, na)
	}
	for _, n := range na {
		x, _ := os.ReadFile(filepath.Join(a, n))
		y, _ := os.ReadFile(filepath.Join(b, n))
		if n == SummaryFile {
			x, y = zeroSeconds(t, x), zeroSeconds(t, y)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s: %s differs from the uninterrupted run", what, n)
		}
	}
}

// interruptAt runs sc into dir with checkpointing and cancels the context
// after flow's k-th accepted step (a deterministic point: one worker runs
// the flows one after the other). It returns the run's error.
func interruptAt(t *testing.T, sc *scenarios.Scenario, dir string, resume *Checkpoint, flow string, k int) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	steps := 0
	ck := &CheckpointOptions{Dir: dir, Every: -1, Version: "test", Resume: resume,
		stepHook: func(f string, s integrators.StepInfo) {
			if f == flow {
				if steps++; steps == k {
					cancel()
				}
			}
		}}
	r, err := Run(ctx, sc, RunOptions{Workers: 1, Checkpoint: ck})
	if r != nil {
		if _, werr := writeOutputs(dir, r, false); werr != nil {
			t.Fatal(werr)
		}
	}
	return err
}

// TestResumeBitIdentical interrupts a run of every flow at several
// deterministic points (after the k-th accepted step of gd, ngd or grd;
// the flows after it are canceled before they start; the ensembles are
// interrupted inside by TestResumeEnsembleBitIdentical), resumes it from the checkpoint file — once, or after a second
// interruption — and compares every output file with an uninterrupted
// run's, byte for byte (summary.json up to wall times).
func TestResumeBitIdentical(t *testing.T) {
	sc := resumeScenario(t)
	full := outputsOf(t, sc)
	cases := []struct {
		flow string
		k    int
		// a second interruption of the resumed run (flow2 "" = none)
		flow2 string
		k2    int
	}{
		{scenarios.FlowGD, 1, "", 0},
		{scenarios.FlowGD, 7, "", 0},
		{scenarios.FlowNGD, 3, "", 0},
		{scenarios.FlowGRD, 1, "", 0},
		{scenarios.FlowGRD, 12, "", 0},
		{scenarios.FlowNGD, 2, scenarios.FlowGRD, 5}, // interrupted twice
		{scenarios.FlowGRD, 4, scenarios.FlowGRD, 6}, // twice in the same flow (6 steps after the resume)
	}
	for _, c := range cases {
		name := c.flow + "@" + itoa(c.k)
		dir := filepath.Join(t.TempDir(), "out")
		err := interruptAt(t, sc, dir, nil, c.flow, c.k)
		if !errors.Is(err, ErrFlowFailed) || !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: interrupted run: err = %v, want ErrFlowFailed and context.Canceled", name, err)
		}
		ck, err := ReadCheckpoint(dir)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.flow2 != "" {
			err := interruptAt(t, sc, dir, ck, c.flow2, c.k2)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%s: second interruption: err = %v", name, err)
			}
			if ck, err = ReadCheckpoint(dir); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		stepsAfter := 0
		r, err := Run(context.Background(), sc, RunOptions{Workers: 2, Checkpoint: &CheckpointOptions{Dir: dir, Version: "test", Resume: ck,
			stepHook: func(f string, _ integrators.StepInfo) {
				if f == c.flow {
					stepsAfter++
				}
			}}})
		if err != nil {
			t.Fatalf("%s: resumed run: %v", name, err)
		}
		// The resumed run continues: it takes only the remaining steps.
		if total := r.Flow(c.flow).Steps; c.flow2 == "" && stepsAfter != total-c.k {
			t.Errorf("%s: the resumed run took %d steps of %s, want %d of %d", name, stepsAfter, c.flow, total-c.k, total)
		}
		// Run leaves a final checkpoint with every flow done: the outputs
		// can be written from it without computing anything again.
		fin, err := ReadCheckpoint(dir)
		if err != nil {
			t.Fatalf("%s: the finished run's checkpoint: %v", name, err)
		}
		for _, f := range fin.Flows {
			if !f.Done {
				t.Errorf("%s: flow %s is not done in the final checkpoint", name, f.Flow)
			}
		}
		if _, err := writeOutputs(dir, r, false); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, CheckpointFile)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: RemoveCheckpoint left the checkpoint (stat: %v)", name, err)
		}
		sameOutputs(t, full, dir, name)
	}
}

func itoa(k int) string { return fmt.Sprint(k) }

// TestResumeFromPeriodicCheckpoint takes a periodic checkpoint written
// mid-run (the test fires the checkpoint ticker at the second step of a
// flow and waits for the file) and resumes from a copy of it: same outputs.
func TestResumeFromPeriodicCheckpoint(t *testing.T) {
	sc := resumeScenario(t)
	full := outputsOf(t, sc)
	dir := filepath.Join(t.TempDir(), "out")
	var saved []byte
	var steps int
	tick := make(chan time.Time, 1)
	ck := &CheckpointOptions{Dir: dir, Every: time.Hour, Version: "test", tick: tick,
		stepHook: func(string, integrators.StepInfo) {
			if steps++; steps != 2 { // the first step's snapshot exists from the second on
				return
			}
			tick <- time.Now()
			for deadline := time.Now().Add(10 * time.Second); saved == nil && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
				if b, err := os.ReadFile(filepath.Join(dir, CheckpointFile)); err == nil {
					saved = b
				}
			}
		}}
	if _, err := Run(context.Background(), sc, RunOptions{Workers: 1, Checkpoint: ck}); err != nil {
		t.Fatal(err)
	}
	if saved == nil {
		t.Fatal("the periodic checkpoint fired mid-run was not written within 10 s")
	}
	res, err := DecodeCheckpoint(bytes.NewReader(saved), "saved")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "resumed")
	r, err := Run(context.Background(), sc, RunOptions{Workers: 1, Checkpoint: &CheckpointOptions{Dir: out, Version: "test", Resume: res}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writeOutputs(out, r, false); err != nil {
		t.Fatal(err)
	}
	sameOutputs(t, full, out, "periodic checkpoint")
}

// TestCheckpointRefused: a checkpoint of another scenario, grd version or
// format, or a damaged file, is refused with ErrCheckpoint and a message
// that says why and what to do.
func TestCheckpointRefused(t *testing.T) {
	sc := resumeScenario(t)
	dir := filepath.Join(t.TempDir(), "out")
	if err := interruptAt(t, sc, dir, nil, scenarios.FlowNGD, 2); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	ck, err := ReadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	run := func(sc *scenarios.Scenario, version string, ck *Checkpoint) error {
		_, err := Run(context.Background(), sc, RunOptions{Workers: 1, Checkpoint: &CheckpointOptions{Dir: t.TempDir(), Version: version, Resume: ck}})
		return err
	}
	other := scenariotest.Tiny(t, "seed: 7", "seed: 8")
	// The same scenario, read with an override that changes nothing: the
	// overrides differ, so the resume is refused all the same.
	y, err := sc.YAML()
	if err != nil {
		t.Fatal(err)
	}
	withSet, err := scenarios.Parse(y, "", scenarios.Override{Key: "seed", Value: fmt.Sprint(sc.Seed)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"other scenario", run(other, "test", ck), "it belongs to another scenario"},
		{"other version", run(sc, "v9.9.9", ck), "written by grd test, this is grd v9.9.9"},
		{"other overrides", run(withSet, "test", ck), "the run was started with no --set, this one has --set seed="},
	} {
		if !errors.Is(c.err, ErrCheckpoint) || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: err = %v, want ErrCheckpoint with %q", c.name, c.err, c.want)
		}
	}
	var buf bytes.Buffer
	bad := *ck
	bad.Format = CheckpointFormat + 1
	if err := bad.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"format":    buf.Bytes(),
		"truncated": buf.Bytes()[:buf.Len()/2],
		"not one":   []byte("name: tiny\n"),
		"empty":     nil,
	} {
		_, err := DecodeCheckpoint(bytes.NewReader(b), "ck")
		if !errors.Is(err, ErrCheckpoint) {
			t.Errorf("%s: err = %v, want ErrCheckpoint", name, err)
		}
	}
	if _, err := ReadCheckpoint(t.TempDir()); !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing file: err = %v", err)
	}
}

// TestCheckpointRefusesOtherData: the same scenario file over a changed
// data file is another computation: its checkpoint is refused.
func TestCheckpointRefusesOtherData(t *testing.T) {
	dir := t.TempDir()
	scen, csv := filepath.Join(dir, "s.yaml"), filepath.Join(dir, "d.csv")
	if err := writeFile(scen, "name: lr\ndata: {csv: d.csv}\nmodel: {kind: linear-regression}\nflows: [gd]\ntime: {t1: 3, outputs: 4}\n"); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(csv, "x,y\n0,1\n1,3\n2,4\n"); err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Load(scen)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := interruptAt(t, sc, out, nil, scenarios.FlowGD, 2); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	ck, err := ReadCheckpoint(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFile(csv, "x,y\n0,1\n1,3\n2,5\n"); err != nil {
		t.Fatal(err)
	}
	if sc, err = scenarios.Load(scen); err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), sc, RunOptions{Checkpoint: &CheckpointOptions{Dir: out, Version: "test", Resume: ck}})
	if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), "another scenario or other data") {
		t.Errorf("err = %v, want ErrCheckpoint naming other data", err)
	}
}

// interruptEnsembleAt runs sc into dir with checkpointing and cancels the
// context right after run r's step-th step of the ensemble flow (a
// deterministic point: one worker runs the flows and the runs one after
// the other). It returns the run's error.
func interruptEnsembleAt(t *testing.T, sc *scenarios.Scenario, dir string, resume *Checkpoint, flow string, r, step int) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ck := &CheckpointOptions{Dir: dir, Every: -1, Version: "test", Resume: resume,
		ensembleHook: func(f string, run, j int) {
			if f == flow && run == r && j == step {
				cancel()
			}
		}}
	rep, err := Run(ctx, sc, RunOptions{Workers: 1, Checkpoint: ck})
	if rep != nil {
		if _, werr := writeOutputs(dir, rep, false); werr != nil {
			t.Fatal(werr)
		}
	}
	return err
}

// TestResumeEnsembleBitIdentical interrupts the sgd, sde and cd (and pcd)
// ensembles inside a run — the first, a later one, once or twice — resumes
// from the checkpoint file and compares every output file with an
// uninterrupted run's, byte for byte (summary.json up to wall times). The
// resumed run takes only the ensemble steps not taken before.
func TestResumeEnsembleBitIdentical(t *testing.T) {
	tiny := resumeScenario(t) // sgd, sde: 4 runs of 120 steps
	rbm := func(pcd string) *scenarios.Scenario {
		s, err := scenarios.Parse([]byte("name: r\nseed: 3\ndata: {bars-and-stripes: 2}\nmodel: {kind: rbm, hidden: 2}\nflows: [gd, cd]\n"+
			"cd: {lr: 0.1, batch: 3, runs: 3, k: 2"+pcd+"}\ntime: {t1: 2, outputs: 5}\n"), "r.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	type point struct {
		flow      string
		run, step int
	}
	for _, c := range []struct {
		name  string
		sc    *scenarios.Scenario
		steps int // per run
		pts   []point
	}{
		{"sgd first run", tiny, 120, []point{{scenarios.FlowSGD, 0, 7}}},
		{"sgd later run", tiny, 120, []point{{scenarios.FlowSGD, 2, 61}}},
		{"sde", tiny, 120, []point{{scenarios.FlowSDE, 1, 30}}},
		{"sgd twice", tiny, 120, []point{{scenarios.FlowSGD, 0, 50}, {scenarios.FlowSGD, 1, 3}}},
		{"cd", rbm(""), 20, []point{{scenarios.FlowCD, 1, 9}}},
		{"pcd twice", rbm(", persistent: true"), 20, []point{{scenarios.FlowCD, 0, 4}, {scenarios.FlowCD, 2, 11}}},
	} {
		full := outputsOf(t, c.sc)
		dir := filepath.Join(t.TempDir(), "out")
		var ck *Checkpoint
		for _, p := range c.pts {
			if err := interruptEnsembleAt(t, c.sc, dir, ck, p.flow, p.run, p.step); !errors.Is(err, context.Canceled) {
				t.Fatalf("%s: interrupted run: err = %v, want context.Canceled", c.name, err)
			}
			var err error
			if ck, err = ReadCheckpoint(dir); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		flow := c.pts[0].flow
		var done int
		for _, f := range ck.Flows {
			if f.Flow == flow {
				if f.Ensemble == nil {
					t.Fatalf("%s: the checkpoint holds no state of the %s ensemble", c.name, flow)
				}
				done = f.Ensemble.Steps
				for _, r := range f.Ensemble.Runs {
					done += r.Step
				}
			}
		}
		var taken atomic.Int64
		r, err := Run(context.Background(), c.sc, RunOptions{Workers: 2, Checkpoint: &CheckpointOptions{Dir: dir, Version: "test", Resume: ck,
			ensembleHook: func(f string, _, _ int) {
				if f == flow {
					taken.Add(1)
				}
			}}})
		if err != nil {
			t.Fatalf("%s: resumed run: %v", c.name, err)
		}
		runs := r.Scenario.SGD.Runs
		if flow == scenarios.FlowSDE {
			runs = r.Scenario.SDE.Runs
		} else if flow == scenarios.FlowCD {
			runs = r.Scenario.CD.Runs
		}
		if want := runs*c.steps - done; done == 0 || taken.Load() != int64(want) {
			t.Errorf("%s: the resumed run took %d steps of %s, want %d − %d", c.name, taken.Load(), flow, runs*c.steps, done)
		}
		if _, err := writeOutputs(dir, r, false); err != nil {
			t.Fatal(err)
		}
		sameOutputs(t, full, dir, c.name)
	}
}

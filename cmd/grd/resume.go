package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
	"github.com/grd-engine/grd/scenarios/report"
)

// resumeSetup prepares checkpointing for `grd run`: it returns the scenario
// to run, the output directory and the checkpoint options. With --resume
// DIR the checkpoint DIR/checkpoint.gob is read, the scenario is the one
// given or else the one the checkpoint was written for, and the outputs go
// to DIR (a different --out is a usage error, reported by the caller).
func resumeSetup(opts *runOptions) (*scenarios.Scenario, string, *experiment.CheckpointOptions, error) {
	ck := &experiment.CheckpointOptions{Every: opts.CheckpointEvery, Version: version()}
	if opts.CheckpointEvery == 0 {
		ck.Every = experiment.DefaultCheckpointEvery
	}
	if opts.Resume == "" {
		s, err := scenarios.Open(opts.Scenario, opts.Set...)
		if err != nil {
			return nil, "", nil, err
		}
		dir := opts.Out
		if dir == "" {
			dir = report.DefaultOutDir(s)
		}
		ck.Dir = dir
		return s, dir, ck, nil
	}
	dir := opts.Resume
	res, err := experiment.ReadCheckpoint(dir)
	if err != nil {
		return nil, "", nil, err
	}
	name := opts.Scenario
	if name == "" {
		name = res.Source // builtin:NAME or an absolute path
		if name == "" {
			return nil, "", nil, fmt.Errorf("the checkpoint in %s does not say which scenario it belongs to: give it, grd run SCENARIO --resume %s", dir, dir)
		}
	}
	set := opts.Set
	if set == nil {
		if set, err = checkpointOverrides(res); err != nil {
			return nil, "", nil, err
		}
	}
	s, err := scenarios.Open(name, set...)
	if err != nil {
		if opts.Scenario == "" && errors.Is(err, scenarios.ErrNotFound) {
			return nil, "", nil, fmt.Errorf("%w; the checkpoint in %s was written for %s: if the scenario file moved, give it: grd run SCENARIO --resume %s", err, dir, name, dir)
		}
		return nil, "", nil, err
	}
	ck.Dir, ck.Resume = dir, res
	return s, dir, ck, nil
}

// interrupted turns the error of a run stopped by its context (SIGINT,
// SIGTERM) into a message saying where the checkpoint is and how to resume.
func interrupted(ctx context.Context, err error, dir string) error {
	if err == nil || ctx.Err() == nil || !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("interrupted: the checkpoint and the outputs so far are in %s; continue with: grd run --resume %s", dir, dir)
}

// checkpointOverrides returns the --set overrides the checkpoint's run was
// started with: `grd run --resume DIR` without --set repeats them.
func checkpointOverrides(res *experiment.Checkpoint) ([]scenarios.Override, error) {
	var set []scenarios.Override
	for _, r := range res.Set {
		o, err := scenarios.ParseOverride(r)
		if err != nil {
			return nil, fmt.Errorf("the checkpoint's override %q: %w", r, err)
		}
		set = append(set, o)
	}
	return set, nil
}

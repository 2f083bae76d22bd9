package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
	"github.com/grd-engine/grd/scenarios/report"
	"github.com/spf13/cobra"
)

// runOptions are the options of `grd run`.
type runOptions struct {
	g *globals
	// Scenario is a scenario file or a built-in name (default
	// scenarios.DefaultName).
	Scenario string
	// Out is the output directory ("" means out/<name>/).
	Out string
	// Resume is the output directory of an interrupted run to continue
	// ("" means start afresh); CheckpointEvery the checkpoint interval (0
	// means experiment.DefaultCheckpointEvery, negative none).
	Resume          string
	CheckpointEvery time.Duration
}

// newCmdRun returns `grd run [SCENARIO|NAME] [--out DIR]`.
func newCmdRun(g *globals, runF func(context.Context, *runOptions) error) *cobra.Command {
	opts := &runOptions{g: g}
	c := &cobra.Command{
		Use:   "run [SCENARIO|NAME]",
		Short: "Run a scenario's flows and write CSV, plots and summary.json",
		Long: `Run the flows of a scenario (a file, or a built-in name; default ` + scenarios.DefaultName + `),
write <flow>.csv, summary.json and the plots (PNG and SVG) into DIR (default
out/<name>/), and print a short summary table. A progress line is drawn on
stderr when it is a terminal.

If a flow fails to reach t1, everything computed is still written and grd
exits with status 1 and a message naming the flow.

A checkpoint (DIR/checkpoint.gob) is written every --checkpoint-every
(default 30s) and when grd is interrupted (Ctrl-C, SIGTERM): grd then writes
the outputs so far and exits with status 1, and
  grd run --resume DIR
continues the run, producing the same bytes as an uninterrupted run.`,
		Example: `  grd run
  grd run quadratic-2d --out /tmp/q2
  grd run my.yaml --workers 4
  grd run --resume out/two-layer-iris`,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Scenario = scenarios.DefaultName
			if len(args) == 1 {
				opts.Scenario = args[0]
			} else if opts.Resume != "" {
				opts.Scenario = "" // the checkpoint's scenario
			}
			if opts.Resume != "" && opts.Out != "" && filepath.Clean(opts.Out) != filepath.Clean(opts.Resume) {
				return usagef(c, "--out %s and --resume %s: a resumed run writes into the directory it resumes", opts.Out, opts.Resume)
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runRun(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.Out, "out", "", "write the outputs into `DIR` (default out/<name>/)")
	c.Flags().StringVar(&opts.Resume, "resume", "", "continue the interrupted run whose outputs and checkpoint are in `DIR`")
	c.Flags().DurationVar(&opts.CheckpointEvery, "checkpoint-every", 0, "write a checkpoint every `INTERVAL` (default 30s; negative: only when interrupted)")
	return c
}

func runRun(ctx context.Context, opts *runOptions) error {
	g := opts.g
	s, dir, ck, err := resumeSetup(opts)
	if err != nil {
		return err
	}
	if err := report.CheckOutDir(dir); err != nil {
		return err
	}
	ro := experiment.RunOptions{Workers: g.Workers, Checkpoint: ck}
	bar := progressFor(g, "grd run "+s.Name+":", len(s.Flows), &ro)
	bar.setSpan(s.Time.T0, s.Time.T1)
	rep, runErr := experiment.Run(ctx, s, ro)
	bar.Done()
	if rep == nil {
		return runErr
	}
	if _, err := report.WriteOutputs(dir, rep); err != nil {
		return err
	}
	if err := report.WriteTable(g.Out, rep); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(g.Out, "outputs in %s\n", dir); err != nil {
		return err
	}
	return interrupted(ctx, runErr, dir)
}

// maxArgs is cobra.MaximumNArgs reporting a usage error.
func maxArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) > n {
			return usagef(c, "want at most %d argument(s), got %d", n, len(args))
		}
		return nil
	}
}

// progressFor returns the progress line of a command running total flows,
// wired into ro, when stderr is a terminal and --quiet is off; otherwise
// a nil line (whose Done does nothing) and ro unchanged.
func progressFor(g *globals, prefix string, total int, ro *experiment.RunOptions) *progressLine {
	if !g.ErrIsTerminal || g.Quiet {
		return nil
	}
	p := newProgressLine(g.Err, prefix, total)
	ro.Progress = p.Update
	return p
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/grd-engine/grd/internal/outfile"
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
	// DiscardCheckpoint allows a fresh run into a directory holding an
	// interrupted run's checkpoint (which is then removed).
	DiscardCheckpoint bool
	// Set overrides scenario keys (--set KEY=VALUE), in order; with
	// --resume and no --set, the checkpoint's overrides.
	Set []scenarios.Override
}

// newCmdRun returns `grd run [SCENARIO|NAME] [--out DIR]`.
// minCheckpointEvery is the shortest --checkpoint-every accepted: a
// checkpoint holds every trajectory so far, so writing one more often than
// once a second costs more run time and disk traffic than it can save.
const minCheckpointEvery = time.Second

func newCmdRun(g *globals, runF func(context.Context, *runOptions) error) *cobra.Command {
	opts := &runOptions{g: g}
	var set []string
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
continues the run, producing the same bytes as an uninterrupted run.

--set KEY=VALUE overrides a scenario key (a dotted path, [i] for a list
item, a YAML value), checked exactly like the file; repeatable, applied in
order, recorded in summary.json and the checkpoint (a resume without --set
repeats the checkpoint's overrides).`,
		Example: `  grd run
  grd run quadratic-2d --out /tmp/q2
  grd run my.yaml --workers 4
  grd run two-layer-iris --set metric.safety=0.2 --set 'flows=[gd,ngd,grd]'
  grd run --resume out/two-layer-iris`,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if e := opts.CheckpointEvery; e > 0 && e < minCheckpointEvery {
				return usagef(c, "--checkpoint-every %v is below the minimum %v (a checkpoint holds every trajectory so far; writing it more often slows the run and wears the disk)", e, minCheckpointEvery)
			}
			if c.Flags().Changed("resume") && opts.Resume == "" {
				return usagef(c, "--resume needs the output directory of an interrupted run, got an empty string")
			}
			opts.Scenario = scenarios.DefaultName
			if len(args) == 1 {
				opts.Scenario = args[0]
			} else if opts.Resume != "" {
				opts.Scenario = "" // the checkpoint's scenario
			}
			var err error
			if opts.Set, err = parseSet(c, set); err != nil {
				return err
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
	c.Flags().BoolVar(&opts.DiscardCheckpoint, "discard-checkpoint", false, "start afresh in a directory holding an interrupted run's checkpoint, deleting it")
	c.Flags().DurationVar(&opts.CheckpointEvery, "checkpoint-every", 0, "write a checkpoint every `INTERVAL` (default 30s, at least 1s; negative: only when interrupted)")
	addSetFlag(c, &set)
	addMaxMemoryFlag(c, &g.MaxMemory)
	return c
}

func runRun(ctx context.Context, opts *runOptions) error {
	g := opts.g
	s, dir, ck, err := resumeSetup(opts)
	if err != nil {
		return err
	}
	if !g.writes() && ck != nil {
		ck.ReadOnly = true
	}
	if err := checkOutDir(g, dir); err != nil {
		return err
	}
	var claim *outDirClaim // rank 0 alone owns the directory
	if g.writes() {
		if claim, err = claimOutDir(dir, opts.Resume != "", opts.DiscardCheckpoint); err != nil {
			return err
		}
	}
	ro := experiment.RunOptions{Workers: g.Workers, Checkpoint: ck, Comm: g.comm}
	ro.MaxMemory, ro.MemorySource = g.MaxMemory.limit()
	bar := progressFor(g, "grd run "+s.Name+":", len(s.Flows), &ro)
	bar.setSpan(s.Time.T0, s.Time.T1)
	rep, runErr := experiment.Run(ctx, s, ro)
	bar.Done()
	if rep == nil {
		return errors.Join(runErr, claim.release(false))
	}
	defer claim.release(true)
	if g.writes() {
		if _, err := report.WriteOutputs(dir, rep); err != nil {
			if ck := filepath.Join(dir, experiment.CheckpointFile); fileExists(ck) {
				return fmt.Errorf("%w (the run is kept in %s: write its outputs with grd run --resume %s)", err, ck, dir)
			}
			return err
		}
		// Only now that every output is on disk is there nothing to resume.
		if !rep.Interrupted() {
			if err := experiment.RemoveCheckpoint(dir); err != nil {
				return err
			}
		}
	}
	if err := report.WriteTable(g.Out, rep); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(g.Out, "outputs in %s\n", dir); err != nil {
		return err
	}
	return interrupted(ctx, runErr, dir)
}

// checkOutDir is report.CheckOutDir on the process that writes outputs
// (the others of a distributed run write nothing).
func checkOutDir(g *globals, dir string) error {
	if !g.writes() {
		return nil
	}
	return report.CheckOutDir(dir)
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
	var p *progressLine
	if g.ErrIsTerminal && !g.Quiet {
		p = newProgressLine(g.Err, prefix, total)
		ro.Progress = p.Update
	}
	if hook := g.progress; hook != nil {
		line := ro.Progress
		ro.Progress = func(flow string, frac, loss float64) {
			if line != nil {
				line(flow, frac, loss)
			}
			hook(flow, frac)
		}
	}
	return p
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// outDirClaim is a run's hold on its output directory (claimOutDir).
type outDirClaim struct {
	dir     string
	created bool // the directory did not exist before the claim
	unlock  func() error
}

// claimOutDir creates the output directory dir if needed and locks it
// against other grd processes (outfile.Lock). A fresh run (not resume) is
// refused a directory holding an interrupted run's checkpoint, unless
// discard is set: the checkpoint is then removed.
func claimOutDir(dir string, resume, discard bool) (*outDirClaim, error) {
	_, err := os.Stat(dir)
	c := &outDirClaim{dir: dir, created: errors.Is(err, fs.ErrNotExist)}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("scenarios: cannot create output directory %s: %w", dir, outfile.UnwrapPath(err))
	}
	if c.unlock, err = outfile.Lock(dir); err != nil {
		if c.created {
			os.Remove(dir)
		}
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	if !resume && fileExists(filepath.Join(dir, experiment.CheckpointFile)) {
		if !discard {
			return nil, errors.Join(fmt.Errorf("scenarios: output directory %s holds the checkpoint of an interrupted run: continue it with grd run --resume %s, or start afresh there with --discard-checkpoint", dir, dir),
				c.release(false))
		}
		if err := experiment.RemoveCheckpoint(dir); err != nil {
			return nil, errors.Join(err, c.release(false))
		}
	}
	return c, nil
}

// release unlocks the directory; when nothing was written into it (used
// is false) and the claim created it, the directory is removed again, so
// a refused run leaves no trace.
func (c *outDirClaim) release(used bool) error {
	if c == nil { // a rank other than 0 claims nothing
		return nil
	}
	err := c.unlock()
	if !used && c.created {
		os.Remove(c.dir) // only if empty
	}
	if err != nil {
		return fmt.Errorf("scenarios: unlocking %s: %w", c.dir, err)
	}
	return nil
}

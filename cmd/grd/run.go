package main

import (
	"context"
	"fmt"

	"github.com/grd-engine/grd/scenarios"
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
exits with status 1 and a message naming the flow.`,
		Example: `  grd run
  grd run quadratic-2d --out /tmp/q2
  grd run my.yaml --workers 4`,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Scenario = scenarios.DefaultName
			if len(args) == 1 {
				opts.Scenario = args[0]
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runRun(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.Out, "out", "", "write the outputs into `DIR` (default out/<name>/)")
	return c
}

func runRun(ctx context.Context, opts *runOptions) error {
	g := opts.g
	s, err := scenarios.Open(opts.Scenario)
	if err != nil {
		return err
	}
	dir := opts.Out
	if dir == "" {
		dir = scenarios.DefaultOutDir(s)
	}
	if err := scenarios.CheckOutDir(dir); err != nil {
		return err
	}
	ro := scenarios.RunOptions{Workers: g.Workers}
	bar := progressFor(g, "grd run "+s.Name+":", len(s.Flows), &ro)
	rep, runErr := scenarios.Run(ctx, s, ro)
	bar.Done()
	if rep == nil {
		return runErr
	}
	if _, err := scenarios.WriteOutputs(dir, rep); err != nil {
		return err
	}
	if err := rep.WriteTable(g.Out); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(g.Out, "outputs in %s\n", dir); err != nil {
		return err
	}
	return runErr
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
func progressFor(g *globals, prefix string, total int, ro *scenarios.RunOptions) *progressLine {
	if !g.ErrIsTerminal || g.Quiet {
		return nil
	}
	p := newProgressLine(g.Err, prefix, total)
	ro.Progress = p.Update
	return p
}

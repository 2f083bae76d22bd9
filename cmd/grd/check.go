package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
	"github.com/grd-engine/grd/scenarios/report"
	"github.com/spf13/cobra"
)

// checkOptions are the options of `grd check`.
type checkOptions struct {
	g *globals
	// Scenario is a scenario file or a built-in name.
	Scenario string
	// Sweep lists the safety factors s (ε = s/λ_max(D(w0))) of an ε sweep;
	// nil means a single check at the scenario's ε.
	Sweep []float64
	// Out is the output directory: of the sweep plot (default out/<name>/),
	// or, for a single check, of the run's outputs (written only if set).
	Out string
	// Set overrides scenario keys (--set KEY=VALUE), in order.
	Set []scenarios.Override
	// Collect lists finished run directories to fit the ε sweep from
	// (--collect; then Scenario is empty); nil means none.
	Collect []string
}

// newCmdCheck returns `grd check SCENARIO [--sweep S,…] [--out DIR]`.
func newCmdCheck(g *globals, runF func(context.Context, *checkOptions) error) *cobra.Command {
	opts := &checkOptions{g: g}
	var set []string
	var collect bool
	def := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(experiment.DefaultSafeties())), ","), "[]")
	c := &cobra.Command{
		Use:   "check SCENARIO",
		Short: "Check whether GRD reduces to NGD: gaps, defect, (8) residuals and a verdict",
		Long: `Run GD, NGD and GRD on SCENARIO (a file or a built-in name) and print the
GRD–NGD gap (absolute and relative to the NGD path length), the NGD–GD gap on
the same scale, the largest NGD defect ‖u + P∇f‖ and R2/R1, and a plain
verdict. The verdict is information: the exit status is 0 whatever it says
(1 only if a flow fails). With --out the run's CSV files, plots and
summary.json are written too.

--sweep S1,S2,… instead runs NGD and GRD at ε = s/λ_max(D(w0)) for each
safety factor s in (0,1) (e.g. ` + def + `), prints the gaps per ε, the
log-log slopes of the relative gaps against ε (1: O(ε), 2: O(ε²)) and a
verdict, and writes the plot sweep.png/sweep.svg into DIR (default
out/<name>/), the numbers into DIR/check/sweep.csv and DIR/check/sweep.json
(the slopes with their standard errors), and DIR/report.html.

A single check with --out also writes DIR/check/check.json (gaps, defect,
residual statistics, verdict, provenance) and DIR/report.html.

--collect DIR1 DIR2 … fits the same sweep from finished runs instead of
running the flows: each DIR is the output of a grd run of one scenario at
one ε (e.g. grd run S --set metric.safety=0.1 --out DIR, one per task of a
job array). The runs must differ only in metric.safety or metric.epsilon,
have run gd, ngd and grd, and be finished (summary.json written, no
checkpoint left).

--set KEY=VALUE overrides a key of the scenario (see grd run --help).`,
		Example: `  grd check quadratic-2d
  grd check two-layer-iris --sweep ` + def + ` --out /tmp/sweep
  grd check --collect runs/s0.05 runs/s0.1 runs/s0.2 runs/s0.4 --out runs/sweep`,
		Args: func(c *cobra.Command, args []string) error {
			if collect {
				if len(args) < 2 {
					return usagef(c, "--collect needs at least 2 run directories (one per ε), got %d", len(args))
				}
				return nil
			}
			return exactArgs(1)(c, args)
		},
		RunE: func(c *cobra.Command, args []string) error {
			if collect {
				if c.Flags().Changed("sweep") || len(set) > 0 {
					return usagef(c, "--collect fits the sweep from finished runs: --sweep and --set do not apply")
				}
				opts.Collect = args
				if runF != nil {
					return runF(c.Context(), opts)
				}
				return runCollect(opts)
			}
			opts.Scenario = args[0]
			var err error
			if opts.Set, err = parseSet(c, set); err != nil {
				return err
			}
			if c.Flags().Changed("sweep") {
				if err := checkSafeties(c, opts.Sweep); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runCheck(c.Context(), opts)
		},
	}
	c.Flags().Float64SliceVar(&opts.Sweep, "sweep", nil, "sweep ε over the safety `factors` s (ε = s/λ_max), e.g. "+def)
	c.Flags().Lookup("sweep").DefValue = "" // no sweep unless asked
	c.Flags().StringVar(&opts.Out, "out", "", "write the outputs into `DIR` (sweep default out/<name>/)")
	addSetFlag(c, &set)
	c.Flags().BoolVar(&collect, "collect", false, "fit the ε sweep from the finished run directories given as arguments (one run per metric.safety)")
	addMaxMemoryFlag(c, &g.MaxMemory)
	return c
}

// checkSafeties: at least two distinct safety factors, each in (0, 1).
func checkSafeties(c *cobra.Command, ss []float64) error {
	for _, s := range ss {
		if !(s > 0 && s < 1) {
			return usagef(c, "--sweep: safety factor %g is outside (0, 1)", s)
		}
	}
	u := slices.Clone(ss)
	slices.Sort(u)
	if len(slices.Compact(u)) < 2 {
		return usagef(c, "--sweep needs at least 2 distinct safety factors to fit a slope, got %v", ss)
	}
	return nil
}

func runCheck(ctx context.Context, opts *checkOptions) error {
	g := opts.g
	s, err := scenarios.Open(opts.Scenario, opts.Set...)
	if err != nil {
		return err
	}
	dir := opts.Out
	if dir == "" && opts.Sweep != nil {
		dir = report.DefaultOutDir(s)
	}
	if dir != "" {
		if err := checkOutDir(g, dir); err != nil {
			return err
		}
	}
	ro := experiment.RunOptions{Workers: g.Workers, Comm: g.comm}
	ro.MaxMemory, ro.MemorySource = g.MaxMemory.limit()
	if opts.Sweep != nil {
		bar := progressFor(g, "grd check "+s.Name+" (sweep):", 1+2*len(opts.Sweep), &ro)
		bar.setSpan(s.Time.T0, s.Time.T1)
		rep, runErr := experiment.Sweep(ctx, s, opts.Sweep, ro)
		bar.Done()
		if rep == nil {
			return runErr
		}
		if err := writeSweep(g, dir, rep); err != nil {
			return err
		}
		return runErr
	}
	bar := progressFor(g, "grd check "+s.Name+":", 3, &ro)
	bar.setSpan(s.Time.T0, s.Time.T1)
	rep, runErr := experiment.Check(ctx, s, ro)
	bar.Done()
	if rep == nil {
		return runErr
	}
	if dir != "" && g.writes() {
		if _, err := report.WriteOutputs(dir, rep.Report); err != nil {
			return err
		}
		if _, err := report.WriteCheckFiles(dir, rep); err != nil {
			return err
		}
		if err := report.WriteHTMLReport(dir); err != nil { // again, now with check.json
			return err
		}
	}
	if err := report.WriteCheckTable(g.Out, rep); err != nil {
		return err
	}
	if dir != "" {
		if _, err := fmt.Fprintf(g.Out, "outputs in %s\n", dir); err != nil {
			return err
		}
	}
	return runErr
}

// joinDir prefixes each file name with dir.
func joinDir(dir string, files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = strings.TrimSuffix(dir, "/") + "/" + f
	}
	return out
}

// writeSweep prints the sweep table and writes the sweep plot, the sweep
// files (check/sweep.csv, check/sweep.json) and report.html into dir.
func writeSweep(g *globals, dir string, rep *experiment.SweepReport) error {
	if err := report.WriteSweepTable(g.Out, rep); err != nil {
		return err
	}
	if !g.writes() { // under MPI, rank 0 alone writes
		return nil
	}
	files, err := report.WriteSweepPlots(dir, rep)
	if err != nil {
		return err
	}
	data, err := report.WriteSweepFiles(dir, rep)
	if err != nil {
		return err
	}
	if err := report.WriteHTMLReport(dir); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(g.Out, "plot: %s\n", strings.Join(joinDir(dir, files), ", ")); err != nil {
		return err
	}
	_, err = fmt.Fprintf(g.Out, "data: %s; report: %s\n", strings.Join(joinDir(dir, data), ", "), joinDir(dir, []string{report.ReportFile})[0])
	return err
}

// runCollect is `grd check --collect DIR…`: the ε sweep fitted from
// finished runs (report.CollectSweep), printed and plotted as --sweep's.
func runCollect(opts *checkOptions) error {
	rep, collectErr := report.CollectSweep(opts.Collect)
	if rep == nil {
		return collectErr
	}
	dir := opts.Out
	if dir == "" {
		dir = report.DefaultOutDir(rep.Scenario)
	}
	if err := report.CheckOutDir(dir); err != nil {
		return err
	}
	if err := writeSweep(opts.g, dir, rep); err != nil {
		return err
	}
	return collectErr
}

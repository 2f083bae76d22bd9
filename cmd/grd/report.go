package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/grd-engine/grd/scenarios/report"
	"github.com/spf13/cobra"
)

// reportOptions are the options of `grd report`.
type reportOptions struct {
	g *globals
	// Dir is the output directory of a run (or of a sweep).
	Dir string
}

// newCmdReport returns `grd report DIR`.
func newCmdReport(g *globals, runF func(context.Context, *reportOptions) error) *cobra.Command {
	opts := &reportOptions{g: g}
	return &cobra.Command{
		Use:   "report DIR",
		Short: "Rebuild DIR/report.html from the files of a run directory",
		Long: `Rebuild report.html, the self-contained HTML report of a run, from the
files in DIR: summary.json, the SVG plots and, when grd check wrote them,
check/check.json and check/sweep.json. Nothing is rerun. The page has no
script and fetches nothing: open it in any browser, attach it to a notebook
or print it.`,
		Example: `  grd report out/two-layer-iris`,
		Args:    exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Dir = args[0]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runReport(c.Context(), opts)
		},
	}
}

func runReport(_ context.Context, opts *reportOptions) error {
	if err := report.WriteHTMLReport(opts.Dir); err != nil {
		return err
	}
	_, err := fmt.Fprintf(opts.g.Out, "report: %s\n", filepath.Join(opts.Dir, report.ReportFile))
	return err
}

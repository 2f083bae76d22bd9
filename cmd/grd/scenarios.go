package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/grd-engine/grd/scenarios"
	"github.com/spf13/cobra"
)

// scenariosOptions are the options of `grd scenarios`.
type scenariosOptions struct {
	g *globals
}

// newCmdScenarios returns `grd scenarios`, which lists the built-in
// scenarios, and its subcommand `show`.
func newCmdScenarios(g *globals, runF func(context.Context, *scenariosOptions) error) *cobra.Command {
	opts := &scenariosOptions{g: g}
	c := &cobra.Command{
		Use:   "scenarios",
		Short: "List the built-in scenarios",
		Long: `List the built-in scenarios, one per line: the name that 'grd run NAME' and
the other commands accept, then a one-line description. 'grd scenarios show
NAME' prints one as YAML to start a scenario of your own from.`,
		Args: noSubcommand,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return listScenarios(c.Context(), opts)
		},
	}
	c.AddCommand(newCmdScenariosShow(g, nil))
	return c
}

func listScenarios(_ context.Context, opts *scenariosOptions) error {
	tw := tabwriter.NewWriter(opts.g.Out, 0, 0, 2, ' ', 0)
	for _, b := range scenarios.Builtins() {
		fmt.Fprintf(tw, "%s\t%s\n", b.Name, b.Description)
	}
	return tw.Flush()
}

// scenariosShowOptions are the options of `grd scenarios show`.
type scenariosShowOptions struct {
	g *globals
	// Name is a built-in name or a scenario file.
	Name string
}

// newCmdScenariosShow returns `grd scenarios show NAME`.
func newCmdScenariosShow(g *globals, runF func(context.Context, *scenariosShowOptions) error) *cobra.Command {
	opts := &scenariosShowOptions{g: g}
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Print a scenario as YAML with every default filled in",
		Long: `Print the built-in scenario NAME (or the scenario file NAME) as YAML with
every setting written out, defaults included: a complete starting point for a
scenario of your own (save it, edit it, 'grd run FILE').`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return showScenario(c.Context(), opts)
		},
	}
}

func showScenario(_ context.Context, opts *scenariosShowOptions) error {
	s, err := scenarios.Open(opts.Name)
	if err != nil {
		return err
	}
	// Echo the default data.target by name. A data file that cannot be
	// read leaves it out: show prints the scenario anyway, and grd run
	// reports the data error.
	_ = s.FillData()
	return s.WriteYAML(opts.g.Out)
}

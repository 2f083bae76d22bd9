package main

import (
	"github.com/grd-engine/grd/scenarios"
	"github.com/spf13/cobra"
)

// setFlagHelp is the --set flag's help, shared by run, check and geometry.
const setFlagHelp = "override a scenario key: `KEY=VALUE` with a dotted key path and a YAML value, " +
	"e.g. metric.safety=0.2, sgd.runs=64, flows=[gd,ngd], model.layers[1]=8 (repeatable, applied in order)"

// addSetFlag adds --set to c, collecting the raw KEY=VALUE strings in raw
// (a string array: values may hold commas, as in flows=[gd,ngd]).
func addSetFlag(c *cobra.Command, raw *[]string) {
	c.Flags().StringArrayVar(raw, "set", nil, setFlagHelp)
}

// parseSet parses the --set values; a value without '=' or with a
// malformed key path is a usage error. Whether the keys exist is checked
// with the scenario (scenarios.Open).
func parseSet(c *cobra.Command, raw []string) ([]scenarios.Override, error) {
	var set []scenarios.Override
	for _, r := range raw {
		o, err := scenarios.ParseOverride(r)
		if err != nil {
			return nil, usagef(c, "%v", err)
		}
		set = append(set, o)
	}
	return set, nil
}

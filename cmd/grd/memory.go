package main

import (
	"github.com/grd-engine/grd/internal/meminfo"
	"github.com/spf13/cobra"
)

// memoryFlag is the value of --max-memory: a size (meminfo.ParseSize) or,
// unset, the machine's available memory.
type memoryFlag struct {
	text  string
	bytes float64
	set   bool
}

func (m *memoryFlag) String() string { return m.text }
func (m *memoryFlag) Type() string   { return "SIZE" }
func (m *memoryFlag) Set(s string) error {
	b, err := meminfo.ParseSize(s)
	if err != nil {
		return err
	}
	m.text, m.bytes, m.set = s, b, true
	return nil
}

// limit is the memory limit in bytes (0: none) and its source for
// messages: the flag's value, or the machine's available memory.
func (m *memoryFlag) limit() (float64, string) {
	if m.set {
		return m.bytes, "--max-memory " + m.text
	}
	return meminfo.Limit()
}

// addMaxMemoryFlag adds --max-memory to c (run, check, geometry).
func addMaxMemoryFlag(c *cobra.Command, m *memoryFlag) {
	c.Flags().Var(m, "max-memory", "refuse a run whose estimated memory exceeds `SIZE` (e.g. 8GiB, 512MB; 0: no limit; default the machine's available memory)")
}

package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// progressLine draws the progress of a set of flows on one terminal line,
// redrawn in place with a carriage return: how many are done, then each
// flow under way with its percentage of the time span,
//
//	grd run quadratic-2d: 1/4 done  ngd  37%  grd  12%
//
// so the line stays short however many flows there are (a sweep runs
// dozens). It redraws only when a flow's whole percentage changes, and is
// safe for concurrent use.
type progressLine struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	total  int
	order  []string       // flows in the order first seen
	pct    map[string]int // whole percentage per flow
	width  int            // of the last line drawn, to blank leftovers
}

// newProgressLine returns a progress line for total flows.
func newProgressLine(w io.Writer, prefix string, total int) *progressLine {
	return &progressLine{w: w, prefix: prefix, total: total, pct: make(map[string]int)}
}

// Update records that flow has covered the fraction frac of its time span
// (the experiment.RunOptions.Progress callback).
func (p *progressLine) Update(flow string, frac float64) {
	pc := int(100 * min(max(frac, 0), 1))
	p.mu.Lock()
	defer p.mu.Unlock()
	old, seen := p.pct[flow]
	if seen && old == pc {
		return
	}
	if !seen {
		p.order = append(p.order, flow)
	}
	p.pct[flow] = pc
	done := 0
	var active strings.Builder
	for _, f := range p.order {
		if v := p.pct[f]; v == 100 {
			done++
		} else {
			fmt.Fprintf(&active, "  %s %3d%%", f, v)
		}
	}
	line := fmt.Sprintf("%s %d/%d done%s", p.prefix, done, max(p.total, len(p.order)), active.String())
	n := len([]rune(line))
	pad := max(p.width-n, 0)
	p.width = n
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
}

// Done ends the line, so that the next output starts on a fresh line.
// A nil line does nothing.
func (p *progressLine) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.width > 0 {
		fmt.Fprintln(p.w)
		p.width = 0
	}
}

package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"
)

// progressLine draws the progress of a set of flows on one terminal line,
// redrawn in place with a carriage return: how many are done, then each
// flow under way with its percentage of the time span and, once the span is
// known (setSpan), its current time t, then the elapsed wall time and an
// estimate of the time left,
//
//	grd run quadratic-2d: 1/4 done  ngd  37% t=3.7  grd  12% t=1.2  elapsed 0:04  ETA 0:09
//
// so the line stays short however many flows there are (a sweep runs
// dozens). The ETA assumes the remaining work goes at the average pace so
// far: (elapsed) × (1 − F)/F with F the mean fraction done over all flows.
// It redraws only when a flow's whole percentage changes, and is safe for
// concurrent use.
type progressLine struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	total  int
	order  []string       // flows in the order first seen
	pct    map[string]int // whole percentage per flow
	width  int            // of the last line drawn, to blank leftovers
	frac   map[string]float64
	loss   map[string]float64 // loss at each flow's last output row (NaN: none yet)
	t0, t1 float64            // the flows' time span; t0 = t1: not shown
	now    func() time.Time
	start  time.Time
}

// newProgressLine returns a progress line for total flows; the elapsed time
// counts from now.
func newProgressLine(w io.Writer, prefix string, total int) *progressLine {
	return newProgressLineClock(w, prefix, total, time.Now)
}

// newProgressLineClock is newProgressLine reading the time from now.
func newProgressLineClock(w io.Writer, prefix string, total int, now func() time.Time) *progressLine {
	return &progressLine{w: w, prefix: prefix, total: total, pct: make(map[string]int), frac: make(map[string]float64),
		loss: make(map[string]float64), now: now, start: now()}
}

// setSpan sets the flows' time span [t0, t1], so that the line shows each
// flow's current time. A nil line does nothing.
func (p *progressLine) setSpan(t0, t1 float64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.t0, p.t1 = t0, t1
}

// clock formats a duration as m:ss, or h:mm:ss from an hour on.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// Update records that flow has covered the fraction frac of its time span
// and that its loss at the last output row is loss (NaN: not known; the
// experiment.RunOptions.Progress callback).
func (p *progressLine) Update(flow string, frac, loss float64) {
	pc := int(100 * min(max(frac, 0), 1))
	p.mu.Lock()
	defer p.mu.Unlock()
	old, seen := p.pct[flow]
	if seen && old == pc && (p.loss[flow] == loss || math.IsNaN(loss)) {
		return
	}
	if !math.IsNaN(loss) {
		p.loss[flow] = loss
	}
	if !seen {
		p.order = append(p.order, flow)
	}
	p.pct[flow] = pc
	p.frac[flow] = min(max(frac, 0), 1)
	done := 0
	var active strings.Builder
	var sum float64
	for _, f := range p.order {
		sum += p.frac[f]
		if v := p.pct[f]; v == 100 {
			done++
		} else {
			fmt.Fprintf(&active, "  %s %3d%%", f, v)
			if p.t1 != p.t0 {
				fmt.Fprintf(&active, " t=%.3g", p.t0+p.frac[f]*(p.t1-p.t0))
			}
			if l, ok := p.loss[f]; ok {
				fmt.Fprintf(&active, " loss=%.4g", l)
			}
		}
	}
	total := max(p.total, len(p.order))
	elapsed := p.now().Sub(p.start)
	eta := "—"
	if f := sum / float64(total); f > 0 {
		eta = clock(time.Duration(float64(elapsed) * (1 - f) / f))
	}
	line := fmt.Sprintf("%s %d/%d done%s  elapsed %s  ETA %s", p.prefix, done, total, active.String(), clock(elapsed), eta)
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

package experiment

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/scenarios/scenariotest"
)

// TestWorkerBudget: the split of W workers never exceeds W goroutines
// doing passes, runs as many flows at once as the budget and the jobs
// allow, and gives every flow at least one pass worker.
func TestWorkerBudget(t *testing.T) {
	for w := -1; w <= 17; w++ {
		for jobs := 1; jobs <= 12; jobs++ {
			flows, per := workerBudget(w, jobs)
			budget := max(1, w)
			if flows < 1 || per < 1 || flows*per > budget {
				t.Errorf("workerBudget(%d, %d) = %d flows × %d workers, want ≥ 1 each and a product ≤ %d", w, jobs, flows, per, budget)
			}
			if want := min(budget, jobs); flows != want {
				t.Errorf("workerBudget(%d, %d): %d flows at once, want %d", w, jobs, flows, want)
			}
			if flows*(per+1) <= budget {
				t.Errorf("workerBudget(%d, %d) = %d × %d leaves a worker per flow unused", w, jobs, flows, per)
			}
		}
	}
}

// TestRunWithinWorkerBudget instruments the flows of a sweep (seven jobs)
// and a run (five flows): at no time do the running flows' geometries hold
// more pass workers than --workers, though the flows do overlap.
func TestRunWithinWorkerBudget(t *testing.T) {
	for _, w := range []int{1, 2, 3, 4, 8} {
		var mu sync.Mutex
		running, peak, overlap := 0, 0, 0
		spy := func(ctx context.Context, g *engine.Geometry, p *prepared, flow string, met engine.Metric, progress progressFunc) *flow.Trajectory {
			mu.Lock()
			running += g.Workers()
			peak = max(peak, running)
			if running > g.Workers() {
				overlap++
			}
			mu.Unlock()
			time.Sleep(2 * time.Millisecond) // let the flows overlap
			tr := engineFlow(ctx, g, p, flow, met, progress)
			mu.Lock()
			running -= g.Workers()
			mu.Unlock()
			return tr
		}
		if _, err := runWith(context.Background(), scenariotest.Tiny(t), RunOptions{Workers: w}, spy); err != nil {
			t.Fatal(err)
		}
		if _, err := sweepWith(context.Background(), scenariotest.Tiny(t), []float64{0.1, 0.2, 0.4}, RunOptions{Workers: w}, spy); err != nil {
			t.Fatal(err)
		}
		if peak > w {
			t.Errorf("workers %d: up to %d pass workers at once", w, peak)
		}
		if w > 1 && overlap == 0 {
			t.Errorf("workers %d: the flows never ran concurrently", w)
		}
	}
}

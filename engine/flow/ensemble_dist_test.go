package flow

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/internal/commtest"
	"github.com/grd-engine/grd/models"
)

// distCases are ensembles of every kind (sgd on the Subset and masked
// paths, sde, cd, pcd) with the ε·λ_max monitor on.
func distCases(t *testing.T) []struct {
	name string
	m    models.Model
	w0   []float64
	spec Spec
} {
	lm := flLogistic(t, 11, 37, 3)
	lw0 := []float64{0.2, -0.1, 0.3, 0.05}
	rbm, rw0 := cdBars(t, 4)
	met := engine.Metric{Epsilon: 0.01}
	return []struct {
		name string
		m    models.Model
		w0   []float64
		spec Spec
	}{
		{"sgd subset", lm, lw0, Spec{Flow: SGD, Metric: met, Ensemble: EnsembleSpec{LR: 0.05, Batch: 5, Runs: 7, Seed: 3}}},
		{"sgd masked", hidden{lm}, lw0, Spec{Flow: SGD, Metric: met, Ensemble: EnsembleSpec{LR: 0.05, Batch: 5, Runs: 5, Seed: 3}}},
		{"sde", lm, lw0, Spec{Flow: SDE, Metric: met, Ensemble: EnsembleSpec{LR: 0.05, Batch: 5, Runs: 7, Dt: 0.05, Seed: 3}}},
		{"cd", rbm, rw0, Spec{Flow: CD, Metric: met, Ensemble: EnsembleSpec{LR: 0.05, Batch: 3, Runs: 4, K: 2, Seed: 3}}},
		{"pcd", rbm, rw0, Spec{Flow: CD, Metric: met, Ensemble: EnsembleSpec{LR: 0.05, Batch: 3, Runs: 5, K: 2, Persistent: true, Seed: 3}}},
	}
}

// TestEnsembleDistributed runs every ensemble kind on 2, 3 and 4 ranks
// (an in-process communicator) with 1 and 2 workers per rank — runs split
// by run index and folded in run order — and checks that every rank's
// Trajectory is bit-identical to the single-process one: means, spreads,
// KL, ε·λ_max and counters.
func TestEnsembleDistributed(t *testing.T) {
	for _, c := range distCases(t) {
		c.spec.Times = flLinspace(0, 1, 4)
		want := flRun(t, engine.New(c.m, &engine.Options{Chunk: 4, Workers: 1}), c.w0, c.spec)
		if want.EpsLambdaMax[1] == 0 {
			t.Fatalf("%s: no ε·λ_max monitor", c.name)
		}
		for _, k := range []int{2, 3, 4} {
			for _, workers := range []int{1, 2} {
				spec := c.spec
				spec.Workers = workers
				got, errs := commtest.OnRanks(k, func(cm *commtest.Comm) (*Trajectory, error) {
					g := engine.New(c.m, &engine.Options{Chunk: 4, Workers: workers, Comm: cm})
					tr := Run(context.Background(), g, c.w0, spec, nil)
					return tr, tr.Err
				})
				for r := range k {
					if errs[r] != nil {
						t.Fatalf("%s on %d ranks × %d workers: rank %d: %v", c.name, k, workers, r, errs[r])
					}
					if d := ckSameRows(got[r], want); d != "" {
						t.Errorf("%s on %d ranks × %d workers: rank %d differs from a single process: %s", c.name, k, workers, r, d)
					}
				}
			}
		}
	}
}

// TestEnsembleDistributedInterrupt cancels one rank's context in the
// middle of a run (deterministically, from the step hook): every rank ends
// the flow as canceled, not failed, and rank 0's checkpoint state resumes
// — on another number of ranks, and in a single process — to the
// uninterrupted Trajectory, bit for bit.
func TestEnsembleDistributedInterrupt(t *testing.T) {
	c := distCases(t)[0]
	c.spec.Times = flLinspace(0, 1, 4) // 20 steps per run
	want := flRun(t, engine.New(c.m, &engine.Options{Chunk: 4, Workers: 1}), c.w0, c.spec)
	for _, at := range []struct{ k, rank, run, step int }{{2, 1, 1, 7}, {3, 0, 0, 12}, {3, 2, 5, 3}, {2, 1, 5, 20}} {
		name := fmt.Sprintf("%d ranks, rank %d canceled at run %d step %d", at.k, at.rank, at.run, at.step)
		states, errs := commtest.OnRanks(at.k, func(cm *commtest.Comm) (*State, error) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			spec := c.spec
			spec.Workers = 1
			spec.Checkpoint = &Checkpoint{EnsembleStep: func(run, j int) {
				if cm.Rank() == at.rank && run == at.run && j == at.step {
					cancel()
				}
			}}
			tr := Run(ctx, engine.New(c.m, &engine.Options{Chunk: 4, Workers: 1, Comm: cm}), c.w0, spec, nil)
			if tr.Status != StatusCanceled {
				return nil, fmt.Errorf("status %s (%v), want canceled", tr.Status, tr.Err)
			}
			if !errors.Is(tr.Err, context.Canceled) {
				return nil, fmt.Errorf("error %v is not an interruption", tr.Err)
			}
			return spec.Checkpoint.Latest(), nil
		})
		for r, err := range errs {
			if err != nil {
				t.Fatalf("%s: rank %d: %v", name, r, err)
			}
		}
		st := states[0]
		for _, k2 := range []int{1, 3} {
			got, errs := commtest.OnRanks(k2, func(cm *commtest.Comm) (*Trajectory, error) {
				spec := c.spec
				spec.Workers = 1
				spec.Checkpoint = &Checkpoint{Resume: st}
				var comm engine.Comm
				if k2 > 1 {
					comm = cm
				}
				tr := Run(context.Background(), engine.New(c.m, &engine.Options{Chunk: 4, Workers: 1, Comm: comm}), c.w0, spec, nil)
				return tr, tr.Err
			})
			for r := range k2 {
				if errs[r] != nil {
					t.Fatalf("%s: resumed on %d ranks: rank %d: %v", name, k2, r, errs[r])
				}
				if d := ckSameRows(got[r], want); d != "" {
					t.Errorf("%s: resumed on %d ranks: rank %d differs from the uninterrupted run: %s", name, k2, r, d)
				}
			}
		}
	}
}

// TestEnsembleDistributedFailure runs a diverging sgd ensemble (every run
// exceeds the divergence bound) on 2 and 3 ranks: every rank ends the flow
// failed with the single-process message — the first failing run's, in
// run order, without a rank's name — and the same rows.
func TestEnsembleDistributedFailure(t *testing.T) {
	m := flQuadratic(t, []models.QuadSample{{A: []float64{1}, C: []float64{0}}})
	spec := Spec{Flow: SGD, Times: flLinspace(0, 3000, 31), Ensemble: EnsembleSpec{LR: 3, Batch: 1, Runs: 5}}
	want := Run(context.Background(), engine.New(m, nil), []float64{1}, spec, nil)
	if want.Status != StatusFailed || want.Err == nil {
		t.Fatalf("single process: status %s (%v), want failed", want.Status, want.Err)
	}
	for _, k := range []int{2, 3} {
		got, _ := commtest.OnRanks(k, func(cm *commtest.Comm) (*Trajectory, error) {
			spec := spec
			spec.Workers = 1
			tr := Run(context.Background(), engine.New(m, &engine.Options{Workers: 1, Comm: cm}), []float64{1}, spec, nil)
			return tr, nil
		})
		for r, tr := range got {
			if tr.Err == nil || tr.Err.Error() != want.Err.Error() {
				t.Errorf("%d ranks: rank %d: error %v, want %v", k, r, tr.Err, want.Err)
			}
			if d := ckSameRows(tr, want); d != "" {
				t.Errorf("%d ranks: rank %d differs from a single process: %s", k, r, d)
			}
		}
	}
}

// TestEnsembleDistributedCanceledAtStart interrupts one rank before the
// ensemble starts (its divergence bound fails): the ranks agree, none waits
// for it in the runs' collectives, and every rank ends canceled.
func TestEnsembleDistributedCanceledAtStart(t *testing.T) {
	c := distCases(t)[0]
	c.spec.Times = flLinspace(0, 1, 4)
	for _, k := range []int{2, 3} {
		got, _ := commtest.OnRanks(k, func(cm *commtest.Comm) (*Trajectory, error) {
			ctx, cancel := context.WithCancel(context.Background())
			if cm.Rank() == k-1 {
				cancel()
			}
			defer cancel()
			return Run(ctx, engine.New(c.m, &engine.Options{Chunk: 4, Workers: 1, Comm: cm}), c.w0, c.spec, nil), nil
		})
		for r, tr := range got {
			if tr.Status != StatusCanceled || !errors.Is(tr.Err, context.Canceled) {
				t.Errorf("%d ranks, the last one interrupted: rank %d: status %s (%v), want canceled", k, r, tr.Status, tr.Err)
			}
		}
	}
}

// TestEnsembleEpsLambdaMaxInterrupted interrupts an ensemble after its
// last run's last step, so that the ε·λ_max monitor at the ensemble means
// is what the interruption stops — in one process and on 2 ranks (the
// second rank interrupted): the flow ends canceled with no ε·λ_max
// reported, not zeros for the rows the monitor did not reach (which the
// summary's max_eps_lambda_max would show as values).
func TestEnsembleEpsLambdaMaxInterrupted(t *testing.T) {
	c := distCases(t)[0]
	c.spec.Times = flLinspace(0, 1, 4) // 20 steps per run
	runs := c.spec.Ensemble.Runs       // 7: on 2 ranks of 1 worker rank 1's last run is run 5
	for _, k := range []int{1, 2} {
		last := runs - k
		got, _ := commtest.OnRanks(k, func(cm *commtest.Comm) (*Trajectory, error) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			spec := c.spec
			spec.Workers = 1
			spec.Checkpoint = &Checkpoint{EnsembleStep: func(run, j int) {
				if cm.Rank() == k-1 && run == last && j == 20 {
					cancel()
				}
			}}
			var comm engine.Comm
			if k > 1 {
				comm = cm
			}
			return Run(ctx, engine.New(c.m, &engine.Options{Chunk: 4, Workers: 1, Comm: comm}), c.w0, spec, nil), nil
		})
		for r, tr := range got {
			if tr.Status != StatusCanceled {
				t.Fatalf("%d ranks: rank %d: status %s (%v), want canceled by the interruption of the monitor", k, r, tr.Status, tr.Err)
			}
			if m, n := tr.MaxEpsLambdaMax(); n != 0 {
				t.Errorf("%d ranks: rank %d: ε·λ_max %v reported (max %v over %d rows) though the monitor was interrupted", k, r, tr.EpsLambdaMax, m, n)
			}
		}
	}
}

// TestEnsembleDistributedCanceledRows interrupts run 1 of an ensemble in
// one process and on 2 and 3 ranks: the interrupted Trajectory (written as
// the run's partial outputs) has the single process's rows, bit for bit —
// the t0 row, which the runs started after the interruption record before
// they stop.
func TestEnsembleDistributedCanceledRows(t *testing.T) {
	c := distCases(t)[0]
	c.spec.Times = flLinspace(0, 1, 4)
	var want *Trajectory
	for _, k := range []int{1, 2, 3} {
		got, _ := commtest.OnRanks(k, func(cm *commtest.Comm) (*Trajectory, error) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			spec := c.spec
			spec.Workers = 1
			spec.Checkpoint = &Checkpoint{EnsembleStep: func(run, j int) {
				if run == 1 && j == 7 {
					cancel()
				}
			}}
			var comm engine.Comm
			if k > 1 {
				comm = cm
			}
			return Run(ctx, engine.New(c.m, &engine.Options{Chunk: 4, Workers: 1, Comm: comm}), c.w0, spec, nil), nil
		})
		if k == 1 {
			want = got[0]
			if want.Status != StatusCanceled || want.Len() != 1 {
				t.Fatalf("one process: status %s, %d rows; want canceled with the t0 row", want.Status, want.Len())
			}
			continue
		}
		for r, tr := range got {
			if tr.Status != StatusCanceled || tr.Len() != want.Len() || !flBits(tr.W[0], want.W[0]) || !flBits(tr.Loss, want.Loss) || !flBits(tr.LossStd, want.LossStd) {
				t.Errorf("%d ranks: rank %d: status %s, %d rows (W %v, loss %v); one process: %d rows (W %v, loss %v)",
					k, r, tr.Status, tr.Len(), tr.W, tr.Loss, want.Len(), want.W, want.Loss)
			}
		}
	}
}

package experiment

import (
	"context"
	"errors"
	"math"
	"testing"
)

// TestResumeEpsilonOfOtherRanks checks the ε check of a resume: a
// recomputed ε within resumeEpsTol of the checkpoint's (what another
// number of MPI ranks gives) is accepted and replaced by the checkpoint's,
// for the metric the flows run with too; one further off is refused.
func TestResumeEpsilonOfOtherRanks(t *testing.T) {
	sc := resumeScenario(t)
	p, err := prepare(context.Background(), sc, sc.Flows, RunOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if p.eps == 0 {
		t.Fatal("the scenario has ε = 0: nothing to test")
	}
	h, err := setupHash(p)
	if err != nil {
		t.Fatal(err)
	}
	ckOf := func(eps float64) *Checkpoint {
		ck := &Checkpoint{Format: CheckpointFormat, Version: "v", ScenarioHash: h, Set: sc.OverrideStrings(), Epsilon: eps}
		for _, f := range sc.Flows {
			ck.Flows = append(ck.Flows, CheckpointFlow{Flow: f})
		}
		return ck
	}
	eps := p.eps
	near := math.Nextafter(eps, 1) // a last-bit difference
	if err := ckOf(near).check(p, "v"); err != nil {
		t.Fatalf("ε one ulp off: %v", err)
	}
	if p.eps != near || p.met.Epsilon != near {
		t.Errorf("after the check ε = %v and the metric's %v, want the checkpoint's %v", p.eps, p.met.Epsilon, near)
	}
	p.eps, p.met.Epsilon = eps, eps
	err = ckOf(eps*(1+1e-6)).check(p, "v")
	if !errors.Is(err, ErrCheckpoint) {
		t.Errorf("ε 1e-6 off: %v, want a refused checkpoint", err)
	}
	if p.eps != eps {
		t.Errorf("a refused checkpoint changed ε to %v", p.eps)
	}
}

package bench

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/grd-engine/grd/internal/commtest"
	"github.com/grd-engine/grd/models"
)

// TestPassFlops checks the flop count against the paper's ResNet row:
// 784 → 2150 → 10 over N = 60000 is 4Nnh + 6Nho = 4.12284e11 flops.
func TestPassFlops(t *testing.T) {
	if got, want := PassFlops(60000, 784, 2150, 10), 4*60000*784*2150.0+6*60000*2150*10.0; got != want || got != 4.12284e11 {
		t.Errorf("PassFlops = %g, want %g", got, want)
	}
}

// TestRunGeometryRealSmall runs the real-data row on a tiny network (a
// small GEMM) and checks its fields and table; no timing assertions (the
// machine is shared).
func TestRunGeometryRealSmall(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m, err := models.NewTwoLayer(benchData(rng, 300, 5, 3), 4, models.Tanh, models.Squared)
	if err != nil {
		t.Fatal(err)
	}
	w0 := benchVec(rng, m.Dim(), 0.3)
	r, err := RunGeometryReal(context.Background(), RealConfig{Name: "tiny", Model: m, W0: w0, In: 5, Hidden: 4, Out: 3, Workers: 2, GemmSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	if r.N != 300 || r.D != m.Dim() || r.Hidden != 4 || r.Backend != models.BLASBackend || r.Flops != PassFlops(300, 5, 4, 3) {
		t.Errorf("result %+v: wrong sizes", r)
	}
	for _, x := range []float64{r.Grad, r.Dv, r.Gamma, r.RHS, r.PassGFLOPS, r.GemmGF} {
		if !(x > 0) {
			t.Errorf("result %+v: want positive timings and rates", r)
			break
		}
	}
	var buf bytes.Buffer
	if err := WriteReal(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, x := range []float64{r.GradCPU, r.DvCPU, r.GammaCPU, r.RHSCPU} {
		if !(x >= 0) {
			t.Errorf("result %+v: want CPU seconds ≥ 0", r)
			break
		}
	}
	for _, s := range []string{"tiny: N=300", "D·v", "Γ(v,v)", "GRD RHS", "GFLOP/s", "peak RSS", "CPU s (user+sys)"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, buf.String())
		}
	}
	if _, err := RunGeometryReal(context.Background(), RealConfig{Name: "bad", Model: m, W0: w0[1:]}); err == nil {
		t.Error("a w0 of the wrong length: no error")
	}
}

// TestRunGeometryRealRanks runs the real-data row on 2 in-process ranks:
// the traffic is counted (a gradient pass receives the other rank's
// d-vector partial: 8d bytes) and printed.
func TestRunGeometryRealRanks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m, err := models.NewTwoLayer(benchData(rng, 300, 5, 3), 4, models.Tanh, models.Squared)
	if err != nil {
		t.Fatal(err)
	}
	w0 := benchVec(rng, m.Dim(), 0.3)
	res, errs := commtest.OnRanks(2, func(c *commtest.Comm) (RealResult, error) {
		return RunGeometryReal(context.Background(), RealConfig{Name: "tiny", Model: m, W0: w0, In: 5, Hidden: 4, Out: 3, Workers: 1, GemmSize: 64, Comm: c})
	})
	for q, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", q, err)
		}
	}
	r := res[0]
	if r.Ranks != 2 || r.GradComm.BytesRecv != int64(8*m.Dim()) || r.GradComm.Collectives != 1 {
		t.Errorf("gradient pass traffic %+v on %d ranks, want 1 collective receiving 8d = %d bytes", r.GradComm, r.Ranks, 8*m.Dim())
	}
	if !(r.RHSComm.BytesRecv > r.GradComm.BytesRecv) {
		t.Errorf("GRD RHS traffic %+v, want more than a gradient's %+v", r.RHSComm, r.GradComm)
	}
	var buf bytes.Buffer
	if err := WriteReal(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "between 2 ranks") {
		t.Errorf("table lacks the traffic between ranks:\n%s", buf.String())
	}
}

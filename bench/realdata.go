package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/models"
)

// RealConfig configures RunGeometryReal: one measurement of the geometry
// kernels on a scenario's own two-layer network, data and w0 (e.g. the
// built-in paper-resnet-size: Fashion-MNIST, N = 60000, d = 1 709 260, the
// paper's ResNet row). Each kernel is timed once, after one warm-up
// gradient pass: at the paper's size one pass takes tens of seconds.
type RealConfig struct {
	// Name labels the result (the scenario's name).
	Name string
	// Model is the scenario's two-layer network over its data (on a rank
	// of a distributed run, models.Shard of it over the rank's samples);
	// W0 its initial point.
	Model models.Model
	W0    []float64
	// In, Hidden and Out are the network's widths (for the flop count).
	In, Hidden, Out int
	// Comm, if not nil, distributes the passes over its ranks
	// (engine.Options.Comm); the result then counts their traffic.
	Comm engine.Comm
	// Workers for the passes and the GEMM goroutines. Default
	// runtime.GOMAXPROCS(0).
	Workers int
	// GemmSize is the order of the square GEMMs timed for the machine's
	// rate (default 1024), each worker multiplying its own matrices.
	GemmSize int
	// Seed for the direction v. Default 1.
	Seed uint64
}

// RealResult is one RunGeometryReal measurement. Seconds are wall times
// of single calls.
type RealResult struct {
	Name, Backend   string
	N, D, Workers   int
	In, Hidden, Out int
	Grad, Dv, Gamma float64 // seconds: ∇f, D·v, Γ(v,v) of the first kind
	RHS             float64 // seconds: the GRD right-hand side ∇f + Hu + Γ(u,u) (weak-field)
	// CPU seconds (user+system, all goroutines) of the same four calls:
	// on a shared machine CPU/Workers estimates the wall time on Workers
	// free cores, which the wall times above only are when the machine is
	// quiet. 0 where the platform does not report it.
	GradCPU, DvCPU, GammaCPU, RHSCPU float64
	Flops                            float64 // flops of one gradient pass (PassFlops)
	PassGFLOPS, GemmGF               float64 // achieved by the gradient pass; the GEMM rate on Workers goroutines
	GemmSize                         int
	PeakRSS                          int64 // bytes (VmHWM), data set included

	// Ranks is the number of ranks of a distributed run (1: alone), and
	// GradComm … RHSComm each operation's traffic between them on this
	// rank (engine.CommStats; zero alone).
	Ranks                                int
	GradComm, DvComm, GammaComm, RHSComm engine.CommStats
}

// PassFlops is the flop count of one full-batch gradient pass of a
// two-layer network n → h → o over N samples: the forward products
// X·W1ᵀ (2Nnh) and Z·W2ᵀ (2Nho), the backward δ2·W2 (2Nho), and the
// weight gradients δ1ᵀ·X (2Nnh) and δ2ᵀ·Z (2Nho): 4Nnh + 6Nho. The
// activations and the loss (O(N(h+o))) are left out.
func PassFlops(n, in, hidden, out int) float64 {
	N, ni, h, o := float64(n), float64(in), float64(hidden), float64(out)
	return 4*N*ni*h + 6*N*h*o
}

// RunGeometryReal times ∇f, D·v, Γ(v,v) and the GRD right-hand side once
// each on cfg.Model at cfg.W0 (v a seeded normal direction, ε = 1e-3: the
// cost does not depend on ε), then the GEMM rate of the models' BLAS on
// Workers goroutines, and reads the peak RSS.
func RunGeometryReal(ctx context.Context, cfg RealConfig) (RealResult, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.GemmSize <= 0 {
		cfg.GemmSize = 1024
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	m := cfg.Model
	d := m.Dim()
	if len(cfg.W0) != d {
		return RealResult{}, fmt.Errorf("bench: geometry %s: w0 has %d values, the model d = %d", cfg.Name, len(cfg.W0), d)
	}
	res := RealResult{Name: cfg.Name, Backend: models.BLASBackend, N: m.Len(), D: d, Workers: cfg.Workers,
		In: cfg.In, Hidden: cfg.Hidden, Out: cfg.Out, GemmSize: cfg.GemmSize,
		Flops: PassFlops(m.Len(), cfg.In, cfg.Hidden, cfg.Out), Ranks: 1}
	if cfg.Comm != nil {
		res.Ranks = cfg.Comm.Size()
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x7ea1))
	u := benchVec(rng, d, 1)
	w := cfg.W0
	dst, dst2 := make([]float64, d), make([]float64, d)
	g := engine.New(m, &engine.Options{Workers: cfg.Workers, Comm: cfg.Comm})
	const eps = 1e-3
	timed := func(p, cpu *float64, c *engine.CommStats, op func() error) error {
		start, cpu0, c0 := time.Now(), processCPUSeconds(), g.CommStats()
		err := op()
		*p = time.Since(start).Seconds()
		*cpu = processCPUSeconds() - cpu0
		*c = g.CommStats().Sub(c0)
		return err
	}
	var warm, warmCPU float64
	var warmComm engine.CommStats
	for _, o := range []struct {
		p, cpu *float64
		c      *engine.CommStats
		op     func() error
	}{
		{&warm, &warmCPU, &warmComm, func() error { return g.Grad(ctx, dst, w) }},
		{&res.Grad, &res.GradCPU, &res.GradComm, func() error { return g.Grad(ctx, dst, w) }},
		{&res.Dv, &res.DvCPU, &res.DvComm, func() error { return g.DiffusionVec(ctx, dst, w, u) }},
		{&res.Gamma, &res.GammaCPU, &res.GammaComm, func() error { return g.ChristoffelFirst(ctx, dst, w, u, eps) }},
		{&res.RHS, &res.RHSCPU, &res.RHSComm, func() error {
			if err := g.Grad(ctx, dst2, w); err != nil {
				return err
			}
			return g.Acceleration(ctx, dst, w, u, engine.Metric{Epsilon: eps})
		}},
	} {
		if err := timed(o.p, o.cpu, o.c, o.op); err != nil {
			return res, fmt.Errorf("bench: geometry %s: %w", cfg.Name, err)
		}
	}
	res.PassGFLOPS = res.Flops / res.Grad / 1e9
	gf, err := gemmRate(ctx, cfg.GemmSize, cfg.Workers)
	if err != nil {
		return res, err
	}
	res.GemmGF = gf
	res.PeakRSS = peakRSS()
	return res, nil
}

// gemmRate times n×n GEMMs with models.Gemm on workers goroutines at
// once (each its own matrices, at least two products and 1 s each) and
// returns the aggregate GFLOP/s.
func gemmRate(ctx context.Context, n, workers int) (float64, error) {
	flops := make([]float64, workers)
	secs := make([]float64, workers)
	var wg sync.WaitGroup
	for q := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(q), 0x9e3))
			a, b, c := benchVec(rng, n*n, 1), benchVec(rng, n*n, 1), make([]float64, n*n)
			models.Gemm(n, n, n, a, b, c) // warm-up
			start := time.Now()
			for k := 0; k < 2 || time.Since(start) < time.Second; k++ {
				if ctx.Err() != nil {
					return
				}
				models.Gemm(n, n, n, a, b, c)
				flops[q] += 2 * float64(n) * float64(n) * float64(n)
			}
			secs[q] = time.Since(start).Seconds()
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("bench: GEMM rate: %w", err)
	}
	var gf float64
	for q := range workers {
		gf += flops[q] / secs[q] / 1e9
	}
	return gf, nil
}

// WriteReal writes r as a small table: seconds, passes and the rates.
func WriteReal(w io.Writer, r RealResult) error {
	_, err := fmt.Fprintf(w, `%s: N=%d d=%d (%d→%d→%d), BLAS %s, workers=%d
  gradient ∇f (unit)                      %8.3g s   1 pass, %.3g flops (4Nnh+6Nho): %.3g GFLOP/s
  D·v                                     %8.3g s   %.2f passes
  Γ(v,v) first kind                       %8.3g s   %.2f passes
  GRD RHS ∇f + Hu + Γ(u,u) (weak-field)   %8.3g s   %.2f passes
  GEMM %d×%d on %d goroutines (%s)        %8.3g GFLOP/s: flop bound of the pass %.3g s, pass at %.2f× the bound
  peak RSS                                %8.0f MiB
  CPU s (user+sys) ∇f, D·v, Γ, RHS        %.3g, %.3g, %.3g, %.3g: ∇f on %d free cores ≈ %.3g s
`,
		r.Name, r.N, r.D, r.In, r.Hidden, r.Out, r.Backend, r.Workers,
		r.Grad, r.Flops, r.PassGFLOPS,
		r.Dv, r.Dv/r.Grad, r.Gamma, r.Gamma/r.Grad, r.RHS, r.RHS/r.Grad,
		r.GemmSize, r.GemmSize, r.Workers, r.Backend, r.GemmGF, r.Flops/(r.GemmGF*1e9), r.Grad/(r.Flops/(r.GemmGF*1e9)),
		float64(r.PeakRSS)/(1<<20),
		r.GradCPU, r.DvCPU, r.GammaCPU, r.RHSCPU, r.Workers, r.GradCPU/float64(max(r.Workers, 1)))
	if err != nil || r.Ranks <= 1 {
		return err
	}
	_, err = fmt.Fprintf(w, "  between %d ranks (rank 0: collectives, MiB received, MiB sent, seconds in collectives and waiting for the other ranks)\n", r.Ranks)
	for _, c := range []struct {
		name string
		s    engine.CommStats
		t    float64
	}{{"gradient ∇f", r.GradComm, r.Grad}, {"D·v", r.DvComm, r.Dv}, {"Γ(v,v) first kind", r.GammaComm, r.Gamma}, {"GRD RHS", r.RHSComm, r.RHS}} {
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "  %-38s  %3d  %9.3f  %9.3f  %8.3g s (%.1f%% of the call)\n", c.name, c.s.Collectives,
			float64(c.s.BytesRecv)/(1<<20), float64(c.s.BytesSent)/(1<<20), c.s.Seconds, 100*c.s.Seconds/c.t)
	}
	return err
}

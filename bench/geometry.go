package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/models"
)

// GeometryConfig configures RunGeometry. Zero fields mean the documented
// defaults (the DESIGN §2 performance point).
type GeometryConfig struct {
	// N, In, Hidden, Out: the two-layer network's data size and widths.
	// Defaults 10000, 64, 128, 10.
	N, In, Hidden, Out int
	// Activation is σ (default tanh, the zero value); Loss the per-sample
	// loss (default squared, the zero value).
	Activation models.Activation
	Loss       models.Loss
	// Workers for the ratio rows. Default runtime.GOMAXPROCS(0).
	Workers int
	// MinTime is the least time spent per measurement. Each ratio row
	// alternates Trials measurements of the operation and of its unit and
	// reports the median ratio (and the operation's best time). Defaults
	// 200 ms and 5.
	MinTime time.Duration
	Trials  int
	// Seed for data, weights and directions. Default 1.
	Seed uint64
	// DenseN and DenseHidden size the dense-vs-matrix-free comparison: a
	// two-layer network with In = 6, Out = 3 and DenseHidden = 10 hidden
	// units has d = 103. Defaults 500 and 10.
	DenseN, DenseHidden int
	// SkipSpeedup and SkipDense leave out the 1-vs-2-worker and the
	// dense-tensor rows.
	SkipSpeedup, SkipDense bool
}

func (c GeometryConfig) withDefaults() GeometryConfig {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&c.N, 10000)
	def(&c.In, 64)
	def(&c.Hidden, 128)
	def(&c.Out, 10)
	def(&c.Workers, runtime.GOMAXPROCS(0))
	def(&c.Trials, 5)
	def(&c.DenseN, 500)
	def(&c.DenseHidden, 10)
	if c.MinTime <= 0 {
		c.MinTime = 200 * time.Millisecond
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	return c
}

// GeometryRow is one line of the geometry cost table.
type GeometryRow struct {
	// Name of the operation and Setup (model, N, d, workers).
	Name, Setup string
	// Seconds per operation.
	Seconds float64
	// Ratio is Seconds relative to the row's unit: one full-batch gradient
	// pass (Unit "passes") measured in the same run with the same workers,
	// or another operation for speed-up rows (Unit "×").
	Ratio float64
	Unit  string
	// Budget is the DESIGN budget or goal for Ratio (0: none) and Goal
	// tells its direction: "≤" (a cost budget) or "≥" (a speed-up goal).
	Budget float64
	Goal   string
}

// Met reports whether the row meets its budget or goal (true without one).
func (r GeometryRow) Met() bool {
	switch {
	case r.Budget == 0:
		return true
	case r.Goal == "≥":
		return r.Ratio >= r.Budget
	default:
		return r.Ratio <= r.Budget
	}
}

// benchData returns a seeded data set: standard normal inputs and
// uniformly drawn class labels with one-hot targets.
func benchData(rng *rand.Rand, n, in, out int) *models.Data {
	d := &models.Data{N: n, In: in, Out: out, X: make([]float64, n*in), Y: make([]float64, n*out), Labels: make([]int, n)}
	for i := range d.X {
		d.X[i] = rng.NormFloat64()
	}
	for i := 0; i < n; i++ {
		l := rng.IntN(out)
		d.Labels[i] = l
		d.Y[i*out+l] = 1
	}
	return d
}

// benchVec returns a seeded normal vector with standard deviation scale.
func benchVec(rng *rand.Rand, d int, scale float64) []float64 {
	x := make([]float64, d)
	for i := range x {
		x[i] = scale * rng.NormFloat64()
	}
	return x
}

// timeOp returns the best, over trials, of the mean time per call of op,
// each trial running op until minTime has passed. It stops at the first
// error or when ctx is done.
func timeOp(ctx context.Context, minTime time.Duration, trials int, op func() error) (float64, error) {
	if err := op(); err != nil { // warm-up: scratch sized on first use
		return 0, err
	}
	best := 0.0
	for t := 0; t < trials; t++ {
		start := time.Now()
		k := 0
		for {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			if err := op(); err != nil {
				return 0, err
			}
			k++
			if el := time.Since(start); el >= minTime {
				s := el.Seconds() / float64(k)
				if t == 0 || s < best {
					best = s
				}
				break
			}
		}
	}
	return best, nil
}

// pairedRatio measures op and unit alternately, trials times (each for at
// least minTime), and returns op's best time per call and the median of
// the per-trial ratios op/unit. Pairing adjacent measurements cancels the
// slow drift of a shared machine's load.
func pairedRatio(ctx context.Context, minTime time.Duration, trials int, op, unit func() error) (seconds, ratio float64, err error) {
	ratios := make([]float64, trials)
	for t := range ratios {
		u, err := timeOp(ctx, minTime, 1, unit)
		if err != nil {
			return 0, 0, err
		}
		s, err := timeOp(ctx, minTime, 1, op)
		if err != nil {
			return 0, 0, err
		}
		if t == 0 || s < seconds {
			seconds = s
		}
		ratios[t] = s / u
	}
	sort.Float64s(ratios)
	return seconds, ratios[trials/2], nil
}

// RunGeometry measures the matrix-free geometry kernels on a two-layer
// network against one full-batch gradient pass in the same run: D·v
// (budget 2.5 passes), Γ(v,v) (budget 3), the GRD right-hand side
// ∇f + Hu + Γ(u,u) with the weak-field inverse (budget 6), plus Γ(v,v) of
// the second kind by CG and the NGD velocity for information; the parallel
// speed-up of Γ(v,v) with 2 workers over 1 (goal 1.7×); and, at d ≈ 100,
// matrix-free Γ(v,v) against the dense tensor (goal 100×, build and
// contract), with the contraction of a prebuilt tensor alone for contrast.
func RunGeometry(ctx context.Context, cfg GeometryConfig) ([]GeometryRow, error) {
	cfg = cfg.withDefaults()
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6e0))
	data := benchData(rng, cfg.N, cfg.In, cfg.Out)
	m, err := models.NewTwoLayer(data, cfg.Hidden, cfg.Activation, cfg.Loss)
	if err != nil {
		return nil, fmt.Errorf("bench: geometry: %w", err)
	}
	d := m.Dim()
	w := benchVec(rng, d, 0.1)
	u := benchVec(rng, d, 1)
	dst := make([]float64, d)
	dst2 := make([]float64, d)

	g := engine.New(m, &engine.Options{Workers: cfg.Workers})
	eps, _, err := g.Epsilon(ctx, w, engine.EpsilonSpec{Auto: true})
	if err != nil {
		return nil, fmt.Errorf("bench: geometry: %w", err)
	}
	setup := fmt.Sprintf("%s N=%d d=%d workers=%d", m.Name(), cfg.N, d, cfg.Workers)

	weak := engine.Metric{Epsilon: eps}
	gradOp := func() error { return g.Grad(ctx, dst, w) }
	ops := []struct {
		name   string
		budget float64
		op     func() error
	}{
		{"gradient ∇f (unit)", 0, gradOp},
		{"D·v", 2.5, func() error { return g.DiffusionVec(ctx, dst, w, u) }},
		{"Γ(v,v) first kind", 3, func() error { return g.ChristoffelFirst(ctx, dst, w, u, eps) }},
		{"GRD RHS ∇f + Hu + Γ(u,u) (weak-field)", 6, func() error {
			if err := g.Grad(ctx, dst2, w); err != nil {
				return err
			}
			return g.Acceleration(ctx, dst, w, u, weak)
		}},
		{"Hv", 0, func() error { return g.HessVec(ctx, dst, w, u) }},
		{"NGD velocity −P∇f (weak-field)", 0, func() error { return g.NGDVelocity(ctx, dst, w, weak) }},
		{"Γ(v,v) second kind (exact, CG)", 0, func() error { return g.Christoffel(ctx, dst, w, u, engine.Exact, eps) }},
	}
	var rows []GeometryRow
	for _, o := range ops {
		s, ratio, err := pairedRatio(ctx, cfg.MinTime, cfg.Trials, o.op, gradOp)
		if err != nil {
			return rows, err
		}
		r := GeometryRow{Name: o.name, Setup: setup, Seconds: s, Ratio: ratio, Unit: "passes", Budget: o.budget}
		if o.budget > 0 {
			r.Goal = "≤"
		}
		rows = append(rows, r)
	}

	if !cfg.SkipSpeedup {
		g1 := engine.New(m, &engine.Options{Workers: 1})
		g2 := engine.New(m, &engine.Options{Workers: 2})
		t2, ratio, err := pairedRatio(ctx, cfg.MinTime, cfg.Trials,
			func() error { return g2.ChristoffelFirst(ctx, dst, w, u, eps) },
			func() error { return g1.ChristoffelFirst(ctx, dst2, w, u, eps) })
		if err != nil {
			return rows, err
		}
		rows = append(rows, GeometryRow{Name: "Γ(v,v) speed-up, 2 workers vs 1", Setup: fmt.Sprintf("%s N=%d d=%d", m.Name(), cfg.N, d),
			Seconds: t2, Ratio: 1 / ratio, Unit: "×", Budget: 1.7, Goal: "≥"})
	}

	if !cfg.SkipDense {
		dr, err := denseRows(ctx, cfg, rng)
		rows = append(rows, dr...)
		if err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// denseRows compares matrix-free Γ(v,v) with the dense tensor at d ≈ 100.
func denseRows(ctx context.Context, cfg GeometryConfig, rng *rand.Rand) ([]GeometryRow, error) {
	data := benchData(rng, cfg.DenseN, 6, 3)
	m, err := models.NewTwoLayer(data, cfg.DenseHidden, cfg.Activation, cfg.Loss)
	if err != nil {
		return nil, fmt.Errorf("bench: geometry: %w", err)
	}
	d := m.Dim()
	w := benchVec(rng, d, 0.3)
	u := benchVec(rng, d, 1)
	dst := make([]float64, d)
	tensor := make([]float64, d*d*d)
	g := engine.New(m, &engine.Options{Workers: 1})
	setup := fmt.Sprintf("%s N=%d d=%d workers=1", m.Name(), cfg.DenseN, d)
	const eps = 0.1
	measure := func(op func() error) (float64, error) { return timeOp(ctx, cfg.MinTime, cfg.Trials, op) }
	free, err := measure(func() error { return g.ChristoffelFirst(ctx, dst, w, u, eps) })
	if err != nil {
		return nil, err
	}
	build, err := measure(func() error {
		if err := g.ChristoffelTensor(ctx, tensor, w, eps); err != nil {
			return err
		}
		engine.ContractTensor(dst, tensor, u)
		return nil
	})
	if err != nil {
		return nil, err
	}
	contract, err := measure(func() error { engine.ContractTensor(dst, tensor, u); return nil })
	if err != nil {
		return nil, err
	}
	return []GeometryRow{
		{Name: "Γ(v,v) matrix-free", Setup: setup, Seconds: free, Ratio: 1, Unit: "×"},
		{Name: "dense Γ tensor build + contract vs matrix-free", Setup: setup, Seconds: build, Ratio: build / free, Unit: "×", Budget: 100, Goal: "≥"},
		{Name: "contract a prebuilt dense tensor vs matrix-free", Setup: setup, Seconds: contract, Ratio: contract / free, Unit: "×"},
	}, nil
}

// WriteGeometryTable writes rows as an aligned text table.
func WriteGeometryTable(w io.Writer, rows []GeometryRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "operation\tseconds\tratio\tbudget\tok\tsetup")
	for _, r := range rows {
		budget := "-"
		if r.Budget > 0 {
			budget = r.Goal + " " + strconv.FormatFloat(r.Budget, 'g', -1, 64)
		}
		ok := "yes"
		if !r.Met() {
			ok = "NO"
		}
		fmt.Fprintf(tw, "%s\t%.4g\t%.3g %s\t%s\t%s\t%s\n", r.Name, r.Seconds, r.Ratio, r.Unit, budget, ok, r.Setup)
	}
	return tw.Flush()
}

// ScaleConfig configures RunGeometryScale. Zero fields mean the DESIGN
// scale point: N = 60000, In = 1024, Hidden = 1600, Out = 10
// (d = 1 655 610), tanh, squared loss, GOMAXPROCS workers, seed 1.
type ScaleConfig struct {
	N, In, Hidden, Out int
	Workers            int
	Seed               uint64
}

// ScaleResult is one matrix-free Γ(v,v) at the scale point.
type ScaleResult struct {
	N, D, Workers, Chunk int
	// Seconds for one Γ(v,v) (after one warm-up call) and for one
	// gradient pass, for scale.
	Seconds, GradSeconds float64
	// PeakRSS is the process's peak resident set size in bytes (VmHWM
	// from /proc/self/status; 0 where unavailable). It includes the data
	// set (N·In·8 bytes).
	PeakRSS int64
	// HeapSys is the Go heap obtained from the OS, in bytes.
	HeapSys uint64
}

// String formats r on one line.
func (r ScaleResult) String() string {
	return fmt.Sprintf("scale point N=%d d=%d workers=%d chunk=%d: Γ(v,v) %.3g s (%.3g gradient passes of %.3g s), peak RSS %.0f MiB, Go heap %.0f MiB",
		r.N, r.D, r.Workers, r.Chunk, r.Seconds, r.Seconds/r.GradSeconds, r.GradSeconds, float64(r.PeakRSS)/(1<<20), float64(r.HeapSys)/(1<<20))
}

// RunGeometryScale builds the scale-point two-layer network and times one
// Γ(v,v) and one gradient pass. It needs about 0.5 GB for the data and
// O(d·(workers+few)) for vectors; it is not run by tests.
func RunGeometryScale(ctx context.Context, cfg ScaleConfig) (ScaleResult, error) {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&cfg.N, 60000)
	def(&cfg.In, 1024)
	def(&cfg.Hidden, 1600)
	def(&cfg.Out, 10)
	def(&cfg.Workers, runtime.GOMAXPROCS(0))
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5ca1e))
	data := benchData(rng, cfg.N, cfg.In, cfg.Out)
	m, err := models.NewTwoLayer(data, cfg.Hidden, models.Tanh, models.Squared)
	if err != nil {
		return ScaleResult{}, fmt.Errorf("bench: geometry scale: %w", err)
	}
	d := m.Dim()
	w := benchVec(rng, d, 0.02)
	u := benchVec(rng, d, 1)
	dst := make([]float64, d)
	g := engine.New(m, &engine.Options{Workers: cfg.Workers})
	res := ScaleResult{N: cfg.N, D: d, Workers: g.Workers(), Chunk: g.ChunkSize()}
	if err := g.ChristoffelFirst(ctx, dst, w, u, 1e-3); err != nil {
		return res, err
	}
	start := time.Now()
	if err := g.ChristoffelFirst(ctx, dst, w, u, 1e-3); err != nil {
		return res, err
	}
	res.Seconds = time.Since(start).Seconds()
	start = time.Now()
	if err := g.Grad(ctx, dst, w); err != nil {
		return res, err
	}
	res.GradSeconds = time.Since(start).Seconds()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapSys = ms.HeapSys
	res.PeakRSS = peakRSS()
	return res, nil
}

// peakRSS reads VmHWM from /proc/self/status (Linux), in bytes.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return kb << 10
				}
			}
		}
	}
	return 0
}

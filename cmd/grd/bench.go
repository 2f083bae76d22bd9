package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/grd-engine/grd/bench"
	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
	"github.com/spf13/cobra"
)

// newCmdBench returns `grd bench`, which groups the benchmarks.
func newCmdBench(g *globals) *cobra.Command {
	c := groupCmd(&cobra.Command{
		Use:   "bench",
		Short: "Benchmark the integrators and the geometry kernels",
		Long: `Benchmarks: 'grd bench integrators' runs the integrator work-precision sweep,
'grd bench geometry' measures the cost of the diffusion and Christoffel
kernels in units of one full-batch gradient pass.`,
	})
	c.AddCommand(newCmdBenchIntegrators(g, nil), newCmdBenchGeometry(g, nil))
	return c
}

// Output formats of the bench tables.
const (
	formatCSV   = "csv"
	formatTable = "table"
)

// benchIntegratorsOptions are the options of `grd bench integrators`.
type benchIntegratorsOptions struct {
	g      *globals
	Config bench.IntegratorConfig
	// Format is csv or table.
	Format string
	// Plot, if not empty, is the .png or .svg file of the work-precision
	// diagram.
	Plot string
}

// newCmdBenchIntegrators returns `grd bench integrators`.
func newCmdBenchIntegrators(g *globals, runF func(context.Context, *benchIntegratorsOptions) error) *cobra.Command {
	opts := &benchIntegratorsOptions{g: g}
	c := &cobra.Command{
		Use:   "integrators",
		Short: "Integrator work-precision: error against RHS evaluations and time over a tolerance sweep",
		Long: `Solve each problem with each adaptive method at each tolerance (rtol = atol =
tol) and report the error at the end time against a reference solution, the
work (RHS evaluations, accepted and rejected steps) and the median wall time.
Problems: ` + strings.Join(bench.IntegratorProblems(), ", ") + `.
--stiff runs the stiff suite instead: ` + strings.Join(bench.StiffProblems(), ", ") + `
with dopri5, rodas4, rock4 and auto at 1e-3 … 1e-8, adding the Jacobian
evaluations, J·v products (for rock4: its spectral-radius power iteration) and
linear solves (columns njac, njv, linsolves).`,
		Example: `  grd bench integrators --format table
  grd bench integrators --problems arenstorf --tols 1e-4,1e-6,1e-8 --plot wp.png
  grd bench integrators --stiff --format table --plot stiff.png`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(c, opts.Format); err != nil {
				return err
			}
			for _, p := range opts.Config.Problems {
				if !slices.Contains(bench.AllProblems(), p) {
					return usagef(c, "--problems: unknown problem %q (valid: %s)", p, strings.Join(bench.AllProblems(), ", "))
				}
			}
			if opts.Config.Reps < 1 {
				return usagef(c, "--reps must be at least 1, got %d", opts.Config.Reps)
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runBenchIntegrators(c.Context(), opts)
		},
	}
	f := c.Flags()
	f.StringSliceVar(&opts.Config.Problems, "problems", nil, "comma-separated `problems` (default all: "+strings.Join(bench.IntegratorProblems(), ",")+")")
	f.StringSliceVar(&opts.Config.Methods, "methods", nil, "comma-separated adaptive `methods` (default bs3,dopri5,tsit5,dop853)")
	f.Float64SliceVar(&opts.Config.Tols, "tols", nil, "comma-separated `tolerances` in (0,1) (default 1e-3,1e-4,…,1e-10)")
	f.Lookup("tols").DefValue = "" // the usage text gives the library default
	f.BoolVar(&opts.Config.Stiff, "stiff", false, "the stiff suite's problems, methods and tolerances (those given explicitly still apply)")
	f.IntVar(&opts.Config.Reps, "reps", 3, "timed repetitions per solve (the median is reported)")
	f.StringVar(&opts.Format, "format", formatCSV, "output `format`: csv or table")
	f.StringVar(&opts.Plot, "plot", "", "also draw the work-precision diagram into `FILE` (.png or .svg)")
	return c
}

func checkFormat(c *cobra.Command, format string) error {
	if format != formatCSV && format != formatTable {
		return usagef(c, "--format must be csv or table, got %q", format)
	}
	return nil
}

func runBenchIntegrators(ctx context.Context, opts *benchIntegratorsOptions) error {
	rows, err := bench.RunIntegrators(ctx, opts.Config)
	if err != nil {
		return err
	}
	if opts.Format == formatTable {
		err = bench.WriteIntegratorsTable(opts.g.Out, rows)
	} else {
		err = bench.WriteIntegratorsCSV(opts.g.Out, rows)
	}
	if err != nil {
		return err
	}
	if opts.Plot != "" {
		return bench.PlotWorkPrecision(rows, opts.Plot)
	}
	return nil
}

// benchGeometryOptions are the options of `grd bench geometry`.
type benchGeometryOptions struct {
	g      *globals
	Config bench.GeometryConfig
	// Scale runs the one-off scale-point measurement instead of the table,
	// configured by ScaleConfig (the sizes given on the command line, the
	// scale point's for the others).
	Scale       bool
	ScaleConfig bench.ScaleConfig
	// Real, if set, names a scenario (a built-in such as paper-resnet-size,
	// or a file) with a two-layer model: its row on real data is measured
	// instead of the table (bench.RunGeometryReal).
	Real string
}

// newCmdBenchGeometry returns `grd bench geometry`.
func newCmdBenchGeometry(g *globals, runF func(context.Context, *benchGeometryOptions) error) *cobra.Command {
	opts := &benchGeometryOptions{g: g}
	var cfg = &opts.Config
	c := &cobra.Command{
		Use:   "geometry",
		Short: "Cost of D·v, Γ(v,v) and the GRD right-hand side in gradient passes",
		Long: `Measure the matrix-free geometry kernels on a two-layer tanh network against
one full-batch gradient pass in the same run: D·v (budget 2.5 passes),
Γ(v,v) (budget 3), the GRD right-hand side (budget 6), the speed-up of Γ(v,v)
on 2 workers over 1, and matrix-free Γ(v,v) against the dense tensor at d ≈ 100.
--scale instead times one Γ(v,v) at the scale point N = 60000, 1024 inputs,
1600 hidden, 10 outputs (d ≈ 1.66e6; about 0.5 GB), or the sizes given.
--real SCENARIO instead measures a scenario's own two-layer network on its
data at its w0, once each (minutes at the paper's size): ∇f, D·v, Γ(v,v),
the GRD right-hand side, the gradient pass's GFLOP/s against the GEMM rate
of the same BLAS measured in the same run, and the peak RSS; e.g.
paper-resnet-size (Fashion-MNIST, N = 60000, d = 1 709 260, the paper's
ResNet row; about 1 GB).`,
		Example: `  grd bench geometry
  grd bench geometry --n 2000 --min-time 50ms --skip-dense
  grd bench geometry --real paper-resnet-size`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, _ []string) error {
			for _, p := range []struct {
				name string
				v    int
			}{{"n", cfg.N}, {"inputs", cfg.In}, {"hidden", cfg.Hidden}, {"outputs", cfg.Out}, {"trials", cfg.Trials}} {
				if p.v < 1 {
					return usagef(c, "--%s must be at least 1, got %d", p.name, p.v)
				}
			}
			if cfg.MinTime <= 0 {
				return usagef(c, "--min-time must be positive, got %v", cfg.MinTime)
			}
			cfg.Workers = opts.g.Workers
			if opts.Scale {
				sc := &opts.ScaleConfig
				*sc = bench.ScaleConfig{Workers: cfg.Workers, Seed: cfg.Seed}
				for _, p := range []struct {
					name     string
					dst, src *int
				}{{"n", &sc.N, &cfg.N}, {"inputs", &sc.In, &cfg.In}, {"hidden", &sc.Hidden, &cfg.Hidden}, {"outputs", &sc.Out, &cfg.Out}} {
					if c.Flags().Changed(p.name) {
						*p.dst = *p.src
					}
				}
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runBenchGeometry(c.Context(), opts)
		},
	}
	f := c.Flags()
	f.IntVar(&cfg.N, "n", 10000, "number of samples N")
	f.IntVar(&cfg.In, "inputs", 64, "input width of the network")
	f.IntVar(&cfg.Hidden, "hidden", 128, "hidden width of the network")
	f.IntVar(&cfg.Out, "outputs", 10, "output width of the network")
	f.DurationVar(&cfg.MinTime, "min-time", 200*time.Millisecond, "least time per measurement")
	f.IntVar(&cfg.Trials, "trials", 5, "paired measurements per ratio row (the median ratio is reported)")
	f.Uint64Var(&cfg.Seed, "seed", 1, "seed of the data, weights and directions")
	f.BoolVar(&cfg.SkipSpeedup, "skip-speedup", false, "leave out the 1-vs-2-worker speed-up row")
	f.BoolVar(&cfg.SkipDense, "skip-dense", false, "leave out the dense-tensor comparison rows")
	f.StringVar(&opts.Real, "real", "", "measure this scenario's two-layer network on its own data once instead (e.g. paper-resnet-size)")
	f.BoolVar(&opts.Scale, "scale", false, "time one Γ(v,v) at the DESIGN scale point instead (N = 60000, d ≈ 1.66e6, ~0.5 GB; --n … override)")
	return c
}

func runBenchGeometry(ctx context.Context, opts *benchGeometryOptions) error {
	if opts.Real != "" {
		return runBenchGeometryReal(ctx, opts)
	}
	if opts.Scale {
		r, err := bench.RunGeometryScale(ctx, opts.ScaleConfig)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(opts.g.Out, r)
		return err
	}
	rows, err := bench.RunGeometry(ctx, opts.Config)
	if err != nil {
		return err
	}
	return bench.WriteGeometryTable(opts.g.Out, rows)
}

// runBenchGeometryReal builds the scenario opts.Real and measures its
// network with bench.RunGeometryReal.
func runBenchGeometryReal(ctx context.Context, opts *benchGeometryOptions) error {
	s, err := scenarios.Open(opts.Real)
	if err != nil {
		return err
	}
	if s.Model.Kind != scenarios.KindTwoLayer || s.Data == nil {
		return fmt.Errorf("bench geometry --real %s: the scenario's model is %s, want a two-layer network on data", opts.Real, s.Model.Kind)
	}
	b, err := experiment.Build(s, scenarios.BuildOptions{Flows: []string{scenarios.FlowGD}}, opts.g.comm) // a rank of grd-mpi loads only its samples
	if err != nil {
		return err
	}
	r, err := bench.RunGeometryReal(ctx, bench.RealConfig{Name: s.Name, Model: b.Model, W0: b.W0, In: b.Data.In, Hidden: s.Model.Hidden, Out: b.Data.Out,
		Workers: opts.Config.Workers, Seed: opts.Config.Seed, Comm: opts.g.comm})
	if err != nil {
		return err
	}
	return bench.WriteReal(opts.g.Out, r)
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
	"github.com/spf13/cobra"
)

// geometryOptions are the options of `grd geometry`.
type geometryOptions struct {
	g *globals
	// Scenario is a scenario file or a built-in name.
	Scenario string
	// WFile and VFile hold the evaluation point and direction, one value
	// per line ("" means w0 and the NGD velocity).
	WFile, VFile string
	// Set overrides scenario keys (--set KEY=VALUE), in order.
	Set []scenarios.Override
}

// newCmdGeometry returns `grd geometry SCENARIO [--w FILE] [--v FILE]`.
func newCmdGeometry(g *globals, runF func(context.Context, *geometryOptions) error) *cobra.Command {
	opts := &geometryOptions{g: g}
	var set []string
	c := &cobra.Command{
		Use:   "geometry SCENARIO",
		Short: "Print the diffusion geometry at a point as JSON",
		Long: `Print, as JSON on stdout, the diffusion geometry of SCENARIO (a scenario file
or a built-in name) at the point w (default the scenario's w0) along the
direction v (default the NGD velocity −P∇f(w)):

  dim, samples, loss, grad, lambda_max (λ_max(D(w))), epsilon (the scenario's ε,
  fixed from its w0), diffusion (D(w), d×d, only when d ≤ 512), ngd_velocity,
  v, hvp (H v), christoffel_vv (Γ(v,v) of the configured kind), grd_accel
  (−Hv − Γ(v,v)), r0, r1, r2 (the (8) residuals with u = v).

An rbm scenario adds kl (KL(p_data ‖ p_model(w)), exact), diffusion_cd (the
per-sample covariance of CD-k gradient estimates, from cd.samples estimates)
and lambda_max_cd (its largest eigenvalue). With metric.source: cd, epsilon and
the metric quantities (ngd_velocity, christoffel_vv, grd_accel, r0–r2) use the
CD metric, as a run does.

--w and --v read one value per line (blank lines and '#' comments skipped),
exactly d values.`,
		Example: `  grd geometry quadratic-2d
  grd geometry my.yaml --w w.txt --v v.txt | jq .lambda_max`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Scenario = args[0]
			var err error
			if opts.Set, err = parseSet(c, set); err != nil {
				return err
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runGeometry(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.WFile, "w", "", "evaluate at the weights in `FILE` (one value per line; default w0)")
	c.Flags().StringVar(&opts.VFile, "v", "", "use the direction in `FILE` (one value per line; default the NGD velocity)")
	addSetFlag(c, &set)
	addMaxMemoryFlag(c, &g.MaxMemory)
	return c
}

func runGeometry(ctx context.Context, opts *geometryOptions) error {
	s, err := scenarios.Open(opts.Scenario, opts.Set...)
	if err != nil {
		return err
	}
	bo := scenarios.BuildOptions{Workers: opts.g.Workers, Flows: []string{scenarios.FlowGD}, Declared: s.Flows}
	bo.MaxMemory, bo.MemorySource = opts.g.MaxMemory.limit()
	b, err := experiment.Build(s, bo, opts.g.comm) // a rank of grd-mpi loads only its samples
	if err != nil {
		return err
	}
	d := b.Model.Dim()
	w, err := readVector(opts.WFile, d)
	if err != nil {
		return err
	}
	v, err := readVector(opts.VFile, d)
	if err != nil {
		return err
	}
	r, err := experiment.GeometryAt(ctx, b, w, v, &engine.Options{Workers: opts.g.Workers, Comm: opts.g.comm})
	if err != nil {
		return err
	}
	return writeJSONRows(opts.g.Out, r)
}

// readVector reads a vector of d values from path with the scenario weight
// reader ("" gives nil).
func readVector(path string, d int) ([]float64, error) {
	if path == "" {
		return nil, nil
	}
	return scenarios.ReadWeightsFile(path, d)
}

// writeJSONRows writes the struct v as a JSON object with one key per line,
// in field order, each value compact; a matrix ([][]float64) gets one row
// per line. Keys and omitempty come from the fields' json tags, so the
// output is json.Marshal's, laid out for reading. Non-finite numbers are an
// error, as in json.Marshal.
func writeJSONRows(w io.Writer, v any) error {
	rv := reflect.Indirect(reflect.ValueOf(v))
	rt := rv.Type()
	var buf bytes.Buffer
	buf.WriteString("{")
	first := true
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		name, opt, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fv := rv.Field(i)
		if strings.Contains(opt, "omitempty") && fv.IsZero() {
			continue
		}
		if !first {
			buf.WriteString(",")
		}
		first = false
		key, _ := json.Marshal(name)
		fmt.Fprintf(&buf, "\n  %s: ", key)
		if m, ok := fv.Interface().([][]float64); ok {
			buf.WriteString("[")
			for j, row := range m {
				b, err := json.Marshal(row)
				if err != nil {
					return fmt.Errorf("%s[%d]: %w", name, j, err)
				}
				if j > 0 {
					buf.WriteString(",")
				}
				buf.WriteString("\n    ")
				buf.Write(b)
			}
			buf.WriteString("\n  ]")
			continue
		}
		b, err := json.Marshal(fv.Interface())
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		buf.Write(b)
	}
	buf.WriteString("\n}\n")
	_, err := w.Write(buf.Bytes())
	return err
}

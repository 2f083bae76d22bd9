package main

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/grd-engine/grd/bench"
	"github.com/grd-engine/grd/scenarios"
	"github.com/spf13/cobra"
)

// execParse runs args through a root holding only cmd (built by mk with an
// injected run func) and returns the globals and the error. No library code
// runs: these tests check flag and argument parsing only.
func execParse(t *testing.T, args []string, mk func(g *globals) *cobra.Command) (*globals, error) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{Out: &out, Err: &errb, Workers: 4}
	root := newRoot(g, mk(g))
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.ExecuteContext(context.Background())
	return g, err
}

// wantParse checks err against wantUsage (a usage error whose message
// contains it; "" means no error).
func wantParse(t *testing.T, err error, wantUsage string) {
	t.Helper()
	var ue usageError
	switch {
	case wantUsage == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case wantUsage != "" && !errors.As(err, &ue):
		t.Fatalf("err = %v, want a usage error containing %q", err, wantUsage)
	case wantUsage != "" && !strings.Contains(err.Error(), wantUsage):
		t.Fatalf("err = %q, want it to contain %q", err, wantUsage)
	}
}

func TestParseGeometry(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		want      geometryOptions
		workers   int
		wantUsage string
	}{
		{args: []string{"geometry", "quadratic-2d"}, want: geometryOptions{Scenario: "quadratic-2d"}, workers: 4},
		{args: []string{"geometry", "s.yaml", "--w", "w.txt", "--v=v.txt"}, want: geometryOptions{Scenario: "s.yaml", WFile: "w.txt", VFile: "v.txt"}, workers: 4},
		{args: []string{"--workers", "1", "geometry", "x", "--w", "a"}, want: geometryOptions{Scenario: "x", WFile: "a"}, workers: 1},
		{args: []string{"geometry", "x", "--workers=3"}, want: geometryOptions{Scenario: "x"}, workers: 3},
		{args: []string{"geometry", "x", "--set", "flows=[gd,ngd]", "--set=metric.safety=0.2"}, workers: 4,
			want: geometryOptions{Scenario: "x", Set: []scenarios.Override{{Key: "flows", Value: "[gd,ngd]"}, {Key: "metric.safety", Value: "0.2"}}}},
		{args: []string{"geometry", "x", "--set", "metric.safety"}, wantUsage: "want KEY=VALUE"},
		{args: []string{"geometry", "x", "--set", "metric..safety=1"}, wantUsage: "is not a key path"},
		{args: []string{"geometry"}, wantUsage: "want 1 argument(s), got 0"},
		{args: []string{"geometry", "a", "b"}, wantUsage: "want 1 argument(s), got 2"},
		{args: []string{"geometry", "a", "--u", "x"}, wantUsage: "unknown flag: --u"},
		{args: []string{"geometry", "a", "--w"}, wantUsage: "flag needs an argument"},
		{args: []string{"geometry", "a", "--workers", "0"}, wantUsage: "--workers must be at least 1"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var got *geometryOptions
			g, err := execParse(t, tc.args, func(g *globals) *cobra.Command {
				return newCmdGeometry(g, func(_ context.Context, o *geometryOptions) error { got = o; return nil })
			})
			wantParse(t, err, tc.wantUsage)
			if tc.wantUsage != "" {
				if got != nil {
					t.Error("run func called despite a usage error")
				}
				return
			}
			if got.g != g || g.Workers != tc.workers {
				t.Errorf("globals not passed through: workers %d, want %d", g.Workers, tc.workers)
			}
			got.g = nil
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("options = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestParseScenarios(t *testing.T) {
	t.Run("list", func(t *testing.T) {
		called := false
		_, err := execParse(t, []string{"scenarios"}, func(g *globals) *cobra.Command {
			return newCmdScenarios(g, func(context.Context, *scenariosOptions) error { called = true; return nil })
		})
		wantParse(t, err, "")
		if !called {
			t.Error("run func not called")
		}
	})
	for _, tc := range []struct {
		args      []string
		want      string
		wantUsage string
	}{
		{args: []string{"scenarios", "show", "quadratic-2d"}, want: "quadratic-2d"},
		{args: []string{"scenarios", "show", "./my.yaml", "--quiet"}, want: "./my.yaml"},
		{args: []string{"scenarios", "show"}, wantUsage: "want 1 argument(s), got 0"},
		{args: []string{"scenarios", "show", "a", "b"}, wantUsage: "want 1 argument(s), got 2"},
		{args: []string{"scenarios", "list"}, wantUsage: `unknown command "list"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var got *scenariosShowOptions
			_, err := execParse(t, tc.args, func(g *globals) *cobra.Command {
				c := newCmdScenarios(g, nil)
				// Replace the real show with one whose run func records its options.
				for _, sub := range c.Commands() {
					c.RemoveCommand(sub)
				}
				c.AddCommand(newCmdScenariosShow(g, func(_ context.Context, o *scenariosShowOptions) error { got = o; return nil }))
				return c
			})
			wantParse(t, err, tc.wantUsage)
			if tc.wantUsage == "" && got.Name != tc.want {
				t.Errorf("Name = %q, want %q", got.Name, tc.want)
			}
		})
	}
}

func TestParseBenchIntegrators(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		want      benchIntegratorsOptions
		wantUsage string
	}{
		{args: []string{"integrators"}, want: benchIntegratorsOptions{Format: "csv", Config: bench.IntegratorConfig{Reps: 3}}},
		{
			args: []string{"integrators", "--problems", "lorenz,arenstorf", "--methods", "dopri5", "--methods", "dop853",
				"--tols", "1e-3,1e-6", "--format", "table", "--plot", "wp.svg", "--reps", "1"},
			want: benchIntegratorsOptions{Format: "table", Plot: "wp.svg", Config: bench.IntegratorConfig{
				Problems: []string{"lorenz", "arenstorf"}, Methods: []string{"dopri5", "dop853"}, Tols: []float64{1e-3, 1e-6}, Reps: 1}},
		},
		{args: []string{"integrators", "--format", "xml"}, wantUsage: `--format must be csv or table, got "xml"`},
		{args: []string{"integrators", "--tols", "abc"}, wantUsage: `invalid argument "abc" for "--tols"`},
		{args: []string{"integrators", "--problems", "lorenz,pendulum"}, wantUsage: `unknown problem "pendulum"`},
		{args: []string{"integrators", "--reps", "0"}, wantUsage: "--reps must be at least 1"},
		{args: []string{"integrators", "extra"}, wantUsage: "want 0 argument(s), got 1"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var got *benchIntegratorsOptions
			_, err := execParse(t, tc.args, func(g *globals) *cobra.Command {
				return newCmdBenchIntegrators(g, func(_ context.Context, o *benchIntegratorsOptions) error { got = o; return nil })
			})
			wantParse(t, err, tc.wantUsage)
			if tc.wantUsage != "" {
				return
			}
			got.g = nil
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("options = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestParseBenchGeometry(t *testing.T) {
	def := bench.GeometryConfig{N: 10000, In: 64, Hidden: 128, Out: 10, MinTime: 200 * time.Millisecond, Trials: 5, Seed: 1, Workers: 4}
	small := def
	scaleSmall := def
	scaleSmall.N, scaleSmall.Out = 100, 3
	small.N, small.Hidden, small.MinTime, small.SkipDense, small.SkipSpeedup, small.Seed, small.Workers = 500, 16, 20*time.Millisecond, true, true, 7, 2
	for _, tc := range []struct {
		args      []string
		want      benchGeometryOptions
		wantUsage string
	}{
		{args: []string{"geometry"}, want: benchGeometryOptions{Config: def}},
		{args: []string{"geometry", "--n", "500", "--hidden=16", "--min-time", "20ms", "--skip-dense", "--skip-speedup", "--seed", "7", "--workers", "2"},
			want: benchGeometryOptions{Config: small}},
		{args: []string{"geometry", "--scale"}, want: benchGeometryOptions{Config: def, Scale: true, ScaleConfig: bench.ScaleConfig{Workers: 4, Seed: 1}}},
		{args: []string{"geometry", "--scale", "--n", "100", "--outputs", "3"}, want: benchGeometryOptions{Config: scaleSmall, Scale: true,
			ScaleConfig: bench.ScaleConfig{N: 100, Out: 3, Workers: 4, Seed: 1}}},
		{args: []string{"geometry", "--real", "paper-resnet-size"}, want: benchGeometryOptions{Config: def, Real: "paper-resnet-size"}},
		{args: []string{"geometry", "--n", "0"}, wantUsage: "--n must be at least 1"},
		{args: []string{"geometry", "--min-time", "fast"}, wantUsage: `invalid argument "fast"`},
		{args: []string{"geometry", "--min-time", "0s"}, wantUsage: "--min-time must be positive"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var got *benchGeometryOptions
			_, err := execParse(t, tc.args, func(g *globals) *cobra.Command {
				return newCmdBenchGeometry(g, func(_ context.Context, o *benchGeometryOptions) error { got = o; return nil })
			})
			wantParse(t, err, tc.wantUsage)
			if tc.wantUsage != "" {
				return
			}
			got.g = nil
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("options = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestParseCheck(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		want      checkOptions
		wantUsage string
	}{
		{args: []string{"check", "quadratic-2d"}, want: checkOptions{Scenario: "quadratic-2d"}},
		{args: []string{"check", "q", "--sweep", "0.05,0.1,0.2,0.4"}, want: checkOptions{Scenario: "q", Sweep: []float64{0.05, 0.1, 0.2, 0.4}}},
		{args: []string{"check", "q", "--sweep=0.4,0.1", "--out", "d"}, want: checkOptions{Scenario: "q", Sweep: []float64{0.4, 0.1}, Out: "d"}},
		{args: []string{"check", "q", "--out", "d"}, want: checkOptions{Scenario: "q", Out: "d"}},
		{args: []string{"check"}, wantUsage: "want 1 argument(s), got 0"},
		{args: []string{"check", "q", "--sweep", "0.1,x"}, wantUsage: `invalid argument "0.1,x"`},
		{args: []string{"check", "q", "--sweep", "0.1,1.5"}, wantUsage: "safety factor 1.5 is outside (0, 1)"},
		{args: []string{"check", "q", "--sweep", "0.1,0"}, wantUsage: "safety factor 0 is outside (0, 1)"},
		{args: []string{"check", "q", "--sweep", "0.2"}, wantUsage: "at least 2 distinct"},
		{args: []string{"check", "q", "--sweep", "0.2,0.2"}, wantUsage: "at least 2 distinct"},
		{args: []string{"check", "q", "--sweep", ""}, wantUsage: `invalid argument ""`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var got *checkOptions
			_, err := execParse(t, tc.args, func(g *globals) *cobra.Command {
				return newCmdCheck(g, func(_ context.Context, o *checkOptions) error { got = o; return nil })
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

// TestCheck runs the check and the sweep end to end on a small scenario.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	scen := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(scen, []byte(smallScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := grd(t, "check", scen)
	if code != exitOK || errs != "" {
		t.Fatalf("check: exit %d, stderr %q", code, errs)
	}
	for _, s := range []string{"max ‖w_grd − w_ngd‖", "R2/R1", "verdict: "} {
		if !strings.Contains(out, s) {
			t.Errorf("check output lacks %q:\n%s", s, out)
		}
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("check without --out wrote files: %v", es)
	}

	outDir := filepath.Join(dir, "check")
	if _, errs, code := grd(t, "check", scen, "--out", outDir); code != exitOK {
		t.Fatalf("check --out: exit %d: %s", code, errs)
	}
	for _, f := range []string{"gd.csv", "ngd.csv", "grd.csv", "summary.json"} {
		if _, err := os.Stat(filepath.Join(outDir, f)); err != nil {
			t.Errorf("check --out: %v", err)
		}
	}

	sweepDir := filepath.Join(dir, "sweep")
	out, errs, code = grd(t, "check", scen, "--sweep", "0.05,0.1,0.2", "--out", sweepDir)
	if code != exitOK || errs != "" {
		t.Fatalf("sweep: exit %d, stderr %q", code, errs)
	}
	for _, s := range []string{"0.05", "0.1", "0.2", "log-log slope", "verdict: ", filepath.Join(sweepDir, "sweep.png")} {
		if !strings.Contains(out, s) {
			t.Errorf("sweep output lacks %q:\n%s", s, out)
		}
	}
	for _, f := range []string{"sweep.png", "sweep.svg"} {
		if fi, err := os.Stat(filepath.Join(sweepDir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("sweep plot %s: %v", f, err)
		}
	}
}

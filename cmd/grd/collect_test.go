package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCollectReproducesSweep: `grd check --collect` over runs made with
// --set metric.safety=s prints the same table, slopes and verdict as
// `grd check --sweep` at the same safeties, and writes the same plot.
func TestCollectReproducesSweep(t *testing.T) {
	dir := t.TempDir()
	scen := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(scen, []byte(smallScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	safeties := []string{"0.4", "0.05", "0.1", "0.2"} // any order
	sweepDir := filepath.Join(dir, "sweep")
	sweepOut, errs, code := grd(t, "check", scen, "--sweep", strings.Join(safeties, ","), "--out", sweepDir)
	if code != exitOK {
		t.Fatalf("sweep: exit %d: %s", code, errs)
	}
	var runs []string
	for _, s := range safeties {
		out := filepath.Join(dir, "s"+s)
		if _, errs, code := grd(t, "run", scen, "--set", "metric.safety="+s, "--set", "flows=[gd,ngd,grd]", "--out", out, "--workers", "1"); code != exitOK {
			t.Fatalf("run s=%s: exit %d: %s", s, code, errs)
		}
		runs = append(runs, out)
	}
	// The override is recorded next to the scenario echo.
	b, err := os.ReadFile(filepath.Join(runs[0], "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Overrides []string `json:"overrides"`
		Scenario  struct {
			Metric struct{ Safety float64 } `json:"metric"`
		} `json:"scenario"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sum.Overrides, []string{"metric.safety=0.4", "flows=[gd,ngd,grd]"}) || sum.Scenario.Metric.Safety != 0.4 {
		t.Errorf("summary.json: overrides %q, scenario.metric.safety %g", sum.Overrides, sum.Scenario.Metric.Safety)
	}

	collectDir := filepath.Join(dir, "collect")
	collectOut, errs, code := grd(t, append([]string{"check", "--collect", "--out", collectDir}, runs...)...)
	if code != exitOK {
		t.Fatalf("collect: exit %d: %s", code, errs)
	}
	trim := func(s string) string { // the last line names the plot's directory
		return strings.ReplaceAll(s, sweepDir, "DIR")
	}
	if trim(sweepOut) != strings.ReplaceAll(collectOut, collectDir, "DIR") {
		t.Errorf("collect differs from sweep:\n--- sweep\n%s--- collect\n%s", sweepOut, collectOut)
	}
	// sweep.csv holds every number of a point (max_ngd_defect included,
	// which the printed table does not show).
	for _, f := range []string{"sweep.svg", "sweep.png", filepath.Join("check", "sweep.csv")} {
		a, errA := os.ReadFile(filepath.Join(sweepDir, f))
		c, errC := os.ReadFile(filepath.Join(collectDir, f))
		if errA != nil || errC != nil || !bytes.Equal(a, c) {
			t.Errorf("%s differs between sweep and collect (%v, %v)", f, errA, errC)
		}
	}

	// Refusals: one directory, an unfinished run, a different scenario, the
	// same ε twice.
	unfinished := filepath.Join(dir, "unfinished")
	if err := os.MkdirAll(unfinished, 0o755); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	if _, errs, code := grd(t, "run", scen, "--set", "metric.safety=0.3", "--set", "time.t1=1", "--set", "flows=[gd,ngd,grd]", "--out", other); code != exitOK {
		t.Fatalf("run other: exit %d: %s", code, errs)
	}
	for _, tc := range []struct {
		dirs []string
		code int
		want string
	}{
		{runs[:1], exitUsage, "--collect needs at least 2 run directories"},
		{[]string{runs[0], unfinished}, exitError, "no summary.json: not the output directory of a finished grd run"},
		{[]string{runs[0], other}, exitError, "are runs of different scenarios: time.t1 is 2 in one and 1 in the other"},
		{[]string{runs[0], runs[0]}, exitError, "are runs at the same ε (safety 0.4)"},
	} {
		_, errs, code := grd(t, append([]string{"check", "--collect", "--out", filepath.Join(dir, "x")}, tc.dirs...)...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("collect %v: exit %d, stderr %q; want exit %d and %q", tc.dirs, code, errs, tc.code, tc.want)
		}
	}
}

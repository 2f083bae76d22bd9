package bench

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/grd-engine/grd/integrators"
)

var printRefs = flag.Bool("printrefs", false, "print the integrator reference solutions as Go source")

// TestIntegratorReferences recomputes the stored reference end states with
// DOP853 at rtol = atol = 1e-14 and checks them against an independent
// second method, Tsit5 at 1e-13. The two methods must agree to within
// agree[name] (about 50× the observed difference), which bounds the
// reference's own error, and the stored constants must agree with the
// recomputation to the same bound (not bit for bit: FMA contraction on
// other architectures, amplified by Lorenz's chaos, changes late digits).
// The bounds are far below the errors of the sweep's tightest tolerance
// (1e-10 gives errors ≳ 1e-9 on these problems), so the references
// measure them faithfully. Arenstorf's reference is exact (the closed
// orbit returns to y0); both methods must close it to 1e-8.
func TestIntegratorReferences(t *testing.T) {
	dop853, _ := integrators.MethodByName("dop853")
	tsit5, _ := integrators.MethodByName("tsit5")
	// Lorenz over [0, 20] amplifies perturbations by ~e^(0.9·20) ≈ 1e8, so
	// the tight-tolerance methods still agree to ~1e-8 there
	// (observed 1.8e-8); the other problems are not chaotic.
	agree := map[string]float64{"lorenz": 1e-6, "arenstorf": 1e-8, "vanderpol": 5e-12, "grdtoy": 1e-13}
	var src strings.Builder
	for _, p := range integProblems() {
		r1, err := integSolve(context.Background(), p, dop853, 1e-14)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := integSolve(context.Background(), p, tsit5, 1e-13)
		if err != nil {
			t.Fatal(err)
		}
		d12 := maxDist(r1.YEnd, r2.YEnd)
		dref := maxDist(r1.YEnd, p.ref)
		t.Logf("%-9s dop853(1e-14) vs tsit5(1e-13): %.3g; stored vs recomputed: %.3g (nfev %d, %d)", p.name, d12, dref, r1.Stats.NFev, r2.Stats.NFev)
		if d12 > agree[p.name] {
			t.Errorf("%s: reference methods disagree by %.3g > %g", p.name, d12, agree[p.name])
		}
		if dref > agree[p.name] {
			t.Errorf("%s: stored reference differs from the recomputation by %.3g > %g", p.name, dref, agree[p.name])
		}
		if d2 := maxDist(r2.YEnd, p.ref); p.name == "arenstorf" && d2 > agree[p.name] {
			t.Errorf("arenstorf: tsit5 closes the orbit to %.3g only", d2)
		}
		writeRefSource(&src, fmt.Sprintf("\tref%s = [...]float64{", p.name), r1.YEnd)
	}
	if *printRefs {
		t.Logf("reference source:\n%s", src.String())
	}
}

func TestRunIntegrators(t *testing.T) {
	cfg := IntegratorConfig{Problems: []string{"vanderpol", "arenstorf"}, Methods: []string{"dopri5", "dop853"}, Tols: []float64{1e-4, 1e-8}, Reps: 3}
	rows, err := RunIntegrators(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 8 {
		t.Fatalf("%d rows, want 2×2×2", len(rows))
	}
	i := 0
	for _, p := range cfg.Problems {
		for _, m := range cfg.Methods {
			for _, tol := range cfg.Tols {
				r := rows[i]
				i++
				if r.Problem != p || r.Method != m || r.Tol != tol {
					t.Fatalf("row %d = %+v, want %s/%s/%g", i-1, r, p, m, tol)
				}
				if r.NFev <= 0 || r.Steps <= 0 || r.Seconds <= 0 || !(r.Error > 0) {
					t.Errorf("row %+v has empty measurements", r)
				}
			}
			// Tighter tolerance: smaller error, more work.
			a, b := rows[i-2], rows[i-1]
			if !(b.Error < a.Error/10) || b.NFev <= a.NFev {
				t.Errorf("%s/%s: tol %g err %.3g nfev %d; tol %g err %.3g nfev %d", p, m, a.Tol, a.Error, a.NFev, b.Tol, b.Error, b.NFev)
			}
		}
	}
	// The solve is deterministic: error and counters match a direct solve.
	m, _ := integrators.MethodByName("dop853")
	pr := integProblems()[1]
	res, err := integSolve(context.Background(), pr, m, 1e-8)
	if err != nil {
		t.Fatal(err)
	}
	if r := rows[7]; r.NFev != res.Stats.NFev || r.Error != maxDist(res.YEnd, pr.y0) {
		t.Errorf("row %+v does not match a direct solve (nfev %d)", r, res.Stats.NFev)
	}
}

func TestRunIntegratorsDefaults(t *testing.T) {
	c := IntegratorConfig{}.withDefaults()
	if strings.Join(c.Problems, ",") != "lorenz,arenstorf,vanderpol,grdtoy" || strings.Join(c.Methods, ",") != "bs3,dopri5,tsit5,dop853" || c.Reps != 3 {
		t.Errorf("defaults %+v", c)
	}
	if len(c.Tols) != 8 || c.Tols[0] != 1e-3 || c.Tols[7] != 1e-10 {
		t.Errorf("default tols %v", c.Tols)
	}
}

func TestRunIntegratorsInvalid(t *testing.T) {
	for _, c := range []struct {
		cfg  IntegratorConfig
		want string
	}{
		{IntegratorConfig{Problems: []string{"kepler"}}, "lorenz, arenstorf"},
		{IntegratorConfig{Methods: []string{"rk45"}}, "unknown method"},
		{IntegratorConfig{Methods: []string{"rk4"}}, "fixed step"},
		{IntegratorConfig{Tols: []float64{0}}, "outside (0, 1)"},
		{IntegratorConfig{Tols: []float64{2}}, "outside (0, 1)"},
		{IntegratorConfig{Reps: -1}, "Reps"},
	} {
		_, err := RunIntegrators(context.Background(), c.cfg)
		if err == nil || !strings.HasPrefix(err.Error(), "bench: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", c.cfg, err, c.want)
		}
	}
}

func TestRunIntegratorsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rows, err := RunIntegrators(ctx, IntegratorConfig{Problems: []string{"grdtoy"}, Reps: 1})
	if !errors.Is(err, context.Canceled) || len(rows) != 0 {
		t.Errorf("rows %v, err %v; want none and context.Canceled", rows, err)
	}
}

func sampleRows() []IntegratorRow {
	return []IntegratorRow{
		{"lorenz", "dopri5", 1e-3, 0.5, 800, 120, 13, 1.5e-4, 0, 0, 0},
		{"lorenz", "dopri5", 1e-6, 1.25e-4, 2400, 390, 2, 4e-4, 0, 0, 0},
		{"lorenz", "dop853", 1e-3, 0.25, 700, 50, 7, 1.2e-4, 0, 0, 0},
		{"lorenz", "dop853", 1e-6, 2e-5, 1500, 120, 5, 3e-4, 0, 0, 0},
		{"grdtoy", "dop853", 1e-6, 3e-9, 200, 15, 1, 2e-5, 0, 0, 0},
	}
}

func TestWriteIntegratorsCSV(t *testing.T) {
	var b bytes.Buffer
	rows := sampleRows()
	if err := WriteIntegratorsCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "problem,method,tol,error,nfev,steps,rejected,seconds" || len(recs) != len(rows)+1 {
		t.Fatalf("header %v, %d records", recs[0], len(recs))
	}
	for i, r := range rows {
		rec := recs[i+1]
		tol, _ := strconv.ParseFloat(rec[2], 64)
		e, _ := strconv.ParseFloat(rec[3], 64)
		nfev, _ := strconv.Atoi(rec[4])
		sec, _ := strconv.ParseFloat(rec[7], 64)
		if rec[0] != r.Problem || rec[1] != r.Method || tol != r.Tol || e != r.Error || nfev != r.NFev || sec != r.Seconds || rec[5] != strconv.Itoa(r.Steps) || rec[6] != strconv.Itoa(r.Rejected) {
			t.Errorf("record %v does not round-trip %+v", rec, r)
		}
	}
}

func TestWriteIntegratorsTable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteIntegratorsTable(&b, sampleRows()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 6 || !strings.Contains(lines[0], "problem") || !strings.Contains(lines[3], "dop853") || !strings.Contains(lines[3], "2.50e-01") {
		t.Errorf("table:\n%s", b.String())
	}
}

func TestPlotWorkPrecision(t *testing.T) {
	dir := t.TempDir()
	rows := sampleRows()
	pngPath := filepath.Join(dir, "wp.png")
	if err := PlotWorkPrecision(rows, pngPath); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	// 1100×(330·2) points at 144 dpi.
	if b := img.Bounds(); b.Dx() != 2200 || b.Dy() != 1320 {
		t.Errorf("PNG size %v, want 2200×1320", b)
	}
	svgPath := filepath.Join(dir, "wp.svg")
	if err := PlotWorkPrecision(rows, svgPath); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(svgPath)
	if err != nil || !bytes.Contains(data, []byte("<svg")) || !bytes.Contains(data, []byte("dop853")) {
		t.Errorf("SVG output missing or without legend (err %v)", err)
	}
	if err := PlotWorkPrecision(rows, filepath.Join(dir, "wp.pdf")); err == nil {
		t.Error("a .pdf path should be refused")
	}
	if err := PlotWorkPrecision(nil, pngPath); err == nil {
		t.Error("no rows should be an error")
	}
}

// TestIntegratorWorkRanking runs the full default sweep on Arenstorf and
// checks the DESIGN claim behind the benchmark: at tol = 1e-10 DOP853
// needs fewer evaluations than DOPRI5.
func TestIntegratorWorkRanking(t *testing.T) {
	rows, err := RunIntegrators(context.Background(), IntegratorConfig{Problems: []string{"arenstorf"}, Methods: []string{"dopri5", "dop853"}, Tols: []float64{1e-10}, Reps: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rows[1].NFev >= rows[0].NFev {
		t.Errorf("dop853 %d evaluations, dopri5 %d", rows[1].NFev, rows[0].NFev)
	}
}

// BenchmarkIntegratorSweep times one default sweep on the Lorenz problem.
func BenchmarkIntegratorSweep(b *testing.B) {
	for b.Loop() {
		if _, err := RunIntegrators(context.Background(), IntegratorConfig{Problems: []string{"lorenz"}, Reps: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWritePlotForReview writes the default sweep's diagram to the path in
// $GRD_WP_PLOT (skipped when unset) for a human to look at.
func TestWritePlotForReview(t *testing.T) {
	path := os.Getenv("GRD_WP_PLOT")
	if path == "" {
		t.Skip("set GRD_WP_PLOT=file.png to write the diagram")
	}
	rows, err := RunIntegrators(context.Background(), IntegratorConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	WriteIntegratorsTable(&b, rows)
	t.Log("\n" + b.String())
	if err := PlotWorkPrecision(rows, path); err != nil {
		t.Fatal(err)
	}
}

// writeRefSource appends a reference end state to src as Go source
// (-printrefs): decl, then y's values to 17 digits, then "}".
func writeRefSource(src *strings.Builder, decl string, y []float64) {
	src.WriteString(decl)
	for i, v := range y {
		if i > 0 {
			src.WriteString(", ")
		}
		fmt.Fprintf(src, "%.17g", v)
	}
	src.WriteString("}\n")
}

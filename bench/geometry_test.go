package bench

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"
	"time"
)

var geometryFull = flag.Bool("geometry.full", false, "run the geometry table at the DESIGN performance point (N=10000, n=64, h=128, o=10)")

var geometryScale = flag.Bool("geometry.scale", false, "run the geometry scale point (N=60000, d≈1.66M; minutes, ~1.5 GB)")

// TestRunGeometrySmall runs the geometry table on a tiny network and
// checks its shape (no timing assertions: the machine is shared).
func TestRunGeometrySmall(t *testing.T) {
	rows, err := RunGeometry(context.Background(), GeometryConfig{
		N: 200, In: 4, Hidden: 6, Out: 3, Workers: 2,
		MinTime: time.Millisecond, Trials: 1, DenseN: 20, DenseHidden: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"gradient", "D·v", "Γ(v,v) first kind", "GRD RHS", "Hv", "NGD velocity", "second kind", "speed-up", "matrix-free", "build + contract", "prebuilt"}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, r := range rows {
		if !strings.Contains(r.Name, want[i]) || !(r.Seconds > 0) || !(r.Ratio > 0) {
			t.Errorf("row %d = %+v, want a positive timing for %q", i, r, want[i])
		}
	}
	var buf bytes.Buffer
	if err := WriteGeometryTable(&buf, rows); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(buf.String(), "\n"); got != len(rows)+1 {
		t.Errorf("table has %d lines, want %d:\n%s", got, len(rows)+1, buf.String())
	}
	t.Logf("\n%s", buf.String())
}

// TestGeometryFull logs the geometry table at the DESIGN performance
// point; only with -geometry.full.
func TestGeometryFull(t *testing.T) {
	if !*geometryFull {
		t.Skip("run with -geometry.full")
	}
	rows, err := RunGeometry(context.Background(), GeometryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteGeometryTable(&buf, rows); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", buf.String())
}

// TestGeometryScale runs one Γ(v,v) at the DESIGN scale point; only with
// -geometry.scale.
func TestGeometryScale(t *testing.T) {
	if !*geometryScale {
		t.Skip("run with -geometry.scale")
	}
	res, err := RunGeometryScale(context.Background(), ScaleConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if res.PeakRSS > 2<<30 {
		t.Errorf("peak RSS %d bytes exceeds 2 GiB", res.PeakRSS)
	}
}

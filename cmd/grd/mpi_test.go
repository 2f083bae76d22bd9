//go:build mpi

package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"time"

	"github.com/grd-engine/grd/scenarios/idx"

	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// mpirunArgs runs on loopback only, with more ranks than cores, as root
// (CI) if need be.
var mpirunArgs = []string{"--oversubscribe", "--mca", "btl", "self,tcp",
	"--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo",
	"--mca", "mpi_yield_when_idle", "1"}

// grdMPI runs bin/grd-mpi ($GRD_MPI_BIN, built by make test-mpi) on np
// ranks (np = 0: without mpirun, a world of one rank).
func grdMPI(t *testing.T, np int, args ...string) {
	t.Helper()
	bin := os.Getenv("GRD_MPI_BIN")
	if bin == "" {
		t.Fatal("$GRD_MPI_BIN is not set: make test-mpi builds bin/grd-mpi and runs these tests")
	}
	var cmd *exec.Cmd
	if np == 0 {
		cmd = exec.Command(bin, args...)
	} else {
		a := append([]string{"-np", strconv.Itoa(np)}, mpirunArgs...)
		cmd = exec.Command("mpirun", append(append(a, bin), args...)...)
	}
	cmd.Env = append(os.Environ(), "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1", "OMPI_MCA_rmaps_base_oversubscribe=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// compareCSV checks that two output CSVs have the same header and rows and
// that every numeric entry agrees to tol relative to its column's largest
// magnitude (tol = 0: the same text, i.e. the same bits).
func compareCSV(t *testing.T, want, got string, tol float64) {
	t.Helper()
	a, b := readCSV(t, want), readCSV(t, got)
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%s has %d rows, %s %d", got, len(b), want, len(a))
	}
	scale := make([]float64, len(a[0]))
	for _, row := range a[1:] {
		for j, s := range row {
			if x, err := strconv.ParseFloat(s, 64); err == nil && j < len(scale) {
				scale[j] = math.Max(scale[j], math.Abs(x))
			}
		}
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			t.Fatalf("%s row %d has %d fields, want %d", got, i, len(b[i]), len(a[i]))
		}
		for j := range a[i] {
			if a[i][j] == b[i][j] {
				continue
			}
			x, e1 := strconv.ParseFloat(a[i][j], 64)
			y, e2 := strconv.ParseFloat(b[i][j], 64)
			if tol == 0 || e1 != nil || e2 != nil || !(math.Abs(x-y) <= tol*scale[j]) {
				t.Fatalf("%s row %d column %s: %s, want %s (tolerance %g of the column's max %g)", got, i, a[0][j], b[i][j], a[i][j], tol, scale[j])
			}
		}
	}
}

// TestMPIRun runs two-layer-iris (flows gd, ngd, grd and the sgd
// ensemble) on 1, 2 and 3 ranks and checks the README's guarantee: for a
// fixed number of ranks the outputs are bit-identical whatever --workers,
// and every K agrees with the single-process run to 1e-8 of each column's
// scale with the same rows (the measured difference is ≤ 1e-10).
func TestMPIRun(t *testing.T) {
	dir := t.TempDir()
	out := func(name string) string { return filepath.Join(dir, name) }
	grdMPI(t, 0, "--quiet", "run", "two-layer-iris", "--out", out("k1"))
	grdMPI(t, 2, "--quiet", "--workers", "1", "run", "two-layer-iris", "--out", out("k2"))
	grdMPI(t, 2, "--quiet", "--workers", "2", "run", "two-layer-iris", "--out", out("k2w"))
	grdMPI(t, 3, "--quiet", "--workers", "1", "run", "two-layer-iris", "--out", out("k3"))
	for _, f := range []string{"gd.csv", "ngd.csv", "grd.csv", "sgd.csv"} {
		compareCSV(t, filepath.Join(out("k2"), f), filepath.Join(out("k2w"), f), 0)
		compareCSV(t, filepath.Join(out("k1"), f), filepath.Join(out("k2"), f), 1e-8)
		compareCSV(t, filepath.Join(out("k1"), f), filepath.Join(out("k3"), f), 1e-8)
	}
}

// TestMPIGeometry checks grd geometry under mpirun: it succeeds and rank
// 0 alone prints.
func TestMPIGeometry(t *testing.T) {
	dir := t.TempDir()
	bin := os.Getenv("GRD_MPI_BIN")
	if bin == "" {
		t.Fatal("$GRD_MPI_BIN is not set")
	}
	run := func(np int) []byte {
		a := append([]string{"-np", strconv.Itoa(np)}, mpirunArgs...)
		cmd := exec.Command("mpirun", append(append(a, bin), "geometry", "two-layer-iris")...)
		cmd.Env = append(os.Environ(), "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v", cmd.Args, err)
		}
		return out
	}
	one, two := run(1), run(2)
	if len(one) == 0 || len(two) == 0 {
		t.Fatal("grd geometry printed nothing")
	}
	// Rank 0 alone prints: one JSON document, not two.
	if c1, c2 := countByte(one, '{'), countByte(two, '{'); c1 != c2 {
		t.Errorf("np 2 printed %d '{', np 1 %d: ranks other than 0 must not print", c2, c1)
	}
}

func countByte(b []byte, c byte) int {
	n := 0
	for _, x := range b {
		if x == c {
			n++
		}
	}
	return n
}

// writeIDXScenario writes a small IDX data set (n images of 3×3 ubyte
// pixels, labels 0..2) and a two-layer scenario over it with the pass-only
// flows (so that every rank loads only its samples) into dir.
func writeIDXScenario(t *testing.T, dir string, n int) string {
	t.Helper()
	px, lb := make([]float64, n*9), make([]float64, n)
	for i := range n {
		lb[i] = float64(i % 3)
		for j := range 9 {
			px[i*9+j] = float64((i*7 + j*j*3 + i*j) % 256)
		}
	}
	for _, f := range []struct {
		name string
		dims []int
		v    []float64
	}{{"img", []int{n, 3, 3}, px}, {"lbl", []int{n}, lb}} {
		var b bytes.Buffer
		if err := idx.Encode(&b, idx.Ubyte, f.dims, f.v); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sc := filepath.Join(dir, "idx.yaml")
	yaml := `name: idx-mpi
data: {idx: {images: img, labels: lbl}}
model: {kind: two-layer, hidden: 3}
flows: [gd, ngd, grd]
time: {t1: 0.5, outputs: 6}
`
	if err := os.WriteFile(sc, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestMPIShard runs an IDX scenario whose ranks each load only their
// samples (flows without an ensemble) on 2 and 3 ranks and compares with
// the single-process run (README: ≤ 1e-8 of each column's scale).
func TestMPIShard(t *testing.T) {
	dir := t.TempDir()
	sc := writeIDXScenario(t, dir, 300)
	out := func(name string) string { return filepath.Join(dir, name) }
	grdMPI(t, 0, "--quiet", "run", sc, "--out", out("k1"))
	grdMPI(t, 2, "--quiet", "--workers", "1", "run", sc, "--out", out("k2"))
	grdMPI(t, 3, "--quiet", "--workers", "1", "run", sc, "--out", out("k3"))
	for _, f := range []string{"gd.csv", "ngd.csv", "grd.csv"} {
		compareCSV(t, filepath.Join(out("k1"), f), filepath.Join(out("k2"), f), 1e-8)
		compareCSV(t, filepath.Join(out("k1"), f), filepath.Join(out("k3"), f), 1e-8)
	}
}

// TestMPICorruptShard gives the ranks a data file whose last rows (rank
// 1's) are bad: the job ends, promptly, with one message that names the
// rank and the file's line, and a nonzero status; nothing hangs.
func TestMPICorruptShard(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("a,b,y\n")
	for i := range 100 {
		fmt.Fprintf(&b, "%d,%d,%d\n", i%7, i%5, i%2)
	}
	b.WriteString("1,oops,0\n")
	if err := os.WriteFile(filepath.Join(dir, "d.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	sc := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(sc, []byte("name: bad\ndata: {csv: d.csv, target: y}\nmodel: {kind: logistic}\nflows: [gd, ngd]\ntime: {t1: 0.2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := os.Getenv("GRD_MPI_BIN")
	if bin == "" {
		t.Fatal("$GRD_MPI_BIN is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a := append([]string{"-np", "2"}, mpirunArgs...)
	cmd := exec.CommandContext(ctx, "mpirun", append(append(a, bin), "--quiet", "run", sc, "--out", filepath.Join(dir, "out"))...)
	cmd.Env = append(os.Environ(), "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("the job hung (killed after 60 s):\n%s", out)
	}
	if err == nil {
		t.Fatalf("the job succeeded on a corrupt data file:\n%s", out)
	}
	msgs := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "grd: ") {
			msgs++
			if !strings.Contains(line, "rank ") || !strings.Contains(line, "d.csv:102") {
				t.Errorf("message %q does not name the rank and the file's line 102", line)
			}
		}
	}
	if msgs != 1 {
		t.Errorf("%d messages, want 1:\n%s", msgs, out)
	}
}

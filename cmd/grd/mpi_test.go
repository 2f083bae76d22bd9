//go:build mpi

package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/grd-engine/grd/scenarios/idx"

	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
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
// every K agrees with the single-process run to 1e-8 of each column's
// scale with the same rows (the measured difference is ≤ 1e-10), and the
// ensemble (runs split by run index, folded in run order) is
// bit-identical to the single-process run for every K.
func TestMPIRun(t *testing.T) {
	dir := t.TempDir()
	out := func(name string) string { return filepath.Join(dir, name) }
	grdMPI(t, 0, "--quiet", "run", "two-layer-iris", "--out", out("k1"))
	grdMPI(t, 2, "--quiet", "--workers", "1", "run", "two-layer-iris", "--out", out("k2"))
	grdMPI(t, 2, "--quiet", "--workers", "2", "run", "two-layer-iris", "--out", out("k2w"))
	grdMPI(t, 3, "--quiet", "--workers", "1", "run", "two-layer-iris", "--out", out("k3"))
	for _, f := range []string{"gd.csv", "ngd.csv", "grd.csv", "sgd.csv"} {
		tol := 1e-8
		if f == "sgd.csv" {
			tol = 0
		}
		compareCSV(t, filepath.Join(out("k2"), f), filepath.Join(out("k2w"), f), 0)
		compareCSV(t, filepath.Join(out("k1"), f), filepath.Join(out("k2"), f), tol)
		compareCSV(t, filepath.Join(out("k1"), f), filepath.Join(out("k3"), f), tol)
	}
}

// TestMPIEnsemble runs an sde and a cd ensemble alone on 2 and 3 ranks:
// runs split by run index and folded in run order, so every CSV and
// summary.json (but for the wall times, workers and ranks) is
// bit-identical to the single-process run's; ε too, computed on every
// rank alone since every rank holds all samples.
func TestMPIEnsemble(t *testing.T) {
	dir := t.TempDir()
	// 7 runs: waves of 2 and 3 runs leave a short last wave.
	for _, c := range []struct{ scenario, flow string }{{"two-layer-iris", "sde"}, {"rbm-bars", "cd"}} {
		out := func(name string) string { return filepath.Join(dir, c.flow+"-"+name) }
		args := []string{"run", c.scenario, "--set", "flows=[" + c.flow + "]", "--set", c.flow + ".runs=7", "--set", "time.t1=4", "--set", "time.outputs=21"}
		grdMPI(t, 0, append([]string{"--quiet"}, append(args, "--out", out("k1"))...)...)
		grdMPI(t, 2, append([]string{"--quiet", "--workers", "2"}, append(args, "--out", out("k2"))...)...)
		grdMPI(t, 3, append([]string{"--quiet", "--workers", "1"}, append(args, "--out", out("k3"))...)...)
		for _, k := range []string{"k2", "k3"} {
			compareCSV(t, filepath.Join(out("k1"), c.flow+".csv"), filepath.Join(out(k), c.flow+".csv"), 0)
			if a, b := summaryCore(t, out("k1")), summaryCore(t, out(k)); !bytes.Equal(a, b) {
				t.Errorf("%s %s: summary.json differs from the single-process run's:\n%s\nwant\n%s", c.flow, k, b, a)
			}
		}
	}
}

// summaryCore is dir's summary.json without what differs between runs by
// design: wall times, workers, ranks, start and end.
func summaryCore(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(dropTimings(t, b), &m); err != nil {
		t.Fatal(err)
	}
	if p, ok := m["provenance"].(map[string]any); ok {
		delete(p, "ranks")
	}
	out, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mpiJob is a job started under mpirun (startMPI).
type mpiJob struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan error
}

// startMPI starts bin/grd-mpi with args on np ranks and returns at once.
func startMPI(t *testing.T, np int, args ...string) *mpiJob {
	t.Helper()
	bin := os.Getenv("GRD_MPI_BIN")
	if bin == "" {
		t.Fatal("$GRD_MPI_BIN is not set")
	}
	a := append([]string{"-np", strconv.Itoa(np)}, mpirunArgs...)
	j := &mpiJob{cmd: exec.Command("mpirun", append(append(a, bin), args...)...), done: make(chan error, 1)}
	j.cmd.Env = append(os.Environ(), "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
	j.cmd.Stdout, j.cmd.Stderr = &j.out, &j.out
	if err := j.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { j.done <- j.cmd.Wait() }()
	t.Cleanup(func() {
		if j.cmd.ProcessState == nil {
			_ = j.cmd.Process.Kill()
			<-j.done
		}
	})
	return j
}

// waitFile waits until path exists while the job runs; it fails the test
// if the job ends first or after timeout.
func (j *mpiJob) waitFile(t *testing.T, path string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case err := <-j.done:
			j.done <- err
			t.Fatalf("the job ended (%v) before %s appeared:\n%s", err, path, j.out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %v:\n%s", path, timeout, j.out.String())
		}
	}
}

// wait waits for the job's end, at most timeout (then it fails the test:
// the job hung).
func (j *mpiJob) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-j.done:
		j.done <- err
		return err
	case <-time.After(timeout):
		_ = j.cmd.Process.Kill()
		t.Fatalf("the job did not end within %v (it hangs):\n%s", timeout, j.out.String())
		return nil
	}
}

// longIris is two-layer-iris without the ensemble and over a longer span,
// so that a run on 2 ranks takes several seconds (about 3 s of CPU in one
// process): long enough to be stopped after its first periodic checkpoint
// (1 s after the flows start) even on an idle machine.
var longIris = []string{"two-layer-iris", "--set", "flows=[gd,ngd,grd]", "--set", "time.t1=80", "--set", "time.outputs=81"}

// TestMPIResumeOtherK interrupts a run on 2 ranks (SIGTERM to mpirun after
// the first periodic checkpoint, as a user's Ctrl-C or a scheduler's
// time limit does) and resumes its checkpoint on 2 ranks, on 3 ranks and in
// a single process. README's guarantee: the resume on 2 ranks is
// bit-identical to an uninterrupted run on 2 ranks; the others agree with
// the uninterrupted single-process run to 1e-8 of each column's scale with
// the same rows (the checkpoint's ε is kept: the one recomputed on another
// number of ranks differs in its last bits).
func TestMPIResumeOtherK(t *testing.T) {
	dir := t.TempDir()
	out := func(name string) string { return filepath.Join(dir, name) }
	grdMPI(t, 0, append([]string{"--quiet", "run"}, append(longIris, "--out", out("k1"))...)...)
	grdMPI(t, 2, append([]string{"--quiet", "--workers", "1", "run"}, append(longIris, "--out", out("k2"))...)...)

	j := startMPI(t, 2, append([]string{"--quiet", "--workers", "1", "run"}, append(longIris, "--out", out("int"), "--checkpoint-every", "1s")...)...)
	ck := filepath.Join(out("int"), "checkpoint.gob")
	j.waitFile(t, ck, 60*time.Second)
	if err := j.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := j.wait(t, 60*time.Second); err == nil {
		t.Fatalf("the interrupted job exited with status 0:\n%s", j.out.String())
	}
	if _, err := os.Stat(filepath.Join(out("int"), "summary.json")); err == nil {
		t.Fatal("the job finished before the interruption: lengthen longIris")
	}
	if _, err := os.Stat(ck); err != nil {
		t.Fatalf("no checkpoint after the interruption: %v\n%s", err, j.out.String())
	}
	for _, k := range []string{"r1", "r3"} {
		if err := os.CopyFS(out(k), os.DirFS(out("int"))); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(out(k), ".grd-lock")); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	grdMPI(t, 2, "--quiet", "--workers", "1", "run", "--resume", out("int"))
	grdMPI(t, 3, "--quiet", "--workers", "1", "run", "--resume", out("r3"))
	grdMPI(t, 0, "--quiet", "run", "--resume", out("r1"))
	for _, f := range []string{"gd.csv", "ngd.csv", "grd.csv"} {
		compareCSV(t, filepath.Join(out("k2"), f), filepath.Join(out("int"), f), 0)
		compareCSV(t, filepath.Join(out("k1"), f), filepath.Join(out("r3"), f), 1e-8)
		compareCSV(t, filepath.Join(out("k1"), f), filepath.Join(out("r1"), f), 1e-8)
	}
}

// TestMPIKilledRank kills rank 1 of a run on 2 ranks (SIGKILL) after its
// first periodic checkpoint: the job ends promptly (no rank waits for
// ever in a collective), with a nonzero status and a message naming rank 1
// (mpirun's: grd cannot see a killed rank), and the checkpoint written
// before stays and resumes in a single process to the uninterrupted run's
// outputs (README's guarantee for another number of ranks, 1e-8).
func TestMPIKilledRank(t *testing.T) {
	dir := t.TempDir()
	out := func(name string) string { return filepath.Join(dir, name) }
	j := startMPI(t, 2, append([]string{"--quiet", "--workers", "1", "run"}, append(longIris, "--out", out("kill"), "--checkpoint-every", "1s")...)...)
	ck := filepath.Join(out("kill"), "checkpoint.gob")
	j.waitFile(t, ck, 60*time.Second)
	pid := rankPID(t, j.cmd.Process.Pid, 1)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := j.wait(t, 60*time.Second); err == nil {
		t.Fatalf("the job exited with status 0 after its rank 1 was killed:\n%s", j.out.String())
	}
	if msg := j.out.String(); !strings.Contains(msg, "rank 1") {
		t.Errorf("no message names rank 1:\n%s", msg)
	}
	if _, err := os.Stat(ck); err != nil {
		t.Fatalf("the checkpoint written before the kill is gone: %v", err)
	}
	if err := os.Remove(filepath.Join(out("kill"), ".grd-lock")); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	grdMPI(t, 0, "--quiet", "run", "--resume", out("kill"))
	grdMPI(t, 0, append([]string{"--quiet", "run"}, append(longIris, "--out", out("k1"))...)...)
	for _, f := range []string{"gd.csv", "ngd.csv", "grd.csv"} {
		compareCSV(t, filepath.Join(out("k1"), f), filepath.Join(out("kill"), f), 1e-8)
	}
}

// rankPID returns the pid of rank rank among the children of mpirun (pid
// parent), found by their OMPI_COMM_WORLD_RANK.
func rankPID(t *testing.T, parent, rank int) int {
	t.Helper()
	want := "OMPI_COMM_WORLD_RANK=" + strconv.Itoa(rank)
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: the comm may hold spaces, so split after ')'.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 2 || f[1] != strconv.Itoa(parent) {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, v := range bytes.Split(env, []byte{0}) {
			if string(v) == want {
				return pid
			}
		}
	}
	t.Fatalf("no child of mpirun (pid %d) has rank %d", parent, rank)
	return 0
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

// TestMPIGeometrySegments runs grd geometry on two-layer-digits (d = 2410,
// above engine's segmentMin) on 3 ranks, where a reducing pass's partials
// are combined by a reduce-scatter (MPI_Alltoallv) and an all-gather, and
// checks every quantity against the single-process run to 1e-10 of its
// largest magnitude (README: the geometry agrees to 1e-12 relative; the
// bits equal those of the plain all-gather, engine's TestCombineRankOrder).
func TestMPIGeometrySegments(t *testing.T) {
	bin := os.Getenv("GRD_MPI_BIN")
	if bin == "" {
		t.Fatal("$GRD_MPI_BIN is not set")
	}
	run := func(np int) map[string]any {
		var cmd *exec.Cmd
		if np == 0 {
			cmd = exec.Command(bin, "geometry", "two-layer-digits")
		} else {
			a := append([]string{"-np", strconv.Itoa(np)}, mpirunArgs...)
			cmd = exec.Command("mpirun", append(append(a, bin), "--workers", "1", "geometry", "two-layer-digits")...)
		}
		cmd.Env = append(os.Environ(), "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v", cmd.Args, err)
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
		}
		return m
	}
	one, three := run(0), run(3)
	nums := func(v any) []float64 {
		switch x := v.(type) {
		case float64:
			return []float64{x}
		case []any:
			f := make([]float64, len(x))
			for i, e := range x {
				f[i], _ = e.(float64)
			}
			return f
		}
		return nil
	}
	for key, v := range one {
		a, b := nums(v), nums(three[key])
		if len(a) != len(b) || len(a) == 0 {
			t.Fatalf("%s: %d numbers on 3 ranks, %d in one process", key, len(b), len(a))
		}
		scale := 0.0
		for _, x := range a {
			scale = math.Max(scale, math.Abs(x))
		}
		for i := range a {
			if !(math.Abs(a[i]-b[i]) <= 1e-10*scale) {
				t.Errorf("%s[%d] = %v on 3 ranks, %v in one process", key, i, b[i], a[i])
				break
			}
		}
	}
}

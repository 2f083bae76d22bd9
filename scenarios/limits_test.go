package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSpecialFilesRefused: a FIFO or a device where a regular file is
// wanted is refused at once, never opened for reading (a FIFO would block,
// /dev/zero never ends).
func TestSpecialFilesRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "d.csv")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	scen := filepath.Join(dir, "s.yaml")
	text := "name: f\ndata: {csv: d.csv, target: y}\nmodel: {kind: two-layer, hidden: 2}\nflows: [gd]\ntime: {t1: 1}\n"
	if err := os.WriteFile(scen, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 4)
	go func() {
		s, err := Load(scen)
		if err != nil {
			done <- err
			return
		}
		_, err = s.Build()
		done <- err
	}()
	go func() { _, err := Load(fifo); done <- err }()
	go func() { _, err := Load("/dev/zero"); done <- err }()
	go func() { _, err := ReadWeightsFile(fifo, 2); done <- err }()
	for range 4 {
		select {
		case err := <-done:
			if err == nil || !(strings.Contains(err.Error(), "named pipe") || strings.Contains(err.Error(), "device")) {
				t.Errorf("got %v, want a refusal naming the file kind", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("reading a FIFO or /dev/zero hung")
		}
	}
}

func TestBoundedReader(t *testing.T) {
	r := newBoundedReader(strings.NewReader("abcdef"), 6)
	b := make([]byte, 10)
	if n, err := r.Read(b); n != 6 || err != nil {
		t.Fatalf("first read: %d, %v", n, err)
	}
	if _, err := r.Read(b); err == nil || err.Error() != "EOF" {
		t.Fatalf("at exactly the bound: %v, want EOF", err)
	}
	r = newBoundedReader(strings.NewReader("abcdefg"), 6)
	_, _ = r.Read(b)
	var tl *tooLarge
	if _, err := r.Read(b); !errors.As(err, &tl) {
		t.Fatalf("past the bound: %v, want *tooLarge", err)
	}
}

// TestMemoryEstimate: the estimate grows with what it should and the
// refusal names the estimate, the largest part and the limit.
func TestMemoryEstimate(t *testing.T) {
	s, err := Parse([]byte("name: q\nmodel: {kind: quadratic, dim: 100000, count: 2}\nflows: [gd]\ntime: {t1: 1}\n"), "q.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := s.EstimateMemory(nil, BuildOptions{Workers: 1})
	if got, want := e.Parts[0].Bytes, 2*(1e10+2e5)*8.0; got != want {
		t.Errorf("quadratic part %g, want %g", got, want)
	}
	_, err = s.BuildWithin(BuildOptions{MaxMemory: 1 << 30, MemorySource: "test", Workers: 1})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("BuildWithin: %v, want ErrTooLarge", err)
	}
	for _, want := range []string{"q.yaml:2: model.dim:", "149 GiB", "1 GiB allowed (test)", "2 matrices of 100000×100000", "lower model.dim"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	// Without a limit nothing is checked (and here nothing is built: too big).
	small, err := Parse([]byte("name: q\nmodel: {kind: quadratic, dim: 2, count: 2}\nflows: [gd, sgd]\nsgd: {runs: 3, batch: 1}\ntime: {t1: 1, outputs: 11}\n"), "q.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := small.BuildWithin(BuildOptions{MaxMemory: 1 << 30, Workers: 2}); err != nil {
		t.Errorf("a small scenario was refused: %v", err)
	}
	a := small.EstimateMemory(nil, BuildOptions{Workers: 1}).Total()
	small.Time.Outputs = 1001
	if b := small.EstimateMemory(nil, BuildOptions{Workers: 1}).Total(); !(b > a) {
		t.Errorf("more outputs did not raise the estimate: %g ≤ %g", b, a)
	}
}

// TestDecimalNumbersOnly: CSV and weight numbers are decimal literals.
func TestDecimalNumbersOnly(t *testing.T) {
	for _, ok := range []string{"2", "-0.5", "+.5", "1.", "1.5e-3", "1E+05", " 3 "} {
		if _, msg := parseCell(ok); msg != "" {
			t.Errorf("parseCell(%q): %s", ok, msg)
		}
	}
	for _, bad := range []string{"0x1p2", "1_0", "0x10", "Inf", "NaN", "infinity", "1e308", "-2e150"} {
		if _, msg := parseCell(bad); msg == "" {
			t.Errorf("parseCell(%q) accepted", bad)
		}
	}
}

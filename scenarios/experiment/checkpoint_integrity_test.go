package experiment

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grd-engine/grd/integrators"
)

// smallCheckpoint is a valid checkpoint of a few hundred bytes.
func smallCheckpoint(t *testing.T) []byte {
	t.Helper()
	ck := Checkpoint{Format: CheckpointFormat, Version: "v", ScenarioHash: "h", Source: "builtin:x", Epsilon: 0.25,
		Flows: []CheckpointFlow{{Flow: "gd", Rows: &Rows{T: []float64{0, 1}, Loss: []float64{2, 1}, W: [][]float64{{1, -0.36644302596}, {0.5, math.Inf(1)}}},
			Solver: &integrators.State{T: 1, Y: []float64{0.5, 2}, H: 0.1}}},
		Written: time.Unix(1, 0).UTC()}
	var b bytes.Buffer
	if err := ck.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// flipRefused fails unless every byte flip at the offsets is refused.
func flipRefused(t *testing.T, good []byte, offsets []int) {
	t.Helper()
	for _, i := range offsets {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			b := bytes.Clone(good)
			b[i] ^= mask
			if ck, err := DecodeCheckpoint(bytes.NewReader(b), "ck"); err == nil || !errors.Is(err, ErrCheckpoint) {
				t.Fatalf("byte %d of %d ^ %#x: accepted (%v, err %v)", i, len(good), mask, ck != nil, err)
			}
		}
	}
}

// TestCheckpointEveryByteFlipRefused flips every byte of a small
// checkpoint (three masks each) and a random sample of the bytes of a
// real run's checkpoint: each damaged file is refused (issue 15: 18 of 24
// flips were accepted before the checksum).
func TestCheckpointEveryByteFlipRefused(t *testing.T) {
	good := smallCheckpoint(t)
	if _, err := DecodeCheckpoint(bytes.NewReader(good), "ck"); err != nil {
		t.Fatal(err)
	}
	all := make([]int, len(good))
	for i := range all {
		all[i] = i
	}
	flipRefused(t, good, all)

	sc := resumeScenario(t)
	dir := filepath.Join(t.TempDir(), "out")
	if err := interruptAt(t, sc, dir, nil, "ngd", 2); err == nil {
		t.Fatal("the run was not interrupted")
	}
	real, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, %d bytes", seed, len(real))
	rng := rand.New(rand.NewPCG(seed, 1))
	sample := []int{0, len(real) - 1}
	for range 200 {
		sample = append(sample, rng.IntN(len(real)))
	}
	flipRefused(t, real, sample)
}

// TestCheckpointFrameRefusals: truncation at any length, trailing bytes,
// an older format (no format line), another format and a file that is
// not regular (/dev/zero, which would never end) are refused with a
// message saying which.
func TestCheckpointFrameRefusals(t *testing.T) {
	good := smallCheckpoint(t)
	for n := range len(good) {
		if _, err := DecodeCheckpoint(bytes.NewReader(good[:n]), "ck"); !errors.Is(err, ErrCheckpoint) {
			t.Fatalf("truncated to %d bytes: err %v", n, err)
		}
	}
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"trailing", append(bytes.Clone(good), 0), "trailing bytes after the checksum"},
		{"format 2", append([]byte(checkpointMagic), 0x3f, 0xff, 0x81, 0x03), "written by an older grd (format 1 or 2, without a checksum)"},
		{"format 4", []byte(strings.Replace(string(good), "format 3\n", "format 4\n", 1)), "has format 4, this grd reads format 3"},
		{"checksum", append(bytes.Clone(good[:len(good)-1]), good[len(good)-1]^1), "the SHA-256 checksum does not match"},
	} {
		_, err := DecodeCheckpoint(bytes.NewReader(c.b), "ck")
		if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want ErrCheckpoint with %q", c.name, err, c.want)
		}
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		dir := t.TempDir()
		if err := os.Symlink("/dev/zero", filepath.Join(dir, CheckpointFile)); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, err := ReadCheckpoint(dir); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), "is not a regular file") {
				t.Errorf("/dev/zero: err %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("reading a checkpoint that is /dev/zero did not return")
		}
	}
}

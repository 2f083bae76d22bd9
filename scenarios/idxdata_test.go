package scenarios

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/grd-engine/grd/scenarios/idx"
)

// writeIDX writes an IDX file (gzip-compressed if gz) into dir.
func writeIDX(t *testing.T, dir, name string, typ idx.Type, dims []int, values []float64, gz bool) {
	t.Helper()
	var b bytes.Buffer
	if err := idx.Encode(&b, typ, dims, values); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	if gz {
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		w.Write(data)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		data = z.Bytes()
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// smallIDX writes 5 images of 2×3 ubyte pixels (pixel (i, j) = 10·i + j,
// except the last column of every image, a constant 7) and their labels
// 0, 2, 1, 2, 0 into dir as img.gz (compressed) and lbl (plain).
func smallIDX(t *testing.T, dir string) (pixels [][]float64, labels []int) {
	t.Helper()
	labels = []int{0, 2, 1, 2, 0}
	var flat []float64
	for i := range 5 {
		row := make([]float64, 6)
		for j := range 6 {
			row[j] = float64(10*i + j)
			if j == 5 {
				row[j] = 7
			}
		}
		pixels = append(pixels, row)
		flat = append(flat, row...)
	}
	writeIDX(t, dir, "img.gz", idx.Ubyte, []int{5, 2, 3}, flat, true)
	lf := make([]float64, len(labels))
	for i, l := range labels {
		lf[i] = float64(l)
	}
	writeIDX(t, dir, "lbl", idx.Ubyte, []int{5}, lf, false)
	return pixels, labels
}

func idxScenario(data string) string {
	return `name: idx-test
data:
` + data + `
model: {kind: two-layer, hidden: 2}
time: {t1: 1}
`
}

func TestLoadIDX(t *testing.T) {
	dir := t.TempDir()
	pixels, labels := smallIDX(t, dir)
	for _, c := range []struct {
		name, data  string
		n           int
		standardize bool
	}{
		{"all raw", "  idx: {images: img.gz, labels: lbl}\n  standardize: false", 5, false},
		{"limit then z-score", "  idx: {images: img.gz, labels: lbl}\n  limit: 3", 3, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "s.yaml")
			if err := os.WriteFile(p, []byte(idxScenario(c.data)), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Data.Classes {
				t.Error("classes not implied by idx")
			}
			ds, err := s.LoadData()
			if err != nil {
				t.Fatal(err)
			}
			d := ds.Data
			if d.N != c.n || d.In != 6 || d.Out != 3 || ds.Rows != 5 {
				t.Fatalf("N = %d, In = %d, Out = %d, Rows = %d; want %d, 6, 3, 5", d.N, d.In, d.Out, ds.Rows, c.n)
			}
			for i := range c.n {
				if d.Labels[i] != labels[i] {
					t.Errorf("label %d = %d, want %d", i, d.Labels[i], labels[i])
				}
				for k := range 3 {
					want := 0.0
					if k == labels[i] {
						want = 1
					}
					if d.Y[i*3+k] != want {
						t.Errorf("Y[%d][%d] = %g, want %g", i, k, d.Y[i*3+k], want)
					}
				}
			}
			for j := range 6 {
				var mean, ss float64
				for i := range c.n {
					mean += pixels[i][j] / 255
				}
				mean /= float64(c.n)
				for i := range c.n {
					ss += (pixels[i][j]/255 - mean) * (pixels[i][j]/255 - mean)
				}
				sd := math.Sqrt(ss / float64(c.n))
				for i := range c.n {
					want := pixels[i][j] / 255
					if c.standardize {
						want -= mean
						if j != 5 { // the constant pixel is only centred
							want /= sd
						}
					}
					if got := d.X[i*6+j]; math.Abs(got-want) > 1e-14 {
						t.Errorf("X[%d][%d] = %.17g, want %.17g", i, j, got, want)
					}
				}
			}
			if len(ds.Files) != 2 || ds.Files[0].Path != filepath.Join(dir, "img.gz") || ds.Files[1].Path != filepath.Join(dir, "lbl") ||
				!strings.HasPrefix(ds.Files[0].Shape, "5 × 2 × 3 ") || !strings.HasPrefix(ds.Files[1].Shape, "5 ") {
				t.Errorf("Files = %+v", ds.Files)
			}
			b, err := s.Build()
			if err != nil {
				t.Fatal(err)
			}
			if b.Model.Dim() != 6*2+2+3*2+3 {
				t.Errorf("d = %d, want %d", b.Model.Dim(), 6*2+2+3*2+3)
			}
		})
	}
}

// TestReadIDXRange: a slice [a, b) of the rows holds exactly those rows.
func TestReadIDXRange(t *testing.T) {
	dir := t.TempDir()
	pixels, labels := smallIDX(t, dir)
	p, err := idx.OpenPair(filepath.Join(dir, "img.gz"), filepath.Join(dir, "lbl"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f := false
	ds, err := ReadIDX(p, DataSpec{Standardize: &f}, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Data.N != 2 || ds.Data.Labels[0] != labels[2] || ds.Data.Labels[1] != labels[3] || ds.Data.X[6] != pixels[3][0]/255 {
		t.Errorf("rows [2, 4): N = %d, labels %v, X[1][0] = %g", ds.Data.N, ds.Data.Labels, ds.Data.X[6])
	}
}

func TestIDXScenarioErrors(t *testing.T) {
	dir := t.TempDir()
	smallIDX(t, dir)
	writeIDX(t, dir, "lbl4", idx.Ubyte, []int{4}, []float64{0, 1, 0, 1}, false)
	if err := os.WriteFile(filepath.Join(dir, "bad"), []byte{0, 0, 8, 3, 0, 0}, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, data string
		load       bool // the error comes from LoadData, not Load
		want       []string
		sentinel   error
	}{
		{"classes false", "  idx: {images: img.gz, labels: lbl}\n  classes: false", false,
			[]string{"s.yaml:4", "data.classes", "class labels"}, ErrConflict},
		{"two sources", "  csv: x.csv\n  fashion-mnist: train", false, []string{"s.yaml:4", "data.fashion-mnist", "exactly one"}, ErrConflict},
		{"no labels", "  idx: {images: img.gz}", false, []string{"s.yaml:3", "data.idx.labels", "missing"}, ErrMissing},
		{"unknown split", "  fashion-mnist: training", false, []string{"s.yaml:3", "unknown split", "train"}, ErrUnknownName},
		{"target", "  idx: {images: img.gz, labels: lbl}\n  target: y", false, []string{"s.yaml:4", "data.target"}, ErrConflict},
		{"unknown key", "  idx: {images: img.gz, labels: lbl, label: lbl}", false, []string{"s.yaml:3", "label"}, ErrUnknownKey},
		{"missing file", "  idx: {images: nope.gz, labels: lbl}", true, []string{"data.idx.images", "nope.gz"}, ErrData},
		{"truncated", "  idx: {images: bad, labels: lbl}", true, []string{"data.idx.images", "bad", "byte"}, idx.ErrTruncated},
		{"other images", "  idx: {images: img.gz, labels: lbl4}", true, []string{"data.idx", "lbl4", "byte 4", "4 labels"}, idx.ErrMismatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "s.yaml")
			if err := os.WriteFile(p, []byte(idxScenario(c.data)), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := Load(p)
			if c.load {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				_, err = s.LoadData()
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !errors.Is(err, c.sentinel) {
				t.Errorf("error %q is not %v", err, c.sentinel)
			}
		})
	}
}

// TestFashionMNISTMissing: without the files the error says where grd
// looked and how to get them.
func TestFashionMNISTMissing(t *testing.T) {
	t.Setenv(idx.EnvDataDir, t.TempDir())
	if _, err := os.Stat(filepath.Join(idx.SystemDataDir, idx.FashionMNISTSubdir)); err == nil {
		t.Skip("Fashion-MNIST is installed system-wide")
	}
	s, err := Parse([]byte(idxScenario("  fashion-mnist: test")), "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.LoadData()
	if err == nil || !errors.Is(err, idx.ErrNotFound) || !strings.Contains(err.Error(), "dataset-fashion-mnist") {
		t.Errorf("error %v: want ErrNotFound saying how to install", err)
	}
}

// TestFashionMNISTReal reads the installed Fashion-MNIST test split (make
// data or make test installs it; skipped when absent): N = 10000, 784
// inputs in [0, 1] before standardisation, 10 classes.
func TestFashionMNISTReal(t *testing.T) {
	skipWithoutFashionMNIST(t, "test")
	s, err := Parse([]byte(idxScenario("  fashion-mnist: test\n  standardize: false\n  limit: 2000")), "")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := s.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	d := ds.Data
	if d.N != 2000 || d.In != 784 || d.Out != 10 || ds.Rows != 10000 {
		t.Fatalf("N = %d, In = %d, Out = %d, Rows = %d; want 2000, 784, 10, 10000", d.N, d.In, d.Out, ds.Rows)
	}
	for _, v := range d.X {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("pixel %g outside [0, 1]", v)
		}
	}
	if len(ds.Files) != 2 || !strings.Contains(ds.Files[0].Shape, "10000 × 28 × 28") {
		t.Errorf("Files = %+v", ds.Files)
	}
}

// TestIDXProvenance: the provenance of an IDX scenario lists both files
// with their keys, absolute paths, SHA-256 of the bytes on disk and IDX
// dimensions (DESIGN §9: every data file read).
func TestIDXProvenance(t *testing.T) {
	dir := t.TempDir()
	smallIDX(t, dir)
	p := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(p, []byte(idxScenario("  idx: {images: img.gz, labels: lbl}")), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	files, err := b.InputFiles()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		key, name string
		shape     []int
	}{{"data.idx.images", "img.gz", []int{5, 2, 3}}, {"data.idx.labels", "lbl", []int{5}}}
	if len(files) != len(want) {
		t.Fatalf("InputFiles = %+v, want %d files", files, len(want))
	}
	for i, w := range want {
		f := files[i]
		raw, err := os.ReadFile(filepath.Join(dir, w.name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(raw)
		if f.Key != w.key || f.Path != filepath.Join(dir, w.name) || f.SHA256 != hex.EncodeToString(sum[:]) ||
			f.Bytes != int64(len(raw)) || !slices.Equal(f.Shape, w.shape) {
			t.Errorf("file %d = %+v, want key %s, path %s, sha256 %x, %d bytes, shape %v", i, f, w.key, filepath.Join(dir, w.name), sum, len(raw), w.shape)
		}
	}
}

package idx

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestFashionMNISTDirs(t *testing.T) {
	sys := filepath.Join(SystemDataDir, "fashion-mnist")
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		getenv func(string) string
		want   []string
	}{
		{nil, []string{sys}},
		{env(nil), []string{sys}},
		{env(map[string]string{"GRD_DATA_DIR": "/data"}), []string{"/data/fashion-mnist", sys}},
		{env(map[string]string{"HOME": "/home/u"}), []string{sys}},
	} {
		if got := FashionMNISTDirs(c.getenv); !slices.Equal(got, c.want) {
			t.Errorf("FashionMNISTDirs = %v, want %v", got, c.want)
		}
	}
}

func TestFindFashionMNIST(t *testing.T) {
	touch := func(dir string, names ...string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	root := t.TempDir()
	first, second, empty, missing := filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "c"), filepath.Join(root, "none")
	touch(first, "train-images-idx3-ubyte.gz") // labels missing: skipped
	touch(second, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
	touch(empty)

	img, lbl, err := FindFashionMNIST("train", []string{missing, first, second})
	if err != nil || img != filepath.Join(second, "train-images-idx3-ubyte.gz") || lbl != filepath.Join(second, "train-labels-idx1-ubyte.gz") {
		t.Errorf("train: %q %q %v, want the files in %s", img, lbl, err, second)
	}
	img, lbl, err = FindFashionMNIST("test", []string{second})
	if err != nil || img != filepath.Join(second, "t10k-images-idx3-ubyte") || lbl != filepath.Join(second, "t10k-labels-idx1-ubyte") {
		t.Errorf("test, gunzipped: %q %q %v", img, lbl, err)
	}

	_, _, err = FindFashionMNIST("test", []string{missing, first, empty})
	checkErr(t, err, ErrNotFound, "", -1)
	for _, want := range []string{
		missing + ": no such directory", first + ": neither file", empty + ": neither file",
		"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
		"apt-get install dataset-fashion-mnist", "GRD_DATA_DIR", "never downloads",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	_, _, err = FindFashionMNIST("train", []string{first})
	if err == nil || !strings.Contains(err.Error(), first+": no train-labels-idx1-ubyte.gz") {
		t.Errorf("half-installed directory: error %v does not say which file is missing", err)
	}

	_, _, err = FindFashionMNIST("validation", []string{second})
	checkErr(t, err, ErrNotFound, "", -1)
	if !strings.Contains(err.Error(), "want train") {
		t.Errorf("bad split: error %q does not list the valid splits", err)
	}
}

func TestFashionMNISTEnv(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "fashion-mnist")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		if err := os.WriteFile(filepath.Join(sub, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	getenv := func(k string) string {
		if k == EnvDataDir {
			return dir
		}
		return ""
	}
	img, _, err := FashionMNIST("test", getenv)
	if err != nil || img != filepath.Join(sub, "t10k-images-idx3-ubyte.gz") {
		t.Errorf("with GRD_DATA_DIR: %q, %v; want the file under it", img, err)
	}
	// Without the environment, the error (if not installed) says so.
	if _, _, err := FashionMNIST("train", nil); err != nil {
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "$GRD_DATA_DIR is not set") {
			t.Errorf("error %q does not say GRD_DATA_DIR is not set", err)
		}
	}
}

// fashionPair opens a real Fashion-MNIST split, or skips the test with the
// reason when it is not installed.
func fashionPair(tb testing.TB, split string) *Pair {
	tb.Helper()
	img, lbl, err := FashionMNIST(split, os.Getenv)
	if errors.Is(err, ErrNotFound) {
		tb.Skipf("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist, or set GRD_DATA_DIR): %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	p, err := OpenPair(img, lbl)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// TestFashionMNISTReal reads the installed Fashion-MNIST files and checks
// facts about them: N, the 28×28 shape, K = 10, balanced classes (6000
// per class in train, 1000 in test), the first ten labels and the sum of
// all pixel values (computed independently with Python's gzip module).
func TestFashionMNISTReal(t *testing.T) {
	for _, c := range []struct {
		split    string
		n        int
		first    []int
		pixelSum int64
	}{
		{"train", 60000, []int{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, 3431114169},
		{"test", 10000, []int{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, 573469082},
	} {
		t.Run(c.split, func(t *testing.T) {
			if c.split == "train" && testing.Short() {
				t.Skip("the 60000 training images (1–2 s of gzip decompression): skipped with -short")
			}
			p := fashionPair(t, c.split)
			if p.N() != c.n || p.Inputs() != 784 || !slices.Equal(p.Images.Dims, []int{c.n, 28, 28}) || p.Images.Type != Ubyte {
				t.Fatalf("images %s, want %d × 28 × 28 ubyte", p.Images.Shape(), c.n)
			}
			if k, err := p.Classes(); err != nil || k != 10 {
				t.Fatalf("Classes = %d, %v; want 10", k, err)
			}
			// A slice from the middle (read first: a gzip stream only
			// goes forward, so the full read below need not restart twice).
			a, b := c.n/3, c.n/3+7
			xs, ls := make([]float64, (b-a)*784), make([]int, b-a)
			if err := p.Read(xs, ls, a, b); err != nil {
				t.Fatal(err)
			}
			// The full read ends at row N: it also checks that nothing
			// follows the data and that the gzip checksum holds.
			x, labels, err := p.ReadRange(0, p.N())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(xs, x[a*784:b*784]) || !slices.Equal(ls, labels[a:b]) {
				t.Errorf("rows [%d, %d) differ from the full read", a, b)
			}
			var hist [10]int
			for _, l := range labels {
				hist[l]++
			}
			for k, h := range hist {
				if h != c.n/10 {
					t.Errorf("class %d has %d samples, want %d", k, h, c.n/10)
				}
			}
			if !slices.Equal(labels[:10], c.first) {
				t.Errorf("first labels %v, want %v", labels[:10], c.first)
			}
			var sum int64
			for _, v := range x {
				px := int64(v*255 + 0.5)
				if v < 0 || v > 1 || float64(px)/255 != v {
					t.Fatalf("pixel %v is not k/255", v)
				}
				sum += px
			}
			if sum != c.pixelSum {
				t.Errorf("pixel sum %d, want %d", sum, c.pixelSum)
			}
		})
	}
}

// BenchmarkReadFashionTrain reads all 60000 training images (gzip, as
// installed) into a caller buffer.
func BenchmarkReadFashionTrain(b *testing.B) {
	p := fashionPair(b, "train")
	x := make([]float64, p.N()*p.Inputs())
	b.SetBytes(int64(p.N()) * p.Images.RowBytes())
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Images.ReadImages(x, 0, p.N()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadFashionTrainPlain is the same read from a gunzipped copy
// (seek and convert only: the cost without decompression).
func BenchmarkReadFashionTrainPlain(b *testing.B) {
	p := fashionPair(b, "train")
	raw := make([]float64, p.N()*p.Inputs())
	if err := p.Images.ReadFloats(raw, 0, p.N()); err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(filepath.Join(b.TempDir(), "train-images-idx3-ubyte"))
	if err != nil {
		b.Fatal(err)
	}
	if err := Encode(f, Ubyte, p.Images.Dims, raw); err != nil {
		b.Fatal(err)
	}
	f.Close()
	r, err := Open(f.Name())
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.SetBytes(r.DataBytes())
	b.ReportAllocs()
	for b.Loop() {
		if err := r.ReadImages(raw, 0, r.N()); err != nil {
			b.Fatal(err)
		}
	}
}

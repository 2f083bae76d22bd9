package idx

import (
	"bytes"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"testing"
)

// TestEncodeRejects: Encode is exact or fails, and writes nothing when it fails.
func TestEncodeRejects(t *testing.T) {
	cases := []struct {
		name     string
		typ      Type
		dims     []int
		values   []float64
		sentinel error
	}{
		{"bad type", Type(0x0A), []int{1}, []float64{0}, ErrType},
		{"no dims", Ubyte, nil, nil, ErrShape},
		{"17 dims", Ubyte, make([]int, 17), nil, ErrShape},
		{"zero row", Ubyte, []int{2, 0}, nil, ErrShape},
		{"negative N", Ubyte, []int{-1, 2}, nil, ErrShape},
		{"row too long", Ubyte, []int{0, MaxRowLen + 1}, nil, ErrShape},
		{"count", Ubyte, []int{2, 2}, []float64{1, 2, 3}, ErrShape},
		{"ubyte 256", Ubyte, []int{2}, []float64{1, 256}, ErrValue},
		{"ubyte -1", Ubyte, []int{1}, []float64{-1}, ErrValue},
		{"ubyte 0.5", Ubyte, []int{1}, []float64{0.5}, ErrValue},
		{"sbyte 128", Sbyte, []int{1}, []float64{128}, ErrValue},
		{"int16", Int16, []int{1}, []float64{-32769}, ErrValue},
		{"int32", Int32, []int{1}, []float64{1 << 31}, ErrValue},
		{"float32 0.1", Float32, []int{1}, []float64{0.1}, ErrValue},
		{"float32 1e300", Float32, []int{1}, []float64{1e300}, ErrValue},
		{"NaN", Float64, []int{1}, []float64{math.NaN()}, ErrValue},
		{"Inf", Float64, []int{1}, []float64{math.Inf(-1)}, ErrValue},
	}
	for _, c := range cases {
		var b bytes.Buffer
		err := Encode(&b, c.typ, c.dims, c.values)
		if !errors.Is(err, c.sentinel) {
			t.Errorf("%s: Encode error %v, want %v", c.name, err, c.sentinel)
		}
		if b.Len() != 0 {
			t.Errorf("%s: Encode wrote %d bytes before failing", c.name, b.Len())
		}
	}
}

// TestEncodeBytes: the exact bytes of a small file (the format is
// big-endian, magic 00 00 TYPE NDIM).
func TestEncodeBytes(t *testing.T) {
	var b bytes.Buffer
	if err := Encode(&b, Int16, []int{2, 1}, []float64{-2, 258}); err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 0, 0x0B, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0xFF, 0xFE, 0x01, 0x02}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("Encode = % x, want % x", b.Bytes(), want)
	}
}

// TestOpenFiles: Open, ReadHeader and OpenPair on files on disk, plain and
// gzip, named without any hint of compression.
func TestOpenFiles(t *testing.T) {
	x := sample(Ubyte, 4*3*2)
	imgs := writeFile(t, "images.bin", encode(t, Ubyte, []int{4, 3, 2}, x, true))
	lbls := writeFile(t, "labels.bin", encode(t, Ubyte, []int{4}, []float64{2, 0, 1, 2}, false))
	h, err := ReadHeader(imgs)
	if err != nil || !h.Gzip || !slices.Equal(h.Dims, []int{4, 3, 2}) || h.Shape() != "4 × 3 × 2 ubyte (idx3)" {
		t.Fatalf("ReadHeader = %+v, %v", h, err)
	}
	p, err := OpenPair(imgs, lbls)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	got, labels, err := p.ReadRange(1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(labels, []int{0, 1}) {
		t.Errorf("labels [1, 3) = %v, want [0 1]", labels)
	}
	for i, v := range got {
		if v != x[6+i]/255 {
			t.Fatalf("image value %d = %v, want %v", i, v, x[6+i]/255)
		}
	}
	if k, err := p.Classes(); err != nil || k != 3 {
		t.Errorf("Classes = %d, %v; want 3", k, err)
	}

	missing := filepath.Join(t.TempDir(), "nope")
	_, err = Open(missing)
	checkErr(t, err, errNotExist, missing, -1)
	_, err = OpenPair(imgs, missing)
	checkErr(t, err, errNotExist, missing, -1)
}

package idx

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"testing"
)

// sample returns n values storable in typ, varied over its range.
func sample(typ Type, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		switch typ {
		case Ubyte:
			v[i] = float64((i * 37) % 256)
		case Sbyte:
			v[i] = float64((i*37)%256 - 128)
		case Int16:
			v[i] = float64((i*7919)%65536 - 32768)
		case Int32:
			v[i] = float64(int32(uint32(i) * 2654435761))
		case Float32:
			v[i] = float64(float32(math.Sin(float64(i)) * math.Pow(10, float64(i%9-4))))
		case Float64:
			v[i] = math.Sin(float64(i)) * math.Pow(10, float64(i%30-15))
		}
	}
	if n > 1 && (typ == Float32 || typ == Float64) {
		v[1] = math.Copysign(0, -1)
	}
	return v
}

// TestRowsEveryTypeAndShape: every element type, idx1/idx2/idx3, plain and
// gzip: the header, every row range [a, b) (in an order that makes gzip
// restart) and the ubyte scaling of ReadImages.
func TestRowsEveryTypeAndShape(t *testing.T) {
	for _, typ := range types {
		for _, dims := range [][]int{{5}, {5, 3}, {5, 2, 3}, {0, 2, 2}} {
			for _, gz := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%v/gzip=%v", typ, dims, gz), func(t *testing.T) {
					n, row := dims[0], 1
					for _, d := range dims[1:] {
						row *= d
					}
					want := sample(typ, n*row)
					r, err := NewReader(bytes.NewReader(encode(t, typ, dims, want, gz)), "x.idx")
					if err != nil {
						t.Fatal(err)
					}
					if r.Type != typ || !slices.Equal(r.Dims, dims) || r.Gzip != gz || r.N() != n || r.RowLen() != row {
						t.Fatalf("header %+v, want %s %v gzip=%v", r.Header, typ, dims, gz)
					}
					all, err := r.ReadAll()
					if err != nil {
						t.Fatal(err)
					}
					if !equalBits(all, want) {
						t.Fatalf("ReadAll = %v, want %v", all, want)
					}
					// Descending a makes a gzip reader go back and restart.
					for a := n; a >= 0; a-- {
						for b := a; b <= n; b++ {
							got := make([]float64, (b-a)*row)
							if err := r.ReadFloats(got, a, b); err != nil {
								t.Fatalf("ReadFloats [%d, %d): %v", a, b, err)
							}
							if !equalBits(got, want[a*row:b*row]) {
								t.Fatalf("ReadFloats [%d, %d) = %v, want %v", a, b, got, want[a*row:b*row])
							}
						}
					}
					if len(dims) == 1 {
						return
					}
					img := make([]float64, n*row)
					if err := r.ReadImages(img, 0, n); err != nil {
						t.Fatal(err)
					}
					for i, v := range want {
						if typ == Ubyte {
							v /= 255
						}
						if math.Float64bits(img[i]) != math.Float64bits(v) {
							t.Fatalf("ReadImages[%d] = %v, want %v", i, img[i], v)
						}
					}
				})
			}
		}
	}
}

func equalBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// TestUbyteScaling: a ubyte pixel p reads as exactly p/255 (0 and 255 map
// to 0 and 1).
func TestUbyteScaling(t *testing.T) {
	px := make([]float64, 256)
	for i := range px {
		px[i] = float64(i)
	}
	r, err := NewReader(bytes.NewReader(encode(t, Ubyte, []int{1, 16, 16}, px, false)), "u")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float64, 256)
	if err := r.ReadImages(got, 0, 1); err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != float64(i)/255 {
			t.Fatalf("pixel %d reads as %v, want %v", i, v, float64(i)/255)
		}
	}
	if got[0] != 0 || got[255] != 1 {
		t.Fatalf("0 and 255 read as %v and %v, want 0 and 1", got[0], got[255])
	}
}

// TestLabels: labels of every type (floats holding integers) read as ints;
// Classes is 1 + the largest.
func TestLabels(t *testing.T) {
	labels := []float64{3, 0, 9, 1, 1, 7}
	for _, typ := range types {
		for _, gz := range []bool{false, true} {
			r, err := NewReader(bytes.NewReader(encode(t, typ, []int{6}, labels, gz)), "l")
			if err != nil {
				t.Fatal(err)
			}
			got := make([]int, 4)
			if err := r.ReadLabels(got, 2, 6); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, []int{9, 1, 1, 7}) {
				t.Fatalf("%s gzip=%v: labels [2, 6) = %v, want [9 1 1 7]", typ, gz, got)
			}
			if k, err := r.Classes(); err != nil || k != 10 {
				t.Fatalf("%s gzip=%v: Classes = %d, %v; want 10", typ, gz, k, err)
			}
		}
	}
}

// TestReadAllocs: after the reader is made, reading rows allocates nothing
// (plain seeks, gzip streams forward).
func TestReadAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts: skipped with -short")
	}
	vals := sample(Ubyte, 400*64)
	for _, gz := range []bool{false, true} {
		r, err := NewReader(bytes.NewReader(encode(t, Ubyte, []int{400, 8, 8}, vals, gz)), "a")
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]float64, 10*64)
		a := 0
		allocs := testing.AllocsPerRun(30, func() {
			if err := r.ReadImages(dst, a, a+10); err != nil {
				t.Fatal(err)
			}
			a += 10
		})
		if allocs != 0 {
			t.Errorf("gzip=%v: ReadImages allocates %v times per call, want 0", gz, allocs)
		}
	}
}

package idx

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// header builds the raw header bytes 00 00 typ ndim dims….
func header(typ byte, dims ...uint32) []byte {
	h := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		h = binary.BigEndian.AppendUint32(h, d)
	}
	return h
}

// TestHeaderErrors: every bad header is rejected by NewReader with its
// sentinel at the offset of the bad field, plain and gzip-compressed.
func TestHeaderErrors(t *testing.T) {
	cases := []struct {
		name     string
		data     []byte
		sentinel error
		off      int64
	}{
		{"empty", nil, ErrTruncated, 0},
		{"short magic", []byte{0, 0, 8}, ErrTruncated, 3},
		{"zip", []byte("PK\x03\x04rest"), ErrMagic, 0},
		{"text", []byte("label\n1\n2\n"), ErrMagic, 0},
		{"type 0x0A", header(0x0A, 1), ErrType, 2},
		{"type 0x00", header(0x00, 1), ErrType, 2},
		{"no dims", header(0x08), ErrShape, 3},
		{"ndim 17", append([]byte{0, 0, 8, 17}, make([]byte, 68)...), ErrShape, 3},
		{"dims cut", header(0x08, 60000, 28, 28)[:10], ErrTruncated, 10},
		{"N 2^32−1", header(0x08, math.MaxUint32, 28, 28), ErrShape, 4},
		{"cols 2^31", header(0x08, 1, 1<<31), ErrShape, 8},
		{"zero rows", header(0x08, 5, 0, 28), ErrShape, 8},
		{"row too long", header(0x0E, 1, 65536, 65536), ErrShape, 12},
		{"row too long idx4", header(0x08, 1, 4096, 4096, 2), ErrShape, 16},
	}
	for _, c := range cases {
		for _, gz := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/gzip=%v", c.name, gz), func(t *testing.T) {
				data := c.data
				if gz {
					data = gzipBytes(t, data)
				}
				_, err := NewReader(bytes.NewReader(data), "bad.idx")
				checkErr(t, err, c.sentinel, "bad.idx", c.off)
			})
		}
	}
}

// TestAbsurdHeaderAllocatesNothing: a header that claims 2^31−1 images of
// 28×28 reads as an error without allocating anything like its claim.
func TestAbsurdHeaderAllocatesNothing(t *testing.T) {
	h := header(0x08, math.MaxInt32, 28, 28)
	for _, gz := range []bool{false, true} {
		data := append(h, make([]byte, 784*3)...)
		if gz {
			data = gzipBytes(t, data)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := NewReader(bytes.NewReader(data), "huge.idx")
		if err == nil {
			// Not reached today (both paths reject at open); if the
			// open-time bound is ever relaxed, reading must still fail
			// and allocate only as the data arrives.
			_, err = r.ReadAll()
		}
		runtime.ReadMemStats(&after)
		checkErr(t, err, ErrTruncated, "huge.idx", anyOffset)
		if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
			t.Errorf("gzip=%v: rejecting the header allocated %d bytes, want < 4 MiB", gz, got)
		}
	}
	// A gzip header within the compression bound but beyond the data: the
	// full read allocates as the data arrives, then fails at its end.
	// Random pixels do not compress, so the bound lets the header pass.
	rows, present := 200000, 100 // 157 MB claimed, 78 kB present
	src := rand.New(rand.NewPCG(1, 2))
	pixels := make([]byte, present*784)
	for i := range pixels {
		pixels[i] = byte(src.Uint32())
	}
	data := gzipBytes(t, append(header(0x08, uint32(rows), 28, 28), pixels...))
	r, err := NewReader(bytes.NewReader(data), "lie.idx.gz")
	if err != nil {
		t.Fatalf("the compression bound rejected a header it should pass: %v", err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = r.ReadAll()
	runtime.ReadMemStats(&after)
	checkErr(t, err, ErrTruncated, "lie.idx.gz", int64(16+present*784))
	if got := after.TotalAlloc - before.TotalAlloc; got > 32<<20 {
		t.Errorf("reading a lying gzip header allocated %d bytes, want < 32 MiB (its claim is %d)", got, 8*784*rows)
	}
}

// TestDataErrors: truncated data, trailing bytes, corrupt gzip and
// non-finite floats, with the offset where each is found.
func TestDataErrors(t *testing.T) {
	good := encode(t, Ubyte, []int{3, 2, 2}, sample(Ubyte, 12), false) // 16-byte header + 12 bytes
	gz := gzipBytes(t, good)

	t.Run("plain truncated", func(t *testing.T) {
		_, err := NewReader(bytes.NewReader(good[:25]), "cut.idx")
		checkErr(t, err, ErrTruncated, "cut.idx", 25)
		if !strings.Contains(err.Error(), "only 2 of 3 rows") {
			t.Errorf("message %q does not count the complete rows", err)
		}
	})
	t.Run("plain trailing", func(t *testing.T) {
		_, err := NewReader(bytes.NewReader(append(good[:len(good):len(good)], 1, 2, 3)), "long.idx")
		checkErr(t, err, ErrTrailing, "long.idx", 28)
	})
	t.Run("gzip truncated data", func(t *testing.T) {
		r, err := NewReader(bytes.NewReader(gzipBytes(t, good[:25])), "cut.gz")
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]float64, 8)
		if err := r.ReadImages(dst, 0, 2); err != nil {
			t.Fatalf("rows before the cut: %v", err)
		}
		checkErr(t, r.ReadImages(make([]float64, 4), 2, 3), ErrTruncated, "cut.gz", 25)
		checkErr(t, r.Verify(), ErrTruncated, "cut.gz", 25)
	})
	t.Run("gzip stream cut", func(t *testing.T) {
		big := encode(t, Ubyte, []int{100, 10}, sample(Ubyte, 1000), true)
		r, err := NewReader(bytes.NewReader(big[:len(big)/2]), "half.gz")
		if err != nil {
			t.Fatal(err)
		}
		checkErr(t, r.Verify(), ErrTruncated, "half.gz", anyOffset)
	})
	t.Run("gzip trailer cut", func(t *testing.T) {
		r, err := NewReader(bytes.NewReader(gz[:len(gz)-4]), "trailer.gz")
		if err != nil {
			t.Fatal(err)
		}
		checkErr(t, r.Verify(), ErrTruncated, "trailer.gz", 28)
	})
	t.Run("gzip trailing data", func(t *testing.T) {
		r, err := NewReader(bytes.NewReader(gzipBytes(t, append(good[:len(good):len(good)], 9))), "long.gz")
		if err != nil {
			t.Fatal(err)
		}
		if err := r.ReadImages(make([]float64, 8), 0, 2); err != nil {
			t.Fatalf("rows before the end: %v", err)
		}
		checkErr(t, r.ReadImages(make([]float64, 4), 2, 3), ErrTrailing, "long.gz", 28)
	})
	t.Run("garbage after gzip", func(t *testing.T) {
		r, err := NewReader(bytes.NewReader(append(gz[:len(gz):len(gz)], "junk after the stream"...)), "junk.gz")
		if err != nil {
			t.Fatal(err)
		}
		err = r.Verify()
		checkErr(t, err, ErrTrailing, "junk.gz", 28)
		if !errors.Is(err, gzip.ErrHeader) {
			t.Errorf("error %q does not keep its cause gzip.ErrHeader", err)
		}
	})
	t.Run("two gzip members", func(t *testing.T) {
		// Concatenated members are one gzip stream (as gunzip reads it).
		h, d := good[:16], good[16:]
		r, err := NewReader(bytes.NewReader(append(gzipBytes(t, append(h, d[:5]...)), gzipBytes(t, d[5:])...)), "two.gz")
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Verify(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("gzip bad checksum", func(t *testing.T) {
		bad := bytes.Clone(gz)
		bad[len(bad)-8] ^= 0xFF // CRC-32
		r, err := NewReader(bytes.NewReader(bad), "crc.gz")
		if err != nil {
			t.Fatal(err)
		}
		if err := r.ReadImages(make([]float64, 4), 0, 1); err != nil {
			t.Fatalf("first row: %v", err)
		}
		err = r.Verify()
		checkErr(t, err, ErrGzip, "crc.gz", 28)
		if !errors.Is(err, gzip.ErrChecksum) {
			t.Errorf("error %q does not keep its cause gzip.ErrChecksum", err)
		}
	})
	t.Run("gzip bad header", func(t *testing.T) {
		_, err := NewReader(bytes.NewReader([]byte{0x1f, 0x8b, 99, 0, 0, 0, 0, 0, 0, 0}), "hdr.gz")
		checkErr(t, err, ErrGzip, "hdr.gz", 0)
	})
	for _, typ := range []Type{Float32, Float64} {
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			t.Run(fmt.Sprintf("%s %v", typ, bad), func(t *testing.T) {
				raw := encode(t, typ, []int{3, 2}, sample(typ, 6), false)
				off := 12 + 3*typ.Size() // row 1, element 1
				if typ == Float32 {
					binary.BigEndian.PutUint32(raw[off:], math.Float32bits(float32(bad)))
				} else {
					binary.BigEndian.PutUint64(raw[off:], math.Float64bits(bad))
				}
				r, err := NewReader(bytes.NewReader(raw), "nan.idx")
				if err != nil {
					t.Fatal(err)
				}
				if err := r.ReadFloats(make([]float64, 2), 0, 1); err != nil {
					t.Fatalf("row 0: %v", err)
				}
				checkErr(t, r.ReadImages(make([]float64, 4), 1, 3), ErrValue, "nan.idx", int64(off))
				checkErr(t, r.Verify(), ErrValue, "nan.idx", int64(off))
			})
		}
	}
}

// TestLabelErrors: non-integer, negative, absurd and non-finite labels,
// each at its offset.
func TestLabelErrors(t *testing.T) {
	cases := []struct {
		typ   Type
		bad   float64
		inMsg string
	}{
		{Float64, 1.5, "not an integer"},
		{Float32, math.NaN(), "not an integer"},
		{Float64, math.Inf(1), "not an integer"},
		{Sbyte, -1, "negative"},
		{Int16, -300, "negative"},
		{Int32, MaxClasses, "too large"},
		{Int32, math.MaxInt32, "too large"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %v", c.typ, c.bad), func(t *testing.T) {
			var raw bytes.Buffer
			raw.Write(header(byte(c.typ), 4))
			for i, v := range []float64{1, 2, c.bad, 0} {
				_ = i
				var b [8]byte
				switch c.typ {
				case Sbyte:
					raw.WriteByte(byte(int8(v)))
				case Int16:
					raw.Write(binary.BigEndian.AppendUint16(b[:0], uint16(int16(v))))
				case Int32:
					raw.Write(binary.BigEndian.AppendUint32(b[:0], uint32(int32(v))))
				case Float32:
					raw.Write(binary.BigEndian.AppendUint32(b[:0], math.Float32bits(float32(v))))
				case Float64:
					raw.Write(binary.BigEndian.AppendUint64(b[:0], math.Float64bits(v)))
				}
			}
			r, err := NewReader(bytes.NewReader(raw.Bytes()), "labels.idx")
			if err != nil {
				t.Fatal(err)
			}
			if err := r.ReadLabels(make([]int, 2), 0, 2); err != nil {
				t.Fatalf("labels before the bad one: %v", err)
			}
			off := int64(8 + 2*c.typ.Size())
			err = r.ReadLabels(make([]int, 4), 0, 4)
			checkErr(t, err, ErrLabel, "labels.idx", off)
			if !strings.Contains(err.Error(), c.inMsg) {
				t.Errorf("message %q does not say %q", err, c.inMsg)
			}
			_, err = r.Classes()
			checkErr(t, err, ErrLabel, "labels.idx", off)
		})
	}
}

// TestUseErrors: files used in the wrong role, pairs that disagree, row
// ranges outside [0, N], and a destination of the wrong length (a panic).
func TestUseErrors(t *testing.T) {
	img := func(n int) *Reader {
		r, err := NewReader(bytes.NewReader(encode(t, Ubyte, []int{n, 2, 2}, sample(Ubyte, 4*n), false)), fmt.Sprintf("images-%d", n))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	lbl := func(n int) *Reader {
		r, err := NewReader(bytes.NewReader(encode(t, Ubyte, []int{n}, make([]float64, n), true)), fmt.Sprintf("labels-%d", n))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	checkErr(t, img(3).ReadLabels(make([]int, 3), 0, 3), ErrShape, "images-3", 3)
	checkErr(t, lbl(3).ReadImages(make([]float64, 3), 0, 3), ErrShape, "labels-3", 3)

	// Pairs.
	_, err := NewPair(img(3), lbl(4))
	checkErr(t, err, ErrMismatch, "labels-4", 4)
	if !strings.Contains(err.Error(), "images-3 has 3 images") || !strings.Contains(err.Error(), "4 labels") {
		t.Errorf("message %q does not give both counts and the image file", err)
	}
	_, err = NewPair(lbl(3), img(3))
	checkErr(t, err, ErrShape, "labels-3", 3)
	if !strings.Contains(err.Error(), "swapped") {
		t.Errorf("message %q does not suggest the files are swapped", err)
	}
	_, err = NewPair(img(3), img(3))
	checkErr(t, err, ErrShape, "images-3", 3)

	// Row ranges.
	r := img(3)
	for _, ab := range [][2]int{{-1, 1}, {2, 1}, {0, 4}, {4, 4}} {
		checkErr(t, r.ReadFloats(nil, ab[0], ab[1]), ErrRange, "images-3", -1)
	}
	p, err := NewPair(img(3), lbl(3))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = p.ReadRange(1, 5)
	checkErr(t, err, ErrRange, "images-3", -1)

	// A destination of the wrong length is a programmer error.
	for name, f := range map[string]func(){
		"ReadImages": func() { _ = r.ReadImages(make([]float64, 3), 0, 1) },
		"ReadFloats": func() { _ = r.ReadFloats(make([]float64, 5), 0, 1) },
		"ReadLabels": func() { _ = lbl(3).ReadLabels(make([]int, 1), 0, 2) },
	} {
		func() {
			defer func() {
				if msg, ok := recover().(string); !ok || !strings.Contains(msg, name) || !strings.Contains(msg, "len(dst)") {
					t.Errorf("%s with a short dst: panic %v, want a message naming %s and len(dst)", name, msg, name)
				}
			}()
			f()
		}()
	}
}

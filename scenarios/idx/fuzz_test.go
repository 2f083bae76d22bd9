package idx

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"runtime"
	"slices"
	"testing"
)

// FuzzDecodeIDX: NewReader and the reads never panic; every rejection is
// an *Error wrapping one of the sentinels; reading allocates no more than
// a bound proportional to the data actually present (not to what the
// header claims); and any accepted file round-trips: Encode of what
// ReadAll returned gives back the file's (decompressed) bytes, and any
// row range reads the same as the matching part of ReadAll.
func FuzzDecodeIDX(f *testing.F) {
	for _, typ := range types {
		f.Add(encode(f, typ, []int{3, 2, 2}, sample(typ, 12), false), uint16(1), uint16(3))
		f.Add(encode(f, typ, []int{4}, []float64{1, 0, 3, 2}, true), uint16(0), uint16(4))
	}
	f.Add(encode(f, Ubyte, []int{2, 5}, sample(Ubyte, 10), true)[:20], uint16(0), uint16(1))
	f.Add(header(0x08, 0xFFFFFFFF, 28, 28), uint16(0), uint16(0))
	f.Add(header(0x08, 0x7FFFFFFF, 28, 28), uint16(5), uint16(9))
	f.Add(gzipBytes(f, header(0x0D, 1000, 28, 28)), uint16(0), uint16(1000))
	f.Add([]byte{0x1f, 0x8b}, uint16(0), uint16(0))
	f.Add([]byte("PK\x03\x04"), uint16(0), uint16(0))

	sentinels := []error{ErrMagic, ErrType, ErrShape, ErrTruncated, ErrTrailing, ErrValue, ErrLabel, ErrGzip, ErrRange}
	f.Fuzz(func(t *testing.T, data []byte, a, b uint16) {
		rejected := func(err error) {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error %q wraps no sentinel", err)
		}

		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := NewReader(bytes.NewReader(data), "fuzz")
		var all []float64
		if err == nil {
			all, err = r.ReadAll()
		}
		runtime.ReadMemStats(&after)

		raw := data // the IDX bytes, decompressed
		if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
			raw = nil
			if zr, zerr := gzip.NewReader(bytes.NewReader(data)); zerr == nil {
				raw, _ = io.ReadAll(io.LimitReader(zr, 64<<20))
			}
		}
		// 2 buffers of 64 KiB, a gzip decompressor, the header, and the
		// float64 result doubled as it grows: 8 bytes per element, at most
		// twice, plus one block of 2^20 elements.
		bound := uint64(1<<20) + 8<<20 + 16*uint64(len(raw))
		if got := after.TotalAlloc - before.TotalAlloc; got > bound {
			t.Fatalf("decoding %d bytes (%d decompressed) allocated %d bytes, bound %d", len(data), len(raw), got, bound)
		}
		if err != nil {
			rejected(err)
			return
		}

		var enc bytes.Buffer
		if err := Encode(&enc, r.Type, r.Dims, all); err != nil {
			t.Fatalf("accepted %s, but Encode of its values fails: %v", r.Shape(), err)
		}
		if !bytes.Equal(enc.Bytes(), raw) {
			t.Fatalf("accepted %s: re-encoding gives %d bytes that differ from the file's %d", r.Shape(), enc.Len(), len(raw))
		}

		lo, hi := int(a)%(r.N()+1), int(b)%(r.N()+1)
		if lo > hi {
			lo, hi = hi, lo
		}
		part := make([]float64, (hi-lo)*r.RowLen())
		if err := r.ReadFloats(part, lo, hi); err != nil {
			t.Fatalf("ReadAll succeeded, rows [%d, %d) fail: %v", lo, hi, err)
		}
		if !equalBits(part, all[lo*r.RowLen():hi*r.RowLen()]) {
			t.Fatalf("rows [%d, %d) differ from ReadAll", lo, hi)
		}
		if len(r.Dims) == 1 {
			labels := make([]int, hi-lo)
			if err := r.ReadLabels(labels, lo, hi); err != nil {
				rejected(err)
				if !errors.Is(err, ErrLabel) {
					t.Fatalf("labels [%d, %d): %v, want nil or ErrLabel", lo, hi, err)
				}
			} else if !slices.EqualFunc(labels, all[lo:hi], func(l int, v float64) bool { return float64(l) == v }) {
				t.Fatalf("labels %v differ from values %v", labels, all[lo:hi])
			}
		}
	})
}

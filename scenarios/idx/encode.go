package idx

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Encode writes values as a plain IDX file of element type t and the given
// dimensions (outermost first) to w; wrap w in a gzip.Writer for a .gz
// file. Values are written as stored, row-major: for Ubyte images write
// pixels 0..255 (ReadImages divides them by 255 again).
//
// Encode is exact or fails: every value must be representable in t
// without rounding (integers in range for the integer types, float32
// values for Float32) and finite (ErrValue). The dimensions must be ones
// the decoder accepts (ErrShape): 1..MaxDims of them, each below 2^31, a
// non-empty row of at most MaxRowLen elements, and their product must
// equal len(values). Nothing is written when a check fails.
func Encode(w io.Writer, t Type, dims []int, values []float64) error {
	if !t.Valid() {
		return fmt.Errorf("idx: Encode: element type %s: want one of %s: %w", t, validTypes(), ErrType)
	}
	if len(dims) < 1 || len(dims) > MaxDims {
		return fmt.Errorf("idx: Encode: %d dimensions: want 1 to %d: %w", len(dims), MaxDims, ErrShape)
	}
	total, row := int64(1), int64(1)
	for i, d := range dims {
		if d < 0 || d > math.MaxInt32 || (i > 0 && d == 0) {
			return fmt.Errorf("idx: Encode: dimension %d is %d: want 0..2^31−1 for N and 1..2^31−1 for the others: %w", i, d, ErrShape)
		}
		if i > 0 {
			if row *= int64(d); row > MaxRowLen {
				return fmt.Errorf("idx: Encode: rows of %d elements: want at most %d: %w", row, MaxRowLen, ErrShape)
			}
		}
	}
	total = int64(dims[0]) * row
	if total != int64(len(values)) {
		return fmt.Errorf("idx: Encode: dimensions %v hold %d values, got %d: %w", dims, total, len(values), ErrShape)
	}
	for i, v := range values {
		if msg := representable(v, t); msg != "" {
			return fmt.Errorf("idx: Encode: value %d is %v: %s: %w", i, v, msg, ErrValue)
		}
	}

	bw := bufio.NewWriterSize(w, bufSize)
	hdr := make([]byte, 4, 4+4*len(dims))
	hdr[2], hdr[3] = byte(t), byte(len(dims))
	for _, d := range dims {
		hdr = binary.BigEndian.AppendUint32(hdr, uint32(d))
	}
	if _, err := bw.Write(hdr); err != nil {
		return fmt.Errorf("idx: Encode: %w", err)
	}
	var b [8]byte
	for _, v := range values {
		var p []byte
		switch t {
		case Ubyte:
			p = append(b[:0], byte(v))
		case Sbyte:
			p = append(b[:0], byte(int8(v)))
		case Int16:
			p = binary.BigEndian.AppendUint16(b[:0], uint16(int16(v)))
		case Int32:
			p = binary.BigEndian.AppendUint32(b[:0], uint32(int32(v)))
		case Float32:
			p = binary.BigEndian.AppendUint32(b[:0], math.Float32bits(float32(v)))
		case Float64:
			p = binary.BigEndian.AppendUint64(b[:0], math.Float64bits(v))
		}
		if _, err := bw.Write(p); err != nil {
			return fmt.Errorf("idx: Encode: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("idx: Encode: %w", err)
	}
	return nil
}

// representable says why v cannot be stored exactly as t ("" if it can).
func representable(v float64, t Type) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "want a finite number"
	}
	lo, hi := 0.0, 0.0
	switch t {
	case Ubyte:
		lo, hi = 0, math.MaxUint8
	case Sbyte:
		lo, hi = math.MinInt8, math.MaxInt8
	case Int16:
		lo, hi = math.MinInt16, math.MaxInt16
	case Int32:
		lo, hi = math.MinInt32, math.MaxInt32
	case Float32:
		if float64(float32(v)) != v {
			return "not exactly a float32 (round it first, or use Float64)"
		}
		return ""
	case Float64:
		return ""
	}
	if v != math.Trunc(v) || v < lo || v > hi {
		return fmt.Sprintf("want an integer in %v..%v for %s", lo, hi, t)
	}
	return ""
}

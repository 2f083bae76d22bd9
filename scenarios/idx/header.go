package idx

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
)

// Limits that bound what a header may claim. They are checked before
// anything is allocated, so a corrupt or hostile header cannot make the
// reader allocate more than the data actually present.
const (
	// MaxDims is the largest number of dimensions accepted.
	MaxDims = 16
	// MaxRowLen bounds the elements per row (the product of all dimensions
	// but the first): 2^24, a 4096×4096 image.
	MaxRowLen = 1 << 24
	// MaxClasses bounds class labels: a label must be below MaxClasses.
	MaxClasses = 1 << 16
	// maxGzipRatio bounds decompressed/compressed size. Deflate cannot
	// exceed about 1032:1, so a gzip file claiming more data than this many
	// times its own size is certainly truncated (or its header is wrong).
	maxGzipRatio = 2048
)

// Type is an IDX element type, the third byte of the magic number.
type Type byte

// The IDX element types. Multi-byte types are big-endian.
const (
	Ubyte   Type = 0x08 // unsigned byte
	Sbyte   Type = 0x09 // signed byte
	Int16   Type = 0x0B // 2-byte signed integer
	Int32   Type = 0x0C // 4-byte signed integer
	Float32 Type = 0x0D // 4-byte IEEE 754 float
	Float64 Type = 0x0E // 8-byte IEEE 754 float
)

// Types lists the valid element types in code order.
var types = [...]Type{Ubyte, Sbyte, Int16, Int32, Float32, Float64}

// Valid reports whether t is one of the six IDX element types.
func (t Type) Valid() bool { return t.Size() > 0 }

// Size returns the size of one element in bytes, or 0 for an invalid type.
func (t Type) Size() int {
	switch t {
	case Ubyte, Sbyte:
		return 1
	case Int16:
		return 2
	case Int32, Float32:
		return 4
	case Float64:
		return 8
	}
	return 0
}

// String returns the type's name ("ubyte", "float32"…), or its code in hex
// for an invalid type.
func (t Type) String() string {
	switch t {
	case Ubyte:
		return "ubyte"
	case Sbyte:
		return "sbyte"
	case Int16:
		return "int16"
	case Int32:
		return "int32"
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	}
	return fmt.Sprintf("0x%02X", byte(t))
}

// validTypes is the list printed in messages.
func validTypes() string {
	var b strings.Builder
	for i, t := range types {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "0x%02X %s", byte(t), t)
	}
	return b.String()
}

// Header is the decoded header of an IDX file.
type Header struct {
	Type Type  // element type
	Dims []int // dimensions, outermost first: Dims[0] = N rows (samples)
	Gzip bool  // the file is gzip-compressed
}

// N returns the number of rows (samples), Dims[0].
func (h Header) N() int { return h.Dims[0] }

// RowLen returns the number of elements per row: the product of Dims[1:]
// (rows·cols for an idx3 image file, n for idx2, 1 for idx1).
func (h Header) RowLen() int {
	n := 1
	for _, d := range h.Dims[1:] {
		n *= d
	}
	return n
}

// RowBytes returns the size of one row in bytes.
func (h Header) RowBytes() int64 { return int64(h.RowLen()) * int64(h.Type.Size()) }

// DataOffset returns the byte offset of the first element: 4 + 4·len(Dims).
func (h Header) DataOffset() int64 { return 4 + 4*int64(len(h.Dims)) }

// DataBytes returns the size of the data the header describes, N·RowBytes.
func (h Header) DataBytes() int64 { return int64(h.N()) * h.RowBytes() }

// Size returns the size of the whole IDX file (decompressed): header plus data.
func (h Header) Size() int64 { return h.DataOffset() + h.DataBytes() }

// Shape describes the header for messages: "60000 × 28 × 28 ubyte (idx3)".
func (h Header) Shape() string {
	var b strings.Builder
	for i, d := range h.Dims {
		if i > 0 {
			b.WriteString(" × ")
		}
		fmt.Fprint(&b, d)
	}
	fmt.Fprintf(&b, " %s (idx%d)", h.Type, len(h.Dims))
	return b.String()
}

// readHeader decodes the header from src, which is positioned at byte 0 of
// the IDX data. It bounds every size before anything depends on it.
func (r *Reader) readHeader(src io.Reader) (Header, error) {
	fail := r.fail
	var magic [4]byte
	if n, err := io.ReadFull(src, magic[:]); err != nil {
		return Header{}, r.shortRead(int64(n), err, "the file ends inside the 4-byte magic number 00 00 TYPE NDIM")
	}
	if magic[0] != 0 || magic[1] != 0 {
		return Header{}, fail(0, ErrMagic, nil,
			"magic number % x: want 00 00 TYPE NDIM (an IDX file such as train-images-idx3-ubyte, plain or gzip-compressed)", magic[:])
	}
	h := Header{Type: Type(magic[2])}
	if !h.Type.Valid() {
		return Header{}, fail(2, ErrType, nil, "element type 0x%02X: want one of %s", magic[2], validTypes())
	}
	ndim := int(magic[3])
	if ndim < 1 || ndim > MaxDims {
		return Header{}, fail(3, ErrShape, nil, "%d dimensions: want 1 to %d (idx1 labels, idx2 or idx3 images)", ndim, MaxDims)
	}
	var raw [4 * MaxDims]byte
	if n, err := io.ReadFull(src, raw[:4*ndim]); err != nil {
		return Header{}, r.shortRead(4+int64(n), err,
			fmt.Sprintf("the file ends inside the header (%d dimensions need %d bytes)", ndim, 4+4*ndim))
	}
	h.Dims = make([]int, ndim)
	row := int64(1)
	for i := range ndim {
		d := binary.BigEndian.Uint32(raw[4*i:])
		off := 4 + 4*int64(i)
		if d > math.MaxInt32 {
			return Header{}, fail(off, ErrShape, nil, "dimension %d is %d: want at most %d", i, d, math.MaxInt32)
		}
		h.Dims[i] = int(d)
		if i == 0 {
			continue
		}
		if d == 0 {
			return Header{}, fail(off, ErrShape, nil, "dimension %d is 0: every row needs at least one element", i)
		}
		row *= int64(d) // row ≤ MaxRowLen and d < 2^31 before: no overflow
		if row > MaxRowLen {
			return Header{}, fail(off, ErrShape, nil,
				"rows of %d elements (dimensions %v): want at most %d elements per row", row, h.Dims[1:i+1], MaxRowLen)
		}
	}
	return h, nil
}

package idx

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Every error this package returns for a bad file wraps
// one of them (test with errors.Is) inside an *Error that names the file and
// the byte offset and says what would be valid.
var (
	// ErrMagic: the file does not start with an IDX magic number
	// 00 00 TYPE NDIM (after gzip decompression, if compressed).
	ErrMagic = errors.New("not an IDX file")
	// ErrType: the magic number's type byte is not one of the six IDX
	// element types (0x08 ubyte, 0x09 sbyte, 0x0B int16, 0x0C int32,
	// 0x0D float32, 0x0E float64).
	ErrType = errors.New("unsupported IDX element type")
	// ErrShape: dimensions that are absurd (no dimensions, a zero-sized
	// row, a row longer than MaxRowLen, more than MaxDims dimensions) or of
	// the wrong rank for their use (images must be idx2 or idx3, labels
	// idx1).
	ErrShape = errors.New("bad IDX dimensions")
	// ErrTruncated: the data ran out before the end the header promises.
	ErrTruncated = errors.New("truncated IDX file")
	// ErrTrailing: bytes follow the data the header describes.
	ErrTrailing = errors.New("trailing bytes after IDX data")
	// ErrValue: a floating-point element that is NaN or infinite (IDX
	// files hold data, not missing-value markers), or, for Encode, a value
	// that the element type cannot represent exactly.
	ErrValue = errors.New("bad IDX value")
	// ErrLabel: a label that is not a class label 0..MaxClasses−1.
	ErrLabel = errors.New("bad class label")
	// ErrMismatch: an image file and a label file that do not belong
	// together (different sample counts).
	ErrMismatch = errors.New("images and labels disagree")
	// ErrGzip: a gzip-compressed file whose compressed stream is corrupt
	// (bad header, bad checksum, bad deflate data).
	ErrGzip = errors.New("corrupt gzip data")
	// ErrRange: a row range [a, b) outside [0, N].
	ErrRange = errors.New("rows out of range")
	// ErrNotFound: a named data set (Fashion-MNIST) is not installed in
	// any of the places searched.
	ErrNotFound = errors.New("data set not found")
)

// Error is a problem with an IDX file. It prints as
//
//	idx: FILE: byte OFFSET: MESSAGE
//
// leaving out the parts that are unknown. For a gzip-compressed file the
// offset counts bytes of the decompressed IDX data (the printed form says
// so), which is where the IDX header and rows are.
//
// errors.Is finds both the sentinel (Err) and the underlying cause (Cause:
// an *os.PathError, a gzip or flate error…).
type Error struct {
	File   string // file name as given ("" if none)
	Offset int64  // byte offset in the IDX data; −1 if the problem has no position
	Gzip   bool   // the file is gzip-compressed (Offset counts decompressed bytes)
	Msg    string // what is wrong and what would be valid
	Err    error  // one of the sentinels (nil for a pure I/O error)
	Cause  error  // the underlying error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("idx: ")
	if e.File != "" {
		b.WriteString(e.File + ": ")
	}
	if e.Offset >= 0 {
		b.WriteString("byte " + strconv.FormatInt(e.Offset, 10))
		if e.Gzip {
			b.WriteString(" (decompressed)")
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Cause != nil {
		b.WriteString(": " + e.Cause.Error())
	}
	return b.String()
}

// Unwrap returns the sentinel and the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}

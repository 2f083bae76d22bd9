package idx

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
)

// bufSize is the size of a Reader's buffers (its read buffer and, for gzip,
// the buffer under the decompressor). A multiple of every element size.
const bufSize = 64 << 10

// Reader reads rows of one IDX file. Open (or NewReader) reads only the
// header; the Read methods read the rows asked for, through one fixed
// buffer, into caller memory. A Reader is not safe for concurrent use.
type Reader struct {
	Header // the file's header

	name   string        // file name for messages
	src    io.ReadSeeker // the file (compressed, if Gzip)
	closer io.Closer     // what Close closes (nil for NewReader)
	size   int64         // size of src in bytes

	zbuf *bufio.Reader // gzip: buffer under the decompressor
	zr   *gzip.Reader  // gzip: the decompressor
	pos  int64         // gzip: decompressed bytes consumed so far

	buf []byte // read buffer, bufSize bytes
}

// Open opens the IDX file at path and reads its header; see NewReader.
// The caller must Close the Reader.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Offset: -1, Msg: "cannot open the file", Cause: err}
	}
	r, err := NewReader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// ReadHeader returns the header of the IDX file at path, reading only the
// header (and, for a plain file, its size). It is the cheap way to learn N
// and the shape.
func ReadHeader(path string) (Header, error) {
	r, err := Open(path)
	if err != nil {
		return Header{}, err
	}
	defer r.Close()
	return r.Header, nil
}

// NewReader reads the header of the IDX data in src; name is used in
// messages. src is gzip-compressed if it starts with the bytes 1f 8b.
//
// For a plain file the header is checked against the size of src: a
// truncated file (ErrTruncated) or one with bytes after its data
// (ErrTrailing) is rejected here. For a gzip file the size of the data is
// unknown until it is read: truncation and trailing bytes are reported by
// the read that reaches them (or by Verify), and NewReader only rejects a
// header that claims more data than the compressed size could hold.
func NewReader(src io.ReadSeeker, name string) (*Reader, error) {
	r := &Reader{name: name, src: src, buf: make([]byte, bufSize)}
	size, err := src.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, r.ioFail(-1, err)
	}
	r.size = size
	var m [2]byte
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return nil, r.ioFail(-1, err)
	}
	n, err := io.ReadFull(src, m[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, r.ioFail(0, err)
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return nil, r.ioFail(-1, err)
	}
	var hsrc io.Reader = src
	if n == 2 && m[0] == 0x1f && m[1] == 0x8b {
		r.Gzip = true
		r.zbuf = bufio.NewReaderSize(src, bufSize)
		if r.zr, err = gzip.NewReader(r.zbuf); err != nil {
			return nil, r.shortRead(0, err, "the file ends inside its gzip header")
		}
		hsrc = r.zr
	}
	gz := r.Gzip
	h, err := r.readHeader(hsrc)
	if err != nil {
		return nil, err
	}
	h.Gzip = gz
	r.Header = h
	r.pos = h.DataOffset()
	if !r.Gzip {
		return r, r.checkSize()
	}
	if h.DataBytes()/maxGzipRatio > size {
		return nil, r.fail(4, ErrTruncated, nil,
			"the header (%s) claims %d bytes of data, more than a %d-byte gzip file can hold: the file is truncated or its header is wrong",
			h.Shape(), h.DataBytes(), size)
	}
	return r, nil
}

// checkSize compares a plain file's size with what its header describes.
func (r *Reader) checkSize() error {
	want := r.Size()
	switch {
	case r.size < want:
		complete := (r.size - r.DataOffset()) / r.RowBytes()
		return r.fail(r.size, ErrTruncated, nil,
			"the file ends here, but its header (%s) needs %d bytes: only %d of %d rows are complete",
			r.Shape(), want, complete, r.N())
	case r.size > want:
		return r.fail(want, ErrTrailing, nil,
			"%d more bytes follow the %d bytes that the header (%s) describes: a wrong header, or two files joined?",
			r.size-want, want, r.Shape())
	}
	return nil
}

// Close closes the file opened by Open. It does nothing for a Reader made
// Name returns the file name the Reader was opened with (as used in its
// messages).
func (r *Reader) Name() string { return r.name }

// by NewReader (the caller owns src).
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

// ReadFloats reads rows [a, b) into dst as stored (no scaling), row-major:
// dst[(i−a)·RowLen + j] is element j of row i. len(dst) must be
// (b−a)·RowLen. Floating-point elements must be finite (ErrValue).
func (r *Reader) ReadFloats(dst []float64, a, b int) error {
	return r.readFloats("ReadFloats", dst, a, b, false)
}

// ReadImages reads rows [a, b) of an image file (idx2 or idx3) into dst,
// each image flattened row-major: dst[(i−a)·RowLen + j]. Unsigned-byte
// pixels are divided by 255 (to [0, 1]); other types are used as stored.
// len(dst) must be (b−a)·RowLen.
func (r *Reader) ReadImages(dst []float64, a, b int) error {
	if len(r.Dims) != 2 && len(r.Dims) != 3 {
		return r.fail(3, ErrShape, nil, "an image file must be idx2 (N × n) or idx3 (N × rows × cols), this one is %s%s",
			r.Shape(), swapHint(len(r.Dims) == 1))
	}
	return r.readFloats("ReadImages", dst, a, b, r.Type == Ubyte)
}

func swapHint(swapped bool) string {
	if swapped {
		return " (images and labels swapped?)"
	}
	return ""
}

func (r *Reader) readFloats(method string, dst []float64, a, b int, scale bool) error {
	if err := r.checkRange(a, b); err != nil {
		return err
	}
	if want := (b - a) * r.RowLen(); len(dst) != want {
		panic(fmt.Sprintf("idx: %s: len(dst) = %d, want (b−a)·RowLen = (%d−%d)·%d = %d", method, len(dst), b, a, r.RowLen(), want))
	}
	t, esize := r.Type, r.Type.Size()
	return r.stream(a, b, func(raw []byte, first int) error {
		if bad := decode(dst[first:first+len(raw)/esize], raw, t, scale); bad >= 0 {
			return r.badValue(a, first+bad, elem(raw, bad, t))
		}
		return nil
	})
}

// badValue reports the non-finite element k (counted from row a), v.
func (r *Reader) badValue(a, k int, v float64) error {
	i, j := a+k/r.RowLen(), k%r.RowLen()
	off := r.DataOffset() + int64(i)*r.RowBytes() + int64(j)*int64(r.Type.Size())
	return r.fail(off, ErrValue, nil, "element %d of row %d is %v: want finite numbers", j, i, v)
}

// ReadLabels reads labels [a, b) of a label file (idx1) into dst, which
// must have length b−a. Each label must be an integer class label
// 0..MaxClasses−1 (ErrLabel), whatever the element type.
func (r *Reader) ReadLabels(dst []int, a, b int) error {
	if err := r.checkLabelFile(); err != nil {
		return err
	}
	if err := r.checkRange(a, b); err != nil {
		return err
	}
	if len(dst) != b-a {
		panic(fmt.Sprintf("idx: ReadLabels: len(dst) = %d, want b−a = %d−%d = %d", len(dst), b, a, b-a))
	}
	return r.scanLabels(a, b, func(k, label int) { dst[k] = label })
}

// Classes returns K = 1 + the largest label of a label file (0 if it is
// empty), reading the whole file through the fixed buffer. Ranks that each
// read only their rows use it to agree on K.
func (r *Reader) Classes() (int, error) {
	if err := r.checkLabelFile(); err != nil {
		return 0, err
	}
	k := 0
	err := r.scanLabels(0, r.N(), func(_, label int) { k = max(k, label+1) })
	return k, err
}

func (r *Reader) checkLabelFile() error {
	if len(r.Dims) != 1 {
		return r.fail(3, ErrShape, nil, "a label file must be idx1 (N labels), this one is %s%s", r.Shape(), swapHint(len(r.Dims) > 1))
	}
	return nil
}

// scanLabels streams labels [a, b), checks each and hands it to use with
// its index counted from a.
func (r *Reader) scanLabels(a, b int, use func(k, label int)) error {
	t, esize := r.Type, r.Type.Size()
	return r.stream(a, b, func(raw []byte, first int) error {
		for i := range len(raw) / esize {
			off := r.DataOffset() + int64(a+first+i)*int64(esize)
			v := elem(raw, i, t)
			if msg := checkLabel(v); msg != "" {
				return r.fail(off, ErrLabel, nil, "label %d: %s", a+first+i, msg)
			}
			use(first+i, int(v))
		}
		return nil
	})
}

// checkLabel checks a class label: an integer in 0..MaxClasses−1.
func checkLabel(v float64) string {
	switch {
	case v != math.Trunc(v) || math.IsInf(v, 0): // also NaN
		return num(v) + " is not an integer (want class labels 0..K−1)"
	case v < 0:
		return num(v) + " is negative (want class labels 0..K−1)"
	case v >= MaxClasses:
		return fmt.Sprintf("%s is too large (want class labels 0..K−1 with K ≤ %d)", num(v), MaxClasses)
	}
	return ""
}

// num formats v without an exponent for integers (65536, not 6.5536e+04).
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Verify reads the rest of the file to check what Open could not: for a
// gzip file, that the data is complete, that nothing follows it and that
// the gzip checksums hold; for float types, that every element is finite.
// It holds nothing but its buffer. For a plain integer-typed file it
// returns at once (Open checked the size).
func (r *Reader) Verify() error {
	float := r.Type == Float32 || r.Type == Float64
	if !r.Gzip && !float {
		return nil
	}
	t, esize := r.Type, r.Type.Size()
	return r.stream(0, r.N(), func(raw []byte, first int) error {
		if !float {
			return nil
		}
		for i := range len(raw) / esize {
			if v := elem(raw, i, t); math.IsNaN(v) || math.IsInf(v, 0) {
				return r.badValue(0, first+i, v)
			}
		}
		return nil
	})
}

// ReadAll reads every row as stored (as ReadFloats). It allocates as the
// data arrives, so a header that claims more rows than the file holds
// costs no more memory than the file's actual data.
func (r *Reader) ReadAll() ([]float64, error) {
	return readGrow(r.RowLen(), 0, r.N(), !r.Gzip, r.ReadFloats)
}

// readGrow reads rows [a, b) of rowLen elements with read, a block of rows
// at a time, doubling the result's capacity (up to the full size) as the
// data arrives: it allocates at most about twice the data actually read
// plus one block of 2^20 elements, however many rows the header claims.
// With exact (the data is known to be present: a plain file, whose size
// Open checked) it allocates the result once.
func readGrow[T any](rowLen, a, b int, exact bool, read func(dst []T, a, b int) error) ([]T, error) {
	step := max(1, (1<<20)/rowLen) // rows per block: about 2^20 elements
	total := (b - a) * rowLen
	out := []T{}
	if exact {
		out = make([]T, 0, total)
	}
	if a == b {
		return out, read(out, a, b) // still checks an empty file's end
	}
	for i := a; i < b; i += step {
		j := min(b, i+step)
		n, m := len(out), (j-i)*rowLen
		if n+m > cap(out) {
			grown := make([]T, n, min(total, max(2*cap(out), n+m)))
			copy(grown, out)
			out = grown
		}
		out = out[:n+m]
		if err := read(out[n:], i, j); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *Reader) checkRange(a, b int) error {
	if a < 0 || b < a || b > r.N() {
		return r.fail(-1, ErrRange, nil, "rows [%d, %d): want 0 ≤ a ≤ b ≤ N = %d", a, b, r.N())
	}
	return nil
}

// stream reads the raw bytes of rows [a, b) a buffer at a time and calls fn
// with each chunk and the index (counted in elements from row a) of its
// first element. A read that ends at row N of a gzip file also checks that
// the data ends there (ErrTrailing) and that the gzip checksum holds.
// An empty range reads nothing, except for the whole of an empty gzip file
// (the end check is then the only check).
func (r *Reader) stream(a, b int, fn func(raw []byte, first int) error) error {
	if err := r.checkRange(a, b); err != nil {
		return err
	}
	if a == b && !(r.Gzip && r.N() == 0) {
		return nil
	}
	start := r.DataOffset() + int64(a)*r.RowBytes()
	n := int64(b-a) * r.RowBytes()
	if err := r.seek(start); err != nil {
		return err
	}
	esize := int64(r.Type.Size())
	for done := int64(0); done < n; {
		m := min(int64(len(r.buf)), n-done)
		got, err := r.read(r.buf[:m])
		if err != nil {
			return r.dataErr(start+done+int64(got), err)
		}
		if err := fn(r.buf[:m], int(done/esize)); err != nil {
			return err
		}
		done += m
	}
	if b == r.N() && r.Gzip {
		return r.checkEnd()
	}
	return nil
}

// read fills p from the IDX data at the current position.
func (r *Reader) read(p []byte) (int, error) {
	if !r.Gzip {
		return io.ReadFull(r.src, p)
	}
	n, err := io.ReadFull(r.zr, p)
	r.pos += int64(n)
	return n, err
}

// seek positions the reader at byte off of the IDX data. A plain file
// seeks; a gzip stream decompresses and discards up to off, restarting
// from the beginning if off is behind the current position.
func (r *Reader) seek(off int64) error {
	if !r.Gzip {
		if _, err := r.src.Seek(off, io.SeekStart); err != nil {
			return r.ioFail(off, err)
		}
		return nil
	}
	if off < r.pos {
		if _, err := r.src.Seek(0, io.SeekStart); err != nil {
			return r.ioFail(-1, err)
		}
		r.zbuf.Reset(r.src)
		r.pos = 0
		if err := r.zr.Reset(r.zbuf); err != nil {
			return r.ioFail(0, err)
		}
	}
	for r.pos < off {
		m := min(int64(len(r.buf)), off-r.pos)
		if _, err := r.read(r.buf[:m]); err != nil {
			return r.dataErr(r.pos, err)
		}
	}
	return nil
}

// checkEnd checks, at the end of a gzip file's data, that nothing follows
// and (by reading to EOF) that the gzip checksum holds.
func (r *Reader) checkEnd() error {
	end := r.Size()
	n, err := r.read(r.buf[:1])
	switch {
	case n > 0:
		return r.fail(end, ErrTrailing, nil,
			"more bytes follow the %d bytes that the header (%s) describes: a wrong header, or two files joined?", end, r.Shape())
	case errors.Is(err, gzip.ErrHeader):
		return r.fail(end, ErrTrailing, err, "bytes that are not gzip data follow the compressed stream")
	case err == io.EOF:
		return nil
	case err == io.ErrUnexpectedEOF:
		return r.fail(end, ErrTruncated, nil, "the gzip stream ends early: the data is complete, but the gzip trailer (checksum and size) is cut off or a few stray bytes follow it")
	}
	return r.ioFail(end, err)
}

// dataErr reports a failed read of the data at offset off.
func (r *Reader) dataErr(off int64, err error) error {
	if err != io.EOF && err != io.ErrUnexpectedEOF {
		return r.ioFail(off, err)
	}
	complete := (off - r.DataOffset()) / r.RowBytes()
	how := "the file ends here"
	if r.Gzip {
		how = "the decompressed data ends here"
	}
	return r.fail(off, ErrTruncated, nil, "%s, but its header (%s) needs %d bytes: only %d of %d rows are complete",
		how, r.Shape(), r.Size(), complete, r.N())
}

// shortRead reports a failed read inside the header.
func (r *Reader) shortRead(off int64, err error, msg string) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return r.fail(off, ErrTruncated, nil, "%s", msg)
	}
	return r.ioFail(off, err)
}

// ioFail reports a read error that is not a short read: a corrupt gzip
// stream (ErrGzip) or an I/O error (the cause only).
func (r *Reader) ioFail(off int64, err error) error {
	var corrupt flate.CorruptInputError
	if errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, &corrupt) {
		return r.fail(off, ErrGzip, err, "the gzip stream (%d bytes compressed) is corrupt", r.size)
	}
	return r.fail(off, nil, err, "read error")
}

// fail builds an *Error for this file.
func (r *Reader) fail(off int64, sentinel, cause error, format string, args ...any) error {
	return &Error{File: r.name, Offset: off, Gzip: r.Gzip, Msg: fmt.Sprintf(format, args...), Err: sentinel, Cause: cause}
}

// decode converts the big-endian elements of type t in raw into dst
// (len(dst) = len(raw)/t.Size()), dividing by 255 if scale. It returns the
// index of the first non-finite element, or −1.
func decode(dst []float64, raw []byte, t Type, scale bool) int {
	switch t {
	case Ubyte:
		raw = raw[:len(dst)]
		if scale {
			for i, v := range raw {
				dst[i] = float64(v) / 255
			}
		} else {
			for i, v := range raw {
				dst[i] = float64(v)
			}
		}
	case Sbyte:
		raw = raw[:len(dst)]
		for i, v := range raw {
			dst[i] = float64(int8(v))
		}
	case Int16:
		for i := range dst {
			dst[i] = float64(int16(binary.BigEndian.Uint16(raw[2*i:])))
		}
	case Int32:
		for i := range dst {
			dst[i] = float64(int32(binary.BigEndian.Uint32(raw[4*i:])))
		}
	case Float32:
		for i := range dst {
			v := float64(math.Float32frombits(binary.BigEndian.Uint32(raw[4*i:])))
			if v-v != 0 { // NaN or ±Inf
				return i
			}
			dst[i] = v
		}
	case Float64:
		for i := range dst {
			v := math.Float64frombits(binary.BigEndian.Uint64(raw[8*i:]))
			if v-v != 0 {
				return i
			}
			dst[i] = v
		}
	default:
		panic("idx: decode: invalid type " + t.String())
	}
	return -1
}

// elem returns element i of raw as stored.
func elem(raw []byte, i int, t Type) float64 {
	switch t {
	case Ubyte:
		return float64(raw[i])
	case Sbyte:
		return float64(int8(raw[i]))
	case Int16:
		return float64(int16(binary.BigEndian.Uint16(raw[2*i:])))
	case Int32:
		return float64(int32(binary.BigEndian.Uint32(raw[4*i:])))
	case Float32:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(raw[4*i:])))
	case Float64:
		return math.Float64frombits(binary.BigEndian.Uint64(raw[8*i:]))
	}
	panic("idx: elem: invalid type " + t.String())
}

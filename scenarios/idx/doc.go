// Package idx reads and writes IDX files, the format of MNIST and
// Fashion-MNIST, and finds an installed Fashion-MNIST.
//
// # Format
//
// An IDX file is a header followed by the elements, row-major, big-endian:
//
//	byte 0..3    magic 00 00 TYPE NDIM
//	byte 4..     NDIM dimensions, big-endian uint32, outermost first (N first)
//	byte 4+4·NDIM  N·RowLen elements of TYPE, RowLen = product of the other dimensions
//
// TYPE is 0x08 ubyte, 0x09 sbyte, 0x0B int16, 0x0C int32, 0x0D float32 or
// 0x0E float64. A file may be gzip-compressed; that is detected from its
// first two bytes (1f 8b), never from its name. Concatenated gzip members
// read as one stream, as gunzip reads them.
//
// Images are idx3 (N × rows × cols) or idx2 (N × n); image i is row i,
// flattened row-major into n = rows·cols inputs. ReadImages divides
// unsigned-byte pixels by 255 (so 0..255 becomes 0..1, exactly k/255);
// other types are used as stored. Labels are idx1 (N values) and are class
// labels: integers 0..K−1 of any element type (float types must hold
// integers), with K ≤ MaxClasses.
//
// # API
//
// Open (or NewReader, for any io.ReadSeeker) reads the header only and
// returns a *Reader; ReadHeader is the one-call way to learn N and the
// shape. The Read methods read rows [a, b) into caller memory:
//
//	ReadImages(dst []float64, a, b)  images, ubyte scaled by 1/255
//	ReadFloats(dst []float64, a, b)  any file, values as stored
//	ReadLabels(dst []int, a, b)      labels, checked to be class labels
//
// A Pair is an image file and its label file, checked to have the same N;
// Pair.Read reads both for rows [a, b), Pair.ReadRange allocates the result,
// Classes scans the label file for K. Verify reads a whole file to check
// what Open could not (gzip integrity, the end of a gzip file, non-finite
// floats). Encode writes an IDX file (exactly, or fails), for tests and for
// users who bring their own data.
//
// FashionMNIST finds the standard files of the train or test split in
// $GRD_DATA_DIR/fashion-mnist, then /usr/share/datasets/fashion-mnist,
// where Debian's dataset-fashion-mnist package installs them
// (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
// t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz; gunzipped copies
// without .gz are found too). The environment is passed in (os.Getenv);
// nothing is ever downloaded.
//
// # Memory and cost
//
// A Reader holds its header and one 64 KiB buffer (plus, for gzip, a
// 64 KiB input buffer and the decompressor's ~40 KiB window): never the
// file. Reading rows [a, b) costs:
//
//   - plain file: one seek and (b−a)·RowBytes bytes read. An MPI rank or a
//     limit reads only its rows.
//   - gzip file: a gzip stream cannot seek, so the reader decompresses and
//     discards everything before row a, then reads its rows: the cost is
//     that of decompressing the file up to row b. Reads in increasing
//     order continue the stream; a read behind the current position
//     restarts it from the beginning. K ranks reading a gzip file each
//     decompress, on average, half of it. Fashion-MNIST's training images
//     are 26 MB compressed, 47 MB decompressed: about a second of
//     decompression with compress/gzip on this class of machine. For many
//     ranks or repeated reads, gunzip the files once; nothing else changes.
//
// After the Reader is made, the Read methods allocate nothing. ReadAll and
// Pair.ReadRange allocate their result: at once for a plain file, whose
// size Open has checked against the header; growing as the data arrives
// for a gzip file, so a header that claims more rows than the file holds
// costs at most about twice the data present.
//
// # Errors
//
// Every bad file is reported as an *Error naming the file and the byte
// offset (for gzip, the offset in the decompressed data) and wrapping a
// sentinel for errors.Is: ErrMagic, ErrType, ErrShape (absurd or
// overflowing dimensions: a dimension ≥ 2^31, a zero-sized row, a row
// longer than MaxRowLen, more than MaxDims dimensions, or the wrong rank
// for images or labels), ErrTruncated (at the offset where the data ran
// out), ErrTrailing, ErrValue (NaN or ±Inf), ErrLabel, ErrMismatch (a label
// file for other images), ErrGzip, ErrRange, ErrNotFound. Sizes are
// bounded before anything is allocated: a header claiming 2^32 images is
// rejected, and one claiming more data than its file can hold (the file's
// size for a plain file, 2048 times it for gzip) is rejected by Open.
//
// Trailing bytes after the data are an error: the header then does not
// describe the file (wrong dimensions, or two files joined), and silently
// ignoring data is worse than refusing it. For a plain file Open checks
// this (and truncation) from the file size; for a gzip file it is checked
// by the read that reaches row N, or by Verify, so a rank that reads only
// early rows of a gzip file does not see a defect at its end.
//
// Panics: a destination slice of the wrong length (a programmer error).
package idx

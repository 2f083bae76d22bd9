package scenarios

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Size bounds on the files a scenario reads. A file is read through a
// reader that fails, rather than stops quietly, past its bound, so that a
// file that keeps growing (or a special file that never ends) cannot
// exhaust memory; files that must be regular (not a FIFO, a device or
// /dev/zero) are refused before a byte is read.
const (
	// MaxScenarioBytes bounds a scenario file: inline quadratic samples
	// and init.w are the only large parts, and 16 MiB of YAML holds about
	// a million numbers (use init.file or a generated quadratic for more).
	MaxScenarioBytes = 16 << 20
	// MaxInputBytes bounds a data CSV, a weight file or a pattern file:
	// 4 GiB of text is about 2·10⁸ cells, more than any model grd runs in
	// memory would use (the memory estimate refuses far less at run time).
	MaxInputBytes = 4 << 30
)

// checkRegular refuses a file that is not a regular file (a directory, a
// FIFO, a device such as /dev/zero, a socket): such a file can block or
// never end. fi is the file's information after opening.
func checkRegular(fi fs.FileInfo) string {
	switch m := fi.Mode(); {
	case m.IsRegular():
		return ""
	case m.IsDir():
		return "is a directory, want a regular file"
	case m&fs.ModeNamedPipe != 0:
		return "is a named pipe (FIFO), want a regular file"
	case m&fs.ModeDevice != 0 || m&fs.ModeCharDevice != 0:
		return "is a device, want a regular file"
	case m&fs.ModeSocket != 0:
		return "is a socket, want a regular file"
	default:
		return fmt.Sprintf("is not a regular file (mode %v)", m)
	}
}

// tooLarge is what a bounded reader returns past its bound.
type tooLarge struct{ limit int64 }

func (e *tooLarge) Error() string {
	return fmt.Sprintf("larger than the limit of %s", formatBytes(float64(e.limit)))
}

// boundedReader reads at most limit bytes of r and fails with *tooLarge
// on the byte after them.
type boundedReader struct {
	r     io.Reader
	left  int64 // bytes still allowed
	limit int64
}

func newBoundedReader(r io.Reader, limit int64) *boundedReader {
	return &boundedReader{r: r, left: limit, limit: limit}
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte decides between the end of the file and too much.
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n > 0 {
			return 0, &tooLarge{b.limit}
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// formatBytes prints a byte count in binary units (B, KiB, MiB, GiB, TiB),
// three significant digits.
func formatBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", n)
	}
	return fmt.Sprintf("%.3g %s", n, units[i])
}

// FormatBytes prints a byte count in binary units, three significant
// digits ("1.5 GiB"): the form of the memory estimates' messages.
func FormatBytes(n float64) string { return formatBytes(n) }

// ReadWeightsFile reads the weight vector in the file at path with
// ReadWeights (d values, or any number if d < 0): a regular file (a FIFO or
// a device is refused before reading) of at most MaxInputBytes.
func ReadWeightsFile(path string, d int) ([]float64, error) {
	// Stat first: opening a FIFO blocks until a writer comes.
	if fi, err := os.Stat(path); err == nil {
		if msg := checkRegular(fi); msg != "" {
			return nil, &Error{File: path, Msg: msg, Err: ErrWeights}
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot open: %v", unwrapPath(err)), Err: ErrWeights, Cause: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot open: %v", unwrapPath(err)), Err: ErrWeights, Cause: err}
	}
	if msg := checkRegular(fi); msg != "" {
		return nil, &Error{File: path, Msg: msg, Err: ErrWeights}
	}
	return ReadWeights(newBoundedReader(f, MaxInputBytes), path, d)
}

package idx

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// encode returns values as an IDX file (gzip-compressed if gz).
func encode(t testing.TB, typ Type, dims []int, values []float64, gz bool) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, typ, dims, values); err != nil {
		t.Fatalf("Encode(%s, %v): %v", typ, dims, err)
	}
	if gz {
		return gzipBytes(t, b.Bytes())
	}
	return b.Bytes()
}

func gzipBytes(t testing.TB, raw []byte) []byte {
	t.Helper()
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return z.Bytes()
}

// writeFile writes data to a file in a fresh temporary directory.
func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkErr asserts err is an *Error wrapping sentinel at offset off (any
// offset if off < −1), naming file, and printing it.
func checkErr(t *testing.T, err error, sentinel error, file string, off int64) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", sentinel)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %q does not wrap %q", err, sentinel)
	}
	if off >= -1 && e.Offset != off {
		t.Errorf("error %q at offset %d, want %d", err, e.Offset, off)
	}
	if e.Offset >= 0 && !strings.Contains(err.Error(), "byte ") {
		t.Errorf("error %q does not print its offset", err)
	}
	if file != "" && !strings.Contains(err.Error(), file) {
		t.Errorf("error %q does not name the file %q", err, file)
	}
	t.Logf("%v", err)
}

// anyOffset makes checkErr accept any offset.
const anyOffset = -2

// errNotExist is fs.ErrNotExist, kept by Open as the cause.
var errNotExist = fs.ErrNotExist

package outfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	if err := WriteAtomic(dir, "a.txt", func(w io.Writer) error { _, err := io.WriteString(w, "old"); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteAtomic(dir, "a.txt", func(w io.Writer) error {
		io.WriteString(w, "half-written")
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "a.txt") {
		t.Errorf("err = %v, want one wrapping boom that names the file", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(b) != "old" {
		t.Errorf("after a failed write the file holds %q, want the old content", b)
	}
	if err := WriteAtomic(dir, "a.txt", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(b) != "new" {
		t.Errorf("file holds %q, want new", b)
	}
	fi, _ := os.Stat(filepath.Join(dir, "a.txt"))
	if fi.Mode().Perm()&0o044 == 0 {
		t.Errorf("mode %v: not readable by others (CreateTemp's 0600 kept?)", fi.Mode())
	}
	if names := listDir(t, dir); !slices.Equal(names, []string{"a.txt"}) {
		t.Errorf("directory holds %v, want only a.txt (no temporary files)", names)
	}
	if err := WriteAtomic(filepath.Join(dir, "missing"), "b.txt", func(io.Writer) error { return nil }); err == nil {
		t.Error("writing into a missing directory: no error")
	}
}

// listDir lists the names in dir, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

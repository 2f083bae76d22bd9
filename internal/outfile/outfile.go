// Package outfile writes grd's output files (the run outputs of package
// scenarios/report, the checkpoints of scenarios/experiment) so that a
// reader never sees a partial file.
package outfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// WriteAtomic writes the file dir/name through write: into a temporary
// file in dir that is synced, closed and then renamed over dir/name, so a
// reader sees either the old file or the complete new one, never a part.
// On any error the temporary file is removed and dir/name is untouched.
// The file gets mode 0644 (before the umask).
func WriteAtomic(dir, name string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("scenarios: writing %s: %w", filepath.Join(dir, name), UnwrapPath(err))
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("scenarios: writing %s: %w", filepath.Join(dir, name), err)
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, name))
}

// UnwrapPath drops the "open NAME:" prefix of a *fs.PathError, for
// messages that name the file themselves.
func UnwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// SyncDir syncs the directory dir, so that the renames and removals done
// in it (WriteAtomic, os.Remove) survive a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

// RemoveTemps removes the temporary files WriteAtomic creates for
// dir/name (".NAME.tmp-*"), which a killed process leaves behind.
func RemoveTemps(dir, name string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "."+name+".tmp-") && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

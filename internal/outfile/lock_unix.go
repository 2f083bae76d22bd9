//go:build unix

package outfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFile is the name of the lock file Lock keeps in a directory while a
// process writes into it.
const LockFile = ".grd-lock"

// ErrLocked is wrapped by the error of Lock when another process holds the
// directory's lock.
var ErrLocked = errors.New("in use by another grd process")

// Lock takes the exclusive lock of directory dir (which must exist) for
// this process: an advisory flock(2) on dir/LockFile, which the kernel
// releases when the process ends, however it ends, so a killed run leaves
// no stale lock. It does not wait: a directory locked by another process is
// an error wrapping ErrLocked that names that process. unlock releases the
// lock and removes the file.
func Lock(dir string) (unlock func() error, err error) {
	path := filepath.Join(dir, LockFile)
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("locking %s: %w", dir, UnwrapPath(err))
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			b := make([]byte, 32)
			n, _ := f.ReadAt(b, 0)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				holder := ""
				if pid := strings.TrimSpace(string(b[:n])); pid != "" {
					holder = " (pid " + pid + ")"
				}
				return nil, fmt.Errorf("output directory %s is %w%s: wait for it to finish, or write elsewhere", dir, ErrLocked, holder)
			}
			return nil, fmt.Errorf("locking %s: %w", dir, err)
		}
		// The holder before us may have removed the file after we opened
		// it: then our lock is on a file nobody else sees; start over.
		fi, err1 := f.Stat()
		pi, err2 := os.Stat(path)
		if err1 != nil || err2 != nil || !os.SameFile(fi, pi) {
			f.Close()
			continue
		}
		if err := f.Truncate(0); err == nil {
			f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		}
		return func() error {
			rerr := os.Remove(path)
			cerr := f.Close() // releases the lock
			return errors.Join(rerr, cerr)
		}, nil
	}
}

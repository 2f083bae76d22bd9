//go:build !unix

package outfile

import "errors"

// LockFile is the name of the lock file Lock keeps in a directory while a
// process writes into it (unused on this platform).
const LockFile = ".grd-lock"

// ErrLocked is wrapped by the error of Lock when another process holds the
// directory's lock.
var ErrLocked = errors.New("in use by another grd process")

// Lock does nothing on this platform (no flock(2)): concurrent runs into
// one directory are not detected.
func Lock(dir string) (unlock func() error, err error) {
	return func() error { return nil }, nil
}

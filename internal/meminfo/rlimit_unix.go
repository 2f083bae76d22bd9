//go:build unix

package meminfo

import "syscall"

// addressLimit is the process's RLIMIT_AS (ulimit -v) in bytes, if set.
func addressLimit() (float64, bool) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &r); err != nil || r.Cur == ^uint64(0) {
		return 0, false
	}
	return float64(r.Cur), true
}

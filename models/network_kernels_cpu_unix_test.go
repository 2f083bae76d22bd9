//go:build unix

package models

import "syscall"

// nnCPUSeconds is the user+system CPU time of the process so far, for the
// kernel benchmarks' cpu-ms/op metric, which unlike wall time is not
// inflated when other processes share the cores.
func nnCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + 1e-6*float64(ru.Utime.Usec+ru.Stime.Usec)
}

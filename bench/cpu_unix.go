//go:build unix

package bench

import "syscall"

// processCPUSeconds is the user+system CPU time of the process so far (all
// goroutines): unlike wall time it is not inflated when other processes
// share the cores.
func processCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + 1e-6*float64(ru.Utime.Usec+ru.Stime.Usec)
}

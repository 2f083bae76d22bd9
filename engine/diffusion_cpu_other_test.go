//go:build !unix

package engine

// processCPUSeconds is 0 where getrusage is unavailable.
func processCPUSeconds() float64 { return 0 }

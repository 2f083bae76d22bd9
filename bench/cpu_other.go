//go:build !unix

package bench

// processCPUSeconds is not measured on this platform: it reads 0.
func processCPUSeconds() float64 { return 0 }

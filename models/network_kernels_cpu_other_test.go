//go:build !unix

package models

// nnCPUSeconds is not measured on this platform; the cpu-ms/op metric then
// reads 0.
func nnCPUSeconds() float64 { return 0 }

//go:build !amd64

package gemm

// useAsm is false: the assembly micro-kernel exists only on amd64.
const useAsm = false

// kernelFull is never called without the assembly kernel.
func kernelFull(kc int, a, b, c []float64, ldc int, alpha, beta float64) {
	panic("gemm: no assembly micro-kernel on this architecture")
}

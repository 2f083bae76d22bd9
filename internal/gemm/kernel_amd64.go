package gemm

import "golang.org/x/sys/cpu"

// useAsm selects the AVX2/FMA micro-kernel (kernel_amd64.s); it is set
// once, from the CPU's features, before main runs.
var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kernel6x8 sets the 6×8 tile at c (stride ldc elements) to α·acc (loadC
// = 0) or β·C + α·acc in one FMA per element (loadC = 1), where acc = Σ_p
// a_p b_pᵀ over the packed 6×kc panel a and kc×8 panel b, accumulated in
// order of p by FMA.
//
//go:noescape
func kernel6x8(kc int, a, b, c *float64, ldc int, alpha, beta float64, loadC int)

// kernelFull runs kernel6x8 on a full tile of c; the caller has checked
// the slices' lengths.
func kernelFull(kc int, a, b, c []float64, ldc int, alpha, beta float64) {
	loadC := 0
	if beta != 0 {
		loadC = 1
	}
	kernel6x8(kc, &a[0], &b[0], &c[0], ldc, alpha, beta, loadC)
}

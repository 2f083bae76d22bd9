package models

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
)

// GramAdd adds α AᵀA to the upper triangle of the d×d row-major matrix c
// (stride d; the strict lower triangle is left alone), for the m×d
// row-major matrix A (stride d), e.g. m per-sample gradient rows: the
// kernel of a dense diffusion matrix. It runs on the calling goroutine with
// the BLAS the package was built with (BLASBackend): gonum's pure-Go Dsyrk
// by default, single-threaded OpenBLAS with the build tag openblas. It
// costs m·d(d+1)/2 multiply-adds. It panics if m < 0, d < 1,
// len(a) < m·d or len(c) < d·d.
func GramAdd(c []float64, alpha float64, a []float64, m, d int) {
	GramAddPanel(c, alpha, a, m, d, 0, d)
}

// GramAddPanel is GramAdd restricted to the column panel [j0, j1) of the
// upper triangle: it adds α (AᵀA)_ij to c[i·d+j] for all i ≤ j with
// j0 ≤ j < j1 (one GEMM for the rows above the panel's diagonal block, one
// SYRK for the block; both serial, on the calling goroutine). Panels that partition [0, d) write disjoint entries
// of c, so they can run on different goroutines into one c, each summing
// its entries over row blocks of A in the same order whatever the number
// of goroutines; panel boundaries d·√(p/P), p = 0..P, give P panels of
// equal work. It panics if m < 0, d < 1, len(a) < m·d, len(c) < d·d or
// not 0 ≤ j0 ≤ j1 ≤ d.
func GramAddPanel(c []float64, alpha float64, a []float64, m, d, j0, j1 int) {
	if m < 0 || d < 1 || len(a) < m*d || len(c) < d*d || j0 < 0 || j1 < j0 || j1 > d {
		panic(fmt.Sprintf("models: GramAdd: m = %d, d = %d, len(a) = %d, len(c) = %d, panel [%d, %d): need m ≥ 0, d ≥ 1, len(a) ≥ m·d, len(c) ≥ d·d, 0 ≤ j0 ≤ j1 ≤ d",
			m, d, len(a), len(c), j0, j1))
	}
	if m == 0 || j1 == j0 {
		return
	}
	if j0 > 0 {
		gramGemm(true, false, j0, j1-j0, m, alpha, a, d, a[j0:], d, 1, c[j0:], d)
	}
	nnBLAS.Dsyrk(blas.Upper, blas.Trans, j1-j0, m, alpha, a[j0:], d, 1, c[j0*d+j0:], d)
}

// Gemm sets C = A·B for the row-major m×k matrix A and k×n matrix B into
// the m×n matrix C (strides k, n, n), on the calling goroutine with the
// BLAS the network models use (BLASBackend; OpenBLAS single-threaded). It
// costs 2·m·n·k flops: benchmarks time it, on one goroutine per core, as
// the machine's GEMM rate that bounds a network pass. In the pure-Go build
// it allocates internal/gemm's packing buffers (at most 8.6 MB) on every
// call. It panics if a dimension is < 1 or a slice is too short.
func Gemm(m, n, k int, a, b, c []float64) {
	if m < 1 || n < 1 || k < 1 || len(a) < m*k || len(b) < k*n || len(c) < m*n {
		panic(fmt.Sprintf("models: Gemm: m, n, k = %d, %d, %d with len(a), len(b), len(c) = %d, %d, %d: need dimensions ≥ 1, len(a) ≥ m·k, len(b) ≥ k·n, len(c) ≥ m·n",
			m, n, k, len(a), len(b), len(c)))
	}
	var ws nnGemmWork
	nnGemm(&ws, false, false, m, n, k, 1, a, k, b, n, 0, c, n)
}

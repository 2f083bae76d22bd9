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
	if m < 0 || d < 1 || len(a) < m*d || len(c) < d*d {
		panic(fmt.Sprintf("models: GramAdd: m = %d, d = %d, len(a) = %d, len(c) = %d: need m ≥ 0, d ≥ 1, len(a) ≥ m·d, len(c) ≥ d·d", m, d, len(a), len(c)))
	}
	if m == 0 {
		return
	}
	nnBLAS.Dsyrk(blas.Upper, blas.Trans, d, m, alpha, a, d, 1, c, d)
}

func nnTrans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

//go:build !openblas

package models

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/grd-engine/grd/internal/gemm"
)

// BLASBackend names the BLAS implementation the network models were built
// with: "gonum" (pure Go, the default: matrix products by internal/gemm,
// GramAdd by gonum) or "openblas" (build tag openblas, cgo, links
// -lopenblas).
const BLASBackend = "gonum"

// nnBLAS is gonum's pure-Go BLAS (Dsyrk, and GramAddPanel's GEMM), called
// directly rather than through blas64 so that nothing depends on global
// state. The build tag openblas replaces this file by blas_openblas.go.
var nnBLAS gonum.Implementation

// nnGemmWork is the scratch of nnGemm: internal/gemm's packing buffers,
// one per evaluator (a Workspace serves one goroutine at a time).
type nnGemmWork = gemm.Workspace

// nnGemm computes C = α op(A) op(B) + β C (op = transpose when tA/tB) on
// the calling goroutine with internal/gemm's packed, cache-blocked kernel
// (AVX2/FMA assembly where the CPU has it, portable Go elsewhere). Each
// element of C is summed in an order fixed by k alone (see internal/gemm).
func nnGemm(ws *nnGemmWork, tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	ws.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gramGemm is the GEMM part of GramAddPanel: gonum's Dgemm, serial (it has
// no workspace to hold gemm's packing buffers, and the engine's pure-Go
// dense D does not use GramAddPanel). gonum's Dgemm spreads products of
// four or more 64×64 output blocks over goroutines (allocating for each
// call), so gramGemm cuts C into panels of at most three blocks, which
// gonum computes serially.
func gramGemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	const bs = 64
	if m == 0 || n == 0 {
		return
	}
	ta, tb := nnTrans(tA), nnTrans(tB)
	nc := min(n, 3*bs)
	mc := bs * (3 / ((nc + bs - 1) / bs))
	for j0 := 0; j0 < n; j0 += nc {
		nj := min(nc, n-j0)
		var bj []float64
		if tB {
			bj = b[j0*ldb:]
		} else {
			bj = b[j0:]
		}
		for i0 := 0; i0 < m; i0 += mc {
			mi := min(mc, m-i0)
			var ai []float64
			if tA {
				ai = a[i0:]
			} else {
				ai = a[i0*lda:]
			}
			nnBLAS.Dgemm(ta, tb, mi, nj, k, alpha, ai, lda, bj, ldb, beta, c[i0*ldc+j0:], ldc)
		}
	}
}

func nnTrans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

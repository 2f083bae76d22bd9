//go:build !openblas

package models

import (
	"gonum.org/v1/gonum/blas/gonum"
)

// BLASBackend names the BLAS implementation the network models were built
// with: "gonum" (pure Go, the default) or "openblas" (build tag openblas,
// cgo, links -lopenblas).
const BLASBackend = "gonum"

// nnBLAS is gonum's pure-Go BLAS, called directly rather than through
// blas64 so that the evaluators do not depend on global state. The build
// tag openblas replaces this file by blas_openblas.go.
var nnBLAS gonum.Implementation

// nnGemm computes C = α op(A) op(B) + β C (op = transpose when tA/tB) on
// the calling goroutine. gonum's Dgemm spreads products of four or more
// 64×64 output blocks over goroutines (allocating for each call); the
// engine already runs one evaluator per worker, so nnGemm cuts C into
// panels of at most three blocks, which gonum computes serially.
func nnGemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
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

// nnMulWTTransposes reports whether nnEval.mulWT should transpose W (nout×nin)
// and run gonum's A·B kernel (axpys of length nout) instead of its A·Bᵀ
// kernel (dot products of length nin): for layers wider than their input.
// (Transposing every layer at least 8 wide was 1.2–1.8× faster on isolated
// GEMMs but not inside the network passes, so the simpler rule stays.)
func nnMulWTTransposes(nout, nin int) bool { return nout > nin }

// nnAddDTATransposes reports whether nnEval.addDTA should compute (DᵀA)ᵀ
// into scratch and add its transpose: for outputs wider than their inputs
// gonum's Aᵀ·B kernel then runs the longer axpys.
func nnAddDTATransposes(nout, nin int) bool { return nout > nin }

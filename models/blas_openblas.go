//go:build openblas

package models

// The openblas build links OpenBLAS through cgo. The LDFLAGS below are
// picked up for the whole binary, so gonum.org/v1/netlib/blas/netlib needs
// no CGO_LDFLAGS: `go test -tags openblas ./models/` is enough where
// libopenblas-dev (Debian) is installed.

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int);
*/
import "C"

import (
	"os"

	"gonum.org/v1/gonum/blas"

	"gonum.org/v1/netlib/blas/netlib"
)

// BLASBackend names the BLAS implementation the network models were built
// with: "gonum" (pure Go, the default) or "openblas" (build tag openblas,
// cgo, links -lopenblas).
const BLASBackend = "openblas"

// nnBLAS is OpenBLAS through gonum's netlib cgo bindings, selected at
// compile time by the build tag openblas (no global blas64.Use).
var nnBLAS netlib.Implementation

// init makes OpenBLAS single-threaded unless OPENBLAS_NUM_THREADS is set:
// the engine already runs one evaluator per core, and OpenBLAS threads
// inside each GEMM would oversubscribe the cores (and OpenBLAS serialises
// concurrent calls into its thread server).
func init() {
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		C.openblas_set_num_threads(1)
	}
}

// nnGemmWork is nnGemm's scratch: none (OpenBLAS packs into its own
// buffers).
type nnGemmWork struct{}

// nnGemm computes C = α op(A) op(B) + β C (op = transpose when tA/tB) on
// the calling goroutine (OpenBLAS runs single-threaded, see init).
func nnGemm(_ *nnGemmWork, tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	gramGemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gramGemm is nnGemm without scratch, for GramAddPanel.
func gramGemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	nnBLAS.Dgemm(nnTrans(tA), nnTrans(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func nnTrans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

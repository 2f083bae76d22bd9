package models

import (
	"fmt"
	"testing"
)

// BenchmarkGemmShapes times the single-threaded GEMM of the build on the
// products of one paper-resnet-size chunk (256 samples, 784 → 2150 → 10,
// as the gradient pass calls nnGemm) and on 1024³: internal/gemm in the
// default build (and, for comparison, gonum's Dgemm run serially as
// before), OpenBLAS with -tags openblas. Reported: GFLOP/s (2mnk flops
// per wall second) and GFLOP/cpu-s (per second of the process's CPU time:
// the kernel's own rate when other processes compete for the cores).
//
//	go test -run '^$' -bench GemmShapes -cpu 1 ./models/
//	go test -tags openblas -run '^$' -bench GemmShapes -cpu 1 ./models/
func BenchmarkGemmShapes(b *testing.B) {
	shapes := []struct {
		name    string
		tA, tB  bool
		m, n, k int
	}{
		{"fwd-XW1t", false, true, 256, 2150, 784},
		{"fwd-ZW2t", false, true, 256, 10, 2150},
		{"bwd-dW2", false, false, 256, 2150, 10},
		{"grad-dW2", true, false, 10, 2150, 256},
		{"grad-dW1", true, false, 2150, 784, 256},
		{"square", false, false, 1024, 1024, 1024},
	}
	type impl struct {
		name string
		f    func(ws *nnGemmWork, tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)
	}
	impls := []impl{{BLASBackend, nnGemm}}
	if BLASBackend == "gonum" {
		impls[0].name = "internal-gemm"
		impls = append(impls, impl{"gonum-serial", func(_ *nnGemmWork, tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
			gramGemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		}})
	}
	for _, s := range shapes {
		lda, ldb := s.k, s.n
		if s.tA {
			lda = s.m
		}
		if s.tB {
			ldb = s.k
		}
		a := nnTestVec(1, s.m*s.k, 1)
		bm := nnTestVec(2, s.k*s.n, 1)
		c := nnTestVec(3, s.m*s.n, 1)
		for _, im := range impls {
			b.Run(fmt.Sprintf("%s_%dx%dx%d/%s", s.name, s.m, s.n, s.k, im.name), func(b *testing.B) {
				var ws nnGemmWork
				im.f(&ws, s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 1, c, s.n)
				b.ResetTimer()
				cpu0 := nnCPUSeconds()
				for range b.N {
					im.f(&ws, s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 1, c, s.n)
				}
				flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				b.ReportMetric(flops/(nnCPUSeconds()-cpu0)/1e9, "GFLOP/cpu-s")
			})
		}
	}
}

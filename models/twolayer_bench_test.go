package models

import (
	"testing"
	"time"
)

// Benchmarks at the DESIGN performance point: two-layer tanh, N = 10000,
// n = 64, h = 128, o = 10, chunks of 256, one goroutine. One op = one sweep
// over all N samples.
const (
	nnBenchN, nnBenchIn, nnBenchHidden, nnBenchOut, nnBenchChunk = 10000, 64, 128, 10, 256
)

type nnBench struct {
	m       *TwoLayer
	ev      Evaluator
	w, v    []float64
	c, e    []float64
	s, q    []float64
	dst     []float64
	n, d, b int
}

func nnNewBench(b *testing.B, loss Loss) *nnBench {
	b.Helper()
	d := nnTestData(42, nnBenchN, nnBenchIn, nnBenchOut, loss == CrossEntropy)
	m, err := NewTwoLayer(d, nnBenchHidden, Tanh, loss)
	if err != nil {
		b.Fatal(err)
	}
	nb := &nnBench{m: m, ev: m.NewEvaluator(nnBenchChunk), n: d.N, d: m.Dim(), b: nnBenchChunk}
	nb.w = nnTestVec(1, nb.d, 0.1)
	nb.v = nnTestVec(2, nb.d, 1)
	nb.c = make([]float64, nb.n)
	for i := range nb.c {
		nb.c[i] = 1 / float64(nb.n)
	}
	nb.e = nnTestVec(3, nb.n, 1)
	nb.s = make([]float64, nb.n)
	nb.q = make([]float64, nb.n)
	nb.dst = make([]float64, nb.d)
	return nb
}

func (nb *nnBench) run(b *testing.B, op func(lo, hi int)) {
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for lo := 0; lo < nb.n; lo += nb.b {
			op(lo, min(lo+nb.b, nb.n))
		}
	}
}

// BenchmarkTwoLayerGrad is one gradient pass: Accumulate with c = 1/N, e = nil.
func BenchmarkTwoLayerGrad(b *testing.B) {
	nb := nnNewBench(b, Squared)
	nb.run(b, func(lo, hi int) { nb.ev.Accumulate(nb.dst, nb.c[lo:hi], nil, nb.w, nil, lo, hi) })
}

// BenchmarkTwoLayerGradCE is the gradient pass with cross-entropy loss.
func BenchmarkTwoLayerGradCE(b *testing.B) {
	nb := nnNewBench(b, CrossEntropy)
	nb.run(b, func(lo, hi int) { nb.ev.Accumulate(nb.dst, nb.c[lo:hi], nil, nb.w, nil, lo, hi) })
}

// BenchmarkTwoLayerLosses is a loss-only pass.
func BenchmarkTwoLayerLosses(b *testing.B) {
	nb := nnNewBench(b, Squared)
	nb.run(b, func(lo, hi int) { nb.ev.Losses(nb.s[lo:hi], nb.w, lo, hi) })
}

// BenchmarkTwoLayerDirectional computes s_n = g_n·v and q_n = vᵀH_n v.
func BenchmarkTwoLayerDirectional(b *testing.B) {
	nb := nnNewBench(b, Squared)
	nb.run(b, func(lo, hi int) { nb.ev.Directional(nil, nb.s[lo:hi], nb.q[lo:hi], nb.w, nb.v, lo, hi) })
}

// BenchmarkTwoLayerDirectionalS computes s_n = g_n·v only (the D·v pass).
func BenchmarkTwoLayerDirectionalS(b *testing.B) {
	nb := nnNewBench(b, Squared)
	nb.run(b, func(lo, hi int) { nb.ev.Directional(nil, nb.s[lo:hi], nil, nb.w, nb.v, lo, hi) })
}

// BenchmarkTwoLayerAccumulateHv is the fused Σ c_n g_n + e_n H_n v pass.
func BenchmarkTwoLayerAccumulateHv(b *testing.B) {
	nb := nnNewBench(b, Squared)
	nb.run(b, func(lo, hi int) { nb.ev.Accumulate(nb.dst, nb.c[lo:hi], nb.e[lo:hi], nb.w, nb.v, lo, hi) })
}

// BenchmarkTwoLayerRatios times the passes above alternately, round after
// round, and reports each one's best time as a multiple of the best gradient
// pass. Interleaving and taking minima makes the ratios robust to load from
// other processes, which inflates the separate benchmarks unevenly. One op is
// nnRatioRounds rounds of all five passes.
func BenchmarkTwoLayerRatios(b *testing.B) {
	const nnRatioRounds = 7
	nb := nnNewBench(b, Squared)
	ops := []struct {
		unit string
		f    func(lo, hi int)
	}{
		{"grad-ms", func(lo, hi int) { nb.ev.Accumulate(nb.dst, nb.c[lo:hi], nil, nb.w, nil, lo, hi) }},
		{"losses/grad", func(lo, hi int) { nb.ev.Losses(nb.s[lo:hi], nb.w, lo, hi) }},
		{"dir-s/grad", func(lo, hi int) { nb.ev.Directional(nil, nb.s[lo:hi], nil, nb.w, nb.v, lo, hi) }},
		{"dir-sq/grad", func(lo, hi int) { nb.ev.Directional(nil, nb.s[lo:hi], nb.q[lo:hi], nb.w, nb.v, lo, hi) }},
		{"acc-hv/grad", func(lo, hi int) { nb.ev.Accumulate(nb.dst, nb.c[lo:hi], nb.e[lo:hi], nb.w, nb.v, lo, hi) }},
	}
	best := make([]time.Duration, len(ops))
	b.ResetTimer()
	for range b.N {
		for r := 0; r < nnRatioRounds; r++ {
			for i, op := range ops {
				t0 := time.Now()
				for lo := 0; lo < nb.n; lo += nb.b {
					op.f(lo, min(lo+nb.b, nb.n))
				}
				if d := time.Since(t0); best[i] == 0 || d < best[i] {
					best[i] = d
				}
			}
		}
	}
	g := best[0].Seconds()
	b.ReportMetric(g*1e3, ops[0].unit)
	for i, op := range ops[1:] {
		b.ReportMetric(best[i+1].Seconds()/g, op.unit)
	}
}

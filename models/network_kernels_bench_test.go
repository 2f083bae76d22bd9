package models

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// Kernel benchmarks matching the peer drivers in bench/peers (numpy,
// PyTorch): the two-layer tanh network with one output and squared loss at
// (N, n, h) = (1000, 16, 32), (10000, 64, 64), (60000, 64, 128), so
// d = h(n+1) + h + 1 = 577, 4225, 8449. One op is one kernel over all N
// samples. The samples are split into chunks of the engine's default size
// min(max(⌈N/64⌉, 16), 256), handed round-robin to GOMAXPROCS workers with
// one Evaluator each (run with -cpu 1,2 to see both), like engine passes.
//
//	grad        ∇f = Σ (1/N) g_n                       (one Accumulate pass)
//	dv          D v = Σ c_n g_n, c_n = (g_n·v − s̄)/N    (Directional + Accumulate)
//	persample   every row g_n (Grads), into one chunk-sized buffer per worker
//	persample-full  the same into an N×d matrix (only when it fits in 512 MiB)
//	dense       D = (1/N) Σ (g_n − ∇f)(g_n − ∇f)ᵀ: Grads per chunk, centring,
//	            Gram panels (GramAddPanel) straight into D, see dense
//	            (skipped for d > 5000, as in the peers)
//
// Besides ns/op (wall time) each benchmark reports cpu-ms/op, the process's
// CPU time per op: with one worker it is the kernel's cost even when other
// processes compete for the cores. The two larger sizes are skipped under
// -short. GFLOP/s are reported for
// the GEMM-bound kernels with the nominal multiply-add counts of the
// network sweeps (2 flops each): grad 2nh + 3h·o per sample with o = 1,
// dense N·d(d+1)/2 for the SYRK alone.

var nnKernelSizes = []struct{ n, in, hidden int }{
	{1000, 16, 32},
	{10000, 64, 64},
	{60000, 64, 128},
}

type nnKernelBench struct {
	m     *TwoLayer
	n, d  int
	chunk int
	w, v  []float64
	c, s  []float64
	evs   []Evaluator
	rows  [][]float64 // per worker, chunk×d
	parts [][]float64 // per worker, len d
	// dense only: per worker, blocks of denseRows samples' rows
	denseRows int
	dRows     [][]float64
	mean      []float64
	dst       []float64
}

func nnNewKernelBench(b testing.TB, n, in, hidden int) *nnKernelBench {
	b.Helper()
	return nnNewKernelBenchWorkers(b, n, in, hidden, runtime.GOMAXPROCS(0))
}

func nnNewKernelBenchWorkers(b testing.TB, n, in, hidden, nw int) *nnKernelBench {
	b.Helper()
	return nnNewKernelBenchShape(b, n, in, hidden, 1, min(max((n+63)/64, 16), 256, n), nw)
}

// nnNewKernelBenchShape is nnNewKernelBenchWorkers with out outputs and the
// given chunk size.
func nnNewKernelBenchShape(b testing.TB, n, in, hidden, out, chunk, nw int) *nnKernelBench {
	b.Helper()
	data := nnTestData(uint64(n), n, in, out, false)
	m, err := NewTwoLayer(data, hidden, Tanh, Squared)
	if err != nil {
		b.Fatal(err)
	}
	k := &nnKernelBench{m: m, n: n, d: m.Dim(), chunk: chunk}
	k.w = nnTestVec(1, k.d, 1/float64(in))
	k.v = nnTestVec(2, k.d, 1)
	k.c = make([]float64, n)
	k.s = make([]float64, n)
	for range nw {
		k.evs = append(k.evs, m.NewEvaluator(k.chunk))
		if k.chunk*k.d <= 64<<20 { // per-sample rows only where they fit (not at the paper's size)
			k.rows = append(k.rows, make([]float64, k.chunk*k.d))
		}
		k.parts = append(k.parts, make([]float64, k.d))
	}
	k.mean = make([]float64, k.d)
	k.denseRows, k.dRows = k.chunk, k.rows
	k.dst = make([]float64, k.d)
	return k
}

// pass runs op on every chunk, chunk j on worker j mod W, and waits.
func (k *nnKernelBench) pass(op func(wk, lo, hi int)) {
	nw := len(k.evs)
	if nw == 1 {
		for lo := 0; lo < k.n; lo += k.chunk {
			op(0, lo, min(lo+k.chunk, k.n))
		}
		return
	}
	var wg sync.WaitGroup
	for wk := range nw {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := wk * k.chunk; lo < k.n; lo += nw * k.chunk {
				op(wk, lo, min(lo+k.chunk, k.n))
			}
		}()
	}
	wg.Wait()
}

// reduce sets dst to the sum of the first len(dst) entries of the workers'
// partials.
func (k *nnKernelBench) reduce(dst []float64) {
	copy(dst, k.parts[0][:len(dst)])
	for _, p := range k.parts[1:] {
		for i := range dst {
			dst[i] += p[i]
		}
	}
}

func (k *nnKernelBench) grad(dst []float64) {
	for i := range k.c {
		k.c[i] = 1 / float64(k.n)
	}
	k.weighted(dst)
}

// weighted sets dst = Σ c_n g_n.
func (k *nnKernelBench) weighted(dst []float64) {
	for _, p := range k.parts {
		clear(p[:k.d])
	}
	k.pass(func(wk, lo, hi int) {
		k.evs[wk].Accumulate(k.parts[wk][:k.d], k.c[lo:hi], nil, k.w, nil, lo, hi)
	})
	k.reduce(dst)
}

func (k *nnKernelBench) dv(dst []float64) {
	k.pass(func(wk, lo, hi int) {
		k.evs[wk].Directional(nil, k.s[lo:hi], nil, k.w, k.v, lo, hi)
	})
	var sbar float64
	for _, s := range k.s {
		sbar += s
	}
	sbar /= float64(k.n)
	for i, s := range k.s {
		k.c[i] = (s - sbar) / float64(k.n)
	}
	k.weighted(dst)
}

func (k *nnKernelBench) persample() {
	k.pass(func(wk, lo, hi int) {
		k.evs[wk].Grads(k.rows[wk][:(hi-lo)*k.d], k.w, lo, hi)
	})
}

func (k *nnKernelBench) persampleFull(g []float64) {
	k.pass(func(wk, lo, hi int) {
		k.evs[wk].Grads(g[lo*k.d:hi*k.d], k.w, lo, hi)
	})
}

// nnDensePanels is the number of column panels of the dense kernel. It is
// fixed (not the worker count) so that the result is bit-identical for any
// number of workers.
const nnDensePanels = 4

// dense sets the upper triangle of the d×d dst to D the way an engine can
// without d×d partial sums: the upper triangle is cut into nnDensePanels
// column panels of equal work; the workers claim panels, and a panel's
// worker runs over all chunks in order, recomputing the chunk's rows
// (Grads, centred) and adding their Gram panel into dst (GramAddPanel).
// Every entry of D is thus summed over the chunks in chunk order by one
// goroutine, and the rows are recomputed nnDensePanels times (N·d each,
// small next to the N·d²/2 of the Gram matrix).
func (k *nnKernelBench) dense(dst []float64) {
	k.grad(k.mean)
	k.denseCentred(dst)
}

// denseCentred is dense with the mean gradient already in k.mean.
func (k *nnKernelBench) denseCentred(dst []float64) {
	d := k.d
	clear(dst)
	var next atomic.Int64
	var wg sync.WaitGroup
	for wk := range k.evs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				p := int(next.Add(1)) - 1
				if p >= nnDensePanels {
					return
				}
				j0 := int(math.Round(float64(d) * math.Sqrt(float64(p)/nnDensePanels)))
				j1 := int(math.Round(float64(d) * math.Sqrt(float64(p+1)/nnDensePanels)))
				for lo := 0; lo < k.n; lo += k.denseRows {
					hi := min(lo+k.denseRows, k.n)
					m := hi - lo
					rows := k.dRows[wk][:m*d]
					for l := lo; l < hi; l += k.chunk {
						h := min(l+k.chunk, hi)
						k.evs[wk].Grads(rows[(l-lo)*d:(h-lo)*d], k.w, l, h)
					}
					for i := 0; i < m; i++ {
						r := rows[i*d : i*d+j1]
						for j, g := range k.mean[:j1] {
							r[j] -= g
						}
					}
					GramAddPanel(dst, 1, rows, m, d, j0, j1)
				}
			}
		}()
	}
	wg.Wait()
	inv := 1 / float64(k.n)
	for i := 0; i < d; i++ {
		r := dst[i*d+i : (i+1)*d]
		for j := range r {
			r[j] *= inv
		}
	}
}

// BenchmarkTwoLayerPaperPass is one gradient pass of the paper-resnet-size
// network (784 → 2150 → 10, tanh, squared loss, d = 1 709 260) over 2048
// synthetic samples in the engine's chunks of 256, one Evaluator per
// worker (run with -cpu 2 for the bench's --workers 2): the chunk shapes of
// `grd bench geometry --real paper-resnet-size` (N = 60000, 235 chunks) at
// 1/29 of its work. GFLOP/s uses the pass's nominal count 4Nnh + 6Nho
// (bench.PassFlops).
func BenchmarkTwoLayerPaperPass(b *testing.B) {
	const n, in, hidden, out, chunk = 2048, 784, 2150, 10, 256
	k := nnNewKernelBenchShape(b, n, in, hidden, out, chunk, runtime.GOMAXPROCS(0))
	k.grad(k.dst)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := nnCPUSeconds()
	for range b.N {
		k.grad(k.dst)
	}
	b.ReportMetric((nnCPUSeconds()-cpu0)*1e3/float64(b.N), "cpu-ms/op")
	flops := float64(4*n*in*hidden + 6*n*hidden*out)
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkTwoLayerKernels(b *testing.B) {
	for _, sz := range nnKernelSizes {
		name := fmt.Sprintf("N=%d_n=%d_h=%d", sz.n, sz.in, sz.hidden)
		run := func(kernel string, flops float64, f func(k *nnKernelBench) func()) {
			b.Run(kernel+"/"+name, func(b *testing.B) {
				if testing.Short() && sz.n > 1000 {
					b.Skip("large size skipped under -short")
				}
				k := nnNewKernelBench(b, sz.n, sz.in, sz.hidden)
				op := f(k)
				if op == nil {
					b.Skip("too large for this kernel")
				}
				op()
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := nnCPUSeconds()
				for range b.N {
					op()
				}
				b.ReportMetric((nnCPUSeconds()-cpu0)*1e3/float64(b.N), "cpu-ms/op")
				if flops > 0 {
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				}
			})
		}
		n, h := float64(sz.n), float64(sz.hidden)
		in := float64(sz.in)
		d := float64(h*(in+1) + h + 1)
		run("grad", 2*n*(2*in*h+3*h), func(k *nnKernelBench) func() { return func() { k.grad(k.dst) } })
		run("dv", 2*n*(4*in*h+6*h), func(k *nnKernelBench) func() { return func() { k.dv(k.dst) } })
		run("persample", 0, func(k *nnKernelBench) func() { return k.persample })
		run("persample-full", 0, func(k *nnKernelBench) func() {
			if k.n*k.d > 64<<20 {
				return nil
			}
			g := make([]float64, k.n*k.d)
			return func() { k.persampleFull(g) }
		})
		run("dense", n*d*(d+1), func(k *nnKernelBench) func() {
			if k.d > 5000 {
				return nil
			}
			// Row blocks of the chunk size: blocks of 496 or 1024 rows
			// (fewer passes over D) measured the same with OpenBLAS.
			dst := make([]float64, k.d*k.d)
			return func() { k.dense(dst) }
		})
	}
}

// TestNNKernelBench checks the benchmarked kernels against each other and
// against D formed naively from the per-sample gradients: grad is the mean
// row, dv is D v, and dense is D — bit for bit the same for 1 and 3
// workers (the panel scheme sums every entry in chunk order). Tolerances:
// the kernels reorder sums of N = 300 terms, so they agree to ~1e-13.
func TestNNKernelBench(t *testing.T) {
	const N, in, hidden = 300, 5, 7
	k1 := nnNewKernelBenchWorkers(t, N, in, hidden, 1)
	k3 := nnNewKernelBenchWorkers(t, N, in, hidden, 3)
	d := k1.d
	g := make([]float64, N*d)
	k1.persampleFull(g)
	mean := make([]float64, d)
	for n := 0; n < N; n++ {
		for j := range mean {
			mean[j] += g[n*d+j] / N
		}
	}
	want := make([]float64, d*d)
	for n := 0; n < N; n++ {
		r := g[n*d : (n+1)*d]
		for i := range r {
			for j := i; j < d; j++ {
				want[i*d+j] += (r[i] - mean[i]) * (r[j] - mean[j]) / N
			}
		}
	}
	grad := make([]float64, d)
	k3.grad(grad)
	nnAssertClose(t, "grad vs mean row", grad, mean, 1e-13)
	d1, d3 := make([]float64, d*d), make([]float64, d*d)
	k1.dense(d1)
	copy(k3.mean, k1.mean) // k.grad's sum depends on the worker count
	k3.denseCentred(d3)
	nnAssertClose(t, "dense vs naive D", d1, want, 1e-13)
	for i := range d1 {
		if d1[i] != d3[i] {
			t.Fatalf("dense: entry %d differs between 1 and 3 workers: %v vs %v", i, d1[i], d3[i])
		}
	}
	dv, wantDv := make([]float64, d), make([]float64, d)
	k3.dv(dv)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			dij := want[min(i, j)*d+max(i, j)]
			wantDv[i] += dij * k3.v[j]
		}
	}
	nnAssertClose(t, "dv vs naive D v", dv, wantDv, 1e-13)
}

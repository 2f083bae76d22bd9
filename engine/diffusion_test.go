package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/grd-engine/grd/models"
	"gonum.org/v1/gonum/mat"
)

// TestDiffusionDensePanels checks the panelled dense D on sizes with
// several panels (d > denseRowPanelWidth; d > densePanelWidth for OpenBLAS) and many row blocks, some larger
// than Options.Chunk (several Evaluator calls per block): it must
// equal the pairwise form (1/N²) Σ_{i<j} (g_i − g_j)(g_i − g_j)ᵀ built from
// one-sample evaluations (an independent assembly; both are sums of O(N)
// products, so they agree to ~N·ε relative and 1e-12 leaves room), be
// bit-identical for 1, 2, 3 and 7 workers, and be the same when dst is a
// view whose stride is not d (scratch path), leaving the rest of the
// parent matrix alone.
func TestDiffusionDensePanels(t *testing.T) {
	cases := []struct {
		n, in, hidden int
		rowC          int // samples per row chunk
	}{
		{50, 20, 20, 7},  // d = 441: 2 panels, last one partial
		{23, 30, 17, 5},  // d = 545: 3 panels, last chunk short
		{9, 32, 16, 9},   // d = 545, one row chunk
		{40, 4, 100, 3},  // d = 601: 3 panels, 14 chunks
		{12, 32, 8, 100}, // d = 273: one block of all 12 samples
		{30, 40, 20, 4},  // d = 841: 2 OpenBLAS column panels, 4 gonum row panels
		{50, 20, 20, 37}, // d = 441: blocks of 37 samples, 3 Evaluator calls each
	}
	for _, tc := range cases {
		rng := rand.New(rand.NewPCG(uint64(tc.n), uint64(tc.hidden)))
		m, err := models.NewTwoLayer(testData(rng, tc.n, tc.in, 1), tc.hidden, models.Tanh, models.Squared)
		if err != nil {
			t.Fatal(err)
		}
		d := m.Dim()
		t.Run(fmt.Sprintf("N=%d_d=%d_chunk=%d", tc.n, d, tc.rowC), func(t *testing.T) {
			w := randVec(rng, d, 0.3)
			want := symData(pairwiseD(perSampleGrads(m, w)))
			var ref []float64
			for _, workers := range []int{1, 2, 3, 7} {
				g := New(m, &Options{Workers: workers, Chunk: 16, RowBytes: 8 * d * tc.rowC})
				if g.RowChunkSize() != min(tc.rowC, 16, tc.n) {
					t.Fatalf("row chunk %d, want %d", g.RowChunkSize(), min(tc.rowC, 16, tc.n))
				}
				var D mat.SymDense
				if err := g.Diffusion(ctx, &D, w); err != nil {
					t.Fatal(err)
				}
				got := symData(&D)
				if e := relErr(got, want, 1e-300); e > 1e-12 {
					t.Errorf("%d workers: dense D vs pairwise form: rel. error %.2g", workers, e)
				}
				if ref == nil {
					ref = got
				} else {
					for i := range got {
						if got[i] != ref[i] {
							t.Fatalf("%d workers: entry (%d, %d) = %v, 1 worker gave %v", workers, i/d, i%d, got[i], ref[i])
						}
					}
				}
				// A view with stride d+3 goes through the scratch path.
				parent := mat.NewSymDense(d+3, nil)
				for i := 0; i < d+3; i++ {
					for j := i; j < d+3; j++ {
						parent.SetSym(i, j, -1)
					}
				}
				view := parent.SliceSym(1, d+1).(*mat.SymDense)
				if err := g.Diffusion(ctx, view, w); err != nil {
					t.Fatal(err)
				}
				for i := 0; i < d+3; i++ {
					for j := i; j < d+3; j++ {
						in := i >= 1 && j >= 1 && i <= d && j <= d
						if v := parent.At(i, j); in && v != ref[(i-1)*d+j-1] || !in && v != -1 {
							t.Fatalf("%d workers, view: parent (%d, %d) = %v", workers, i, j, v)
						}
					}
				}
			}
		})
	}
}

// TestDiffusionDenseCancel checks that a cancelled context stops the dense
// pass with an error wrapping context.Canceled, for 1 and 2 workers, and
// that the Geometry works normally afterwards.
func TestDiffusionDenseCancel(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	m, err := models.NewTwoLayer(testData(rng, 30, 20, 1), 20, models.Tanh, models.Squared)
	if err != nil {
		t.Fatal(err)
	}
	d := m.Dim()
	w := randVec(rng, d, 0.3)
	for _, workers := range []int{1, 2} {
		g := New(m, &Options{Workers: workers, Chunk: 4, RowBytes: 8 * d * 3})
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		var D mat.SymDense
		if err := g.Diffusion(cctx, &D, w); !errors.Is(err, context.Canceled) {
			t.Errorf("%d workers: cancelled Diffusion returned %v, want context.Canceled", workers, err)
		}
		// The dense pass itself (after the gradient pass) must also stop.
		D.Zero()
		if err := g.denseGram(cctx, make([]float64, d*d), w, make([]float64, d)); !errors.Is(err, context.Canceled) {
			t.Errorf("%d workers: cancelled dense pass returned %v, want context.Canceled", workers, err)
		}
		if err := g.Diffusion(ctx, &D, w); err != nil {
			t.Fatalf("%d workers: Diffusion after a cancelled call: %v", workers, err)
		}
		want := symData(pairwiseD(perSampleGrads(m, w)))
		if e := relErr(symData(&D), want, 1e-300); e > 1e-12 {
			t.Errorf("%d workers: D after a cancelled call: rel. error %.2g", workers, e)
		}
	}
}

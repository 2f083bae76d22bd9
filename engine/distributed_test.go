package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/grd-engine/grd/internal/commtest"
)

// onRanks runs f on k ranks of an in-process world (commtest).
func onRanks[T any](k int, f func(c Comm) (T, error)) ([]T, []error) {
	return commtest.OnRanks(k, func(c *commtest.Comm) (T, error) { return f(c) })
}

// TestDistributedGeometry checks the distributed scheduler on every
// geometry quantity (reducing passes, dense D's lanes, per-sample and
// per-chunk outputs, Woodbury's gathered gradient rows): under K ranks
// every rank holds the same bits, the bits do not depend on the workers
// per rank, and they agree with the single-process values to 1e-12
// relative (norm-wise per quantity; the README states this guarantee).
func TestDistributedGeometry(t *testing.T) {
	if testing.Short() {
		t.Skip("K-rank geometry evaluations (seconds); run without -short")
	}
	want, err := geometryQuantities(&Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{2, 3} {
		var first map[string][]float64
		for _, workers := range []int{1, 2} {
			got, errs := onRanks(k, func(c Comm) (map[string][]float64, error) {
				return geometryQuantities(&Options{Workers: workers, Comm: c})
			})
			for r, err := range errs {
				if err != nil {
					t.Fatalf("K = %d, rank %d: %v", k, r, err)
				}
			}
			if first == nil {
				first = got[0]
			}
			for r := range got {
				if !sameBits(got[r], first) {
					t.Errorf("K = %d, workers %d, rank %d: not bit-identical to rank 0 with 1 worker", k, workers, r)
				}
			}
		}
		for _, name := range slices.Sorted(maps.Keys(want)) {
			g, w := first[name], want[name]
			var diff, norm float64
			for i := range g {
				diff = math.Max(diff, math.Abs(g[i]-w[i]))
				norm = math.Max(norm, math.Abs(w[i]))
			}
			if rel := diff / math.Max(norm, 1e-300); !(rel <= 1e-12) {
				t.Errorf("K = %d: %s differs from single-process by %.3g relative, want ≤ 1e-12", k, name, rel)
			}
		}
	}
}

func sameBits(a, b map[string][]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for name, x := range a {
		if !bitsEqual(x, b[name]) {
			return false
		}
	}
	return true
}

// TestDistributedFault checks that a panic in one rank's chunk ends the
// pass on every rank with the same error naming that rank (nobody waits
// for it).
func TestDistributedFault(t *testing.T) {
	const k, n, chunk = 3, 40, 4
	_, errs := onRanks(k, func(c Comm) (struct{}, error) {
		r := newRankRunner(&runner{ws: []*worker{{}}}, c)
		dst := make([]float64, 1)
		// chunk 7 (rank 2's range is chunks 6…9) panics.
		p := &pass{job: &panicJob{bad: 7}, n: n, chunk: chunk, fold: &vecSum{dst: dst}, lanes: 1, slotLen: 1}
		return struct{}{}, r.run(ctx, p)
	})
	for r, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "rank 2: panic: chunk failed") {
			t.Errorf("rank %d: got %v, want an error naming rank 2 and the panic", r, err)
		}
	}
}

// TestDistributedCancelOnOneRank: when one rank is interrupted (its context
// cancelled, as a signal reaches the ranks one after another) every rank's
// pass ends with an error that is an interruption (ErrRankCanceled and
// context.Canceled), not a failure: the flows then checkpoint instead of
// finishing, and nothing computed is lost.
func TestDistributedCancelOnOneRank(t *testing.T) {
	const k, n, chunk = 3, 40, 4
	_, errs := onRanks(k, func(c Comm) (struct{}, error) {
		r := newRankRunner(&runner{ws: []*worker{{}}}, c)
		cctx := context.Background()
		if c.Rank() == 1 {
			var cancel context.CancelFunc
			cctx, cancel = context.WithCancel(cctx)
			cancel()
		}
		dst := make([]float64, 1)
		p := &pass{job: &panicJob{bad: -1}, n: n, chunk: chunk, fold: &vecSum{dst: dst}, lanes: 1, slotLen: 1}
		return struct{}{}, r.run(cctx, p)
	})
	for r, err := range errs {
		if !errors.Is(err, ErrRankCanceled) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "rank 1") {
			t.Errorf("rank %d: got %v, want an interruption naming rank 1", r, err)
		}
	}
}

// TestCombineRankOrder checks the combination of a reducing pass's rank
// partials on 2 to 5 ranks, short (one all-gather) and long (reduce-scatter
// and all-gather, segmentMin): every rank ends with p_0 + p_1 + … + p_{K−1}
// summed left to right, bit for bit, and the traffic counted is the
// algorithm's: (K−1)·l values received per rank by the all-gather,
// about 2·(l − l/K) by the segments.
func TestCombineRankOrder(t *testing.T) {
	for _, k := range []int{2, 3, 4, 5} {
		for _, l := range []int{7, segmentMin + 3, 3 * segmentMin} {
			parts := make([][]float64, k)
			for q := range parts {
				parts[q] = make([]float64, l)
				for i := range parts[q] {
					// values of mixed magnitudes, so that the order of the
					// sum shows in the bits
					parts[q][i] = math.Sin(float64(7*q+13*i+1)) * math.Pow(10, float64((q*5+i)%9-4))
				}
			}
			want := slices.Clone(parts[0])
			for q := 1; q < k; q++ {
				for i := range want {
					want[i] += parts[q][i]
				}
			}
			got, errs := onRanks(k, func(c Comm) ([]float64, error) {
				r := newRankRunner(nil, c) // combine needs no worker pool
				dst := slices.Clone(parts[c.Rank()])
				err := r.combine(&vecSum{dst: dst})
				if st := r.stats; err == nil {
					want := int64(8 * (k - 1) * l)
					if k >= 3 && l >= segmentMin {
						// its segment's m values from K−1 ranks, the l − m
						// others' segments back: about 2(l − l/K)
						m := l*(c.Rank()+1)/k - l*c.Rank()/k
						want = int64(8 * ((k-1)*m + l - m))
					}
					if st.BytesRecv != want {
						err = fmt.Errorf("received %d bytes, want %d", st.BytesRecv, want)
					}
				}
				return dst, err
			})
			for q := range k {
				if errs[q] != nil {
					t.Fatalf("K = %d, l = %d: rank %d: %v", k, l, q, errs[q])
				}
				for i := range want {
					if math.Float64bits(got[q][i]) != math.Float64bits(want[i]) {
						t.Fatalf("K = %d, l = %d: rank %d element %d = %v, want the rank-order sum %v", k, l, q, i, got[q][i], want[i])
					}
				}
			}
		}
	}
}

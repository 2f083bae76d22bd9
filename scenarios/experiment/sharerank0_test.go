package experiment

import (
	"testing"

	"github.com/grd-engine/grd/internal/commtest"
)

// TestShareRank0: ranks that computed λ_max(D(w0)) and its Ritz vector on
// their own, with different last bits, all continue with rank 0's.
func TestShareRank0(t *testing.T) {
	const k, d = 3, 5
	type out struct {
		lmax float64
		vec  []float64
	}
	got, errs := commtest.OnRanks(k, func(c *commtest.Comm) (out, error) {
		r := float64(c.Rank())
		vec := make([]float64, d)
		for i := range vec {
			vec[i] = float64(i) + r*1e-16
		}
		lmax, err := shareRank0(c, 2+r*1e-15, vec)
		return out{lmax, vec}, err
	})
	for r := range k {
		if errs[r] != nil {
			t.Fatalf("rank %d: %v", r, errs[r])
		}
		if got[r].lmax != 2 {
			t.Errorf("rank %d: λ_max %v, want rank 0's 2", r, got[r].lmax)
		}
		for i, v := range got[r].vec {
			if v != float64(i) {
				t.Errorf("rank %d: vec[%d] = %v, want rank 0's %v", r, i, v, float64(i))
			}
		}
	}
}

package scenarios

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestBuildRows checks a sharded build (one rank's samples) against the
// whole build: the shard holds exactly rows [lo, hi) of the whole
// model-ready data, bit for bit (so the standardisation statistics and
// the class count are the whole data set's), the model has the whole N,
// and WriteBits writes the same bytes (checkpoints hash them).
func TestBuildRows(t *testing.T) {
	dir := t.TempDir()
	smallIDX(t, dir)
	p := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(p, []byte(idxScenario("  idx: {images: img.gz, labels: lbl}\n  limit: 4")), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{"two-layer-iris", p} {
		for _, rg := range [][2]int{{0, 1}, {1, 3}, {2, 4}} {
			t.Run(filepath.Base(src), func(t *testing.T) {
				open := func() *Scenario {
					s, err := Open(src)
					if err != nil {
						t.Fatal(err)
					}
					return s
				}
				whole, err := open().Build()
				if err != nil {
					t.Fatal(err)
				}
				n := whole.Model.Len()
				lo, hi := rg[0], rg[1]
				if src != p { // iris: spread the range over the file
					lo, hi = lo*n/4, hi*n/4
				}
				part, err := open().BuildRows(func(m int) (int, int) {
					if m != n {
						t.Errorf("RowRange got N = %d, want %d", m, n)
					}
					return lo, hi
				})
				if err != nil {
					t.Fatal(err)
				}
				ds, wd := part.Dataset, whole.Dataset.Data
				d := ds.Data
				if !ds.Sharded() || ds.Offset != lo || ds.Total != n || d.N != hi-lo || part.Model.Len() != n {
					t.Fatalf("sharded %v, offset %d, total %d, N %d, model N %d; want rows [%d, %d) of %d",
						ds.Sharded(), ds.Offset, ds.Total, d.N, part.Model.Len(), lo, hi, n)
				}
				if d.In != wd.In || d.Out != wd.Out || part.Model.Dim() != whole.Model.Dim() {
					t.Fatalf("In %d Out %d d %d, want %d %d %d", d.In, d.Out, part.Model.Dim(), wd.In, wd.Out, whole.Model.Dim())
				}
				same := func(what string, a, b []float64) {
					t.Helper()
					if len(a) != len(b) {
						t.Fatalf("%s: %d values, want %d", what, len(a), len(b))
					}
					for i := range a {
						if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
							t.Fatalf("%s[%d] = %v, want %v (bit for bit)", what, i, a[i], b[i])
						}
					}
				}
				same("Mean", ds.Mean, whole.Dataset.Mean)
				same("Scale", ds.Scale, whole.Dataset.Scale)
				same("X", d.X, wd.X[lo*wd.In:hi*wd.In])
				same("Y", d.Y, wd.Y[lo*wd.Out:hi*wd.Out])
				var a, b bytes.Buffer
				if err := ds.WriteBits(&a); err != nil {
					t.Fatal(err)
				}
				if err := whole.Dataset.WriteBits(&b); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a.Bytes(), b.Bytes()) {
					t.Error("WriteBits of the shard differs from the whole data set's")
				}
				// The shard's model evaluates its samples as the whole model does.
				w := whole.W0
				got, want := make([]float64, hi-lo), make([]float64, hi-lo)
				part.Model.NewEvaluator(hi-lo).Losses(got, w, lo, hi)
				whole.Model.NewEvaluator(n).Losses(want, w, lo, hi)
				same("losses", got, want)
			})
		}
	}
}

package experiment

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/grd-engine/grd/scenarios"
)

// TestDesignExampleRuns runs the example scenario of DESIGN §4
// (../testdata/design-example.yaml, checked against docs/DESIGN.md by
// package scenarios' TestDesignExample) briefly: t1 shortened through the
// Go API. Its data/iris.csv is ../testdata/data/iris.csv.
func TestDesignExampleRuns(t *testing.T) {
	sc, err := scenarios.Load(filepath.Join("..", "testdata", "design-example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sc.Time.T1, sc.Time.Outputs = 0.5, 6 // briefly
	r, err := Run(context.Background(), sc, RunOptions{})
	if err != nil {
		t.Fatalf("the DESIGN example does not run: %v", err)
	}
	if r.Dim != 4*8+8+3*8+3 || r.Samples != 150 {
		t.Errorf("d = %d, N = %d; want 67 and 150 (iris, 8 hidden, 3 classes)", r.Dim, r.Samples)
	}
	for _, tr := range r.Flows {
		if tr.Len() != 6 || !(tr.Loss[5] < tr.Loss[0]) {
			t.Errorf("%s: %d rows, loss %v → %v; want 6 rows and a decrease", tr.Flow, tr.Len(), tr.Loss[0], tr.Loss[tr.Len()-1])
		}
	}
}

package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
)

// TestQuadraticStiffWarning runs the built-in quadratic-stiff with dopri5,
// rodas4 (its own setting), rock4 and auto. dopri5's summary.json carries
// one warning per flow saying where it looks stiff and naming the stiff
// methods (rodas4, rock4, auto); those carry none, reach the same final
// losses and need far fewer evaluations (F and J·v together).
func TestQuadraticStiffWarning(t *testing.T) {
	if testing.Short() {
		t.Skip("runs quadratic-stiff three times (about a second)")
	}
	type flowSum struct {
		NFev      int      `json:"nfev"`
		FinalLoss *float64 `json:"final_loss"`
	}
	type summary struct {
		Flows    map[string]flowSum `json:"flows"`
		Warnings []string           `json:"warnings"`
	}
	run := func(method string) (summary, *experiment.Report) {
		sc, err := scenarios.Builtin("quadratic-stiff", scenarios.Override{Key: "integrator.method", Value: method})
		if err != nil {
			t.Fatal(err)
		}
		r, err := experiment.Run(context.Background(), sc, experiment.RunOptions{Workers: 2})
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		var b bytes.Buffer
		if err := WriteSummaryJSON(&b, r); err != nil {
			t.Fatal(err)
		}
		var s summary
		if err := json.Unmarshal(b.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		return s, r
	}
	ex, rex := run("dopri5")
	t1 := rex.Scenario.Time.T1
	for _, fl := range []string{"gd", "ngd", "grd"} {
		var w string
		for _, s := range ex.Warnings {
			if strings.HasPrefix(s, "flow "+fl+" looks stiff from t = ") {
				w = s
			}
		}
		if w == "" {
			t.Errorf("dopri5: no stiffness warning for %s in %q", fl, ex.Warnings)
			continue
		}
		var at float64
		if _, err := fmt.Sscan(strings.TrimPrefix(w, "flow "+fl+" looks stiff from t = "), &at); err != nil || !(at > 0 && at < t1) {
			t.Errorf("dopri5 %s: warning time %g (%v) not inside (0, %g): %s", fl, at, err, t1, w)
		}
		for _, m := range []string{"rodas4", "rock4", "auto"} {
			if !strings.Contains(w, m) {
				t.Errorf("dopri5 %s: warning does not suggest %s: %s", fl, m, w)
			}
		}
	}
	for _, method := range []string{"rodas4", "rock4", "auto"} {
		st, rst := run(method)
		for _, s := range st.Warnings {
			if strings.Contains(s, "looks stiff") {
				t.Errorf("%s: stiffness warning %q", method, s)
			}
		}
		for _, tr := range rst.Flows {
			fl := string(tr.Flow)
			a, b := ex.Flows[fl], st.Flows[fl]
			work := b.NFev + tr.NJv
			t.Logf("%s %s: %d evaluations + %d J·v (dopri5 %d); final loss %.10g (dopri5 %.10g)", method, fl, b.NFev, tr.NJv, a.NFev, *b.FinalLoss, *a.FinalLoss)
			// About 14× (gd: F and the Hessian-vector passes that build
			// its dense J) and 7–20× (ngd, grd: directional differences of
			// F, counted in NFev) fewer; rock4 about 15× on all three.
			factor := 5
			if factor*work > a.NFev {
				t.Errorf("%s %s: %d evaluations, dopri5 %d: want %d× fewer", method, fl, work, a.NFev, factor)
			}
			if math.Abs(*b.FinalLoss-*a.FinalLoss) > 1e-4**a.FinalLoss {
				t.Errorf("%s %s: final loss %.10g, dopri5 %.10g", method, fl, *b.FinalLoss, *a.FinalLoss)
			}
		}
	}
}

package flow

import (
	"math"
	"strings"
	"testing"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/integrators"
	"github.com/grd-engine/grd/models"
)

// TestGDStiff: the gd flow on a quadratic with condition 10⁴ is stiff.
// dopri5 reports it (Trajectory.Stiffness and a warning that names
// rodas4, rock4 and auto); rodas4 and rock4, with the exact J·v = −Hv of
// the gd flow (Hessian-vector passes, counted in NJv: rodas4's linear
// solves, rock4's power iteration for λ_max(H)), reach the same end point
// with a small fraction of the work, and bit for bit the same with 1 or 2
// workers.
func TestGDStiff(t *testing.T) {
	const d = 10
	a := make([]float64, d*d)
	for i := 0; i < d; i++ {
		a[i*d+i] = math.Pow(1e4, float64(i)/(d-1))
	}
	q := flQuadratic(t, []models.QuadSample{{A: a, C: make([]float64, d)}})
	w0 := make([]float64, d)
	for i := range w0 {
		w0[i] = 1
	}
	times := flLinspace(0, 20, 5)
	set := integrators.Settings{RTol: 1e-6, ATol: 1e-10, MaxSteps: 1e6}
	ex := flRun(t, engine.New(q, nil), w0, Spec{Flow: GD, Times: times, Method: flMethod(t, "dopri5"), Settings: set})
	w := ex.StiffnessWarning()
	if ex.Stiffness == nil || !strings.Contains(w, "rodas4") || !strings.Contains(w, "rock4") || !strings.Contains(w, "=auto") {
		t.Errorf("dopri5: no stiffness reported, or not suggesting rodas4, rock4 and auto (%v, %q)", ex.Stiffness, w)
	}
	for _, method := range []string{"rodas4", "rock4"} {
		st := flRun(t, engine.New(q, &engine.Options{Workers: 1}), w0, Spec{Flow: GD, Times: times, Method: flMethod(t, method), Settings: set})
		t.Logf("dopri5: %d evaluations; %s: %d evaluations + %d Hessian-vector products; warning: %s", ex.NFev, method, st.NFev, st.NJv, w)
		if st.Stiffness != nil || st.StiffnessWarning() != "" {
			t.Errorf("%s reports stiffness: %+v", method, st.Stiffness)
		}
		if st.NJv == 0 || 10*(st.NFev+st.NJv) > ex.NFev {
			t.Errorf("%s: %d evaluations + %d J·v, dopri5 %d", method, st.NFev, st.NJv, ex.NFev)
		}
		// w(t) = e^{−tλ_i}: the slowest mode (λ = 1) dominates. rock4's
		// error control lets its per-component errors grow to ~100× the
		// tolerance (integrators.TestRock4GlobalError): 1e-3 before T1,
		// 1e-5 at T1, where only the slowest modes are left.
		for k := range times {
			tol := 1e-5
			if method == "rock4" && k < len(times)-1 {
				tol = 1e-3
			}
			for i := range w0 {
				want := math.Exp(-times[k] * a[i*d+i])
				if e := math.Abs(st.W[k][i] - want); e > tol*math.Max(want, 1e-5) {
					t.Errorf("%s: w_%d(%g) = %.8g, want %.8g", method, i, times[k], st.W[k][i], want)
				}
			}
		}
		st2 := flRun(t, engine.New(q, &engine.Options{Workers: 2, Chunk: 3}), w0, Spec{Flow: GD, Times: times, Method: flMethod(t, method), Settings: set, Workers: 2})
		if st2.NFev != st.NFev || st2.NJv != st.NJv {
			t.Errorf("%s: 2 workers %d evaluations + %d J·v, 1 worker %d + %d", method, st2.NFev, st2.NJv, st.NFev, st.NJv)
		}
		for k := range times {
			for i := range w0 {
				if math.Float64bits(st2.W[k][i]) != math.Float64bits(st.W[k][i]) {
					t.Fatalf("%s: w_%d(%g) = %v with 2 workers, %v with 1", method, i, times[k], st2.W[k][i], st.W[k][i])
				}
			}
		}
	}
}

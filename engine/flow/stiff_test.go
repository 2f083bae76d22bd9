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
// rodas4); rodas4, with the exact J·v = −Hv of the gd flow (Hessian-vector
// passes, counted in NJv), reaches the same end point with a small fraction
// of the work.
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
	st := flRun(t, engine.New(q, nil), w0, Spec{Flow: GD, Times: times, Method: flMethod(t, "rodas4"), Settings: set})
	w := ex.StiffnessWarning()
	t.Logf("dopri5: %d evaluations; rodas4: %d evaluations + %d Hessian-vector products; warning: %s", ex.NFev, st.NFev, st.NJv, w)
	if ex.Stiffness == nil || !strings.Contains(w, "rodas4") {
		t.Errorf("dopri5: no stiffness reported (%v, %q)", ex.Stiffness, w)
	}
	if st.Stiffness != nil || st.StiffnessWarning() != "" {
		t.Errorf("rodas4 reports stiffness: %+v", st.Stiffness)
	}
	if st.NJv == 0 || 10*(st.NFev+st.NJv) > ex.NFev {
		t.Errorf("rodas4: %d evaluations + %d J·v, dopri5 %d", st.NFev, st.NJv, ex.NFev)
	}
	// w(20) = e^{−20λ_i}: the slowest mode (λ = 1) dominates.
	for k := range times {
		for i := range w0 {
			want := math.Exp(-times[k] * a[i*d+i])
			if e := math.Abs(st.W[k][i] - want); e > 1e-5*math.Max(want, 1e-5) {
				t.Errorf("rodas4: w_%d(%g) = %.8g, want %.8g", i, times[k], st.W[k][i], want)
			}
		}
	}
}

package experiment

import (
	"math"
	"strings"
	"testing"
)

// TestGeometryBlamesV: a non-finite quantity along a given direction v
// blames v when everything at w alone is finite; without a given v (the
// NGD velocity) or for a quantity of w alone, w is blamed.
func TestGeometryBlamesV(t *testing.T) {
	r := &GeometryReport{Loss: 1, LambdaMax: 1, Grad: []float64{1}, NGDVelocity: []float64{1}, V: []float64{1e200},
		HVP: []float64{math.Inf(1)}, ChristoffelVV: []float64{0}, GRDAccel: []float64{0}}
	if err := r.checkFinite(true); err == nil || !strings.Contains(err.Error(), "hvp[0] is +Inf along the direction v") || !strings.Contains(err.Error(), "is v too large") {
		t.Errorf("given v: %v", err)
	}
	if err := r.checkFinite(false); err == nil || !strings.Contains(err.Error(), "is w too large") {
		t.Errorf("no v given: %v", err)
	}
	r.Grad[0] = math.NaN()
	if err := r.checkFinite(true); err == nil || !strings.Contains(err.Error(), "grad[0] is NaN at the evaluation point") {
		t.Errorf("w-only quantity: %v", err)
	}
}

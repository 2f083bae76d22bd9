package experiment

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/scenarios"
	"gonum.org/v1/gonum/mat"
)

// GeometryDenseMaxDim is the largest d for which GeometryAt fills the dense
// diffusion matrix (DESIGN §5: `diffusion` only when d ≤ 512).
const GeometryDenseMaxDim = 512

// GeometryReport is the diffusion geometry of a scenario's model at one
// point w along one direction v: what `grd geometry` prints (DESIGN §5).
// The JSON keys are part of the user-facing contract.
type GeometryReport struct {
	// Dim is d, the number of weights; Samples is N.
	Dim     int `json:"dim"`
	Samples int `json:"samples"`
	// Loss is f(w) and Grad = ∇f(w).
	Loss float64   `json:"loss"`
	Grad []float64 `json:"grad"`
	// LambdaMax is λ_max(D(w)) at the evaluation point w (0 when the spread
	// of the per-sample gradients is at rounding level, as for ε).
	LambdaMax float64 `json:"lambda_max"`
	// Epsilon is the scenario's ε, fixed from its w0 by its metric policy
	// (auto: safety/λ_max(D(w0)), or the given number), whatever w is.
	// With metric source cd (rbm), D here and in the metric quantities
	// below (ngd_velocity, christoffel_vv, grd_accel, r0–r2) is the CD
	// metric's (engine.CDMetric), as in a run; loss, grad, lambda_max and
	// diffusion are always those of the exact per-sample gradients.
	Epsilon float64 `json:"epsilon"`
	// Diffusion is the dense D(w) as d rows of d values, nil when
	// d > GeometryDenseMaxDim.
	Diffusion [][]float64 `json:"diffusion,omitempty"`
	// NGDVelocity is −P(w)∇f(w) with P of the scenario's inverse.
	NGDVelocity []float64 `json:"ngd_velocity"`
	// V is the direction: the one given, or NGDVelocity.
	V []float64 `json:"v"`
	// HVP is H(w)v.
	HVP []float64 `json:"hvp"`
	// ChristoffelVV is Γ(v,v) of the scenario's christoffel kind.
	ChristoffelVV []float64 `json:"christoffel_vv"`
	// GRDAccel is the GRD acceleration −H v − Γ(v,v) for velocity v.
	GRDAccel []float64 `json:"grd_accel"`
	// R0, R1, R2 are the (8) residuals of DESIGN §1 with u = v.
	R0 float64 `json:"r0"`
	R1 float64 `json:"r1"`
	R2 float64 `json:"r2"`

	// rbm scenarios only (absent from the JSON of other kinds); see
	// rbm_geometry.go.
	//
	// KL is KL(p_data ‖ p_model(w)), exactly (= loss − H(p_data)).
	KL *float64 `json:"kl,omitempty"`
	// DiffusionCD is the per-sample covariance D_cd(w) of CD-k gradient
	// estimates (engine.Geometry.CDDiffusion with the cd section's k, batch
	// and samples), comparable entry by entry with Diffusion; nil when
	// d > GeometryDenseMaxDim.
	DiffusionCD [][]float64 `json:"diffusion_cd,omitempty"`
	// LambdaMaxCD is λ_max(D_cd(w)).
	LambdaMaxCD *float64 `json:"lambda_max_cd,omitempty"`
}

// GeometryAt evaluates the geometry of the built scenario b at w along v
// (DESIGN §5, `grd geometry`). A nil w means b.W0 and a nil v the NGD
// velocity −P(w)∇f(w). ε comes from the scenario's metric policy at b.W0,
// so it is the ε a run of the scenario would use; a fixed ε with
// ε·λ_max(D(w0)) ≥ 1 is an error. opts configures the engine (nil means
// defaults; results do not depend on the worker count).
//
// Every reported number must be finite (the report is meant for JSON):
// a NaN or infinite value is an error naming the quantity.
//
// It panics if w or v is non-nil with a length other than d.
func GeometryAt(ctx context.Context, b *scenarios.Built, w, v []float64, opts *engine.Options) (*GeometryReport, error) {
	s := b.Scenario
	d, n := b.Model.Dim(), b.Model.Len()
	atW0 := w == nil
	if atW0 {
		w = b.W0
	}
	if len(w) != d {
		panic(fmt.Sprintf("scenarios: GeometryAt: len(w) = %d, want d = %d", len(w), d))
	}
	if v != nil && len(v) != d {
		panic(fmt.Sprintf("scenarios: GeometryAt: len(v) = %d, want d = %d", len(v), d))
	}
	ga, err := newGeometryAt(ctx, b, opts)
	if err != nil {
		return nil, err
	}
	g, gm, met, eps := ga.g, ga.gm, ga.met, ga.met.Epsilon

	r := &GeometryReport{
		Dim: d, Samples: n, Epsilon: eps,
		Grad:          make([]float64, d),
		NGDVelocity:   make([]float64, d),
		HVP:           make([]float64, d),
		ChristoffelVV: make([]float64, d),
		GRDAccel:      make([]float64, d),
	}
	if r.Loss, err = g.LossGrad(ctx, r.Grad, w); err != nil {
		return nil, err
	}
	// Everything else derives from the gradients: stop at the first
	// non-finite value with a message naming it.
	if err := r.checkFinite(false); err != nil {
		return nil, fmt.Errorf("scenarios: %s: %w", s.Name, err)
	}
	// λ_max at w with the same rounding-level rule as ε at w0.
	r.LambdaMax = ga.lam0
	if !atW0 {
		if r.LambdaMax, err = lambdaMaxAt(ctx, g, w); err != nil {
			return nil, err
		}
	}
	if err := r.addDiffusion(ctx, g, w); err != nil {
		return nil, err
	}
	if err := gm.NGDVelocity(ctx, r.NGDVelocity, w, met); err != nil {
		return nil, err
	}
	vGiven := v != nil
	if v == nil {
		v = r.NGDVelocity
	}
	r.V = append([]float64(nil), v...)
	if err := g.HessVec(ctx, r.HVP, w, r.V); err != nil {
		return nil, err
	}
	if err := gm.Christoffel(ctx, r.ChristoffelVV, w, r.V, met.Christoffel, eps); err != nil {
		return nil, err
	}
	if err := gm.Acceleration(ctx, r.GRDAccel, w, r.V, met); err != nil {
		return nil, err
	}
	res, err := gm.Residuals(ctx, w, r.V, met)
	if err != nil {
		return nil, err
	}
	r.R0, r.R1, r.R2 = res.R0, res.R1, res.R2
	if err := r.addRBM(ctx, g, b, w); err != nil { // rbm only (rbm_geometry.go)
		return nil, err
	}
	if err := r.checkFinite(vGiven); err != nil {
		return nil, fmt.Errorf("scenarios: %s: %w", s.Name, err)
	}
	return r, nil
}

// addDiffusion sets r.Diffusion to the dense D(w) when d ≤
// GeometryDenseMaxDim.
func (r *GeometryReport) addDiffusion(ctx context.Context, g *engine.Geometry, w []float64) error {
	d := len(w)
	if d <= GeometryDenseMaxDim {
		var dm mat.SymDense
		if err := g.Diffusion(ctx, &dm, w); err != nil {
			return err
		}
		r.Diffusion = make([][]float64, d)
		for i := range r.Diffusion {
			row := make([]float64, d)
			for j := range row {
				row[j] = dm.At(i, j)
			}
			r.Diffusion[i] = row
		}
	}
	return nil
}

// geometryAt holds what GeometryAt evaluates with: the model's geometry g,
// the metric's geometry gm (g, or for metric source cd the CD metric,
// which gives ε, the NGD velocity, Γ and the residuals), the scenario's
// metric, and λ_max(D(w0)) of the model.
type geometryAt struct {
	g, gm *engine.Geometry
	met   engine.Metric
	lam0  float64
}

// newGeometryAt sets up the geometries of b and resolves its metric: ε by
// the scenario's policy from λ_max(D(w0)) of the metric's geometry, as a
// run does.
func newGeometryAt(ctx context.Context, b *scenarios.Built, opts *engine.Options) (*geometryAt, error) {
	s := b.Scenario
	inv, chr, err := metricKinds(s)
	if err != nil {
		return nil, err
	}
	ga := &geometryAt{g: engine.New(b.Model, opts)}
	ga.gm = ga.g
	if b.CDMetric != nil {
		ga.gm = engine.New(b.CDMetric, opts)
	}
	if ga.lam0, err = lambdaMaxAt(ctx, ga.g, b.W0); err != nil {
		return nil, err
	}
	lamEps := ga.lam0
	if ga.gm != ga.g {
		if lamEps, err = lambdaMaxAt(ctx, ga.gm, b.W0); err != nil {
			return nil, err
		}
	}
	eps, err := s.Epsilon(lamEps) // the scenario's ε policy, errors citing metric.epsilon
	if err != nil {
		return nil, err
	}
	ga.met = engine.Metric{Epsilon: eps, Inverse: inv, Christoffel: chr}
	return ga, nil
}

// checkFinite reports the first NaN or infinite number in r. With vGiven
// (a direction v given by the caller), a non-finite quantity that depends
// on v (v, hvp, christoffel_vv, grd_accel, r0–r2) blames v: those that
// depend on w alone are checked first.
func (r *GeometryReport) checkFinite(vGiven bool) error {
	bad := func(name string, x float64) error {
		base, _, _ := strings.Cut(name, "[")
		if vGiven && slices.Contains([]string{"v", "hvp", "christoffel_vv", "grd_accel", "r0", "r1", "r2"}, base) {
			return fmt.Errorf("geometry: %s is %v along the direction v (want finite values: is v too large for the model? the quantities at w alone are finite)", name, x)
		}
		return fmt.Errorf("geometry: %s is %v at the evaluation point (want finite values: is w too large for the model?)", name, x)
	}
	for _, q := range []struct {
		name string
		x    float64
	}{{"loss", r.Loss}, {"lambda_max", r.LambdaMax}, {"epsilon", r.Epsilon}} {
		if math.IsNaN(q.x) || math.IsInf(q.x, 0) {
			return bad(q.name, q.x)
		}
	}
	for i, row := range r.Diffusion {
		for j, x := range row {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return bad(fmt.Sprintf("diffusion[%d][%d]", i, j), x)
			}
		}
	}
	for _, q := range []struct {
		name string
		x    []float64
	}{{"grad", r.Grad}, {"ngd_velocity", r.NGDVelocity}, {"v", r.V}, {"hvp", r.HVP}, {"christoffel_vv", r.ChristoffelVV}, {"grd_accel", r.GRDAccel}} {
		for i, x := range q.x {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return bad(fmt.Sprintf("%s[%d]", q.name, i), x)
			}
		}
	}
	for _, q := range []struct {
		name string
		x    float64
	}{{"r0", r.R0}, {"r1", r.R1}, {"r2", r.R2}} {
		if math.IsNaN(q.x) || math.IsInf(q.x, 0) {
			return bad(q.name, q.x)
		}
	}
	return nil
}

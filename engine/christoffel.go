package engine

import (
	"context"
	"fmt"

	"github.com/grd-engine/grd/models"
)

// ChristoffelFirst sets dst = Γ(v,v) with the symbols of the first kind,
//
//	Γ(v,v)_k = Σ_ij Γ_{k,ij} v^i v^j = ε [ (1/N) Σ_n q_n g_n − q̄ ∇f ] = Σ_n c_n g_n,
//	q_n = vᵀ H_n v,  c_n = ε (q_n − q̄)/N,
//
// in two passes (one Directional pass for q_n, one weighted-gradient pass)
// and O(d) memory.
func (g *Geometry) ChristoffelFirst(ctx context.Context, dst, w, v []float64, eps float64) error {
	g.checkVec("dst", dst)
	g.checkVec("w", w)
	g.checkVec("v", v)
	if err := models.RequireOrder(g.m, 2, "the Christoffel contraction"); err != nil {
		return err
	}
	return g.christoffelFirst(ctx, dst, w, v, eps, nil)
}

// christoffelFirst sets dst = Γ₁(v,v); if e is non-nil the same
// weighted pass also adds Σ_n e_n H_n v (the fused GRD pass).
func (g *Geometry) christoffelFirst(ctx context.Context, dst, w, v []float64, eps float64, e []float64) error {
	if eps == 0 && e == nil {
		clear(dst)
		return nil
	}
	if err := g.directional(ctx, w, v, false, false, true); err != nil {
		return err
	}
	qbar := meanOf(g.q)
	f := eps / float64(g.n)
	for i, q := range g.q {
		g.c[i] = (q - qbar) * f
	}
	return g.accumulate(ctx, dst, w, v, g.c, e)
}

// Christoffel sets dst = Γ(v,v) of the given kind: the first kind for
// WeakField (the paper's Γ^k_ij ≈ Γ_{k,ij}), and the second kind
// (I + εD)⁻¹ Γ₁(v,v) for Exact.
func (g *Geometry) Christoffel(ctx context.Context, dst, w, v []float64, k Kind, eps float64) error {
	g.checkVec("dst", dst)
	g.checkVec("w", w)
	g.checkVec("v", v)
	if err := models.RequireOrder(g.m, 2, "the Christoffel contraction"); err != nil {
		return err
	}
	return g.christoffel(ctx, dst, w, v, k, eps)
}

func (g *Geometry) christoffel(ctx context.Context, dst, w, v []float64, k Kind, eps float64) error {
	if err := g.christoffelFirst(ctx, dst, w, v, eps, nil); err != nil {
		return err
	}
	switch k {
	case WeakField:
		return nil
	case Exact:
		return g.solveExact(ctx, dst, w, dst, eps)
	}
	panic(fmt.Sprintf("engine: unknown Christoffel kind %d", int(k)))
}

// Acceleration sets dst = a = −H(w)u − Γ(u,u), the right-hand side of
// u̇ in the GRD system, with Γ of kind met.Christoffel. For WeakField it
// costs one Directional pass for q_n and one fused pass Σ c_n g_n + e_n H_n u
// with c_n = ε(q_n − q̄)/N and e_n = 1/N. For Exact it computes Hu and
// Γ₁(u,u) separately and applies (I + εD)⁻¹ to the latter.
func (g *Geometry) Acceleration(ctx context.Context, dst, w, u []float64, met Metric) error {
	g.checkVec("dst", dst)
	g.checkVec("w", w)
	g.checkVec("u", u)
	if err := models.RequireOrder(g.m, 2, "the GRD acceleration"); err != nil {
		return err
	}
	return g.acceleration(ctx, dst, w, u, met)
}

func (g *Geometry) acceleration(ctx context.Context, dst, w, u []float64, met Metric) error {
	switch met.Christoffel {
	case WeakField:
		var err error
		if met.Epsilon == 0 {
			err = g.accumulate(ctx, dst, w, u, nil, g.invN)
		} else {
			err = g.christoffelFirst(ctx, dst, w, u, met.Epsilon, g.invN)
		}
		if err != nil {
			return err
		}
		for i := range dst {
			dst[i] = -dst[i]
		}
		return nil
	case Exact:
		if err := g.christoffel(ctx, dst, w, u, Exact, met.Epsilon); err != nil {
			return err
		}
		hu := g.tB
		if err := g.accumulate(ctx, hu, w, u, nil, g.invN); err != nil {
			return err
		}
		for i := range dst {
			dst[i] = -hu[i] - dst[i]
		}
		return nil
	}
	panic(fmt.Sprintf("engine: unknown Christoffel kind %d", int(met.Christoffel)))
}

// NGDVelocity sets dst = −P(w)∇f(w), the NGD vector field, with P of
// kind met.Inverse.
func (g *Geometry) NGDVelocity(ctx context.Context, dst, w []float64, met Metric) error {
	g.checkVec("dst", dst)
	g.checkVec("w", w)
	return g.ngdVelocity(ctx, dst, w, nil, met)
}

// ngdVelocity computes −P∇f into dst; if grad ≠ nil it holds ∇f(w) already.
func (g *Geometry) ngdVelocity(ctx context.Context, dst, w, grad []float64, met Metric) error {
	if grad == nil {
		grad = g.tC
		if err := g.accumulate(ctx, grad, w, nil, g.invN, nil); err != nil {
			return err
		}
	}
	if err := g.precondition(ctx, dst, w, grad, met.Inverse, met.Epsilon); err != nil {
		return err
	}
	for i := range dst {
		dst[i] = -dst[i]
	}
	return nil
}

// ChristoffelTensor sets dst to the dense tensor of Christoffel symbols of
// the first kind at w,
//
//	Γ_{k,ij} = ε [ (1/N) Σ_n (H_n)_ij (g_n)_k − H_ij (∇f)_k ]
//	         = (ε/N) Σ_n (g_n − ∇f)_k (H_n)_ij,
//
// stored flat with index order dst[(k·d + i)·d + j] = Γ_{k,ij} (the
// lowered index first; symmetric in i, j). It costs d Hessian-vector row
// passes and N·d³ flops and allocates its d³ partials: for validation at
// small d only — never use it to contract (see ChristoffelFirst).
// It panics if len(dst) ≠ d³.
func (g *Geometry) ChristoffelTensor(ctx context.Context, dst, w []float64, eps float64) error {
	d := g.d
	if len(dst) != d*d*d {
		panic(fmt.Sprintf("engine: len(dst) = %d, want d³ = %d", len(dst), d*d*d))
	}
	g.checkVec("w", w)
	if err := models.RequireOrder(g.m, 2, "the Christoffel tensor"); err != nil {
		return err
	}
	mean := g.tE
	if err := g.accumulate(ctx, mean, w, nil, g.invN, nil); err != nil {
		return err
	}
	job := &tensorJob{w: w, mean: mean, d: d} // validation path: may allocate
	if err := g.sum(ctx, job, g.rowC, d*d*d, dst); err != nil {
		return err
	}
	f := eps / float64(g.n)
	for i := range dst {
		dst[i] *= f
	}
	return nil
}

// tensorJob: part[(k·d+i)·d+j] += Σ_n (g_n − mean)_k (H_n)_ij.
type tensorJob struct {
	w, mean []float64
	d       int
}

func (j *tensorJob) do(ws *worker, _, lo, hi int, part []float64) {
	d, m := j.d, hi-lo
	ws.rowsA = grow(ws.rowsA, m*d)
	ws.rowsB = grow(ws.rowsB, m*d)
	ws.vec = grow(ws.vec, d)
	gr, hc, e := ws.rowsA, ws.rowsB, ws.vec
	ws.eval.Grads(gr, j.w, lo, hi)
	for n := 0; n < m; n++ {
		r := gr[n*d : (n+1)*d]
		for k := range r {
			r[k] -= j.mean[k]
		}
	}
	clear(e)
	for col := 0; col < d; col++ {
		e[col] = 1
		ws.eval.HessVecs(hc, j.w, e, lo, hi) // row n = column col of H_n
		e[col] = 0
		for n := 0; n < m; n++ {
			h := hc[n*d : (n+1)*d]
			gn := gr[n*d : (n+1)*d]
			for k, gk := range gn {
				if gk == 0 {
					continue
				}
				base := k * d * d
				for i, hij := range h {
					part[base+i*d+col] += gk * hij
				}
			}
		}
	}
}

// ContractTensor sets dst_k = Σ_ij Γ_{k,ij} v^i v^j for a dense tensor in
// the layout of ChristoffelTensor (gamma[(k·d+i)·d+j]), d = len(v).
// It panics on mismatched lengths.
func ContractTensor(dst, gamma, v []float64) {
	d := len(v)
	if len(dst) != d || len(gamma) != d*d*d {
		panic(fmt.Sprintf("engine: ContractTensor: len(dst) = %d, len(gamma) = %d, want d = %d and d³ = %d", len(dst), len(gamma), d, d*d*d))
	}
	for k := 0; k < d; k++ {
		var s float64
		for i := 0; i < d; i++ {
			row := gamma[(k*d+i)*d : (k*d+i+1)*d]
			var t float64
			for j, gkij := range row {
				t += gkij * v[j]
			}
			s += t * v[i]
		}
		dst[k] = s
	}
}

package integrators

import (
	"errors"
	"fmt"
	"math"
)

// rosTableau is a Rosenbrock method as data, in Hairer & Wanner's
// transformed form (Solving ODEs II, §IV.7, (7.25)), which needs no matrix
// products: with J = ∂F/∂y(t, y), f_t = ∂F/∂t(t, y) and the stage
// increments u_i,
//
//	(I/(γh) − J) u_i = F(t + c_i h, y + Σ_{j<i} a_ij u_j) + Σ_{j<i} (C_ij/h) u_j + h d_i f_t
//	y1  = y + Σ_i m_i u_i
//	err = Σ_i e_i u_i
//
// and the continuous extension
//
//	y(t + θh) = (1−θ) y0 + θ (y1 + (1−θ)(K1 + θ K2)),   K1 = Σ_j h1_j u_j, K2 = Σ_j h2_j u_j.
//
// In the classical form (α_ij, γ_ij, b_i) of the method, Γ = (γ_ij)
// (lower triangular, γ on the diagonal) satisfies Γ⁻¹ = I/γ − C, and
// a = αΓ⁻¹, m = bΓ⁻¹, d_i = Σ_j γ_ij, c_i = Σ_j α_ij (rosenbrock_test.go
// checks the order conditions in that form).
type rosTableau struct {
	gamma float64
	c, d  []float64   // nodes and time-derivative weights, len s
	a, C  [][]float64 // strictly lower triangular: a[i] and C[i] have length i
	m, e  []float64   // solution and error weights, len s
	h1    []float64   // dense output rows over the increments, len s
	h2    []float64
}

// rodas4Tableau is RODAS4 of Hairer & Wanner (Solving ODEs II, §IV.7;
// their code RODAS with METH = 1): six stages, order 4 with an embedded
// order-3 solution, L-stable and stiffly accurate (the last two stages are
// evaluated at t + h on the propagated solution, so y1 is the last stage
// value plus its increment and err = u_6), with a dense output of order 3.
// The coefficients are those of Hairer's rodas.f (subroutine ROCOE,
// METH = 1), as also printed in OrdinaryDiffEq.jl's Rodas4Tableau (a_ij,
// C_ij, c_i, d_i, and h21…h25, h31…h35 for the dense output rows h1, h2
// here); TestRosenbrockOrderConditions checks them.
func rodas4Tableau() *rosTableau {
	a51, a52, a53, a54 := 1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950
	return &rosTableau{
		gamma: 0.25,
		c:     []float64{0, 0.386, 0.21, 0.63, 1, 1},
		d:     []float64{0.25, -0.1043, 0.1035, -0.03620000000000023, 0, 0},
		a: [][]float64{
			{},
			{1.544},
			{0.9466785280815826, 0.2557011698983284},
			{3.314825187068521, 2.896124015972201, 0.9986419139977817},
			{a51, a52, a53, a54},
			{a51, a52, a53, a54, 1},
		},
		C: [][]float64{
			{},
			{-5.6688},
			{-2.430093356833875, -0.2063599157091915},
			{-0.1073529058151375, -9.594562251023355, -20.47028614809616},
			{7.496443313967647, -10.24680431464352, -33.99990352819905, 11.70890893206160},
			{8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136, -6.058818238834054},
		},
		m:  []float64{a51, a52, a53, a54, 1, 1},
		e:  []float64{0, 0, 0, 0, 0, 1},
		h1: []float64{10.12623508344586, -7.487995877610167, -34.80091861555747, -7.992771707568823, 1.025137723295662, 0},
		h2: []float64{-0.6762803392801253, 6.087714651680015, 16.43084320892478, 24.76722511418386, -6.594389125716872, 0},
	}
}

// tableauRodas4 is the driver's view of rodas4: one "stage" slot for
// F(t, y) and one for the end derivative, so that the driver's k[0]
// holds F(t, y) at the start of every step. The Rosenbrock stepper does
// the rest.
func tableauRodas4() *Tableau {
	return &Tableau{Name: "rodas4", C: []float64{0}, A: [][]float64{{}}, B: []float64{1}, E: []float64{0},
		Order: 4, ErrOrder: 4, DenseOrder: 3}
}

// ErrLinearSolve is wrapped by the error of a run that ended because the
// linear systems of a stiff method could not be solved (a singular
// iteration matrix I/(γh) − J, or GMRES not converging, for several step
// sizes in a row).
var ErrLinearSolve = errors.New("linear solve failed")

// maxLinFail consecutive attempts whose linear systems fail end the run
// with status LinearSolveFailed; each such attempt halves the step.
const maxLinFail = 5

// rosenbrock is one run's Rosenbrock stepper: the tableau, the Jacobian
// (dense or as J·v), the linear solver and the stage vectors, all
// allocated once.
type rosenbrock struct {
	tb   *rosTableau
	p    Problem
	kr   *kernel // F, the evaluation counter, k[0] = F(t, y), ytmp
	n    int
	norm ErrorNorm

	u         [][]float64 // stage increments
	rhs, ft   []float64   // right-hand side; ∂F/∂t
	k1, k2    []float64   // dense output vectors
	flast     []float64   // F at the last stage (auto's test only)
	jacOK     bool        // J and f_t are those of the current (t, y)
	linFail   int         // consecutive attempts failed by the linear solver
	lastError error       // why the last attempt failed (nil if it did not)

	lin linearSolver

	njac, njv, ndecomp, nsolve, nkrylov int
}

// linearSolver solves (fac·I − J) x = b for the Jacobian J at the point
// set by linearise.
type linearSolver interface {
	// linearise evaluates the Jacobian at (t, y), f0 = F(t, y).
	linearise(r *rosenbrock, t float64, y, f0 []float64) error
	// solve writes the solution into x (b is preserved).
	solve(r *rosenbrock, fac float64, b, x []float64) error
}

func newRosenbrock(tb *rosTableau, kr *kernel, p Problem, norm ErrorNorm, krylov bool) *rosenbrock {
	n := len(p.Y0)
	s := len(tb.m)
	back := make([]float64, (s+4)*n)
	next := func() []float64 {
		v := back[:n:n]
		back = back[n:]
		return v
	}
	r := &rosenbrock{tb: tb, p: p, kr: kr, n: n, norm: norm}
	r.u = make([][]float64, s)
	for i := range r.u {
		r.u[i] = next()
	}
	r.rhs, r.ft, r.k1, r.k2 = next(), next(), next(), next()
	if krylov {
		r.lin = newKrylov(n)
	} else {
		r.lin = newDenseLU(n)
	}
	return r
}

// stepRos is the kernel step of a Rosenbrock method (Method.fast).
func stepRos(kr *kernel, t, h, tEnd float64, y, y1 []float64, withErr bool) float64 {
	return kr.ros.step(t, h, tEnd, y, y1, withErr)
}

// step takes one Rosenbrock step of size h from (t, y); kr.k[0] = F(t, y).
// A failed linear solve (or a non-finite Jacobian) sets r.lastError and
// returns +Inf, so that the driver rejects the attempt.
func (r *rosenbrock) step(t, h, tEnd float64, y, y1 []float64, withErr bool) float64 {
	tb, kr := r.tb, r.kr
	f0 := kr.k[0]
	r.lastError = nil
	if !r.jacOK {
		if err := r.linearise(t, y, f0); err != nil {
			// Not cured by a smaller step: end the run now.
			r.linFail = maxLinFail - 1
			return r.failed(err)
		}
	}
	fac := 1 / (tb.gamma * h)
	yt := kr.ytmp
	for i := range tb.m {
		rhs := r.rhs
		if i == 0 {
			copy(rhs, f0)
		} else {
			copy(yt, y)
			for j, a := range tb.a[i] {
				axpy(yt, a, r.u[j])
			}
			ti := t + tb.c[i]*h
			if tb.c[i] == 1 {
				ti = tEnd
			}
			kr.f(ti, yt, rhs)
			kr.nfev++
			if r.flast != nil && i == len(tb.m)-1 {
				copy(r.flast, rhs)
			}
			for j, c := range tb.C[i] {
				axpy(rhs, c/h, r.u[j])
			}
		}
		if tb.d[i] != 0 && !r.p.Autonomous {
			axpy(rhs, h*tb.d[i], r.ft)
		}
		if err := r.lin.solve(r, fac, rhs, r.u[i]); err != nil {
			return r.failed(err)
		}
		r.nsolve++
	}
	copy(y1, y)
	for j, m := range tb.m {
		axpy(y1, m, r.u[j])
	}
	r.linFail = 0
	if !withErr {
		return 0
	}
	e := r.rhs
	clear(e)
	for j, w := range tb.e {
		if w != 0 {
			axpy(e, w, r.u[j])
		}
	}
	return r.norm.Norm(e, y, y1)
}

func (r *rosenbrock) failed(err error) float64 {
	r.lastError = err
	r.linFail++
	return math.Inf(1)
}

// linearise evaluates J (through the linear solver) and, for a
// non-autonomous problem, f_t by a forward difference in t with Hairer's
// step sqrt(ε·max(1e-5, |t|)).
func (r *rosenbrock) linearise(t float64, y, f0 []float64) error {
	r.njac++
	if err := r.lin.linearise(r, t, y, f0); err != nil {
		return err
	}
	if !r.p.Autonomous {
		dt := math.Sqrt(epsilon * math.Max(1e-5, math.Abs(t)))
		dt = (t + dt) - t
		r.kr.f(t+dt, y, r.ft)
		r.kr.nfev++
		for i, v := range r.ft {
			r.ft[i] = (v - f0[i]) / dt
		}
		if !allFinite(r.ft) {
			return fmt.Errorf("∂F/∂t is not finite at t=%g", t)
		}
	}
	r.jacOK = true
	return nil
}

// jv writes J·v at the linearisation point (t, y), f0 = F(t, y): the
// problem's JV, or the directional difference (F(t, y + εv) − f0)/ε with
// ε = sqrt(ε_mach)(1 + ‖y‖₂)/‖v‖₂ (Knoll & Keyes, J. Comput. Phys. 193,
// 2004, §2.2), using tmp as scratch.
func (r *rosenbrock) jv(t float64, y, f0, v, dst, tmp []float64) {
	r.njv++
	if r.p.JV != nil {
		r.p.JV(t, y, v, dst)
		return
	}
	var ny, nv float64
	for i := range v {
		ny += y[i] * y[i]
		nv += v[i] * v[i]
	}
	if nv == 0 {
		clear(dst)
		return
	}
	eps := math.Sqrt(epsilon) * (1 + math.Sqrt(ny)) / math.Sqrt(nv)
	for i := range tmp {
		tmp[i] = y[i] + eps*v[i]
	}
	r.kr.f(t, tmp, dst)
	r.kr.nfev++
	for i := range dst {
		dst[i] = (dst[i] - f0[i]) / eps
	}
}

// prepareDense computes the dense output vectors of the last step.
func (r *rosenbrock) prepareDense() {
	clear(r.k1)
	clear(r.k2)
	for j, u := range r.u {
		if c := r.tb.h1[j]; c != 0 {
			axpy(r.k1, c, u)
		}
		if c := r.tb.h2[j]; c != 0 {
			axpy(r.k2, c, u)
		}
	}
}

// interpolate writes (1−θ) y0 + θ (y1 + (1−θ)(K1 + θ K2)) into dst.
func (r *rosenbrock) interpolate(dst []float64, theta float64, y0, y1 []float64) {
	s := 1 - theta
	for i := range dst {
		dst[i] = s*y0[i] + theta*(y1[i]+s*(r.k1[i]+theta*r.k2[i]))
	}
}

// axpy sets y += a·x.
func axpy(y []float64, a float64, x []float64) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}

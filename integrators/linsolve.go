package integrators

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// denseLU solves (fac·I − J) x = b with a dense Jacobian and LAPACK's LU
// with partial pivoting (gonum lapack64 Getrf/Getrs, which allocate
// nothing). The factorisation is kept while fac and J are unchanged (a
// rejected step changes fac; an accepted one J).
type denseLU struct {
	n      int
	jac    []float64 // J, row-major
	lu     []float64 // LU factors of fac·I − J
	ipiv   []int
	fac    float64 // fac of the factors in lu; 0 if none
	col, w []float64
}

func newDenseLU(n int) *denseLU {
	return &denseLU{n: n, jac: make([]float64, n*n), lu: make([]float64, n*n), ipiv: make([]int, n),
		col: make([]float64, n), w: make([]float64, n)}
}

// linearise fills J: the problem's Jac, else n products J·e_j (JV or
// column differences of F with Hairer's increment sqrt(ε·max(1e-5, |y_j|))).
func (d *denseLU) linearise(r *rosenbrock, t float64, y, f0 []float64) error {
	n := d.n
	d.fac = 0
	switch {
	case r.p.Jac != nil:
		r.p.Jac(t, y, d.jac)
	case r.p.JV != nil:
		e := d.w
		clear(e)
		for j := 0; j < n; j++ {
			e[j] = 1
			r.jv(t, y, f0, e, d.col, nil)
			e[j] = 0
			for i := 0; i < n; i++ {
				d.jac[i*n+j] = d.col[i]
			}
		}
	default:
		yp := d.w
		copy(yp, y)
		for j := 0; j < n; j++ {
			yj := y[j]
			delta := math.Sqrt(epsilon * math.Max(1e-5, math.Abs(yj)))
			yp[j] = yj + delta
			delta = yp[j] - yj
			r.kr.f(t, yp, d.col)
			r.kr.nfev++
			yp[j] = yj
			for i := 0; i < n; i++ {
				d.jac[i*n+j] = (d.col[i] - f0[i]) / delta
			}
		}
	}
	if !allFinite(d.jac) {
		return fmt.Errorf("the Jacobian ∂F/∂y is not finite at t=%g", t)
	}
	return nil
}

func (d *denseLU) solve(r *rosenbrock, fac float64, b, x []float64) error {
	n := d.n
	if d.fac != fac {
		for i, v := range d.jac {
			d.lu[i] = -v
		}
		for i := 0; i < n; i++ {
			d.lu[i*n+i] += fac
		}
		r.ndecomp++
		if !lapack64.Getrf(blas64.General{Rows: n, Cols: n, Stride: n, Data: d.lu}, d.ipiv) {
			d.fac = 0
			return fmt.Errorf("the matrix I/(γh) − ∂F/∂y is singular for h=%g", 1/(r.tb.gamma*fac))
		}
		d.fac = fac
	}
	copy(x, b)
	lapack64.Getrs(blas.NoTrans, blas64.General{Rows: n, Cols: n, Stride: n, Data: d.lu},
		blas64.General{Rows: n, Cols: 1, Stride: 1, Data: x}, d.ipiv)
	return nil
}

// krylov solves (fac·I − J) x = b matrix-free by restarted GMRES(m) on J·v
// products, in variables scaled by the error weights sc_i = ATol +
// RTol·|y_i| at the step's start: with S = diag(sc) it solves
// (fac·I − S⁻¹JS) x̂ = S⁻¹b, x = S x̂, so that the residual GMRES minimises
// is measured in the units of the error test. It stops when the RMS of
// the scaled residual is at most krylovTol·fac: for a dissipative J,
// ‖(fac·I − J)⁻¹‖ ≤ 1/fac, so the error of x is then below krylovTol in
// the error norm, far below the tolerance of a step (1).
type krylov struct {
	n, m    int
	t       float64
	y, f0   []float64 // linearisation point (views of the driver's vectors)
	sc      []float64 // error weights
	v       [][]float64
	hess    []float64 // (m+1)×m Hessenberg, row-major
	cs, sn  []float64
	g       []float64
	w, tmp  []float64
	maxIter int
}

const (
	krylovTol     = 1e-3
	krylovRestart = 30
	// krylovMaxIter bounds the GMRES iterations of one solve; a solve that
	// needs more fails, the step is halved (maxLinFail times at most).
	krylovMaxIter = 300
)

func newKrylov(n int) *krylov {
	m := min(n, krylovRestart)
	k := &krylov{n: n, m: m, sc: make([]float64, n), hess: make([]float64, (m+1)*m),
		cs: make([]float64, m), sn: make([]float64, m), g: make([]float64, m+1),
		w: make([]float64, n), tmp: make([]float64, n), maxIter: krylovMaxIter}
	k.v = make([][]float64, m+1)
	back := make([]float64, (m+1)*n)
	for i := range k.v {
		k.v[i] = back[i*n : (i+1)*n : (i+1)*n]
	}
	return k
}

func (k *krylov) linearise(r *rosenbrock, t float64, y, f0 []float64) error {
	k.t, k.y, k.f0 = t, y, f0
	for i, v := range y {
		k.sc[i] = r.norm.ATol + r.norm.RTol*math.Abs(v)
	}
	return nil
}

// apply writes (fac·I − S⁻¹JS) x into dst.
func (k *krylov) apply(r *rosenbrock, fac float64, x, dst []float64) {
	for i, v := range x {
		k.w[i] = k.sc[i] * v
	}
	r.jv(k.t, k.y, k.f0, k.w, dst, k.tmp)
	for i, v := range dst {
		dst[i] = fac*x[i] - v/k.sc[i]
	}
}

func (k *krylov) solve(r *rosenbrock, fac float64, b, x []float64) error {
	n := k.n
	clear(x) // x̂, scaled
	tol := krylovTol * fac * math.Sqrt(float64(n))
	if fac < 0 {
		tol = -tol
	}
	iters := 0
	var res float64
	for {
		// r0 = S⁻¹b − Â x̂
		v0 := k.v[0]
		if iters == 0 {
			for i := range v0 {
				v0[i] = b[i] / k.sc[i]
			}
		} else {
			k.apply(r, fac, x, v0)
			for i := range v0 {
				v0[i] = b[i]/k.sc[i] - v0[i]
			}
		}
		beta := nrm2(v0)
		res = beta
		if beta <= tol {
			break
		}
		if iters >= k.maxIter {
			return fmt.Errorf("GMRES did not converge in %d iterations (scaled residual %.3g, wanted ≤ %.3g) for h=%g",
				iters, res/math.Sqrt(float64(n)), tol/math.Sqrt(float64(n)), 1/(r.tb.gamma*fac))
		}
		scal(v0, 1/beta)
		clear(k.g)
		k.g[0] = beta
		var j int
		j, iters, res = k.arnoldi(r, fac, iters, tol, res)
		if err := k.update(r, fac, j, x); err != nil {
			return err
		}
		if res <= tol {
			break
		}
	}
	for i := range x {
		x[i] *= k.sc[i]
	}
	if !allFinite(x) {
		return fmt.Errorf("GMRES produced a non-finite solution for h=%g", 1/(r.tb.gamma*fac))
	}
	return nil
}

func dot(x, y []float64) float64 {
	y = y[:len(x)]
	var s float64
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

func nrm2(x []float64) float64 { return math.Sqrt(dot(x, x)) }

func scal(x []float64, a float64) {
	for i := range x {
		x[i] *= a
	}
}

// arnoldi runs one GMRES cycle from the normalised residual in v[0]: up
// to m Arnoldi steps (modified Gram–Schmidt), each followed by the Givens
// rotations that keep the least-squares residual in g. It returns the
// number of basis vectors j, the iteration count so far and the residual
// estimate |g[j]| (res, the cycle's starting residual, if no step ran).
func (k *krylov) arnoldi(r *rosenbrock, fac float64, iters int, tol, res float64) (j, itersOut int, resOut float64) {
	m := k.m
	for ; j < m && iters < k.maxIter; j++ {
		iters++
		r.nkrylov++
		w := k.v[j+1]
		k.apply(r, fac, k.v[j], w)
		// Modified Gram–Schmidt.
		for i := 0; i <= j; i++ {
			hij := dot(w, k.v[i])
			k.hess[i*m+j] = hij
			axpy(w, -hij, k.v[i])
		}
		hn := nrm2(w)
		k.hess[(j+1)*m+j] = hn
		if hn != 0 {
			scal(w, 1/hn)
		}
		// Apply the previous Givens rotations, then a new one.
		for i := 0; i < j; i++ {
			a, c := k.hess[i*m+j], k.hess[(i+1)*m+j]
			k.hess[i*m+j] = k.cs[i]*a + k.sn[i]*c
			k.hess[(i+1)*m+j] = -k.sn[i]*a + k.cs[i]*c
		}
		a, c := k.hess[j*m+j], k.hess[(j+1)*m+j]
		rr := math.Hypot(a, c)
		if rr == 0 {
			k.cs[j], k.sn[j] = 1, 0
		} else {
			k.cs[j], k.sn[j] = a/rr, c/rr
		}
		k.hess[j*m+j] = rr
		k.hess[(j+1)*m+j] = 0
		k.g[j+1] = -k.sn[j] * k.g[j]
		k.g[j] = k.cs[j] * k.g[j]
		res = math.Abs(k.g[j+1])
		if res <= tol || hn == 0 {
			j++
			break
		}
	}
	return j, iters, res
}

// update solves the j×j triangular system of the cycle by back
// substitution (the coefficients y, in g) and adds V y to x̂.
func (k *krylov) update(r *rosenbrock, fac float64, j int, x []float64) error {
	m := k.m
	for i := j - 1; i >= 0; i-- {
		s := k.g[i]
		for l := i + 1; l < j; l++ {
			s -= k.hess[i*m+l] * k.g[l]
		}
		if k.hess[i*m+i] == 0 {
			return fmt.Errorf("GMRES broke down (singular Hessenberg matrix) for h=%g", 1/(r.tb.gamma*fac))
		}
		k.g[i] = s / k.hess[i*m+i]
	}
	for i := 0; i < j; i++ {
		axpy(x, k.g[i], k.v[i])
	}
	return nil
}

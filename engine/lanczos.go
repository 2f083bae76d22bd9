package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// LanczosResult reports a matrix-free λ_max(D) computation.
type LanczosResult struct {
	// Value is the top Ritz value θ_max, the estimate of λ_max(D).
	Value float64
	// Residual is ‖D y − θ_max y‖ for the top Ritz vector y (unit norm);
	// it bounds |λ_max − θ_max| (D is symmetric).
	Residual float64
	// Iterations is the dimension of the Krylov space built
	// (= the number of D·v products).
	Iterations int
}

// lanczos holds the Krylov basis, reused across calls.
type lanczos struct {
	basis []float64 // k×d, row j = v_j
	alpha []float64
	beta  []float64
}

// lanczosSeed seeds the start vector: a fixed seed keeps λ_max, and with
// it ε, reproducible run to run.
const lanczosSeed = 0x5eed_1a4c_205

// LambdaMax returns λ_max(D(w)) to relative accuracy Options.LanczosTol
// (default 1e-10): the dense eigensolver when d ≤ Options.DenseMaxDim,
// Lanczos otherwise.
func (g *Geometry) LambdaMax(ctx context.Context, w []float64) (float64, error) {
	if g.d <= g.opt.DenseMaxDim {
		return g.LambdaMaxDense(ctx, w)
	}
	res, err := g.LambdaMaxLanczos(ctx, w)
	return res.Value, err
}

// LambdaMaxDense returns the largest eigenvalue of the dense D(w) computed
// by gonum's mat.EigenSym (values only). It costs O(N·d² + d³).
func (g *Geometry) LambdaMaxDense(ctx context.Context, w []float64) (float64, error) {
	var dm mat.SymDense
	if err := g.Diffusion(ctx, &dm, w); err != nil {
		return 0, err
	}
	var es mat.EigenSym
	if !es.Factorize(&dm, false) {
		return 0, errorf(ErrNotConverged, "dense eigensolver did not converge on the %d×%d diffusion matrix", g.d, g.d)
	}
	vals := es.Values(nil)
	return max(vals[len(vals)-1], 0), nil
}

// LambdaMaxLanczos estimates λ_max(D(w)) matrix-free by the Lanczos
// iteration with full reorthogonalisation (classical Gram–Schmidt applied
// twice), from a seeded random start vector. Each iteration costs one D·v
// (two passes) and O(k·d) for the reorthogonalisation; the k basis vectors
// are kept (k·d memory). It stops when the top Ritz pair's residual
// β_k|y_k| is at most Options.LanczosTol·θ_max, or when the Krylov space is
// invariant (then θ_max is exact up to rounding). Not reaching the
// tolerance within Options.LanczosMaxIter iterations is an error that
// still returns the best estimate.
//
// λ_max is returned as 0 when D(w)v vanishes on the whole Krylov space
// (all per-sample gradients equal).
func (g *Geometry) LambdaMaxLanczos(ctx context.Context, w []float64) (LanczosResult, error) {
	return g.lanczos(ctx, w, nil, g.opt.LanczosTol, g.opt.LanczosMaxIter)
}

// LambdaMaxFrom returns λ_max(D(w)) as LambdaMax does (in Value; for
// d ≤ DenseMaxDim the other fields are 0), warm-started: when
// d > Options.DenseMaxDim and start is not all zeros, Lanczos starts from
// start instead of the seeded random vector, and on return start holds the
// top Ritz vector (unit norm), the warm start for the next call. A flow
// that monitors λ_max along its path passes the previous output's vector:
// D(w) changes little between outputs, so the iteration starts near the
// top eigenvector and needs far fewer D·v products. The result satisfies
// the same stopping test (residual ≤ Options.LanczosTol·θ_max), so it
// agrees with the cold start to that relative accuracy; the last bits
// differ. start has length d; a zero start means a cold start (and is
// then filled). For d ≤ DenseMaxDim the dense eigensolver is used and
// start is left as it is.
func (g *Geometry) LambdaMaxFrom(ctx context.Context, w, start []float64) (LanczosResult, error) {
	return g.LambdaMaxFromTol(ctx, w, start, g.opt.LanczosTol)
}

// LambdaMaxFromTol is LambdaMaxFrom with the relative tolerance tol in
// place of Options.LanczosTol (tol > 0; the dense eigensolver, used for
// d ≤ DenseMaxDim, ignores it). A flow's ε·λ_max monitor uses a loose
// tol after t_0: the stopping test residual ≤ tol·θ_max bounds the
// distance from θ_max to an eigenvalue of D by tol·θ_max, and from a
// warm start near the top eigenvector that eigenvalue is λ_max, so the
// monitor's value is good to about tol relative, in a few D·v products.
func (g *Geometry) LambdaMaxFromTol(ctx context.Context, w, start []float64, tol float64) (LanczosResult, error) {
	g.checkVec("start", start)
	if !(tol > 0) {
		panic(fmt.Sprintf("engine: LambdaMaxFromTol: tolerance %g, want > 0", tol))
	}
	if g.d <= g.opt.DenseMaxDim {
		v, err := g.LambdaMaxDense(ctx, w)
		return LanczosResult{Value: v}, err
	}
	return g.lanczos(ctx, w, start, tol, g.opt.LanczosMaxIter)
}

// LambdaMaxWithin is LambdaMaxFromTol spending at most passes sweeps over
// the samples (Passes): Lanczos stops after ⌊passes/2⌋ D·v products, the
// dense eigensolver (d ≤ DenseMaxDim) needs 2 passes. When the budget ends
// before the tolerance is met it returns an error wrapping
// ErrBudget (and ErrNotConverged) with the estimate so far: its Value, the
// top Ritz value, is a lower bound on λ_max(D(w)) (Cauchy interlacing: a
// Ritz value of a symmetric matrix never exceeds its largest eigenvalue),
// and start holds its Ritz vector. A budget below one D·v returns the
// zero result and that error at once. A flow's ε·λ_max monitor uses it to
// keep its diagnostics within their share of the run (flow.Monitor).
func (g *Geometry) LambdaMaxWithin(ctx context.Context, w, start []float64, tol float64, passes int64) (LanczosResult, error) {
	g.checkVec("start", start)
	if !(tol > 0) {
		panic(fmt.Sprintf("engine: LambdaMaxWithin: tolerance %g, want > 0", tol))
	}
	if passes < 2 {
		return LanczosResult{}, fmt.Errorf("engine: λ_max(D): a budget of %d passes is below one D·v (2): %w", passes, ErrBudget)
	}
	if g.d <= g.opt.DenseMaxDim {
		v, err := g.LambdaMaxDense(ctx, w)
		return LanczosResult{Value: v}, err
	}
	it := int(min(passes/2, int64(g.opt.LanczosMaxIter)))
	res, err := g.lanczos(ctx, w, start, tol, it)
	if err != nil && errors.Is(err, ErrNotConverged) && it < g.opt.LanczosMaxIter && res.Iterations == it {
		err = fmt.Errorf("engine: λ_max(D): %d passes spent before the relative residual %g reached %g (θ_max = %g): %w",
			2*it, res.Residual/math.Max(res.Value, 1e-300), tol, res.Value, ErrBudget)
	}
	return res, err
}

// LambdaMaxIsDense reports whether LambdaMax and its variants use the
// dense eigensolver (d ≤ Options.DenseMaxDim: two passes, exact to
// rounding) rather than Lanczos (two passes per iteration).
func (g *Geometry) LambdaMaxIsDense() bool { return g.d <= g.opt.DenseMaxDim }

// ErrBudget marks a λ_max computation stopped by its pass budget
// (LambdaMaxWithin); it also matches ErrNotConverged.
var ErrBudget = fmt.Errorf("pass budget spent: %w", ErrNotConverged)

// lanczos is LambdaMaxLanczos from start (nil or zero: the seeded random
// vector) to the relative tolerance tol in at most iter iterations; a
// non-nil start receives the top Ritz vector.
func (g *Geometry) lanczos(ctx context.Context, w, start []float64, tol float64, iter int) (LanczosResult, error) {
	g.checkVec("w", w)
	d := g.d
	maxIter := min(iter, d, g.n+1)
	lz := &g.lz
	lz.alpha = lz.alpha[:0]
	lz.beta = lz.beta[:0]

	lz.basis = grow(lz.basis, d)
	v0 := lz.basis[:d]
	if nrm := floats.Norm(start, 2); start != nil && nrm > 0 && !math.IsInf(nrm, 0) && !math.IsNaN(nrm) {
		floats.ScaleTo(v0, 1/nrm, start)
	} else {
		rng := rand.New(rand.NewPCG(lanczosSeed, uint64(d)))
		for i := range v0 {
			v0[i] = rng.NormFloat64()
		}
		floats.Scale(1/floats.Norm(v0, 2), v0)
	}
	ritz := func(vecs *mat.Dense, k int) {
		if start == nil {
			return
		}
		clear(start)
		for i := range k {
			floats.AddScaled(start, vecs.At(i, k-1), lz.basis[i*d:(i+1)*d])
		}
	}

	wv := g.tA
	var res LanczosResult
	var tri mat.SymDense
	var es mat.EigenSym
	for j := 0; j < maxIter; j++ {
		vj := lz.basis[j*d : (j+1)*d]
		if err := g.diffusionVec(ctx, wv, w, vj); err != nil {
			return res, err
		}
		a := floats.Dot(vj, wv)
		lz.alpha = append(lz.alpha, a)
		// Full reorthogonalisation against v_0..v_j, twice.
		for pass := 0; pass < 2; pass++ {
			for i := 0; i <= j; i++ {
				vi := lz.basis[i*d : (i+1)*d]
				floats.AddScaled(wv, -floats.Dot(vi, wv), vi)
			}
		}
		b := floats.Norm(wv, 2)
		k := j + 1

		// Ritz values of the k×k tridiagonal T.
		tri.Reset()
		tri.ReuseAsSym(k)
		for i := 0; i < k; i++ {
			tri.SetSym(i, i, lz.alpha[i])
			if i+1 < k {
				tri.SetSym(i, i+1, lz.beta[i])
			}
		}
		if !es.Factorize(&tri, true) {
			return res, errorf(ErrNotConverged, "Lanczos: eigensolver failed on the %d×%d tridiagonal matrix", k, k)
		}
		vals := es.Values(nil)
		var vecs mat.Dense
		es.VectorsTo(&vecs)
		theta := vals[k-1]
		res = LanczosResult{Value: max(theta, 0), Residual: b * math.Abs(vecs.At(k-1, k-1)), Iterations: k}

		scale := math.Max(math.Abs(theta), math.Abs(a))
		invariant := b <= 1e-14*scale || b == 0
		if res.Residual <= tol*math.Abs(theta) || invariant {
			ritz(&vecs, k)
			return res, nil
		}
		if k == maxIter {
			ritz(&vecs, k)
			break
		}
		lz.beta = append(lz.beta, b)
		lz.basis = growKeep(lz.basis, (k+1)*d)
		floats.ScaleTo(lz.basis[k*d:(k+1)*d], 1/b, wv)
	}
	return res, errorf(ErrNotConverged, "Lanczos did not reach relative accuracy %g for λ_max(D) in %d iterations (θ_max = %g, residual %g); raise Options.LanczosMaxIter",
		tol, res.Iterations, res.Value, res.Residual)
}

// growKeep returns buf resized to n, keeping its contents.
func growKeep(buf []float64, n int) []float64 {
	if cap(buf) >= n {
		return buf[:n]
	}
	nb := make([]float64, n, max(n, 2*cap(buf)))
	copy(nb, buf)
	return nb
}

package engine

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/grd-engine/grd/models"
	"gonum.org/v1/gonum/floats"
)

// unitRoundoff is u = 2⁻⁵³ of float64.
const unitRoundoff = 0x1p-53

// twoPassM2 returns the reference Σ‖x_n − x̄‖² over all rows by the two-pass
// formula (the mean first, summed row by row), and κ² = Σ‖x_n‖²/M₂, the
// condition number of the sum of squares (Chan and Lewis 1979).
func twoPassM2(x [][]float64) (m2, kappa float64) {
	d := len(x[0])
	mean := make([]float64, d)
	for _, r := range x {
		floats.Add(mean, r)
	}
	floats.Scale(1/float64(len(x)), mean)
	var s2 float64
	for _, r := range x {
		for i, v := range r {
			t := v - mean[i]
			m2 += t * t
			s2 += v * v
		}
	}
	return m2, math.Sqrt(s2 / math.Max(m2, 1e-300))
}

// spreadTol is the relative tolerance within which the fused spread
// sqrt(M₂/N) (chunk two-pass, chunks combined by Chan's update: relative
// error of M₂ ≲ (N+4)·u·κ) and the two-pass reference (≲ (N+3)·u +
// (N·u·κ)²) agree: the sum of the two bounds, halved by the square root,
// times 2 for the terms the bounds leave out.
func spreadTol(n int, kappa float64) float64 {
	nu := float64(n+4) * unitRoundoff
	return 2 * (nu*kappa + nu + nu*nu*kappa*kappa)
}

// TestResidualsFused checks the fused passes of Residuals against the
// separate two-pass computation they replace (per-sample rows from the
// evaluator one sample at a time, means over all samples first): R0 and
// the exact-inverse NGD defect bit for bit, R1 and R2 to spreadTol, the
// acceleration a the fused pass forms and the weak-field NGD defect to
// the rounding bound of their sums. Many small chunks exercise the
// chunk combination; ResidualsGrad with LossGrad's ∇f must give
// Residuals' bits (LossGrad's ∇f is Grad's, its loss Loss's).
func TestResidualsFused(t *testing.T) {
	for _, tc := range testCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			m, w, u := tc.m, tc.w, tc.u
			n, d := m.Len(), m.Dim()
			eps := autoEps(t, m, w)
			nd := float64(n+d) * unitRoundoff
			for _, met := range []Metric{{Epsilon: eps}, {Epsilon: eps, Inverse: Exact, Christoffel: Exact}} {
				g := New(m, &Options{Workers: 2, Chunk: 3, RowBytes: 8 * d * 2})
				res, err := g.Residuals(ctx, w, u, met)
				if err != nil {
					t.Fatal(err)
				}
				aF := append([]float64(nil), g.tA...) // the fused pass's a
				grad := make([]float64, d)
				f, err := g.LossGrad(ctx, grad, w)
				if err != nil {
					t.Fatal(err)
				}
				// LossGrad (one sweep, models.LossAccumulator) has Loss's bits.
				if f0, err := g.Loss(ctx, w); err != nil || f0 != f {
					t.Errorf("LossGrad's loss %.17g, Loss %.17g (%v)", f, f0, err)
				}
				res2, err := g.ResidualsGrad(ctx, w, u, grad, met)
				if err != nil {
					t.Fatal(err)
				}
				if res2 != res {
					t.Errorf("%v: ResidualsGrad with LossGrad's ∇f %+v, Residuals %+v", met, res2, res)
				}

				// R0: TraceDiffusion's loop and chunks, the same bits.
				tr, err := g.TraceDiffusion(ctx, w)
				if err != nil {
					t.Fatal(err)
				}
				if r0 := math.Sqrt(tr); res.R0 != r0 {
					t.Errorf("%v: R0 = %.17g, separate pass %.17g", met, res.R0, r0)
				}

				ev := m.NewEvaluator(1)
				G := perSampleGrads(m, w)
				H := make([][]float64, n)
				Q := make([]float64, n)
				var hAbs float64
				for i := range n {
					H[i] = make([]float64, d)
					ev.HessVecs(H[i], w, u, i, i+1)
					Q[i] = floats.Dot(u, H[i])
					hAbs += floats.Norm(H[i], 2)
				}
				m2, k := twoPassM2(H)
				if r1 := math.Sqrt(m2 / float64(n)); math.Abs(res.R1-r1) > spreadTol(n, k)*r1 {
					t.Errorf("%v: R1 = %.17g, two-pass %.17g (κ = %.3g): rel. diff %.3g > %.3g", met, res.R1, r1, k, math.Abs(res.R1-r1)/r1, spreadTol(n, k))
				}

				// a: Hu and Γ₁ summed in other orders than Acceleration's;
				// each sum's error is at most (N+d)·u times its absolute terms.
				a := make([]float64, d)
				if err := g.Acceleration(ctx, a, w, u, met); err != nil {
					t.Fatal(err)
				}
				qbar := meanOf(Q)
				var gAbs float64
				for i := range n {
					gAbs += (math.Abs(Q[i]) + math.Abs(qbar)) * (floats.Norm(G[i], 2) + floats.Norm(grad, 2))
				}
				tolA := 4 * nd * (hAbs + eps*gAbs) / float64(n)
				if met.Christoffel == Exact {
					tolA *= 1 + eps*lambdaMaxOf(t, g, w) // (I + εD)⁻¹ is a contraction; CG to CGTol
					tolA += 1e-9 * floats.Norm(a, 2)
				}
				if e := floats.Distance(aF, a, 2); e > tolA {
					t.Errorf("%v: ‖a_fused − a‖ = %.3g > %.3g", met, e, tolA)
				}

				// R2 about the fused a, two-pass.
				A := make([][]float64, n)
				for i := range n {
					A[i] = make([]float64, d)
					ha := make([]float64, d)
					ev.ThirdVecs(A[i], w, u, i, i+1)
					ev.HessVecs(ha, w, aF, i, i+1)
					floats.Add(A[i], ha)
				}
				m2, k = twoPassM2(A)
				if r2 := math.Sqrt(m2 / float64(n)); math.Abs(res.R2-r2) > spreadTol(n, k)*r2 {
					t.Errorf("%v: R2 = %.17g, two-pass %.17g (κ = %.3g): rel. diff %.3g > %.3g", met, res.R2, r2, k, math.Abs(res.R2-r2)/r2, spreadTol(n, k))
				}

				// NGD defect: the exact inverse is NGDVelocity's bits; the
				// weak field's D∇f is summed centred, NGDVelocity's D·v not.
				vel := make([]float64, d)
				if err := g.NGDVelocity(ctx, vel, w, met); err != nil {
					t.Fatal(err)
				}
				var def float64 // ‖u − vel‖ summed as Residuals sums it
				for i, ui := range u {
					def += (ui - vel[i]) * (ui - vel[i])
				}
				def = math.Sqrt(def)
				var sAbs float64
				for i := range n {
					gn := floats.Norm(G[i], 2)
					sAbs += 2 * gn * floats.Norm(grad, 2) * (gn + floats.Norm(grad, 2))
				}
				tolD := eps * 4 * nd * sAbs / float64(n)
				if met.Inverse == Exact {
					tolD = 0
				}
				if e := math.Abs(res.NGDDefect - def); e > tolD {
					t.Errorf("%v: NGD defect %.17g, separate %.17g: diff %.3g > %.3g", met, res.NGDDefect, def, e, tolD)
				}
			}
		})
	}
}

func lambdaMaxOf(t *testing.T, g *Geometry, w []float64) float64 {
	t.Helper()
	l, err := g.LambdaMax(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestMergeMeanM2Cancellation: rows with a common offset 1e8 and a spread
// of order 1 (κ ≈ 1e8: the one-pass Σ‖x‖² − N‖x̄‖² loses every digit),
// in chunks of 7 combined by mergeMeanM2, give the centred sum of squares
// of the exactly representable deviations to spreadTol.
func TestMergeMeanM2Cancellation(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, d, chunk = 1000, 5, 7
	x := make([][]float64, n)
	dev := make([][]float64, n)
	for i := range x {
		x[i], dev[i] = make([]float64, d), make([]float64, d)
		for j := range d {
			dev[i][j] = float64(rng.IntN(1<<20)-1<<19) / (1 << 19) // exact in x = 1e8 + dev
			x[i][j] = 1e8 + dev[i][j]
		}
	}
	want, _ := twoPassM2(dev) // deviations ~1: well conditioned
	_, k := twoPassM2(x)
	st := make([]float64, 2+d)
	slot := make([]float64, 2+d)
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		clear(slot)
		mean := slot[2:]
		for _, r := range x[lo:hi] {
			floats.Add(mean, r)
		}
		floats.Scale(1/float64(hi-lo), mean)
		for _, r := range x[lo:hi] {
			for j, v := range r {
				slot[1] += (v - mean[j]) * (v - mean[j])
			}
		}
		slot[0] = float64(hi - lo)
		mergeMeanM2(st, slot)
	}
	if st[0] != n {
		t.Fatalf("count %v, want %d", st[0], n)
	}
	if e := math.Abs(st[1]-want) / want; e > 2*spreadTol(n, k) {
		t.Errorf("M2 = %.17g, want %.17g: rel. error %.3g > %.3g (κ = %.3g)", st[1], want, e, 2*spreadTol(n, k), k)
	}
	t.Logf("κ = %.3g: rel. error %.3g", k, math.Abs(st[1]-want)/want)
}

// TestResidualsChunking checks the cache-sized chunks of the residual row
// passes (residRowBytes) on a Fashion-shaped network (784 → 32 → 10, d =
// 25450, where they are smaller than the row chunk): R0–R2 with those
// chunks and with chunks of the full row chunk agree to the rounding of
// their reductions, twice the bound each has against the exact two-pass
// value (spreadTol; for R0, a sum of N non-negative terms regrouped,
// 2N·u).
func TestResidualsChunking(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 100))
	m, err := models.NewTwoLayer(testData(rng, 100, 784, 10), 32, models.Tanh, models.Squared)
	if err != nil {
		t.Fatal(err)
	}
	n, d := m.Len(), m.Dim()
	w, u := randVec(rng, d, 0.05), randVec(rng, d, 0.05)
	met := Metric{Epsilon: 0.1}
	g := New(m, &Options{Workers: 2})
	if g.resC >= g.rowC {
		t.Fatalf("residual chunk %d not below the row chunk %d: the test does not exercise it", g.resC, g.rowC)
	}
	small, err := g.Residuals(ctx, w, u, met)
	if err != nil {
		t.Fatal(err)
	}
	a := append([]float64(nil), g.tA...)
	resC := g.resC
	g.resC = g.rowC
	full, err := g.Residuals(ctx, w, u, met)
	if err != nil {
		t.Fatal(err)
	}

	ev := m.NewEvaluator(1)
	H, A := make([][]float64, n), make([][]float64, n)
	for i := range n {
		H[i], A[i] = make([]float64, d), make([]float64, d)
		ha := make([]float64, d)
		ev.HessVecs(H[i], w, u, i, i+1)
		ev.ThirdVecs(A[i], w, u, i, i+1)
		ev.HessVecs(ha, w, a, i, i+1)
		floats.Add(A[i], ha)
	}
	_, k1 := twoPassM2(H)
	_, k2 := twoPassM2(A)
	for _, c := range []struct {
		name        string
		small, full float64
		tol         float64
	}{
		{"R0", small.R0, full.R0, 2 * float64(n) * unitRoundoff},
		{"R1", small.R1, full.R1, 2 * spreadTol(n, k1)},
		{"R2", small.R2, full.R2, 2 * spreadTol(n, k2)},
		{"NGDDefect", small.NGDDefect, full.NGDDefect, 4 * float64(n+d) * unitRoundoff},
	} {
		if e := math.Abs(c.small-c.full) / c.full; e > c.tol || c.full == 0 {
			t.Errorf("%s = %.17g with %d-sample chunks, %.17g with %d: rel. diff %.3g > %.3g", c.name, c.small, resC, c.full, g.rowC, e, c.tol)
		}
	}
}

package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func rbmTestVec(seed uint64, n int, sd float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 17))
	v := make([]float64, n)
	for i := range v {
		v[i] = sd * rng.NormFloat64()
	}
	return v
}

// rbmClose reports whether a and b agree to rel·(1 + ‖b‖∞) componentwise.
func rbmClose(a, b []float64, rel float64) (bool, int) {
	var s float64
	for _, x := range b {
		s = math.Max(s, math.Abs(x))
	}
	for i := range a {
		if !(math.Abs(a[i]-b[i]) <= rel*(1+s)) {
			return false, i
		}
	}
	return true, -1
}

// TestRBMEnumerationsAgree computes log Z, ∇log Z, ∇²log Z u, uᵀ∇²log Z u
// and ∇³log Z[u,u] by enumerating the visible and, separately, the hidden
// layer: two different sums (different ψ, different configuration counts)
// of the same function of θ. Sizes include blocks larger than rbmBlock
// (2^8 configurations) so the streaming rescaling of pass0 is exercised,
// and weights large enough (sd 2) for the log-sum-exp shift to matter.
func TestRBMEnumerationsAgree(t *testing.T) {
	for i, sz := range []struct{ nv, nh int }{{3, 2}, {4, 5}, {6, 3}, {8, 9}, {9, 8}, {1, 4}} {
		t.Run(fmt.Sprintf("nv=%d,nh=%d", sz.nv, sz.nh), func(t *testing.T) {
			d := sz.nh*sz.nv + sz.nv + sz.nh
			w := rbmTestVec(uint64(i+1), d, 2)
			u := rbmTestVec(uint64(i+100), d, 1)
			ev, eh := newRBMEnum(sz.nv, sz.nh, false), newRBMEnum(sz.nv, sz.nh, true)
			ev.at(w)
			eh.at(w)
			// Both sums have ≤ 2^9 terms: agreement to ~1e-13 relative is
			// expected; 1e-11 leaves margin for the third moments.
			const rel = 1e-11
			if math.Abs(ev.logZ-eh.logZ) > rel*math.Abs(ev.logZ) {
				t.Errorf("log Z: visible %.17g, hidden %.17g", ev.logZ, eh.logZ)
			}
			check := func(what string, a, b []float64) {
				t.Helper()
				if ok, k := rbmClose(a, b, rel); !ok {
					t.Errorf("%s component %d: visible %.17g, hidden %.17g", what, k, a[k], b[k])
				}
			}
			check("∇log Z", ev.grad, eh.grad)
			sv, sh := ev.dir(w, u), eh.dir(w, u)
			// μ2 and V1 depend on which ψ is summed; their sum uᵀ∇²log Z u does not.
			check("uᵀ∇²log Z u = μ2 + V1", []float64{sv.mu2 + sv.v1}, []float64{sh.mu2 + sh.v1})
			check("∇²log Z u", sv.hv, sh.hv)
			check("∇³log Z[u,u]", ev.thirdAt(w, u), eh.thirdAt(w, u))
		})
	}
}

// TestRBMEnumCache checks that the caches follow w and the directions
// exactly: a changed entry invalidates, alternating directions hit.
func TestRBMEnumCache(t *testing.T) {
	nv, nh := 4, 3
	d := nh*nv + nv + nh
	w := rbmTestVec(1, d, 1)
	u := rbmTestVec(2, d, 1)
	v := rbmTestVec(3, d, 1)
	en := newRBMEnum(nv, nh, true)
	en.at(w)
	g0 := en.gen
	en.at(w)
	if en.gen != g0 {
		t.Errorf("at(w) twice recomputed")
	}
	hu := append([]float64(nil), en.dir(w, u).hv...)
	hv := append([]float64(nil), en.dir(w, v).hv...)
	if p := en.dir(w, u); !sameVec(p.hv, hu) || en.gen != g0 {
		t.Errorf("second direction evicted the first")
	}
	if p := en.dir(w, v); !sameVec(p.hv, hv) {
		t.Errorf("direction v changed")
	}
	w2 := append([]float64(nil), w...)
	w2[d-1] += 1e-9
	en.at(w2)
	if en.gen == g0 {
		t.Errorf("changed w did not recompute")
	}
	if p := en.dir(w2, u); sameVec(p.hv, hu) {
		t.Errorf("H u not recomputed at the new w")
	}
	fresh := newRBMEnum(nv, nh, true)
	if ok, k := rbmClose(en.thirdAt(w2, u), fresh.thirdAt(w2, u), 0); !ok {
		t.Errorf("cached third derivative differs from a fresh one at component %d", k)
	}
}

// benchmarkRBMPass times one enumeration pass of the given kind for an RBM
// with n visible and n hidden units (2^n configurations).
func benchmarkRBMPass(b *testing.B, n int, kind string) {
	d := n*n + 2*n
	w := rbmTestVec(1, d, 0.3)
	u := rbmTestVec(2, d, 0.3)
	en := newRBMEnum(n, n, false)
	en.at(w)
	s := en.dir(w, u)
	b.ResetTimer()
	for range b.N {
		switch kind {
		case "logZ":
			en.pass0(w)
		case "hv":
			en.passDir(u, s)
		case "third":
			en.passThird(u, s)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(int(1)<<n), "ns/config")
}

func BenchmarkRBMPassLogZ12(b *testing.B)  { benchmarkRBMPass(b, 12, "logZ") }
func BenchmarkRBMPassHv12(b *testing.B)    { benchmarkRBMPass(b, 12, "hv") }
func BenchmarkRBMPassThird12(b *testing.B) { benchmarkRBMPass(b, 12, "third") }
func BenchmarkRBMPassLogZ20(b *testing.B)  { benchmarkRBMPass(b, 20, "logZ") }
func BenchmarkRBMPassHv20(b *testing.B)    { benchmarkRBMPass(b, 20, "hv") }
func BenchmarkRBMPassThird20(b *testing.B) { benchmarkRBMPass(b, 20, "third") }

// TestRBMLargeWeights checks the log-sum-exp shifts with weights of size
// 10–30, where exp(ψ) overflows without them: both enumerations agree, the
// moments are finite, and log Z matches a direct shifted sum over the
// visible configurations of −F(v).
func TestRBMLargeWeights(t *testing.T) {
	for i, sd := range []float64{10, 30} {
		nv, nh := 7, 5
		d := nh*nv + nv + nh
		w := rbmTestVec(uint64(60+i), d, sd)
		u := rbmTestVec(uint64(70+i), d, 1)
		ev, eh := newRBMEnum(nv, nh, false), newRBMEnum(nv, nh, true)
		ev.at(w)
		eh.at(w)
		// Direct: log Σ_v exp(−F(v)) with the maximum factored out.
		negF := make([]float64, 1<<nv)
		mx := math.Inf(-1)
		v := make([]float64, nv)
		for k := range negF {
			for j := range v {
				v[j] = float64((k >> j) & 1)
			}
			negF[k] = -rbmFree(nv, nh, w, v)
			mx = math.Max(mx, negF[k])
		}
		var s float64
		for _, f := range negF {
			s += math.Exp(f - mx)
		}
		direct := mx + math.Log(s)
		for _, got := range []float64{ev.logZ, eh.logZ} {
			if math.IsInf(direct, 0) || math.Abs(got-direct) > 1e-13*math.Abs(direct) {
				t.Errorf("sd %g: log Z = %.17g, direct %.17g", sd, got, direct)
			}
		}
		// The model is nearly a point mass: moments are tiny and may
		// cancel, so compare on the scale of the statistics (≤ 1) times
		// the direction's scale.
		if ok, k := rbmClose(ev.grad, eh.grad, 1e-10); !ok {
			t.Errorf("sd %g: ∇log Z component %d: %v vs %v", sd, k, ev.grad[k], eh.grad[k])
		}
		hv, hh := ev.dir(w, u).hv, eh.dir(w, u).hv
		if ok, k := rbmClose(hv, hh, 1e-9); !ok {
			t.Errorf("sd %g: ∇²log Z u component %d: %v vs %v", sd, k, hv[k], hh[k])
		}
		tv, th := ev.thirdAt(w, u), eh.thirdAt(w, u)
		if ok, k := rbmClose(tv, th, 1e-9); !ok {
			t.Errorf("sd %g: ∇³log Z[u,u] component %d: %v vs %v", sd, k, tv[k], th[k])
		}
	}
}

// TestRBMMaxUnits runs the largest visible layer, n_v = 20, with n_h = 2:
// the model enumerates 4 hidden configurations, the check enumerates the
// 2^20 visible ones; ModelProbs (2^20 entries) must sum to 1.
func TestRBMMaxUnits(t *testing.T) {
	if testing.Short() {
		t.Skip("2^20 configurations")
	}
	nv, nh := 20, 2
	d := nh*nv + nv + nh
	w := rbmTestVec(80, d, 0.3)
	eh := newRBMEnum(nv, nh, true)
	ev := newRBMEnum(nv, nh, false)
	eh.at(w)
	ev.at(w)
	// 2^20-term sums in blocks of 128: rounding ≲ 1e-13 relative.
	if math.Abs(ev.logZ-eh.logZ) > 1e-12*math.Abs(eh.logZ) {
		t.Errorf("log Z: visible %.17g, hidden %.17g", ev.logZ, eh.logZ)
	}
	if ok, k := rbmClose(ev.grad, eh.grad, 1e-11); !ok {
		t.Errorf("∇log Z component %d: %v vs %v", k, ev.grad[k], eh.grad[k])
	}
	p := make([]float64, 20)
	m, err := NewRBM(p, nv, nh)
	if err != nil {
		t.Fatal(err)
	}
	probs := make([]float64, 1<<nv)
	m.ModelProbs(w, probs)
	var s float64
	for _, x := range probs {
		s += x
	}
	if math.Abs(s-1) > 1e-11 {
		t.Errorf("Σ ModelProbs = %.17g, want 1", s)
	}
}

// TestRBMAllocsOnCacheMiss checks that evaluations at a new w or along a
// new direction (an enumeration pass each) allocate nothing either.
func TestRBMAllocsOnCacheMiss(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation test")
	}
	m, err := NewRBM([]float64{0, 1, 1, 1, 0, 0, 1, 0, 1}, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	d := m.Dim()
	ws := [][]float64{rbmTestVec(1, d, 1), rbmTestVec(2, d, 1)}
	us := [][]float64{rbmTestVec(3, d, 1), rbmTestVec(4, d, 1), rbmTestVec(5, d, 1)}
	ev := m.NewEvaluator(3)
	dst := make([]float64, 3*d)
	c := []float64{1, 2, 3}
	i := 0
	if a := testing.AllocsPerRun(10, func() {
		i++
		w, u := ws[i%2], us[i%3]
		ev.Accumulate(dst[:d], c, c, w, u, 0, 3)
		ev.ThirdVecs(dst, w, u, 0, 3)
	}); a > 0 {
		t.Errorf("evaluations with cache misses allocate %v times per call", a)
	}
}

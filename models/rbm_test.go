package models_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/grd-engine/grd/models"
	"github.com/grd-engine/grd/models/modeltest"
)

// rbmPatterns returns n seeded random binary patterns of nv units.
func rbmPatterns(seed uint64, n, nv int) []float64 {
	rng := rand.New(rand.NewPCG(seed, 11))
	p := make([]float64, n*nv)
	for i := range p {
		p[i] = float64(rng.IntN(2))
	}
	return p
}

func newRBM(t *testing.T, p []float64, nv, nh int) *models.RBM {
	t.Helper()
	m, err := models.NewRBM(p, nv, nh)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// rbmBrute holds brute-force quantities from the double sum over (v, h).
type rbmBrute struct {
	logZ  float64
	probs []float64 // p(v) by configuration index
}

// bruteRBM computes log Z = log Σ_v Σ_h exp(b·v + c·h + hᵀWv) and the
// visible marginals by explicit double enumeration (log-sum-exp over all
// 2^(nv+nh) joint states), independently of the model code.
func bruteRBM(nv, nh int, w []float64) rbmBrute {
	W, b, c := w[:nh*nv], w[nh*nv:nh*nv+nv], w[nh*nv+nv:]
	nV, nH := 1<<nv, 1<<nh
	negE := make([]float64, nV*nH)
	mx := math.Inf(-1)
	for vi := 0; vi < nV; vi++ {
		for hi := 0; hi < nH; hi++ {
			var s float64
			for i := 0; i < nv; i++ {
				s += b[i] * float64((vi>>i)&1)
			}
			for j := 0; j < nh; j++ {
				hj := float64((hi >> j) & 1)
				s += c[j] * hj
				for i := 0; i < nv; i++ {
					s += hj * W[j*nv+i] * float64((vi>>i)&1)
				}
			}
			negE[vi*nH+hi] = s
			mx = math.Max(mx, s)
		}
	}
	var S float64
	for _, e := range negE {
		S += math.Exp(e - mx)
	}
	logZ := mx + math.Log(S)
	probs := make([]float64, nV)
	for vi := range probs {
		for hi := 0; hi < nH; hi++ {
			probs[vi] += math.Exp(negE[vi*nH+hi] - logZ)
		}
	}
	return rbmBrute{logZ, probs}
}

var rbmSizes = []struct{ nv, nh int }{{3, 2}, {4, 5}, {6, 3}, {1, 1}, {5, 5}, {2, 7}}

// TestRBMConformance runs the model harness on RBMs that enumerate the
// hidden layer (3,2), (6,3), (9,8) and the visible layer (4,5); (9,8) has
// two blocks of configurations and larger weights.
func TestRBMConformance(t *testing.T) {
	for i, sz := range []struct {
		nv, nh int
		sd     float64
	}{{3, 2, 0.7}, {4, 5, 0.7}, {6, 3, 0.7}, {9, 8, 1.5}} {
		t.Run(fmt.Sprintf("nv=%d,nh=%d", sz.nv, sz.nh), func(t *testing.T) {
			m := newRBM(t, rbmPatterns(uint64(i+1), 9, sz.nv), sz.nv, sz.nh)
			seed := uint64(50 * (i + 1))
			w := nnConfVec(seed, m.Dim(), sz.sd)
			v := nnConfVec(seed+1, m.Dim(), sz.sd)
			u := nnConfVec(seed+2, m.Dim(), sz.sd)
			modeltest.Check(t, m, w, v, u, &modeltest.Options{MaxChunk: 4})
		})
	}
}

// TestRBMLogZBruteForce compares LogZ, the losses and ModelProbs with a
// brute-force double enumeration over (v, h).
func TestRBMLogZBruteForce(t *testing.T) {
	for i, sz := range rbmSizes {
		t.Run(fmt.Sprintf("nv=%d,nh=%d", sz.nv, sz.nh), func(t *testing.T) {
			m := newRBM(t, rbmPatterns(uint64(i+20), 7, sz.nv), sz.nv, sz.nh)
			w := nnConfVec(uint64(i+30), m.Dim(), 1.5)
			br := bruteRBM(sz.nv, sz.nh, w)
			// Both are log-sum-exps of at most 2^12 terms of size ≲ 30:
			// rounding ≈ 1e-14 relative.
			tol := modeltest.Tol{Rel: 1e-12, Abs: 1e-12}
			modeltest.AssertClose(t, "LogZ vs brute force", []float64{m.LogZ(w)}, []float64{br.logZ}, tol)

			p := make([]float64, 1<<sz.nv)
			m.ModelProbs(w, p)
			modeltest.AssertClose(t, "ModelProbs vs brute-force marginals", p, br.probs, tol)
			var sum float64
			for _, x := range p {
				sum += x
			}
			modeltest.AssertClose(t, "Σ ModelProbs", []float64{sum}, []float64{1}, tol)

			// f_n = −log p(v_n).
			loss := make([]float64, m.Len())
			m.NewEvaluator(3).Losses(loss[:3], w, 0, 3)
			m.NewEvaluator(m.Len()).Losses(loss, w, 0, m.Len())
			want := make([]float64, m.Len())
			for n := range want {
				k := 0
				for c, x := range m.Pattern(n) {
					k |= int(x) << c
				}
				want[n] = -math.Log(br.probs[k])
			}
			modeltest.AssertClose(t, "Losses vs −log p(v_n)", loss, want, tol)
		})
	}
}

// TestRBMKL checks KL against the brute-force sum Σ p_data log(p_data/p_model),
// its sign, and that it vanishes when the model is the data distribution.
func TestRBMKL(t *testing.T) {
	for i, sz := range rbmSizes {
		m := newRBM(t, rbmPatterns(uint64(i+40), 10, sz.nv), sz.nv, sz.nh)
		w := nnConfVec(uint64(i+41), m.Dim(), 1)
		br := bruteRBM(sz.nv, sz.nh, w)
		pd := make([]float64, 1<<sz.nv)
		for n := 0; n < m.Len(); n++ {
			k := 0
			for c, x := range m.Pattern(n) {
				k |= int(x) << c
			}
			pd[k] += 1 / float64(m.Len())
		}
		var want float64
		for k, p := range pd {
			if p > 0 {
				want += p * math.Log(p/br.probs[k])
			}
		}
		got := m.KL(w)
		if math.Abs(got-want) > 1e-12*(1+math.Abs(want)) || got < 0 {
			t.Errorf("nv=%d nh=%d: KL = %.17g, brute force %.17g", sz.nv, sz.nh, got, want)
		}
	}

	// Uniform data over {0,1}^3 and θ = 0: the model is uniform, KL = 0.
	var all []float64
	for k := 0; k < 8; k++ {
		for i := 0; i < 3; i++ {
			all = append(all, float64((k>>i)&1))
		}
	}
	m := newRBM(t, all, 3, 2)
	if kl := m.KL(make([]float64, m.Dim())); math.Abs(kl) > 1e-14 {
		t.Errorf("uniform data, uniform model: KL = %g, want 0", kl)
	}
	// A product distribution p(v1 = 1) = 1/2, p(v2 = 1) = 1/4 (8 patterns:
	// 00 ×3, 10 ×3, 01, 11), matched by W = 0, b = (0, log(1/3)).
	prod := []float64{0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1}
	m = newRBM(t, prod, 2, 3)
	w := make([]float64, m.Dim())
	w[3*2+1] = math.Log(1.0 / 3)
	if kl := m.KL(w); math.Abs(kl) > 1e-14 {
		t.Errorf("product data, matching model: KL = %g, want 0", kl)
	}
	w[3*2+1] = 0
	if kl := m.KL(w); kl <= 1e-3 {
		t.Errorf("product data, mismatched model: KL = %g, want > 0", kl)
	}
}

// TestRBMGradientDescentDecreasesKL runs plain gradient descent on the mean
// NLL for bars and stripes and requires KL to decrease at every step.
//
// Step size. ∇²f = ∇²log Z + mean ∇²F(v_n) with ∇²log Z ⪰ 0 and ∇²F ⪯ 0
// (F is minus a sum of softplus of affine functions of θ), so every
// eigenvalue is bounded by max(tr ∇²log Z, tr(−∇²F)) ≤ 1.25 d (the
// sufficient statistics lie in [0,1] and σ' ≤ 1/4). η = 1/d < 2/(1.25 d)
// therefore guarantees f(w − η∇f) < f(w) whenever ∇f ≠ 0, and KL = f − H
// decreases with f.
func TestRBMGradientDescentDecreasesKL(t *testing.T) {
	for _, tc := range []struct{ size, nh, steps int }{{2, 4, 30}, {3, 6, 10}} {
		p, n := models.BarsAndStripes(tc.size)
		nv := tc.size * tc.size
		m := newRBM(t, p, nv, tc.nh)
		if m.Len() != n {
			t.Fatalf("Len = %d, want %d", m.Len(), n)
		}
		d := m.Dim()
		w := nnConfVec(uint64(tc.size), d, 0.1)
		ev := m.NewEvaluator(n)
		c := make([]float64, n)
		for i := range c {
			c[i] = 1 / float64(n)
		}
		g := make([]float64, d)
		eta := 1 / float64(d)
		kl := m.KL(w)
		kl0 := kl
		for s := 0; s < tc.steps; s++ {
			clear(g)
			ev.Accumulate(g, c, nil, w, nil, 0, n)
			for k := range w {
				w[k] -= eta * g[k]
			}
			next := m.KL(w)
			if !(next < kl) || next < 0 {
				t.Fatalf("bars and stripes %d×%d, step %d: KL %.17g → %.17g, want a decrease, ≥ 0", tc.size, tc.size, s, kl, next)
			}
			kl = next
		}
		t.Logf("bars and stripes %d×%d (nh=%d): KL %.6f → %.6f in %d steps of η = 1/d", tc.size, tc.size, tc.nh, kl0, kl, tc.steps)
	}
}

func TestBarsAndStripes(t *testing.T) {
	for size := 1; size <= 4; size++ {
		p, n := models.BarsAndStripes(size)
		nv := size * size
		if want := 1<<(size+1) - 2; n != want || len(p) != n*nv {
			t.Fatalf("size %d: n = %d, len = %d, want n = %d", size, n, len(p), want)
		}
		seen := map[string]bool{}
		off, on := 0, 0
		for k := 0; k < n; k++ {
			row := p[k*nv : (k+1)*nv]
			key := fmt.Sprint(row)
			if seen[key] {
				t.Errorf("size %d: pattern %d repeats", size, k)
			}
			seen[key] = true
			bars, stripes, ones := true, true, 0
			for r := 0; r < size; r++ {
				for c := 0; c < size; c++ {
					x := row[r*size+c]
					ones += int(x)
					bars = bars && x == row[c]            // constant down each column
					stripes = stripes && x == row[r*size] // constant along each row
				}
			}
			if !bars && !stripes {
				t.Errorf("size %d: pattern %d is neither bars nor stripes: %v", size, k, row)
			}
			switch ones {
			case 0:
				off++
			case nv:
				on++
			}
		}
		if off != 1 || on != 1 {
			t.Errorf("size %d: all-off appears %d times, all-on %d times, want once each", size, off, on)
		}
	}
}

func TestRBMErrors(t *testing.T) {
	for _, tc := range []struct {
		p      []float64
		nv, nh int
		want   string
	}{
		{[]float64{0, 1}, 0, 2, "0 visible units"},
		{make([]float64, 21), 21, 2, "21 visible units"},
		{[]float64{0, 1}, 2, 0, "0 hidden units"},
		{[]float64{0, 1}, 2, 21, "21 hidden units"},
		{nil, 2, 2, "no patterns"},
		{[]float64{0, 1, 1}, 2, 2, "not a multiple"},
		{[]float64{0, 1, 1, 0.5, 0, 0}, 2, 2, "pattern 1, column 1 is 0.5"},
		{[]float64{0, math.NaN()}, 2, 2, "pattern 0, column 1 is NaN"},
	} {
		_, err := models.NewRBM(tc.p, tc.nv, tc.nh)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "models: rbm: ") {
			t.Errorf("NewRBM(%v, %d, %d): error %v, want one containing %q", tc.p, tc.nv, tc.nh, err, tc.want)
		}
	}
	for _, tc := range []struct {
		d    *models.Data
		want string
	}{
		{nil, "nil"},
		{&models.Data{N: 0, In: 2}, "0 samples"},
		{&models.Data{N: 1, In: 2, X: []float64{1}}, "len(X) = 1"},
		{&models.Data{N: 1, In: 2, X: []float64{1, 2}}, "pattern 0, column 1 is 2"},
	} {
		if _, err := models.NewRBMFromData(tc.d, 2); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewRBMFromData: error %v, want one containing %q", err, tc.want)
		}
	}
	m, err := models.NewRBMFromData(&models.Data{N: 2, In: 2, X: []float64{0, 1, 1, 1}}, 3)
	if err != nil || m.Len() != 2 || m.Visible() != 2 || m.Hidden() != 3 || m.Dim() != 11 {
		t.Errorf("NewRBMFromData: %v, %v", m, err)
	}

	mustPanic := func(what string, f func()) {
		t.Helper()
		defer func() {
			r := recover()
			if s, ok := r.(string); !ok || !strings.HasPrefix(s, "models: ") {
				t.Errorf("%s: recovered %v, want a models: panic", what, r)
			}
		}()
		f()
	}
	w := make([]float64, m.Dim())
	ev := m.NewEvaluator(2)
	// Directional with only the loss requested accepts a nil direction.
	loss, loss2 := make([]float64, 2), make([]float64, 2)
	ev.Directional(loss, nil, nil, w, nil, 0, 2)
	ev.Losses(loss2, w, 0, 2)
	if loss[0] != loss2[0] || loss[1] != loss2[1] {
		t.Errorf("Directional(loss, nil, nil, w, nil) = %v, Losses = %v", loss, loss2)
	}
	mustPanic("short w", func() { ev.Losses(make([]float64, 2), w[1:], 0, 2) })
	mustPanic("chunk too big", func() { m.NewEvaluator(1).Losses(make([]float64, 2), w, 0, 2) })
	mustPanic("bad dst", func() { ev.Grads(make([]float64, 3), w, 0, 2) })
	mustPanic("maxChunk 0", func() { m.NewEvaluator(0) })
	mustPanic("ModelProbs len", func() { m.ModelProbs(w, make([]float64, 3)) })
	mustPanic("BarsAndStripes(0)", func() { models.BarsAndStripes(0) })
	cd := m.NewCD(rand.NewPCG(1, 1))
	mustPanic("CD batch index", func() { cd.Gradient(make([]float64, m.Dim()), w, []int{2}, 1, nil) })
	mustPanic("CD empty batch", func() { cd.Gradient(make([]float64, m.Dim()), w, nil, 1, nil) })
	mustPanic("CD chains", func() { cd.Gradient(make([]float64, m.Dim()), w, []int{0}, 1, []float64{1}) })
	mustPanic("CD k", func() { cd.Gradient(make([]float64, m.Dim()), w, []int{0}, -1, nil) })
}

// TestRBMSubset checks that the subset's samples are the selected ones.
func TestRBMSubset(t *testing.T) {
	var p []float64 // the six distinct configurations 0..5 of 4 units
	for k := 0; k < 6; k++ {
		for i := 0; i < 4; i++ {
			p = append(p, float64((k>>i)&1))
		}
	}
	m := newRBM(t, p, 4, 3)
	idx := []int{5, 0, 0, 3}
	s := m.Subset(idx).(*models.RBM)
	w := nnConfVec(4, m.Dim(), 1)
	full := make([]float64, m.Len())
	m.NewEvaluator(m.Len()).Losses(full, w, 0, m.Len())
	sub := make([]float64, len(idx))
	s.NewEvaluator(len(idx)).Losses(sub, w, 0, len(idx))
	for i, k := range idx {
		if sub[i] != full[k] {
			t.Errorf("subset loss %d = %v, want loss %d = %v", i, sub[i], k, full[k])
		}
	}
	// Entropies: log 6 for six distinct patterns; 1.5 log 2 for {5, 0, 0, 3}.
	if got, want := m.DataEntropy(), math.Log(6); math.Abs(got-want) > 1e-15 {
		t.Errorf("DataEntropy = %v, want log 6 = %v", got, want)
	}
	if got, want := s.DataEntropy(), 1.5*math.Log(2); math.Abs(got-want) > 1e-15 {
		t.Errorf("subset DataEntropy = %v, want 1.5 log 2 = %v", got, want)
	}
}

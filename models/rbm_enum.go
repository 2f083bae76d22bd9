package models

import "math"

// Exact log Z of an RBM and its first three derivatives, by enumeration.
//
// Enumerated layer. Let x ∈ {0,1}^m be the configurations of the layer that
// is enumerated and y the other layer (k units). Summing y out of
// exp(−E(v,h)) leaves
//
//	log Z = log Σ_x exp ψ(x),   ψ(x) = α·x + Σ_y softplus(z_y),   z = γ + M x,
//
// with (α, γ, M) = (b, c, W) when x = v is enumerated, and (c, b, Wᵀ) when
// x = h is (then ψ = −G(h), G the hidden free energy). Both give the same
// function of θ, so the formulas below hold for either choice; the only
// difference is that the coupling block of θ is M or its transpose, which
// the matrix products take care of (affine, addOuter).
//
// Derivatives of ψ. z is linear in θ; along u = [U, β, γ̇] (mapped the same
// way to the M, α, γ blocks) ż = γ̇ + U_M x, and with σ = sigmoid(z):
//
//	∇ψ        = [σ ⊗ x, x, σ]                 (M, α, γ blocks)
//	ψ1 := ∇ψ·u = β_α·x + Σ_y σ_y ż_y
//	∇²ψ u     = [(σ'⊙ż) ⊗ x, 0, σ'⊙ż],      ψ2 := uᵀ∇²ψ u = Σ_y σ'_y ż_y²
//	∇³ψ[u,u]  = [(σ''⊙ż²) ⊗ x, 0, σ''⊙ż²].
//
// Derivatives of L = log Z. Write E for the expectation under
// p(x) = exp(ψ(x) − L). For any X(θ, x), ∂_k E[X] = E[∂_k X] + Cov(X, ∂_k ψ).
// Hence
//
//	∇L            = E[∇ψ]
//	∇²L u         = E[∇²ψ u] + Cov(∇ψ, ψ1)
//	uᵀ∇²L u       = μ2 + V1,   μ1 = E[ψ1] = ∇L·u,  μ2 = E[ψ2],  V1 = Var(ψ1),
//
// and differentiating D²_u L = μ2 + V1 = E[ψ2] + E[ψ1²] − E[ψ1]² along
// coordinate k (with ∂_k ψ1 = (∇²ψ u)_k, ∂_k ψ2 = (∇³ψ[u,u])_k):
//
//	∂_k E[ψ2]  = E[(∇³ψ[u,u])_k] + Cov(ψ2, ∂_k ψ)
//	∂_k Var ψ1 = 2 Cov(ψ1, (∇²ψ u)_k) + Cov(ψ1², ∂_kψ) − 2 μ1 Cov(ψ1, ∂_kψ)
//	           = 2 Cov(ψ1, (∇²ψ u)_k) + E[(ψ1 − μ1)² (∂_kψ − E∂_kψ)].
//
// Centring only one factor of each covariance (E[δ·Y] = Cov(δ-source, Y)
// when E[δ] = 0), with δ1 = ψ1 − μ1, δ2 = ψ2 − μ2:
//
//	∇²L u       = E[ ∇²ψ u + δ1 ∇ψ ]
//	∇³L[u,u]    = E[ ∇³ψ[u,u] + 2 δ1 ∇²ψ u + (δ2 + δ1² − V1) ∇ψ ].
//
// (Check: for ψ = θx, L is the cumulant generating function and the last
// line gives u² E[(x − E x)³], the third cumulant.) Every summand has the
// shape [r ⊗ x, ρ x, r] for a k-vector r and a scalar ρ, so a block of
// configurations is accumulated with one matrix product Rᵀ X (or Xᵀ R),
// column sums of R and a weighted sum of the rows of X.
//
// Passes. pass0 computes L and ∇L together in one streaming sweep: the
// weights exp(ψ − M) use the running maximum M of ψ, and when a block
// raises it the accumulated sums are rescaled by exp(M_old − M_new).
// passDir needs μ1 = ∇L·u and L (known, so the weights exp(ψ − L) ≤ 1 need
// no shift) and produces μ2, V1 and ∇²L u; passThird needs μ1, μ2 and V1
// and produces ∇³L[u,u]. Each pass normalises by its own Σ weights, which is
// 1 up to rounding.

// rbmBlock is the number of configurations per block of an enumeration
// pass (the row count of its matrix products).
const rbmBlock = 128

// rbmDir is the cached second-order part of log Z along one direction.
type rbmDir struct {
	ok      bool
	gen     uint64    // the pass0 generation it belongs to
	u       []float64 // the direction (exact copy)
	mu2, v1 float64   // E[ψ2], Var ψ1
	hv      []float64 // ∇²L u
}

// rbmEnum enumerates one layer of an RBM and caches log Z and its
// derivatives keyed on exact copies of w and of the directions. It is owned
// by one Evaluator (not safe for concurrent use).
type rbmEnum struct {
	nv, nh int
	hidden bool // enumerate h (else v)
	mm, kk int  // enumerated and summed-out layer sizes
	total  int  // 2^mm
	bs     int  // configurations per block

	x, z, sg, s1, s2, zd, r []float64  // block scratch: bs×mm, bs×kk …
	psi, om                 []float64  // bs
	gw                      nnGemmWork // the GEMMs' packing buffers

	// pass0 cache.
	ok0  bool
	gen  uint64
	w    []float64
	logZ float64
	grad []float64 // ∇L

	dirs [2]rbmDir // last two directions
	next int       // slot to overwrite next

	// passThird cache.
	ok3   bool
	gen3  uint64
	u3    []float64
	third []float64
}

func newRBMEnum(nv, nh int, hidden bool) *rbmEnum {
	mm, kk := nv, nh
	if hidden {
		mm, kk = nh, nv
	}
	total := 1 << mm
	bs := min(total, rbmBlock)
	d := nh*nv + nv + nh
	en := &rbmEnum{nv: nv, nh: nh, hidden: hidden, mm: mm, kk: kk, total: total, bs: bs,
		x: make([]float64, bs*mm), z: make([]float64, bs*kk), sg: make([]float64, bs*kk),
		s1: make([]float64, bs*kk), s2: make([]float64, bs*kk), zd: make([]float64, bs*kk),
		r: make([]float64, bs*kk), psi: make([]float64, bs), om: make([]float64, bs),
		w: make([]float64, d), grad: make([]float64, d),
		u3: make([]float64, d), third: make([]float64, d),
	}
	for i := range en.dirs {
		en.dirs[i].u = make([]float64, d)
		en.dirs[i].hv = make([]float64, d)
	}
	return en
}

// split returns the M-coupling (θ-layout W block), α and γ blocks of a
// θ-layout vector.
func (en *rbmEnum) split(w []float64) (W, alpha, gamma []float64) {
	W, b, c := rbmSplit(en.nv, en.nh, w)
	if en.hidden {
		return W, c, b
	}
	return W, b, c
}

func sameVec(a, b []float64) bool {
	for i, x := range a {
		if x != b[i] {
			return false
		}
	}
	return true
}

// at makes the pass0 cache valid for w.
func (en *rbmEnum) at(w []float64) {
	if en.ok0 && sameVec(w, en.w) {
		return
	}
	copy(en.w, w)
	en.pass0(w)
	en.ok0 = true
	en.gen++
}

// dir returns the cached second-order part along u at w.
func (en *rbmEnum) dir(w, u []float64) *rbmDir {
	en.at(w)
	for i := range en.dirs {
		s := &en.dirs[i]
		if s.ok && s.gen == en.gen && sameVec(u, s.u) {
			return s
		}
	}
	s := &en.dirs[en.next]
	en.next = 1 - en.next
	copy(s.u, u)
	en.passDir(u, s)
	s.ok, s.gen = true, en.gen
	return s
}

// thirdAt returns ∇³L[u,u] at w.
func (en *rbmEnum) thirdAt(w, u []float64) []float64 {
	s := en.dir(w, u)
	if en.ok3 && en.gen3 == en.gen && sameVec(u, en.u3) {
		return en.third
	}
	copy(en.u3, u)
	en.passThird(u, s)
	en.ok3, en.gen3 = true, en.gen
	return en.third
}

// load fills rows 0..nb−1 of en.x with configurations t0 … t0+nb−1
// (x_i = bit i of the index).
func (en *rbmEnum) load(t0, nb int) {
	m := en.mm
	for r := 0; r < nb; r++ {
		t := t0 + r
		row := en.x[r*m : (r+1)*m]
		for i := range row {
			row[i] = float64((t >> i) & 1)
		}
	}
}

// affine sets dst (nb×kk) = X M_Bᵀ + 1 gamᵀ, where B is a θ-layout
// coupling block (W or a direction's U) and M_B is B or Bᵀ.
func (en *rbmEnum) affine(dst, B, gam []float64, nb int) {
	k, m := en.kk, en.mm
	for r := 0; r < nb; r++ {
		copy(dst[r*k:(r+1)*k], gam)
	}
	if en.hidden {
		// M = Wᵀ: X (nb×nh) · W (nh×nv).
		nnGemm(&en.gw, false, false, nb, k, m, 1, en.x, m, B, k, 1, dst, k)
	} else {
		// M = W: X (nb×nv) · Wᵀ (nv×nh).
		nnGemm(&en.gw, false, true, nb, k, m, 1, en.x, m, B, m, 1, dst, k)
	}
}

// addOuter adds Σ_r R_r ⊗ x_r to the θ-layout coupling block dW (nh×nv).
func (en *rbmEnum) addOuter(dW, R []float64, nb int) {
	k, m := en.kk, en.mm
	if en.hidden {
		// dW (nh×nv) += Xᵀ (nh×nb) R (nb×nv).
		nnGemm(&en.gw, true, false, m, k, nb, 1, en.x, m, R, k, 1, dW, k)
	} else {
		// dW (nh×nv) += Rᵀ (nh×nb) X (nb×nv).
		nnGemm(&en.gw, true, false, k, m, nb, 1, R, k, en.x, m, 1, dW, m)
	}
}

// block loads configurations [t0, t0+nb) and computes z = γ + M x, the
// sigmoid σ(z) and, by order, its first and second derivatives (en.sg,
// en.s1, en.s2), and
// en.psi = ψ(x). With U non-nil it also sets en.zd = ż.
//
// Softplus sums. With t_y = e^{−|z_y|} ∈ (0, 1],
// Σ_y softplus(z_y) = Σ_y max(z_y, 0) + log Π_y (1 + t_y); the product lies
// in [1, 2^k] (no overflow for k ≤ 20) and carries a relative rounding
// error ≤ 2kε, so one logarithm per configuration replaces k log1p calls at
// an absolute error ≤ 2kε ≈ 1e-14. The same t gives σ = 1/(1+t) or t/(1+t).
func (en *rbmEnum) block(t0, nb int, W, alpha, gam, U, ugam []float64, order int) {
	k, m := en.kk, en.mm
	en.load(t0, nb)
	z := en.z[:nb*k]
	en.affine(z, W, gam, nb)
	if U != nil {
		en.affine(en.zd[:nb*k], U, ugam, nb)
	}
	for r := 0; r < nb; r++ {
		var p float64
		for i, x := range en.x[r*m : (r+1)*m] {
			p += alpha[i] * x
		}
		prod := 1.0
		zr := z[r*k : (r+1)*k]
		sg := en.sg[r*k : (r+1)*k]
		s1 := en.s1[r*k : (r+1)*k]
		s2 := en.s2[r*k : (r+1)*k]
		for j, zj := range zr {
			t := math.Exp(-math.Abs(zj))
			prod *= 1 + t
			q := 1 / (1 + t)
			s, sc := q, t*q
			if zj > 0 {
				p += zj
			} else {
				s, sc = sc, s
			}
			sg[j] = s
			if order >= 2 {
				d := s * sc
				s1[j] = d
				if order >= 3 {
					s2[j] = d * (sc - s)
				}
			}
		}
		en.psi[r] = p + math.Log(prod)
	}
}

// accumulate adds the block's Σ_r [R_r ⊗ x_r, rho_r x_r, R_r] into dst
// (θ layout), where R = en.r (nb×kk).
func (en *rbmEnum) accumulate(dst, rho []float64, nb int) {
	k, m := en.kk, en.mm
	dW, dA, dG := en.split(dst)
	en.addOuter(dW, en.r[:nb*k], nb)
	nnColSum(dG, en.r[:nb*k], nb, k)
	for r := 0; r < nb; r++ {
		if p := rho[r]; p != 0 {
			for i, x := range en.x[r*m : (r+1)*m] {
				dA[i] += p * x
			}
		}
	}
}

// pass0 sets en.logZ = L and en.grad = ∇L at w.
func (en *rbmEnum) pass0(w []float64) {
	k := en.kk
	W, alpha, gam := en.split(w)
	g := en.grad
	clear(g)
	M, S := math.Inf(-1), 0.0
	for t0 := 0; t0 < en.total; t0 += en.bs {
		nb := min(en.bs, en.total-t0)
		en.block(t0, nb, W, alpha, gam, nil, nil, 1)
		bm := math.Inf(-1)
		for _, p := range en.psi[:nb] {
			bm = math.Max(bm, p)
		}
		if bm > M {
			sc := math.Exp(M - bm)
			S *= sc
			for i := range g {
				g[i] *= sc
			}
			M = bm
		}
		for r := 0; r < nb; r++ {
			o := math.Exp(en.psi[r] - M)
			en.om[r] = o
			S += o
			sr := en.sg[r*k : (r+1)*k]
			rr := en.r[r*k : (r+1)*k]
			for j, s := range sr {
				rr[j] = o * s
			}
		}
		en.accumulate(g, en.om, nb)
	}
	inv := 1 / S
	for i := range g {
		g[i] *= inv
	}
	en.logZ = M + math.Log(S)
}

// passDir fills s.mu2, s.v1 and s.hv = ∇²L u at the cached w.
func (en *rbmEnum) passDir(u []float64, s *rbmDir) {
	k := en.kk
	W, alpha, gam := en.split(en.w)
	U, ua, ug := en.split(u)
	mu1 := dotRBM(en.grad, u)
	hv := s.hv
	clear(hv)
	var S, mu2, v1 float64
	rho := en.psi // reused after ψ is consumed, row by row
	for t0 := 0; t0 < en.total; t0 += en.bs {
		nb := min(en.bs, en.total-t0)
		en.block(t0, nb, W, alpha, gam, U, ug, 2)
		for r := 0; r < nb; r++ {
			o := math.Exp(en.psi[r] - en.logZ)
			S += o
			sg := en.sg[r*k : (r+1)*k]
			s1 := en.s1[r*k : (r+1)*k]
			zd := en.zd[r*k : (r+1)*k]
			p1, p2 := en.rowMoments(r, ua)
			d1 := p1 - mu1
			mu2 += o * p2
			v1 += o * d1 * d1
			rr := en.r[r*k : (r+1)*k]
			for j, sj := range sg {
				rr[j] = o * (s1[j]*zd[j] + d1*sj)
			}
			rho[r] = o * d1
		}
		en.accumulate(hv, rho, nb)
	}
	inv := 1 / S
	for i := range hv {
		hv[i] *= inv
	}
	s.mu2, s.v1 = mu2*inv, v1*inv
}

// passThird fills en.third = ∇³L[u,u] at the cached w, given the
// second-order part s along u.
func (en *rbmEnum) passThird(u []float64, s *rbmDir) {
	k := en.kk
	W, alpha, gam := en.split(en.w)
	U, ua, ug := en.split(u)
	mu1 := dotRBM(en.grad, u)
	t := en.third
	clear(t)
	var S float64
	rho := en.psi
	for t0 := 0; t0 < en.total; t0 += en.bs {
		nb := min(en.bs, en.total-t0)
		en.block(t0, nb, W, alpha, gam, U, ug, 3)
		for r := 0; r < nb; r++ {
			o := math.Exp(en.psi[r] - en.logZ)
			S += o
			sg := en.sg[r*k : (r+1)*k]
			s1 := en.s1[r*k : (r+1)*k]
			s2 := en.s2[r*k : (r+1)*k]
			zd := en.zd[r*k : (r+1)*k]
			p1, p2 := en.rowMoments(r, ua)
			d1 := p1 - mu1
			kap := (p2 - s.mu2) + (d1*d1 - s.v1)
			rr := en.r[r*k : (r+1)*k]
			for j, sj := range sg {
				zj := zd[j]
				rr[j] = o * (s2[j]*zj*zj + 2*d1*s1[j]*zj + kap*sj)
			}
			rho[r] = o * kap
		}
		en.accumulate(t, rho, nb)
	}
	inv := 1 / S
	for i := range t {
		t[i] *= inv
	}
}

// rowMoments returns, for configuration r of the current block, the first
// and second directional statistics shared by passHV and passThird:
//
//	p1 = ua·x_r + Σ_j sg_j zd_j,   p2 = Σ_j s1_j zd_j².
func (en *rbmEnum) rowMoments(r int, ua []float64) (p1, p2 float64) {
	k, m := en.kk, en.mm
	sg := en.sg[r*k : (r+1)*k]
	s1 := en.s1[r*k : (r+1)*k]
	zd := en.zd[r*k : (r+1)*k]
	for i, x := range en.x[r*m : (r+1)*m] {
		p1 += ua[i] * x
	}
	for j, sj := range sg {
		p1 += sj * zd[j]
		p2 += s1[j] * zd[j] * zd[j]
	}
	return p1, p2
}

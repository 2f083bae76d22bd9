package models

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
)

// This file holds the batched, exactly differentiated feed-forward network
// shared by TwoLayer and MLP.
//
// Notation. Widths n_0 … n_L (n_0 = In, n_L = Out); weights per layer
// l = 1..L are W_l (n_l×n_{l−1}, row-major) and b_l (n_l), laid out in w as
// [W_1, b_1, W_2, b_2, …]. A chunk of B samples is processed as row-major
// B×n matrices (one row per sample):
//
//	a_0 = X,  z_l = a_{l−1} W_lᵀ + 1 b_lᵀ,  a_l = σ(z_l) (l < L),  ŷ = z_L,
//	f_n = ℓ(ŷ_n).
//
// Forward mode along a direction v = (V_l, c_l), i.e. along w + t v, with
// dots denoting d/dt at t = 0 (ȧ_0 = ä_0 = 0; V and c are constant in t):
//
//	ż_l = ȧ_{l−1} W_lᵀ + a_{l−1} V_lᵀ + 1 c_lᵀ,     ȧ_l = σ'⊙ż_l,
//	z̈_l = ä_{l−1} W_lᵀ + 2 ȧ_{l−1} V_lᵀ,            ä_l = σ''⊙ż_l² + σ'⊙z̈_l,
//	s_n = ℓ'·ẏ,   q_n = ẏᵀ ℓ'' ẏ + ℓ'·ÿ.
//
// Reverse mode: δ_L = ℓ'(ŷ), δ_{l−1} = σ'(z_{l−1})⊙(δ_l W_l), and the
// per-sample gradient blocks are ∂f/∂W_l = δ_lᵀ a_{l−1} (an outer product per
// sample), ∂f/∂b_l = δ_l. Differentiating the whole reverse sweep along
// w + t v (forward over reverse) gives the derivatives of the gradient:
//
//	δ̇_L = ℓ''[ẏ],   δ̈_L = ℓ'''[ẏ, ẏ] + ℓ''[ÿ],
//	with ḡ = δ_l W_l, ḡ̇ = δ̇_l W_l + δ_l V_l, ḡ̈ = δ̈_l W_l + 2 δ̇_l V_l:
//	δ̇_{l−1} = σ'⊙ḡ̇ + σ''⊙ż⊙ḡ,
//	δ̈_{l−1} = σ'⊙ḡ̈ + 2σ''⊙ż⊙ḡ̇ + (σ'''⊙ż² + σ''⊙z̈)⊙ḡ,
//	H_n v      = [δ̇_lᵀ a_{l−1} + δ_lᵀ ȧ_{l−1},  δ̇_l]_l,
//	∇³f_n[v,v] = [δ̈_lᵀ a_{l−1} + 2 δ̇_lᵀ ȧ_{l−1} + δ_lᵀ ä_{l−1},  δ̈_l]_l.
//
// Weighted sums. Every per-sample row scaling commutes with the sweep, so
// Σ_n c_n g_n + e_n H_n v needs one sweep on the row-scaled pair
// P_l = c⊙δ_l + e⊙δ̇_l, Q_l = e⊙δ_l:
//
//	Σ ∂/∂W_l = P_lᵀ a_{l−1} + Q_lᵀ ȧ_{l−1},   Σ ∂/∂b_l = 1ᵀ P_l,
//	P_{l−1} = σ'⊙(P_l W_l + Q_l V_l) + σ''⊙ż⊙(Q_l W_l),   Q_{l−1} = σ'⊙(Q_l W_l).
//
// Losses, with r = ŷ − y for squared and p = softmax(ŷ), ū = p·u for
// cross-entropy (label k):
//
//	squared:        ℓ = ½‖r‖²,  ℓ' = r,  ℓ''[u] = u,  ℓ''' = 0,
//	cross-entropy:  ℓ = logΣexp(ŷ) − ŷ_k,  ℓ' = p − e_k,
//	                ℓ''[u] = p⊙(u − ū),  uᵀℓ''u = Σ_j p_j (u_j − ū)² =: V_p(u),
//	                ℓ'''[u,u] = p⊙((u − ū)² − V_p(u)),
//
// the last by differentiating p⊙(u − p·u) once more along u, using
// ṗ = p⊙(u − ū) and ṗ·u = V_p(u).
//
// Storage. Layer l keeps the stacked blocks [a; ȧ; ä] (B rows each) in one
// buffer, so the forward products of all orders are one GEMM with 3B rows,
// and the reverse sweep keeps [δ; δ̇; δ̈] (or [P; Q]) stacked likewise. All
// buffers are sized once for maxChunk rows.
//
// Cost per sample in multiply-adds for a two-layer network (n inputs, h
// hidden, o outputs), all in GEMMs except O(h) activation work:
//
//	Losses                       nh +  ho
//	Accumulate, e = nil (∇f)    2nh + 3ho
//	Directional, s only         2nh + 3ho
//	Directional, s and q        2nh + 5ho
//	Accumulate, c and e         3nh + 8ho
//
// so for o ≪ n the Directional and fused Accumulate sweeps cost about 1 and
// 1.5 gradient passes.
//
// BLAS. The GEMMs go through nnGemm, chosen at compile time: the pure-Go
// packed GEMM of internal/gemm by default (blas_purego.go; its packing
// buffers live in the evaluator), OpenBLAS through cgo with the build tag
// openblas (blas_openblas.go). Both pack their operands, so the sweeps pass
// transposed operands as they are. The passes are GEMM-bound: on the
// paper-resnet-size shapes (BenchmarkTwoLayerPaperPass, 784 → 2150 → 10)
// about 90% of the time was in gonum's Dgemm before internal/gemm replaced
// it, and about 1% in tanh. Grads (rows g_n) is bound by storing the N·d
// outputs (the h·n outer-product block δ_n x_nᵀ per sample).

// nnNet is an immutable feed-forward network over a data set.
type nnNet struct {
	kind   string // "two-layer" or "mlp", for messages
	name   string
	data   *Data
	widths []int // n_0 … n_L
	act    Activation
	loss   Loss
	wOff   []int // wOff[l]: offset of W_l in w (index 0 unused)
	bOff   []int // bOff[l]: offset of b_l in w (index 0 unused)
	dim    int
}

// newNNNet validates its arguments and lays out the weights. widths must
// already match the data; the constructors check that with their own
// messages.
func newNNNet(kind, name string, d *Data, widths []int, act Activation, loss Loss) (*nnNet, error) {
	if d == nil {
		return nil, errorf(ErrInvalid, "%s: data is nil", kind)
	}
	if err := d.Validate(); err != nil {
		return nil, errorf(ErrInvalid, "%s: %w", kind, err)
	}
	if act < Tanh || act > Relu {
		return nil, errorf(ErrInvalid, "%s: unknown activation %v (valid: tanh, sigmoid, softplus, relu)", kind, act)
	}
	switch loss {
	case Squared:
	case CrossEntropy:
		if d.Labels == nil {
			return nil, errorf(ErrInvalid, "%s: cross-entropy loss needs class labels, but the data set has none (Data.Labels is nil)", kind)
		}
		if d.Out < 2 {
			return nil, errorf(ErrInvalid, "%s: cross-entropy loss needs at least 2 classes (outputs), data has %d", kind, d.Out)
		}
	default:
		return nil, errorf(ErrInvalid, "%s: unknown loss %v (valid: squared, cross-entropy)", kind, loss)
	}
	L := len(widths) - 1
	net := &nnNet{
		kind:   kind,
		name:   name,
		data:   d,
		widths: append([]int(nil), widths...),
		act:    act,
		loss:   loss,
		wOff:   make([]int, L+1),
		bOff:   make([]int, L+1),
	}
	off := 0
	for l := 1; l <= L; l++ {
		net.wOff[l] = off
		off += widths[l] * widths[l-1]
		net.bOff[l] = off
		off += widths[l]
	}
	net.dim = off
	return net, nil
}

func (net *nnNet) maxOrder() int { return nnActMaxOrder(net.act) }

// nnEval is the Evaluator of an nnNet: per-chunk scratch, sized once.
type nnEval struct {
	net *nnNet
	max int
	// Per layer l = 1..L (index 0 unused):
	s   [][]float64 // [a; ȧ; ä] (hidden) or [ŷ; ẏ; ÿ] (l = L), 3·max·n_l
	t   [][]float64 // [ż; z̈], hidden layers, 2·max·n_l
	d1  [][]float64 // σ'(z_l), hidden layers, max·n_l
	d2  [][]float64 // σ''(z_l)
	d3  [][]float64 // σ'''(z_l)
	del [][]float64 // [δ; δ̇; δ̈] or [P; Q], 3·max·n_l
	g   []float64   // [ḡ; ḡ̇; ḡ̈], 3·max·max_l<L n_l
	gr  []float64   // ℓ' of one sample, n_L
	p   []float64   // softmax of one sample, n_L
	gw  nnGemmWork  // the GEMMs' packing buffers
}

func (net *nnNet) newEval(maxChunk int) *nnEval {
	if maxChunk < 1 {
		panic(fmt.Sprintf("models: %s: NewEvaluator(%d): maxChunk must be at least 1", net.kind, maxChunk))
	}
	L := len(net.widths) - 1
	e := &nnEval{
		net: net,
		max: maxChunk,
		s:   make([][]float64, L+1),
		t:   make([][]float64, L+1),
		d1:  make([][]float64, L+1),
		d2:  make([][]float64, L+1),
		d3:  make([][]float64, L+1),
		del: make([][]float64, L+1),
		gr:  make([]float64, net.widths[L]),
		p:   make([]float64, net.widths[L]),
	}
	hmax := 0
	for l := 1; l <= L; l++ {
		m := maxChunk * net.widths[l]
		e.s[l] = make([]float64, 3*m)
		e.del[l] = make([]float64, 3*m)
		if l < L {
			e.t[l] = make([]float64, 2*m)
			e.d1[l] = make([]float64, m)
			if net.maxOrder() >= 2 {
				e.d2[l] = make([]float64, m)
				e.d3[l] = make([]float64, m)
			}
			hmax = max(hmax, net.widths[l])
		}
	}
	e.g = make([]float64, 3*maxChunk*hmax)
	return e
}

// check panics unless [lo, hi) is a valid chunk and w has length d.
func (e *nnEval) check(op string, w []float64, lo, hi int) {
	net := e.net
	if lo < 0 || hi < lo || hi > net.data.N {
		panic(fmt.Sprintf("models: %s.%s: chunk [%d, %d) outside [0, %d)", net.kind, op, lo, hi, net.data.N))
	}
	if hi-lo > e.max {
		panic(fmt.Sprintf("models: %s.%s: chunk of %d samples exceeds the evaluator's maxChunk %d", net.kind, op, hi-lo, e.max))
	}
	if len(w) != net.dim {
		panic(fmt.Sprintf("models: %s.%s: len(w) = %d, want d = %d", net.kind, op, len(w), net.dim))
	}
}

func (e *nnEval) checkLen(op, what string, x []float64, want int) {
	if len(x) != want {
		panic(fmt.Sprintf("models: %s.%s: len(%s) = %d, want %d", e.net.kind, op, what, len(x), want))
	}
}

func (e *nnEval) needOrder(op string, k int) {
	if mo := e.net.maxOrder(); mo < k {
		panic(fmt.Sprintf("models: %s.%s needs derivatives of order %d but %s provides only order %d; check models.RequireOrder before calling",
			e.net.kind, op, k, e.net.name, mo))
	}
}

// Losses implements Evaluator.
func (e *nnEval) Losses(loss, w []float64, lo, hi int) {
	e.check("Losses", w, lo, hi)
	e.checkLen("Losses", "loss", loss, hi-lo)
	if hi == lo {
		return
	}
	e.forward(w, nil, lo, hi, 0, 0)
	e.head(lo, hi, loss, nil, nil, 0)
}

// Directional implements Evaluator.
func (e *nnEval) Directional(loss, s, q []float64, w, v []float64, lo, hi int) {
	const op = "Directional"
	e.check(op, w, lo, hi)
	B := hi - lo
	nt := 0
	if loss != nil {
		e.checkLen(op, "loss", loss, B)
	}
	if s != nil {
		e.checkLen(op, "s", s, B)
		nt = 1
	}
	if q != nil {
		e.needOrder(op+" with q != nil", 2)
		e.checkLen(op, "q", q, B)
		nt = 2
	}
	if nt > 0 {
		e.checkLen(op, "v", v, e.net.dim)
	}
	if B == 0 || (nt == 0 && loss == nil) {
		return
	}
	e.forward(w, v, lo, hi, nt, nt)
	e.head(lo, hi, loss, s, q, 0)
}

// Accumulate implements Evaluator with one fused forward, tangent, reverse
// and tangent-of-reverse sweep (see the derivation at the top of the file).
func (e *nnEval) Accumulate(dst []float64, c, ew []float64, w, v []float64, lo, hi int) {
	const op = "Accumulate"
	net := e.net
	e.check(op, w, lo, hi)
	e.checkLen(op, "dst", dst, net.dim)
	B := hi - lo
	if c != nil {
		e.checkLen(op, "c", c, B)
	}
	hv := ew != nil
	if hv {
		e.needOrder(op+" with e != nil", 2)
		e.checkLen(op, "e", ew, B)
		e.checkLen(op, "v", v, net.dim)
	}
	if B == 0 || (c == nil && !hv) {
		return
	}
	k := 1 // stacked blocks in the reverse sweep: [P] or [P; Q]
	if hv {
		k = 2
		e.forward(w, v, lo, hi, 2, 1)
		e.head(lo, hi, nil, nil, nil, 2)
	} else {
		e.forward(w, nil, lo, hi, 1, 0)
		e.head(lo, hi, nil, nil, nil, 1)
	}

	e.scaleHead(B, c, ew)
	e.reverseSums(dst, w, v, lo, hi, k)
}

// AccumulateLosses implements LossAccumulator: the forward sweep of
// Accumulate (e == nil) with the losses taken at its head, which are
// Losses' (the same activations and head; the activation derivatives the
// sweep also computes do not change them).
func (e *nnEval) AccumulateLosses(loss, dst, c, w []float64, lo, hi int) {
	const op = "AccumulateLosses"
	e.check(op, w, lo, hi)
	B := hi - lo
	e.checkLen(op, "loss", loss, B)
	if c == nil {
		e.Losses(loss, w, lo, hi)
		return
	}
	e.checkLen(op, "dst", dst, e.net.dim)
	e.checkLen(op, "c", c, B)
	if B == 0 {
		return
	}
	e.forward(w, nil, lo, hi, 1, 0)
	e.head(lo, hi, loss, nil, nil, 1)
	e.scaleHead(B, c, nil)
	e.reverseSums(dst, w, nil, lo, hi, 1)
}

// scaleHead row-scales the output block of the reverse sweep for the
// weighted sums: P = c⊙δ + e⊙δ̇, Q = e⊙δ (ew == nil: P = c⊙δ only; c == nil
// means c = 0).
func (e *nnEval) scaleHead(B int, c, ew []float64) {
	net := e.net
	L := len(net.widths) - 1
	hv := ew != nil
	o := net.widths[L]
	D := e.del[L]
	m := B * o
	for i := 0; i < B; i++ {
		ci := 0.0
		if c != nil {
			ci = c[i]
		}
		dl := D[i*o : (i+1)*o]
		if !hv {
			for j := range dl {
				dl[j] *= ci
			}
			continue
		}
		ei := ew[i]
		dt := D[m+i*o : m+(i+1)*o]
		for j, t := range dl {
			dl[j] = ci*t + ei*dt[j]
			dt[j] = ei * t
		}
	}
}

// reverseSums runs the reverse sweep on the k stacked blocks [P] (k = 1)
// or [P; Q] (k = 2, with the direction v) left by scaleHead, adding each
// layer's weight and bias sums into dst.
func (e *nnEval) reverseSums(dst, w, v []float64, lo, hi, k int) {
	net := e.net
	L := len(net.widths) - 1
	B := hi - lo
	hv := k == 2
	n0 := net.widths[0]
	x := net.data.X[lo*n0 : hi*n0]
	for l := L; l >= 1; l-- {
		nin, nout := net.widths[l-1], net.widths[l]
		m := B * nout
		D := e.del[l]
		dW := dst[net.wOff[l] : net.wOff[l]+nout*nin]
		db := dst[net.bOff[l] : net.bOff[l]+nout]
		if l == 1 {
			// ȧ_0 = 0: only Pᵀ X.
			e.addDTA(B, nout, nin, D[:m], x, dW)
		} else {
			// [P; Q]ᵀ [a; ȧ] = Pᵀ a + Qᵀ ȧ in one product.
			e.addDTA(k*B, nout, nin, D[:k*m], e.s[l-1][:k*B*nin], dW)
		}
		nnColSum(db, D[:m], B, nout)
		if l == 1 {
			break
		}
		W := w[net.wOff[l] : net.wOff[l]+nout*nin]
		mi := B * nin
		G := e.g[:k*mi]
		nnGemm(&e.gw, false, false, k*B, nin, nout, 1, D[:k*m], nout, W, nin, 0, G, nin)
		Dn := e.del[l-1]
		d1 := e.d1[l-1][:mi]
		if !hv {
			Dn = Dn[:mi]
			for j, g := range G[:mi] {
				Dn[j] = d1[j] * g
			}
			continue
		}
		V := v[net.wOff[l] : net.wOff[l]+nout*nin]
		nnGemm(&e.gw, false, false, B, nin, nout, 1, D[m:2*m], nout, V, nin, 1, G[:mi], nin)
		d2 := e.d2[l-1][:mi]
		zd := e.t[l-1][:mi]
		G0, H := G[:mi], G[mi:2*mi]
		P, Q := Dn[:mi], Dn[mi:2*mi]
		for j, g := range G0 {
			h := H[j]
			P[j] = d1[j]*g + d2[j]*zd[j]*h
			Q[j] = d1[j] * h
		}
	}
}

// forward runs the forward sweep over samples [lo, hi) at w, computing nd
// activation derivatives (0..3) and nt tangent orders (0..2) along v
// (nt ≤ nd). Afterwards e.s[l] holds [a; ȧ; ä] (first nt+1 blocks), e.t[l]
// holds [ż; z̈] (first nt blocks) and e.dk[l] hold σ^{(k)}(z_l), k ≤ nd.
func (e *nnEval) forward(w, v []float64, lo, hi, nd, nt int) {
	net := e.net
	L := len(net.widths) - 1
	B := hi - lo
	n0 := net.widths[0]
	x := net.data.X[lo*n0 : hi*n0]
	for l := 1; l <= L; l++ {
		nin, nout := net.widths[l-1], net.widths[l]
		m := B * nout
		W := w[net.wOff[l] : net.wOff[l]+nout*nin]
		S := e.s[l]
		z := S[:m]
		nnFillRows(z, w[net.bOff[l]:net.bOff[l]+nout])
		var V []float64
		if nt > 0 {
			V = v[net.wOff[l] : net.wOff[l]+nout*nin]
			nnFillRows(S[m:2*m], v[net.bOff[l]:net.bOff[l]+nout])
		}
		if nt > 1 {
			clear(S[2*m : 3*m])
		}
		if l == 1 {
			e.mulWT(B, nout, nin, 1, x, W, z)
			if nt > 0 {
				e.mulWT(B, nout, nin, 1, x, V, S[m:2*m])
			}
		} else {
			P := e.s[l-1]
			mi := B * nin
			k := nt + 1
			e.mulWT(k*B, nout, nin, 1, P[:k*mi], W, S[:k*m])
			if nt > 0 {
				e.mulWT(B, nout, nin, 1, P[:mi], V, S[m:2*m])
			}
			if nt > 1 {
				e.mulWT(B, nout, nin, 2, P[mi:2*mi], V, S[2*m:3*m])
			}
		}
		if l == L {
			break
		}
		var d1, d2, d3 []float64
		if nd >= 1 {
			d1 = e.d1[l][:m]
		}
		if nd >= 2 {
			d2 = e.d2[l][:m]
		}
		if nd >= 3 {
			d3 = e.d3[l][:m]
		}
		nnActivate(net.act, z, d1, d2, d3)
		if nt == 0 {
			continue
		}
		T := e.t[l]
		zd, ad := T[:m], S[m:2*m]
		copy(zd, ad)
		for j, u := range zd {
			ad[j] = d1[j] * u
		}
		if nt == 1 {
			continue
		}
		zdd, add := T[m:2*m], S[2*m:3*m]
		copy(zdd, add)
		for j, u := range zd {
			add[j] = d2[j]*u*u + d1[j]*zdd[j]
		}
	}
}

// head evaluates the loss on the network outputs of samples [lo, hi): it
// sets the non-nil per-sample outputs loss, s (needs ẏ) and q (needs ẏ, ÿ)
// and the first nb blocks of e.del[L]: δ_L, δ̇_L (needs ẏ), δ̈_L (needs ẏ, ÿ).
func (e *nnEval) head(lo, hi int, loss, s, q []float64, nb int) {
	net := e.net
	o := net.widths[len(net.widths)-1]
	m := (hi - lo) * o
	D := e.del[len(net.widths)-1]
	tan1 := s != nil || q != nil || nb >= 2
	tan2 := q != nil || nb >= 3
	for i := 0; i < hi-lo; i++ {
		f := e.headLoss(lo, i)
		if loss != nil {
			loss[i] = f
		}
		if nb >= 1 {
			copy(D[i*o:(i+1)*o], e.gr)
		}
		if !tan1 {
			continue
		}
		sd, quad, ub := e.headTangent(i, m, nb)
		if s != nil {
			s[i] = sd
		}
		if !tan2 {
			continue
		}
		e.headSecond(i, m, q, nb, quad, ub)
	}
}

// headLoss sets e.gr to ℓ'(ŷ) of row i of the chunk starting at sample lo
// (and e.p to softmax(ŷ) for cross-entropy) and returns the loss f_n.
func (e *nnEval) headLoss(lo, i int) float64 {
	net := e.net
	o := net.widths[len(net.widths)-1]
	y := e.s[len(net.widths)-1][i*o : (i+1)*o]
	gr, p := e.gr, e.p
	var f float64
	switch net.loss {
	case Squared:
		t := net.data.Y[(lo+i)*o : (lo+i+1)*o]
		for j, yj := range y {
			r := yj - t[j]
			gr[j] = r
			f += r * r
		}
		f *= 0.5
	case CrossEntropy:
		lab := net.data.Labels[lo+i]
		mx := y[0]
		for _, yj := range y[1:] {
			mx = math.Max(mx, yj)
		}
		var z float64
		for j, yj := range y {
			ej := math.Exp(yj - mx)
			p[j] = ej
			z += ej
		}
		inv := 1 / z
		for j := range p {
			p[j] *= inv
			gr[j] = p[j]
		}
		gr[lab]--
		f = mx + math.Log(z) - y[lab]
	}
	return f
}

// headTangent is the first-order part of row i (m = B·o, the offset of the
// tangent block): s_n = ℓ'·ẏ, the quadratic form ẏᵀℓ”ẏ and, for
// cross-entropy, ū = p·ẏ; with nb ≥ 2 it stores ℓ”ẏ in the tangent block
// of the reverse sweep.
func (e *nnEval) headTangent(i, m, nb int) (sd, quad, ub float64) {
	net := e.net
	o := net.widths[len(net.widths)-1]
	yd := e.s[len(net.widths)-1][m+i*o : m+(i+1)*o]
	D := e.del[len(net.widths)-1]
	gr, p := e.gr, e.p
	for j, u := range yd {
		sd += gr[j] * u
	}
	switch net.loss {
	case Squared:
		for _, u := range yd {
			quad += u * u
		}
		if nb >= 2 {
			copy(D[m+i*o:m+(i+1)*o], yd)
		}
	case CrossEntropy:
		for j, u := range yd {
			ub += p[j] * u
		}
		for j, u := range yd {
			r := u - ub
			quad += p[j] * r * r
		}
		if nb >= 2 {
			dd := D[m+i*o : m+(i+1)*o]
			for j, u := range yd {
				dd[j] = p[j] * (u - ub)
			}
		}
	}
	return sd, quad, ub
}

// headSecond is the second-order part of row i: q_n = quad + ℓ'·ÿ (if q is
// not nil) and, with nb ≥ 3, the second tangent block of the reverse sweep.
func (e *nnEval) headSecond(i, m int, q []float64, nb int, quad, ub float64) {
	net := e.net
	o := net.widths[len(net.widths)-1]
	S := e.s[len(net.widths)-1]
	yd := S[m+i*o : m+(i+1)*o]
	ydd := S[2*m+i*o : 2*m+(i+1)*o]
	gr, p := e.gr, e.p
	if q != nil {
		var t float64
		for j, u := range ydd {
			t += gr[j] * u
		}
		q[i] = quad + t
	}
	if nb < 3 {
		return
	}
	d3 := e.del[len(net.widths)-1][2*m+i*o : 2*m+(i+1)*o]
	switch net.loss {
	case Squared:
		copy(d3, ydd)
	case CrossEntropy:
		var pb float64
		for j, u := range ydd {
			pb += p[j] * u
		}
		for j, u := range yd {
			r := u - ub
			d3[j] = p[j] * (r*r - quad + ydd[j] - pb)
		}
	}
}

// mulWT adds α A Wᵀ to C for A rows×nin, W nout×nin and C rows×nout (all
// row-major); the GEMM packs Wᵀ itself.
func (e *nnEval) mulWT(rows, nout, nin int, alpha float64, A, W, C []float64) {
	nnGemm(&e.gw, false, true, rows, nout, nin, alpha, A, nin, W, nin, 1, C, nout)
}

// addDTA adds Dᵀ A to dW for D rows×nout, A rows×nin and dW nout×nin.
func (e *nnEval) addDTA(rows, nout, nin int, D, A, dW []float64) {
	nnGemm(&e.gw, true, false, nout, nin, rows, 1, D, nout, A, nin, 1, dW, nin)
}

// nnFillRows sets every consecutive len(b)-block of z to b.
func nnFillRows(z, b []float64) {
	n := len(b)
	for i := 0; i+n <= len(z); i += n {
		copy(z[i:i+n], b)
	}
}

// nnScaleTo sets dst = t·x: one rounded product per element, by gonum's
// vectorised kernel (the per-sample rows are bound by these stores).
func nnScaleTo(dst []float64, t float64, x []float64) {
	floats.ScaleTo(dst[:len(x)], t, x)
}

// nnColSum adds the column sums of the rows×cols matrix a to dst.
func nnColSum(dst, a []float64, rows, cols int) {
	dst = dst[:cols]
	for i := 0; i < rows; i++ {
		r := a[i*cols : (i+1)*cols]
		for j, x := range r {
			dst[j] += x
		}
	}
}

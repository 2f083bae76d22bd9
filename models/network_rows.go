package models

import "gonum.org/v1/gonum/floats"

// This file holds the per-sample rows of the network (Grads, HessVecs,
// ThirdVecs): the reverse sweep of network.go kept per sample instead of
// summed, for the dense paths and the residuals. The notation is the one at
// the top of network.go.

// Grads implements Evaluator.
func (e *nnEval) Grads(dst []float64, w []float64, lo, hi int) {
	e.check("Grads", w, lo, hi)
	e.checkLen("Grads", "dst", dst, (hi-lo)*e.net.dim)
	if hi > lo {
		e.rows(dst, w, nil, lo, hi, 1)
	}
}

// HessVecs implements Evaluator.
func (e *nnEval) HessVecs(dst []float64, w, v []float64, lo, hi int) {
	e.needOrder("HessVecs", 2)
	e.check("HessVecs", w, lo, hi)
	e.checkLen("HessVecs", "dst", dst, (hi-lo)*e.net.dim)
	e.checkLen("HessVecs", "v", v, e.net.dim)
	if hi > lo {
		e.rows(dst, w, v, lo, hi, 2)
	}
}

// ThirdVecs implements Evaluator analytically (second-order forward mode
// over the reverse sweep).
func (e *nnEval) ThirdVecs(dst []float64, w, u []float64, lo, hi int) {
	e.needOrder("ThirdVecs", 3)
	e.check("ThirdVecs", w, lo, hi)
	e.checkLen("ThirdVecs", "dst", dst, (hi-lo)*e.net.dim)
	e.checkLen("ThirdVecs", "u", u, e.net.dim)
	if hi > lo {
		e.rows(dst, w, u, lo, hi, 3)
	}
}

// rows sets row i of dst to the per-sample vector of order r along v:
// g_n (r = 1), H_n v (r = 2) or ∇³f_n[v,v] (r = 3).
func (e *nnEval) rows(dst, w, v []float64, lo, hi, r int) {
	net := e.net
	L := len(net.widths) - 1
	e.forward(w, v, lo, hi, r, r-1)
	e.head(lo, hi, nil, nil, nil, r)
	for l := L; l >= 1; l-- {
		e.rowsLayer(dst, lo, hi, r, l)
		if l > 1 {
			e.rowsReverse(w, v, hi-lo, r, l)
		}
	}
}

// rowsLayer writes layer l's weight and bias blocks of the per-sample rows
// of order r (r = 1: g_n; 2: H_n v; 3: ∇³f_n[v,v]) into dst from the
// reverse blocks [δ; δ̇; δ̈] of layer l and the forward blocks of layer l−1.
func (e *nnEval) rowsLayer(dst []float64, lo, hi, r, l int) {
	net := e.net
	B, d := hi-lo, net.dim
	nin, nout := net.widths[l-1], net.widths[l]
	m, mi := B*nout, B*nin
	D := e.del[l]
	var a, ad, add []float64
	if l == 1 {
		a = net.data.X[lo*nin : hi*nin]
	} else {
		P := e.s[l-1]
		a = P[:mi]
		if r >= 2 {
			ad = P[mi : 2*mi]
		}
		if r >= 3 {
			add = P[2*mi : 3*mi]
		}
	}
	for i := 0; i < B; i++ {
		row := dst[i*d : (i+1)*d]
		dW := row[net.wOff[l] : net.wOff[l]+nout*nin]
		ai := a[i*nin : (i+1)*nin]
		d0 := D[i*nout : (i+1)*nout]
		top := d0
		switch {
		case r == 1:
			for j, t := range d0 {
				nnScaleTo(dW[j*nin:(j+1)*nin], t, ai)
			}
		case r == 2:
			d1 := D[m+i*nout : m+(i+1)*nout]
			top = d1
			if l == 1 {
				for j, t := range d1 {
					nnScaleTo(dW[j*nin:(j+1)*nin], t, ai)
				}
				break
			}
			adi := ad[i*nin : (i+1)*nin]
			for j, t := range d1 {
				rw := dW[j*nin : (j+1)*nin]
				nnScaleTo(rw, t, ai) // rw = t·a + δ·ȧ, rounded as written
				floats.AddScaled(rw, d0[j], adi)
			}
		default:
			d1 := D[m+i*nout : m+(i+1)*nout]
			d2 := D[2*m+i*nout : 2*m+(i+1)*nout]
			top = d2
			if l == 1 {
				for j, t := range d2 {
					nnScaleTo(dW[j*nin:(j+1)*nin], t, ai)
				}
				break
			}
			adi := ad[i*nin : (i+1)*nin]
			addi := add[i*nin : (i+1)*nin]
			for j, t := range d2 {
				rw := dW[j*nin : (j+1)*nin]
				nnScaleTo(rw, t, ai) // rw = (t·a + 2δ̇·ȧ) + δ·ä, rounded as written
				floats.AddScaled(rw, 2*d1[j], adi)
				floats.AddScaled(rw, d0[j], addi)
			}
		}
		copy(row[net.bOff[l]:net.bOff[l]+nout], top)
	}
}

// rowsReverse is the reverse step from layer l to l−1 for all r orders at
// once (B samples, direction v).
func (e *nnEval) rowsReverse(w, v []float64, B, r, l int) {
	net := e.net
	nin, nout := net.widths[l-1], net.widths[l]
	m, mi := B*nout, B*nin
	D := e.del[l]
	W := w[net.wOff[l] : net.wOff[l]+nout*nin]
	G := e.g[:r*mi]
	nnGemm(&e.gw, false, false, r*B, nin, nout, 1, D[:r*m], nout, W, nin, 0, G, nin)
	if r >= 2 {
		U := v[net.wOff[l] : net.wOff[l]+nout*nin]
		nnGemm(&e.gw, false, false, B, nin, nout, 1, D[:m], nout, U, nin, 1, G[mi:2*mi], nin)
		if r >= 3 {
			nnGemm(&e.gw, false, false, B, nin, nout, 2, D[m:2*m], nout, U, nin, 1, G[2*mi:3*mi], nin)
		}
	}
	Dn := e.del[l-1]
	s1 := e.d1[l-1][:mi]
	g0, p0 := G[:mi], Dn[:mi]
	for j, g := range g0 {
		p0[j] = s1[j] * g
	}
	if r == 1 {
		return
	}
	s2 := e.d2[l-1][:mi]
	zd := e.t[l-1][:mi]
	g1, p1 := G[mi:2*mi], Dn[mi:2*mi]
	for j, g := range g1 {
		p1[j] = s1[j]*g + s2[j]*zd[j]*g0[j]
	}
	if r == 2 {
		return
	}
	s3 := e.d3[l-1][:mi]
	zdd := e.t[l-1][mi : 2*mi]
	g2, p2 := G[2*mi:3*mi], Dn[2*mi:3*mi]
	for j, g := range g2 {
		u := zd[j]
		p2[j] = s1[j]*g + 2*s2[j]*u*g1[j] + (s3[j]*u*u+s2[j]*zdd[j])*g0[j]
	}
}

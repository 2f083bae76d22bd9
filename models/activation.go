package models

import "math"

// Elementwise activation kernels shared by TwoLayer and MLP.
//
// For each activation σ the kernels return σ(z) and, on request, the first
// three derivatives, all expressed through quantities that stay accurate in
// the tails:
//
//	tanh:     t = tanh z,  σ' = 1 − t²,  σ'' = −2 t σ',  σ''' = −2 σ' (σ' − 2 t²)
//	sigmoid:  s = 1/(1+e^{−z}), s̄ = 1 − s (computed directly, not by subtraction),
//	          σ' = s s̄,  σ'' = σ' (s̄ − s),  σ''' = σ' (1 − 6 σ')
//	softplus: σ = log(1 + e^z) = max(z,0) + log1p(e^{−|z|}),
//	          σ' = s,  σ'' = s s̄,  σ''' = s s̄ (s̄ − s)     (s the sigmoid of z)
//	relu:     σ = max(z, 0),  σ' = 1{z > 0},  σ'' = σ''' = 0 (first order only)
//
// The sigmoid identities follow from σ' = s(1−s): differentiating,
// σ'' = σ'(1 − 2s) and σ''' = σ''(1 − 2s) − 2σ'² = σ'[(1 − 2s)² − 2s(1 − s)]
// = σ'(1 − 6s(1 − s)).

// nnActMaxOrder is the highest derivative order act provides.
func nnActMaxOrder(act Activation) int {
	if act == Relu {
		return 1
	}
	return 3
}

// nnSigmoid2 returns s = 1/(1+e^{−z}) and s̄ = 1 − s, both to full relative
// accuracy.
func nnSigmoid2(z float64) (s, sc float64) {
	if z >= 0 {
		t := math.Exp(-z)
		r := 1 / (1 + t)
		return r, t * r
	}
	t := math.Exp(z)
	r := 1 / (1 + t)
	return t * r, r
}

// nnActivate overwrites x (holding z) with σ(z) and, for each non-nil dk,
// sets dk to σ^{(k)}(z). Every non-nil dk must have len(x).
func nnActivate(act Activation, x, d1, d2, d3 []float64) {
	switch act {
	case Tanh:
		nnTanh(x, d1, d2, d3)
	case Sigmoid:
		nnSigmoid(x, d1, d2, d3)
	case Softplus:
		nnSoftplus(x, d1, d2, d3)
	case Relu:
		if d2 != nil || d3 != nil {
			panic("models: relu has no second or third derivative")
		}
		nnRelu(x, d1)
	default:
		panic("models: unknown activation " + act.String())
	}
}

func nnTanh(x, d1, d2, d3 []float64) {
	switch {
	case d1 == nil:
		for i, z := range x {
			x[i] = math.Tanh(z)
		}
	case d2 == nil:
		d1 = d1[:len(x)]
		for i, z := range x {
			t := math.Tanh(z)
			x[i] = t
			d1[i] = 1 - t*t
		}
	case d3 == nil:
		d1 = d1[:len(x)]
		d2 = d2[:len(x)]
		for i, z := range x {
			t := math.Tanh(z)
			p := 1 - t*t
			x[i] = t
			d1[i] = p
			d2[i] = -2 * t * p
		}
	default:
		d1 = d1[:len(x)]
		d2 = d2[:len(x)]
		d3 = d3[:len(x)]
		for i, z := range x {
			t := math.Tanh(z)
			p := 1 - t*t
			x[i] = t
			d1[i] = p
			d2[i] = -2 * t * p
			d3[i] = -2 * p * (p - 2*t*t)
		}
	}
}

func nnSigmoid(x, d1, d2, d3 []float64) {
	for i, z := range x {
		s, sc := nnSigmoid2(z)
		x[i] = s
		if d1 == nil {
			continue
		}
		p := s * sc
		d1[i] = p
		if d2 == nil {
			continue
		}
		d2[i] = p * (sc - s)
		if d3 != nil {
			d3[i] = p * (1 - 6*p)
		}
	}
}

func nnSoftplus(x, d1, d2, d3 []float64) {
	for i, z := range x {
		// One exponential serves σ and s: with t = e^{−|z|},
		// σ = max(z, 0) + log1p(t) and s = 1/(1+t) (z ≥ 0) or t/(1+t).
		t := math.Exp(-math.Abs(z))
		r := 1 / (1 + t)
		s, sc := r, t*r
		if z > 0 {
			x[i] = z + math.Log1p(t)
		} else {
			x[i] = math.Log1p(t)
			s, sc = sc, s
		}
		if d1 == nil {
			continue
		}
		d1[i] = s
		if d2 == nil {
			continue
		}
		p := s * sc
		d2[i] = p
		if d3 != nil {
			d3[i] = p * (sc - s)
		}
	}
}

func nnRelu(x, d1 []float64) {
	for i, z := range x {
		if z > 0 {
			if d1 != nil {
				d1[i] = 1
			}
			continue
		}
		x[i] = 0
		if d1 != nil {
			d1[i] = 0
		}
	}
}

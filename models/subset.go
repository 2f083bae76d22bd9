package models

import "fmt"

// Subsetter is an optional interface of a Model: Subset returns the model
// whose sample i is sample idx[i] of the receiver, in the given order, with
// the same weight layout. Indices may repeat. The result owns copies of the
// selected samples' data (it does not alias the receiver's), so evaluating
// the samples [lo, hi) of the subset reads contiguous rows.
//
// Callers find it by type assertion. Minibatch SGD uses it to permute the
// data once per epoch and then take contiguous batches; a model without it
// is evaluated with per-sample weights that are zero off the batch (correct,
// but every step then costs a full pass).
//
// Subset panics if idx is empty or an index is outside [0, Len()).
type Subsetter interface {
	Subset(idx []int) Model
}

// checkSubset panics unless idx is a non-empty list of indices in [0, n).
func checkSubset(kind string, idx []int, n int) {
	if len(idx) == 0 {
		panic(fmt.Sprintf("models: %s: Subset of no samples, need at least 1 index", kind))
	}
	for i, k := range idx {
		if k < 0 || k >= n {
			panic(fmt.Sprintf("models: %s: Subset: idx[%d] = %d is outside [0, %d)", kind, i, k, n))
		}
	}
}

// copyRows appends, for each index k of idx, the row src[k·w : (k+1)·w]
// to a new slice of len(idx)·w values.
func copyRows(src []float64, idx []int, w int) []float64 {
	dst := make([]float64, len(idx)*w)
	for i, k := range idx {
		copy(dst[i*w:(i+1)*w], src[k*w:(k+1)*w])
	}
	return dst
}

// Subset returns the quadratic model of the samples idx (A_n and c_n
// copied, in the order of idx). It implements Subsetter.
func (q *Quadratic) Subset(idx []int) Model {
	checkSubset("quadratic", idx, q.n)
	d := q.d
	return &Quadratic{d: d, n: len(idx),
		a:    copyRows(q.a, idx, d*d),
		c:    copyRows(q.c, idx, d),
		name: fmt.Sprintf("quadratic(d=%d, N=%d)", d, len(idx))}
}

// subset returns the glm over the samples idx (inputs and targets copied).
func (g *glm) subset(idx []int) glm {
	checkSubset(g.kindName, idx, g.n)
	s := *g
	s.n = len(idx)
	s.x = copyRows(g.x, idx, g.in)
	s.y = copyRows(g.y, idx, 1)
	b := "no bias"
	if g.bias {
		b = "bias"
	}
	s.name = fmt.Sprintf("%s(in=%d, %s, N=%d)", g.kindName, g.in, b, s.n)
	return s
}

// Subset returns the linear-regression model of the samples idx, in that
// order (rows copied). It implements Subsetter.
func (m *LinearRegression) Subset(idx []int) Model { return &LinearRegression{m.subset(idx)} }

// Subset returns the logistic model of the samples idx, in that order
// (rows copied). It implements Subsetter.
func (m *Logistic) Subset(idx []int) Model { return &Logistic{m.subset(idx)} }

// subset returns the network over a copy of the samples idx of its data.
func (net *nnNet) subset(idx []int) *nnNet {
	d := net.data
	checkSubset(net.kind, idx, d.N)
	sd := &Data{N: len(idx), In: d.In, Out: d.Out,
		X: copyRows(d.X, idx, d.In),
		Y: copyRows(d.Y, idx, d.Out)}
	if d.Labels != nil {
		sd.Labels = make([]int, len(idx))
		for i, k := range idx {
			sd.Labels[i] = d.Labels[k]
		}
	}
	s := *net // widths, wOff, bOff are immutable and may be shared
	s.data = sd
	return &s
}

// Subset returns the two-layer network on the samples idx of its data, in
// that order (rows copied), with the same weight layout. It implements
// Subsetter.
func (m *TwoLayer) Subset(idx []int) Model {
	return &TwoLayer{net: m.net.subset(idx), hidden: m.hidden}
}

// Subset returns the MLP on the samples idx of its data, in that order
// (rows copied), with the same weight layout. It implements Subsetter.
func (m *MLP) Subset(idx []int) Model { return &MLP{net: m.net.subset(idx)} }

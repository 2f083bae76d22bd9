package models

import "fmt"

// TwoLayer is the two-layer network
//
//	ŷ = W2 σ(W1 x + b1) + b2,
//
// with h hidden units, σ ∈ {tanh, sigmoid, softplus} (relu is accepted for
// first-order work only: MaxOrder 1) and per-sample loss
//
//	squared:        f_n = ½‖ŷ_n − y_n‖²        (y_n the row of Data.Y),
//	cross-entropy:  f_n = −log softmax(ŷ_n)_k   (k = Data.Labels[n]).
//
// The weights are w = [W1 (h×n, row-major), b1 (h), W2 (o×h, row-major),
// b2 (o)] with n = Data.In and o = Data.Out, so d = h(n+1) + o(h+1)
// (DESIGN §3). All Evaluator operations are exact; Accumulate is a single
// fused forward-over-reverse sweep per chunk. TwoLayer is the MLP with
// layers [n, h, o] and shares its implementation.
type TwoLayer struct {
	net    *nnNet
	hidden int
}

// NewTwoLayer returns the two-layer network on d with the given number of
// hidden units, activation and loss. It returns an error if d is invalid,
// hidden < 1, the activation or loss is unknown, or the loss is
// cross-entropy and d has no Labels (or fewer than two outputs). The model
// keeps a reference to d, which must not be modified afterwards.
func NewTwoLayer(d *Data, hidden int, act Activation, loss Loss) (*TwoLayer, error) {
	if hidden < 1 {
		return nil, errorf(ErrInvalid, "two-layer: hidden = %d, need at least 1 hidden unit", hidden)
	}
	if d == nil {
		return nil, errorf(ErrInvalid, "two-layer: data is nil")
	}
	name := fmt.Sprintf("two-layer(%v, h=%d, %v)", act, hidden, loss)
	net, err := newNNNet("two-layer", name, d, []int{d.In, hidden, d.Out}, act, loss)
	if err != nil {
		return nil, err
	}
	return &TwoLayer{net: net, hidden: hidden}, nil
}

// Name returns e.g. "two-layer(tanh, h=8, squared)".
func (m *TwoLayer) Name() string { return m.net.name }

// Dim returns d = h(n+1) + o(h+1).
func (m *TwoLayer) Dim() int { return m.net.dim }

// Len returns the number of samples N.
func (m *TwoLayer) Len() int { return m.net.data.N }

// MaxOrder returns 3 for smooth activations and 1 for relu.
func (m *TwoLayer) MaxOrder() int { return m.net.maxOrder() }

// Hidden returns the number of hidden units h.
func (m *TwoLayer) Hidden() int { return m.hidden }

// Activation returns σ.
func (m *TwoLayer) Activation() Activation { return m.net.act }

// Loss returns the per-sample loss.
func (m *TwoLayer) Loss() Loss { return m.net.loss }

// NewEvaluator returns an Evaluator with scratch for chunks of at most
// maxChunk samples (O(maxChunk·(n+h+o)) memory). It panics if maxChunk < 1.
// Second- and third-order methods of a relu model panic.
func (m *TwoLayer) NewEvaluator(maxChunk int) Evaluator { return m.net.newEval(maxChunk) }

package models

import (
	"fmt"
	"strings"
)

// MLP is a fully connected feed-forward network of any depth L ≥ 1:
//
//	a_0 = x,  a_l = σ(W_l a_{l−1} + b_l) (l < L),  ŷ = W_L a_{L−1} + b_L,
//
// with widths layers = [n_0, …, n_L] (input n_0 = Data.In and output
// n_L = Data.Out included), σ between layers and none after the last, and
// the losses of TwoLayer. The weights are the concatenation over l = 1..L of
// [W_l (n_l×n_{l−1}, row-major), b_l (n_l)] (DESIGN §3), so the MLP with
// layers [n, h, o] is TwoLayer with h hidden units, weight for weight.
type MLP struct {
	net *nnNet
}

// NewMLP returns the network with the given layer widths, activation and
// loss on d. It returns an error if d is invalid, layers has fewer than two
// entries or a width < 1, layers[0] ≠ d.In or the last width ≠ d.Out, the
// activation or loss is unknown, or the loss is cross-entropy and d has no
// Labels (or fewer than two outputs). The model keeps a reference to d,
// which must not be modified afterwards.
func NewMLP(d *Data, layers []int, act Activation, loss Loss) (*MLP, error) {
	if len(layers) < 2 {
		return nil, errorf(ErrInvalid, "mlp: layers %v must list at least the input and output widths [n, …, o]", layers)
	}
	for i, n := range layers {
		if n < 1 {
			return nil, errorf(ErrInvalid, "mlp: layers[%d] = %d, every width must be at least 1", i, n)
		}
	}
	if d == nil {
		return nil, errorf(ErrInvalid, "mlp: data is nil")
	}
	if layers[0] != d.In {
		return nil, errorf(ErrInvalid, "mlp: input width layers[0] = %d, but the data has %d input columns", layers[0], d.In)
	}
	if last := layers[len(layers)-1]; last != d.Out {
		return nil, errorf(ErrInvalid, "mlp: output width layers[%d] = %d, but the data has %d target columns", len(layers)-1, last, d.Out)
	}
	ws := make([]string, len(layers))
	for i, n := range layers {
		ws[i] = fmt.Sprint(n)
	}
	name := fmt.Sprintf("mlp(%v, [%s], %v)", act, strings.Join(ws, " "), loss)
	net, err := newNNNet("mlp", name, d, layers, act, loss)
	if err != nil {
		return nil, err
	}
	return &MLP{net: net}, nil
}

// Name returns e.g. "mlp(tanh, [4 8 8 3], squared)".
func (m *MLP) Name() string { return m.net.name }

// Dim returns d = Σ_l n_l (n_{l−1} + 1).
func (m *MLP) Dim() int { return m.net.dim }

// Len returns the number of samples N.
func (m *MLP) Len() int { return m.net.data.N }

// MaxOrder returns 3 for smooth activations and 1 for relu.
func (m *MLP) MaxOrder() int { return m.net.maxOrder() }

// Layers returns a copy of the widths [n_0, …, n_L].
func (m *MLP) Layers() []int { return append([]int(nil), m.net.widths...) }

// Activation returns σ.
func (m *MLP) Activation() Activation { return m.net.act }

// Loss returns the per-sample loss.
func (m *MLP) Loss() Loss { return m.net.loss }

// NewEvaluator returns an Evaluator with scratch for chunks of at most
// maxChunk samples (O(maxChunk·Σ n_l) memory). It panics if maxChunk < 1.
// Second- and third-order methods of a relu model panic.
func (m *MLP) NewEvaluator(maxChunk int) Evaluator { return m.net.newEval(maxChunk) }

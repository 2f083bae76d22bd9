package models

import (
	"fmt"
	"strings"
)

// Model is a data set of N per-sample losses f_n(w), n = 0..N-1, over a
// weight vector w ∈ R^d, with exact derivatives.
//
// A Model is immutable after construction and safe for concurrent use; all
// scratch memory lives in the Evaluators it hands out, one per goroutine.
type Model interface {
	// Name is a short human-readable description, e.g. "two-layer(tanh, h=8, squared)".
	Name() string
	// Dim is d, the number of weights.
	Dim() int
	// Len is N, the number of samples.
	Len() int
	// MaxOrder is the highest derivative order the model provides exactly:
	// 3 for smooth models (every Evaluator method is valid), 1 for models
	// such as relu networks whose per-sample Hessians are not defined
	// (only Losses, the s output of Directional and Accumulate with e == nil
	// are valid). Callers check it before they start; see RequireOrder.
	MaxOrder() int
	// NewEvaluator returns scratch space for evaluating chunks of at most
	// maxChunk consecutive samples. An Evaluator is used by one goroutine at
	// a time.
	NewEvaluator(maxChunk int) Evaluator
}

// Evaluator evaluates a model on a chunk of consecutive samples
// [lo, hi), hi−lo ≤ the maxChunk it was made for, at weights w (len d).
// Per-sample outputs are indexed by i = n − lo. Row outputs are
// (hi−lo)×d row-major: row i is the vector of sample lo+i.
//
// Methods overwrite their per-sample outputs and add into their summed
// outputs (so a caller can accumulate over chunks). Lengths are the caller's
// responsibility: a wrong length is a programmer error and panics.
// Steady-state calls must not allocate.
type Evaluator interface {
	// Losses sets loss[i] = f_n(w).
	Losses(loss, w []float64, lo, hi int)

	// Directional sets s[i] = g_n·v and q[i] = vᵀ H_n v (first and second
	// directional derivatives of f_n along v). Either of s and q may be nil,
	// in which case it is not computed. loss, if non-nil, receives f_n too.
	Directional(loss, s, q []float64, w, v []float64, lo, hi int)

	// Accumulate adds Σ_n c[i] g_n + e[i] H_n v into dst (len d).
	// e (and then v) may be nil: a pure weighted gradient sum. c may be nil:
	// a pure weighted Hessian-vector sum. With c[i] = 1/N over all chunks
	// this is ∇f; with e[i] = 1/N it is H v for the mean loss.
	Accumulate(dst []float64, c, e []float64, w, v []float64, lo, hi int)

	// Grads sets row i of dst ((hi−lo)×d) to g_n. Dense paths and tests only.
	Grads(dst []float64, w []float64, lo, hi int)

	// HessVecs sets row i of dst to H_n v.
	HessVecs(dst []float64, w, v []float64, lo, hi int)

	// ThirdVecs sets row i of dst to ∇³f_n[u,u], the vector with components
	// Σ_ij ∂_k∂_i∂_j f_n u_i u_j. Models without analytic third derivatives
	// may implement it with ThirdVecsFD.
	ThirdVecs(dst []float64, w, u []float64, lo, hi int)
}

// LossAccumulator is implemented by the Evaluators that can hand out the
// per-sample losses of a weighted gradient sum from the same forward sweep
// (the network models): AccumulateLosses(loss, dst, c, w, lo, hi) has the
// effect, bit for bit, of Losses(loss, w, lo, hi) followed by
// Accumulate(dst, c, nil, w, nil, lo, hi), at about the cost of the
// Accumulate alone. c may be nil (losses only).
type LossAccumulator interface {
	AccumulateLosses(loss, dst, c, w []float64, lo, hi int)
}

// RequireOrder returns an error naming the model if it does not provide
// derivatives up to order k (1 = gradients, 2 = Hessians, 3 = third
// derivatives). why names the operation that needs them, e.g. "ngd".
func RequireOrder(m Model, k int, why string) error {
	if m.MaxOrder() >= k {
		return nil
	}
	return errorf(ErrOrder, "%s needs derivatives of order %d but model %s provides only order %d (use a smooth activation: tanh, sigmoid or softplus)",
		why, k, m.Name(), m.MaxOrder())
}

// Data is a supervised data set in the layout the built-in models read.
//
// X is N×In row-major inputs. Y is N×Out row-major targets: regression
// targets, 0/1 logistic targets (Out = 1) or one-hot class rows. Labels,
// when the targets are classes, holds each sample's class index in 0..Out−1
// (cross-entropy reads it; squared loss reads the one-hot Y).
type Data struct {
	N, In, Out int
	X          []float64
	Y          []float64
	Labels     []int
}

// Validate checks the shapes of d and that it holds at least one sample.
func (d *Data) Validate() error {
	switch {
	case d.N < 1:
		return errorf(ErrInvalid, "data set has %d samples, need at least 1", d.N)
	case d.In < 1:
		return errorf(ErrInvalid, "data set has %d input columns, need at least 1", d.In)
	case d.Out < 1:
		return errorf(ErrInvalid, "data set has %d target columns, need at least 1", d.Out)
	case len(d.X) != d.N*d.In:
		return errorf(ErrInvalid, "len(X) = %d, want N·In = %d·%d", len(d.X), d.N, d.In)
	case len(d.Y) != d.N*d.Out:
		return errorf(ErrInvalid, "len(Y) = %d, want N·Out = %d·%d", len(d.Y), d.N, d.Out)
	case d.Labels != nil && len(d.Labels) != d.N:
		return errorf(ErrInvalid, "len(Labels) = %d, want N = %d", len(d.Labels), d.N)
	}
	for i, l := range d.Labels {
		if l < 0 || l >= d.Out {
			return errorf(ErrInvalid, "label of sample %d is %d, want 0..%d", i, l, d.Out-1)
		}
	}
	return nil
}

// Activation is a network's elementwise nonlinearity σ.
type Activation int

// Activations. Relu is accepted for first-order work only (MaxOrder 1).
const (
	Tanh Activation = iota
	Sigmoid
	Softplus
	Relu
)

var activationNames = [...]string{"tanh", "sigmoid", "softplus", "relu"}

func (a Activation) String() string {
	if a < 0 || int(a) >= len(activationNames) {
		return fmt.Sprintf("Activation(%d)", int(a))
	}
	return activationNames[a]
}

// ParseActivation parses "tanh", "sigmoid", "softplus" or "relu".
func ParseActivation(s string) (Activation, error) {
	for i, n := range activationNames {
		if s == n {
			return Activation(i), nil
		}
	}
	return 0, errorf(ErrInvalid, "unknown activation %q (valid: %s)", s, strings.Join(activationNames[:], ", "))
}

// Loss is a network's per-sample loss on its output ŷ.
type Loss int

// Losses: Squared is ½‖ŷ − y‖²; CrossEntropy is −log softmax(ŷ)_label.
const (
	Squared Loss = iota
	CrossEntropy
)

var lossNames = [...]string{"squared", "cross-entropy"}

func (l Loss) String() string {
	if l < 0 || int(l) >= len(lossNames) {
		return fmt.Sprintf("Loss(%d)", int(l))
	}
	return lossNames[l]
}

// ParseLoss parses "squared" or "cross-entropy".
func ParseLoss(s string) (Loss, error) {
	for i, n := range lossNames {
		if s == n {
			return Loss(i), nil
		}
	}
	return 0, errorf(ErrInvalid, "unknown loss %q (valid: %s)", s, strings.Join(lossNames[:], ", "))
}

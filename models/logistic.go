package models

// Logistic is logistic regression on a linear score (DESIGN §3 `logistic`):
//
//	s = w·x (+ b),   f_n = softplus(s) − y_n s,   y_n ∈ {0, 1},
//
// with the bias b, when present, the last weight. With x̃ = (x, 1) (or x
// without bias) and σ the logistic sigmoid:
//
//	g_n = (σ(s) − y) x̃,   H_n = σ'(s) x̃ x̃ᵀ,   ∇³f_n[u,u] = σ''(s) (x̃·u)² x̃,
//
// σ' = σ(1−σ), σ” = σ'(1−2σ). Loss, sigmoid and its derivatives are
// evaluated without overflow or cancellation for any |s| (for y = 1 the loss
// is computed as softplus(−s)). MaxOrder is 3.
type Logistic struct{ glm }

// NewLogistic returns the logistic model of data, which must have one target
// column (Out = 1) whose values are exactly 0 or 1, and finite inputs. The
// data are copied. With bias the model has d = In + 1 weights, the bias last.
func NewLogistic(d *Data, bias bool) (*Logistic, error) {
	g, err := newGLM(glmLogistic, "logistic", d, bias)
	if err != nil {
		return nil, err
	}
	return &Logistic{g}, nil
}

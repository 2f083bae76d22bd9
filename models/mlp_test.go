package models

import (
	"slices"
	"strings"
	"testing"
)

func TestNewMLPErrors(t *testing.T) {
	reg := nnTestData(1, 5, 3, 2, false)
	for _, tc := range []struct {
		name   string
		d      *Data
		layers []int
		loss   Loss
		want   []string // substrings of the error
	}{
		{"input mismatch", reg, []int{4, 5, 2}, Squared, []string{"layers[0] = 4", "3 input columns"}},
		{"output mismatch", reg, []int{3, 5, 6, 3}, Squared, []string{"layers[3] = 3", "2 target columns"}},
		{"too few layers", reg, []int{3}, Squared, []string{"at least the input and output"}},
		{"no layers", reg, nil, Squared, []string{"at least the input and output"}},
		{"zero width", reg, []int{3, 0, 2}, Squared, []string{"layers[1] = 0"}},
		{"nil data", nil, []int{3, 2}, Squared, []string{"data is nil"}},
		{"cross-entropy without labels", reg, []int{3, 4, 2}, CrossEntropy, []string{"Labels is nil"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewMLP(tc.d, tc.layers, Tanh, tc.loss)
			if err == nil {
				t.Fatalf("NewMLP succeeded (%s), want an error", m.Name())
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "models: mlp: ") {
				t.Errorf("error %q lacks the \"models: mlp: \" prefix", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestMLPAccessors(t *testing.T) {
	d := nnTestData(1, 4, 3, 2, false)
	layers := []int{3, 5, 4, 2}
	m, err := NewMLP(d, layers, Relu, Squared)
	if err != nil {
		t.Fatal(err)
	}
	layers[1] = 99 // the model keeps its own copy
	got := m.Layers()
	got[2] = 77 // and hands out copies
	// d = 5·(3+1) + 4·(5+1) + 2·(4+1).
	if m.Dim() != 54 || m.Len() != 4 || m.MaxOrder() != 1 || !slices.Equal(m.Layers(), []int{3, 5, 4, 2}) ||
		m.Activation() != Relu || m.Loss() != Squared || m.Name() != "mlp(relu, [3 5 4 2], squared)" {
		t.Errorf("got Dim %d Len %d MaxOrder %d Layers %v %v %v %q", m.Dim(), m.Len(), m.MaxOrder(), m.Layers(), m.Activation(), m.Loss(), m.Name())
	}
}

// TestNetworkEmptyChunk checks that every operation accepts an empty chunk
// and leaves its outputs alone.
func TestNetworkEmptyChunk(t *testing.T) {
	d := nnTestData(4, 4, 2, 2, true)
	m, err := NewMLP(d, []int{2, 3, 2}, Tanh, CrossEntropy)
	if err != nil {
		t.Fatal(err)
	}
	w := nnTestVec(1, m.Dim(), 1)
	dst := nnTestVec(2, m.Dim(), 1)
	keep := slices.Clone(dst)
	ev := m.NewEvaluator(2)
	none := []float64{}
	ev.Losses(none, w, 2, 2)
	ev.Directional(none, none, none, w, w, 2, 2)
	ev.Accumulate(dst, none, none, w, w, 2, 2)
	ev.Grads(none, w, 4, 4)
	ev.HessVecs(none, w, w, 0, 0)
	ev.ThirdVecs(none, w, w, 0, 0)
	if !slices.Equal(dst, keep) {
		t.Errorf("Accumulate over an empty chunk changed dst")
	}
}

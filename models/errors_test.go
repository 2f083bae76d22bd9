package models

import (
	"errors"
	"strings"
	"testing"
)

// TestErrorKinds: constructors and RequireOrder return *Error values that
// wrap their sentinel, print with the package prefix once, and give the
// message without it as Detail.
func TestErrorKinds(t *testing.T) {
	d := &Data{N: 2, In: 1, Out: 1, X: []float64{1, 2}, Y: []float64{0, 1}}
	relu, err := NewTwoLayer(d, 2, Relu, Squared)
	if err != nil {
		t.Fatal(err)
	}
	_, badHidden := NewTwoLayer(d, 0, Tanh, Squared)
	_, badData := NewTwoLayer(&Data{N: 2, In: 1, Out: 1, X: []float64{1}, Y: []float64{0, 1}}, 2, Tanh, Squared)
	for _, c := range []struct {
		name string
		err  error
		kind error
	}{
		{"order", RequireOrder(relu, 2, "the ngd flow"), ErrOrder},
		{"hidden", badHidden, ErrInvalid},
		{"data", badData, ErrInvalid},
	} {
		var e *Error
		if !errors.Is(c.err, c.kind) || !errors.As(c.err, &e) {
			t.Errorf("%s: %v is not an *Error wrapping %v", c.name, c.err, c.kind)
			continue
		}
		if msg := c.err.Error(); !strings.HasPrefix(msg, "models: ") || msg != "models: "+e.Detail() {
			t.Errorf("%s: Error() = %q, Detail() = %q", c.name, msg, e.Detail())
		}
	}
}

package scenarios

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// FuzzReadWeights: ReadWeights never panics; what it accepts has the asked
// length and only finite numbers; what it rejects is an *Error wrapping
// ErrWeights. Seeds: the weight-file rows of the error catalogue.
func FuzzReadWeights(f *testing.F) {
	for _, s := range []string{
		"0.1\n0.2\n", "0.1\nzero\n", "0.1\nNaN\n", "# comment\n\n1e308\n-Inf\n", "", "\n\n#\n",
		"1 2\n", "0x1p-3\n", "1_000\n", "+.5\r\n-.5\r\n", "1e400\n", "\x00\n",
	} {
		f.Add(s, 2)
		f.Add(s, -1)
	}
	f.Fuzz(func(t *testing.T, text string, d int) {
		d = d%20 - 1 // −1 (any length) … 18
		w, err := ReadWeights(strings.NewReader(text), "fuzz.txt", d)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrWeights) {
				t.Fatalf("error %v is not an *Error wrapping ErrWeights", err)
			}
			return
		}
		if d >= 0 && len(w) != d {
			t.Fatalf("accepted %d values, asked for %d", len(w), d)
		}
		for _, v := range w {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("accepted a non-finite weight %v", v)
			}
		}
	})
}

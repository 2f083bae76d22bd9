package scenarios

import (
	"errors"
	"strings"
	"testing"
)

// TestYAMLSyntaxErrorLine: a syntax error is reported on the line where
// it is, for the parser's errors (an unclosed [ or {, reported one line
// early by the YAML library) as for the scanner's.
func TestYAMLSyntaxErrorLine(t *testing.T) {
	pad := strings.Repeat("# comment\n", 16) // lines 1–16
	for _, c := range []struct {
		name, text string
		line       int
	}{
		{"unclosed [ on line 18", pad + "name: x\nflows: [gd, ngd\n", 18},
		{"unclosed { on line 18", pad + "name: x\nmodel: {kind: quadratic\n", 18},
		{"unclosed { on line 2", "name: x\nmodel: {kind: quadratic\n", 2},
		// Opened on line 1, the parser reports where it gave up: the end
		// of the file on line 2.
		{"unclosed { on line 1", "model: {kind: quadratic\n", 2},
		{"scanner error on line 3", "name: x\nseed: 1\nmodel: @x\n", 3},
	} {
		_, err := Parse([]byte(c.text), "s.yaml")
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrSyntax) {
			t.Fatalf("%s: err %v, want a syntax *Error", c.name, err)
		}
		if e.Line != c.line {
			t.Errorf("%s: line %d, want %d (%v)", c.name, e.Line, c.line, err)
		}
	}
}

package scenarios

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ReadWeights reads a weight vector, one number per line; blank lines and
// lines starting with '#' are skipped. If d ≥ 0 the vector must have
// exactly d values. name is used in messages (name:line: …), which wrap
// ErrWeights.
func ReadWeights(r io.Reader, name string, d int) ([]float64, error) {
	fail := func(line int, msg string) error {
		return &Error{File: name, Line: line, Msg: msg, Err: ErrWeights}
	}
	var w []float64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if line == 1 {
			t = strings.TrimPrefix(t, "\ufeff")
		}
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		v, msg := parseCell(t)
		if msg != "" {
			return nil, fail(line, msg+" (a weight file holds one number per line)")
		}
		if d >= 0 && len(w) == d {
			return nil, fail(line, fmt.Sprintf("more than %d values: the model has d = %d weights", d, d))
		}
		w = append(w, v)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fail(line+1, "line too long: want one number per line")
		}
		return nil, &Error{File: name, Msg: "reading: " + err.Error(), Err: ErrWeights}
	}
	if d >= 0 && len(w) != d {
		return nil, fail(0, fmt.Sprintf("has %d values, the model has d = %d weights (one value per line)", len(w), d))
	}
	if len(w) == 0 {
		return nil, fail(0, "no values: want one number per line")
	}
	return w, nil
}

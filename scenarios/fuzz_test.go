package scenarios

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics; what it accepts is valid, marshals, and
// parses back to the same scenario; what it rejects is an *Error.
func FuzzParse(f *testing.F) {
	f.Add([]byte(quadBase))
	f.Add([]byte(netBase))
	f.Add([]byte(`{"name": "j", "model": {"kind": "quadratic", "dim": 2, "count": 3}, "time": {"t1": 1}}`))
	f.Add([]byte("name: q\nmodel: {kind: quadratic, samples: [{A: &a [[1]], c: [0]}, {A: *a, c: [1]}]}\ntime: {t1: 1}\n"))
	f.Add([]byte("name: [\n"))
	f.Add([]byte("- a\n- b\n"))
	for _, b := range builtins {
		y, _ := BuiltinYAML(b.Name)
		f.Add(y)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.yaml")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Err == nil {
				t.Fatalf("error %v is not an *Error with a sentinel", err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("accepted scenario does not validate: %v", err)
		}
		y, err := s.YAML()
		if err != nil {
			t.Fatal(err)
		}
		s2, err := Parse(y, "again.yaml")
		if err != nil {
			t.Fatalf("re-parse of\n%s\nfailed: %v", y, err)
		}
		y2, _ := s2.YAML()
		if !bytes.Equal(y, y2) {
			t.Fatalf("round trip changed\n%s\ninto\n%s", y, y2)
		}
	})
}

// FuzzLoadCSV: ReadData never panics; what it accepts is shaped right,
// finite, and standardised columns have mean ≈ 0.
func FuzzLoadCSV(f *testing.F) {
	f.Add("a,b,y\n1,2,0\n3,4,1\n", false, 0)
	f.Add("a,y\n1,0\n2,1.5\n", true, 0)
	f.Add("a,b,y\n1,2\n", false, 1)
	f.Add("", false, 0)
	f.Add("y\n1\n", true, 0)
	f.Add("a,y\n\"1\",NaN\n", false, 0)
	f.Add("\ufeffa,y\r\n1e308,1e9\r\n-1e308,2\r\n", true, 1)
	f.Fuzz(func(t *testing.T, text string, classes bool, limit int) {
		if limit < 0 {
			limit = -limit % 10
		}
		ds, err := ReadData(strings.NewReader(text), "fuzz.csv", DataSpec{Classes: classes, Limit: limit})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Err == nil {
				t.Fatalf("error %v is not an *Error with a sentinel", err)
			}
			return
		}
		d := ds.Data
		if err := d.Validate(); err != nil {
			t.Fatal(err)
		}
		for _, v := range d.X {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("non-finite input %v", v)
			}
		}
		for _, v := range d.Y {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("non-finite target %v", v)
			}
		}
		// Every input column is standardised (or, if constant, centred):
		// its mean is 0 up to the rounding of N terms of its magnitude.
		for j := 0; j < d.In; j++ {
			var sum, big float64
			for n := 0; n < d.N; n++ {
				x := d.X[n*d.In+j]
				sum += x
				big = math.Max(big, math.Abs(x))
			}
			if mean := sum / float64(d.N); math.Abs(mean) > 1e-13*float64(d.N)*math.Max(big, 1) {
				t.Fatalf("standardised input column %d has mean %g (largest |x| %g, N = %d)", j, mean, big, d.N)
			}
		}
	})
}

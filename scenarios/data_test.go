package scenarios

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func readCSV(t *testing.T, text string, spec DataSpec) *Dataset {
	t.Helper()
	ds, err := ReadData(strings.NewReader(text), "t.csv", spec)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestReadDataErrors(t *testing.T) {
	cases := []struct {
		name     string
		csv      string
		spec     DataSpec
		sentinel error
		pieces   []string
	}{
		{"empty", "", DataSpec{}, ErrData, []string{"scenarios: t.csv: empty file: want a header row"}},
		{"blank lines only", "\n\n", DataSpec{}, ErrData, []string{"t.csv: empty file"}},
		{"header only", "a,b,y\n", DataSpec{}, ErrData, []string{"t.csv:1: header only: no data rows"}},
		{"short row", "a,b,y\n1,2,3\n4,5\n", DataSpec{}, ErrData, []string{"t.csv:3:3: row has 2 fields, the header has 3"}},
		{"long row", "a,b,y\n1,2,3,4\n", DataSpec{}, ErrData, []string{"t.csv:2:7: row has 4 fields, the header has 3"}},
		{"non-numeric", "a,b,y\n1,2,3\n4,x5,6\n", DataSpec{}, ErrData, []string{"t.csv:3:3: column \"b\": cannot read \"x5\" as a number"}},
		{"empty cell", "a,b,y\n1,,3\n", DataSpec{}, ErrData, []string{"t.csv:2:3: column \"b\": empty cell, want a number"}},
		{"NaN", "a,b,y\n1,2,3\nNaN,2,3\n", DataSpec{}, ErrData, []string{"t.csv:3:1: column \"a\": \"NaN\" is not a number (NaN is not allowed)"}},
		{"Inf", "a,b,y\n1,-Inf,3\n", DataSpec{}, ErrData, []string{"t.csv:2:3: column \"b\": \"-Inf\" is infinite or out of range"}},
		{"overflow", "a,b,y\n1,2,1e400\n", DataSpec{}, ErrData, []string{"t.csv:2:5: column \"y\": \"1e400\" is infinite or out of range"}},
		{"bad quote", "a,b,y\n1,\"2,3\n", DataSpec{}, ErrData, []string{"t.csv:2:", "not valid CSV"}},
		{"missing target", "a,b,y\n1,2,3\n", DataSpec{Target: Columns{"species"}}, ErrData,
			[]string{"t.csv:1: data.target: no column \"species\" (columns: a, b, y)"}},
		{"missing input", "a,b,y\n1,2,3\n", DataSpec{Inputs: []string{"a", "c"}}, ErrData,
			[]string{"t.csv:1: data.inputs: no column \"c\" (columns: a, b, y)"}},
		{"input is target", "a,b,y\n1,2,3\n", DataSpec{Inputs: []string{"y"}}, ErrConflict,
			[]string{"data.inputs: column \"y\" is a target"}},
		{"no inputs", "y\n1\n", DataSpec{}, ErrData, []string{"t.csv:1: data.inputs: no input columns (columns: y; targets: y)"}},
		{"empty header name", "a,,y\n1,2,3\n", DataSpec{}, ErrData, []string{"t.csv:1:3: header: column 2 has no name"}},
		{"duplicate header", "a,b,a\n1,2,3\n", DataSpec{}, ErrData, []string{"t.csv:1:5: header: column name \"a\" repeats column 1"}},
		{"fractional label", "a,y\n1,0\n2,1.5\n", DataSpec{Classes: true}, ErrData,
			[]string{"t.csv:3:3: column \"y\": class label 1.5 is not an integer"}},
		{"negative label", "a,y\n1,0\n2,-1\n", DataSpec{Classes: true}, ErrData,
			[]string{"t.csv:3:3: column \"y\": class label -1 is negative (want 0..K−1)"}},
		{"huge label", "a,y\n1,1e9\n", DataSpec{Classes: true}, ErrData, []string{"class label 1e+09 is too large"}},
		{"bad row beyond limit", "a,y\n1,0\n2,1\nx,1\n", DataSpec{Limit: 1}, ErrData, []string{"t.csv:4:1: column \"a\": cannot read \"x\""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadData(strings.NewReader(c.csv), "t.csv", c.spec)
			if err == nil {
				t.Fatal("ReadData succeeded, want an error")
			}
			if !errors.Is(err, c.sentinel) {
				t.Errorf("error %q does not wrap %v", err, c.sentinel)
			}
			for _, p := range c.pieces {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error\n  %s\nlacks\n  %s", err, p)
				}
			}
		})
	}
}

// TestStandardize checks the z-scores against a hand computation with the
// population (1/N) standard deviation, a constant column only centred, and
// raw targets.
func TestStandardize(t *testing.T) {
	// a = 1,2,3,4: mean 2.5, population variance (2.25+0.25+0.25+2.25)/4 = 1.25.
	// c = 7,7,7,7: constant, so only centred.
	// b = 0,0,0,10: mean 2.5, variance (3·6.25 + 56.25)/4 = 18.75.
	ds := readCSV(t, "a,c,b,y\n1,7,0,10\n2,7,0,20\n3,7,0,30\n4,7,10,40\n", DataSpec{})
	sa, sb := math.Sqrt(1.25), math.Sqrt(18.75)
	want := []float64{
		-1.5 / sa, 0, -2.5 / sb,
		-0.5 / sa, 0, -2.5 / sb,
		0.5 / sa, 0, -2.5 / sb,
		1.5 / sa, 0, 7.5 / sb,
	}
	d := ds.Data
	if d.N != 4 || d.In != 3 || d.Out != 1 || d.Labels != nil {
		t.Fatalf("shape N=%d In=%d Out=%d labels=%v", d.N, d.In, d.Out, d.Labels)
	}
	for i := range want {
		// Each value is a handful of correctly rounded operations away from
		// the formula: a few ulps.
		if math.Abs(d.X[i]-want[i]) > 4e-16*math.Max(1, math.Abs(want[i])) {
			t.Errorf("X[%d] = %.17g, want %.17g", i, d.X[i], want[i])
		}
	}
	if !reflect.DeepEqual(d.Y, []float64{10, 20, 30, 40}) {
		t.Errorf("Y = %v, want raw targets", d.Y)
	}
	if !reflect.DeepEqual(ds.Mean, []float64{2.5, 7, 2.5}) || ds.Scale[0] != sa || ds.Scale[1] != 1 || ds.Scale[2] != sb {
		t.Errorf("Mean %v Scale %v", ds.Mean, ds.Scale)
	}
	if !reflect.DeepEqual(ds.Inputs, []string{"a", "c", "b"}) || !reflect.DeepEqual(ds.Targets, []string{"y"}) {
		t.Errorf("Inputs %v Targets %v", ds.Inputs, ds.Targets)
	}
	// Population std: every standardised column has mean 0 and mean square 1
	// (the constant one mean square 0).
	for j, ms := range []float64{1, 0, 1} {
		s, s2 := 0.0, 0.0
		for i := range d.N {
			s += d.X[i*3+j]
			s2 += d.X[i*3+j] * d.X[i*3+j]
		}
		if math.Abs(s/4) > 1e-15 || math.Abs(s2/4-ms) > 1e-15 {
			t.Errorf("column %d: mean %g, mean square %g, want 0, %g", j, s/4, s2/4, ms)
		}
	}

	raw := readCSV(t, "a,c,b,y\n1,7,0,10\n2,7,0,20\n", DataSpec{Standardize: ptr(false)})
	if !reflect.DeepEqual(raw.Data.X, []float64{1, 7, 0, 2, 7, 0}) || !reflect.DeepEqual(raw.Scale, []float64{1, 1, 1}) {
		t.Errorf("standardize: false changed X: %v (scale %v)", raw.Data.X, raw.Scale)
	}
}

// TestLimitBeforeStandardize: with limit 2 the statistics come from the
// first two rows only: a = 1, 2 → mean 1.5, std 0.5 → −1, 1.
func TestLimitBeforeStandardize(t *testing.T) {
	ds := readCSV(t, "a,y\n1,0\n2,1\n100,0\n", DataSpec{Limit: 2})
	if ds.Data.N != 2 || ds.Rows != 3 || !reflect.DeepEqual(ds.Data.X, []float64{-1, 1}) || ds.Mean[0] != 1.5 || ds.Scale[0] != 0.5 {
		t.Errorf("limit 2: N=%d rows=%d X=%v mean=%v scale=%v", ds.Data.N, ds.Rows, ds.Data.X, ds.Mean, ds.Scale)
	}
	all := readCSV(t, "a,y\n1,0\n2,1\n", DataSpec{Limit: 10})
	if all.Data.N != 2 {
		t.Errorf("limit beyond the rows: N = %d, want 2", all.Data.N)
	}
}

func TestClasses(t *testing.T) {
	ds := readCSV(t, "y,a\n0,1\n2,2\n1,3\n2,4\n", DataSpec{Target: Columns{"y"}, Classes: true, Standardize: ptr(false)})
	d := ds.Data
	wantY := []float64{
		1, 0, 0,
		0, 0, 1,
		0, 1, 0,
		0, 0, 1,
	}
	if d.Out != 3 || !reflect.DeepEqual(d.Labels, []int{0, 2, 1, 2}) || !reflect.DeepEqual(d.Y, wantY) || !reflect.DeepEqual(d.X, []float64{1, 2, 3, 4}) {
		t.Errorf("classes: Out=%d Labels=%v Y=%v X=%v", d.Out, d.Labels, d.Y, d.X)
	}
	// K = max label + 1 over the rows used.
	lim := readCSV(t, "a,y\n1,0\n2,1\n3,4\n", DataSpec{Classes: true, Limit: 2})
	if lim.Data.Out != 2 {
		t.Errorf("K over the first 2 rows = %d, want 2", lim.Data.Out)
	}
}

func TestRegressionTargets(t *testing.T) {
	ds := readCSV(t, "a,t1,b,t2\n1,10,5,-1\n3,20,5,-2\n", DataSpec{Target: Columns{"t2", "t1"}, Inputs: []string{"b", "a"}})
	d := ds.Data
	// b is constant (centred: 0), a = 1, 3 → −1, 1.
	if d.Out != 2 || d.In != 2 || !reflect.DeepEqual(d.Y, []float64{-1, 10, -2, 20}) || !reflect.DeepEqual(d.X, []float64{0, -1, 0, 1}) {
		t.Errorf("regression: Out=%d In=%d Y=%v X=%v", d.Out, d.In, d.Y, d.X)
	}
}

func TestSingleRowAndFormatting(t *testing.T) {
	// One row is allowed: every column is constant, so X is centred to 0.
	ds := readCSV(t, "\ufeff a , b ,y\r\n 3 , 4 ,1\r\n", DataSpec{})
	if ds.Data.N != 1 || !reflect.DeepEqual(ds.Data.X, []float64{0, 0}) || !reflect.DeepEqual(ds.Columns, []string{"a", "b", "y"}) {
		t.Errorf("single row: %+v %v", *ds.Data, ds.Columns)
	}
	// A tiny value that underflows is read as (sub)normal, not rejected.
	ds = readCSV(t, "a,y\n1e-400,0\n2,1\n", DataSpec{Standardize: ptr(false)})
	if ds.Data.X[0] != 0 {
		t.Errorf("1e-400 read as %g", ds.Data.X[0])
	}
}

// TestEmbeddedData checks the embedded files against data/README.md.
func TestEmbeddedData(t *testing.T) {
	for _, c := range []struct {
		file        string
		rows, in, k int
	}{
		{"data/iris.csv", 150, 4, 3},
		{"data/wine.csv", 178, 13, 3},
		{"data/breast_cancer.csv", 569, 30, 2},
		{"data/digits.csv", 1797, 64, 10},
	} {
		f, err := embedded.Open(c.file)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := ReadData(f, c.file, DataSpec{Classes: true})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if ds.Data.N != c.rows || ds.Data.In != c.in || ds.Data.Out != c.k {
			t.Errorf("%s: N=%d In=%d K=%d, want %d, %d, %d", c.file, ds.Data.N, ds.Data.In, ds.Data.Out, c.rows, c.in, c.k)
		}
	}
	if got := DataSets(); !reflect.DeepEqual(got, []string{"data/breast_cancer.csv", "data/digits.csv", "data/iris.csv", "data/wine.csv"}) {
		t.Errorf("DataSets() = %v", got)
	}
}

func TestReadWeights(t *testing.T) {
	w, err := ReadWeights(strings.NewReader("# w0\n1\n\n -2.5 \n3e-1\n"), "w.txt", 3)
	if err != nil || !reflect.DeepEqual(w, []float64{1, -2.5, 0.3}) {
		t.Errorf("ReadWeights = %v, %v", w, err)
	}
	if w, err := ReadWeights(strings.NewReader("1\n2\n"), "w.txt", -1); err != nil || len(w) != 2 {
		t.Errorf("ReadWeights any length = %v, %v", w, err)
	}
	for _, c := range []struct {
		name, text string
		d          int
		piece      string
	}{
		{"too short", "1\n2\n", 3, "scenarios: w.txt: has 2 values, the model has d = 3 weights"},
		{"too long", "1\n2\n3\n4\n", 3, "scenarios: w.txt:4: more than 3 values"},
		{"not a number", "1\nabc\n3\n", 3, "scenarios: w.txt:2: cannot read \"abc\" as a number"},
		{"two per line", "1 2\n", 2, "w.txt:1: cannot read \"1 2\" as a number"},
		{"nan", "1\nnan\n", 2, "w.txt:2: \"nan\" is not a number"},
		{"empty", "", -1, "w.txt: no values"},
	} {
		_, err := ReadWeights(strings.NewReader(c.text), "w.txt", c.d)
		if !errors.Is(err, ErrWeights) || !strings.Contains(err.Error(), c.piece) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.piece)
		}
	}
}

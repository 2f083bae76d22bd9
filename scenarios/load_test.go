package scenarios

import (
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadDataAndWeights(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	mustWrite(t, filepath.Join(sub, "d.csv"), "a,b,y\n1,2,0\n3,5,1\n")
	mustWrite(t, filepath.Join(sub, "w0.txt"), "0.5\n-1\n")
	mustWrite(t, filepath.Join(sub, "bad.txt"), "0.5\nx\n")
	base := "name: lr\ndata: {csv: d.csv, standardize: false}\nmodel: {kind: linear-regression}\ntime: {t1: 1}\n"
	mustWrite(t, filepath.Join(sub, "s.yaml"), base+"init: {file: w0.txt}\n")

	s, err := Load(filepath.Join(sub, "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := s.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	if ds.File != filepath.Join(sub, "d.csv") || !reflect.DeepEqual(ds.Data.X, []float64{1, 2, 3, 5}) {
		t.Errorf("data relative to the scenario file: %s %v", ds.File, ds.Data.X)
	}
	w, err := s.InitialWeights(2)
	if err != nil || !reflect.DeepEqual(w, []float64{0.5, -1}) {
		t.Errorf("init.file: %v %v", w, err)
	}
	if _, err := s.InitialWeights(3); !errors.Is(err, ErrWeights) || !strings.Contains(err.Error(), "w0.txt: has 2 values, the model has d = 3 weights") {
		t.Errorf("init.file wrong length: %v", err)
	}

	mustWrite(t, filepath.Join(sub, "b.yaml"), base+"init: {file: bad.txt}\n")
	s, _ = Load(filepath.Join(sub, "b.yaml"))
	if _, err := s.InitialWeights(2); !errors.Is(err, ErrWeights) || !strings.Contains(err.Error(), filepath.Join(sub, "bad.txt")+":2: cannot read \"x\" as a number") {
		t.Errorf("init.file non-number: %v", err)
	}
	mustWrite(t, filepath.Join(sub, "m.yaml"), base+"init: {file: missing.txt}\n")
	s, _ = Load(filepath.Join(sub, "m.yaml"))
	if _, err := s.InitialWeights(2); !errors.Is(err, ErrWeights) || !strings.Contains(err.Error(), "m.yaml:5: init.file: cannot open") {
		t.Errorf("init.file missing: %v", err)
	}

	mustWrite(t, filepath.Join(sub, "w.yaml"), base+"init: {w: [1, 2, 3]}\n")
	s, _ = Load(filepath.Join(sub, "w.yaml"))
	if _, err := s.InitialWeights(2); !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), "w.yaml:5: init.w: has 3 values, the model has d = 2 weights") {
		t.Errorf("init.w wrong length: %v", err)
	}

	mustWrite(t, filepath.Join(sub, "nodata.yaml"), strings.Replace(base, "d.csv", "nope.csv", 1))
	s, _ = Load(filepath.Join(sub, "nodata.yaml"))
	if _, err := s.LoadData(); !errors.Is(err, ErrData) || !strings.Contains(err.Error(), "nodata.yaml:2: data.csv: cannot open "+filepath.Join(sub, "nope.csv")) {
		t.Errorf("missing csv: %v", err)
	}
}

// TestCopiedBuiltinUsesEmbeddedData: a copy of a built-in scenario saved
// anywhere still finds its data, named builtin:iris; a relative
// data/iris.csv that does not exist is an error naming builtin:iris, not
// a silent fallback to the embedded copy.
func TestCopiedBuiltinUsesEmbeddedData(t *testing.T) {
	y, err := BuiltinYAML(DefaultName)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "copy.yaml")
	mustWrite(t, p, string(y))
	s, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := s.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	if ds.Data.N != 150 || ds.File != "builtin:iris" {
		t.Errorf("copied built-in: N=%d file %q", ds.Data.N, ds.File)
	}
	old := filepath.Join(dir, "old.yaml")
	mustWrite(t, old, strings.Replace(string(y), "csv: builtin:iris", "csv: data/iris.csv", 1))
	s, err = Load(old)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.LoadData()
	if !errors.Is(err, ErrData) || !strings.Contains(err.Error(), "data.csv: cannot open "+filepath.Join(dir, "data/iris.csv")+": no such file or directory; for the data set embedded in grd write csv: builtin:iris") {
		t.Errorf("missing data/iris.csv: err = %v, want an error naming builtin:iris", err)
	}
	s, err = Parse([]byte(strings.Replace(string(y), "csv: builtin:iris", "csv: builtin:irs", 1)), "x.yaml")
	if err == nil {
		_, err = s.LoadData()
	}
	if !errors.Is(err, ErrData) || !strings.Contains(err.Error(), `no built-in data set "builtin:irs" (built-in: builtin:breast_cancer, builtin:digits, builtin:iris, builtin:wine)`) {
		t.Errorf("unknown built-in data set: err = %v", err)
	}
}

// TestInitNormal: w0 is deterministic in the seed, differs between seeds,
// and has the asked scale (sample std of 20000 draws within 3% of σ: the
// relative standard error of a sample std is ≈ 1/sqrt(2n) = 0.5%).
func TestInitNormal(t *testing.T) {
	s := &Scenario{Seed: 7, Init: InitSpec{Normal: ptr(0.3)}}
	a, _ := s.InitialWeights(20000)
	b, _ := s.InitialWeights(20000)
	if !reflect.DeepEqual(a, b) {
		t.Error("init normal is not deterministic")
	}
	s.Seed = 8
	c, _ := s.InitialWeights(20000)
	if reflect.DeepEqual(a, c) {
		t.Error("seeds 7 and 8 give the same w0")
	}
	ss := 0.0
	for _, v := range a {
		ss += v * v
	}
	if sd := math.Sqrt(ss / float64(len(a))); math.Abs(sd/0.3-1) > 0.03 {
		t.Errorf("sample std %g, want 0.3", sd)
	}
}

func mustWrite(t *testing.T, path, text string) {
	t.Helper()
	if err := mkdirAll(filepath.Dir(path)); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(path, text); err != nil {
		t.Fatal(err)
	}
}

package scenarios

import (
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/grd-engine/grd/models"
)

// TestBuildBuiltins: every built-in scenario builds, with the dimensions
// its comments promise.
func TestBuildBuiltins(t *testing.T) {
	want := map[string]struct{ d, n int }{
		"two-layer-iris":   {4*8 + 8 + 3*8 + 3, 150},
		"quadratic-2d":     {2, 8},
		"logistic-cancer":  {31, 569},
		"mlp-wine":         {13*10 + 10 + 10*6 + 6 + 6*3 + 3, 178},
		"two-layer-digits": {64*32 + 32 + 10*32 + 10, 1797},
		"rbm-bars":         {8*9 + 9 + 8, 14},
		// Fashion-MNIST train: 60000 images of 784 pixels, 10 classes.
		"two-layer-fashion": {784*32 + 32 + 10*32 + 10, 60000},
		"paper-resnet-size": {784*2150 + 2150 + 10*2150 + 10, 60000},
		"quadratic-stiff":   {10, 2},
	}
	for _, info := range Builtins() {
		t.Run(info.Name, func(t *testing.T) {
			s, err := Builtin(info.Name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Data != nil && s.Data.FashionMNIST != "" {
				// 60000 images: Build's λ_max(D(w0)) alone is a minute of
				// passes, so check the data and the size without it.
				skipWithoutFashionMNIST(t, s.Data.FashionMNIST)
				ds, err := s.LoadData()
				if err != nil {
					t.Fatal(err)
				}
				d, h := ds.Data, s.Model.Hidden
				if dim := d.In*h + h + d.Out*h + d.Out; dim != want[info.Name].d || d.N != want[info.Name].n || d.In != 784 || d.Out != 10 {
					t.Errorf("N = %d, n = %d, o = %d, d = %d; want %v, 784 inputs, 10 classes", d.N, d.In, d.Out, dim, want[info.Name])
				}
				return
			}
			b, err := s.Build()
			if err != nil {
				t.Fatal(err)
			}
			w, ok := want[info.Name]
			if !ok {
				t.Fatalf("no expected size for %s", info.Name)
			}
			if b.Model.Dim() != w.d || b.Model.Len() != w.n || len(b.W0) != w.d {
				t.Errorf("d = %d, N = %d, len(W0) = %d; want d = %d, N = %d", b.Model.Dim(), b.Model.Len(), len(b.W0), w.d, w.n)
			}
			if (s.Model.Kind == KindQuadratic) != (b.Data == nil) || (b.Quad != nil) != (s.Model.Kind == KindQuadratic) {
				t.Errorf("Data %v / Quad %v do not fit kind %s", b.Data != nil, b.Quad != nil, s.Model.Kind)
			}
			for _, v := range b.W0 {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("non-finite w0 entry %v", v)
				}
			}
			// Deterministic: building again gives the same w0 and samples.
			b2, err := s.Build()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(b.W0, b2.W0) || !reflect.DeepEqual(b.Quad, b2.Quad) {
				t.Error("two builds differ")
			}
		})
	}
}

// TestBuildQuadraticInline checks the inline samples reach the model in the
// DESIGN §3 layout: f = (1/N) Σ ½(w − c_n)ᵀA_n(w − c_n), computed here by hand.
func TestBuildQuadraticInline(t *testing.T) {
	s, err := Parse([]byte("name: q\nmodel: {kind: quadratic, samples: [{A: [[2, 1], [1, 3]], c: [1, -1]}, {A: [[1, 0], [0, 4]], c: [0, 2]}]}\ninit: {w: [0.5, 0.25]}\ntime: {t1: 1}\n"), "q.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.Quad[0].A, []float64{2, 1, 1, 3}) || !reflect.DeepEqual(b.Quad[1].C, []float64{0, 2}) {
		t.Errorf("samples: %+v", b.Quad)
	}
	// w − c_0 = (−0.5, 1.25): ½(2·0.25 + 2·1·(−0.5)(1.25) + 3·1.5625) = ½(0.5 − 1.25 + 4.6875) = 1.96875.
	// w − c_1 = (0.5, −1.75): ½(1·0.25 + 4·3.0625) = 6.25.
	want := []float64{1.96875, 6.25}
	got := make([]float64, 2)
	b.Model.NewEvaluator(2).Losses(got, b.W0, 0, 2)
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15*want[i] {
			t.Errorf("f_%d(w0) = %.17g, want %.17g", i, got[i], want[i])
		}
	}
}

// TestBuildGeneratedQuadratic: generated samples come from the seed's
// quadratic stream (the same call made here) and differ between seeds.
func TestBuildGeneratedQuadratic(t *testing.T) {
	s, err := Builtin("quadratic-2d")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	want := models.GenerateQuadratics(2, 8, 10, NewSource(s.Seed, StreamQuadratic))
	if !reflect.DeepEqual(b.Quad, want) {
		t.Error("generated samples differ from GenerateQuadratics with the quadratic stream")
	}
	s.Seed++
	b2, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(b.Quad, b2.Quad) || reflect.DeepEqual(b.W0, b2.W0) {
		t.Error("seeds s and s+1 give the same samples or w0")
	}
}

func TestBuildErrors(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "c.csv"), "a,b,y,z\n1,2,0,5\n3,4,1,6\n5,7,2,7\n")
	cases := []struct {
		name     string
		yaml     string
		sentinel error
		pieces   []string
	}{
		{"mlp input width", "name: m\ndata: {csv: c.csv, target: y, inputs: [a, b], classes: true}\nmodel: {kind: mlp, layers: [3, 4, 3]}\ntime: {t1: 1}\n", ErrShape,
			[]string{"s.yaml:3: model.layers: layers[0] = 3 but the data have 2 input columns (a, b): want layers [2, …, 3]"}},
		{"mlp output width", "name: m\ndata: {csv: c.csv, target: y, inputs: [a, b], classes: true}\nmodel: {kind: mlp, layers: [2, 4, 2]}\ntime: {t1: 1}\n", ErrShape,
			[]string{"model.layers: the last width is 2 but the data have 3 classes: want layers [2, …, 3]"}},
		{"logistic non-binary", "name: l\ndata: {csv: c.csv, target: y, inputs: [a]}\nmodel: {kind: logistic}\ntime: {t1: 1}\n", ErrData,
			[]string{"c.csv:4: data.target: logistic needs 0/1 targets, column \"y\" is 2 here"}},
		{"linear two targets", "name: l\ndata: {csv: c.csv, target: [y, z]}\nmodel: {kind: linear-regression}\ntime: {t1: 1}\n", ErrShape,
			[]string{"s.yaml:2: data.target: linear-regression fits one target column, got 2 (y, z)"}},
		{"batch larger than N", "name: l\ndata: {csv: c.csv}\nmodel: {kind: linear-regression}\nflows: [gd, sgd]\nsgd: {batch: 4}\ntime: {t1: 1}\n", ErrShape,
			[]string{"s.yaml:5: sgd.batch: batch 4 is larger than the number of samples N = 3: want 1..3"}},
		{"sde batch larger than N", "name: l\ndata: {csv: c.csv}\nmodel: {kind: linear-regression}\nflows: [sde]\ntime: {t1: 1}\n", ErrShape,
			[]string{"s.yaml: sde.batch: batch 16 is larger than the number of samples N = 3"}},
		{"w0 length", "name: l\ndata: {csv: c.csv}\nmodel: {kind: linear-regression, bias: true}\ninit: {w: [1, 2, 3]}\ntime: {t1: 1}\n", ErrShape,
			[]string{"s.yaml:4: init.w: has 3 values, the model has d = 4 weights"}},
		{"bad csv", "name: l\ndata: {csv: c.csv, target: nope}\nmodel: {kind: linear-regression}\ntime: {t1: 1}\n", ErrData,
			[]string{"c.csv:1: data.target: no column \"nope\" (columns: a, b, y, z)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "s.yaml")
			mustWrite(t, p, c.yaml)
			s, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Build()
			if err == nil {
				t.Fatal("Build succeeded, want an error")
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
	// A batch larger than N is fine when its flow does not run.
	mustWrite(t, filepath.Join(dir, "ok.yaml"), "name: l\ndata: {csv: c.csv}\nmodel: {kind: linear-regression}\nflows: [gd]\ntime: {t1: 1}\n")
	s, err := Load(filepath.Join(dir, "ok.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Build(); err != nil {
		t.Errorf("unused sgd batch 16 > N = 3: %v", err)
	}
}

// TestGoScenario: a scenario written in Go (no file) fills, validates and
// builds; its errors carry no file or line.
func TestGoScenario(t *testing.T) {
	s := &Scenario{Name: "go", Model: ModelSpec{Kind: KindQuadratic, Dim: 3, Count: 5, Condition: 4}, Time: TimeSpec{T1: 2}}
	if err := s.Validate(); err == nil || err.Error() != "scenarios: init: give exactly one of normal: σ, w: [..] or file: PATH" {
		t.Errorf("Validate before SetDefaults: %v", err)
	}
	s.SetDefaults()
	b, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	if b.Model.Dim() != 3 || b.Model.Len() != 5 || len(b.W0) != 3 || s.Source() != "" {
		t.Errorf("d %d N %d w0 %v source %q", b.Model.Dim(), b.Model.Len(), b.W0, s.Source())
	}
	s.Name = ""
	if err := s.Validate(); err == nil || err.Error() != "scenarios: name: missing: every scenario needs a name (it names the output directory out/<name>/)" {
		t.Errorf("Validate without a name: %v", err)
	}
}

// TestBuiltinOutputsOnStepGrid: in every built-in scenario the output
// times of sgd, cd (step η) and sde (step dt) lie on the step grid
// t0 + jη, so that each row holds the state at exactly its time (the
// engine labels a row with its step's time; off the grid that is up to
// half a step away from the requested time). Checked for every ensemble
// section, run or not (they are templates to copy). Tolerance 1e-9 steps:
// far below a step, far above the rounding of (t − t0)/η.
func TestBuiltinOutputsOnStepGrid(t *testing.T) {
	for _, b := range Builtins() {
		sc, err := Builtin(b.Name)
		if err != nil {
			t.Fatal(err)
		}
		times := sc.Time.Times()
		for _, h := range []struct {
			key  string
			step float64
		}{{"sgd.lr", sc.SGD.LR}, {"sde.dt", sc.SDE.DT}, {"cd.lr", sc.CD.LR}} {
			if !(h.step > 0) {
				continue
			}
			for k, tk := range times {
				x := (tk - times[0]) / h.step
				if math.Abs(x-math.Round(x)) > 1e-9 {
					t.Errorf("%s: output %d (t = %g) is %g steps of %s = %g from t0: not on the step grid", b.Name, k, tk, x, h.key, h.step)
					break
				}
			}
		}
	}
}

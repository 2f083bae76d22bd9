package scenarios

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/grd-engine/grd/models"
)

const rbmBars = "name: r\ndata: {bars-and-stripes: 2}\nmodel: {kind: rbm, hidden: 3}\ntime: {t1: 1, outputs: 3}\n"

// TestRBMParseErrors: rbm-specific keys and values, each error naming the
// key, the file and line, and what would be valid.
func TestRBMParseErrors(t *testing.T) {
	cases := []struct {
		name     string
		yaml     string
		sentinel error
		piece    string
	}{
		{"no hidden", strings.Replace(rbmBars, ", hidden: 3", "", 1), ErrBadValue,
			"test.yaml:3: model.hidden: want the number of hidden units n_h in 1..20"},
		{"hidden 21", strings.Replace(rbmBars, "hidden: 3", "hidden: 21", 1), ErrBadValue, "got 21"},
		{"target", strings.Replace(rbmBars, "{bars-and-stripes: 2}", "{csv: p.csv, target: x}", 1), ErrConflict,
			"test.yaml:2: data.target: every CSV column of an rbm is a visible unit holding 0 or 1: an rbm has no target column"},
		{"standardize", strings.Replace(rbmBars, "{bars-and-stripes: 2}", "{csv: p.csv, standardize: false}", 1), ErrConflict,
			"data.standardize: every CSV column of an rbm is a visible unit holding 0 or 1: standardising would destroy the binary values"},
		{"classes", strings.Replace(rbmBars, "{bars-and-stripes: 2}", "{csv: p.csv, classes: true}", 1), ErrConflict,
			"data.classes: every CSV column of an rbm is a visible unit holding 0 or 1: an rbm has no class labels"},
		{"inputs", strings.Replace(rbmBars, "{bars-and-stripes: 2}", "{csv: p.csv, inputs: [a]}", 1), ErrConflict, "data.inputs: "},
		{"both sources", strings.Replace(rbmBars, "{bars-and-stripes: 2}", "{csv: p.csv, bars-and-stripes: 2}", 1), ErrConflict,
			"data.bars-and-stripes: give either csv or bars-and-stripes, not both"},
		{"no data", strings.Replace(rbmBars, "data: {bars-and-stripes: 2}\n", "", 1), ErrMissing, "data: missing"},
		{"bars 5", strings.Replace(rbmBars, "bars-and-stripes: 2", "bars-and-stripes: 5", 1), ErrBadValue,
			"data.bars-and-stripes: want a grid size 1..4 (n_v = size² ≤ 20), got 5"},
		{"bars 0", strings.Replace(rbmBars, "bars-and-stripes: 2", "bars-and-stripes: 0", 1), ErrBadValue, "data.bars-and-stripes: 0 is not valid"},
		{"bars for logistic", "name: l\ndata: {bars-and-stripes: 2}\nmodel: {kind: logistic}\ntime: {t1: 1}\n", ErrConflict,
			"test.yaml:2: data.bars-and-stripes: generates binary patterns for an rbm, not for model kind logistic"},
		{"cd for logistic", "name: l\ndata: {csv: x.csv}\nmodel: {kind: logistic}\nflows: [gd, cd]\ntime: {t1: 1}\n", ErrConflict,
			"test.yaml:4: flows[1]: flow cd (contrastive divergence) trains an rbm, not model kind logistic"},
		{"cd section for logistic", "name: l\ndata: {csv: x.csv}\nmodel: {kind: logistic}\ncd: {k: 2}\ntime: {t1: 1}\n", ErrConflict,
			"test.yaml:4: cd: the cd section configures contrastive divergence of an rbm"},
		{"cd k 0", rbmBars + "cd: {k: 0}\n", ErrBadValue, "test.yaml:5: cd.k: 0 is not valid"},
		{"cd k negative", rbmBars + "cd: {k: -2}\n", ErrBadValue, "cd.k: want the number of Gibbs sweeps ≥ 1, got -2"},
		{"cd samples 1", rbmBars + "cd: {samples: 1}\n", ErrBadValue, "cd.samples: want at least 2 CD estimates"},
		{"cd lr", rbmBars + "cd: {lr: -1}\n", ErrBadValue, "cd.lr: want a finite step size > 0, got -1"},
		{"cd unknown key", rbmBars + "cd: {steps: 3}\n", ErrUnknownKey, "test.yaml:5: cd.steps: unknown key \"steps\""},
		{"source cd for logistic", "name: l\ndata: {csv: x.csv}\nmodel: {kind: logistic}\nmetric: {source: cd}\ntime: {t1: 1}\n", ErrConflict,
			"test.yaml:4: metric.source: cd takes D from contrastive-divergence estimates of an rbm, not model kind logistic"},
		{"unknown source", rbmBars + "metric: {source: fisher}\n", ErrUnknownName, "metric.source: unknown source \"fisher\" (valid: exact, cd)"},
		{"activation", strings.Replace(rbmBars, "hidden: 3", "hidden: 3, activation: tanh", 1), ErrConflict,
			"model.activation: not used by model kind rbm"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml), "test.yaml")
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), c.piece) {
				t.Errorf("error\n  %v\nwant %v containing\n  %s", err, c.sentinel, c.piece)
			}
		})
	}
}

// TestRBMData: bars-and-stripes through a scenario gives the patterns of
// models.BarsAndStripes; a CSV gives its rows; bad cells are cited by
// file:line:column; the cd batch must fit N.
func TestRBMData(t *testing.T) {
	for _, size := range []int{2, 3, 4} {
		s, err := Parse([]byte(strings.Replace(rbmBars, "bars-and-stripes: 2", "bars-and-stripes: "+string(rune('0'+size)), 1)), "test.yaml")
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Build()
		if err != nil {
			t.Fatal(err)
		}
		p, n := models.BarsAndStripes(size)
		rbm := b.Model.(*models.RBM)
		if rbm.Visible() != size*size || rbm.Len() != n || rbm.Hidden() != 3 || b.Model.Dim() != 3*size*size+size*size+3 {
			t.Fatalf("size %d: n_v %d, N %d, n_h %d, d %d", size, rbm.Visible(), rbm.Len(), rbm.Hidden(), b.Model.Dim())
		}
		for i := range n {
			for j, x := range rbm.Pattern(i) {
				if x != p[i*size*size+j] {
					t.Fatalf("size %d: pattern %d differs from models.BarsAndStripes", size, i)
				}
			}
		}
	}

	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		if err := writeFile(filepath.Join(dir, name), text); err != nil {
			t.Fatal(err)
		}
		return name
	}
	write("p.csv", "a,b,c\n1,0,1\n0,0,0\n1,1,0\n")
	write("bad.csv", "a,b,c\n1,0,1\n0,0.5,0\n")
	var wide []string
	for i := range 21 {
		wide = append(wide, "u"+strconv.Itoa(i))
	}
	write("wide.csv", strings.Join(wide, ",")+"\n")
	sc := func(csv, extra string) string {
		return "name: r\ndata: {csv: " + csv + "}\nmodel: {kind: rbm, hidden: 2}\n" + extra + "time: {t1: 1, outputs: 3}\n"
	}
	load := func(text string) (*Built, error) {
		path := filepath.Join(dir, "s.yaml")
		if err := writeFile(path, text); err != nil {
			t.Fatal(err)
		}
		s, err := Load(path)
		if err != nil {
			return nil, err
		}
		return s.Build()
	}
	b, err := load(sc("p.csv", ""))
	if err != nil {
		t.Fatal(err)
	}
	if r := b.Model.(*models.RBM); r.Len() != 3 || r.Visible() != 3 || r.Pattern(2)[1] != 1 {
		t.Errorf("p.csv: N %d, n_v %d, pattern 2 %v", r.Len(), r.Visible(), r.Pattern(2))
	}
	for _, c := range []struct {
		text, piece string
		sentinel    error
	}{
		{sc("bad.csv", ""), "bad.csv:3:3: column \"b\": 0.5 is not 0 or 1", ErrData},
		{sc("wide.csv", ""), "wide.csv:1:71: 21 columns: an rbm has at most 20 visible units", ErrData},
		{sc("p.csv", "flows: [cd]\ncd: {batch: 4}\n"), "cd.batch: batch 4 is larger than the number of samples N = 3", ErrShape},
	} {
		_, err := load(c.text)
		if err == nil || !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), c.piece) {
			t.Errorf("error %v, want %v containing %q", err, c.sentinel, c.piece)
		}
	}
}

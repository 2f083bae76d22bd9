package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/grd-engine/grd/scenarios"
	"github.com/grd-engine/grd/scenarios/experiment"
)

// TestProvenance: summary.json records the scenario file (absolute path,
// SHA-256 of its text), every file read with its SHA-256 and shape, the
// workers, one rank, the host and the run's UTC span.
func TestProvenance(t *testing.T) {
	dir := t.TempDir()
	csv := "x1,x2,y\n1,2,0.5\n2,1,1.5\n0,1,-0.5\n3,3,2\n"
	scen := `name: prov
data: {csv: d.csv, target: y, classes: false}
model: {kind: linear-regression, bias: true}
init: {file: w0.txt}
flows: [gd]
time: {t0: 0, t1: 1, outputs: 3}
`
	for name, text := range map[string]string{"d.csv": csv, "w0.txt": "0.1\n0.2\n0.3\n", "s.yaml": scen} {
		if err := writeFile(filepath.Join(dir, name), text); err != nil {
			t.Fatal(err)
		}
	}
	sc, err := scenarios.Load(filepath.Join(dir, "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().UTC()
	r, err := experiment.Run(context.Background(), sc, experiment.RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSummaryJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var s Summary
	if err := json.Unmarshal(buf.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	p := s.Provenance
	sum := func(text string) string { h := sha256.Sum256([]byte(text)); return hex.EncodeToString(h[:]) }
	if p.Scenario != filepath.Join(dir, "s.yaml") || p.ScenarioSHA256 != sum(scen) {
		t.Errorf("scenario %q %s, want %q %s", p.Scenario, p.ScenarioSHA256, filepath.Join(dir, "s.yaml"), sum(scen))
	}
	if len(p.DataFiles) != 2 {
		t.Fatalf("data files %+v, want d.csv and w0.txt", p.DataFiles)
	}
	d, w := p.DataFiles[0], p.DataFiles[1]
	if d.Key != "data.csv" || d.Path != filepath.Join(dir, "d.csv") || d.SHA256 != sum(csv) || d.Bytes != int64(len(csv)) || !slices.Equal(d.Shape, []int{4, 3}) {
		t.Errorf("data file %+v", d)
	}
	if w.Key != "init.file" || w.SHA256 != sum("0.1\n0.2\n0.3\n") || !slices.Equal(w.Shape, []int{3}) {
		t.Errorf("init file %+v", w)
	}
	if p.Workers != 2 || p.Ranks != 1 || p.GoVersion == "" || p.GRDVersion == "" {
		t.Errorf("workers %d ranks %d go %q grd %q", p.Workers, p.Ranks, p.GoVersion, p.GRDVersion)
	}
	if h, _ := os.Hostname(); p.Host != h {
		t.Errorf("host %q, want %q", p.Host, h)
	}
	start, err1 := time.Parse(time.RFC3339Nano, p.Start)
	end, err2 := time.Parse(time.RFC3339Nano, p.End)
	if err1 != nil || err2 != nil || start.Before(before.Add(-time.Second)) || end.Before(start) || start.Location() != time.UTC {
		t.Errorf("start %q end %q (%v, %v)", p.Start, p.End, err1, err2)
	}
}

// TestProvenanceBuiltin: a built-in scenario and its embedded data set are
// named builtin:….
func TestProvenanceBuiltin(t *testing.T) {
	sc, err := scenarios.Builtin("logistic-cancer")
	if err != nil {
		t.Fatal(err)
	}
	src, sum := sc.SourceSum()
	text, _ := scenarios.BuiltinYAML("logistic-cancer")
	h := sha256.Sum256(text)
	if src != "builtin:logistic-cancer" || sum != hex.EncodeToString(h[:]) {
		t.Errorf("Origin() = %q, %q", src, sum)
	}
	b, err := sc.Build()
	if err != nil {
		t.Fatal(err)
	}
	in, err := b.InputFiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 1 || in[0].Path != "builtin:breast_cancer" || len(in[0].SHA256) != 64 || in[0].Shape[0] != 569 {
		t.Errorf("InputFiles() = %+v", in)
	}
}

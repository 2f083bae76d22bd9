package scenarios

// Restricted Boltzmann machines in scenarios: model.kind rbm, its data
// (a CSV of 0/1 visible units, or generated bars-and-stripes patterns),
// the cd flow and its section.

import (
	"fmt"
	"io"
	"strings"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/models"
)

// Defaults of the cd section (the others are those of sgd).
const (
	DefaultCDK       = engine.DefaultCDK       // cd.k: CD-1
	DefaultCDSamples = engine.DefaultCDSamples // cd.samples: estimates behind diffusion_cd
)

// CDSpec configures the cd flow, contrastive-divergence training of an rbm:
// w ← w − lr·ĝ_CD, ĝ_CD the CD-k (or PCD-k) estimate of the mean NLL
// gradient on a minibatch, batches drawn without replacement per epoch,
// time t = j·lr, runs independent seeded runs (flow.EnsembleSpec). It
// also sets the CD diffusion matrix that `grd geometry` reports
// (engine.Geometry.CDDiffusion with k, batch and samples).
type CDSpec struct {
	LR    float64 `yaml:"lr" json:"lr"`       // step size > 0; default 0.05
	Batch int     `yaml:"batch" json:"batch"` // 1 ≤ batch ≤ N; default 16
	Runs  int     `yaml:"runs" json:"runs"`   // independent seeded runs ≥ 1; default 32
	// K is the number of block-Gibbs sweeps per estimate (≥ 1); default 1.
	K int `yaml:"k" json:"k"`
	// Persistent uses persistent chains (PCD-k: batch chains started at
	// the first minibatch's patterns) instead of chains restarted at the
	// minibatch (CD-k). Default false.
	Persistent bool `yaml:"persistent" json:"persistent"`
	// Samples is the number M ≥ 2 of independent CD estimates behind the
	// CD diffusion matrix; default 4096.
	Samples int `yaml:"samples" json:"samples"`
}

func (c *CDSpec) setDefaults() {
	setRun(&c.LR, &c.Batch, &c.Runs)
	if c.K == 0 {
		c.K = DefaultCDK
	}
	if c.Samples == 0 {
		c.Samples = DefaultCDSamples
	}
}

// StreamCD and StreamCDDiffusion are the random streams of the cd flow's
// runs and of the CD diffusion estimate (see NewSource).
const (
	StreamCD          uint64 = 5
	StreamCDDiffusion uint64 = 6
)

// given reports whether key was written in the scenario file (for a
// scenario built in Go: never).
func (s *Scenario) given(key string) bool {
	_, ok := s.lines()[key]
	return ok
}

// validateRBM checks what is specific to rbm scenarios: n_h, the data
// section (no target, standardize, classes or inputs; csv or
// bars-and-stripes), the cd flow (rbm only) and the cd section.
func (s *Scenario) validateRBM() error {
	rbm := s.Model.Kind == KindRBM
	for i, f := range s.Flows {
		if f == FlowCD && !rbm {
			return s.errAt(fmt.Sprintf("flows[%d]", i), fmt.Sprintf("flow cd (contrastive divergence) trains an rbm, not model kind %s", s.Model.Kind), ErrConflict)
		}
	}
	if d := s.Data; d != nil && d.BarsAndStripes != 0 && !rbm {
		return s.errAt("data.bars-and-stripes", fmt.Sprintf("generates binary patterns for an rbm, not for model kind %s", s.Model.Kind), ErrConflict)
	}
	if !rbm {
		if err := s.validateSource(); err != nil {
			return err
		}
		if s.given("cd") {
			return s.errAt("cd", fmt.Sprintf("the cd section configures contrastive divergence of an rbm, not model kind %s", s.Model.Kind), ErrConflict)
		}
		return nil
	}
	if h := s.Model.Hidden; h < 1 || h > models.RBMMaxUnits {
		return s.errAt("model.hidden", fmt.Sprintf("want the number of hidden units n_h in 1..%d (log Z enumerates 2^min(n_v, n_h) states), got %d", models.RBMMaxUnits, h), ErrBadValue)
	}
	d := s.Data
	why := "every CSV column of an rbm is a visible unit holding 0 or 1"
	switch {
	case len(d.Target) > 0:
		return s.errAt("data.target", why+": an rbm has no target column", ErrConflict)
	case d.Inputs != nil:
		return s.errAt("data.inputs", why+": an rbm uses every column", ErrConflict)
	case d.Standardize != nil:
		return s.errAt("data.standardize", why+": standardising would destroy the binary values", ErrConflict)
	case d.Classes: // classes: false is the no-op the scenario echo writes
		return s.errAt("data.classes", why+": an rbm has no class labels", ErrConflict)
	case d.CSV != "" && d.BarsAndStripes != 0:
		return s.errAt("data.bars-and-stripes", "give either csv or bars-and-stripes, not both", ErrConflict)
	case d.BarsAndStripes != 0 && (d.BarsAndStripes < 1 || d.BarsAndStripes*d.BarsAndStripes > models.RBMMaxUnits):
		return s.errAt("data.bars-and-stripes", fmt.Sprintf("want a grid size 1..4 (n_v = size² ≤ %d), got %d", models.RBMMaxUnits, d.BarsAndStripes), ErrBadValue)
	}
	if err := s.validateSource(); err != nil {
		return err
	}
	c := &s.CD
	switch {
	case !(c.LR > 0) || !finite(c.LR):
		return s.errAt("cd.lr", fmt.Sprintf("want a finite step size > 0, got %g", c.LR), ErrBadValue)
	case c.Batch < 1:
		return s.errAt("cd.batch", fmt.Sprintf("want a batch size ≥ 1 (and ≤ the number of patterns), got %d", c.Batch), ErrBadValue)
	case c.Runs < 1:
		return s.errAt("cd.runs", fmt.Sprintf("want the number of runs ≥ 1, got %d", c.Runs), ErrBadValue)
	case c.K < 1:
		return s.errAt("cd.k", fmt.Sprintf("want the number of Gibbs sweeps ≥ 1, got %d", c.K), ErrBadValue)
	case c.Samples < 2:
		return s.errAt("cd.samples", fmt.Sprintf("want at least 2 CD estimates for the covariance, got %d", c.Samples), ErrBadValue)
	}
	return nil
}

// loadRBMData reads an rbm's patterns: generated bars-and-stripes, or the
// CSV at data.csv (every column a visible unit).
func (s *Scenario) loadRBMData() (*Dataset, error) {
	d := s.Data
	if size := d.BarsAndStripes; size != 0 {
		p, n := models.BarsAndStripes(size)
		cols := make([]string, 0, size*size)
		for r := range size {
			for c := range size {
				cols = append(cols, fmt.Sprintf("r%dc%d", r, c))
			}
		}
		if d.Limit > 0 && d.Limit < n {
			p, n = p[:d.Limit*size*size], d.Limit
		}
		return &Dataset{Data: &models.Data{N: n, In: size * size, X: p},
			File: fmt.Sprintf("bars-and-stripes(%d)", size), Columns: cols, Inputs: cols,
			Mean: make([]float64, len(cols)), Scale: ones(len(cols)), Rows: n}, nil
	}
	f, name, err := s.openFile("data.csv", d.CSV, ErrData)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadPatterns(f, name, d.Limit)
}

func ones(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 1
	}
	return x
}

// ReadPatterns reads the binary patterns of an rbm from a CSV table with a
// header row naming the visible units (1..20 columns) and one pattern per
// row, every cell 0 or 1. It keeps the first limit rows (0 = all; the rest
// are still checked). The Dataset's Data has In = n_v, X the patterns and
// no targets (Out = 0). Errors have the form name:line:column.
func ReadPatterns(r io.Reader, name string, limit int) (*Dataset, error) {
	t := openCSV(r, name)
	if err := t.header("empty file: want a header row naming the visible units, then rows of 0/1 values"); err != nil {
		return nil, err
	}
	header := t.cols
	nv := len(header)
	if nv > models.RBMMaxUnits {
		line, col := t.pos(models.RBMMaxUnits)
		return nil, t.fail(line, col, fmt.Sprintf("%d columns: an rbm has at most %d visible units (every column is one)", nv, models.RBMMaxUnits))
	}
	ds := &Dataset{File: name, Columns: header, Inputs: append([]string(nil), header...),
		Mean: make([]float64, nv), Scale: ones(nv)}
	var x []float64
	vals := make([]float64, nv)
	binary := func(_ int, cell string, v float64) string {
		if v != 0 && v != 1 {
			return fmt.Sprintf("%s is not 0 or 1: an rbm's visible units are binary", strings.TrimSpace(cell))
		}
		return ""
	}
	for t.next(vals, binary) {
		if limit == 0 || t.rows <= limit {
			x = append(x, vals...)
			ds.lines = append(ds.lines, t.line())
		}
	}
	if err := t.failed(); err != nil {
		return nil, err
	}
	rows := t.rows
	if rows == 0 {
		return nil, t.fail(1, 0, "header only: no patterns")
	}
	n := len(x) / nv
	ds.Rows = rows
	ds.Data = &models.Data{N: n, In: nv, X: x}
	return ds, nil
}

// buildRBM is Build's rbm case.
func (s *Scenario) buildRBM(data *models.Data) (models.Model, error) {
	m, err := models.NewRBMFromData(data, s.Model.Hidden)
	if err != nil {
		return nil, s.ErrorFrom("model", err, ErrBadValue)
	}
	return m, nil
}

// Metric sources (metric.source).
const (
	SourceExact = "exact" // D from the exact per-sample gradients (the default; "" means it too)
	SourceCD    = "cd"    // D from per-sample CD-k estimates (rbm only)
)

// validateSource checks metric.source.
func (s *Scenario) validateSource() error {
	switch src := s.Metric.Source; src {
	case "", SourceExact:
	case SourceCD:
		if s.Model.Kind != KindRBM {
			return s.errAt("metric.source", fmt.Sprintf("cd takes D from contrastive-divergence estimates of an rbm, not model kind %s: use exact", s.Model.Kind), ErrConflict)
		}
	default:
		return s.errAt("metric.source", fmt.Sprintf("unknown source %q (valid: exact, cd)", src), ErrUnknownName)
	}
	return nil
}

// buildCDMetric sets b.CDMetric for metric source cd: M = cd.samples
// per-sample CD-k (k = cd.k) estimates drawn at w0 from the scenario seed
// (stream StreamCDMetric), quenched (engine.NewCDMetric).
func (s *Scenario) buildCDMetric(b *Built) error {
	if s.Metric.Source != SourceCD {
		return nil
	}
	rbm, ok := b.Model.(*models.RBM)
	if !ok {
		return s.errAt("metric.source", "cd needs an rbm", ErrConflict) // unreachable after Validate
	}
	cm, err := engine.NewCDMetric(rbm, b.W0, engine.CDDiffusionSpec{K: s.CD.K, Samples: s.CD.Samples,
		Seed: NewSource(s.Seed, StreamCDMetric).Uint64()})
	if err != nil {
		return s.ErrorFrom("cd", err, ErrBadValue)
	}
	b.CDMetric = cm
	return nil
}

// StreamCDMetric is the random stream of the quenched CD samples of metric
// source cd.
const StreamCDMetric uint64 = 7

// MetricModel is the model whose per-sample gradients define D for the
// metric flows (ngd, grd) and ε: CDMetric for metric source cd, else Model.
func (b *Built) MetricModel() models.Model {
	if b.CDMetric != nil {
		return b.CDMetric
	}
	return b.Model
}

package scenarios

import (
	"fmt"

	"github.com/grd-engine/grd/models"
)

// Built is everything the engine needs to run a scenario.
type Built struct {
	// Scenario is the (filled, validated) scenario it was built from.
	Scenario *Scenario
	// Model is the model of the scenario's kind over its data or samples.
	Model models.Model
	// W0 is the initial point, len Model.Dim().
	W0 []float64
	// Data is the model-ready data set (nil for a quadratic).
	Data *models.Data
	// Dataset records how Data was read (nil for a quadratic).
	Dataset *Dataset
	// Quad holds the quadratic samples, inline or generated (nil for other
	// kinds): what the loss-contour plot of a 2-D quadratic evaluates.
	Quad []models.QuadSample
	// CDMetric is the model of metric source cd (rbm only; nil otherwise):
	// the RBM's exact loss with the CD covariance as D. The ngd and grd
	// flows and ε use it instead of Model (rbm.go).
	CDMetric models.Model
}

// Build validates s, loads its data, constructs its model and its initial
// point, and checks what needs the data: sgd/sde batch ≤ N (for the flows
// that run), mlp layers against the data's input and output sizes, logistic
// 0/1 targets, one target column for the linear models, the length of init.w
// or init.file against d.
//
// When data.target was omitted, Build fills it in s with the name of the
// column used by default (the last one), so that the scenario echo
// (summary.json) says which column was the target (not for an rbm, which
// has no target).
//
// Generated quadratics come from models.GenerateQuadratics with
// NewSource(seed, StreamQuadratic).
func (s *Scenario) Build() (*Built, error) { return s.BuildWithin(BuildOptions{}) }

// BuildRows is Build for one rank of a distributed run: with rows not nil,
// a CSV or IDX data set (not an RBM's) is loaded as a shard holding only
// the samples rows(N) (loadShard; its statistics and class count are the
// whole data set's), and Model is models.Shard of the model over them:
// it has the whole data set's N and evaluates only the samples held. The
// checks against the data see only those samples. rows nil is Build.
func (s *Scenario) BuildRows(rows RowRange) (*Built, error) {
	return s.BuildWithin(BuildOptions{Rows: rows})
}

// BuildWithin is Build that, once the data are read and before the model
// or anything else grows with d is allocated, refuses (ErrTooLarge) a run
// whose EstimateMemory exceeds opts.MaxMemory (no check when it is 0), and
// also checks the batch sizes of opts.Declared; with opts.Rows it is
// BuildRows.
func (s *Scenario) BuildWithin(opts BuildOptions) (*Built, error) {
	rows := opts.Rows
	if err := s.Validate(); err != nil {
		return nil, err
	}
	b := &Built{Scenario: s}
	var ds *Dataset
	var err error
	if rows != nil && s.Data != nil && s.Model.Kind != KindRBM {
		ds, err = s.loadShard(rows)
	} else {
		ds, err = s.LoadData()
	}
	if err != nil {
		return nil, err
	}
	if err := s.checkMemory(ds, opts); err != nil {
		return nil, err
	}
	if ds != nil {
		b.Dataset, b.Data = ds, ds.Data
		s.fillTarget(ds)
	}
	if err := s.buildModel(b, ds); err != nil {
		return nil, err
	}
	if ds != nil && ds.Sharded() {
		b.Model = models.Shard(b.Model, ds.Total, ds.Offset)
	}
	n := b.Model.Len()
	for _, r := range []struct {
		flow  string
		batch int
	}{{FlowSGD, s.SGD.Batch}, {FlowSDE, s.SDE.Batch}, {FlowCD, s.CD.Batch}} {
		if (s.HasFlow(r.flow) || contains(opts.Flows, r.flow) || contains(opts.Declared, r.flow)) && r.batch > n {
			return nil, s.errAt(r.flow+".batch", fmt.Sprintf("batch %d is larger than the number of samples N = %d: want 1..%d", r.batch, n, n), ErrShape)
		}
	}
	if b.W0, err = s.InitialWeights(b.Model.Dim()); err != nil {
		return nil, err
	}
	if err := s.buildCDMetric(b); err != nil { // metric source cd (rbm.go)
		return nil, err
	}
	return b, nil
}

// checkLinearTargets: linear-regression and logistic fit one target column;
// logistic's must hold only 0 and 1.
func (s *Scenario) checkLinearTargets(ds *Dataset) error {
	if ds.Data.Out != 1 {
		return s.errAt("data.target", fmt.Sprintf("%s fits one target column, got %d (%s)", s.Model.Kind, ds.Data.Out, oneOf(ds.Targets)), ErrShape)
	}
	if s.Model.Kind != KindLogistic {
		return nil
	}
	for i, y := range ds.Data.Y {
		if y != 0 && y != 1 {
			return &Error{File: ds.File, Line: ds.lines[i], Key: "data.target",
				Msg: fmt.Sprintf("logistic needs 0/1 targets, column %q is %g here (use a two-layer network with classes: true for more classes)", ds.Targets[0], y), Err: ErrData}
		}
	}
	return nil
}

// checkLayers: an mlp's first width is the number of inputs, its last the
// number of outputs.
func (s *Scenario) checkLayers(ds *Dataset) error {
	l := s.Model.Layers
	d := ds.Data
	if l[0] != d.In {
		return s.errAt("model.layers", fmt.Sprintf("layers[0] = %d but the data have %d input columns (%s): want layers [%d, …, %d]",
			l[0], d.In, clipList(ds.Inputs), d.In, d.Out), ErrShape)
	}
	if o := l[len(l)-1]; o != d.Out {
		what := fmt.Sprintf("%d target columns", d.Out)
		if d.Labels != nil {
			what = fmt.Sprintf("%d classes", d.Out)
		}
		return s.errAt("model.layers", fmt.Sprintf("the last width is %d but the data have %s: want layers [%d, …, %d]", o, what, d.In, d.Out), ErrShape)
	}
	return nil
}

// clipList joins names, eliding the middle of a long list.
func clipList(names []string) string {
	if len(names) <= 6 {
		return oneOf(names)
	}
	return oneOf(names[:3]) + ", …, " + oneOf(names[len(names)-2:])
}

// fillTarget sets an omitted data.target to the default target column of
// the loaded data set ds (rbm scenarios have none).
func (s *Scenario) fillTarget(ds *Dataset) {
	if d := s.Data; d != nil && len(d.Target) == 0 && s.Model.Kind != KindRBM && len(ds.Targets) > 0 {
		d.Target = Columns(append([]string(nil), ds.Targets...))
	}
}

// FillData fills the data defaults that need the data file: an omitted
// data.target becomes the name of the default target column (the last
// one). `grd scenarios show` uses it to echo the filled scenario; Build
// does the same. A scenario without a data file is left as it is.
func (s *Scenario) FillData() error {
	if s.Data == nil || s.Data.CSV == "" || len(s.Data.Target) > 0 || s.Model.Kind == KindRBM {
		return nil
	}
	ds, err := s.LoadData()
	if err != nil {
		return err
	}
	if ds != nil {
		s.fillTarget(ds)
	}
	return nil
}

// buildModel constructs b.Model (and b.Quad for a quadratic) from the
// scenario's model section and the data set ds (nil for inline or
// generated quadratics), with the checks that need the data.
func (s *Scenario) buildModel(b *Built, ds *Dataset) error {
	var err error
	m := &s.Model
	modelErr := func(err error) error {
		return s.ErrorFrom("model", err, ErrBadValue)
	}
	switch m.Kind {
	case KindQuadratic:
		if len(m.Samples) > 0 {
			b.Quad = make([]models.QuadSample, len(m.Samples))
			for i, q := range m.Samples {
				d := len(q.C)
				a := make([]float64, 0, d*d)
				for _, row := range q.A {
					a = append(a, row...)
				}
				b.Quad[i] = models.QuadSample{A: a, C: append([]float64(nil), q.C...)}
			}
		} else {
			b.Quad = models.GenerateQuadratics(m.Dim, m.Count, m.Condition, NewSource(s.Seed, StreamQuadratic))
		}
		q, err := models.NewQuadratic(b.Quad)
		if err != nil {
			return modelErr(err)
		}
		b.Model = q
	case KindLinearRegression, KindLogistic:
		if err := s.checkLinearTargets(ds); err != nil {
			return err
		}
		if m.Kind == KindLogistic {
			b.Model, err = models.NewLogistic(b.Data, m.Bias)
		} else {
			b.Model, err = models.NewLinearRegression(b.Data, m.Bias)
		}
		if err != nil {
			return modelErr(err)
		}
	case KindTwoLayer, KindMLP:
		act, err := models.ParseActivation(m.Activation)
		if err != nil {
			return modelErr(err) // unreachable after Validate
		}
		loss, err := models.ParseLoss(m.Loss)
		if err != nil {
			return modelErr(err)
		}
		if m.Kind == KindTwoLayer {
			b.Model, err = models.NewTwoLayer(b.Data, m.Hidden, act, loss)
		} else {
			if err := s.checkLayers(ds); err != nil {
				return err
			}
			b.Model, err = models.NewMLP(b.Data, m.Layers, act, loss)
		}
		if err != nil {
			return modelErr(err)
		}
	case KindRBM:
		if b.Model, err = s.buildRBM(b.Data); err != nil {
			return err
		}
	default:
		panic("scenarios: Build: unhandled model kind " + m.Kind) // Validate lists the kinds
	}
	return nil
}

package scenarios

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/engine/flow"
	"github.com/grd-engine/grd/integrators"
	"github.com/grd-engine/grd/models"
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// ErrorAt returns an *Error about key (a key path such as "metric.epsilon"
// or "flows[2]") with message msg wrapping sentinel, citing the scenario
// file and the line of the key or, if the key was not given, of its
// nearest given parent. Packages that run scenarios use it to report a
// problem of the scenario found only then (a model that lacks a flow's
// derivatives, ε·λ_max ≥ 1).
func (s *Scenario) ErrorAt(key, msg string, sentinel error) *Error {
	return s.errAt(key, msg, sentinel)
}

// ErrorFrom is ErrorAt for an error of another package: the message is
// cause's own (without its package prefix) and cause stays wrapped, so
// errors.Is finds both sentinel and, for example, engine.ErrEpsilon.
func (s *Scenario) ErrorFrom(key string, cause, sentinel error) *Error {
	e := s.errAt(key, detail(cause), sentinel)
	e.Cause = cause
	return e
}

// errAt is ErrorAt.
func (s *Scenario) errAt(key, msg string, sentinel error) *Error {
	e := &Error{Key: key, Msg: msg, Err: sentinel}
	if s.src == nil {
		return e
	}
	e.File = s.src.name
	for k := key; k != ""; k = parentKey(k) {
		if line, ok := s.src.lines[k]; ok {
			e.File, e.Line = locate(s.src.name, s.src.set, line)
			break
		}
	}
	return e
}

func parentKey(k string) string {
	i := strings.LastIndexAny(k, ".[")
	if i < 0 {
		return ""
	}
	return k[:i]
}

// Validate checks a scenario whose defaults are filled (SetDefaults) and
// returns the first problem as an *Error wrapping a sentinel (ErrMissing,
// ErrUnknownName, ErrBadTolerance, ErrBadTime, ErrBadValue, ErrConflict,
// ErrShape). Checks that need the data (batch ≤ N, layers against the
// columns, w0 length) happen in Build.
func (s *Scenario) Validate() error {
	checks := []func() error{s.validateName, s.validateModel, s.validateData, s.validateInit,
		s.validateMetric, s.validateFlows, s.validateRuns, s.validateRBM, s.validateIntegrator, s.validateTime,
		s.validateSteps}
	for _, c := range checks {
		if err := c(); err != nil {
			return err
		}
	}
	return nil
}

func (s *Scenario) validateName() error {
	switch {
	case s.Name == "":
		return s.errAt("name", "missing: every scenario needs a name (it names the output directory out/<name>/)", ErrMissing)
	case !nameRE.MatchString(s.Name) || s.Name == "." || s.Name == "..":
		return s.errAt("name", fmt.Sprintf("%q is not a valid name: use letters, digits, '.', '_' and '-' only", s.Name), ErrBadValue)
	}
	return nil
}

func (s *Scenario) validateModel() error {
	m := &s.Model
	if m.Kind == "" {
		return s.errAt("model.kind", "missing: want one of "+oneOf(kinds), ErrMissing)
	}
	if !contains(kinds, m.Kind) {
		return s.errAt("model.kind", fmt.Sprintf("unknown model kind %q (valid: %s)", m.Kind, oneOf(kinds)), ErrUnknownName)
	}
	if err := s.validateModelKeys(); err != nil {
		return err
	}
	switch m.Kind {
	case KindQuadratic:
		return s.validateQuadratic()
	case KindTwoLayer:
		if m.Hidden < 1 {
			return s.errAt("model.hidden", fmt.Sprintf("want the hidden width ≥ 1, got %d", m.Hidden), ErrBadValue)
		}
	case KindMLP:
		if len(m.Layers) < 2 {
			return s.errAt("model.layers", fmt.Sprintf("want every width [inputs, hidden…, outputs] (at least 2 entries), got %v", m.Layers), ErrBadValue)
		}
		for i, w := range m.Layers {
			if w < 1 {
				return s.errAt(fmt.Sprintf("model.layers[%d]", i), fmt.Sprintf("want a width ≥ 1, got %d", w), ErrBadValue)
			}
		}
	}
	if m.Kind == KindTwoLayer || m.Kind == KindMLP {
		if err := s.validateNetwork(); err != nil {
			return err
		}
	}
	return s.validateLinearData()
}

// validateModelKeys refuses the model keys that the model kind does not
// take, and a data section a quadratic does not take (or its absence for
// the other kinds).
func (s *Scenario) validateModelKeys() error {
	m := &s.Model
	network := m.Kind == KindTwoLayer || m.Kind == KindMLP
	linear := m.Kind == KindLinearRegression || m.Kind == KindLogistic
	quad := m.Kind == KindQuadratic
	only := []struct {
		key     string
		given   bool
		allowed bool
		forWhat string
	}{
		{"model.hidden", m.Hidden != 0, m.Kind == KindTwoLayer || m.Kind == KindRBM, "two-layer and rbm (an mlp lists its widths in model.layers)"},
		{"model.layers", m.Layers != nil, m.Kind == KindMLP, "mlp"},
		{"model.activation", m.Activation != "", network, "two-layer and mlp"},
		{"model.loss", m.Loss != "", network, "two-layer and mlp"},
		{"model.bias", m.Bias, linear, "linear-regression and logistic (networks always have biases)"},
		{"model.samples", m.Samples != nil, quad, "quadratic"},
		{"model.dim", m.Dim != 0, quad, "quadratic"},
		{"model.count", m.Count != 0, quad, "quadratic"},
		{"model.condition", m.Condition != 0, quad, "quadratic"},
	}
	for _, o := range only {
		if o.given && !o.allowed {
			return s.errAt(o.key, fmt.Sprintf("not used by model kind %s: only for %s", m.Kind, o.forWhat), ErrConflict)
		}
	}
	switch {
	case quad && s.Data != nil:
		return s.errAt("data", "a quadratic model takes no data section: give model.samples, or model.dim, model.count and model.condition", ErrConflict)
	case !quad && s.Data == nil:
		return s.errAt("data", fmt.Sprintf("missing: model kind %s needs a data section (data.csv)", m.Kind), ErrMissing)
	}
	return nil
}

// validateNetwork checks a two-layer or mlp model's activation and loss:
// known names, no relu with the flows that need Hessians, cross-entropy
// only on class labels.
func (s *Scenario) validateNetwork() error {
	m := &s.Model
	act, err := models.ParseActivation(m.Activation)
	if err != nil {
		return s.errAt("model.activation", fmt.Sprintf("unknown activation %q (valid: %s)", m.Activation, oneOf(activationNames())), ErrUnknownName)
	}
	loss, err := models.ParseLoss(m.Loss)
	if err != nil {
		return s.errAt("model.loss", fmt.Sprintf("unknown loss %q (valid: %s)", m.Loss, oneOf(lossNames())), ErrUnknownName)
	}
	if act == models.Relu {
		for _, f := range []string{FlowNGD, FlowGRD} {
			if s.HasFlow(f) {
				return s.errAt("model.activation", fmt.Sprintf("relu has no second derivatives, so flow %s is not defined: use tanh, sigmoid or softplus, or run only gd, sgd and sde", f), ErrConflict)
			}
		}
	}
	if loss == models.CrossEntropy && !s.Data.Classes {
		return s.errAt("model.loss", "cross-entropy needs class labels: set data.classes: true (or use loss: squared)", ErrConflict)
	}
	return nil
}

// validateLinearData refuses class labels (and IDX data) for the linear
// models, which fit one real or 0/1 target.
func (s *Scenario) validateLinearData() error {
	m := &s.Model
	if m.Kind != KindLinearRegression && m.Kind != KindLogistic {
		return nil
	}
	if s.Data.IsIDX() {
		return s.errAt("data", fmt.Sprintf("IDX data hold class labels, which %s does not fit: use model kind two-layer or mlp", m.Kind), ErrConflict)
	}
	if s.Data.Classes {
		what := "a linear-regression fits one real target"
		if m.Kind == KindLogistic {
			what = "logistic takes one 0/1 target column"
		}
		return s.errAt("data.classes", what+": set classes: false", ErrConflict)
	}
	return nil
}

func (s *Scenario) validateQuadratic() error {
	m := &s.Model
	generated := m.Dim != 0 || m.Count != 0
	switch {
	case len(m.Samples) > 0 && generated:
		return s.errAt("model.samples", "give either samples or dim/count/condition, not both", ErrConflict)
	case len(m.Samples) == 0 && !generated:
		return s.errAt("model", "a quadratic needs samples: [{A: [[..],..], c: [..]}, ..] or dim, count and condition to generate them", ErrMissing)
	case generated:
		if m.Dim < 1 {
			return s.errAt("model.dim", fmt.Sprintf("want the dimension ≥ 1, got %d", m.Dim), ErrBadValue)
		}
		if m.Count < 1 {
			return s.errAt("model.count", fmt.Sprintf("want the number of samples ≥ 1, got %d", m.Count), ErrBadValue)
		}
		if !(m.Condition >= 1) || !finite(m.Condition) {
			return s.errAt("model.condition", fmt.Sprintf("want a finite condition number ≥ 1, got %g", m.Condition), ErrBadValue)
		}
		return nil
	}
	d := len(m.Samples[0].C)
	for i, q := range m.Samples {
		if err := s.validateSample(i, q, d); err != nil {
			return err
		}
	}
	return nil
}

// validateSample checks one inline quadratic sample: shapes, finite
// entries, and A symmetric up to a relative 1e-10 of its largest entry (the
// tolerance models.NewQuadratic allows before symmetrising exactly).
func (s *Scenario) validateSample(i int, q QuadSpec, d int) error {
	key := fmt.Sprintf("model.samples[%d]", i)
	if len(q.C) == 0 {
		return s.errAt(key+".c", "missing: want the centre c, a list of d numbers", ErrMissing)
	}
	if len(q.C) != d {
		return s.errAt(key+".c", fmt.Sprintf("has %d entries but samples[0].c has %d: all samples share one dimension", len(q.C), d), ErrShape)
	}
	if len(q.A) != d {
		return s.errAt(key+".A", fmt.Sprintf("has %d rows, want %d (a %d×%d matrix, one row per list)", len(q.A), d, d, d), ErrShape)
	}
	for r, row := range q.A {
		if len(row) != d {
			return s.errAt(fmt.Sprintf("%s.A[%d]", key, r), fmt.Sprintf("has %d entries, want %d", len(row), d), ErrShape)
		}
	}
	big := 0.0
	for r := range d {
		for c := range d {
			if !finite(q.A[r][c]) {
				return s.errAt(fmt.Sprintf("%s.A[%d]", key, r), fmt.Sprintf("entry %d is %g, want a finite number", c, q.A[r][c]), ErrBadValue)
			}
			big = max(big, math.Abs(q.A[r][c]))
		}
	}
	for r := range d {
		for c := range d {
			if math.Abs(q.A[r][c]-q.A[c][r]) > 1e-10*big {
				return s.errAt(key+".A", fmt.Sprintf("not symmetric: A[%d][%d] = %g but A[%d][%d] = %g", r, c, q.A[r][c], c, r, q.A[c][r]), ErrBadValue)
			}
		}
		if !finite(q.C[r]) {
			return s.errAt(key+".c", fmt.Sprintf("entry %d is %g, want a finite number", r, q.C[r]), ErrBadValue)
		}
	}
	return nil
}

func (s *Scenario) validateData() error {
	d := s.Data
	if d == nil {
		return nil
	}
	if err := s.validateDataSource(); err != nil {
		return err
	}
	if d.Limit < 0 {
		return s.errAt("data.limit", fmt.Sprintf("want the number of rows to use (0 = all), got %d", d.Limit), ErrBadValue)
	}
	if d.Classes && len(d.Target) > 1 {
		return s.errAt("data.target", fmt.Sprintf("classes: true reads one label column, got %d target columns", len(d.Target)), ErrConflict)
	}
	seen := map[string]string{}
	for i, t := range d.Target {
		if t == "" {
			return s.errAt("data.target", "empty column name", ErrBadValue)
		}
		if _, dup := seen[t]; dup {
			return s.errAt("data.target", fmt.Sprintf("column %q listed twice", t), ErrBadValue)
		}
		seen[t] = fmt.Sprintf("data.target[%d]", i)
	}
	for i, in := range d.Inputs {
		key := fmt.Sprintf("data.inputs[%d]", i)
		if in == "" {
			return s.errAt(key, "empty column name", ErrBadValue)
		}
		if prev, dup := seen[in]; dup {
			if strings.HasPrefix(prev, "data.target") {
				return s.errAt(key, fmt.Sprintf("column %q is the target; a column is either an input or a target", in), ErrConflict)
			}
			return s.errAt(key, fmt.Sprintf("column %q listed twice", in), ErrBadValue)
		}
		seen[in] = key
	}
	return nil
}

// validateDataSource checks that the data section names exactly one source
// (csv, idx, fashion-mnist, bars-and-stripes) and that an IDX source is
// complete and used without the CSV-only keys.
func (s *Scenario) validateDataSource() error {
	d := s.Data
	var given []string
	for _, src := range []struct {
		key string
		on  bool
	}{{"data.csv", d.CSV != ""}, {"data.idx", d.IDX != nil}, {"data.fashion-mnist", d.FashionMNIST != ""}, {"data.bars-and-stripes", d.BarsAndStripes != 0}} {
		if src.on {
			given = append(given, src.key)
		}
	}
	switch {
	case len(given) == 0:
		return s.errAt("data.csv", "missing: want the path of a CSV file (relative to the scenario file), idx: {images: FILE, labels: FILE}, or fashion-mnist: train|test", ErrMissing)
	case len(given) == 2 && given[0] == "data.csv" && given[1] == "data.bars-and-stripes":
		return s.errAt(given[1], "give either csv or bars-and-stripes, not both", ErrConflict)
	case len(given) > 1:
		return s.errAt(given[1], fmt.Sprintf("give exactly one data source, got %s", oneOf(given)), ErrConflict)
	}
	if !d.IsIDX() {
		return nil
	}
	key := given[0]
	switch {
	case d.IDX != nil && d.IDX.Images == "":
		return s.errAt("data.idx.images", "missing: want the path of an idx3 or idx2 image file (relative to the scenario file)", ErrMissing)
	case d.IDX != nil && d.IDX.Labels == "":
		return s.errAt("data.idx.labels", "missing: want the path of an idx1 label file (relative to the scenario file)", ErrMissing)
	case d.FashionMNIST != "" && d.FashionMNIST != "train" && d.FashionMNIST != "test":
		return s.errAt(key, fmt.Sprintf("unknown split %q (valid: train (N = 60000), test (N = 10000))", d.FashionMNIST), ErrUnknownName)
	case !d.Classes:
		return s.errAt("data.classes", "IDX labels are class labels: classes must be true for "+strings.TrimPrefix(key, "data.")+" data", ErrConflict)
	case len(d.Target) > 0:
		return s.errAt("data.target", "IDX data have no named columns: the labels are the target (remove target)", ErrConflict)
	case d.Inputs != nil:
		return s.errAt("data.inputs", "IDX data have no named columns: every pixel is an input (remove inputs)", ErrConflict)
	case s.Model.Kind == KindRBM:
		return s.errAt(key, "an rbm takes csv or bars-and-stripes data", ErrConflict)
	}
	return nil
}

func (s *Scenario) validateInit() error {
	in := &s.Init
	n := 0
	if in.Normal != nil {
		n++
	}
	if in.W != nil {
		n++
	}
	if in.File != "" {
		n++
	}
	if n != 1 {
		return s.errAt("init", "give exactly one of normal: σ, w: [..] or file: PATH", ErrConflict)
	}
	if in.Normal != nil && (!(*in.Normal >= 0) || !finite(*in.Normal)) {
		return s.errAt("init.normal", fmt.Sprintf("want a standard deviation ≥ 0, got %g", *in.Normal), ErrBadValue)
	}
	if in.Normal != nil && *in.Normal > MaxMagnitude/10 {
		return s.errAt("init.normal", fmt.Sprintf("σ = %g is too large: want σ ≤ %g (the draws, up to about 10σ, must stay within |w| ≤ %g, whose squares are finite)", *in.Normal, MaxMagnitude/10, MaxMagnitude), ErrBadValue)
	}
	for i, v := range in.W {
		if !finite(v) {
			return s.errAt("init.w", fmt.Sprintf("entry %d is %g, want a finite number", i, v), ErrBadValue)
		}
		if math.Abs(v) > MaxMagnitude {
			return s.errAt("init.w", fmt.Sprintf("entry %d is %g, too large in magnitude: want |w| ≤ %g (its square must be finite)", i, v, MaxMagnitude), ErrBadValue)
		}
	}
	return nil
}

func (s *Scenario) validateMetric() error {
	m := &s.Metric
	if m.Epsilon.Fixed && (!(m.Epsilon.Value >= 0) || !finite(m.Epsilon.Value)) {
		return s.errAt("metric.epsilon", fmt.Sprintf("want auto or a finite number ≥ 0, got %g", m.Epsilon.Value), ErrBadValue)
	}
	if !(m.Safety > 0 && m.Safety < 1) {
		return s.errAt("metric.safety", fmt.Sprintf("want a number in (0,1), got %g", m.Safety), ErrBadValue)
	}
	forms := engine.KindNames()
	if _, err := engine.ParseKind(m.Inverse); err != nil {
		return s.errAt("metric.inverse", fmt.Sprintf("unknown inverse %q (valid: %s)", m.Inverse, oneOf(forms)), ErrUnknownName)
	}
	if _, err := engine.ParseKind(m.Christoffel); err != nil {
		return s.errAt("metric.christoffel", fmt.Sprintf("unknown christoffel %q (valid: %s)", m.Christoffel, oneOf(forms)), ErrUnknownName)
	}
	return nil
}

func (s *Scenario) validateFlows() error {
	flowNames := flow.List(flow.Names())
	if len(s.Flows) == 0 {
		return s.errAt("flows", "empty: want a list of flows from "+flowNames, ErrMissing)
	}
	for i, f := range s.Flows {
		key := fmt.Sprintf("flows[%d]", i)
		if _, err := flow.ParseName(f); err != nil {
			return s.errAt(key, fmt.Sprintf("unknown flow %q (valid: %s)", f, flowNames), ErrUnknownName)
		}
		if contains(s.Flows[:i], f) {
			return s.errAt(key, fmt.Sprintf("flow %q listed twice", f), ErrBadValue)
		}
	}
	if _, err := flow.ParseV0(s.GRD.V0); err != nil || s.GRD.V0 == "" {
		return s.errAt("grd.v0", fmt.Sprintf("unknown v0 %q (valid: %s)", s.GRD.V0, flow.List(flow.V0s())), ErrUnknownName)
	}
	return nil
}

func (s *Scenario) validateRuns() error {
	type run struct {
		sec       string
		lr        float64
		batch     int
		runs      int
		dt        float64
		hasStepDT bool
	}
	for _, r := range []run{
		{"sgd", s.SGD.LR, s.SGD.Batch, s.SGD.Runs, 0, false},
		{"sde", s.SDE.LR, s.SDE.Batch, s.SDE.Runs, s.SDE.DT, true},
	} {
		if !(r.lr > 0) || !finite(r.lr) {
			return s.errAt(r.sec+".lr", fmt.Sprintf("want a finite step size > 0, got %g", r.lr), ErrBadValue)
		}
		if r.batch < 1 {
			return s.errAt(r.sec+".batch", fmt.Sprintf("want a batch size ≥ 1 (and ≤ the number of samples), got %d", r.batch), ErrBadValue)
		}
		if r.runs < 1 {
			return s.errAt(r.sec+".runs", fmt.Sprintf("want the number of runs ≥ 1, got %d", r.runs), ErrBadValue)
		}
		if r.hasStepDT && (!(r.dt > 0) || !finite(r.dt)) {
			return s.errAt(r.sec+".dt", fmt.Sprintf("want a finite Euler–Maruyama step > 0, got %g", r.dt), ErrBadValue)
		}
	}
	return nil
}

// validateIntegrator checks the integrator section against the methods of
// package integrators (integrators.Methods, exactly as spelt there) and
// their kind: a fixed-step method needs dt and refuses rtol and atol (it
// would ignore them), an adaptive one needs the tolerances and refuses dt.
func (s *Scenario) validateIntegrator() error {
	in := &s.Integrator
	methods := integrators.Methods()
	if !contains(methods, in.Method) {
		return s.errAt("integrator.method", fmt.Sprintf("unknown method %q (valid: %s)", in.Method, oneOf(methods)), ErrUnknownName)
	}
	fixed, adaptive := methodsByKind()
	if !isAdaptive(in.Method) {
		for _, tol := range []struct {
			key string
			v   float64
		}{{"integrator.rtol", in.Rtol}, {"integrator.atol", in.Atol}} {
			if tol.v != 0 {
				return s.errAt(tol.key, fmt.Sprintf("fixed-step method %s takes the step dt and uses no tolerance: drop rtol and atol, or use an adaptive method (%s)", in.Method, oneOf(adaptive)), ErrConflict)
			}
		}
	} else {
		if !(in.Rtol > 0) || !finite(in.Rtol) {
			return s.errAt("integrator.rtol", fmt.Sprintf("want a finite relative tolerance > 0, got %g", in.Rtol), ErrBadTolerance)
		}
		if !(in.Atol > 0) || !finite(in.Atol) {
			return s.errAt("integrator.atol", fmt.Sprintf("want a finite absolute tolerance > 0, got %g", in.Atol), ErrBadTolerance)
		}
		if in.Rtol <= minAdaptiveRtol {
			return s.errAt("integrator.rtol", fmt.Sprintf("rtol = %g is too small for the adaptive method %s: step-size control needs rtol > 10ε ≈ %.2g (below it rounding errors alone fail the error test); use rtol ≥ 1e-14, or a fixed-step method with dt", in.Rtol, in.Method, minAdaptiveRtol), ErrBadTolerance)
		}
	}
	if !isAdaptive(in.Method) {
		if in.DT == 0 {
			return s.errAt("integrator.dt", fmt.Sprintf("missing: fixed-step method %s needs a step dt > 0 (or use an adaptive method: %s)", in.Method, oneOf(adaptive)), ErrConflict)
		}
		if !(in.DT > 0) || !finite(in.DT) {
			return s.errAt("integrator.dt", fmt.Sprintf("want a finite step > 0, got %g", in.DT), ErrBadValue)
		}
	} else if in.DT != 0 {
		return s.errAt("integrator.dt", fmt.Sprintf("adaptive method %s chooses its own steps (rtol, atol): drop dt, or use a fixed-step method (%s)", in.Method, oneOf(fixed)), ErrConflict)
	}
	return nil
}

// isFixedStep reports whether name is a known method that takes a fixed
// step dt (an unknown name is neither fixed-step nor adaptive).
func isFixedStep(name string) bool {
	m, err := integrators.MethodByName(name)
	return err == nil && !m.Adaptive()
}

// minAdaptiveRtol is the smallest relative tolerance the integrators'
// step-size control accepts, 10ε (integrators refuse Settings.RTol ≤ 10ε,
// as Hairer's codes refuse RTOL ≤ 10·UROUND).
const minAdaptiveRtol = 10 * 0x1p-52

// isAdaptive reports whether the integrator method name (one of
// integrators.Methods) chooses its own steps.
func isAdaptive(name string) bool {
	m, err := integrators.MethodByName(name)
	return err == nil && m.Adaptive()
}

// methodsByKind splits integrators.Methods into the fixed-step and the
// adaptive ones, each in its order there.
func methodsByKind() (fixed, adaptive []string) {
	for _, n := range integrators.Methods() {
		if isAdaptive(n) {
			adaptive = append(adaptive, n)
		} else {
			fixed = append(fixed, n)
		}
	}
	return fixed, adaptive
}

func (s *Scenario) validateTime() error {
	t := &s.Time
	if !finite(t.T0) {
		return s.errAt("time.t0", fmt.Sprintf("want a finite start time, got %g", t.T0), ErrBadTime)
	}
	if !finite(t.T1) {
		return s.errAt("time.t1", fmt.Sprintf("want a finite end time, got %g", t.T1), ErrBadTime)
	}
	if !(t.T1 > t.T0) {
		if _, given := s.lines()["time.t1"]; !given {
			return s.errAt("time.t1", fmt.Sprintf("missing: want the end time > t0 = %g", t.T0), ErrBadTime)
		}
		return s.errAt("time.t1", fmt.Sprintf("t1 = %g must be greater than t0 = %g", t.T1, t.T0), ErrBadTime)
	}
	if t.Outputs < 2 || t.Outputs > maxOutputs {
		return s.errAt("time.outputs", fmt.Sprintf("want between 2 and %d output times (both ends included), got %d", maxOutputs, t.Outputs), ErrBadTime)
	}
	return nil
}

func (s *Scenario) lines() map[string]int {
	if s.src == nil {
		return nil
	}
	return s.src.lines
}

// activationNames lists the activations models knows, from models itself.
func activationNames() []string {
	var names []string
	for i := models.Activation(0); ; i++ {
		n := i.String()
		if strings.HasPrefix(n, "Activation(") {
			return names
		}
		names = append(names, n)
	}
}

func lossNames() []string {
	var names []string
	for i := models.Loss(0); ; i++ {
		n := i.String()
		if strings.HasPrefix(n, "Loss(") {
			return names
		}
		names = append(names, n)
	}
}

package scenarios

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/engine/flow"
)

// Model kinds (model.kind).
const (
	KindQuadratic        = "quadratic"
	KindLinearRegression = "linear-regression"
	KindLogistic         = "logistic"
	KindTwoLayer         = "two-layer"
	KindMLP              = "mlp"
	KindRBM              = "rbm" // restricted Boltzmann machine (rbm.go)
)

// Flows (the flows list): the words of the vocabulary flow.Name, which
// defines them, as the plain strings a Scenario holds.
const (
	FlowGD  = string(flow.GD)
	FlowNGD = string(flow.NGD)
	FlowGRD = string(flow.GRD)
	FlowSGD = string(flow.SGD)
	FlowSDE = string(flow.SDE)
	FlowCD  = string(flow.CD) // contrastive divergence, rbm only (rbm.go)
)

// Initial GRD velocities (grd.v0): the words of flow.V0.
const (
	V0NGD  = string(flow.V0NGD)
	V0GD   = string(flow.V0GD)
	V0Zero = string(flow.V0Zero)
)

// The model kinds, in the order error messages show them. The other
// lists (flows, forms, v0) come from their vocabularies: flow.Names,
// engine.KindNames, flow.V0s.
var kinds = []string{KindQuadratic, KindLinearRegression, KindLogistic, KindTwoLayer, KindMLP, KindRBM}

// Defaults filled by SetDefaults (and so by Parse, Load, Builtin and Open).
const (
	DefaultNormal     = 0.5                // init.normal when no init is given
	DefaultSafety     = 0.5                // metric.safety
	DefaultMethod     = flow.DefaultMethod // integrator.method
	DefaultRtol       = 1e-8               // integrator.rtol
	DefaultAtol       = 1e-10              // integrator.atol
	DefaultOutputs    = 201                // time.outputs
	DefaultLR         = 0.05               // sgd.lr and sde.lr
	DefaultBatch      = 16                 // sgd.batch and sde.batch
	DefaultRuns       = 32                 // sgd.runs and sde.runs
	DefaultSDEStep    = 0.01               // sde.dt
	DefaultActivation = "tanh"             // model.activation (two-layer, mlp)
	DefaultLoss       = "squared"          // model.loss (two-layer, mlp)
	DefaultCondition  = 1.0                // model.condition (generated quadratic)
	DefaultV0         = V0NGD              // grd.v0
	maxOutputs        = 1_000_000          // time.outputs upper bound: every flow keeps its K rows of d weights in memory (and more than 10⁶ rows is far beyond what a plot resolves)
)

// DefaultFlows is the flows list used when a scenario gives none.
func DefaultFlows() []string { return []string{FlowGD, FlowNGD, FlowGRD} }

// Scenario is one experiment: DESIGN §4 key for key. The zero value of every
// field means its documented default; SetDefaults writes the defaults in,
// so a filled scenario marshals (yaml.Marshal, json.Marshal, WriteYAML)
// with every setting visible.
//
// A Scenario read by Parse, Load, Builtin or Open remembers where it came
// from: relative paths (data.csv, init.file) resolve against its directory,
// and validation errors cite the file and line of the offending key.
type Scenario struct {
	// Name names the run (and its output directory out/<name>/). Required;
	// letters, digits, '.', '_' and '-' only.
	Name string `yaml:"name" json:"name"`
	// Seed is the root of all randomness (init, generated quadratics, SGD
	// and SDE runs); see NewSource. Default 0.
	Seed uint64 `yaml:"seed" json:"seed"`
	// Data is the data section; required for every model kind except
	// quadratic, and forbidden for quadratic.
	Data *DataSpec `yaml:"data,omitempty" json:"data,omitempty"`
	// Model is the model section; model.kind is required.
	Model ModelSpec `yaml:"model" json:"model"`
	// Init chooses w0; default normal: 0.5.
	Init InitSpec `yaml:"init" json:"init"`
	// Metric sets ε and the inverse/Christoffel forms.
	Metric MetricSpec `yaml:"metric" json:"metric"`
	// Flows lists the flows to run, any of gd, ngd, grd, sgd, sde, each at
	// most once. Default [gd, ngd, grd].
	Flows []string `yaml:"flows" json:"flows"`
	// GRD configures the grd flow.
	GRD GRDSpec `yaml:"grd" json:"grd"`
	// SGD configures the sgd flow (real minibatch SGD).
	SGD SGDSpec `yaml:"sgd" json:"sgd"`
	// SDE configures the sde flow (the continuous-time SGD model).
	SDE SDESpec `yaml:"sde" json:"sde"`
	// CD configures the cd flow (contrastive divergence, rbm only) and the
	// CD diffusion matrix of `grd geometry`.
	// Only for model kind rbm (omitted from the echo of other kinds).
	CD CDSpec `yaml:"cd,omitempty" json:"cd,omitzero"`
	// Integrator configures the ODE solver for gd, ngd and grd.
	Integrator IntegratorSpec `yaml:"integrator" json:"integrator"`
	// Time sets the time span and the output times.
	Time TimeSpec `yaml:"time" json:"time"`

	src *origin // where the scenario came from; nil for one built in Go
}

// DataSpec is the data section: where the samples come from (exactly one
// of CSV, IDX, FashionMNIST and, for an rbm, BarsAndStripes) and how they
// are prepared.
type DataSpec struct {
	// CSV is the file, relative to the scenario file, or builtin:<name>
	// for a data set embedded in grd (BuiltinDataSets: builtin:iris, …).
	// Required (for an rbm: exactly one of CSV and BarsAndStripes). A file
	// that does not exist is an error: no embedded copy stands in for it.
	CSV string `yaml:"csv" json:"csv"`
	// IDX is an image file and its label file in the IDX format of the
	// MNIST family (see package idx): images flattened row-major into the
	// inputs (unsigned bytes divided by 255), labels the classes 0..K−1.
	// Classes is implied (classes: false is an error); target and inputs
	// do not apply.
	IDX *IDXSpec `yaml:"idx,omitempty" json:"idx,omitempty"`
	// FashionMNIST is train (N = 60000) or test (N = 10000): the standard
	// Fashion-MNIST files, looked up in $GRD_DATA_DIR/fashion-mnist, then
	// /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist).
	// Read as IDX; never downloaded.
	FashionMNIST string `yaml:"fashion-mnist,omitempty" json:"fashion-mnist,omitempty"`
	// Target names the target column(s): one name or a list. Default: the
	// last column.
	Target Columns `yaml:"target,omitempty" json:"target,omitempty"`
	// Inputs names the input columns. Default: every column that is not a
	// target.
	Inputs []string `yaml:"inputs,omitempty" json:"inputs,omitempty"`
	// Standardize z-scores each input column, (x − mean)/std with the
	// population std (1/N); a constant column is only centred. Targets are
	// never changed. Default true (nil means true).
	Standardize *bool `yaml:"standardize" json:"standardize"`
	// Classes reads the single target column as integer class labels
	// 0..K−1, K = max label + 1: the output size is K, Y is one-hot and
	// Labels holds the indices. Default false: regression, the output size is
	// the number of target columns.
	Classes bool `yaml:"classes" json:"classes"`
	// Limit uses only the first Limit data rows (0 = all). It is applied
	// before standardisation, so the statistics come from the rows used.
	Limit int `yaml:"limit" json:"limit"`
	// BarsAndStripes generates the patterns of an rbm instead of reading a
	// CSV: every bars-and-stripes image of a size×size grid (size 1..4,
	// n_v = size², N = 2^(size+1) − 2; see models.BarsAndStripes). rbm only.
	BarsAndStripes int `yaml:"bars-and-stripes,omitempty" json:"bars-and-stripes,omitempty"`
}

// IDXSpec names the two files of an IDX data set, relative to the scenario
// file. Either may be gzip-compressed (detected by content, not name).
type IDXSpec struct {
	// Images is an idx3 (N × rows × cols) or idx2 (N × n) file. Required.
	Images string `yaml:"images" json:"images"`
	// Labels is an idx1 file of N class labels 0..K−1. Required.
	Labels string `yaml:"labels" json:"labels"`
}

// IsIDX reports whether the samples come from IDX files (idx or
// fashion-mnist), which hold class labels and no named columns.
func (d *DataSpec) IsIDX() bool { return d.IDX != nil || d.FashionMNIST != "" }

// StandardizeOn reports the effective standardize setting (nil means true).
func (d *DataSpec) StandardizeOn() bool { return d.Standardize == nil || *d.Standardize }

// ModelSpec is the model section. Which keys apply depends on Kind; a key
// that does not apply to the kind is an error.
type ModelSpec struct {
	// Kind is quadratic, linear-regression, logistic, two-layer, mlp or
	// rbm. Required.
	Kind string `yaml:"kind" json:"kind"`
	// Hidden is the hidden width of two-layer (required there, ≥ 1) and
	// the number of hidden units n_h of an rbm (required, 1..20).
	Hidden int `yaml:"hidden,omitempty" json:"hidden,omitempty"`
	// Activation is tanh, sigmoid, softplus or relu (two-layer, mlp).
	// Default tanh. relu cannot be used with the ngd or grd flows.
	Activation string `yaml:"activation,omitempty" json:"activation,omitempty"`
	// Loss is squared or cross-entropy (two-layer, mlp). Default squared.
	// cross-entropy needs data.classes: true.
	Loss string `yaml:"loss,omitempty" json:"loss,omitempty"`
	// Layers lists every width of an mlp, input and output included:
	// [n, h1, …, o] (required for mlp; must match the data).
	Layers []int `yaml:"layers,omitempty" json:"layers,omitempty"`
	// Bias adds a bias weight (last) to linear-regression and logistic.
	// Default false. Networks always have biases.
	Bias bool `yaml:"bias,omitempty" json:"bias,omitempty"`
	// Samples are inline quadratic samples f_n = ½(w−c)ᵀA(w−c), A symmetric.
	// A quadratic has either Samples or Dim/Count/Condition.
	Samples []QuadSpec `yaml:"samples,omitempty" json:"samples,omitempty"`
	// Dim is the dimension of generated quadratics (≥ 1).
	Dim int `yaml:"dim,omitempty" json:"dim,omitempty"`
	// Count is the number of generated quadratic samples (≥ 1).
	Count int `yaml:"count,omitempty" json:"count,omitempty"`
	// Condition is the condition number of each generated A (≥ 1).
	// Default 1 when Dim and Count are given.
	Condition float64 `yaml:"condition,omitempty" json:"condition,omitempty"`
}

// QuadSpec is one inline quadratic sample: A is d×d (a list of rows), c has
// length d.
type QuadSpec struct {
	A [][]float64 `yaml:"A" json:"A"`
	C []float64   `yaml:"c" json:"c"`
}

// InitSpec chooses w0: exactly one of Normal, W and File. Default normal: 0.5.
type InitSpec struct {
	// Normal draws w0 ~ N(0, σ²) per component, σ = *Normal ≥ 0, from the
	// scenario seed (deterministic).
	Normal *float64 `yaml:"normal,omitempty" json:"normal,omitempty"`
	// W gives w0 inline; its length must equal the model's dimension d.
	W []float64 `yaml:"w,omitempty" json:"w,omitempty"`
	// File reads w0 from a file, one value per line (blank lines and lines
	// starting with '#' are skipped), relative to the scenario file.
	File string `yaml:"file,omitempty" json:"file,omitempty"`
}

// MetricSpec is the metric section (DESIGN §1).
type MetricSpec struct {
	// Epsilon is auto (the zero value and default: ε = safety/λ_max(D(w0)))
	// or a fixed number ≥ 0.
	Epsilon Epsilon `yaml:"epsilon" json:"epsilon"`
	// Safety s ∈ (0,1) for epsilon auto. Default 0.5.
	Safety float64 `yaml:"safety" json:"safety"`
	// Inverse is weak-field (P = I − εD, default) or exact (P = (I+εD)⁻¹).
	Inverse string `yaml:"inverse" json:"inverse"`
	// Christoffel is weak-field (Γ^k_ij ≈ Γ_k,ij, default) or exact.
	Christoffel string `yaml:"christoffel" json:"christoffel"`
	// Source is where D comes from: exact (the default, also written "")
	// is the covariance of the exact per-sample gradients; cd (rbm only) is
	// the covariance of per-sample CD-k estimates, quenched at w0 (see
	// engine.CDMetric and rbm.go), used by ngd and grd and for ε.
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
}

// GRDSpec configures the grd flow.
type GRDSpec struct {
	// V0 is the initial velocity: ngd (default, −P∇f(w0)), gd (−∇f(w0)) or zero.
	V0 string `yaml:"v0" json:"v0"`
}

// SGDSpec configures real minibatch SGD: w ← w − lr·(mean minibatch
// gradient), batches drawn without replacement per epoch, time t = j·lr.
type SGDSpec struct {
	LR    float64 `yaml:"lr" json:"lr"`       // step size > 0; default 0.05
	Batch int     `yaml:"batch" json:"batch"` // 1 ≤ batch ≤ N; default 16
	Runs  int     `yaml:"runs" json:"runs"`   // independent seeded runs ≥ 1; default 32
}

// SDESpec configures the SGD diffusion dw = −∇f dt + sqrt(lr/batch·D) dW,
// integrated by Euler–Maruyama with step dt.
type SDESpec struct {
	LR    float64 `yaml:"lr" json:"lr"`       // > 0; default 0.05
	Batch int     `yaml:"batch" json:"batch"` // 1 ≤ batch ≤ N; default 16
	Runs  int     `yaml:"runs" json:"runs"`   // ≥ 1; default 32
	DT    float64 `yaml:"dt" json:"dt"`       // Euler–Maruyama step > 0; default 0.01
}

// IntegratorSpec configures the ODE solver.
type IntegratorSpec struct {
	// Method is euler, heun, rk4 (fixed step: need DT) or bs3, dopri5,
	// tsit5, dop853 and, for stiff flows, rodas4, rock4, auto (adaptive;
	// integrators.Methods). Default dopri5.
	Method string `yaml:"method" json:"method"`
	// Rtol, Atol are the adaptive error tolerances (> 0). Defaults 1e-8,
	// 1e-10 for an adaptive method; a fixed-step method uses dt instead, so
	// they stay 0 there (absent from the echo) and giving them is an error.
	Rtol float64 `yaml:"rtol,omitempty" json:"rtol,omitempty"`
	Atol float64 `yaml:"atol,omitempty" json:"atol,omitempty"`
	// DT is the step of a fixed-step method (required there, > 0); it is
	// an error with an adaptive method.
	DT float64 `yaml:"dt,omitempty" json:"dt,omitempty"`
}

// TimeSpec is the time span: outputs at Outputs evenly spaced times from T0
// to T1, both included.
type TimeSpec struct {
	T0      float64 `yaml:"t0" json:"t0"`           // default 0
	T1      float64 `yaml:"t1" json:"t1"`           // required, > T0
	Outputs int     `yaml:"outputs" json:"outputs"` // ≥ 2; default 201
}

// Times returns the Outputs evenly spaced output times, T0 and T1 exact.
func (t TimeSpec) Times() []float64 {
	n := t.Outputs
	if n < 2 {
		panic(fmt.Sprintf("scenarios: Times with outputs = %d, need ≥ 2 (validate first)", n))
	}
	ts := make([]float64, n)
	for i := range ts {
		// t0 + (t1−t0)·i/(n−1), written so both ends are exact.
		a := float64(i) / float64(n-1)
		ts[i] = (1-a)*t.T0 + a*t.T1
	}
	ts[n-1] = t.T1
	return ts
}

// Epsilon is metric.epsilon: `auto` (the zero value) or a fixed number.
type Epsilon struct {
	Fixed bool    // false: auto
	Value float64 // ε when Fixed
}

// String returns "auto" or the number.
func (e Epsilon) String() string {
	if !e.Fixed {
		return "auto"
	}
	return strconv.FormatFloat(e.Value, 'g', -1, 64)
}

// MarshalYAML writes auto or the number.
func (e Epsilon) MarshalYAML() (any, error) {
	if !e.Fixed {
		return "auto", nil
	}
	return e.Value, nil
}

// UnmarshalYAML reads auto or a number.
func (e *Epsilon) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Value == "auto" {
		*e = Epsilon{}
		return nil
	}
	var v float64
	if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil {
		return fmt.Errorf("want auto or a number ≥ 0, got %s", describe(n))
	}
	*e = Epsilon{Fixed: true, Value: v}
	return nil
}

// MarshalJSON writes "auto" or the number.
func (e Epsilon) MarshalJSON() ([]byte, error) {
	if !e.Fixed {
		return []byte(`"auto"`), nil
	}
	return json.Marshal(e.Value)
}

// UnmarshalJSON reads "auto" or a number.
func (e *Epsilon) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		if s != "auto" {
			return fmt.Errorf("scenarios: epsilon: want auto or a number ≥ 0, got %q", s)
		}
		*e = Epsilon{}
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("scenarios: epsilon: want auto or a number ≥ 0, got %s", b)
	}
	*e = Epsilon{Fixed: true, Value: v}
	return nil
}

// Columns is a list of column names written as one name or a list.
type Columns []string

// MarshalYAML writes a single name as a plain string.
func (c Columns) MarshalYAML() (any, error) {
	if len(c) == 1 {
		return c[0], nil
	}
	return []string(c), nil
}

// UnmarshalYAML reads a name or a list of names.
func (c *Columns) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			*c = nil
			return nil
		}
		*c = Columns{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(Columns, 0, len(n.Content))
		for _, e := range n.Content {
			if e.Kind == yaml.AliasNode {
				e = e.Alias
			}
			if e.Kind != yaml.ScalarNode {
				return fmt.Errorf("want a column name or a list of names, got a list holding %s", describe(e))
			}
			out = append(out, e.Value)
		}
		*c = out
		return nil
	}
	return fmt.Errorf("want a column name or a list of names, got %s", describe(n))
}

// MarshalJSON writes a single name as a plain string.
func (c Columns) MarshalJSON() ([]byte, error) {
	if len(c) == 1 {
		return json.Marshal(c[0])
	}
	return json.Marshal([]string(c))
}

// UnmarshalJSON reads a name or a list of names.
func (c *Columns) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*c = Columns{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("scenarios: target: want a column name or a list of names, got %s", b)
	}
	*c = l
	return nil
}

// SetDefaults fills every zero field that has a default (see the field
// docs and the Default constants). It is idempotent and does not validate.
func (s *Scenario) SetDefaults() {
	if d := s.Data; d != nil && d.Standardize == nil && s.Model.Kind != KindRBM {
		t := true
		d.Standardize = &t
	}
	if d := s.Data; d != nil && d.IsIDX() {
		d.Classes = true // IDX labels are class labels
	}
	m := &s.Model
	if m.Kind == KindTwoLayer || m.Kind == KindMLP {
		if m.Activation == "" {
			m.Activation = DefaultActivation
		}
		if m.Loss == "" {
			m.Loss = DefaultLoss
		}
	}
	if m.Kind == KindQuadratic && len(m.Samples) == 0 && m.Condition == 0 {
		m.Condition = DefaultCondition
	}
	if s.Init.Normal == nil && s.Init.W == nil && s.Init.File == "" {
		v := DefaultNormal
		s.Init.Normal = &v
	}
	mt := &s.Metric
	if mt.Safety == 0 {
		mt.Safety = DefaultSafety
	}
	if mt.Inverse == "" {
		mt.Inverse = engine.WeakField.String()
	}
	if mt.Christoffel == "" {
		mt.Christoffel = engine.WeakField.String()
	}
	if len(s.Flows) == 0 && !s.given("flows") { // flows: [] is an error (Validate), not the default
		s.Flows = DefaultFlows()
	}
	if s.GRD.V0 == "" {
		s.GRD.V0 = DefaultV0
	}
	setRun(&s.SGD.LR, &s.SGD.Batch, &s.SGD.Runs)
	setRun(&s.SDE.LR, &s.SDE.Batch, &s.SDE.Runs)
	if s.SDE.DT == 0 {
		s.SDE.DT = DefaultSDEStep
	}
	if m.Kind == KindRBM {
		s.CD.setDefaults() // rbm.go; the cd section applies to rbm scenarios only
	}
	in := &s.Integrator
	if in.Method == "" {
		in.Method = DefaultMethod
	}
	if in.Rtol == 0 && !isFixedStep(in.Method) { // fixed-step methods use dt, not tolerances
		in.Rtol = DefaultRtol
	}
	if in.Atol == 0 && !isFixedStep(in.Method) {
		in.Atol = DefaultAtol
	}
	if s.Time.Outputs == 0 {
		s.Time.Outputs = DefaultOutputs
	}
}

func setRun(lr *float64, batch, runs *int) {
	if *lr == 0 {
		*lr = DefaultLR
	}
	if *batch == 0 {
		*batch = DefaultBatch
	}
	if *runs == 0 {
		*runs = DefaultRuns
	}
}

// HasFlow reports whether flow is in s.Flows.
func (s *Scenario) HasFlow(flow string) bool { return contains(s.Flows, flow) }

// Source returns the file the scenario was read from ("builtin:<name>" for
// a built-in scenario, "" for one built in Go).
func (s *Scenario) Source() string {
	if s.src == nil {
		return ""
	}
	return s.src.name
}

// SourceSum says where the scenario text came from, for provenance
// records: "builtin:<name>" for a built-in, the absolute path of a scenario
// file (the path as given if it cannot be made absolute), "" for a scenario
// parsed without a source name or built in Go; and the SHA-256 of the text
// as read, in hex ("" when the scenario was not parsed from text).
func (s *Scenario) SourceSum() (source, sha256Hex string) {
	if s.src == nil {
		return "", ""
	}
	sum := hex.EncodeToString(s.src.sum[:])
	switch {
	case s.src.builtin != "":
		return "builtin:" + s.src.builtin, sum
	case s.src.name == "":
		return "", sum
	}
	abs, err := filepath.Abs(s.src.name)
	if err != nil {
		return s.src.name, sum
	}
	return abs, sum
}

// WriteYAML writes s as YAML with two-space indentation.
func (s *Scenario) WriteYAML(w io.Writer) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("scenarios: encoding %q as YAML: %w", s.Name, err)
	}
	return enc.Close()
}

// YAML returns s as YAML (see WriteYAML).
func (s *Scenario) YAML() ([]byte, error) {
	var b bytes.Buffer
	err := s.WriteYAML(&b)
	return b.Bytes(), err
}

// JSON returns s as indented JSON.
func (s *Scenario) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("scenarios: encoding %q as JSON: %w", s.Name, err)
	}
	return b, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// finite reports whether x is neither NaN nor ±Inf.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// describe renders a YAML node for "got …" in messages.
func describe(n *yaml.Node) string {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing (null)"
		}
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return strconv.Quote(v)
	}
	return "an empty document"
}

// oneOf renders a list of valid names.
func oneOf(list []string) string { return strings.Join(list, ", ") }

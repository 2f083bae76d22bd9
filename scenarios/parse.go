package scenarios

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// origin records where a scenario came from.
type origin struct {
	name  string         // file name for messages
	fsys  fs.FS          // nil: the OS file system
	dir   string         // directory relative paths resolve against
	lines map[string]int // key path → line of the key (negative: set by an override, see locate)
	set   []Override     // command-line overrides applied to the file, in order
	// builtin is the built-in's name ("" for a file); sum the SHA-256 of
	// the scenario text as read.
	builtin string
	sum     [sha256.Size]byte
}

// Load reads, checks and fills the scenario file at path (YAML or JSON),
// with the overrides set applied in order (see Override).
// Relative paths inside it resolve against the file's directory.
//
// The file must be a regular file of at most MaxScenarioBytes.
func Load(path string, set ...Override) (*Scenario, error) {
	b, err := readScenarioFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b, path, set...)
}

// readScenarioFile reads the scenario file at path: a regular file (a FIFO
// or a device such as /dev/zero is refused before reading) of at most
// MaxScenarioBytes.
func readScenarioFile(path string) ([]byte, error) {
	// Stat first: opening a FIFO blocks until a writer comes.
	if fi, err := os.Stat(path); err == nil {
		if msg := checkRegular(fi); msg != "" {
			return nil, &Error{File: path, Msg: msg + " (a scenario is a YAML or JSON file)", Err: ErrNotFound}
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scenarios: reading scenario: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("scenarios: reading scenario: %w", err)
	}
	if msg := checkRegular(fi); msg != "" {
		return nil, &Error{File: path, Msg: msg + " (a scenario is a YAML or JSON file)", Err: ErrNotFound}
	}
	if fi.Size() > MaxScenarioBytes {
		return nil, &Error{File: path, Msg: fmt.Sprintf("is %s, larger than the limit of %s for a scenario file (put large weight vectors in init.file, large data in data.csv)", formatBytes(float64(fi.Size())), formatBytes(MaxScenarioBytes)), Err: ErrSyntax}
	}
	b, err := io.ReadAll(newBoundedReader(f, MaxScenarioBytes))
	if err != nil {
		return nil, &Error{File: path, Msg: "reading: " + err.Error(), Err: ErrSyntax, Cause: err}
	}
	return b, nil
}

// Parse decodes a scenario from data (YAML; JSON is valid YAML), strictly:
// unknown keys, duplicate keys and values of the wrong type are errors that
// name the key path and source:line. It then fills the defaults
// (SetDefaults) and validates (Validate). source names the data in messages
// and, when it is a file path, relative paths in the scenario resolve
// against its directory ("" means the working directory). The overrides
// set are applied to the decoded YAML in order before the checks (see
// Override); the scenario remembers them (Overrides).
func Parse(data []byte, source string, set ...Override) (*Scenario, error) {
	dir := "."
	if source != "" {
		dir = filepath.Dir(source)
	}
	return parse(data, &origin{name: source, dir: dir, set: set})
}

func parse(data []byte, o *origin) (*Scenario, error) {
	o.lines = map[string]int{}
	o.sum = sha256.Sum256(data)
	fail := func(line int, key, msg string, sentinel error) error {
		return &Error{File: o.name, Line: line, Key: key, Msg: msg, Err: sentinel}
	}

	// 1. Well-formed YAML, exactly one document.
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fail(0, "", "empty scenario: want a mapping with at least name, model and time", ErrMissing)
		}
		line, msg := yamlSyntaxLine(err)
		if strings.Contains(msg, "cannot start any token") && lineHasTab(data, line) {
			msg += " (a tab: YAML indents with spaces only)"
		}
		return nil, fail(line, "", "malformed YAML: "+msg, ErrSyntax)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fail(extra.Line, "", "more than one YAML document: a scenario file holds exactly one", ErrSyntax)
	} else if !errors.Is(err, io.EOF) {
		line, msg := yamlSyntaxLine(err)
		return nil, fail(line, "", "malformed YAML: "+msg, ErrSyntax)
	}

	// 2. Keys and types, with lines, against the struct definitions.
	w := walker{file: o.name, lines: o.lines}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if err := w.walk(doc, reflect.TypeFor[Scenario](), ""); err != nil {
		return nil, err
	}

	// 2'. The overrides, on the node tree the file is now known to be good
	// for; then the walk again over the result (with fresh lines: a key
	// an override replaced must not keep its file line), and the decode
	// below reads the result.
	if len(o.set) > 0 {
		for i, ov := range o.set {
			if err := applyOverride(doc, ov, setMark(i)); err != nil {
				return nil, err
			}
		}
		o.lines = map[string]int{}
		w = walker{file: o.name, lines: o.lines, set: o.set}
		if err := w.walk(doc, reflect.TypeFor[Scenario](), ""); err != nil {
			return nil, err
		}
		b, err := yaml.Marshal(&root)
		if err != nil {
			return nil, fail(0, "", "applying --set: "+err.Error(), ErrSyntax)
		}
		data = b
	}

	// 3. The decode itself, strict as well (the walk has caught everything
	// it would reject, so this is a second line of defence).
	var s Scenario
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(&s); err != nil {
		line, msg := yamlLine(err)
		return nil, fail(line, "", msg, ErrType)
	}
	s.src = o

	// 4. Explicit zeros where zero is not valid (a zero field would
	// otherwise silently become its default).
	if err := s.explicitZeros(); err != nil {
		return nil, err
	}
	s.SetDefaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

var yamlLineRE = regexp.MustCompile(`line (\d+): (.*)`)

// yamlLine extracts the first line number and message from a yaml error.
func yamlLine(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return line, m[2]
	}
	return 0, strings.TrimSpace(msg)
}

// yamlParserProblems are the messages of the YAML parser's errors (as
// opposed to its scanner's). For those, go.yaml.in/yaml/v3 reports the
// 0-based line of the construct being parsed (one line too early, and no
// line at all for the first), where scanner errors get the 1-based line.
var yamlParserProblems = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'", "did not find expected '-' indicator",
	"did not find expected <document start>", "did not find expected <stream-start>", "did not find expected key",
	"did not find expected node content", "found duplicate %TAG directive", "found duplicate %YAML directive",
	"found incompatible YAML document", "found undefined tag handle",
}

// yamlSyntaxLine is yamlLine for a syntax error, with the 1-based line
// also for the parser's errors (yamlParserProblems).
func yamlSyntaxLine(err error) (int, string) {
	line, msg := yamlLine(err)
	if contains(yamlParserProblems, msg) {
		line++
	}
	return line, msg
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// walker checks a YAML node tree against the scenario's struct types:
// every key must name a field (by its yaml tag), no key may repeat, and
// every value must decode into its field's type. It records the line of
// every key path.
type walker struct {
	file   string
	set    []Override // the overrides: nodes with negative lines are theirs
	lines  map[string]int
	visits int // nodes visited: aliases can make the tree far larger than the text
}

// maxVisits bounds the walk, so that a small file of nested aliases (a
// "billion laughs") is an error instead of an endless walk.
const maxVisits = 1 << 20

func (w *walker) fail(n *yaml.Node, key, msg string, sentinel error) error {
	file, line := locate(w.file, w.set, n.Line)
	return &Error{File: file, Line: line, Key: key, Msg: msg, Err: sentinel}
}

func (w *walker) walk(n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if w.visits++; w.visits > maxVisits {
		return w.fail(n, path, fmt.Sprintf("the scenario expands to more than %d values (excessive use of aliases)", maxVisits), ErrSyntax)
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // absent value: the field keeps its zero value (its default)
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			_, msg := yamlLine(err)
			return w.fail(n, path, msg, ErrType)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		return w.walk(n, t.Elem(), path)
	case reflect.Struct:
		return w.walkStruct(n, t, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return w.fail(n, path, "want a list "+elemWant(t.Elem())+", got "+describe(n), ErrType)
		}
		for i, e := range n.Content {
			ep := fmt.Sprintf("%s[%d]", path, i)
			if k := t.Elem().Kind(); k != reflect.Float64 && k != reflect.Float32 {
				w.lines[ep] = e.Line // flows[1], layers[2], A[0]: errors cite the item's line
			}
			if err := w.walk(e, t.Elem(), ep); err != nil {
				return err
			}
		}
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return w.fail(n, path, "want "+want(t)+", got "+describe(n), ErrType)
	}
	// The resolved tag must fit the kind exactly: yaml would otherwise
	// truncate 2.5 into an int and read yes/no/on/off as booleans. A number
	// with tag !!int or !!float always decodes into a float (no need to try).
	tag := n.ShortTag()
	ok := true
	switch t.Kind() {
	case reflect.Bool:
		ok = tag == "!!bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		ok = tag == "!!int"
	case reflect.Float32, reflect.Float64:
		ok = tag == "!!int" || tag == "!!float"
	}
	floatOK := ok && (t.Kind() == reflect.Float64 || t.Kind() == reflect.Float32)
	if !ok || !floatOK && n.Decode(reflect.New(t).Interface()) != nil {
		return w.fail(n, path, "want "+want(t)+", got "+describe(n), ErrType)
	}
	return nil
}

func (w *walker) walkStruct(n *yaml.Node, t reflect.Type, path string) error {
	keys := yamlKeys(t)
	if n.Kind != yaml.MappingNode {
		what := "the scenario"
		if path != "" {
			what = path
		}
		return w.fail(n, path, fmt.Sprintf("%s must be a mapping with keys %s, got %s", what, oneOf(keys), describe(n)), ErrType)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return w.fail(k, path, "keys must be plain names, got "+describe(k), ErrType)
		}
		name := k.Value
		kp := name
		if path != "" {
			kp = path + "." + name
		}
		if prev, ok := seen[name]; ok {
			return w.fail(k, kp, fmt.Sprintf("duplicate key (first given at line %d)", prev), ErrSyntax)
		}
		seen[name] = k.Line
		f, ok := fieldByKey(t, name)
		if !ok {
			in := "at the top level"
			if path != "" {
				in = "in " + path
			}
			msg := fmt.Sprintf("unknown key %q (valid keys %s: %s)", name, in, oneOf(keys))
			if near := nearest(name, keys); near != "" {
				msg = fmt.Sprintf("unknown key %q, did you mean %q? (valid keys %s: %s)", name, near, in, oneOf(keys))
			}
			return w.fail(k, kp, msg, ErrUnknownKey)
		}
		w.lines[kp] = k.Line
		if err := w.walk(v, f.Type, kp); err != nil {
			return err
		}
	}
	return nil
}

// yamlKeys lists a struct's YAML keys in field order.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			keys = append(keys, name)
		}
	}
	return keys
}

func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); yamlName(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("yaml")
	if tag == "-" {
		return ""
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name
}

// want says in words what a scalar of type t looks like.
func want(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Struct:
		return "a mapping"
	case reflect.Slice:
		return "a list"
	}
	return t.String()
}

func elemWant(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return "of numbers"
	case reflect.Int, reflect.Int64:
		return "of integers"
	case reflect.String:
		return "of names"
	case reflect.Slice:
		return "of lists"
	case reflect.Struct:
		return "of mappings"
	}
	return "of " + want(t)
}

// explicitZeros rejects keys given as 0 whose zero value would otherwise be
// replaced by a default: an explicit `safety: 0` is an error, not 0.5.
func (s *Scenario) explicitZeros() error {
	checks := []struct {
		key   string
		zero  bool
		valid string
	}{
		{"metric.safety", s.Metric.Safety == 0, "a number in (0,1); default 0.5"},
		{"integrator.rtol", s.Integrator.Rtol == 0, "a number > 0; default 1e-8"},
		{"integrator.atol", s.Integrator.Atol == 0, "a number > 0; default 1e-10"},
		{"integrator.dt", s.Integrator.DT == 0, "a step > 0 (fixed-step methods only)"},
		{"time.outputs", s.Time.Outputs == 0, "an integer ≥ 2; default 201"},
		{"sgd.lr", s.SGD.LR == 0, "a step size > 0; default 0.05"},
		{"sgd.batch", s.SGD.Batch == 0, "an integer ≥ 1; default 16"},
		{"sgd.runs", s.SGD.Runs == 0, "an integer ≥ 1; default 32"},
		{"sde.lr", s.SDE.LR == 0, "a step size > 0; default 0.05"},
		{"sde.batch", s.SDE.Batch == 0, "an integer ≥ 1; default 16"},
		{"sde.runs", s.SDE.Runs == 0, "an integer ≥ 1; default 32"},
		{"sde.dt", s.SDE.DT == 0, "a step > 0; default 0.01"},
		{"model.condition", s.Model.Condition == 0, "a condition number ≥ 1; default 1"},
		{"cd.lr", s.CD.LR == 0, "a step size > 0; default 0.05"},
		{"cd.batch", s.CD.Batch == 0, "an integer ≥ 1; default 16"},
		{"cd.runs", s.CD.Runs == 0, "an integer ≥ 1; default 32"},
		{"cd.k", s.CD.K == 0, "a number of Gibbs sweeps ≥ 1; default 1"},
		{"cd.samples", s.CD.Samples == 0, "a number of CD estimates ≥ 2; default 4096"},
		{"data.bars-and-stripes", s.Data != nil && s.Data.BarsAndStripes == 0, "a grid size 1..4"},
	}
	for _, c := range checks {
		if line, given := s.src.lines[c.key]; given && c.zero {
			sentinel := ErrBadValue
			if c.key == "integrator.rtol" || c.key == "integrator.atol" {
				sentinel = ErrBadTolerance
			} else if c.key == "time.outputs" {
				sentinel = ErrBadTime
			}
			file, line := locate(s.src.name, s.src.set, line)
			return &Error{File: file, Line: line, Key: c.key,
				Msg: "0 is not valid: want " + c.valid + " (omit the key for the default)", Err: sentinel}
		}
	}
	// classes defaults to true for IDX data (SetDefaults), so an explicit
	// false must be caught before the default hides it.
	if d := s.Data; d != nil && d.IsIDX() && !d.Classes {
		if _, given := s.src.lines["data.classes"]; given {
			return s.errAt("data.classes", "IDX labels are class labels: classes: false does not apply to idx or fashion-mnist data (omit the key)", ErrConflict)
		}
	}
	return nil
}

// nearest returns the candidate within edit distance 2 of s and less than
// half its length (the closest, the first on ties), or "" if there is none:
// "saftey" suggests "safety", a one-letter key suggests nothing.
func nearest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD && 2*d < len(s) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64 // not a typo of a key
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// lineHasTab reports whether the 1-based line of data holds a tab.
func lineHasTab(data []byte, line int) bool {
	lines := bytes.Split(data, []byte("\n"))
	return line >= 1 && line <= len(lines) && bytes.IndexByte(lines[line-1], '\t') >= 0
}

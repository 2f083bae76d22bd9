package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// embedded holds the built-in scenarios and the data sets they use.
//
//go:embed builtin/*.yaml data/*.csv
var embedded embed.FS

// DefaultName is the built-in scenario `grd run` uses without an argument.
const DefaultName = "two-layer-iris"

// Info describes a built-in scenario.
type Info struct {
	Name        string // what Builtin and Open accept
	Description string // one line
}

// builtins lists the built-in scenarios, the default first. Every file in
// builtin/ has an entry and every entry a file (a test).
var builtins = []Info{
	{"two-layer-iris", "two-layer tanh network (h=8, d=67) on Iris, squared loss on one-hot labels: gd, ngd, grd, sgd"},
	{"quadratic-2d", "8 generated 2-D quadratics (condition 10): loss contours with the gd, ngd, grd and sgd paths"},
	{"logistic-cancer", "logistic regression with bias (d=31) on Breast Cancer Wisconsin, 0/1 target"},
	{"mlp-wine", "three-layer tanh MLP [13, 10, 6, 3] on Wine: deeper contrast to two-layer"},
	{"two-layer-digits", "two-layer tanh network (h=32, d=2410) on 1797 8×8 digits: a larger d and N"},
	{"rbm-bars", "RBM (n_v=9, n_h=8, d=89) on 3×3 bars-and-stripes: cd vs gd, ngd, grd by exact KL"},
	{"two-layer-fashion", "two-layer tanh network (h=32, d=25450) on the 60000 Fashion-MNIST training images (needs make data)"},
	{"paper-resnet-size", "two-layer tanh network at the paper's ResNet size (h=2150, d=1709260) on Fashion-MNIST: for grd geometry"},
	{"quadratic-stiff", "2 generated 10-D quadratics (condition 10⁶), t1 = 5·10⁴: a stiff flow for rodas4, rock4 or auto (dopri5 warns)"},
}

// Builtins lists the built-in scenarios, the default first.
func Builtins() []Info { return append([]Info(nil), builtins...) }

func builtinNames() []string {
	names := make([]string, len(builtins))
	for i, b := range builtins {
		names[i] = b.Name
	}
	return names
}

// BuiltinYAML returns the text of a built-in scenario, comments included:
// a starting point for a scenario of one's own.
func BuiltinYAML(name string) ([]byte, error) {
	if !contains(builtinNames(), name) {
		return nil, &Error{Msg: fmt.Sprintf("no built-in scenario %q (built-ins: %s)", name, oneOf(builtinNames())), Err: ErrUnknownName}
	}
	b, err := embedded.ReadFile("builtin/" + name + ".yaml")
	if err != nil {
		panic("scenarios: built-in scenario " + name + " is listed but not embedded")
	}
	return b, nil
}

// Builtin returns the built-in scenario name, parsed, filled and
// validated, with the overrides set applied (see Override). Its data paths
// (data/<file>.csv) refer to the embedded data sets.
func Builtin(name string, set ...Override) (*Scenario, error) {
	b, err := BuiltinYAML(name)
	if err != nil {
		return nil, err
	}
	return parse(b, &origin{name: "builtin/" + name + ".yaml", fsys: embedded, dir: ".", set: set, builtin: name})
}

// Open resolves a command-line argument: "builtin:NAME" is the built-in
// NAME; an existing file is loaded as a scenario (a file takes precedence
// over a built-in of the same name), otherwise arg must be a built-in name.
// The error for neither lists the built-in names. The overrides set are
// applied in order (see Override).
func Open(arg string, set ...Override) (*Scenario, error) {
	if name, ok := strings.CutPrefix(arg, BuiltinPrefix); ok {
		return Builtin(name, set...)
	}
	fi, err := os.Stat(arg)
	switch {
	case err == nil && fi.IsDir():
		return nil, &Error{File: arg, Msg: "is a directory, want a scenario file or a built-in name", Err: ErrNotFound}
	case err == nil:
		return Load(arg, set...)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	if contains(builtinNames(), arg) {
		return Builtin(arg, set...)
	}
	msg := fmt.Sprintf("%q is neither a scenario file nor a built-in scenario", arg)
	if near := nearest(arg, builtinNames()); near != "" {
		msg += fmt.Sprintf(", did you mean %q?", near)
	}
	return nil, &Error{Msg: msg + fmt.Sprintf(" (built-ins: %s)", oneOf(builtinNames())), Err: ErrNotFound}
}

// BuiltinPrefix marks a built-in scenario in an Origin ("builtin:NAME"),
// which Open accepts.
const BuiltinPrefix = "builtin:"

// Origin returns where s was read from in a form Open resolves to the same
// scenario from any working directory: "builtin:NAME" for a built-in, the
// absolute path of a scenario file, "" for a scenario parsed from bytes.
// (Source is the name used in messages: builtin/NAME.yaml, or the path as
// given.)
func (s *Scenario) Origin() string {
	if s.src == nil || s.src.name == "" {
		return ""
	}
	if s.src.fsys == fs.FS(embedded) {
		name := strings.TrimSuffix(strings.TrimPrefix(s.src.name, "builtin/"), ".yaml")
		return BuiltinPrefix + name
	}
	if s.src.fsys != nil {
		return s.src.name
	}
	if a, err := filepath.Abs(s.src.name); err == nil {
		return a
	}
	return s.src.name
}

// DataSets lists the embedded data files as a scenario refers to them
// (data/iris.csv, …).
func DataSets() []string {
	entries, err := embedded.ReadDir("data")
	if err != nil {
		panic("scenarios: embedded data directory missing")
	}
	var out []string
	for _, e := range entries {
		out = append(out, "data/"+e.Name())
	}
	return out
}

// BuiltinDataPrefix names a data set embedded in grd in data.csv:
// `csv: builtin:iris` (see BuiltinDataSets).
const BuiltinDataPrefix = "builtin:"

// BuiltinDataSets lists the embedded data sets as data.csv names them
// (builtin:breast_cancer, builtin:digits, builtin:iris, builtin:wine).
func BuiltinDataSets() []string {
	var out []string
	for _, e := range DataSets() {
		out = append(out, BuiltinDataPrefix+strings.TrimSuffix(path.Base(e), ".csv"))
	}
	return out
}

// openFile opens a file a scenario refers to (data.csv, init.file) and
// returns it with the name to use in messages. data.csv: builtin:<name> is
// an embedded data set; other relative paths resolve against the scenario's
// directory (a built-in scenario's, in the embedded files). A file that does
// not exist is an error, never replaced by an embedded copy; its message
// names the builtin: data set when the path looks like one.
func (s *Scenario) openFile(key, name string, sentinel error) (io.ReadCloser, string, error) {
	f, shown, _, err := s.openFileAt(key, name, sentinel)
	return f, shown, err
}

// openFileAt is openFile also returning where the file was found: its
// absolute path on disk, or "builtin:data/<file>" for an embedded copy.
func (s *Scenario) openFileAt(key, name string, sentinel error) (f io.ReadCloser, shown, where string, err error) {
	notFound := func(shown string, err error) error {
		return s.errAt(key, fmt.Sprintf("cannot open %s: %v", shown, unwrapPath(err)), sentinel)
	}
	if key == "data.csv" && strings.HasPrefix(name, BuiltinDataPrefix) {
		e := "data/" + strings.TrimPrefix(name, BuiltinDataPrefix) + ".csv"
		if !contains(DataSets(), e) {
			return nil, "", "", s.errAt(key, fmt.Sprintf("no built-in data set %q (built-in: %s)", name, oneOf(BuiltinDataSets())), sentinel)
		}
		f, err := embedded.Open(e)
		if err != nil {
			panic("scenarios: built-in data set " + e + " is listed but not embedded")
		}
		return f, name, name, nil
	}
	if s.src != nil && s.src.fsys != nil {
		p := path.Clean(path.Join(s.src.dir, filepath.ToSlash(name)))
		f, err := s.src.fsys.Open(p)
		if err != nil {
			return nil, "", "", notFound(name, err)
		}
		return f, name, "builtin:" + p, nil
	}
	p := name
	if s.src != nil && !filepath.IsAbs(name) {
		p = filepath.Join(s.src.dir, name)
	}
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	// Stat first: opening a FIFO blocks until a writer comes.
	if fi, serr := os.Stat(p); serr == nil {
		if msg := checkRegular(fi); msg != "" {
			return nil, "", "", s.errAt(key, fmt.Sprintf("%s %s", p, msg), sentinel)
		}
	}
	of, err := os.Open(p)
	if err == nil {
		bf, shown, err := s.boundedFile(key, of, p, sentinel)
		return bf, shown, abs(p), err
	}
	if errors.Is(err, fs.ErrNotExist) && key == "data.csv" {
		// No silent fallback to an embedded copy: name it.
		if e := filepath.ToSlash(filepath.Clean(name)); contains(DataSets(), e) || contains(DataSets(), "data/"+path.Base(e)) {
			b := BuiltinDataPrefix + strings.TrimSuffix(path.Base(e), ".csv")
			return nil, "", "", s.errAt(key, fmt.Sprintf("cannot open %s: %v; for the data set embedded in grd write csv: %s", p, unwrapPath(err), b), sentinel)
		}
	}
	return nil, "", "", notFound(p, err)
}

// boundedFile checks that the opened file f (shown as name) is a regular
// file and returns it behind a reader bounded by MaxInputBytes.
func (s *Scenario) boundedFile(key string, f *os.File, name string, sentinel error) (io.ReadCloser, string, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, "", s.errAt(key, fmt.Sprintf("cannot open %s: %v", name, unwrapPath(err)), sentinel)
	}
	if msg := checkRegular(fi); msg != "" {
		f.Close()
		return nil, "", s.errAt(key, fmt.Sprintf("%s %s", name, msg), sentinel)
	}
	if fi.Size() > MaxInputBytes {
		f.Close()
		return nil, "", s.errAt(key, fmt.Sprintf("%s is %s, larger than the limit of %s for an input file", name, formatBytes(float64(fi.Size())), formatBytes(MaxInputBytes)), sentinel)
	}
	return struct {
		io.Reader
		io.Closer
	}{newBoundedReader(f, MaxInputBytes), f}, name, nil
}

// unwrapPath drops the "open NAME:" prefix of a *fs.PathError.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

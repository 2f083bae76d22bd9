package scenarios

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Override is one command-line change to a scenario (`--set KEY=VALUE`):
// Key is a key path such as "metric.safety", "sgd.runs", "model.layers[1]"
// or "flows"; Value is YAML ("0.2", "[gd, ngd]", "{normal: 0.1}"; empty
// is null, as an empty value in the file is).
//
// Overrides are applied to the scenario's YAML node tree before anything
// is checked, in order (a later one wins), so an overridden scenario is
// checked, filled and validated exactly like a file that says the same:
// the same strict keys and types, the same messages, with "--set KEY=VALUE"
// in place of FILE:LINE for what an override put there.
type Override struct {
	Key, Value string
}

// String is KEY=VALUE, as given on the command line.
func (o Override) String() string { return o.Key + "=" + o.Value }

// ParseOverride splits a command-line KEY=VALUE at its first '='. The key
// path's syntax is checked here; whether it names a scenario key is checked
// when the override is applied (Open, Load, Parse, Builtin).
func ParseOverride(s string) (Override, error) {
	k, v, ok := strings.Cut(s, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return Override{}, fmt.Errorf("scenarios: --set %q: want KEY=VALUE, e.g. metric.safety=0.2 or flows=[gd,ngd]", s)
	}
	if _, err := splitKeyPath(k); err != nil {
		return Override{}, fmt.Errorf("scenarios: --set %q: %w", s, err)
	}
	return Override{Key: k, Value: v}, nil
}

// Overrides returns the overrides the scenario was read with, in the order
// they were applied (nil if none).
func (s *Scenario) Overrides() []Override {
	if s.src == nil || len(s.src.set) == 0 {
		return nil
	}
	return append([]Override(nil), s.src.set...)
}

// OverrideStrings returns Overrides as KEY=VALUE strings (nil if none): the
// form summary.json and checkpoints record.
func (s *Scenario) OverrideStrings() []string {
	var out []string
	for _, o := range s.Overrides() {
		out = append(out, o.String())
	}
	return out
}

// pathStep is one step of a key path: a mapping key, then list indices.
type pathStep struct {
	key     string
	indices []int
}

var stepRE = regexp.MustCompile(`^([A-Za-z0-9_-]+)((?:\[[0-9]+\])*)$`)

// splitKeyPath parses "model.layers[1]" into its steps.
func splitKeyPath(k string) ([]pathStep, error) {
	var steps []pathStep
	for _, part := range strings.Split(k, ".") {
		m := stepRE.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("%q is not a key path: want keys joined by '.', each optionally followed by list indices [i], e.g. metric.safety or model.layers[1]", k)
		}
		st := pathStep{key: m[1]}
		for _, ix := range strings.Split(m[2], "[")[1:] {
			i, err := strconv.Atoi(strings.TrimSuffix(ix, "]"))
			if err != nil {
				return nil, fmt.Errorf("%q: list index %q is not a small integer", k, ix)
			}
			st.indices = append(st.indices, i)
		}
		steps = append(steps, st)
	}
	return steps, nil
}

// setMark is the line number the nodes an override puts into the tree
// carry: override i (0-based) marks them −(i+1). locate turns it back into
// "--set KEY=VALUE" for messages.
func setMark(i int) int { return -(i + 1) }

// locate returns the file and line to cite for line of a scenario read with
// overrides set: a negative line is the mark of an override.
func locate(file string, set []Override, line int) (string, int) {
	if line < 0 && -line <= len(set) {
		return "--set " + set[-line-1].String(), 0
	}
	return file, line
}

// applyOverride sets the node at o.Key in the document's root mapping to
// o.Value, creating mappings (and the key) on the way as needed; the nodes
// it adds carry the line mark. It does not check that the keys exist in
// the format: the walk that follows does, with its usual messages.
func applyOverride(root *yaml.Node, o Override, mark int) error {
	fail := func(msg string, sentinel error) error {
		return &Error{File: "--set " + o.String(), Key: o.Key, Msg: msg, Err: sentinel}
	}
	steps, err := splitKeyPath(o.Key)
	if err != nil {
		return fail(err.Error(), ErrSyntax)
	}
	val, err := overrideValue(o.Value, mark)
	if err != nil {
		return fail(err.Error(), ErrSyntax)
	}
	cur, path := root, ""
	for si, st := range steps {
		if cur.Kind == yaml.AliasNode {
			return fail(fmt.Sprintf("%s is a YAML alias (*%s): --set cannot change a value the file shares through an anchor; set the anchored value instead", pathOr(path), cur.Value), ErrConflict)
		}
		if cur.Kind == yaml.ScalarNode && cur.Tag == "!!null" {
			*cur = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: cur.Line, Column: cur.Column}
		}
		if cur.Kind != yaml.MappingNode {
			return fail(fmt.Sprintf("%s is %s, not a mapping: it has no key %q", pathOr(path), describe(cur), st.key), ErrType)
		}
		if path != "" {
			path += "."
		}
		path += st.key
		slot := -1
		for i := 0; i+1 < len(cur.Content); i += 2 {
			if k := cur.Content[i]; k.Kind == yaml.ScalarNode && k.Value == st.key {
				slot = i + 1
				break
			}
		}
		keyNode := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: st.key, Line: mark}
		if slot < 0 {
			cur.Content = append(cur.Content, keyNode, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null", Line: mark})
			slot = len(cur.Content) - 1
		} else {
			cur.Content[slot-1] = keyNode // errors about this key now cite the override
		}
		parent, at := cur, slot
		for _, ix := range st.indices {
			seq := parent.Content[at]
			if seq.Kind != yaml.SequenceNode {
				return fail(fmt.Sprintf("%s is %s, not a list: it has no item [%d]", path, describe(seq), ix), ErrType)
			}
			if ix >= len(seq.Content) {
				return fail(fmt.Sprintf("%s has %d items (indices 0..%d), no item [%d]; to change the length, set the whole list, e.g. %s=[…]",
					path, len(seq.Content), len(seq.Content)-1, ix, path), ErrShape)
			}
			path += "[" + strconv.Itoa(ix) + "]"
			parent, at = seq, ix
		}
		if si == len(steps)-1 {
			parent.Content[at] = val
			return nil
		}
		cur = parent.Content[at]
	}
	return nil
}

// pathOr is the key path for messages, "the scenario" at the top.
func pathOr(path string) string {
	if path == "" {
		return "the scenario"
	}
	return path
}

// overrideValue parses an override's value as one YAML value (empty: null)
// and marks its nodes.
func overrideValue(v string, mark int) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(v), &doc); err != nil {
		_, msg := yamlLine(err)
		return nil, fmt.Errorf("the value %q is not valid YAML: %s", v, msg)
	}
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		n = doc.Content[0]
	}
	markLines(n, mark)
	return n, nil
}

func markLines(n *yaml.Node, mark int) {
	n.Line, n.Column = mark, 0
	for _, c := range n.Content {
		markLines(c, mark)
	}
}

package yamlcheck

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// NodeBudget bounds how many YAML nodes one file may expand to, so nested
// aliases ("billion laughs") cannot make a check run for ever.
const NodeBudget = 1_000_000

// Walker decodes yaml.Node trees by hand, for every file the tool reads.
// yaml.v3's own strict decoding (KnownFields) stops at the first problem;
// walking the nodes reports every problem in one run, each with its line,
// in one wording whichever file it is in: unknown keys with a did-you-mean
// hint, repeated keys, a mapping or list or value where another is due.
// Aliases and merge keys ("<<: *anchor") are followed, within NodeBudget.
type Walker struct {
	C *Collector
	// KeyHint, if set, gives the hint for an unknown key got in the
	// mapping at field, whose valid keys are keys; "" falls back to the
	// default (did you mean, or the list of valid keys).
	KeyHint func(field, got string, keys []string) string
	// Forbidden, if set, refuses a key outright rather than calling it
	// unknown ("key %q is not allowed", with hint); the value is never
	// echoed, since such a key may carry a secret.
	Forbidden func(key string) (hint string, forbidden bool)
	// NoAliases refuses aliases (*name) and so merge keys, for files that
	// have no use for them.
	NoAliases bool

	budget    int
	exhausted bool
}

// NewWalker starts a walk whose problems go to c.
func NewWalker(c *Collector) *Walker { return &Walker{C: c, budget: NodeBudget} }

// Exhausted reports whether the file expanded past NodeBudget (reported
// once); the walk then returns nothing more.
func (w *Walker) Exhausted() bool { return w.exhausted }

// Entry is one key: value pair of a mapping.
type Entry struct {
	Key, Val *yaml.Node
	Name     string
}

// Line is the key's line, which is where an admin looks for the field.
func (e Entry) Line() int { return e.Key.Line }

// Resolve follows aliases and charges the node budget; nil when n is nil,
// the budget is spent or n is a refused alias (see NoAliases; reported at
// field).
func (w *Walker) Resolve(n *yaml.Node, field string) *yaml.Node {
	if w.NoAliases && n != nil && n.Kind == yaml.AliasNode {
		w.C.Add(n.Line, field, "write the value out in full", "is an alias (*%s); anchors and aliases are not supported in this file", n.Value)
		return nil
	}
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 100 {
			return nil
		}
		n = n.Alias
	}
	if n == nil || w.exhausted {
		return nil
	}
	w.budget--
	if w.budget < 0 {
		w.exhausted = true
		w.C.Add(n.Line, "", "do not nest YAML aliases that expand to huge trees", "the file expands to more than %d YAML nodes", NodeBudget)
		return nil
	}
	return n
}

// IsNull reports whether n is absent or an empty value (~, null, nothing).
func IsNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// Entries returns the key/value pairs of a mapping in file order, with
// merge keys applied and repeated keys reported. A null value counts as an
// empty mapping, so "AGENT01:" with nothing under it is valid. ok is false
// when n is not a mapping (reported).
func (w *Walker) Entries(n *yaml.Node, field string) ([]Entry, bool) {
	n = w.Resolve(n, field)
	if n == nil {
		return nil, !w.exhausted
	}
	if IsNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		w.NotMapping(n, field)
		return nil, false
	}
	var own, merged []Entry
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, w.mergeEntries(v, field)...)
			continue
		}
		kr := w.Resolve(k, field)
		if kr == nil {
			continue
		}
		if kr.Kind != yaml.ScalarNode || IsNull(kr) {
			w.C.Add(k.Line, field, "keys must be plain names", "invalid key (%s)", Describe(kr))
			continue
		}
		if prev, dup := seen[kr.Value]; dup {
			w.C.Add(k.Line, Join(field, kr.Value), "remove one of them or merge them", "duplicate key %q (first defined on line %d)", kr.Value, prev)
			continue
		}
		seen[kr.Value] = k.Line
		own = append(own, Entry{Key: k, Val: v, Name: kr.Value})
	}
	for _, e := range merged {
		if _, dup := seen[e.Name]; dup {
			continue // keys written out override merged ones
		}
		seen[e.Name] = e.Key.Line
		own = append(own, e)
	}
	return own, true
}

// NotMapping reports n where a mapping is due.
func (w *Walker) NotMapping(n *yaml.Node, field string) {
	what := "must be"
	if field == "" {
		what = "the file must be"
	}
	w.C.Add(n.Line, field, "write it as indented key: value lines", "%s a mapping (key: value pairs), not %s", what, Describe(n))
}

func (w *Walker) mergeEntries(v *yaml.Node, field string) []Entry {
	v = w.Resolve(v, field)
	if v == nil {
		return nil
	}
	switch v.Kind {
	case yaml.MappingNode:
		es, _ := w.Entries(v, field)
		return es
	case yaml.SequenceNode:
		var out []Entry
		have := map[string]bool{}
		for _, item := range v.Content {
			es, _ := w.Entries(item, field)
			for _, e := range es {
				if !have[e.Name] { // earlier maps win, as in YAML 1.1
					have[e.Name] = true
					out = append(out, e)
				}
			}
		}
		return out
	}
	w.C.Add(v.Line, field, "use '<<: *anchor' with an anchored mapping", "merge key '<<' needs a mapping or a list of mappings")
	return nil
}

// Describe names what a node is, for "must be X, not Y" messages.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "empty"
		case "!!bool":
			return "true/false"
		case "!!int", "!!float":
			return "a number"
		}
		return "text"
	}
	return "an unexpected YAML node"
}

// Join appends key to a dotted field path.
func Join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

// Index appends a list index to a field path.
func Index(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }

// Scalar returns n (aliases resolved) if it is a non-null scalar; want
// says what is expected ("text", "a number").
func (w *Walker) Scalar(n *yaml.Node, field, want string) *yaml.Node {
	r := w.Resolve(n, field)
	if r == nil {
		return nil
	}
	if IsNull(r) {
		w.C.Add(r.Line, field, "give a value or remove the key", "needs a value (%s)", want)
		return nil
	}
	if r.Kind != yaml.ScalarNode {
		w.C.Add(r.Line, field, "give a single value", "must be %s, not %s", want, Describe(r))
		return nil
	}
	return r
}

// Str decodes a single-line text value. Numbers are accepted as text (a
// host may be called 1234), true/false are not.
func (w *Walker) Str(n *yaml.Node, field string) (string, bool) {
	r := w.Scalar(n, field, "text")
	if r == nil {
		return "", false
	}
	if r.ShortTag() == "!!bool" {
		w.C.Add(r.Line, field, "quote it if you really mean the text", "must be text, not true/false")
		return "", false
	}
	if HasControl(r.Value) {
		w.C.Add(r.Line, field, "remove line breaks, tabs and other control characters", "contains control characters")
		return "", false
	}
	if strings.TrimSpace(r.Value) == "" {
		w.C.Add(r.Line, field, "give a value or remove the key", "is empty")
		return "", false
	}
	return r.Value, true
}

// Text decodes free text (descriptions): anything, line breaks allowed.
func (w *Walker) Text(n *yaml.Node, field string) (string, bool) {
	r := w.Scalar(n, field, "text")
	if r == nil {
		return "", false
	}
	return r.Value, true
}

// NonEmpty decodes text that must hold more than spaces, trimmed; unlike
// Str it takes any scalar and line breaks.
func (w *Walker) NonEmpty(n *yaml.Node, field string) (string, bool) {
	r := w.Scalar(n, field, "text")
	if r == nil {
		return "", false
	}
	v := strings.TrimSpace(r.Value)
	if v == "" {
		w.C.Add(r.Line, field, "give a value or remove the key", "is empty")
		return "", false
	}
	return v, true
}

// HasControl reports control characters (and invalid UTF-8) in s.
func HasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == unicode.ReplacementChar })
}

// Int decodes a YAML integer (decimal, 0x.., 0o.., 0b..) between lo and hi.
func (w *Walker) Int(n *yaml.Node, field string, lo, hi int64) (int64, bool) {
	r := w.Scalar(n, field, "a number")
	if r == nil {
		return 0, false
	}
	if r.ShortTag() != "!!int" {
		hint := fmt.Sprintf("write a whole number between %d and %d", lo, hi)
		if _, err := strconv.ParseInt(r.Value, 0, 64); err == nil {
			hint = "remove the quotes"
		}
		w.C.Add(r.Line, field, hint, "must be a whole number, not %s", Describe(r))
		return 0, false
	}
	v, err := strconv.ParseInt(r.Value, 0, 64)
	if err != nil || v < lo || v > hi {
		w.C.Add(r.Line, field, fmt.Sprintf("use a value between %d and %d", lo, hi), "%s is out of range", r.Value)
		return 0, false
	}
	return v, true
}

// Bool decodes true/false. yes/no/on/off are YAML 1.1 spellings that
// yaml.v3 reads as text; they are refused rather than guessed.
func (w *Walker) Bool(n *yaml.Node, field string) (bool, bool) {
	r := w.Scalar(n, field, "true or false")
	if r == nil {
		return false, false
	}
	if r.ShortTag() != "!!bool" {
		w.C.Add(r.Line, field, "write true or false", "must be true or false, not %q", Clip(r.Value))
		return false, false
	}
	return strings.EqualFold(r.Value, "true"), true
}

// StrList decodes a list of text values (each as Str does) with their
// lines; a single value counts as a list of one, null as an empty list.
func (w *Walker) StrList(n *yaml.Node, field string) ([]string, []int, bool) {
	r := w.Resolve(n, field)
	if r == nil {
		return nil, nil, false
	}
	if IsNull(r) {
		return nil, nil, true
	}
	if r.Kind == yaml.ScalarNode {
		s, ok := w.Str(r, field)
		if !ok {
			return nil, nil, false
		}
		return []string{s}, []int{r.Line}, true
	}
	if r.Kind != yaml.SequenceNode {
		w.C.Add(r.Line, field, "write a list: [a, b] or one '- item' per line", "must be a list, not %s", Describe(r))
		return nil, nil, false
	}
	var vals []string
	var lines []int
	ok := true
	for i, item := range r.Content {
		s, good := w.Str(item, Index(field, i))
		if !good {
			ok = false
			continue
		}
		vals = append(vals, s)
		lines = append(lines, item.Line)
	}
	return vals, lines, ok
}

// Sequence returns the items of a list; null is an empty list.
func (w *Walker) Sequence(n *yaml.Node, field string) ([]*yaml.Node, bool) {
	r := w.Resolve(n, field)
	if r == nil {
		return nil, false
	}
	if IsNull(r) {
		return nil, true
	}
	if r.Kind != yaml.SequenceNode {
		w.NotList(r, field)
		return nil, false
	}
	return r.Content, true
}

// NotList reports n where a list is due.
func (w *Walker) NotList(n *yaml.Node, field string) {
	w.C.Add(n.Line, field, "write one '- item' per line", "must be a list, not %s", Describe(n))
}

// Clip shortens a value from the file for an error message.
func Clip(s string) string {
	const max = 60
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "..."
	}
	return s
}

// Opt is one optional value from a file: Set when the key was given and
// its value decoded; Line is the key's line, also when the value was
// refused (0: the key is absent); Field its dotted path.
type Opt[T any] struct {
	Value T
	Set   bool
	Line  int
	Field string
}

// Or returns the value, or def when it is not set.
func (o Opt[T]) Or(def T) T {
	if o.Set {
		return o.Value
	}
	return def
}

// Given reports whether the key was written, whatever its value.
func (o Opt[T]) Given() bool { return o.Line > 0 }

// Key is one key a mapping may hold, with how its value is decoded; a
// mapping's keys are declared once, as a table of Keys (see Fields).
type Key struct {
	Name   string
	decode func(w *Walker, e Entry, field string)
}

func opt[T any](dst *Opt[T], e Entry, field string, v T, ok bool) {
	*dst = Opt[T]{Value: v, Set: ok, Line: e.Line(), Field: field}
}

// Str declares a text key (see Walker.Str).
func Str(name string, dst *Opt[string]) Key {
	return Key{name, func(w *Walker, e Entry, f string) {
		v, ok := w.Str(e.Val, f)
		opt(dst, e, f, v, ok)
	}}
}

// Text declares a free-text key (see Walker.Text); dst may be nil for a
// key that is only checked (description:).
func Text(name string, dst *Opt[string]) Key {
	return Key{name, func(w *Walker, e Entry, f string) {
		v, ok := w.Text(e.Val, f)
		if dst != nil {
			opt(dst, e, f, v, ok)
		}
	}}
}

// Int declares a whole-number key between lo and hi (see Walker.Int).
func Int[T ~int | ~int64](name string, dst *Opt[T], lo, hi int64) Key {
	return Key{name, func(w *Walker, e Entry, f string) {
		v, ok := w.Int(e.Val, f, lo, hi)
		opt(dst, e, f, T(v), ok)
	}}
}

// NonEmpty declares a key of trimmed, non-empty text (see Walker.NonEmpty).
func NonEmpty(name string, dst *Opt[string]) Key {
	return Key{name, func(w *Walker, e Entry, f string) {
		v, ok := w.NonEmpty(e.Val, f)
		opt(dst, e, f, v, ok)
	}}
}

// Bool declares a true/false key (see Walker.Bool).
func Bool(name string, dst *Opt[bool]) Key {
	return Key{name, func(w *Walker, e Entry, f string) {
		v, ok := w.Bool(e.Val, f)
		opt(dst, e, f, v, ok)
	}}
}

// StrList declares a list-of-text key, each item with its own line.
func StrList(name string, dst *[]Opt[string]) Key {
	return Key{name, func(w *Walker, e Entry, f string) {
		vals, lines, _ := w.StrList(e.Val, f)
		out := make([]Opt[string], len(vals))
		for i := range vals {
			out[i] = Opt[string]{Value: vals[i], Set: true, Line: lines[i], Field: f}
		}
		*dst = out
	}}
}

// Node declares a key whose value the caller decodes later: dst.Value is
// the value's node, as written.
func Node(name string, dst *Opt[*yaml.Node]) Key {
	return Key{name, func(_ *Walker, e Entry, f string) { opt(dst, e, f, e.Val, true) }}
}

// Func declares a key decoded by fn, given the entry and its field path.
func Func(name string, fn func(e Entry, field string)) Key {
	return Key{name, func(_ *Walker, e Entry, f string) { fn(e, f) }}
}

// Mapping is what Fields found in one mapping.
type Mapping struct {
	// Unknown counts the keys refused (unknown or forbidden): a "missing X"
	// error right after a misspelt key is only noise.
	Unknown int
	have    map[string]bool
}

// Has reports whether the mapping holds key.
func (m Mapping) Has(key string) bool { return m.have[key] }

// Fields decodes a mapping with a fixed set of keys: every unknown key is
// reported with a did-you-mean hint, then each key present is decoded, in
// the order of keys. ok is false when n is not a mapping (reported).
func (w *Walker) Fields(n *yaml.Node, field string, keys ...Key) (Mapping, bool) {
	es, ok := w.Entries(n, field)
	if !ok {
		return Mapping{}, false
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Name
	}
	m := Mapping{have: make(map[string]bool, len(es))}
	byName := make(map[string]Entry, len(es))
	for _, e := range es {
		if slices.Contains(names, e.Name) {
			m.have[e.Name] = true
			byName[e.Name] = e
			continue
		}
		m.Unknown++
		w.unknown(e, field, names)
	}
	for _, k := range keys {
		if e, ok := byName[k.Name]; ok {
			k.decode(w, e, Join(field, k.Name))
		}
	}
	return m, true
}

// unknown reports e as a key the mapping at field may not hold; keys are
// the valid ones.
func (w *Walker) unknown(e Entry, field string, keys []string) {
	if w.Forbidden != nil {
		if hint, no := w.Forbidden(e.Name); no {
			w.C.Add(e.Line(), Join(field, e.Name), hint, "key %q is not allowed", e.Name)
			return
		}
	}
	hint := ""
	if w.KeyHint != nil {
		hint = w.KeyHint(field, e.Name, keys)
	}
	if hint == "" {
		hint = KeyHint(e.Name, keys)
	}
	w.C.Add(e.Line(), Join(field, e.Name), hint, "unknown key %q", e.Name)
}

// KeyHint is the default hint for an unknown key: the valid key it most
// likely misspells, or the list of valid keys.
func KeyHint(got string, keys []string) string {
	if s := Suggest(got, keys); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return "valid keys here: " + strings.Join(keys, ", ")
}

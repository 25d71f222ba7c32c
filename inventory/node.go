package inventory

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/ntlmscan/ntlmscan/inventory/yamlcheck"
)

// maxFileSize bounds what Parse accepts; a real estate of thousands of
// agents is well under a megabyte.
const maxFileSize = 8 << 20

// nodeBudget bounds how many YAML nodes one file may expand to, so nested
// aliases ("billion laughs") cannot make validation run for ever.
const nodeBudget = 1_000_000

// walker decodes yaml.Node trees by hand. yaml.v3's own strict decoding
// (KnownFields) stops at the first problem; walking the nodes lets us report
// every problem in one run, each with its line.
type walker struct {
	ps        *yamlcheck.Collector
	budget    int
	exhausted bool
	// unknownKeys counts rejected keys; a "missing X" error right after a
	// misspelt key is only noise, so callers compare it before and after.
	unknownKeys int
}

func newWalker(ps *yamlcheck.Collector) *walker { return &walker{ps: ps, budget: nodeBudget} }

// entry is one key: value pair of a mapping.
type entry struct {
	key, val *yaml.Node
	name     string
}

// line returns the key's line, which is where an admin looks for the field.
func (e entry) line() int { return e.key.Line }

// parseDocument decodes data into a single YAML document node. It reports
// syntax errors with their line and returns nil if there is nothing usable.
func parseDocument(data []byte, ps *yamlcheck.Collector, what string) (root *yaml.Node) {
	if len(data) > maxFileSize {
		ps.Add(0, "", "split the file or remove unrelated content", "file is %d bytes, more than the %d bytes allowed", len(data), maxFileSize)
		return nil
	}
	defer func() {
		// yaml.v3 is mature but this input is untrusted; never let a parser
		// bug take the whole tool down.
		if r := recover(); r != nil {
			ps.Add(0, "", "check the file is valid YAML", "the YAML parser failed: %v", r)
			root = nil
		}
	}()
	const emptyHint = "start from the example in examples/"
	root, extra, syntax := yamlcheck.Parse(data)
	if syntax != nil {
		ps.Add(syntax.Line, "", "fix the YAML syntax; indent with spaces, not tabs, and quote values that start with special characters", "invalid YAML: %s", syntax.Message)
	}
	if extra != nil {
		ps.Add(extra.Line, "", "remove the '---' separator and everything after it, or merge the documents", "the file holds more than one YAML document")
	}
	switch {
	case root == nil && syntax == nil: // no document at all, or only comments
		ps.Add(0, "", emptyHint, "the %s file is empty", what)
		return nil
	case root == nil: // the syntax error above stopped the first document
		return nil
	case root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null":
		ps.Add(root.Line, "", emptyHint, "the %s file is empty", what)
		return nil
	}
	return root
}

// resolve follows aliases and charges the node budget.
func (w *walker) resolve(n *yaml.Node) *yaml.Node {
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
		w.ps.Add(n.Line, "", "do not nest YAML aliases that expand to huge trees", "the file expands to more than %d YAML nodes", nodeBudget)
		return nil
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// entries returns the key/value pairs of a mapping in file order, with YAML
// merge keys ("<<: *anchor") applied and duplicate keys reported. A null
// value counts as an empty mapping, so "AGENT01:" with nothing under it is
// valid. ok is false when n is not a mapping.
func (w *walker) entries(n *yaml.Node, field string) ([]entry, bool) {
	n = w.resolve(n)
	if n == nil {
		return nil, !w.exhausted
	}
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		what := "must be"
		if field == "" {
			what = "the file must be"
		}
		w.ps.Add(n.Line, field, "write it as indented key: value lines", "%s a mapping (key: value pairs), not %s", what, describeNode(n))
		return nil, false
	}
	var own, merged []entry
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, w.mergeEntries(v, field)...)
			continue
		}
		kr := w.resolve(k)
		if kr == nil {
			continue
		}
		if kr.Kind != yaml.ScalarNode || isNull(kr) {
			w.ps.Add(k.Line, field, "keys must be plain names", "invalid key (%s)", describeNode(kr))
			continue
		}
		if prev, dup := seen[kr.Value]; dup {
			w.ps.Add(k.Line, join(field, kr.Value), "remove one of them or merge them", "duplicate key %q (first defined on line %d)", kr.Value, prev)
			continue
		}
		seen[kr.Value] = k.Line
		own = append(own, entry{key: k, val: v, name: kr.Value})
	}
	for _, e := range merged {
		if _, dup := seen[e.name]; dup {
			continue // keys written out override merged ones
		}
		seen[e.name] = e.key.Line
		own = append(own, e)
	}
	return own, true
}

func (w *walker) mergeEntries(v *yaml.Node, field string) []entry {
	v = w.resolve(v)
	if v == nil {
		return nil
	}
	switch v.Kind {
	case yaml.MappingNode:
		es, _ := w.entries(v, field)
		return es
	case yaml.SequenceNode:
		var out []entry
		have := map[string]bool{}
		for _, item := range v.Content {
			es, _ := w.entries(item, field)
			for _, e := range es {
				if !have[e.name] { // earlier maps win, as in YAML 1.1
					have[e.name] = true
					out = append(out, e)
				}
			}
		}
		return out
	}
	w.ps.Add(v.Line, field, "use '<<: *anchor' with an anchored mapping", "merge key '<<' needs a mapping or a list of mappings")
	return nil
}

// secretKeys are keys that would put a secret into the file.
var secretKeys = []string{"password", "passwd", "pass", "pwd", "secret", "token"}

// fields decodes a mapping with a fixed set of keys. Unknown keys are
// reported with a did-you-mean hint; a secret-looking key gets a hint to use
// password_env/password_file, and its value is never echoed.
func (w *walker) fields(n *yaml.Node, field string, keys ...string) (map[string]entry, bool) {
	es, ok := w.entries(n, field)
	if !ok {
		return nil, false
	}
	out := make(map[string]entry, len(es))
	for _, e := range es {
		if slices.Contains(keys, e.name) {
			out[e.name] = e
			continue
		}
		w.unknownKeys++
		if slices.Contains(secretKeys, strings.ToLower(e.name)) {
			w.ps.Add(e.line(), join(field, e.name),
				"never put secrets in the inventory: use password_env: VARIABLE or password_file: /path/to/file in a credential",
				"key %q is not allowed", e.name)
			continue
		}
		w.ps.Add(e.line(), join(field, e.name), keyHint(e.name, keys), "unknown key %q", e.name)
	}
	return out, true
}

func keyHint(got string, keys []string) string {
	if s := suggest(got, keys); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return "valid keys here: " + strings.Join(keys, ", ")
}

// suggest returns the candidate closest to got, if it is close enough to be
// a likely typo (shared with the other strict loaders).
func suggest(got string, candidates []string) string { return yamlcheck.Suggest(got, candidates) }

func describeNode(n *yaml.Node) string {
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

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

func index(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }

// scalar returns n (aliases resolved) if it is a non-null scalar.
func (w *walker) scalar(n *yaml.Node, field, want string) *yaml.Node {
	r := w.resolve(n)
	if r == nil {
		return nil
	}
	if isNull(r) {
		w.ps.Add(r.Line, field, "give a value or remove the key", "needs a value (%s)", want)
		return nil
	}
	if r.Kind != yaml.ScalarNode {
		w.ps.Add(r.Line, field, "give a single value", "must be %s, not %s", want, describeNode(r))
		return nil
	}
	return r
}

// str decodes a single-line text value. Numbers are accepted as text (a
// host may be called 1234), true/false are not.
func (w *walker) str(n *yaml.Node, field string) (string, bool) {
	r := w.scalar(n, field, "text")
	if r == nil {
		return "", false
	}
	if r.ShortTag() == "!!bool" {
		w.ps.Add(r.Line, field, "quote it if you really mean the text", "must be text, not true/false")
		return "", false
	}
	if hasControl(r.Value) {
		w.ps.Add(r.Line, field, "remove line breaks, tabs and other control characters", "contains control characters")
		return "", false
	}
	if strings.TrimSpace(r.Value) == "" {
		w.ps.Add(r.Line, field, "give a value or remove the key", "is empty")
		return "", false
	}
	return r.Value, true
}

// text decodes free text (descriptions): anything printable, line breaks allowed.
func (w *walker) text(n *yaml.Node, field string) (string, bool) {
	r := w.scalar(n, field, "text")
	if r == nil {
		return "", false
	}
	return r.Value, true
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == unicode.ReplacementChar })
}

// integer decodes a YAML integer (decimal, 0x.., 0o.., 0b..).
func (w *walker) integer(n *yaml.Node, field string, lo, hi int64) (int64, bool) {
	r := w.scalar(n, field, "a number")
	if r == nil {
		return 0, false
	}
	if r.ShortTag() != "!!int" {
		hint := fmt.Sprintf("write a whole number between %d and %d", lo, hi)
		if _, err := strconv.ParseInt(r.Value, 0, 64); err == nil {
			hint = "remove the quotes"
		}
		w.ps.Add(r.Line, field, hint, "must be a whole number, not %s", describeNode(r))
		return 0, false
	}
	v, err := strconv.ParseInt(r.Value, 0, 64)
	if err != nil || v < lo || v > hi {
		w.ps.Add(r.Line, field, fmt.Sprintf("use a value between %d and %d", lo, hi), "%s is out of range", r.Value)
		return 0, false
	}
	return v, true
}

// boolean decodes true/false. yes/no/on/off are YAML 1.1 spellings that
// yaml.v3 reads as text; reject them rather than guess.
func (w *walker) boolean(n *yaml.Node, field string) (bool, bool) {
	r := w.scalar(n, field, "true or false")
	if r == nil {
		return false, false
	}
	if r.ShortTag() != "!!bool" {
		w.ps.Add(r.Line, field, "write true or false", "must be true or false, not %q", clip(r.Value))
		return false, false
	}
	return strings.EqualFold(r.Value, "true"), true
}

// strList decodes a list of text values; a single value counts as a list of one.
func (w *walker) strList(n *yaml.Node, field string) ([]string, []int, bool) {
	r := w.resolve(n)
	if r == nil {
		return nil, nil, false
	}
	if isNull(r) {
		return nil, nil, true
	}
	if r.Kind == yaml.ScalarNode {
		s, ok := w.str(r, field)
		if !ok {
			return nil, nil, false
		}
		return []string{s}, []int{r.Line}, true
	}
	if r.Kind != yaml.SequenceNode {
		w.ps.Add(r.Line, field, "write a list: [a, b] or one '- item' per line", "must be a list, not %s", describeNode(r))
		return nil, nil, false
	}
	var vals []string
	var lines []int
	ok := true
	for i, item := range r.Content {
		s, good := w.str(item, index(field, i))
		if !good {
			ok = false
			continue
		}
		vals = append(vals, s)
		lines = append(lines, item.Line)
	}
	return vals, lines, ok
}

// sequence returns the items of a list.
func (w *walker) sequence(n *yaml.Node, field string) ([]*yaml.Node, bool) {
	r := w.resolve(n)
	if r == nil {
		return nil, false
	}
	if isNull(r) {
		return nil, true
	}
	if r.Kind != yaml.SequenceNode {
		w.ps.Add(r.Line, field, "write one '- item' per line", "must be a list, not %s", describeNode(r))
		return nil, false
	}
	return r.Content, true
}

// clip shortens a user value for an error message.
func clip(s string) string {
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

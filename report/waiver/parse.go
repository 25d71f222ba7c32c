package waiver

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ntlmscan/ntlmscan/inventory/yamlcheck"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// MaxFileBytes bounds what Parse reads; real waiver files are a few KiB.
const MaxFileBytes = 4 << 20

// maxProblems caps how many problems one file reports, so a garbled or
// hostile file cannot produce megabytes of output.
const maxProblems = 100

// Problem is one thing wrong in a waiver file, rendered
// "file:line: field: message" like inventory problems. Waiver problems carry
// no Hint: their messages say what to write.
type Problem = yamlcheck.Problem

// ValidationError lists every problem found in a waiver file, by line.
// Parse returns no other error type.
type ValidationError = yamlcheck.ValidationError

// Parse reads a waiver file strictly and reports every problem it finds
// (a YAML syntax error stops it at the first). name is used in errors and
// recorded in the report. Every error is a *ValidationError.
func Parse(r io.Reader, name string) (*File, error) {
	p := &parser{yamlcheck.Collector{File: name, Limit: maxProblems}}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	switch {
	case err != nil:
		p.add(0, "", "cannot read the waiver file: %v", err)
	case len(data) > MaxFileBytes:
		p.add(0, "", "the file is larger than %d MiB; a waiver file lists a few dozen entries", MaxFileBytes>>20)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	f := &File{Name: name}
	if root := p.document(data); root != nil {
		p.top(root, f)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return f, nil
}

type parser struct{ yamlcheck.Collector }

func (p *parser) add(line int, field, format string, args ...any) {
	p.Add(line, field, "", format, args...)
}

// document parses exactly one YAML document and returns its root node: nil
// for an empty file, or after a syntax error (recorded).
func (p *parser) document(data []byte) *yaml.Node {
	root, extra, syntax := yamlcheck.Parse(data)
	switch {
	case syntax != nil:
		p.syntaxError(data, syntax)
		return nil
	case extra != nil:
		p.add(extra.Line, "", "a second YAML document (---): put all waivers in one list")
		return nil
	}
	return root
}

func (p *parser) syntaxError(data []byte, e *yamlcheck.SyntaxError) {
	if at := yamlcheck.OffendingLine(data, e.Line); at != e.Line {
		p.add(at, "", "invalid YAML: %s (in the block that starts at line %d)", e.Message, e.Line)
		return
	}
	p.add(e.Line, "", "invalid YAML: %s", e.Message)
}

func (p *parser) top(root *yaml.Node, f *File) {
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return
	}
	if root.Kind != yaml.MappingNode {
		p.add(root.Line, "", "want a mapping with a \"waivers:\" list, got %s", kindName(root))
		return
	}
	seenWaivers := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		switch {
		case key.Kind != yaml.ScalarNode:
			p.add(key.Line, "", "want a plain key, got %s", kindName(key))
		case key.Value != "waivers":
			p.add(key.Line, key.Value, "unknown key (the file has one key, \"waivers\")")
		case seenWaivers:
			p.add(key.Line, key.Value, "appears twice")
		default:
			seenWaivers = true
			p.list(val, f)
		}
	}
	p.duplicates(f)
}

func (p *parser) list(seq *yaml.Node, f *File) {
	if seq.Kind == yaml.ScalarNode && seq.Tag == "!!null" {
		return // "waivers:" with no entries
	}
	if seq.Kind != yaml.SequenceNode {
		p.add(seq.Line, "waivers", "want a list of waivers (lines starting with \"- \"), got %s", kindName(seq))
		return
	}
	for i, item := range seq.Content {
		if w, ok := p.entry(item, fmt.Sprintf("waivers[%d]", i)); ok {
			f.Waivers = append(f.Waivers, w)
		}
	}
}

func fields() []string {
	return []string{"path", "core", "target", "kind", "owner", "reason", "expires"}
}

// entry checks one waiver; ok is false when it had problems (recorded).
func (p *parser) entry(n *yaml.Node, at string) (w Waiver, ok bool) {
	w.Line = n.Line
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, at, "want a mapping with path (or core and target), owner, reason and expires, got %s", kindName(n))
		return w, false
	}
	before := p.Len()
	vals := map[string]*yaml.Node{} // nil value: given but unusable (reported)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if key.Kind != yaml.ScalarNode {
			p.add(key.Line, at, "want a plain key, got %s", kindName(key))
			continue
		}
		field := at + "." + key.Value
		_, dup := vals[key.Value]
		switch {
		case !slices.Contains(fields(), key.Value):
			p.add(key.Line, field, "unknown key; want one of %s", strings.Join(fields(), ", "))
		case dup:
			p.add(key.Line, field, "appears twice in the same waiver")
		case val.Kind != yaml.ScalarNode || val.Tag == "!!null" || strings.TrimSpace(val.Value) == "":
			p.add(val.Line, field, "want a non-empty value, got %s", kindName(val))
			vals[key.Value] = nil
		default:
			vals[key.Value] = val
		}
	}
	str := func(k string) string {
		if v := vals[k]; v != nil {
			return strings.TrimSpace(v.Value)
		}
		return ""
	}
	line := func(k string) int {
		if v := vals[k]; v != nil {
			return v.Line
		}
		return n.Line
	}
	_, pathGiven := vals["path"]
	w.PathID, w.Core, w.Target = str("path"), str("core"), str("target")
	w.Kind = verdict.Kind(strings.ToLower(str("kind")))
	w.Owner, w.Reason = str("owner"), str("reason")

	switch {
	case w.PathID != "" && (w.Core != "" || w.Target != "" || w.Kind != ""):
		p.add(line("path"), at+".path", "give either path or core/target/kind, not both")
	case w.PathID != "":
		if err := checkPathID(w.PathID); err != nil {
			p.add(line("path"), at+".path", "%v", err)
		}
	case pathGiven:
		// An empty path was reported above.
	case w.Core == "" || w.Target == "":
		p.add(n.Line, at, "say which path is waived: path: CORE|kind|TARGET|name, or core: and target: (and optionally kind:)")
	}
	if w.Kind != "" && w.Kind != verdict.KindAgent && w.Kind != verdict.KindShare {
		p.add(line("kind"), at+".kind", "%q is not a path kind; want agent or share", str("kind"))
	}
	for _, req := range []string{"owner", "reason", "expires"} {
		if _, given := vals[req]; !given {
			p.add(n.Line, at+"."+req, "missing; every waiver needs an owner, a reason and an expiry date")
		}
	}
	if exp := str("expires"); exp != "" {
		t, err := time.Parse(DateLayout, exp)
		if err != nil {
			p.add(line("expires"), at+".expires", "%q is not a date; write it as YYYY-MM-DD, e.g. 2027-06-30", exp)
		}
		w.Expires = t.UTC()
	}
	return w, p.Len() == before
}

// checkPathID checks the core|kind|target|name shape of a Path.ID.
func checkPathID(id string) error {
	parts := strings.Split(id, "|")
	if len(parts) != 4 {
		return fmt.Errorf("%q is not a path id; want CORE|kind|TARGET|name as in the report, e.g. CORE02|share|NAS01|nas01", id)
	}
	for _, part := range parts {
		if strings.TrimSpace(part) == "" {
			return fmt.Errorf("%q has an empty part; want CORE|kind|TARGET|name", id)
		}
	}
	if k := verdict.Kind(strings.ToLower(parts[1])); k != verdict.KindAgent && k != verdict.KindShare {
		return fmt.Errorf("%q: the second part is the kind, agent or share", id)
	}
	return nil
}

// duplicates rejects two waivers for the same selector: which owner and
// expiry would hold would be unclear.
func (p *parser) duplicates(f *File) {
	first := map[string]int{}
	for i := range f.Waivers {
		w := &f.Waivers[i]
		key := strings.ToLower(w.Selector())
		if line, dup := first[key]; dup {
			p.add(w.Line, "waivers", "waives %s again (first at line %d); keep one entry", w.Selector(), line)
			continue
		}
		first[key] = w.Line
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias (*name); anchors and aliases are not supported"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

package waiver

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// MaxFileBytes bounds what Parse reads; real waiver files are a few KiB.
const MaxFileBytes = 4 << 20

// maxProblems caps how many problems one file reports, so a garbled or
// hostile file cannot produce megabytes of output.
const maxProblems = 100

// Problem is one thing wrong in a waiver file.
type Problem struct {
	File    string
	Line    int    // 1-based; 0 when the problem is not on one line
	Field   string // e.g. waivers[2].expires; "" for syntax errors
	Message string
}

// Error renders "file:line: field: message", like inventory problems.
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError lists every problem found in a waiver file, by line.
// Parse returns no other error type.
type ValidationError struct {
	File     string
	Problems []Problem
}

// Error prints one problem per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes the problems to errors.As.
func (e *ValidationError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// Parse reads a waiver file strictly and reports every problem it finds
// (a YAML syntax error stops it at the first). name is used in errors and
// recorded in the report. Every error is a *ValidationError.
func Parse(r io.Reader, name string) (*File, error) {
	p := &parser{file: name}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	switch {
	case err != nil:
		p.add(0, "", "cannot read the waiver file: %v", err)
	case len(data) > MaxFileBytes:
		p.add(0, "", "the file is larger than %d MiB; a waiver file lists a few dozen entries", MaxFileBytes>>20)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	f := &File{Name: name}
	if root := p.document(data); root != nil {
		p.top(root, f)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return f, nil
}

type parser struct {
	file     string
	problems []Problem
}

func (p *parser) add(line int, field, format string, args ...any) {
	p.problems = append(p.problems, Problem{File: p.file, Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (p *parser) err() error {
	if len(p.problems) == 0 {
		return nil
	}
	probs := slices.Clone(p.problems)
	slices.SortStableFunc(probs, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	if len(probs) > maxProblems {
		more := len(probs) - maxProblems
		probs = append(probs[:maxProblems], Problem{File: p.file, Message: fmt.Sprintf("%d more problems not shown", more)})
	}
	return &ValidationError{File: p.file, Problems: probs}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses exactly one YAML document and returns its root node: nil
// for an empty file, or after a syntax error (recorded).
func (p *parser) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			p.syntaxError(data, err)
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			p.syntaxError(data, err)
		} else {
			p.add(extra.Line, "", "a second YAML document (---): put all waivers in one list")
		}
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	return doc.Content[0]
}

func (p *parser) syntaxError(data []byte, err error) {
	msg := err.Error()
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		p.add(0, "", "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
		return
	}
	line, _ := strconv.Atoi(m[1])
	if at := problemLine(data, line); at != line {
		p.add(at, "", "invalid YAML: %s (in the block that starts at line %d)", m[2], line)
		return
	}
	p.add(line, "", "invalid YAML: %s", m[2])
}

// maxRefineLines bounds the re-parsing problemLine does.
const maxRefineLines = 2000

// problemLine finds the line a YAML syntax error is really on. yaml.v3
// reports the line where the enclosing block starts (a bad indent on line 9
// is reported at line 1), which sends admins to the wrong place. The first
// prefix of the file that no longer parses ends at the offending line.
func problemLine(data []byte, reported int) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > maxRefineLines || reported < 1 {
		return reported
	}
	for k := reported; k <= len(lines); k++ {
		var n yaml.Node
		if err := yaml.Unmarshal(bytes.Join(lines[:k], nil), &n); err != nil {
			return k
		}
	}
	return reported
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
	before := len(p.problems)
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
	return w, len(p.problems) == before
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

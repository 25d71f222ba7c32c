package waiver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// MaxFileBytes bounds what Parse reads; real waiver files are a few KiB.
const MaxFileBytes = 4 << 20

// ValidationError is a problem in a waiver file, with the line it is on.
type ValidationError struct {
	File  string
	Line  int    // 0 when the problem is not on one line
	Field string // e.g. waivers[2].expires; "" for syntax errors
	Msg   string
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Parse reads a waiver file strictly. name is used in errors and recorded
// in the report. Every error is a *ValidationError.
func Parse(r io.Reader, name string) (*File, error) {
	p := parser{file: name}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, p.errorf(0, "", "cannot read the waiver file: %v", err)
	}
	if len(data) > MaxFileBytes {
		return nil, p.errorf(0, "", "the file is larger than %d MiB; a waiver file lists a few dozen entries", MaxFileBytes>>20)
	}
	root, err := p.document(data)
	if err != nil {
		return nil, err
	}
	f := &File{Name: name}
	if root == nil {
		return f, nil // empty file: no waivers
	}
	if err := p.top(root, f); err != nil {
		return nil, err
	}
	return f, nil
}

type parser struct{ file string }

func (p *parser) errorf(line int, field, format string, args ...any) *ValidationError {
	return &ValidationError{File: p.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses exactly one YAML document and returns its root node (nil
// for an empty file).
func (p *parser) document(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, p.syntaxError(data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if err != nil {
			return nil, p.syntaxError(data, err)
		}
		return nil, p.errorf(line, "", "a second YAML document (---): put all waivers in one list")
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

func (p *parser) syntaxError(data []byte, err error) *ValidationError {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if at := problemLine(data, line); at != line {
			return p.errorf(at, "", "invalid YAML: %s (in the block that starts at line %d)", m[2], line)
		}
		return p.errorf(line, "", "invalid YAML: %s", m[2])
	}
	return p.errorf(0, "", "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
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
		prefix := bytes.Join(lines[:k], nil)
		if err := yaml.Unmarshal(prefix, &n); err != nil {
			return k
		}
	}
	return reported
}

func (p *parser) top(root *yaml.Node, f *File) error {
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return p.errorf(root.Line, "", "want a mapping with a \"waivers:\" list, got %s", kindName(root))
	}
	seenWaivers := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		if err := p.plainKey(key, ""); err != nil {
			return err
		}
		if key.Value != "waivers" {
			return p.errorf(key.Line, key.Value, "unknown key (the file has one key, \"waivers\")")
		}
		if seenWaivers {
			return p.errorf(key.Line, key.Value, "appears twice")
		}
		seenWaivers = true
		if err := p.list(val, f); err != nil {
			return err
		}
	}
	return p.duplicates(f)
}

func (p *parser) list(seq *yaml.Node, f *File) error {
	if seq.Kind == yaml.ScalarNode && seq.Tag == "!!null" {
		return nil // "waivers:" with no entries
	}
	if seq.Kind != yaml.SequenceNode {
		return p.errorf(seq.Line, "waivers", "want a list of waivers (lines starting with \"- \"), got %s", kindName(seq))
	}
	for i, item := range seq.Content {
		w, err := p.entry(item, fmt.Sprintf("waivers[%d]", i))
		if err != nil {
			return err
		}
		f.Waivers = append(f.Waivers, w)
	}
	return nil
}

var fields = []string{"path", "core", "target", "kind", "owner", "reason", "expires"}

func (p *parser) entry(n *yaml.Node, at string) (Waiver, error) {
	w := Waiver{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		return w, p.errorf(n.Line, at, "want a mapping with path (or core and target), owner, reason and expires, got %s", kindName(n))
	}
	vals := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if err := p.plainKey(key, at); err != nil {
			return w, err
		}
		field := at + "." + key.Value
		if !known(key.Value) {
			return w, p.errorf(key.Line, field, "unknown key; want one of %s", strings.Join(fields, ", "))
		}
		if _, dup := vals[key.Value]; dup {
			return w, p.errorf(key.Line, field, "appears twice in the same waiver")
		}
		if val.Kind != yaml.ScalarNode || val.Tag == "!!null" || strings.TrimSpace(val.Value) == "" {
			return w, p.errorf(val.Line, field, "want a non-empty value, got %s", kindName(val))
		}
		vals[key.Value] = val
	}
	str := func(k string) string {
		if v := vals[k]; v != nil {
			return strings.TrimSpace(v.Value)
		}
		return ""
	}
	w.PathID, w.Core, w.Target = str("path"), str("core"), str("target")
	w.Kind = verdict.Kind(strings.ToLower(str("kind")))
	w.Owner, w.Reason = str("owner"), str("reason")

	switch {
	case w.PathID != "" && (w.Core != "" || w.Target != "" || w.Kind != ""):
		return w, p.errorf(vals["path"].Line, at+".path", "give either path or core/target/kind, not both")
	case w.PathID != "":
		if err := checkPathID(w.PathID); err != nil {
			return w, p.errorf(vals["path"].Line, at+".path", "%v", err)
		}
	case w.Core == "" || w.Target == "":
		return w, p.errorf(n.Line, at, "say which path is waived: path: CORE|kind|TARGET|name, or core: and target: (and optionally kind:)")
	case w.Kind != "" && w.Kind != verdict.KindAgent && w.Kind != verdict.KindShare:
		return w, p.errorf(vals["kind"].Line, at+".kind", "%q is not a path kind; want agent or share", str("kind"))
	}
	for _, req := range []string{"owner", "reason", "expires"} {
		if vals[req] == nil {
			return w, p.errorf(n.Line, at+"."+req, "missing; every waiver needs an owner, a reason and an expiry date")
		}
	}
	exp, err := time.Parse(DateLayout, str("expires"))
	if err != nil {
		return w, p.errorf(vals["expires"].Line, at+".expires", "%q is not a date; write it as YYYY-MM-DD, e.g. 2027-06-30", str("expires"))
	}
	w.Expires = exp.UTC()
	return w, nil
}

// plainKey rejects non-scalar keys and aliases, which a waiver file never needs.
func (p *parser) plainKey(key *yaml.Node, at string) error {
	if key.Kind != yaml.ScalarNode {
		return p.errorf(key.Line, at, "want a plain key, got %s", kindName(key))
	}
	return nil
}

func known(k string) bool {
	for _, f := range fields {
		if k == f {
			return true
		}
	}
	return false
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
func (p *parser) duplicates(f *File) error {
	first := map[string]int{}
	for i := range f.Waivers {
		w := &f.Waivers[i]
		key := strings.ToLower(w.Selector())
		if line, dup := first[key]; dup {
			return p.errorf(w.Line, fmt.Sprintf("waivers[%d]", i), "waives %s again (first at line %d); keep one entry", w.Selector(), line)
		}
		first[key] = w.Line
	}
	return nil
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

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

// top reads the file's one key, waivers: (a null file has none).
func (p *parser) top(root *yaml.Node, f *File) {
	w := yamlcheck.NewWalker(&p.Collector)
	w.NoAliases = true // a waiver file is a short list; one entry per path
	w.Fields(root, "", yamlcheck.Func("waivers", func(e yamlcheck.Entry, field string) {
		items, _ := w.Sequence(e.Val, field)
		for i, item := range items {
			if wv, ok := p.entry(w, item, yamlcheck.Index(field, i)); ok {
				f.Waivers = append(f.Waivers, wv)
			}
		}
	}))
	p.duplicates(f)
}

// entry checks one waiver; ok is false when it had problems (recorded).
func (p *parser) entry(w *yamlcheck.Walker, n *yaml.Node, at string) (wv Waiver, ok bool) {
	r := w.Resolve(n, at)
	if r == nil {
		return wv, false
	}
	wv.Line = r.Line
	before := p.Len()
	var path, core, target, kind, owner, reason, expires yamlcheck.Opt[string]
	if _, ok := w.Fields(r, at,
		yamlcheck.NonEmpty("path", &path),
		yamlcheck.NonEmpty("core", &core),
		yamlcheck.NonEmpty("target", &target),
		yamlcheck.NonEmpty("kind", &kind),
		yamlcheck.NonEmpty("owner", &owner),
		yamlcheck.NonEmpty("reason", &reason),
		yamlcheck.NonEmpty("expires", &expires),
	); !ok {
		return wv, false
	}
	line := func(o yamlcheck.Opt[string]) int {
		if o.Set {
			return o.Line
		}
		return r.Line
	}
	wv.PathID, wv.Core, wv.Target = path.Value, core.Value, target.Value
	wv.Kind = verdict.Kind(strings.ToLower(kind.Value))
	wv.Owner, wv.Reason = owner.Value, reason.Value

	switch {
	case wv.PathID != "" && (wv.Core != "" || wv.Target != "" || wv.Kind != ""):
		p.add(line(path), at+".path", "give either path or core/target/kind, not both")
	case wv.PathID != "":
		if err := checkPathID(wv.PathID); err != nil {
			p.add(line(path), at+".path", "%v", err)
		}
	case path.Given():
		// An empty path was reported above.
	case wv.Core == "" || wv.Target == "":
		p.add(r.Line, at, "say which path is waived: path: CORE|kind|TARGET|name, or core: and target: (and optionally kind:)")
	}
	if wv.Kind != "" && !slices.Contains(verdict.Kinds(), wv.Kind) {
		p.add(line(kind), at+".kind", "%q is not a path kind; want agent, replication or share", kind.Value)
	}
	for _, req := range []struct {
		key string
		o   yamlcheck.Opt[string]
	}{{"owner", owner}, {"reason", reason}, {"expires", expires}} {
		if !req.o.Given() {
			p.add(r.Line, at+"."+req.key, "missing; every waiver needs an owner, a reason and an expiry date")
		}
	}
	if exp := expires.Value; exp != "" {
		t, err := time.Parse(DateLayout, exp)
		if err != nil {
			p.add(line(expires), at+".expires", "%q is not a date; write it as YYYY-MM-DD, e.g. 2027-06-30", exp)
		}
		wv.Expires = t.UTC()
	}
	return wv, p.Len() == before
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
	if k := verdict.Kind(strings.ToLower(parts[1])); !slices.Contains(verdict.Kinds(), k) {
		return fmt.Errorf("%q: the second part is the kind, agent, replication or share", id)
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

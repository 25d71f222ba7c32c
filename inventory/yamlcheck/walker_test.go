package yamlcheck

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// spec is what the test schema decodes: a little of everything a reader
// declares.
type spec struct {
	name, note opt0
	port       Opt[int]
	on         Opt[bool]
	tags       []Opt[string]
	inner      struct{ a, b Opt[string] }
	raw        Opt[*yaml.Node]
	unknown    int
}

type opt0 = Opt[string]

// walk runs the test schema over data and returns the problems as
// rendered, one per line.
func walk(t *testing.T, data string, setup func(*Walker)) (spec, string) {
	t.Helper()
	root, _, syntax := Parse([]byte(data))
	if syntax != nil {
		t.Fatalf("test input does not parse: %v", syntax)
	}
	c := &Collector{File: "f.yaml"}
	w := NewWalker(c)
	if setup != nil {
		setup(w)
	}
	var s spec
	m, _ := w.Fields(root, "",
		Str("name", &s.name),
		Text("note", &s.note),
		Int("port", &s.port, 1, 65535),
		Bool("on", &s.on),
		StrList("tags", &s.tags),
		Func("inner", func(e Entry, f string) {
			w.Fields(e.Val, f, Str("a", &s.inner.a), Str("b", &s.inner.b))
		}),
		Node("raw", &s.raw),
	)
	s.unknown = m.Unknown
	return s, problems(c)
}

func problems(c *Collector) string {
	err := c.Err()
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestFields(t *testing.T) {
	tests := []struct {
		name, data string
		want       string // every problem, one per line
	}{
		{"valid", "name: a\nnote: |\n  two\n  lines\nport: 0x50\non: true\ntags: [x, y]\ninner: {a: 1, b: 2}\n", ""},
		{"null file is an empty mapping", "~\n", ""},
		{"unknown key with suggestion", "name: a\nportt: 80\n",
			`f.yaml:2: portt: unknown key "portt" (did you mean "port"?)`},
		{"unknown key without suggestion", "zzzzzz: 1\n",
			`f.yaml:1: zzzzzz: unknown key "zzzzzz" (valid keys here: name, note, port, on, tags, inner, raw)`},
		{"unknown nested key", "inner:\n  a: 1\n  zz: 2\n",
			`f.yaml:3: inner.zz: unknown key "zz" (valid keys here: a, b)`},
		{"repeated key", "name: a\nport: 1\nname: b\n",
			`f.yaml:3: name: duplicate key "name" (first defined on line 1) (remove one of them or merge them)`},
		{"repeated nested key", "inner:\n  a: 1\n  a: 2\n",
			`f.yaml:3: inner.a: duplicate key "a" (first defined on line 2) (remove one of them or merge them)`},
		{"file not a mapping", "- a\n- b\n",
			`f.yaml:1: the file must be a mapping (key: value pairs), not a list (write it as indented key: value lines)`},
		{"section not a mapping", "inner: [a]\n",
			`f.yaml:1: inner: must be a mapping (key: value pairs), not a list (write it as indented key: value lines)`},
		{"list where a value belongs", "name: [a]\n",
			`f.yaml:1: name: must be text, not a list (give a single value)`},
		{"mapping where a list belongs", "tags: {a: 1}\n",
			`f.yaml:1: tags: must be a list, not a mapping (write a list: [a, b] or one '- item' per line)`},
		{"no value", "name:\n",
			`f.yaml:1: name: needs a value (text) (give a value or remove the key)`},
		{"empty text", "name: '  '\n", `f.yaml:1: name: is empty (give a value or remove the key)`},
		{"control characters", "name: \"a\\tb\"\n",
			`f.yaml:1: name: contains control characters (remove line breaks, tabs and other control characters)`},
		{"bool as text", "name: true\n", `f.yaml:1: name: must be text, not true/false (quote it if you really mean the text)`},
		{"number out of range", "port: 70000\n", `f.yaml:1: port: 70000 is out of range (use a value between 1 and 65535)`},
		{"quoted number", "port: \"80\"\n", `f.yaml:1: port: must be a whole number, not text (remove the quotes)`},
		{"yes is not a bool", "on: yes\n", `f.yaml:1: on: must be true or false, not "yes" (write true or false)`},
		{"invalid key", "[a]: 1\n", `f.yaml:1: invalid key (a list) (keys must be plain names)`},
		{"every problem, sorted by line", "portt: 1\ninner:\n  c: 1\nname: [a]\nname: b\n",
			"f.yaml:1: portt: unknown key \"portt\" (did you mean \"port\"?)\n" +
				"f.yaml:3: inner.c: unknown key \"c\" (did you mean \"a\"?)\n" +
				"f.yaml:4: name: must be text, not a list (give a single value)\n" +
				"f.yaml:5: name: duplicate key \"name\" (first defined on line 4) (remove one of them or merge them)"},
		{"merge key", "base: &b {a: 1, b: 2}\ninner:\n  <<: *b\n  a: 3\n",
			`f.yaml:1: base: unknown key "base" (valid keys here: name, note, port, on, tags, inner, raw)`},
		{"merge key needs a mapping", "inner:\n  <<: 1\n",
			`f.yaml:2: inner: merge key '<<' needs a mapping or a list of mappings (use '<<: *anchor' with an anchored mapping)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, got := walk(t, tc.data, nil)
			if got != tc.want {
				t.Errorf("problems:\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

func TestFieldsValues(t *testing.T) {
	s, got := walk(t, "name: a\nport: 0x50\non: false\ntags: x\nbase: &b {a: '1', b: '2'}\ninner:\n  <<: *b\n  a: '3'\nraw: {any: thing}\n", nil)
	if got != `f.yaml:5: base: unknown key "base" (valid keys here: name, note, port, on, tags, inner, raw)` {
		t.Fatalf("problems: %s", got)
	}
	if s.name != (Opt[string]{Value: "a", Set: true, Line: 1, Field: "name"}) {
		t.Errorf("name = %+v", s.name)
	}
	if !s.port.Set || s.port.Value != 80 || s.port.Line != 2 || s.on.Value || !s.on.Set {
		t.Errorf("port = %+v, on = %+v", s.port, s.on)
	}
	if len(s.tags) != 1 || s.tags[0].Value != "x" || s.tags[0].Field != "tags" {
		t.Errorf("tags = %+v", s.tags)
	}
	// Keys written out win over merged ones; merged ones keep their line.
	if s.inner.a.Value != "3" || s.inner.a.Line != 8 || s.inner.b.Value != "2" || s.inner.b.Line != 5 {
		t.Errorf("inner = %+v", s.inner)
	}
	if !s.raw.Given() || s.raw.Value.Kind != yaml.MappingNode || s.raw.Line != 9 {
		t.Errorf("raw = %+v", s.raw)
	}
	if s.note.Given() || s.note.Or("default") != "default" || s.unknown != 1 {
		t.Errorf("note = %+v, unknown = %d", s.note, s.unknown)
	}
}

// TestFieldsHooks: readers adapt hints and refuse keys without changing
// the wording of the message itself.
func TestFieldsHooks(t *testing.T) {
	setup := func(w *Walker) {
		w.Forbidden = func(key string) (string, bool) { return "keep secrets out", key == "password" }
		w.KeyHint = func(field, got string, keys []string) string {
			if field == "inner" {
				return "see the inner docs"
			}
			return ""
		}
		w.NoAliases = true
	}
	tests := []struct{ name, data, want string }{
		{"forbidden key, value not echoed", "password: hunter2\n", `f.yaml:1: password: key "password" is not allowed (keep secrets out)`},
		{"reader's hint", "inner: {zz: 1}\n", `f.yaml:1: inner.zz: unknown key "zz" (see the inner docs)`},
		{"default hint elsewhere", "portt: 1\n", `f.yaml:1: portt: unknown key "portt" (did you mean "port"?)`},
		{"alias refused", "name: &n a\nnote: *n\n", `f.yaml:2: note: is an alias (*n); anchors and aliases are not supported in this file (write the value out in full)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, got := walk(t, tc.data, setup); got != tc.want {
				t.Errorf("problems:\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

// TestBudget: nested aliases that expand to billions of nodes stop at the
// node budget, quickly, with one problem.
func TestBudget(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	root, _, syntax := Parse([]byte(b.String()))
	if syntax != nil {
		t.Fatal(syntax)
	}
	for _, tc := range []struct {
		name string
		walk func(w *Walker)
	}{
		{"entries and lists", func(w *Walker) {
			es, _ := w.Entries(root, "")
			for _, e := range es {
				var walkAll func(n *yaml.Node, f string)
				walkAll = func(n *yaml.Node, f string) {
					if r := w.Resolve(n, f); r != nil && r.Kind == yaml.SequenceNode {
						items, _ := w.Sequence(r, f)
						for _, it := range items {
							walkAll(it, f)
						}
					}
				}
				walkAll(e.Val, e.Name)
			}
		}},
		{"decode", func(w *Walker) {
			var v map[string]any
			w.Decode(root, "", &v)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Collector{File: "bomb.yaml"}
			w := NewWalker(c)
			start := time.Now()
			tc.walk(w)
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v", d)
			}
			if !w.Exhausted() {
				t.Fatal("budget not exhausted")
			}
			// yaml.v3 refuses the smaller bombs itself (decode); what the
			// walker adds is the one budget problem.
			want := "bomb.yaml:1: the file expands to more than 1000000 YAML nodes"
			got := problems(c)
			if strings.Count(got, want) != 1 {
				t.Errorf("problems: %s\nwant one %q", got, want)
			}
			for _, line := range strings.Split(got, "\n") {
				if !strings.Contains(line, "YAML nodes") {
					t.Errorf("problem %q is not about the size", line)
				}
			}
		})
	}
}

type labLike struct {
	Name    string            `yaml:"name"`
	Port    int               `yaml:"port"`
	Small   int8              `yaml:"small"`
	On      *bool             `yaml:"on"`
	Wait    time.Duration     `yaml:"wait"`
	When    time.Time         `yaml:"when"`
	Tags    []string          `yaml:"tags"`
	Fields  map[string]string `yaml:"fields"`
	Value   any               `yaml:"value"`
	Items   []*item           `yaml:"items"`
	Skipped string            `yaml:"-"`
	//lint:ignore U1000 unexported, so Decode must treat "hidden:" as unknown
	hidden int
}

type item struct {
	ID   int `yaml:"id"`
	Line int `yaml:"-" yamlcheck:"line"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, data string
		want       string
		check      func(t *testing.T, v *labLike)
	}{
		{"valid", "name: n\nport: 5985\non: true\nwait: 90s\nwhen: 2026-03-01T10:00:00Z\ntags: [a, b]\nfields: {k: v}\nvalue: [1, two]\nitems:\n  - id: 1\n  - ~\n  - {id: 3}\n", "",
			func(t *testing.T, v *labLike) {
				if v.Name != "n" || v.Port != 5985 || v.On == nil || !*v.On || v.Wait != 90*time.Second ||
					!v.When.Equal(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)) || len(v.Tags) != 2 || v.Fields["k"] != "v" {
					t.Errorf("decoded %+v", v)
				}
				if l, ok := v.Value.([]any); !ok || len(l) != 2 || l[0] != 1 || l[1] != "two" {
					t.Errorf("value = %#v", v.Value)
				}
				if len(v.Items) != 3 || v.Items[0].Line != 10 || v.Items[1] != nil || v.Items[2].ID != 3 || v.Items[2].Line != 12 {
					t.Errorf("items = %+v %+v %+v", v.Items[0], v.Items[1], v.Items[2])
				}
			}},
		{"null leaves zero values", "name:\ntags:\nitems:\n", "", func(t *testing.T, v *labLike) {
			if v.Name != "" || v.Tags != nil || v.Items != nil {
				t.Errorf("decoded %+v", v)
			}
		}},
		{"aliases and merge keys", "items:\n  - &i {id: 7}\n  - *i\nbase: &b {name: x}\n", `f.yaml:4: base: unknown key "base" (valid keys here: name, port, small, on, wait, when, tags, fields, value, items)`, nil},
		{"unknown keys", "nme: x\nitems: [{id: 1, idd: 2}]\nskipped: 1\nhidden: 1\n",
			"f.yaml:1: nme: unknown key \"nme\" (did you mean \"name\"?)\n" +
				"f.yaml:2: items[0].idd: unknown key \"idd\" (did you mean \"id\"?)\n" +
				"f.yaml:3: skipped: unknown key \"skipped\" (valid keys here: name, port, small, on, wait, when, tags, fields, value, items)\n" +
				"f.yaml:4: hidden: unknown key \"hidden\" (valid keys here: name, port, small, on, wait, when, tags, fields, value, items)", nil},
		{"repeated keys", "name: a\nfields:\n  k: 1\n  k: 2\nname: b\n",
			"f.yaml:4: fields.k: duplicate key \"k\" (first defined on line 3) (remove one of them or merge them)\n" +
				"f.yaml:5: name: duplicate key \"name\" (first defined on line 1) (remove one of them or merge them)", nil},
		{"shapes", "name: [a]\ntags: a\nitems: [[1]]\nfields: [a]\n",
			"f.yaml:1: name: must be text, not a list (give a single value)\n" +
				"f.yaml:2: tags: must be a list, not text (write one '- item' per line)\n" +
				"f.yaml:3: items[0]: must be a mapping (key: value pairs), not a list (write it as indented key: value lines)\n" +
				"f.yaml:4: fields: must be a mapping (key: value pairs), not a list (write it as indented key: value lines)", nil},
		{"bad values", "port: many\nsmall: 300\non: maybe\nwait: soon\nwhen: today\nitems: [{id: 99999999999999999999}]\n",
			"f.yaml:1: port: must be a whole number, not \"many\"\n" +
				"f.yaml:2: small: 300 is out of range (use a smaller value)\n" +
				"f.yaml:3: on: must be true or false, not \"maybe\"\n" +
				"f.yaml:4: wait: must be a duration such as 60s or 1m30s, not \"soon\"\n" +
				"f.yaml:5: when: must be a date and time such as 2026-03-01T10:00:00Z, not \"today\"\n" +
				"f.yaml:6: items[0].id: 99999999999999999999 is out of range (use a smaller value)", nil},
		{"file not a mapping", "[1]\n", "f.yaml:1: the file must be a mapping (key: value pairs), not a list (write it as indented key: value lines)", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, _, syntax := Parse([]byte(tc.data))
			if syntax != nil {
				t.Fatal(syntax)
			}
			c := &Collector{File: "f.yaml"}
			var v labLike
			NewWalker(c).Decode(root, "", &v)
			if got := problems(c); got != tc.want {
				t.Errorf("problems:\n got: %s\nwant: %s", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, &v)
			}
		})
	}
}

// FuzzWalker: the walker never panics on any input, every problem names a
// line inside the file (or none), and it always finishes.
func FuzzWalker(f *testing.F) {
	for _, s := range []string{
		"name: a\nport: 80\ntags: [a, b]\ninner: {a: 1, b: 2}\n",
		"name: a\nname: b\n",
		"prot: 1\ninner:\n  c: 1\n",
		"base: &b {a: 1}\ninner:\n  <<: *b\n  <<: [*b, {b: 2}]\n",
		"a: &a [*a]\n",
		"items:\n  - {id: 1}\n  - *x\n",
		"- a\n- b\n",
		"value: !!binary aGVsbG8=\nwhen: 2026-01-01\nwait: 1h\n",
		"? [a]\n: 1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		root, _, syntax := Parse(data)
		if syntax != nil || root == nil {
			return
		}
		// YAML breaks lines at CR, LF, CRLF, NEL, LS and PS.
		text := strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u0085", "\n", "\u2028", "\n", "\u2029", "\n").Replace(string(data))
		lines := strings.Count(text, "\n") + 1
		for _, noAliases := range []bool{false, true} {
			c := &Collector{File: "f.yaml"}
			w := NewWalker(c)
			w.NoAliases = noAliases
			var s spec
			w.Fields(root, "",
				Str("name", &s.name), Int("port", &s.port, 1, 65535), Bool("on", &s.on), StrList("tags", &s.tags),
				Func("inner", func(e Entry, f string) { w.Fields(e.Val, f, Str("a", &s.inner.a), NonEmpty("b", &s.inner.b)) }))
			var v labLike
			w.Decode(root, "", &v)
			if err := c.Err(); err != nil {
				ve, ok := AsValidationError(err)
				if !ok {
					t.Fatalf("error of type %T", err)
				}
				for _, p := range ve.Problems {
					if p.Line < 0 || p.Line > lines || p.Message == "" {
						t.Fatalf("problem %+v outside a %d-line file", p, lines)
					}
				}
			}
		}
	})
}

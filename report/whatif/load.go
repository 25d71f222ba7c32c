package whatif

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/inventory/yamlcheck"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// roleNames are the values a selector's roles: accepts.
var roleNames = func() []string {
	var out []string
	for _, r := range inventory.Roles() {
		out = append(out, string(r))
	}
	return out
}()

// Load reads a what-if file (--assume) and checks it against inv: setting
// names, value types and that every selector picks at least one host.
func Load(path string, inv *inventory.Inventory) (*Overlay, error) {
	data, err := yamlcheck.ReadFile(path, inventory.MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read what-if file: %w", err)
	}
	return Parse(data, path, inv)
}

// Parse is Load for a file held in memory. Like inventory.Parse it reports
// every problem at once in a *inventory.ValidationError.
func Parse(data []byte, filename string, inv *inventory.Inventory) (*Overlay, error) {
	return ParseWith(data, filename, inv, facts.Default())
}

// ParseWith is Parse against another settings table (a test's table with
// one more row): setting names, types, documented values and
// domain-controller scope all come from the table's rows (nil: the default
// table).
func ParseWith(data []byte, filename string, inv *inventory.Inventory, cat *facts.Catalogue) (*Overlay, error) {
	if cat == nil {
		cat = facts.Default()
	}
	ps := inventory.NewCollector(filename)
	if inv == nil {
		ps.Add(0, "", "load the inventory first", "a what-if file can only be checked against an inventory")
		return nil, ps.Err()
	}
	root := yamlcheck.Document(data, ps, "what-if", inventory.MaxFileSize)
	if root == nil {
		return nil, ps.Err()
	}
	w := yamlcheck.NewWalker(ps)
	w.Forbidden = yamlcheck.SecretKey
	ov := &Overlay{File: filename, Name: strings.TrimSuffix(filepath.Base(filename), filepath.Ext(filename))}
	var version yamlcheck.Opt[int64]
	var name yamlcheck.Opt[string]
	var changes yamlcheck.Opt[*yaml.Node]
	_, ok := w.Fields(root, "",
		yamlcheck.Version(&version),
		yamlcheck.Str("name", &name),
		yamlcheck.Text("description", nil),
		yamlcheck.Node("changes", &changes),
	)
	if ok {
		if name.Set {
			ov.Name = name.Value
		}
		if !changes.Given() {
			ps.Add(root.Line, "", "add changes: with at least one entry, e.g. '- roles: [agent]' and 'set: {RestrictReceivingNTLMTraffic: 2}'", "the what-if file has no changes")
		} else {
			items, _ := w.Sequence(changes.Value, "changes")
			if len(items) == 0 && ps.Len() == 0 {
				ps.Add(changes.Line, "changes", "add at least one change", "changes is empty")
			}
			oc := checker{w: w, inv: inv, cat: cat}
			for i, item := range items {
				ov.Changes = append(ov.Changes, oc.change(item, yamlcheck.Index("changes", i))...)
			}
		}
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return ov, nil
}

type checker struct {
	w   *yamlcheck.Walker
	inv *inventory.Inventory
	cat *facts.Catalogue // the settings table: names, types, values
}

// rawChange is one entry under changes:, as written.
type rawChange struct {
	hosts, tags, roles, set, remove, add, delete yamlcheck.Opt[*yaml.Node]
}

func (oc checker) change(n *yaml.Node, field string) []Change {
	w, ps := oc.w, oc.w.C
	r := w.Resolve(n, field)
	if r == nil {
		return nil
	}
	before := ps.Len()
	var ch rawChange
	_, ok := w.Fields(r, field,
		yamlcheck.Text("description", nil),
		yamlcheck.Node("hosts", &ch.hosts),
		yamlcheck.Node("tags", &ch.tags),
		yamlcheck.Node("roles", &ch.roles),
		yamlcheck.Node("set", &ch.set),
		yamlcheck.Node("remove", &ch.remove),
		yamlcheck.Node("add", &ch.add),
		yamlcheck.Node("delete", &ch.delete),
	)
	if !ok {
		return nil
	}
	keyProblems := ps.Len() > before
	sel, selOK := oc.selector(ch, field, r.Line)
	var matched []*inventory.Host
	if selOK {
		for _, h := range oc.inv.Hosts {
			if sel.Matches(h) {
				matched = append(matched, h)
			}
		}
		if len(matched) == 0 {
			ps.Add(r.Line, field, "hosts, tags and roles must all match (AND); check them against the inventory", "the selector matches no host in %s", oc.inv.File)
		}
	}

	var out []Change
	// One entry may add to and delete from the same list; anything else
	// touching a setting twice is ambiguous.
	type use struct {
		line int
		list bool
	}
	seen := map[string]use{}
	add := func(c Change, f string) {
		isList := c.Add != nil || c.Delete != nil
		if prev, dup := seen[c.Setting]; dup && !(isList && prev.list) {
			ps.Add(c.Line, f, "split it into two changes, applied in order", "%s is already changed on line %d of this entry", c.Setting, prev.line)
			return
		}
		seen[c.Setting] = use{line: c.Line, list: isList}
		if selOK && len(matched) > 0 {
			oc.checkScope(c, f, matched)
		}
		c.Select = sel
		out = append(out, c)
	}
	actions := 0
	if x := ch.set; x.Given() {
		actions++
		es, _ := w.Entries(x.Value, x.Field)
		for _, e := range es {
			f := yamlcheck.Join(x.Field, e.Name)
			s := oc.setting(e, f)
			if s == nil {
				continue
			}
			c := Change{Setting: s.ID, Line: e.Line()}
			if v, ok := oc.value(s, e.Val, f); ok {
				c.Set = v
				add(c, f)
			}
		}
	}
	if x := ch.remove; x.Given() {
		actions++
		names, lines, _ := w.StrList(x.Value, x.Field)
		for i, name := range names {
			f := yamlcheck.Index(x.Field, i)
			s := oc.settingByName(name, lines[i], f)
			if s == nil {
				continue
			}
			add(Change{Setting: s.ID, Remove: true, Line: lines[i]}, f)
		}
	}
	for _, list := range []struct {
		verb string
		x    yamlcheck.Opt[*yaml.Node]
	}{{"add", ch.add}, {"delete", ch.delete}} {
		verb, x := list.verb, list.x
		if !x.Given() {
			continue
		}
		actions++
		es, _ := w.Entries(x.Value, x.Field)
		for _, e := range es {
			f := yamlcheck.Join(x.Field, e.Name)
			s := oc.setting(e, f)
			if s == nil {
				continue
			}
			if s.Type != facts.RegMultiSZ {
				ps.Add(e.Line(), f, fmt.Sprintf("use set: {%s: N} for a number", s.ID), "%s is a number (%s); %s works only on lists", s.ID, s.Type, verb)
				continue
			}
			entries, _, ok := w.StrList(e.Val, f)
			if !ok {
				continue
			}
			if len(entries) == 0 {
				ps.Add(e.Line(), f, "give at least one entry, e.g. [agent07.corp.example]", "no entries to %s", verb)
				continue
			}
			c := Change{Setting: s.ID, Line: e.Line()}
			if verb == "add" {
				c.Add = entries
			} else {
				c.Delete = entries
			}
			add(c, f)
		}
	}
	if actions == 0 && !keyProblems {
		ps.Add(r.Line, field, "add set:, remove:, add: or delete:", "the change does nothing")
	}
	return out
}

// selector decodes hosts/tags/roles and checks each name against the inventory.
func (oc checker) selector(ch rawChange, field string, line int) (Selector, bool) {
	w, ps := oc.w, oc.w.C
	var sel Selector
	ok := true
	if x := ch.hosts; x.Given() {
		names, lines, good := w.StrList(x.Value, x.Field)
		ok = ok && good
		var known []string
		for _, h := range oc.inv.Hosts {
			known = append(known, h.Name)
		}
		for i, n := range names {
			if n == "*" {
				sel.Hosts = append(sel.Hosts, "*")
				continue
			}
			h := oc.inv.HostByName(n)
			if h == nil {
				ps.Add(lines[i], yamlcheck.Index(x.Field, i), refHintList(n, known, "hosts in the inventory", `or "*" for every host`), "unknown host %q", yamlcheck.Clip(n))
				ok = false
				continue
			}
			sel.Hosts = append(sel.Hosts, h.Name)
		}
	}
	if x := ch.tags; x.Given() {
		tags, lines, good := w.StrList(x.Value, x.Field)
		ok = ok && good
		var known []string
		for _, h := range oc.inv.Hosts {
			for _, t := range h.Tags {
				if !slices.ContainsFunc(known, func(k string) bool { return strings.EqualFold(k, t) }) {
					known = append(known, t)
				}
			}
		}
		for i, t := range tags {
			if !slices.ContainsFunc(known, func(k string) bool { return strings.EqualFold(k, t) }) {
				ps.Add(lines[i], yamlcheck.Index(x.Field, i), refHintList(t, known, "tags (and group names) in the inventory", ""), "no host carries the tag %q", yamlcheck.Clip(t))
				ok = false
				continue
			}
			sel.Tags = append(sel.Tags, t)
		}
	}
	if x := ch.roles; x.Given() {
		roles, lines, good := w.StrList(x.Value, x.Field)
		ok = ok && good
		for i, r := range roles {
			v := strings.ToLower(r)
			if !slices.Contains(roleNames, v) {
				ps.Add(lines[i], yamlcheck.Index(x.Field, i), yamlcheck.ValueHint(strings.TrimSuffix(v, "s"), roleNames), "unknown role %q", yamlcheck.Clip(r))
				ok = false
				continue
			}
			sel.Roles = append(sel.Roles, inventory.Role(v))
		}
	}
	if len(sel.Hosts) == 0 && len(sel.Tags) == 0 && len(sel.Roles) == 0 {
		if ok {
			ps.Add(line, field, `say which hosts it applies to with hosts:, tags: or roles: (hosts: "*" for every host)`, "the change selects no hosts")
		}
		return sel, false
	}
	return sel, ok
}

func refHintList(got string, known []string, label, extra string) string {
	if s := yamlcheck.Suggest(got, known); s != "" {
		return "did you mean \"" + yamlcheck.Clip(s) + "\"?"
	}
	if len(known) > 8 {
		known = append(known[:8:8], "...")
	}
	list := "none"
	if len(known) > 0 {
		list = strings.Join(known, ", ")
	}
	if extra != "" {
		list += " " + extra
	}
	return label + ": " + list
}

func (oc checker) setting(e yamlcheck.Entry, field string) *facts.Setting {
	return oc.settingByName(e.Name, e.Line(), field)
}

func (oc checker) settingByName(name string, line int, field string) *facts.Setting {
	if s := oc.cat.Setting(name); s != nil {
		return s
	}
	ids := oc.cat.IDs()
	hint := "valid settings: " + strings.Join(ids, ", ")
	if s := yamlcheck.Suggest(name, ids); s != "" {
		hint = "did you mean \"" + yamlcheck.Clip(s) + "\"?"
	}
	oc.w.C.Add(line, field, hint, "unknown setting %q", yamlcheck.Clip(name))
	return nil
}

// value decodes a set: value and checks it against the setting's type and
// the documented values of its row (any 32-bit value for a bit mask).
func (oc checker) value(s *facts.Setting, n *yaml.Node, field string) (*Value, bool) {
	w, ps := oc.w, oc.w.C
	switch s.Type {
	case facts.RegMultiSZ:
		r := w.Resolve(n, field)
		if r != nil && r.Kind == yaml.ScalarNode && (r.ShortTag() == "!!int" || r.ShortTag() == "!!bool") {
			ps.Add(r.Line, field, fmt.Sprintf("write a list of server names, e.g. %s: [agent01.corp.example, AGENT01]", s.ID), "%s is a list (%s), not a number", s.ID, s.Type)
			return nil, false
		}
		list, _, ok := w.StrList(n, field)
		if !ok {
			return nil, false
		}
		if list == nil {
			list = []string{}
		}
		return &Value{Strings: list}, true
	default:
		r := w.Resolve(n, field)
		if r != nil && r.Kind == yaml.SequenceNode {
			ps.Add(r.Line, field, "give one number", "%s is a number (%s), not a list", s.ID, s.Type)
			return nil, false
		}
		v, ok := w.Int(n, field, 0, 0xFFFFFFFF)
		if !ok {
			return nil, false
		}
		u := uint64(v)
		if !s.Allowed(u) {
			allowed := s.Documented()
			vals := make([]string, len(allowed))
			for i, a := range allowed {
				vals[i] = strconv.FormatUint(a.Value, 10)
			}
			ps.Add(r.Line, field, "documented values: "+strings.Join(vals, ", "), "%d is not a valid value for %s", u, s.ID)
			return nil, false
		}
		return &Value{DWORD: &u}, true
	}
}

// checkScope rejects a domain-controller-only setting aimed only at
// machines that are not domain controllers: the change would do nothing.
func (oc checker) checkScope(c Change, field string, matched []*inventory.Host) {
	s := oc.cat.Setting(c.Setting)
	if s == nil || !s.DCOnly {
		return
	}
	for _, h := range matched {
		if h.Role == inventory.RoleDomainController {
			return
		}
	}
	oc.w.C.Add(c.Line, field, "select domain controllers, e.g. roles: [domain-controller]", "%s is evaluated on domain controllers only, and the selector picks none", s.ID)
}

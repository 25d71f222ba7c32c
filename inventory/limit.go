package inventory

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory/safetext"
)

// Limit is a --limit pattern, a subset of Ansible's host patterns:
//
//	PATTERN  = TERM { (":" | ",") TERM }
//	TERM     = [ "&" | "!" ] ATOM
//	ATOM     = all | * | NAME | GLOB | GROUP | tag:TAG (or tag=TAG)
//
// NAME matches a host's inventory name or any name it is known by (FQDN,
// NetBIOS name, address), case-insensitively; GLOB is the same with *, ? and
// [...] (path.Match); GROUP matches the hosts of a group (a host is tagged
// with each group it is in); tag:TAG matches hosts carrying TAG. Plain terms
// are a union, "&" terms intersect it, "!" terms remove from it; a pattern
// with only "!" terms starts from every host.
type Limit struct {
	Text  string
	terms []limitTerm
}

// tagPrefixRE finds "tag:" at the start of a term (also after & or !).
var tagPrefixRE = regexp.MustCompile(`(?i)(^|[:,]\s*[&!]?\s*|^[&!]\s*)tag:`)

type limitTerm struct {
	op   byte // 0, '&' or '!'
	atom string
}

// ParseLimit parses a --limit pattern.
func ParseLimit(s string) (*Limit, error) {
	l := &Limit{Text: s}
	// "tag:" is part of a term, not a separator.
	for _, raw := range strings.FieldsFunc(tagPrefixRE.ReplaceAllString(s, "${1}tag="), func(r rune) bool { return r == ':' || r == ',' }) {
		t := strings.TrimSpace(raw)
		var op byte
		if t != "" && (t[0] == '&' || t[0] == '!') {
			op, t = t[0], strings.TrimSpace(t[1:])
		}
		if t == "" {
			return nil, fmt.Errorf("--limit %q: an empty term (write NAME, a glob such as agent0*, a group, tag:TAG, or all; join terms with ':', '&' to intersect, '!' to exclude)", safetext.Escape(s))
		}
		if _, err := path.Match(strings.ToLower(t), ""); err != nil {
			return nil, fmt.Errorf("--limit %q: %q is not a valid glob", safetext.Escape(s), safetext.Escape(t))
		}
		l.terms = append(l.terms, limitTerm{op, t})
	}
	if len(l.terms) == 0 {
		return nil, fmt.Errorf("--limit is empty")
	}
	return l, nil
}

// Subject is what a pattern is matched against: a name, the other names it
// is known by, and its tags (groups included).
type Subject struct {
	Name    string
	Aliases []string
	Tags    []string
}

// HostSubject is h as a Subject.
func HostSubject(h *Host) Subject { return Subject{Name: h.Name, Aliases: NameForms(h), Tags: h.Tags} }

func (t limitTerm) matches(s Subject) bool {
	a := strings.ToLower(t.atom)
	if a == "all" || a == "*" {
		return true
	}
	if tag, ok := strings.CutPrefix(a, "tag="); ok {
		return slices.ContainsFunc(s.Tags, func(x string) bool { return strings.EqualFold(x, tag) })
	}
	for _, n := range append([]string{s.Name}, s.Aliases...) {
		if ok, _ := path.Match(a, strings.ToLower(n)); ok {
			return true
		}
	}
	// A group name (hosts are tagged with their groups).
	return slices.ContainsFunc(s.Tags, func(x string) bool { return strings.EqualFold(x, t.atom) })
}

// Match reports whether s is selected.
func (l *Limit) Match(s Subject) bool {
	in, plain := false, false
	for _, t := range l.terms {
		if t.op == 0 {
			plain = true
			in = in || t.matches(s)
		}
	}
	if !plain {
		in = true
	}
	for _, t := range l.terms {
		switch t.op {
		case '&':
			in = in && t.matches(s)
		case '!':
			in = in && !t.matches(s)
		}
	}
	return in
}

// NeedsTags reports whether the pattern uses tags or groups, which only the
// inventory knows (a saved report has host names only).
func (l *Limit) NeedsTags() bool {
	for _, t := range l.terms {
		a := strings.ToLower(t.atom)
		if strings.HasPrefix(a, "tag=") {
			return true
		}
	}
	return false
}

// Restrict returns the part of inv that the paths selected by l need: a
// path (agent, share or replication) is selected when its Core or its
// target matches, and the scan needs
// its Core, its target and every domain controller (pass-through logons).
// leftOut names the hosts and counts the paths left out.
func (inv *Inventory) Restrict(l *Limit) (out *Inventory, leftOut []string, err error) {
	sel := map[*Host]bool{}
	for _, h := range inv.Hosts {
		if l.Match(HostSubject(h)) {
			sel[h] = true
		}
	}
	if len(sel) == 0 {
		return nil, nil, fmt.Errorf("--limit %q matches no host of %s (names, FQDNs, addresses, globs, group names and tag:TAG are matched)", safetext.Escape(l.Text), safetext.Escape(inv.File))
	}
	out = &Inventory{File: inv.File, Credentials: inv.Credentials, Domains: inv.Domains}
	need := map[*Host]bool{}
	paths, kept := 0, 0
	for _, c := range inv.Cores {
		nc := *c
		nc.Agents, nc.Repositories, nc.Replication = nil, nil, nil
		for _, link := range c.Agents {
			paths++
			if sel[c.Host] || sel[link.Agent] {
				nl := *link
				nl.Core = &nc
				nc.Agents = append(nc.Agents, &nl)
				need[link.Agent] = true
			}
		}
		for _, r := range c.Repositories {
			paths++
			if sel[c.Host] || (r.Host != nil && sel[r.Host]) {
				nc.Repositories = append(nc.Repositories, r)
				if r.Host != nil {
					need[r.Host] = true
				}
			}
		}
		for _, rl := range c.Replication {
			paths++
			if sel[c.Host] || sel[rl.Target.Host] {
				nr := *rl
				nr.Source = &nc
				nc.Replication = append(nc.Replication, &nr)
				need[rl.Target.Host] = true
			}
		}
		if len(nc.Agents)+len(nc.Repositories)+len(nc.Replication) > 0 || sel[c.Host] {
			kept += len(nc.Agents) + len(nc.Repositories) + len(nc.Replication)
			need[c.Host] = true
			out.Cores = append(out.Cores, &nc)
		}
	}
	for _, r := range inv.Repositories {
		for _, c := range out.Cores {
			if slices.Contains(c.Repositories, r) {
				out.Repositories = append(out.Repositories, r)
				break
			}
		}
	}
	var dropped []string
	for _, h := range inv.Hosts {
		if need[h] || h.Role == RoleDomainController {
			out.Hosts = append(out.Hosts, h)
		} else {
			dropped = append(dropped, h.Name)
		}
	}
	if len(out.Cores) == 0 {
		return nil, nil, fmt.Errorf("--limit %q selects no path: it matches only hosts that are neither a Core nor a Core's agent or share host", safetext.Escape(l.Text))
	}
	leftOut = append(leftOut, fmt.Sprintf("%d of %d paths", paths-kept, paths))
	if len(dropped) > 0 {
		leftOut = append(leftOut, fmt.Sprintf("%d hosts (%s)", len(dropped), strings.Join(dropped, ", ")))
	}
	return out, leftOut, nil
}

package render

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/ntlmscan/ntlmscan/inventory/safetext"
	"github.com/ntlmscan/ntlmscan/inventory/yamlcheck"
	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// Filter narrows the paths a rendered view lists (--verdict, --core,
// --target, --tag). It never changes the report: the JSON report, the
// summary's totals and the exit code always cover every path. Within one
// field the values are alternatives (any may match); the fields given must
// all match. Names compare case-insensitively and may be globs (*, ?, [..]).
type Filter struct {
	Verdicts []verdict.Verdict
	// Cores match the path's Core by inventory name.
	Cores []string
	// Targets match the target's inventory name or the name the Core uses
	// for it (address, FQDN, share).
	Targets []string
	// Tags match the inventory tags of the target or of the Core (the
	// report's hosts[].tags).
	Tags []string
}

// Empty reports whether the filter keeps every path.
func (f Filter) Empty() bool {
	return len(f.Verdicts)+len(f.Cores)+len(f.Targets)+len(f.Tags) == 0
}

// String is the filter as the flags that give it, for "filtered by ...".
func (f Filter) String() string {
	var parts []string
	if len(f.Verdicts) > 0 {
		vs := make([]string, len(f.Verdicts))
		for i, v := range f.Verdicts {
			vs[i] = string(v)
		}
		parts = append(parts, "--verdict "+strings.Join(vs, ","))
	}
	for _, kv := range []struct {
		flag string
		list []string
	}{{"--core", f.Cores}, {"--target", f.Targets}, {"--tag", f.Tags}} {
		if len(kv.list) > 0 {
			parts = append(parts, kv.flag+" "+safetext.Escape(strings.Join(kv.list, ",")))
		}
	}
	return strings.Join(parts, " ")
}

// ParseVerdicts checks --verdict values (each may itself be a comma list)
// against the verdict names; an unknown name is an error that suggests the
// closest name and lists the valid ones.
func ParseVerdicts(values []string) ([]verdict.Verdict, error) {
	var valid []string
	for _, v := range verdict.Order() {
		valid = append(valid, string(v))
	}
	var out []verdict.Verdict
	for _, value := range values {
		for _, name := range strings.Split(value, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			if !slices.Contains(valid, name) {
				hint := "valid verdicts: " + strings.Join(valid, ", ")
				if s := yamlcheck.Suggest(name, valid); s != "" {
					hint = "did you mean " + s + "? (" + hint + ")"
				}
				return nil, fmt.Errorf("--verdict: unknown verdict %q: %s", safetext.Escape(name), hint)
			}
			if !slices.Contains(out, verdict.Verdict(name)) {
				out = append(out, verdict.Verdict(name))
			}
		}
	}
	return out, nil
}

// SplitList splits repeatable, comma-separated flag values into names,
// dropping empty ones.
func SplitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// pathFilter is a Filter ready to match the paths of one report.
type pathFilter struct {
	f    Filter
	tags map[string][]string // lower-case host name -> inventory tags
}

func newPathFilter(f Filter, r *report.Report) pathFilter {
	pf := pathFilter{f: f}
	if len(f.Tags) > 0 {
		pf.tags = make(map[string][]string, len(r.Hosts))
		for _, h := range r.Hosts {
			pf.tags[strings.ToLower(h.Host)] = h.Tags
		}
	}
	return pf
}

func (pf pathFilter) match(p *verdict.Path) bool {
	f := pf.f
	if len(f.Verdicts) > 0 && !slices.Contains(f.Verdicts, p.Verdict) {
		return false
	}
	if len(f.Cores) > 0 && !matchAny(f.Cores, p.Core) {
		return false
	}
	if len(f.Targets) > 0 && !matchAny(f.Targets, p.Target, p.NameUsed, p.Share) {
		return false
	}
	if len(f.Tags) > 0 && !matchAny(f.Tags, append(slices.Clone(pf.tags[strings.ToLower(p.Target)]), pf.tags[strings.ToLower(p.Core)]...)...) {
		return false
	}
	return true
}

// matchAny reports whether any pattern matches any of names, ignoring case;
// a pattern that is not a valid glob compares as plain text.
func matchAny(patterns []string, names ...string) bool {
	for _, pat := range patterns {
		pat = strings.ToLower(pat)
		for _, name := range names {
			if name == "" {
				continue
			}
			name = strings.ToLower(name)
			if ok, err := path.Match(pat, name); ok || (err != nil && pat == name) || pat == name {
				return true
			}
		}
	}
	return false
}

// Matching counts the paths of r that f keeps.
func Matching(r *report.Report, f Filter) int {
	pf := newPathFilter(f, r)
	n := 0
	for i := range r.Matrix.Paths {
		if pf.match(&r.Matrix.Paths[i]) {
			n++
		}
	}
	return n
}

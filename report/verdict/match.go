package verdict

import (
	"fmt"
	"strings"
	"unicode"
)

// MatchException reports whether name matches one exception-list entry the
// way ntlmscan models ClientAllowedNTLMServers, DCAllowedNTLMServers and
// BlockNTLMServerExceptionList: '*' matches any run of characters (also
// none) anywhere in the entry, and letters compare case-insensitively
// (Unicode simple folding, as strings.EqualFold). Which of these behaviours
// Windows confirms differs per list; see matchList.
func MatchException(entry, name string) bool { return globMatch(entry, name, true) }

// globMatch is an iterative wildcard matcher (no recursion, O(len*len)
// worst case) so hostile entries cannot blow the stack.
func globMatch(pattern, name string, fold bool) bool {
	p, n := []rune(pattern), []rune(name)
	pi, ni := 0, 0
	star, mark := -1, 0
	for ni < len(n) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ni
			pi++
		case pi < len(p) && runeEqual(p[pi], n[ni], fold):
			pi++
			ni++
		case star >= 0:
			pi = star + 1
			mark++
			ni = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func runeEqual(a, b rune, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// listKind selects the documented matching rules of one exception list
// (Microsoft Learn, "Network security: Restrict NTLM: Add remote server
// exceptions for NTLM authentication" and "... Add server exceptions in this
// domain", "Block NTLM connections on SMB"; [MS-NLMP] §3.1.5.1.1).
type listKind int

const (
	clientList listKind = iota // ClientAllowedNTLMServers on the Core
	smbList                    // BlockNTLMServerExceptionList on the Core
	dcList                     // DCAllowedNTLMServers on a DC
)

// candidate is one name under which the target may be compared.
type candidate struct {
	name string
	form NameForm
	// primary marks the name Windows compares: the name the Core uses
	// (client and SMB lists) or the target's NetBIOS name, its Netlogon
	// secure-channel name (DC list). Only a match on it exempts the path;
	// a match on any other form is "listed under another name".
	primary bool
}

// exceptionMatch is the best entry that matched.
type exceptionMatch struct {
	entry     string
	name      string // the candidate name it matched
	form      NameForm
	confirmed bool
	caveats   []string // why the match rests on an UNCONFIRMED rule
	// note qualifies a confirmed match: a literal IP-address entry for the
	// IP the Core uses exempts the path (field reports; the rule book's
	// 2026-12 audit accepts ok with an UNCONFIRMED note), but Microsoft
	// documents name forms only.
	note string
	// otherName: the entry matches only another form of the target's name
	// than the one Windows compares, so it does not exempt the path.
	otherName bool
}

// listIndex is one exception list prepared for matching: entries without
// a wildcard or a service-class slash are looked up by their lower-case
// form, the others are matched one by one. A list of thousands of entries
// is then checked per path in time proportional to the few pattern
// entries, not to the list.
type listIndex struct {
	entries  []string
	exact    map[string]int // lower-case entry -> first index
	patterns []int          // entries with '*' or '/'
}

func newListIndex(entries []string) *listIndex {
	idx := &listIndex{entries: entries, exact: make(map[string]int, len(entries))}
	for i, e := range entries {
		if strings.TrimSpace(e) == "" {
			continue
		}
		if strings.ContainsAny(e, "*/") {
			idx.patterns = append(idx.patterns, i)
			continue
		}
		k := strings.ToLower(e)
		if _, dup := idx.exact[k]; !dup {
			idx.exact[k] = i
		}
	}
	return idx
}

// has reports whether the list holds name (case-insensitive, literally).
func (idx *listIndex) has(name string) bool {
	if idx == nil {
		return false
	}
	_, ok := idx.exact[strings.ToLower(name)]
	return ok
}

// matchList is matchIndex over a plain list.
func matchList(kind listKind, entries []string, cands []candidate) *exceptionMatch {
	return matchIndex(kind, newListIndex(entries), cands)
}

// matchIndex returns the best matching entry: a confirmed match on the
// compared name, else an UNCONFIRMED one, else a match on another name form
// (otherName), the first in list order within each class; nil when
// nothing matches. Entries compare case-insensitively with '*' as a glob
// over any run of characters (the literal name is what Windows compares;
// NetBIOS and DNS names are case-insensitive).
func matchIndex(kind listKind, idx *listIndex, cands []candidate) *exceptionMatch {
	if idx == nil {
		return nil
	}
	var best *exceptionMatch
	bestClass, bestAt := 3, -1
	consider := func(at int, c candidate) {
		m := matchOne(kind, idx.entries[at], c)
		if m == nil {
			return
		}
		class := 1
		switch {
		case m.otherName:
			class = 2
		case m.confirmed:
			class = 0
		}
		if class < bestClass || class == bestClass && at < bestAt {
			best, bestClass, bestAt = m, class, at
		}
	}
	for _, c := range cands {
		if c.name == "" {
			continue
		}
		if at, ok := idx.exact[strings.ToLower(c.name)]; ok {
			consider(at, c)
		}
	}
	for _, at := range idx.patterns {
		for _, c := range cands {
			if c.name != "" {
				consider(at, c)
			}
		}
	}
	return best
}

func matchOne(kind listKind, entry string, c candidate) *exceptionMatch {
	pattern := entry
	var caveats []string
	if !MatchException(pattern, c.name) {
		// An SPN-form entry (HTTP/host, cifs/host) may or may not be
		// honoured: UNCONFIRMED, so it can only ever be a caveated match.
		i := strings.LastIndexByte(entry, '/')
		if i < 0 || !MatchException(entry[i+1:], c.name) {
			return nil
		}
		pattern = entry[i+1:]
		caveats = append(caveats, "the entry is in SPN form ("+entry+"); whether Windows strips the service class is UNCONFIRMED")
	}
	if !c.primary {
		return &exceptionMatch{entry: entry, name: c.name, form: c.form, otherName: true, caveats: caveats}
	}
	stars := strings.Count(pattern, "*")
	switch kind {
	case clientList:
		if stars > 1 {
			caveats = append(caveats, "the entry has more than one '*'; the documentation allows a single asterisk")
		}
		if c.form == NameIP {
			if stars > 0 {
				caveats = append(caveats, "it is a wildcard matched over an IP address; IP-address entries are UNCONFIRMED (Microsoft documents FQDN and NetBIOS names)")
			} else if len(caveats) == 0 {
				return &exceptionMatch{entry: entry, name: c.name, form: c.form, confirmed: true,
					note: "The entry is the literal IP address the Core uses: Windows compares the name the application uses, and field reports show such an entry working; Microsoft documents FQDN and NetBIOS names only (UNCONFIRMED). Event 8001/4001 TargetName shows the compared name."}
			}
		}
	case smbList:
		if stars > 0 {
			caveats = append(caveats, "wildcards in BlockNTLMServerExceptionList are UNCONFIRMED")
		}
	case dcList:
		if stars > 1 {
			caveats = append(caveats, "the entry has more than one '*'; the documentation allows a single asterisk")
		}
	}
	return &exceptionMatch{entry: entry, name: c.name, form: c.form, confirmed: len(caveats) == 0, caveats: caveats}
}

// otherNameText explains an entry that names the target in another form
// than the one Windows compares.
func otherNameText(list string, m *exceptionMatch, compared, comparedForm, what string) string {
	return fmt.Sprintf("%s lists the target under another name: entry %q matches %s (%s), but %s compares %q (%s), so the entry does not exempt this path (listed under another name). Whether Windows canonicalises names before comparing is UNCONFIRMED; do not rely on it.",
		list, m.entry, m.name, m.form, what, compared, comparedForm)
}

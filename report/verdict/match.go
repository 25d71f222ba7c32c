package verdict

import (
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
// (NTLM-RULES.md §2.4).
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
	// primary marks the name Windows documents as the one compared: the
	// name the Core uses (client and SMB lists) or the target's NetBIOS
	// name (DC list).
	primary bool
}

// exceptionMatch is the best entry that matched.
type exceptionMatch struct {
	entry     string
	name      string // the candidate name it matched
	form      NameForm
	confirmed bool
	caveats   []string // why the match rests on an UNCONFIRMED rule
}

// matchList returns the best matching entry (a confirmed match wins; among
// equals, the first entry in list order), or nil when nothing matches.
func matchList(kind listKind, entries []string, cands []candidate) *exceptionMatch {
	var best *exceptionMatch
	for _, entry := range entries {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		for _, c := range cands {
			if c.name == "" {
				continue
			}
			m := matchOne(kind, entry, c)
			if m == nil {
				continue
			}
			if m.confirmed {
				return m
			}
			if best == nil {
				best = m
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
	if !globMatch(pattern, c.name, false) {
		caveats = append(caveats, "it matches only when letter case is ignored; case handling of the list is UNCONFIRMED")
	}
	stars := strings.Count(pattern, "*")
	switch kind {
	case clientList:
		if stars > 1 {
			caveats = append(caveats, "the entry has more than one '*'; the documentation allows a single asterisk")
		}
		if c.form == NameIP {
			if stars > 0 {
				caveats = append(caveats, "it is a wildcard matched over an IP address; IP-address entries are UNCONFIRMED")
			} else {
				caveats = append(caveats, "it matches the literal IP address; IP-address entries are UNCONFIRMED (documented forms: FQDN and NetBIOS name)")
			}
		}
		if !c.primary {
			caveats = append(caveats, "it matches "+c.name+" ("+string(c.form)+"), not the name the Core uses; Windows compares the name the application uses, and whether other forms count is UNCONFIRMED")
		}
	case smbList:
		if stars > 0 {
			caveats = append(caveats, "wildcards in BlockNTLMServerExceptionList are UNCONFIRMED")
		}
		if !c.primary {
			caveats = append(caveats, "it matches "+c.name+" ("+string(c.form)+"), not the server name in the UNC path; the SMB client compares the UNC server name (INFERENCE), other forms are UNCONFIRMED")
		}
	case dcList:
		if stars > 1 {
			caveats = append(caveats, "the entry has more than one '*'; the documentation allows a single asterisk")
		}
		if !c.primary {
			caveats = append(caveats, "it matches "+c.name+" ("+string(c.form)+"); DCAllowedNTLMServers is documented with NetBIOS names (the secure-channel name), other forms are UNCONFIRMED")
		}
	}
	return &exceptionMatch{entry: entry, name: c.name, form: c.form, confirmed: len(caveats) == 0, caveats: caveats}
}

package verdict

import (
	"slices"
	"strconv"
	"strings"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// PSQuote renders s as a PowerShell single-quoted string literal. PowerShell
// treats the typographic single quotes U+2018, U+2019, U+201A and U+201B as
// quote characters too, so each of them is doubled like ' is.
func PSQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\'', '\u2018', '\u2019', '\u201A', '\u201B':
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// psArray renders @('a','b').
func psArray(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = PSQuote(s)
	}
	return "@(" + strings.Join(q, ",") + ")"
}

// psRegPath turns HKLM\X into the PowerShell provider path HKLM:\X.
func psRegPath(key string) string {
	if rest, ok := strings.CutPrefix(key, `HKLM\`); ok {
		return `HKLM:\` + rest
	}
	return key
}

// psSetMultiString writes a whole REG_MULTI_SZ list. The key is created
// first when it may not exist (policy keys).
func psSetMultiString(s *facts.Setting, values []string, createKey bool) string {
	line := "Set-ItemProperty -Path " + PSQuote(psRegPath(s.Key)) + " -Name " + s.Name +
		" -Type MultiString -Value " + psArray(values)
	if createKey {
		line = psEnsureKey(s.Key) + line
	}
	return line
}

// psSetDWORD writes one REG_DWORD value.
func psSetDWORD(s *facts.Setting, v uint64, createKey bool) string {
	line := "Set-ItemProperty -Path " + PSQuote(psRegPath(s.Key)) + " -Name " + s.Name +
		" -Type DWord -Value " + strconv.FormatUint(v, 10)
	if createKey {
		line = psEnsureKey(s.Key) + line
	}
	return line
}

// psEnsureKey creates a registry key only when it is missing: on the
// registry provider, New-Item -Force on an existing key deletes the key
// and every value in it before recreating it empty.
func psEnsureKey(key string) string {
	p := PSQuote(psRegPath(key))
	return "if (-not (Test-Path -Path " + p + ")) { New-Item -Path " + p + " -Force | Out-Null }; "
}

// gpoPath is the full Group Policy editor path of a setting.
func gpoPath(s *facts.Setting) string { return s.GPOPath + `\` + s.GPOName }

// appendMissing returns list plus the entries of add it does not already
// hold exactly (case matters: case-insensitive matching is UNCONFIRMED, so
// an entry differing only in case is added in the documented spelling), and
// the entries actually added.
func appendMissing(list, add []string) (all, added []string) {
	all = append([]string(nil), list...)
	for _, a := range add {
		if a == "" || slices.Contains(all, a) {
			continue
		}
		all = append(all, a)
		added = append(added, a)
	}
	return all, added
}

func containsFold(list []string, s string) bool {
	for _, l := range list {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
}

// uniqueExact drops empty strings and exact duplicates, keeping order.
func uniqueExact(in ...string) []string {
	var out []string
	for _, s := range in {
		if s == "" {
			continue
		}
		dup := false
		for _, o := range out {
			if o == s {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

// samName is the account name without its domain, for AD cmdlets.
func samName(account string) string {
	if i := strings.LastIndexByte(account, '\\'); i >= 0 {
		return account[i+1:]
	}
	if i := strings.IndexByte(account, '@'); i >= 0 {
		return account[:i]
	}
	return account
}

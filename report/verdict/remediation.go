package verdict

import (
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

// psAddMultiString adds entries to a REG_MULTI_SZ list, keeping every
// entry already there: it reads the list at run time, appends only what is
// missing (PowerShell's -notcontains compares case-insensitively, as the
// exception lists do) and writes the result. Running it twice, or after
// another line that added other entries, never removes anything, so the
// lines of a report can run in any order. The key is created first when
// it may not exist (policy keys).
func psAddMultiString(s *facts.Setting, add []string, createKey bool) string {
	k := PSQuote(psRegPath(s.Key))
	line := "$k = " + k + "; "
	if createKey {
		line += "if (-not (Test-Path -Path $k)) { New-Item -Path $k -Force | Out-Null }; "
	}
	line += "$l = @((Get-ItemProperty -Path $k -ErrorAction SilentlyContinue)." + s.Name + " | Where-Object { $_ }); " +
		"foreach ($e in " + psArray(add) + ") { if ($l -notcontains $e) { $l += $e } }; " +
		"Set-ItemProperty -Path $k -Name " + s.Name + " -Type MultiString -Value ([string[]]$l)"
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

// missing returns the entries of want that the list does not hold
// (compared case-insensitively, as the exception lists and PowerShell's
// -notcontains do), without duplicates, in want's order.
func missing(have *listIndex, want []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range want {
		k := strings.ToLower(w)
		if w == "" || seen[k] || have.has(w) {
			continue
		}
		seen[k] = true
		out = append(out, w)
	}
	return out
}

func u64(n uint64) *uint64 { return &n }

func containsFold(list []string, s string) bool {
	for _, l := range list {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
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

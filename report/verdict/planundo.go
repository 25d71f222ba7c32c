package verdict

import (
	"strconv"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// ValueAbsent is Change.Was for a value that did not exist.
const ValueAbsent = "absent"

// UndoScript is the PowerShell line that reverses Script: a list change
// removes exactly the entries it added (what was there stays), a DWORD
// change restores the value recorded at scan time (Was) or removes a value
// that was absent. Built from the structured fields, like Script; ""
// where there is nothing to reverse or the old value is not known.
func (c *Change) UndoScript() string {
	s := facts.SettingByID(c.SettingID)
	if s == nil || c.Script() == "" {
		return ""
	}
	k := PSQuote(psRegPath(s.Key))
	switch {
	case c.Kind == ChangeList:
		return "$k = " + k + "; $l = @((Get-ItemProperty -Path $k -ErrorAction SilentlyContinue)." + s.Name +
			" | Where-Object { $_ -and (" + psArray(c.Add) + " -notcontains $_) }); " +
			"Set-ItemProperty -Path $k -Name " + s.Name + " -Type MultiString -Value ([string[]]$l)"
	case c.Kind == ChangeDWORD && c.Was == ValueAbsent:
		return "Remove-ItemProperty -Path " + k + " -Name " + s.Name + " -ErrorAction SilentlyContinue"
	case c.Kind == ChangeDWORD:
		if n, err := strconv.ParseUint(c.Was, 10, 32); err == nil {
			return psSetDWORD(s, n, false)
		}
	}
	return ""
}

// BackupLine records the value a change is about to overwrite in $backup
// (the plan script saves it to a file before it writes anything).
func (c *Change) BackupLine() string {
	s := facts.SettingByID(c.SettingID)
	if s == nil {
		return ""
	}
	return "$backup += [pscustomobject]@{ Host = $env:COMPUTERNAME; Key = " + PSQuote(s.Key) + "; Name = " + PSQuote(s.Name) +
		"; Value = (Get-ItemProperty -Path " + PSQuote(psRegPath(s.Key)) + " -ErrorAction SilentlyContinue)." + s.Name + " }"
}

// wasText is the value a host has now, for Change.Was.
func wasText(v value) string {
	switch {
	case !v.known:
		return ""
	case !v.present:
		return ValueAbsent
	case v.setting.Type == facts.RegMultiSZ:
		// The list itself is Final[:Current]; a copy here could be megabytes.
		if len(v.list) == 1 {
			return "1 entry"
		}
		return strconv.Itoa(len(v.list)) + " entries"
	}
	return strconv.FormatUint(v.n, 10)
}

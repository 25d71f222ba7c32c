package verdict

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// A report file can be edited by hand, so the PowerShell lines ntlmscan
// shows for a saved report are rebuilt from each fix's structured fields
// (setting, entries, value), exactly as the engine writes them, and never
// taken from the file's text: an edited file cannot put other code in front
// of an admin. A fix whose line cannot be rebuilt shows none.

// RebuildScripts replaces every PowerShell line of the matrix (plan changes
// and the remediations of paths and host notes) with the one rebuilt from
// its fields.
func (m *Matrix) RebuildScripts() {
	if m == nil {
		return
	}
	for i := range m.Plan {
		c := &m.Plan[i]
		switch c.Kind {
		case ChangeDWORD, ChangeList:
			c.PowerShell = c.Script()
		default:
			c.PowerShell = manualScript(c.Setting, c.Value, c.PowerShell)
		}
	}
	for i := range m.Paths {
		p := &m.Paths[i]
		rebuildReason(p.Deciding)
		for j := range p.Reasons {
			rebuildReason(&p.Reasons[j])
		}
		if p.Before != nil {
			rebuildReason(p.Before.Deciding)
		}
	}
	for i := range m.HostNotes {
		rebuildReason(&m.HostNotes[i])
	}
}

func rebuildReason(r *Reason) {
	if r == nil || r.Remediation == nil {
		return
	}
	r.Remediation.PowerShell = r.Remediation.Script()
}

// Script is the PowerShell line of a remediation, built from its fields
// (see RebuildScripts); "" when there is none to build.
func (r *Remediation) Script() string {
	if s := facts.SettingByID(r.SettingID); s != nil && r.SettingID != "" {
		switch {
		case s.Type == facts.RegMultiSZ && len(r.Add) > 0:
			return psAddMultiString(s, r.Add, s.Key == facts.KeyLanmanWksPol)
		case s.Type == facts.RegDWORD && r.Set != nil && *r.Set <= maxDWORD:
			return psSetDWORD(s, *r.Set, false)
		}
		return ""
	}
	return manualScript(r.Setting, r.Value, r.PowerShell)
}

// maxDWORD is the largest REG_DWORD value.
const maxDWORD = 1<<32 - 1

// manualScript rebuilds the lines of the fixes that are not registry
// values: the Protected Users removal and the network diagnostics. The
// file's text only picks which diagnostic it was (DNS or TCP); none of it
// is kept.
func manualScript(setting, value, fileText string) string {
	switch setting {
	case SettingProtectedUsers:
		if member, ok := strings.CutPrefix(value, "remove "); ok && member != "" {
			return protectedUsersFix("", member).PowerShell
		}
	case settingNetworkPath:
		var port int
		rest, name, ok := strings.Cut(value, " to ")
		if !ok || name == "" {
			return ""
		}
		if _, err := fmt.Sscanf(rest, "TCP %d", &port); err != nil || port < 1 || port > 65535 || strconv.Itoa(port) != strings.TrimPrefix(rest, "TCP ") {
			return ""
		}
		if strings.HasPrefix(fileText, "Resolve-DnsName") {
			return "Resolve-DnsName -Name " + PSQuote(name)
		}
		return fmt.Sprintf("Test-NetConnection -ComputerName %s -Port %d", PSQuote(name), port)
	}
	return ""
}

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
	kinds := make(map[string]ChangeKind, len(m.Plan))
	for i := range m.Plan {
		c := &m.Plan[i]
		kinds[c.ID] = c.Kind
		c.GPOEdit = c.gpoEditLine() // "" for a change no GPO owns
		switch c.Kind {
		case ChangeDWORD, ChangeList:
			c.PowerShell = c.Script()
		case ChangeVerifyKerberos:
			// Setting is "Kerberos to NAME" (verifyKerberos, planscope.go).
			name, _ := strings.CutPrefix(c.Setting, "Kerberos to ")
			c.PowerShell = verifyKerberosScript("HOST/" + name)
		case ChangeBaseline:
			c.PowerShell = "" // an edit of the planned baseline, never a local line
		default:
			c.PowerShell = manualScript(c.Setting, c.Value, c.PowerShell)
		}
	}
	rebuild := func(r *Reason) {
		if r == nil || r.Remediation == nil {
			return
		}
		if kinds[r.Remediation.Change] == ChangeBaseline {
			// divert (planscope.go) keeps the proposed value of a baseline
			// edit, which is no local line.
			r.Remediation.PowerShell = ""
			return
		}
		r.Remediation.PowerShell = r.Remediation.Script()
	}
	for i := range m.Paths {
		p := &m.Paths[i]
		rebuild(p.Deciding)
		for j := range p.Reasons {
			rebuild(&p.Reasons[j])
		}
		if p.Before != nil {
			rebuild(p.Before.Deciding)
		}
	}
	for i := range m.HostNotes {
		rebuild(&m.HostNotes[i])
	}
}

// verifyKerberosScript is the SPN check of a verify-Kerberos step; ""
// when the SPN read back from a file is not one.
func verifyKerberosScript(spn string) string {
	name, ok := strings.CutPrefix(spn, "HOST/")
	if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") {
		return ""
	}
	return AdviceCommand("setspn", Switch("-Q"), spn)
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
	case SettingVerifyKerberos:
		// Value is "verify the SPN HOST/name (no NTLM exception: ...)".
		rest, ok := strings.CutPrefix(value, "verify the SPN ")
		if !ok {
			return ""
		}
		spn, _, _ := strings.Cut(rest, " (")
		return verifyKerberosScript(spn)
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

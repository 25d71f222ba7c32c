package verdict

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// TestRemediationScriptRebuilt: every kind of fix line the engine writes is
// rebuilt from the fix's fields alone; the text in the file never is.
func TestRemediationScriptRebuilt(t *testing.T) {
	lmc := facts.SettingByID(facts.LmCompatibilityLevel)
	if lmc == nil {
		t.Fatal("no LmCompatibilityLevel setting")
	}
	evil := "Invoke-Expression 'x'"
	tests := []struct {
		name string
		rem  Remediation
		want string
	}{
		{"dword", Remediation{SettingID: lmc.ID, Set: u64(3), PowerShell: evil}, psSetDWORD(lmc, 3, false)},
		{"dword over 32 bits", Remediation{SettingID: lmc.ID, Set: u64(1 << 32), PowerShell: evil}, ""},
		{"protected users", Remediation{Setting: SettingProtectedUsers, Value: "remove svc-rr'; evil", PowerShell: evil},
			protectedUsersFix("", "svc-rr'; evil").PowerShell},
		{"tcp diagnostic", Remediation{Setting: settingNetworkPath, Value: "TCP 8006 to agent01", PowerShell: evil},
			"Test-NetConnection -ComputerName 'agent01' -Port 8006"},
		{"dns diagnostic", Remediation{Setting: settingNetworkPath, Value: "TCP 445 to nas'01", PowerShell: "Resolve-DnsName -Name x; " + evil},
			"Resolve-DnsName -Name 'nas''01'"},
		{"bad port", Remediation{Setting: settingNetworkPath, Value: "TCP 99999 to a", PowerShell: evil}, ""},
		{"unknown fix", Remediation{Setting: "something", Value: "v", PowerShell: evil}, ""},
		{"verify kerberos", Remediation{Setting: SettingVerifyKerberos, Value: "verify the SPN HOST/agent'01 (no NTLM exception: Kerberos is expected on this path)", PowerShell: evil},
			"setspn -Q 'HOST/agent''01'"},
		{"verify kerberos, no SPN", Remediation{Setting: SettingVerifyKerberos, Value: "verify the SPN ; " + evil, PowerShell: evil}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.rem.Script(); got != tc.want {
				t.Errorf("Script() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestRebuildScriptsMatchesEngine: a matrix read back from a report file
// shows the lines the engine wrote, for every plan entry and fix (the
// verify-Kerberos checks, and no local line for a baseline edit or a
// GPO-owned value), with and without the what-if baseline.
func TestRebuildScriptsMatchesEngine(t *testing.T) {
	t.Parallel()
	gpoLab := func(t *testing.T) *Matrix {
		// TestIssue16GPOLever's estate: the DCs' values set by one GPO.
		l := newLab(t)
		for _, dc := range []string{"DC01", "DC02"} {
			l.set(dc, facts.RestrictNTLMInDomain, 1)
			l.set(dc, facts.DCAllowedNTLMServers, []string{"FS01"})
			l.rsop(dc, "Default Domain Controllers Policy", "{6AC1786C-016F-11D2-945F-00C04FB984F9}", facts.RestrictNTLMInDomain, facts.DCAllowedNTLMServers)
		}
		l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2)
		return l.eval(Options{})
	}
	for _, tc := range []struct {
		name   string
		matrix func(t *testing.T) *Matrix
		gpo    bool
	}{
		{"demo", func(t *testing.T) *Matrix { return newDemo(t).eval(Options{}) }, false},
		{"demo with the what-if", func(t *testing.T) *Matrix {
			l := newDemo(t)
			return Evaluate(l.inv, l.resultList(), demoAssume(), Options{})
		}, false},
		{"GPO-owned values", gpoLab, true},
	} {
		m := tc.matrix(t)
		want := scriptsOf(m)
		kinds := map[ChangeKind]bool{}
		gpo := false
		for _, c := range m.Plan {
			kinds[c.Kind] = true
			gpo = gpo || c.GPOEdit != ""
		}
		if !kinds[ChangeVerifyKerberos] || gpo != tc.gpo {
			t.Fatalf("%s: verify-kerberos step %v, GPO edit %v: not the plan this case needs", tc.name, kinds[ChangeVerifyKerberos], gpo)
		}
		poison(m)
		m.RebuildScripts()
		got := scriptsOf(m)
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s: rebuilt %q, engine wrote %q", tc.name, k, got[k], w)
			}
		}
	}
}

func scriptsOf(m *Matrix) map[string]string {
	out := map[string]string{}
	for _, c := range m.Plan {
		out["plan "+c.ID] = c.PowerShell
		out["plan gpo edit "+c.ID] = c.GPOEdit
	}
	for _, p := range m.Paths {
		for j, r := range p.Reasons {
			if r.Remediation != nil {
				out[fmt.Sprintf("%s reason %d", p.ID, j)] = r.Remediation.PowerShell
			}
		}
		if p.Deciding != nil && p.Deciding.Remediation != nil {
			out[p.ID+" deciding"] = p.Deciding.Remediation.PowerShell
		}
	}
	return out
}

// poison puts other code in every script text, as a hand edit could.
func poison(m *Matrix) {
	for i := range m.Plan {
		m.Plan[i].PowerShell = "Invoke-Expression 'x'"
		if m.Plan[i].GPOEdit != "" {
			m.Plan[i].GPOEdit = "Invoke-Expression 'x'"
		}
	}
	for i := range m.Paths {
		for j := range m.Paths[i].Reasons {
			if r := m.Paths[i].Reasons[j].Remediation; r != nil {
				r.PowerShell = "Invoke-Expression 'x'"
			}
		}
		if d := m.Paths[i].Deciding; d != nil && d.Remediation != nil {
			d.Remediation.PowerShell = "Invoke-Expression 'x'"
		}
	}
}

// FuzzManualScript: whatever a hand-edited file holds in a fix's value,
// the rebuilt line is empty or exactly one of the engine's templates with
// the name as a single-quoted literal.
func FuzzManualScript(f *testing.F) {
	for _, v := range []string{"TCP 8006 to agent01", "TCP 445 to nas'01", "remove svc-rr", "TCP 99999 to a", "TCP 1 to ", "TCP 08 to x", "remove "} {
		f.Add(v, "Resolve-DnsName")
		f.Add(v, "")
	}
	f.Fuzz(func(t *testing.T, value, fileText string) {
		for _, setting := range []string{settingNetworkPath, SettingProtectedUsers} {
			got := manualScript(setting, value, fileText)
			if got == "" {
				continue
			}
			var want []string
			switch setting {
			case settingNetworkPath:
				rest, name, _ := strings.Cut(value, " to ")
				port := strings.TrimPrefix(rest, "TCP ")
				want = []string{"Resolve-DnsName -Name " + PSQuote(name), "Test-NetConnection -ComputerName " + PSQuote(name) + " -Port " + port}
			default:
				want = []string{protectedUsersFix("", strings.TrimPrefix(value, "remove ")).PowerShell}
			}
			if !slices.Contains(want, got) {
				t.Fatalf("manualScript(%q, %q) = %q, want one of %q", setting, value, got, want)
			}
		}
	})
}

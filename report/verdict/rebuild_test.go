package verdict

import (
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
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.rem.Script(); got != tc.want {
				t.Errorf("Script() = %q, want %q", got, tc.want)
			}
		})
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

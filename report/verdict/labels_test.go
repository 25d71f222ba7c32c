package verdict

import (
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

func dwordValue(n uint64) *facts.RegistryValue {
	return &facts.RegistryValue{Present: true, Type: facts.RegDWORD, DWORD: &n}
}

func TestLabels(t *testing.T) {
	t.Parallel()
	absent := &facts.RegistryValue{}
	cases := []struct {
		id        string
		v         *facts.RegistryValue
		raw, want string
	}{
		{facts.RestrictSendingNTLMTraffic, absent, "absent", "Not defined (Allow all)"},
		{facts.RestrictSendingNTLMTraffic, dwordValue(0), "0", "Allow all"},
		{facts.RestrictSendingNTLMTraffic, dwordValue(1), "1", "Audit all"},
		{facts.RestrictSendingNTLMTraffic, dwordValue(2), "2", "Deny all"},
		{facts.RestrictSendingNTLMTraffic, dwordValue(9), "9", "Undocumented value 9"},
		{facts.RestrictReceivingNTLMTraffic, dwordValue(1), "1", "Deny all domain accounts"},
		{facts.RestrictReceivingNTLMTraffic, dwordValue(2), "2", "Deny all accounts"},
		{facts.AuditReceivingNTLMTraffic, dwordValue(2), "2", "Enable auditing for all accounts"},
		{facts.RestrictNTLMInDomain, absent, "absent", "Not defined (Disable)"},
		{facts.RestrictNTLMInDomain, dwordValue(1), "1", "Deny for domain accounts to domain servers"},
		{facts.RestrictNTLMInDomain, dwordValue(3), "3", "Deny for domain accounts"},
		{facts.RestrictNTLMInDomain, dwordValue(5), "5", "Deny for domain servers"},
		{facts.RestrictNTLMInDomain, dwordValue(7), "7", "Deny all"},
		{facts.RestrictNTLMInDomain, dwordValue(2), "2", "Undocumented value 2"},
		{facts.AuditNTLMInDomain, dwordValue(7), "7", "Enable all"},
		{facts.LmCompatibilityLevel, absent, "absent", "Not defined (Send NTLMv2 response only, the effective default)"},
		{facts.LmCompatibilityLevel, dwordValue(0), "0", "Send LM & NTLM responses"},
		{facts.LmCompatibilityLevel, dwordValue(2), "2", "Send NTLM response only"},
		{facts.LmCompatibilityLevel, dwordValue(5), "5", "Send NTLMv2 response only. Refuse LM & NTLM"},
		{facts.NtlmMinClientSec, dwordValue(0x20080000), "0x20080000 (537395200)", "Require NTLMv2 session security + Require 128-bit encryption"},
		{facts.NtlmMinServerSec, dwordValue(0), "0x0 (0)", "No minimum"},
		{facts.NtlmMinServerSec, dwordValue(0x20000001), "0x20000001 (536870913)", "Require 128-bit encryption + undocumented bits 0x1"},
		{facts.UseMachineID, dwordValue(0), "0", "Disabled (LocalSystem falls back to anonymous)"},
		{facts.ForceGuest, dwordValue(1), "1", "Guest only - local users authenticate as Guest"},
		{facts.SMBBlockNTLM, dwordValue(1), "1", "Enabled (NTLM blocked for SMB)"},
		{facts.SMBBlockNTLM, absent, "absent", "Not configured (NTLM allowed)"},
		{facts.ClientAllowedNTLMServers, &facts.RegistryValue{Present: true, Type: facts.RegMultiSZ, Strings: []string{"a", "B"}}, "[a, B]", "2 entries"},
		{facts.ClientAllowedNTLMServers, &facts.RegistryValue{Present: true, Type: facts.RegMultiSZ, Strings: []string{}}, "[]", "no entries"},
		{facts.ClientAllowedNTLMServers, absent, "absent", "Not defined (no exceptions)"},
		{facts.RestrictSendingNTLMTraffic, nil, "not collected", "not collected"},
		{facts.RestrictSendingNTLMTraffic, &facts.RegistryValue{Error: "access denied"}, "unreadable: access denied", "unreadable"},
	}
	for _, c := range cases {
		if got := Raw(c.id, c.v); got != c.raw {
			t.Errorf("Raw(%s) = %q, want %q", c.id, got, c.raw)
		}
		if got := Label(c.id, c.v); got != c.want {
			t.Errorf("Label(%s) = %q, want %q", c.id, got, c.want)
		}
	}
}

// Every catalogue setting has a label table, so renderers can always show a
// label next to a raw value.
func TestEveryCatalogueSettingHasLabels(t *testing.T) {
	t.Parallel()
	for _, s := range facts.Settings {
		absent, values, ok := Labels(s.ID)
		if !ok || absent == "" {
			t.Errorf("%s has no label table", s.ID)
		}
		if s.Type == facts.RegDWORD && len(values) == 0 {
			t.Errorf("%s has no value labels", s.ID)
		}
	}
}

func TestPSQuote(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"agent02.corp.example": "'agent02.corp.example'",
		"O'Brien":              "'O''Brien'",
		"''":                   "''''''",
		"a\u2019b":             "'a\u2019\u2019b'",
		"$(Remove-Item C:\\)":  "'$(Remove-Item C:\\)'",
		"":                     "''",
	}
	for in, want := range cases {
		if got := PSQuote(in); got != want {
			t.Errorf("PSQuote(%q) = %q, want %q", in, got, want)
		}
	}
	s := facts.SettingByID(facts.ClientAllowedNTLMServers)
	got := psAddMultiString(s, []string{"a'b", "C"}, false)
	want := `$k = 'HKLM:\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0'; $l = @((Get-ItemProperty -Path $k -ErrorAction SilentlyContinue).ClientAllowedNTLMServers | Where-Object { $_ }); foreach ($e in @('a''b','C')) { if ($l -notcontains $e) { $l += $e } }; Set-ItemProperty -Path $k -Name ClientAllowedNTLMServers -Type MultiString -Value ([string[]]$l)`
	if got != want {
		t.Errorf("psAddMultiString = %s", got)
	}
	if !strings.HasPrefix(psSetDWORD(facts.SettingByID(facts.SMBBlockNTLM), 0, true), "if (-not (Test-Path -Path 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\LanmanWorkstation')) { New-Item -Path 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\LanmanWorkstation' -Force | Out-Null }; Set-ItemProperty") {
		t.Error("policy key is not created first, or only when missing")
	}
}

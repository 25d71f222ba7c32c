package winrmtest

import (
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// TestCollectionPolicySources: the simulator answers the collector's RSoP
// section per lab host: which GPO sets which value, precedence, one value
// set by two GPOs, a tattooed value (in the registry, set by no GPO), and
// RSoP unavailable or failing.
func TestCollectionPolicySources(t *testing.T) {
	const (
		sending = `HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0\RestrictSendingNTLMTraffic`
		recv    = `HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0\AuditReceivingNTLMTraffic`
		block   = `HKLM\SOFTWARE\Policies\Microsoft\Windows\LanmanWorkstation\BlockNTLM`
	)
	lab, err := ParseLab([]byte(`
domains: [{name: corp.example, netbios: CORP, users: [{name: svc, password: pw-Lab-1}]}]
hosts:
  - name: DC01
    address: 127.0.9.20
    domain: corp.example
    domainController: true
    os: {caption: Windows Server 2022 Standard, build: 20348}
  - name: CORE01
    address: 127.0.9.21
    domain: corp.example
    os: {caption: Windows Server 2025 Standard, build: 26100}
    registry:
      - {path: '`+sending+`', type: REG_DWORD, value: 2}
      - {path: '`+recv+`', type: REG_DWORD, value: 1}
      - {path: '`+block+`', type: REG_DWORD, value: 1}
    rsop:
      gpos:
        - {name: NTLM Baseline, guid: "{11111111-2222-3333-4444-555555555555}", link: "OU=Cores,DC=corp,DC=example", sets: ['`+sending+`', '`+block+`']}
        - {name: Old Hardening, guid: "{AAAAAAAA-2222-3333-4444-555555555555}", sets: ['`+sending+`', 'HKLM\SYSTEM\CurrentControlSet\Control\Lsa\NotAsked']}
  - name: AGENT01
    address: 127.0.9.22
    domain: corp.example
    os: {caption: Windows Server 2022 Standard, build: 20348}
    rsop: {unavailable: true}
  - name: AGENT02
    address: 127.0.9.23
    domain: corp.example
    os: {caption: Windows Server 2022 Standard, build: 20348}
    rsop: {error: "Access denied"}
`), "rsop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := startLab(t, lab)
	req := facts.Request{Schema: facts.SchemaVersion, PolicySources: true}
	for _, id := range []string{facts.RestrictSendingNTLMTraffic, facts.AuditReceivingNTLMTraffic, facts.SMBBlockNTLM} {
		req.Registry = append(req.Registry, facts.SettingByID(id).RegistryKey())
	}
	src := func(host, id string) facts.Source {
		resp := collectFacts(t, srv, host, `CORP\svc`, "pw-Lab-1", collectionStdin(t, testCollector, &req))
		if resp.PolicySources == nil {
			t.Fatalf("%s: no policy sources", host)
		}
		return resp.SourceOf(facts.SettingByID(id).RegistryKey())
	}
	for _, tc := range []struct {
		host, id, want string
	}{
		{"CORE01", facts.RestrictSendingNTLMTraffic, `GPO "NTLM Baseline" {11111111-2222-3333-4444-555555555555} linked to OU=Cores,DC=corp,DC=example (also set by "Old Hardening" with lower precedence)`},
		{"CORE01", facts.SMBBlockNTLM, `GPO "NTLM Baseline" {11111111-2222-3333-4444-555555555555} linked to OU=Cores,DC=corp,DC=example`},
		{"CORE01", facts.AuditReceivingNTLMTraffic, "local policy or registry (no GPO sets it)"}, // tattooed
		{"AGENT01", facts.RestrictSendingNTLMTraffic, "unknown (RSoP unavailable)"},
		{"AGENT02", facts.RestrictSendingNTLMTraffic, "unknown (RSoP error: Access denied)"},
	} {
		if got := src(tc.host, tc.id).Text(); got != tc.want {
			t.Errorf("%s %s: source %q, want %q", tc.host, tc.id, got, tc.want)
		}
	}
	// Only the values asked are answered (Test-RsopWanted).
	resp := collectFacts(t, srv, "CORE01", `CORP\svc`, "pw-Lab-1", collectionStdin(t, testCollector, &req))
	for _, s := range resp.PolicySources.Settings {
		if strings.Contains(s.Path, "NotAsked") {
			t.Errorf("a value not asked for is answered: %+v", s)
		}
	}
	if len(resp.PolicySources.Settings) != 3 {
		t.Errorf("settings = %+v, want the 3 asked-for entries", resp.PolicySources.Settings)
	}
	// Not asked, not answered (old requests).
	req.PolicySources = false
	if resp := collectFacts(t, srv, "CORE01", `CORP\svc`, "pw-Lab-1", collectionStdin(t, testCollector, &req)); resp.PolicySources != nil {
		t.Errorf("policy sources answered unasked: %+v", resp.PolicySources)
	}
}

func TestLabRSoPValidation(t *testing.T) {
	_, err := ParseLab([]byte(`
hosts:
  - name: H1
    address: 127.0.9.30
    rsop: {gpos: [{name: X, guid: "not-a-guid", sets: ['SYSTEM\x']}]}
`), "bad.yaml")
	if err == nil || !strings.Contains(err.Error(), "bad.yaml") || !strings.Contains(err.Error(), "guid") || !strings.Contains(err.Error(), "HKLM") {
		t.Errorf("err = %v", err)
	}
}

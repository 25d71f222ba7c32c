package verdict

import (
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// smbProbe records an SMB probe answer on host.
func (l *lab) smbProbe(host string, p facts.SMBProbe) {
	if p.Vantage == "" {
		p.Vantage = facts.VantageController
	}
	if p.Target == "" {
		p.Target = strings.ToLower(host) + ":445"
	}
	l.results[host].SMB = &p
}

// TestSMBProbeRules: what the share host's SMB probe found decides whether
// the path needs NTLM and adds its own reasons; every such reason states the
// probe's vantage point; a probe that got no answer changes nothing.
func TestSMBProbeRules(t *testing.T) {
	t.Parallel()
	const (
		fsPath  = "CORE01|share|FS01|fs01.corp.example"
		nasPath = "CORE01|share|NAS01|nas01"
	)
	ntlmOnly := facts.SMBProbe{Dialect: "3.1.1", SigningEnabled: true, Mechanisms: []string{"ntlmssp"}}
	kerberos := facts.SMBProbe{Dialect: "3.1.1", SigningEnabled: true, Mechanisms: []string{"ms-kerberos", "kerberos", "ntlmssp"}}
	domainNAS := func(l *lab) {
		// NAS01 used with a domain account by FQDN.
		nas := l.host("NAS01")
		nas.FQDN = "nas01.corp.example"
		r := l.inv.Repositories[1]
		r.UNC, r.Server = `\\nas01.corp.example\archive`, "nas01.corp.example"
		r.Account = inventory.Account{Kind: inventory.AccountDomain, Name: `CORP\svc-rr`, Domain: "corp.example"}
		l.probe("CORE01", "nas01.corp.example", 445, true, "")
	}
	tests := []struct {
		name     string
		mut      func(l *lab)
		path     string
		need     Need
		needWhy  string
		verdict  Verdict
		reason   Effect // a smb-probe reason with this effect must exist
		explains string // in that reason
		fix      string // in that reason's remediation note or value
	}{
		{name: "no probe: unchanged", mut: func(*lab) {}, path: fsPath, need: NeedFallback, verdict: OK},
		{name: "probe without answer: unchanged",
			mut: func(l *lab) {
				l.smbProbe("FS01", facts.SMBProbe{Error: "connecting to fs01:445: connection refused"})
			}, path: fsPath, need: NeedFallback, verdict: OK},
		{name: "Kerberos offered by a domain member: still fallback-only, with an info reason",
			mut:  func(l *lab) { l.smbProbe("FS01", kerberos) },
			path: fsPath, need: NeedFallback, verdict: OK, reason: EffectInfo, explains: "offers ms-kerberos, kerberos, ntlmssp"},
		{name: "only NTLMSSP offered: required even by FQDN",
			mut:  func(l *lab) { l.smbProbe("FS01", ntlmOnly) },
			path: fsPath, need: NeedRequired, needWhy: "share host offers only NTLM (SMB probe)", verdict: OK, reason: EffectNeedsNTLM, explains: "offers only NTLMSSP"},
		{name: "workgroup NAS offering Kerberos, by FQDN with a domain account: Kerberos expected",
			mut:  func(l *lab) { domainNAS(l); l.smbProbe("NAS01", kerberos) },
			path: "CORE01|share|NAS01|nas01.corp.example", need: NeedFallback, needWhy: "offers Kerberos and is named by FQDN", verdict: OK, reason: EffectNeedsNTLM, explains: "Check the inventory's domain"},
		{name: "SMB1 only: at-risk with a dialect fix",
			mut: func(l *lab) {
				l.smbProbe("NAS01", facts.SMBProbe{SMB1Only: true, Mechanisms: []string{"ntlmssp"}})
			}, path: nasPath, need: NeedRequired, verdict: AtRisk, reason: EffectRisk, explains: "speaks only SMB1", fix: "SMB2/SMB3"},
		{name: "no signing offered, Core requires signing: blocked",
			mut: func(l *lab) {
				l.set("CORE01", facts.SMBClientRequireSigning, 1)
				l.smbProbe("NAS01", facts.SMBProbe{SMB1Only: true, Mechanisms: []string{"ntlmssp"}})
			}, path: nasPath, need: NeedRequired, verdict: Blocked, reason: EffectBlocks, explains: "STATUS_INVALID_SIGNATURE", fix: "do not turn off signing"},
		{name: "no signing offered, WS2025 Core with the default: at-risk",
			mut: func(l *lab) {
				l.build("CORE01", ws2025Build)
				l.smbProbe("NAS01", facts.SMBProbe{SMB1Only: true, Mechanisms: []string{"ntlmssp"}})
			}, path: nasPath, need: NeedRequired, verdict: AtRisk, reason: EffectRisk, explains: "requires SMB client signing by default"},
		{name: "NTLM refused by policy: blocked-suspected with the fix",
			mut: func(l *lab) {
				l.host("NAS01").Described.Platform = "samba"
				p := ntlmOnly
				p.Auth = []facts.SMBAuth{{Account: `NAS01\rr`, Outcome: facts.SMBAuthRefusedPolicy, Status: "STATUS_NTLM_BLOCKED"}}
				l.smbProbe("NAS01", p)
			}, path: nasPath, need: NeedRequired, verdict: BlockedSuspected, reason: EffectSuspected, explains: "STATUS_NTLM_BLOCKED", fix: "ntlm auth = ntlmv2-only"},
		{name: "wrong credential: information only",
			mut: func(l *lab) {
				p := ntlmOnly
				p.Auth = []facts.SMBAuth{{Account: `NAS01\rr`, Outcome: facts.SMBAuthWrongCredential, Status: "STATUS_LOGON_FAILURE"}}
				l.smbProbe("NAS01", p)
			}, path: nasPath, need: NeedRequired, verdict: OK, reason: EffectInfo, explains: "check the inventory's credential"},
		{name: "accepted: information only",
			mut: func(l *lab) {
				p := ntlmOnly
				p.Auth = []facts.SMBAuth{{Account: `nas01\RR`, Outcome: facts.SMBAuthAccepted, Status: "STATUS_SUCCESS"}}
				l.smbProbe("NAS01", p)
			}, path: nasPath, need: NeedRequired, verdict: OK, reason: EffectInfo, explains: `accepted an NTLM logon as nas01\RR`},
		{name: "guest session where signing is required: blocked",
			mut: func(l *lab) {
				p := ntlmOnly
				p.SigningRequired = true
				p.Auth = []facts.SMBAuth{{Account: `NAS01\rr`, Outcome: facts.SMBAuthGuest, Status: "STATUS_SUCCESS"}}
				l.smbProbe("NAS01", p)
			}, path: nasPath, need: NeedRequired, verdict: Blocked, reason: EffectBlocks, explains: "guest session cannot sign"},
		{name: "another account's logon is not this path's",
			mut: func(l *lab) {
				p := ntlmOnly
				p.Auth = []facts.SMBAuth{{Account: `NAS01\other`, Outcome: facts.SMBAuthRefusedPolicy, Status: "STATUS_NTLM_BLOCKED"}}
				l.smbProbe("NAS01", p)
			}, path: nasPath, need: NeedRequired, verdict: OK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			tc.mut(l)
			p := findPath(t, l.eval(Options{}), tc.path)
			if p.Need != tc.need || !strings.Contains(p.NeedWhy, tc.needWhy) || p.Verdict != tc.verdict {
				t.Errorf("need %s (%s), verdict %s; want %s (%q), %s", p.Need, p.NeedWhy, p.Verdict, tc.need, tc.needWhy, tc.verdict)
			}
			var found *Reason
			for i, r := range p.Reasons {
				if r.Setting != SettingSMBProbe {
					continue
				}
				if !strings.Contains(r.Explanation, "from the controller running ntlmscan, not from CORE01") && !strings.Contains(r.Explanation, "did not settle") {
					t.Errorf("reason does not state the probe's vantage point: %s", r.Explanation)
				}
				if r.Effect == tc.reason && strings.Contains(r.Explanation, tc.explains) {
					found = &p.Reasons[i]
				}
			}
			if tc.reason == "" {
				for _, r := range p.Reasons {
					if r.Setting == SettingSMBProbe && r.Effect != EffectInfo && r.Effect != EffectNeedsNTLM {
						t.Errorf("unexpected probe reason %s: %s", r.Effect, r.Explanation)
					}
				}
				return
			}
			if found == nil {
				t.Fatalf("no %s smb-probe reason mentioning %q in %+v", tc.reason, tc.explains, p.Reasons)
			}
			if tc.fix != "" {
				if found.Remediation == nil || !strings.Contains(found.Remediation.Note+found.Remediation.Value, tc.fix) {
					t.Errorf("fix %+v does not mention %q", found.Remediation, tc.fix)
				}
			}
		})
	}
}

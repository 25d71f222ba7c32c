package verdict

import (
	"slices"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// Path IDs of the base lab.
const (
	pA1  = "CORE01|agent|AGENT01|agent01.corp.example" // FQDN: Kerberos expected
	pA2  = "CORE01|agent|AGENT02|10.0.0.32"            // IP: NTLM required
	pA3  = "CORE01|agent|AGENT03|AGENT03"              // NetBIOS name
	pWG  = "CORE01|agent|WG01|wg01"                    // workgroup, local account
	pFS  = "CORE01|share|FS01|fs01.corp.example"       // share by FQDN
	pNAS = "CORE01|share|NAS01|nas01"                  // NAS share, local account
)

// addDomain adds a domain with one scanned DC.
func (l *lab) addDomain(name, netbios, forest, dc string, trusts ...string) *inventory.Domain {
	d := &inventory.Domain{Name: name, NetBIOS: netbios, Forest: forest, Trusts: trusts}
	l.inv.Domains = append(l.inv.Domains, d)
	if dc != "" {
		d.Controllers = append(d.Controllers, l.addHost(dc, inventory.RoleDomainController, name))
	}
	return d
}

// addForeignAgent adds agent name in domain, linked from CORE01 by nameUsed.
func (l *lab) addForeignAgent(name, domain, nameUsed string) {
	l.addAgent(l.core("CORE01"), l.addHost(name, inventory.RoleAgent, domain), nameUsed)
}

func boolPtr(b bool) *bool { return &b }

type ruleCase struct {
	name string
	rule string // what it covers: a check number (see path.go) or a topic
	opts Options
	mut  func(l *lab)
	path string
	want Verdict
	need Need // checked when set
	// The deciding reason: host and setting ("" host = no deciding reason).
	host, setting string
	unconfirmed   bool // the deciding reason must be Unconfirmed
	check         func(t *testing.T, p *Path, m *Matrix)
}

func ruleCases() []ruleCase {
	deny := func(l *lab) { l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2) }
	denyWith := func(entries ...string) func(*lab) {
		return func(l *lab) { deny(l); l.set("CORE01", facts.ClientAllowedNTLMServers, entries) }
	}
	smbBlock := func(entries ...string) func(*lab) {
		return func(l *lab) {
			l.build("CORE01", ws2025Build)
			l.set("CORE01", facts.SMBBlockNTLM, 1)
			l.smbCmdlet("CORE01", boolPtr(true))
			if entries != nil {
				l.set("CORE01", facts.SMBBlockNTLMServerExceptionList, entries)
			}
		}
	}
	dc := func(host string, v int, exceptions ...string) func(*lab) {
		return func(l *lab) {
			l.set(host, facts.RestrictNTLMInDomain, v)
			if exceptions != nil {
				l.set(host, facts.DCAllowedNTLMServers, exceptions)
			}
		}
	}
	dcs := func(v int, exceptions ...string) func(*lab) {
		return func(l *lab) { dc("DC01", v, exceptions...)(l); dc("DC02", v, exceptions...)(l) }
	}
	noDCs := func(l *lab) {
		l.inv.Domains[0].Controllers = nil
		var hosts []*inventory.Host
		for _, h := range l.inv.Hosts {
			if h.Role != inventory.RoleDomainController {
				hosts = append(hosts, h)
			}
		}
		l.inv.Hosts = hosts
	}
	refusedByPolicy := func(host string) func(*lab) {
		return func(l *lab) {
			l.results[host] = &facts.HostResult{Host: host, Error: &facts.HostError{Class: facts.ErrAuthNTLMPolicy, Message: "401 although the same account logged on elsewhere"}}
		}
	}
	both := func(fs ...func(*lab)) func(*lab) {
		return func(l *lab) {
			for _, f := range fs {
				f(l)
			}
		}
	}
	explains := func(sub string) func(*testing.T, *Path, *Matrix) {
		return func(t *testing.T, p *Path, _ *Matrix) {
			if !strings.Contains(p.Deciding.Explanation, sub) {
				t.Errorf("deciding explanation lacks %q:\n%s", sub, p.Deciding.Explanation)
			}
		}
	}
	reason := func(host, setting string, eff Effect) func(*testing.T, *Path, *Matrix) {
		return func(t *testing.T, p *Path, _ *Matrix) {
			if !hasReason(p, host, setting, eff) {
				t.Errorf("no %s reason %s/%s", eff, host, setting)
			}
		}
	}
	const send, exc = "RestrictSendingNTLMTraffic", "ClientAllowedNTLMServers"
	const recv, rid, dca = "RestrictReceivingNTLMTraffic", "RestrictNTLMInDomain", "DCAllowedNTLMServers"

	return []ruleCase{
		// Does the path need NTLM?
		{name: "fqdn is Kerberos expected", rule: "NTLM need", path: pA1, want: OK, need: NeedFallback},
		{name: "netbios is Kerberos expected", rule: "NTLM need", path: pA3, want: OK, need: NeedFallback},
		{name: "ip requires NTLM", rule: "NTLM need IP", path: pA2, want: OK, need: NeedRequired,
			check: reason("CORE01", SettingNameUsed, EffectNeedsNTLM)},
		{name: "workgroup requires NTLM", rule: "NTLM need workgroup", path: pWG, want: OK, need: NeedRequired,
			check: reason("WG01", SettingDomain, EffectNeedsNTLM)},
		{name: "nas requires NTLM", rule: "NTLM need NAS", path: pNAS, want: OK, need: NeedRequired},
		{name: "local account on a domain member requires NTLM", rule: "NTLM need local account", path: pA1, need: NeedRequired, want: OK,
			mut: func(l *lab) {
				l.core("CORE01").Agents[0].Account = inventory.Account{Kind: inventory.AccountLocal, Name: `AGENT01\rr`}
			},
			check: reason("AGENT01", SettingAccount, EffectNeedsNTLM)},
		{name: "TryIPSPN alone keeps an IP path NTLM-required", rule: "NTLM need TryIPSPN", path: pA2, want: OK, need: NeedRequired,
			mut: func(l *lab) { l.set("CORE01", facts.TryIPSPN, 1) },
			check: func(t *testing.T, p *Path, _ *Matrix) {
				for _, r := range p.Reasons {
					if r.Setting == "TryIPSPN" && r.Effect == EffectNeedsNTLM && strings.Contains(r.Explanation, "setspn -Q 'HOST/10.0.0.32'") {
						return
					}
				}
				t.Error("no TryIPSPN need reason saying how to verify the IP SPN")
			}},
		{name: "TryIPSPN with Deny all is blocked", rule: "NTLM need TryIPSPN + #1", path: pA2, want: Blocked, need: NeedRequired,
			mut: both(deny, func(l *lab) { l.set("CORE01", facts.TryIPSPN, 1) }), host: "CORE01", setting: send},
		{name: "alias name is fallback-only", rule: "NTLM need CNAME", path: "CORE01|agent|AGENT01|backup.corp.example", want: OK, need: NeedFallback,
			mut: func(l *lab) { l.addAgent(l.core("CORE01"), l.host("AGENT01"), "backup.corp.example") },
			check: func(t *testing.T, p *Path, _ *Matrix) {
				if p.NameForm != NameOther {
					t.Errorf("name form = %s", p.NameForm)
				}
			}},
		{name: "other forest without trust requires NTLM and validates locally", rule: "NTLM need cross-forest, who validates untrusted", path: "CORE01|agent|XF01|xf01.other.example",
			want: AtRisk, need: NeedRequired, host: "XF01", setting: SettingTrust,
			mut: func(l *lab) {
				l.addDomain("other.example", "OTHER", "", "ODC01")
				l.addForeignAgent("XF01", "other.example", "xf01.other.example")
			}},
		{name: "other forest with trust is fallback-only", rule: "NTLM need cross-forest trust", path: "CORE01|agent|XF01|xf01.other.example",
			want: OK, need: NeedFallback,
			mut: func(l *lab) {
				l.addDomain("other.example", "OTHER", "", "ODC01", "corp.example")
				l.addForeignAgent("XF01", "other.example", "xf01.other.example")
			}},
		{name: "domain missing from inventory: need unknown, DCs not checked", rule: "NTLM need, who validates", path: "CORE01|agent|XF01|xf01.lost.example",
			want: OK, need: NeedUnknown, check: reason("lost.example", rid, EffectNotChecked),
			mut: func(l *lab) { l.addForeignAgent("XF01", "lost.example", "xf01.lost.example") }},

		// Check #1 (see path.go): outgoing restriction on the Core.
		{name: "outgoing allow all (explicit 0)", rule: "#1 0", path: pA2, want: OK,
			mut: func(l *lab) { l.set("CORE01", facts.RestrictSendingNTLMTraffic, 0) }},
		{name: "outgoing audit is ok with a note", rule: "#1 audit", path: pA2, want: OK,
			mut:   func(l *lab) { l.set("CORE01", facts.RestrictSendingNTLMTraffic, 1) },
			check: reason("CORE01", send, EffectAudit)},
		{name: "outgoing deny blocks an IP path", rule: "#1 deny", path: pA2, want: Blocked, host: "CORE01", setting: send, mut: deny,
			check: func(t *testing.T, p *Path, _ *Matrix) {
				if p.Deciding.Event != "4001 on CORE01" || p.Deciding.Remediation == nil {
					t.Errorf("event %q remediation %v", p.Deciding.Event, p.Deciding.Remediation)
				}
			}},
		{name: "outgoing deny on a fallback path is at-risk", rule: "#1 deny, NTLM need fallback", path: pA1, want: AtRisk, host: "CORE01", setting: send, mut: deny,
			check: explains("works while Kerberos works")},
		{name: "exception by FQDN used", rule: "exception match FQDN", path: pA1, want: OK, mut: denyWith("agent01.corp.example"),
			check: reason("CORE01", exc, EffectAllows)},
		{name: "exception by NetBIOS name used", rule: "exception match NetBIOS", path: pA3, want: OK, mut: denyWith("AGENT03")},
		{name: "exception lists only the other name form (fallback path)", rule: "exception match name forms", path: pA1, want: AtRisk, host: "CORE01", setting: exc,
			mut: denyWith("AGENT01"), check: explains("listed under another name")},
		{name: "exception lists only the FQDN of a workgroup host named by NetBIOS", rule: "exception match name forms", path: "CORE01|agent|WG02|WG02", want: Blocked, host: "CORE01", setting: exc,
			mut: both(denyWith("wg02.dmz.example"), func(l *lab) {
				h := l.addHost("WG02", inventory.RoleAgent, "")
				h.FQDN = "wg02.dmz.example"
				l.addAgent(l.core("CORE01"), h, "WG02").Account = inventory.Account{Kind: inventory.AccountLocal, Name: `WG02\rr`}
			}),
			check: func(t *testing.T, p *Path, _ *Matrix) {
				if !strings.Contains(p.Deciding.Explanation, "listed under another name") || p.Deciding.Remediation == nil ||
					!strings.Contains(p.Deciding.Remediation.Note, "exact name the Core uses") || !slices.Contains(p.Deciding.Remediation.Add, "WG02") {
					t.Errorf("deciding reason lacks the other-name reason or the exact-name fix:\n%s", dumpPath(p))
				}
			}},
		{name: "NetBIOS entry compared with the scanned NetBIOS name, not the first DNS label", rule: "exception match NetBIOS", path: "CORE01|agent|BK07|10.0.0.77", want: Blocked, host: "DC01", setting: dca,
			mut: both(dcs(7, "BACKUP-AGENT-07"), func(l *lab) {
				h := l.addHost("BK07", inventory.RoleAgent, "corp.example")
				h.FQDN, h.NetBIOS = "backup-agent-07.corp.example", "BACKUP-AGENT-07" // the inventory derives it from the FQDN
				l.facts("BK07").Identity.NetBIOSName = "BKAGENT07"
				l.facts("BK07").Identity.DNSHostName = "backup-agent-07"
				l.addAgent(l.core("CORE01"), h, "10.0.0.77")
			}),
			check: explains("BKAGENT07")},
		{name: "exception matches only the literal IP", rule: "exception match IP UNCONFIRMED", path: pA2, want: OK,
			mut: denyWith("10.0.0.32"), check: func(t *testing.T, p *Path, m *Matrix) { reasonHas("UNCONFIRMED", "literal IP")(t, p, m) }},
		{name: "wildcard over an IP", rule: "exception match wildcard IP", path: pA2, want: AtRisk, host: "CORE01", setting: exc, unconfirmed: true,
			mut: denyWith("10.0.0.*")},
		{name: "IP path with FQDN and NetBIOS exceptions only is listed under another name", rule: "exception match name used", path: pA2, want: Blocked, host: "CORE01", setting: exc,
			mut: denyWith("agent02.corp.example", "AGENT02"), check: explains("listed under another name")},
		{name: "leading wildcard over a name", rule: "exception match wildcard", path: pA1, want: OK, mut: denyWith("*.corp.example")},
		{name: "trailing wildcard over a name", rule: "exception match wildcard", path: pA1, want: OK, mut: denyWith("agent*")},
		{name: "wildcard in the middle", rule: "exception match wildcard", path: pA1, want: OK, mut: denyWith("agent01.*.example")},
		{name: "two wildcards are UNCONFIRMED", rule: "exception match single *", path: pA1, want: AtRisk, host: "CORE01", setting: exc, unconfirmed: true,
			mut: denyWith("*agent*.corp.example")},
		{name: "case-only match exempts (names compare case-insensitively)", rule: "exception match case", path: pA1, want: OK,
			mut: denyWith("AGENT01.CORP.EXAMPLE")},
		{name: "SPN-form entry is UNCONFIRMED", rule: "exception match SPN form", path: pA1, want: AtRisk, host: "CORE01", setting: exc, unconfirmed: true,
			mut: denyWith("HTTP/agent01.corp.example")},
		{name: "non-matching exception blocks", rule: "exception match", path: pA2, want: Blocked, host: "CORE01", setting: send, mut: denyWith("agent01.corp.example", "AGENT01")},
		{name: "undocumented outgoing value", rule: "policy", path: pA2, want: AtRisk, host: "CORE01", setting: send, unconfirmed: true,
			mut: func(l *lab) { l.set("CORE01", facts.RestrictSendingNTLMTraffic, 3) }},
		{name: "unreadable exception list", rule: "registry read", path: pA2, want: Unknown, host: "CORE01", setting: exc,
			mut: func(l *lab) { deny(l); l.setError("CORE01", facts.ClientAllowedNTLMServers, "access denied") }},

		// Check #2: SMB client BlockNTLM.
		{name: "SMB BlockNTLM blocks a NAS share", rule: "SMB Block NTLM", path: pNAS, want: Blocked, host: "CORE01", setting: "BlockNTLM", mut: smbBlock()},
		{name: "SMB BlockNTLM with NAS exception", rule: "SMB Block NTLM exception", path: pNAS, want: OK, mut: smbBlock("nas01"),
			check: reason("CORE01", "BlockNTLMServerExceptionList", EffectAllows)},
		{name: "SMB BlockNTLM with IP exception for an IP UNC", rule: "SMB Block NTLM IP exception", path: "CORE01|share|NAS01|10.0.0.42", want: OK,
			mut: both(smbBlock("10.0.0.42"), func(l *lab) {
				l.addRepo(l.core("CORE01"), l.host("NAS01"), `\\10.0.0.42\archive`, inventory.Account{Kind: inventory.AccountLocal, Name: `NAS01\rr`})
			})},
		{name: "SMB BlockNTLM exception case-only", rule: "SMB Block NTLM case", path: pNAS, want: OK, mut: smbBlock("NAS01")},
		{name: "SMB BlockNTLM exception under another name", rule: "exception match SMB list", path: pFS, want: AtRisk, host: "CORE01", setting: "BlockNTLM", mut: smbBlock("FS01"),
			check: explains("listed under another name")},
		{name: "SMB BlockNTLM exception wildcard", rule: "SMB Block NTLM wildcard", path: pNAS, want: AtRisk, host: "CORE01", setting: "BlockNTLM", unconfirmed: true, mut: smbBlock("nas*")},
		{name: "SMB BlockNTLM on a Kerberos share without exception", rule: "SMB Block NTLM fallback", path: pFS, want: AtRisk, host: "CORE01", setting: "BlockNTLM", mut: smbBlock()},
		{name: "SMB BlockNTLM with FQDN exception", rule: "SMB Block NTLM", path: pFS, want: OK, mut: smbBlock("fs01.corp.example")},
		{name: "SMB BlockNTLM does not touch agent paths", rule: "SMB Block NTLM scope", path: pA2, want: OK, mut: smbBlock()},
		{name: "SMB BlockNTLM before build 26100 has no effect", rule: "SMB Block NTLM OS", path: pNAS, want: OK,
			mut:   func(l *lab) { l.set("CORE01", facts.SMBBlockNTLM, 1) },
			check: reason("CORE01", "BlockNTLM", EffectInfo)},
		{name: "SMB BlockNTLM from the cmdlet only", rule: "SMB Block NTLM cmdlet", path: pNAS, want: Blocked, host: "CORE01", setting: "BlockNTLM",
			mut: func(l *lab) { l.build("CORE01", ws2025Build); l.smbCmdlet("CORE01", boolPtr(true)) },
			check: func(t *testing.T, p *Path, _ *Matrix) {
				if !strings.Contains(p.Deciding.GPOName, "SmbClientConfiguration") {
					t.Errorf("GPOName = %q", p.Deciding.GPOName)
				}
			}},
		{name: "SMB policy and cmdlet disagree", rule: "SMB Block NTLM UNCONFIRMED persistence", path: pNAS, want: AtRisk, host: "CORE01", setting: "BlockNTLM", unconfirmed: true,
			mut: func(l *lab) {
				l.build("CORE01", ws2025Build)
				l.set("CORE01", facts.SMBBlockNTLM, 1)
				l.smbCmdlet("CORE01", boolPtr(false))
			}},
		{name: "SMB cmdlet output missing on 26100", rule: "SMB Block NTLM", path: pNAS, want: Unknown, host: "CORE01", setting: "BlockNTLM",
			mut: func(l *lab) { l.build("CORE01", ws2025Build); l.facts("CORE01").SMBClient = nil }},

		// Check #5: incoming on the target.
		{name: "incoming deny all accounts on a fallback path", rule: "#5 2", path: pA1, want: AtRisk, host: "AGENT01", setting: recv,
			mut: func(l *lab) { l.set("AGENT01", facts.RestrictReceivingNTLMTraffic, 2) }},
		{name: "incoming deny all accounts on an IP path", rule: "#5 2", path: pA2, want: Blocked, host: "AGENT02", setting: recv,
			mut: func(l *lab) { l.set("AGENT02", facts.RestrictReceivingNTLMTraffic, 2) }},
		{name: "incoming deny domain accounts blocks a domain account", rule: "#5 1, who validates", path: pA2, want: Blocked, host: "AGENT02", setting: recv,
			mut: func(l *lab) { l.set("AGENT02", facts.RestrictReceivingNTLMTraffic, 1) }},
		{name: "incoming deny domain accounts allows a local account", rule: "who validates local", path: pWG, want: OK,
			mut:   func(l *lab) { l.set("WG01", facts.RestrictReceivingNTLMTraffic, 1) },
			check: reason("WG01", recv, EffectAllows)},
		{name: "incoming deny all blocks a local account", rule: "who validates local", path: pWG, want: Blocked, host: "WG01", setting: recv,
			mut: func(l *lab) { l.set("WG01", facts.RestrictReceivingNTLMTraffic, 2) }},
		{name: "incoming deny domain accounts blocks LocalSystem (CORE$)", rule: "LocalSystem identity", path: pA2, want: Blocked, host: "AGENT02", setting: recv,
			mut: func(l *lab) {
				l.core("CORE01").Account = inventory.Account{Kind: inventory.AccountLocalSystem, Name: "LocalSystem", Domain: "corp.example"}
				l.set("AGENT02", facts.RestrictReceivingNTLMTraffic, 1)
			}},
		{name: "incoming audit is ok with a note", rule: "policy audit incoming", path: pA2, want: OK,
			mut:   func(l *lab) { l.set("AGENT02", facts.AuditReceivingNTLMTraffic, 2) },
			check: reason("AGENT02", "AuditReceivingNTLMTraffic", EffectAudit)},

		// Check #7: RestrictNTLMInDomain on the DCs of the target's domain.
		{name: "one of two DCs restricting is at-risk, intermittently", rule: "DC restriction 1, per-DC", path: pA2, want: AtRisk, host: "DC02", setting: rid,
			mut: dc("DC02", 1), check: explains("intermittent")},
		{name: "both DCs restricting", rule: "DC restriction", path: pA2, want: Blocked, host: "DC01", setting: rid,
			mut: both(dc("DC01", 1), dc("DC02", 1)),
			check: func(t *testing.T, p *Path, _ *Matrix) {
				if strings.Contains(p.Deciding.Explanation, "intermittent") {
					t.Error("every DC blocks: not intermittent")
				}
			}},
		{name: "deny for domain accounts (3)", rule: "DC restriction 3", path: pA2, want: Blocked, host: "DC01", setting: rid, mut: dcs(3)},
		{name: "deny for domain servers (5)", rule: "DC restriction 5", path: pA2, want: Blocked, host: "DC01", setting: rid, mut: dcs(5)},
		{name: "deny all (7)", rule: "DC restriction 7", path: pA2, want: Blocked, host: "DC01", setting: rid, mut: dcs(7)},
		{name: "disable (0)", rule: "DC restriction 0", path: pA2, want: OK, mut: dc("DC02", 0)},
		{name: "undocumented domain value", rule: "DC restriction bitmask UNCONFIRMED", path: pA2, want: AtRisk, host: "DC02", setting: rid, unconfirmed: true, mut: dc("DC02", 2)},
		{name: "DC exception by NetBIOS name", rule: "exception match DC list", path: pA2, want: OK, mut: dc("DC02", 1, "AGENT02"),
			check: reason("DC02", dca, EffectAllows)},
		{name: "DC exception with a wildcard", rule: "exception match DC wildcard", path: pA2, want: OK, mut: dc("DC02", 5, "AGENT0*")},
		{name: "DC exception under deny all (7) is at-risk", rule: "DC restriction 3/7 with exception", path: pA2, want: AtRisk, host: "DC02", setting: rid, unconfirmed: true,
			mut: dc("DC02", 7, "AGENT02")},
		{name: "DC exception differs in case", rule: "exception match DC case", path: pA2, want: OK, mut: dcs(1, "agent02")},
		{name: "DC exception by FQDN is listed under another name", rule: "exception match DC NetBIOS format", path: pA2, want: Blocked, host: "DC01", setting: dca,
			mut: dcs(1, "agent02.corp.example"), check: explains("listed under another name")},
		{name: "DC exception by FQDN on one of two DCs", rule: "exception match DC NetBIOS format", path: pA2, want: AtRisk, host: "DC02", setting: dca,
			mut: dc("DC02", 1, "agent02.corp.example")},
		{name: "DC exception for another server", rule: "DC restriction", path: pA2, want: Blocked, host: "DC01", setting: rid, mut: dcs(1, "AGENT01", "FS01")},
		{name: "DC restriction on a fallback path", rule: "DC restriction, NTLM need", path: pA1, want: AtRisk, host: "DC02", setting: rid, mut: dc("DC02", 1)},
		{name: "DC restriction does not touch local accounts", rule: "who validates local", path: pWG, want: OK, mut: dc("DC02", 7)},
		{name: "DC restriction does not touch a workgroup NAS", rule: "who validates NAS", path: pNAS, want: OK, mut: dc("DC02", 7)},
		{name: "DC audit is ok with a note", rule: "DC restriction audit", path: pA2, want: OK,
			mut: func(l *lab) { l.set("DC01", facts.AuditNTLMInDomain, 7) }, check: reason("DC01", "AuditNTLMInDomain", EffectAudit)},
		{name: "unscanned DC is not verified", rule: "who validates every DC", path: pA2, want: Unknown, host: "DC02", setting: SettingScan,
			mut: func(l *lab) { l.unscan("DC02") }},
		{name: "unscanned DC and a blocking DC is unknown", rule: "who validates", path: pA2, want: Unknown, host: "DC02", setting: SettingScan,
			mut: both(func(l *lab) { l.unscan("DC02") }, dc("DC01", 1)), check: reason("DC01", rid, EffectRisk)},
		{name: "no DC in the inventory: ok stays ok, with a coverage note", rule: "who validates not verified", path: pA2, want: OK,
			mut: noDCs,
			check: func(t *testing.T, p *Path, m *Matrix) {
				if !hasReason(p, "corp.example", rid, EffectNotChecked) {
					t.Errorf("no coverage reason on the path:\n%s", dumpPath(p))
				}
				if len(m.Coverage) != 1 || m.Coverage[0].Domain != "corp.example" || !strings.Contains(m.Coverage[0].Note, "Pass-through on DCs of corp.example not checked: add them") {
					t.Errorf("coverage = %+v", m.Coverage)
				}
			}},
		{name: "no DC in the inventory, strict: at-risk", rule: "who validates not verified", opts: Options{Strict: true}, path: pA2, want: AtRisk, host: "corp.example", setting: rid,
			mut: both(noDCs, func(l *lab) {
				l.set("CORE01", facts.RestrictSendingNTLMTraffic, 0)
				l.set("AGENT02", facts.RestrictReceivingNTLMTraffic, 0)
			}), check: reason("corp.example", rid, EffectRisk)},
		{name: "no DC in the inventory does not hide a block", rule: "who validates not verified", path: pA2, want: Blocked, host: "CORE01", setting: send,
			mut: both(noDCs, deny)},
		{name: "no DC in the inventory (old shape)", rule: "who validates not verified", path: pA2, want: OK,
			mut: func(l *lab) {
				l.inv.Domains[0].Controllers = nil
				var hosts []*inventory.Host
				for _, h := range l.inv.Hosts {
					if h.Role != inventory.RoleDomainController {
						hosts = append(hosts, h)
					}
				}
				l.inv.Hosts = hosts
			}},
		{name: "resource DC value 1 ignores another domain's account", rule: "DC restriction 1 cross-domain", path: "CORE01|agent|XA01|10.1.0.5", want: OK,
			mut: both(func(l *lab) {
				l.addDomain("child.corp.example", "CHILD", "corp.example", "CDC01")
				l.addForeignAgent("XA01", "child.corp.example", "10.1.0.5")
			}, dc("CDC01", 1)), check: reason("CDC01", rid, EffectInfo)},
		{name: "resource DC deny for domain servers blocks another domain's account", rule: "DC restriction 5 cross-domain", path: "CORE01|agent|XA01|10.1.0.5",
			want: Blocked, host: "CDC01", setting: rid,
			mut: both(func(l *lab) {
				l.addDomain("child.corp.example", "CHILD", "corp.example", "CDC01")
				l.addForeignAgent("XA01", "child.corp.example", "10.1.0.5")
			}, dc("CDC01", 5))},
		{name: "account-domain DC deny for domain accounts", rule: "#8, DC restriction 3", path: "CORE01|agent|XA01|10.1.0.5",
			want: Blocked, host: "DC01", setting: rid,
			mut: both(func(l *lab) {
				l.addDomain("child.corp.example", "CHILD", "corp.example", "CDC01")
				l.addForeignAgent("XA01", "child.corp.example", "10.1.0.5")
			}, dcs(3))},
		{name: "account-domain DC value 1 ignores servers of another domain", rule: "DC restriction 1", path: "CORE01|agent|XA01|10.1.0.5", want: OK,
			mut: both(func(l *lab) {
				l.addDomain("child.corp.example", "CHILD", "corp.example", "CDC01")
				l.addForeignAgent("XA01", "child.corp.example", "10.1.0.5")
			}, dc("DC01", 1))},
		{name: "account-domain exception is UNCONFIRMED", rule: "DC restriction exception cross-domain", path: "CORE01|agent|XA01|10.1.0.5",
			want: AtRisk, host: "DC01", setting: rid, unconfirmed: true,
			mut: both(func(l *lab) {
				l.addDomain("child.corp.example", "CHILD", "corp.example", "CDC01")
				l.addForeignAgent("XA01", "child.corp.example", "10.1.0.5")
			}, dc("DC01", 3, "XA01"), dc("DC02", 3, "XA01"))},

		{name: "untrusted foreign account asks no DC", rule: "who validates untrusted", path: "CORE01|agent|XF01|10.2.0.5",
			want: AtRisk, need: NeedRequired, host: "XF01", setting: SettingTrust,
			mut: both(func(l *lab) {
				l.addDomain("other.example", "OTHER", "", "ODC01")
				l.addForeignAgent("XF01", "other.example", "10.2.0.5")
			}, dc("ODC01", 7), dc("DC01", 7)),
			check: func(t *testing.T, p *Path, _ *Matrix) {
				for _, r := range p.Reasons {
					if r.Role == RoleDC {
						t.Errorf("DC reason on an untrusted path: %s", r.Explanation)
					}
				}
			}},
		{name: "agent on a DC: the DC validates its own logons", rule: "who validates: target is a DC", path: "CORE01|agent|DC01|10.0.0.11", want: OK,
			mut: both(func(l *lab) { l.addAgent(l.core("CORE01"), l.host("DC01"), "10.0.0.11") }, dc("DC02", 7))},
		{name: "agent on a restricting DC", rule: "who validates: target is a DC", path: "CORE01|agent|DC01|10.0.0.11", want: Blocked, host: "DC01", setting: rid,
			mut: both(func(l *lab) { l.addAgent(l.core("CORE01"), l.host("DC01"), "10.0.0.11") }, dc("DC01", 1)),
			check: func(t *testing.T, p *Path, _ *Matrix) {
				if !strings.Contains(p.Deciding.Event, "UNCONFIRMED") {
					t.Errorf("event %q should say which event is UNCONFIRMED", p.Deciding.Event)
				}
			}},
		{name: "domain-joined NAS behind a restricting DC is UNCONFIRMED", rule: "who validates NAS joined to AD", path: "CORE01|share|NAS02|nas02.corp.example",
			want: AtRisk, host: "DC02", setting: rid, unconfirmed: true,
			mut: both(func(l *lab) {
				nas := l.addDescribed("NAS02", "corp.example", &inventory.Described{Platform: "samba"})
				nas.FQDN = "nas02.corp.example"
				l.addRepo(l.core("CORE01"), nas, `\\nas02.corp.example\share`, inventory.Account{Kind: inventory.AccountDomain, Name: `CORP\svc-rr`, Domain: "corp.example"})
			}, dc("DC02", 1))},

		{name: "account domain from DOMAIN\\user", rule: "who validates", path: pA2, want: Blocked, host: "DC01", setting: rid,
			mut: both(func(l *lab) { l.core("CORE01").Account = inventory.Account{Name: `CORP\svc-rr`} }, dcs(1))},
		{name: "account domain from user@domain", rule: "who validates", path: pA2, want: Blocked, host: "DC01", setting: rid,
			mut: both(func(l *lab) {
				l.core("CORE01").Account = inventory.Account{Kind: inventory.AccountDomain, Name: "svc-rr@corp.example"}
			}, dcs(1))},
		{name: "SPN target name hardening with an IP share name", rule: "adjacent settings SmbServerNameHardeningLevel", path: "CORE01|share|FS01|10.0.0.41",
			want: AtRisk, host: "FS01", setting: "SmbServerNameHardeningLevel", unconfirmed: true,
			mut: func(l *lab) {
				l.addRepo(l.core("CORE01"), l.host("FS01"), `\\10.0.0.41\Repo`, inventory.Account{Kind: inventory.AccountDomain, Name: `CORP\svc-rr`, Domain: "corp.example"})
				l.set("FS01", facts.SmbServerNameHardeningLevel, 2)
			}},
		{name: "SPN target name hardening with the FQDN", rule: "adjacent settings", path: pFS, want: OK,
			mut: func(l *lab) { l.set("FS01", facts.SmbServerNameHardeningLevel, 2) }},

		// Checks #3, #4, #6 and #11: LM level and minimum session security.
		{name: "client level 2 against one of two DCs at 5", rule: "LM level 0-2 vs 5", path: pA2, want: AtRisk, host: "DC01", setting: "LmCompatibilityLevel",
			mut: func(l *lab) {
				l.set("CORE01", facts.LmCompatibilityLevel, 2)
				l.set("DC01", facts.LmCompatibilityLevel, 5)
			},
			check: explains("intermittent")},
		{name: "client level 1 against a DC at 4", rule: "LM level 0-1 vs 4", path: pA2, want: OK,
			mut: func(l *lab) {
				l.set("CORE01", facts.LmCompatibilityLevel, 1)
				l.set("DC01", facts.LmCompatibilityLevel, 4)
				l.set("DC02", facts.LmCompatibilityLevel, 4)
			}},
		{name: "client level 2 on build 26100 (NTLMv1 removed)", rule: "LM level NTLMv1 removal", path: pA2, want: AtRisk, host: "CORE01", setting: "LmCompatibilityLevel", unconfirmed: true,
			mut: func(l *lab) { l.build("CORE01", ws2025Build); l.set("CORE01", facts.LmCompatibilityLevel, 2) }},
		{name: "NTLMv2 client against an NTLMv1-only NAS", rule: "LM level >=3 vs v1-only", path: pNAS, want: Blocked, host: "NAS01", setting: SettingDescribed,
			mut: func(l *lab) { l.host("NAS01").Described.NTLMv1Only = true }},
		{name: "client level 2 against an undescribed NAS level", rule: "who validates NAS unknown property", path: pNAS, want: Unknown, host: "NAS01", setting: SettingDescribed,
			mut: func(l *lab) { l.set("CORE01", facts.LmCompatibilityLevel, 2) }},
		{name: "client level 2 against a NAS at 5", rule: "LM level 0-2 vs 5 (NAS)", path: pNAS, want: Blocked, host: "NAS01", setting: SettingDescribed,
			mut: func(l *lab) {
				l.set("CORE01", facts.LmCompatibilityLevel, 2)
				five := 5
				l.host("NAS01").Described.LmCompatibilityLevel = &five
			}},
		{name: "client level 2 against a local account on a server at 5", rule: "#11 local account: the server is the authority", path: pWG, want: Blocked, host: "WG01", setting: "LmCompatibilityLevel",
			mut: func(l *lab) {
				l.set("CORE01", facts.LmCompatibilityLevel, 2)
				l.set("WG01", facts.LmCompatibilityLevel, 5)
			}},
		{name: "client level 0 requiring NTLMv2 session security", rule: "min session security", path: pA2, want: AtRisk, host: "CORE01", setting: "NTLMMinClientSec", unconfirmed: true,
			mut: func(l *lab) {
				l.set("CORE01", facts.LmCompatibilityLevel, 0)
				l.set("CORE01", facts.NtlmMinClientSec, 0x20080000)
			}},
		{name: "server requiring NTLMv2 session security from a level 0 client", rule: "min session security", path: pA2, want: AtRisk, host: "AGENT02", setting: "NTLMMinServerSec", unconfirmed: true,
			mut: func(l *lab) {
				l.set("CORE01", facts.LmCompatibilityLevel, 0)
				l.set("AGENT02", facts.NtlmMinServerSec, 0x20080000)
			}},
		{name: "NTLMv2 session security between modern hosts", rule: "min session security", path: pA2, want: OK,
			mut: func(l *lab) {
				l.set("CORE01", facts.NtlmMinClientSec, 0x20080000)
				l.set("AGENT02", facts.NtlmMinServerSec, 0x20080000)
			}},

		// Identity: Protected Users (#9), LocalSystem's computer identity,
		// the sharing model for local accounts.
		{name: "Protected Users blocks NTLM", rule: "Protected Users", path: pA2, want: Blocked, host: "corp.example", setting: SettingProtectedUsers,
			mut: func(l *lab) { l.core("CORE01").Account.ProtectedUsers = true },
			check: func(t *testing.T, _ *Path, m *Matrix) {
				for _, n := range m.HostNotes {
					if n.Host == "CORE01" && n.Setting == SettingProtectedUsers {
						return
					}
				}
				t.Error("no Protected Users host note on CORE01")
			}},
		{name: "Protected Users on a Kerberos path is at-risk", rule: "Protected Users, NTLM need", path: pA1, want: AtRisk, host: "corp.example", setting: SettingProtectedUsers,
			mut: func(l *lab) { l.core("CORE01").Account.ProtectedUsers = true }},
		{name: "UseMachineId=0 with LocalSystem", rule: "LocalSystem identity", path: pA2, want: Blocked, host: "CORE01", setting: "UseMachineId",
			mut: func(l *lab) {
				l.core("CORE01").Account = inventory.Account{Kind: inventory.AccountLocalSystem, Name: "LocalSystem", Domain: "corp.example"}
				l.set("CORE01", facts.UseMachineID, 0)
			}},
		{name: "UseMachineId=0 with a domain account", rule: "LocalSystem identity", path: pA2, want: OK,
			mut: func(l *lab) { l.set("CORE01", facts.UseMachineID, 0) }},
		{name: "ForceGuest with a local account", rule: "adjacent settings", path: pWG, want: Blocked, host: "WG01", setting: "ForceGuest",
			mut: func(l *lab) { l.set("WG01", facts.ForceGuest, 1) }},
		{name: "ForceGuest with a domain account", rule: "adjacent settings", path: pA2, want: OK,
			mut: func(l *lab) { l.set("AGENT02", facts.ForceGuest, 1) }},

		// Reachability and unscanned hosts.
		{name: "closed port is unreachable", rule: "reach", path: pA2, want: Unreachable, host: "CORE01", setting: SettingReachability,
			mut: func(l *lab) { l.probe("CORE01", "10.0.0.32", 8006, false, "timeout") }},
		{name: "blocked outranks unreachable", rule: "precedence", path: pA2, want: Blocked, host: "CORE01", setting: send,
			mut: both(deny, func(l *lab) { l.probe("CORE01", "10.0.0.32", 8006, false, "refused") }),
			check: func(t *testing.T, p *Path, _ *Matrix) {
				if p.Reachable != ReachNo || !hasReason(p, "CORE01", SettingReachability, EffectBlocks) {
					t.Errorf("reachability lost:\n%s", dumpPath(p))
				}
			}},
		{name: "at-risk outranks unreachable", rule: "precedence", path: pA2, want: AtRisk, host: "DC02", setting: rid,
			mut: both(dc("DC02", 1), func(l *lab) { l.probe("CORE01", "10.0.0.32", 8006, false, "refused") })},
		{name: "NTLM refused by policy during the scan is blocked-suspected", rule: "issue 9 nightly", path: pA2, want: BlockedSuspected, host: "AGENT02", setting: recv,
			mut: refusedByPolicy("AGENT02"),
			check: func(t *testing.T, p *Path, _ *Matrix) {
				if !hasReason(p, "AGENT02", SettingScan, EffectUnknown) || p.Deciding.Remediation == nil {
					t.Errorf("want the unknown scan reason and a fix too:\n%s", dumpPath(p))
				}
			}},
		{name: "NTLM refused by policy on a fallback path: unknown outranks the fallback risk", rule: "issue 9 nightly", path: pA1, want: Unknown, host: "AGENT01", setting: SettingScan,
			mut: refusedByPolicy("AGENT01"), check: reason("AGENT01", recv, EffectSuspected)},
		{name: "blocked outranks blocked-suspected", rule: "precedence", path: pA2, want: Blocked, host: "CORE01", setting: send,
			mut: both(deny, refusedByPolicy("AGENT02"))},
		{name: "other scan failures stay unknown", rule: "precedence", path: pA2, want: Unknown, host: "AGENT02", setting: SettingScan,
			mut: func(l *lab) { l.unscan("AGENT02") }},
		{name: "dns failure is unreachable", rule: "reach", path: pFS, want: Unreachable, host: "CORE01", setting: SettingReachability,
			mut: func(l *lab) { l.dnsFail("CORE01", "fs01.corp.example", "no such host") }},
		{name: "share probe uses port 445", rule: "reach", path: pFS, want: Unreachable, host: "CORE01", setting: SettingReachability,
			mut: func(l *lab) { l.probe("CORE01", "fs01.corp.example", 445, false, "refused") }},
		{name: "unscanned target is unknown", rule: "unknown", path: pA1, want: Unknown, host: "AGENT01", setting: SettingScan,
			mut: func(l *lab) { l.unscan("AGENT01") }},
		{name: "blocked outranks unknown", rule: "precedence", path: pA2, want: Blocked, host: "CORE01", setting: send,
			mut: both(deny, func(l *lab) { l.unscan("AGENT02") })},
		{name: "unknown outranks at-risk", rule: "precedence", path: pA1, want: Unknown, host: "AGENT01", setting: SettingScan,
			mut: both(deny, func(l *lab) { l.unscan("AGENT01") })},
		{name: "unscanned Core is unknown", rule: "unknown", path: pA2, want: Unknown, host: "CORE01", setting: SettingScan,
			mut: func(l *lab) { l.unscan("CORE01") },
			check: func(t *testing.T, p *Path, _ *Matrix) {
				if p.Reachable != ReachUnknown {
					t.Errorf("reachable = %s", p.Reachable)
				}
			}},
		{name: "described Windows host is unknown", rule: "unknown", path: pNAS, want: Unknown, host: "NAS01", setting: SettingScan,
			mut: func(l *lab) { l.host("NAS01").Described.Platform = "windows" }},

		// Strict mode (Quest KB 4033596).
		{name: "strict: absent values are at-risk", rule: "KB 4033596 strict", opts: Options{Strict: true}, path: pA2, want: AtRisk, host: "CORE01", setting: send},
		{name: "strict: audit is at-risk", rule: "KB 4033596 strict", opts: Options{Strict: true}, path: pA2, want: AtRisk, host: "CORE01", setting: send,
			mut: func(l *lab) { l.set("CORE01", facts.RestrictSendingNTLMTraffic, 1) }},
		{name: "strict: explicit allow everywhere is ok", rule: "KB 4033596 strict", opts: Options{Strict: true}, path: pA2, want: OK,
			mut: func(l *lab) {
				l.set("CORE01", facts.RestrictSendingNTLMTraffic, 0)
				l.set("AGENT02", facts.RestrictReceivingNTLMTraffic, 0)
				l.set("DC01", facts.RestrictNTLMInDomain, 0)
				l.set("DC02", facts.RestrictNTLMInDomain, 0)
			}},
		{name: "strict: absent incoming on the target", rule: "KB 4033596 strict", opts: Options{Strict: true}, path: pA2, want: AtRisk, host: "AGENT02", setting: recv,
			mut: func(l *lab) {
				l.set("CORE01", facts.RestrictSendingNTLMTraffic, 0)
				l.set("DC01", facts.RestrictNTLMInDomain, 0)
				l.set("DC02", facts.RestrictNTLMInDomain, 0)
			}},
		{name: "strict: deny with a matching exception", rule: "KB 4033596 strict", opts: Options{Strict: true}, path: pA1, want: AtRisk, host: "CORE01", setting: send,
			mut: denyWith("agent01.corp.example")},
		{name: "strict does not soften a block", rule: "KB 4033596 strict", opts: Options{Strict: true}, path: pA2, want: Blocked, host: "CORE01", setting: send, mut: deny},
	}
}

func TestRules(t *testing.T) {
	t.Parallel()
	for _, tc := range ruleCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			if tc.mut != nil {
				tc.mut(l)
			}
			m := l.eval(tc.opts)
			p := findPath(t, m, tc.path)
			if p.Verdict != tc.want {
				t.Fatalf("verdict = %s, want %s\n%s", p.Verdict, tc.want, dumpPath(p))
			}
			if tc.need != "" && p.Need != tc.need {
				t.Errorf("need = %s (%s), want %s", p.Need, p.NeedWhy, tc.need)
			}
			switch {
			case tc.host == "" && p.Deciding != nil:
				t.Errorf("deciding = %s/%s, want none\n%s", p.Deciding.Host, p.Deciding.Setting, dumpPath(p))
			case tc.host != "" && p.Deciding == nil:
				t.Fatalf("no deciding reason, want %s/%s\n%s", tc.host, tc.setting, dumpPath(p))
			case tc.host != "" && (p.Deciding.Host != tc.host || p.Deciding.Setting != tc.setting):
				t.Fatalf("deciding = %s/%s, want %s/%s\n%s", p.Deciding.Host, p.Deciding.Setting, tc.host, tc.setting, dumpPath(p))
			}
			if tc.unconfirmed && !p.Deciding.Unconfirmed {
				t.Errorf("deciding reason is not marked Unconfirmed\n%s", dumpPath(p))
			}
			if p.Verdict == OK && p.Deciding != nil {
				t.Errorf("ok path has a deciding reason")
			}
			for _, r := range p.Reasons {
				if r.Unconfirmed && r.Effect != EffectRisk && r.Effect != EffectNeedsNTLM && r.Effect != EffectBlocks {
					t.Errorf("UNCONFIRMED reason with effect %s: %s", r.Effect, r.Explanation)
				}
				if r.Effect == EffectBlocks && p.Verdict == OK {
					t.Errorf("ok path with a blocking reason: %s", r.Explanation)
				}
			}
			if tc.check != nil {
				tc.check(t, p, m)
			}
		})
	}
}

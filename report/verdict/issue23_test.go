package verdict

import (
	"slices"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/report/whatif"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// Windows Server builds the Protected Users rule tells apart: the NTLM
// refusal for members is applied by DCs running 2012 R2 or later.
const (
	ws2012Build   = 9200
	ws2012R2Build = 9600
)

// The three published sources that disagree on whether DCAllowedNTLMServers
// exempts a logon under RestrictNTLMInDomain 3 or 7; a reason for that case
// names all three.
var dcListSources = []string{
	`"Network security: Restrict NTLM: NTLM authentication in this domain"`,
	"[MS-APDS]",
	"4004/8004",
}

type issue23Case struct {
	name          string
	mut           func(l *lab)
	path          string
	want          Verdict
	need          Need
	host, setting string // deciding reason ("" = none)
	unconfirmed   bool   // the deciding reason must be marked UNCONFIRMED
	confirmed     bool   // the deciding reason must not be marked UNCONFIRMED
	check         func(t *testing.T, p *Path, m *Matrix)
}

// deciding text helpers.
// reasonHas checks that one reason of the path explains every sub.
func reasonHas(subs ...string) func(*testing.T, *Path, *Matrix) {
	return func(t *testing.T, p *Path, _ *Matrix) {
		t.Helper()
	next:
		for _, r := range p.Reasons {
			for _, s := range subs {
				if !strings.Contains(r.Explanation, s) {
					continue next
				}
			}
			return
		}
		t.Errorf("no reason explains %q\n%s", subs, dumpPath(p))
	}
}

func decidingHas(subs ...string) func(*testing.T, *Path, *Matrix) {
	return func(t *testing.T, p *Path, _ *Matrix) {
		t.Helper()
		for _, s := range subs {
			if !strings.Contains(p.Deciding.Explanation, s) {
				t.Errorf("deciding explanation lacks %q:\n%s", s, p.Deciding.Explanation)
			}
		}
	}
}

func allChecks(fs ...func(*testing.T, *Path, *Matrix)) func(*testing.T, *Path, *Matrix) {
	return func(t *testing.T, p *Path, m *Matrix) {
		t.Helper()
		for _, f := range fs {
			f(t, p, m)
		}
	}
}

// pathFixes are every remediation of a path.
func pathFixes(p *Path) []*Remediation {
	var out []*Remediation
	for i := range p.Reasons {
		if r := p.Reasons[i].Remediation; r != nil {
			out = append(out, r)
		}
	}
	return out
}

// fixesNarrowTo: the path's fixes set RestrictNTLMInDomain to want on dc,
// and the plan carries that value (with the exception entry when add is
// given).
func fixesNarrowTo(dc string, want uint64, add string) func(*testing.T, *Path, *Matrix) {
	return func(t *testing.T, p *Path, m *Matrix) {
		t.Helper()
		var set, listed bool
		for _, r := range pathFixes(p) {
			if r.Host == dc && r.SettingID == facts.RestrictNTLMInDomain && r.Set != nil && *r.Set == want {
				set = true
			}
			if r.Host == dc && r.SettingID == facts.DCAllowedNTLMServers && slices.Contains(r.Add, add) {
				listed = true
			}
		}
		if !set {
			t.Errorf("no fix sets RestrictNTLMInDomain=%d on %s\n%s", want, dc, dumpPath(p))
		}
		if add != "" && !listed {
			t.Errorf("no fix adds %s to DCAllowedNTLMServers on %s\n%s", add, dc, dumpPath(p))
		}
		var planSet, planAdd bool
		for _, c := range m.Plan {
			if c.Host == dc && (c.Kind == ChangeDWORD || c.Kind == ChangeBaseline) && c.SettingID == facts.RestrictNTLMInDomain && c.Set != nil && *c.Set == want && slices.Contains(c.Paths, p.ID) {
				planSet = true
			}
			if c.Host == dc && c.Kind == ChangeList && c.SettingID == facts.DCAllowedNTLMServers && slices.Contains(c.Add, add) {
				planAdd = true
			}
		}
		if !planSet {
			t.Errorf("the plan does not set RestrictNTLMInDomain=%d on %s for %s: %+v", want, dc, p.ID, m.Plan)
		}
		if add != "" && !planAdd {
			t.Errorf("the plan does not add %s on %s: %+v", add, dc, m.Plan)
		}
	}
}

func issue23Cases() []issue23Case {
	dcs := func(v int, exceptions ...string) func(*lab) {
		return func(l *lab) {
			for _, dc := range []string{"DC01", "DC02"} {
				l.set(dc, facts.RestrictNTLMInDomain, v)
				if exceptions != nil {
					l.set(dc, facts.DCAllowedNTLMServers, exceptions)
				}
			}
		}
	}
	both := func(fs ...func(*lab)) func(*lab) {
		return func(l *lab) {
			for _, f := range fs {
				f(l)
			}
		}
	}
	child := func(l *lab) {
		l.addDomain("child.corp.example", "CHILD", "corp.example", "CDC01")
		l.addForeignAgent("XA01", "child.corp.example", "10.1.0.5")
	}
	protected := func(l *lab) { l.core("CORE01").Account.ProtectedUsers = true }
	localOnAgent01 := func(l *lab) {
		l.core("CORE01").Agents[0].Account = inventory.Account{Kind: inventory.AccountLocal, Name: `AGENT01\rr`}
	}
	const rid, dca, pu = "RestrictNTLMInDomain", "DCAllowedNTLMServers", SettingProtectedUsers
	return []issue23Case{
		// RestrictNTLMInDomain 3 or 7 with a matching DCAllowedNTLMServers
		// entry: the sources disagree, so at-risk, never ok; the fix is 1 or 5.
		{name: "deny all (7) with the target excepted is at-risk", mut: dcs(7, "AGENT02"), path: pA2, want: AtRisk,
			host: "DC01", setting: rid, unconfirmed: true,
			check: allChecks(decidingHas(dcListSources...), fixesNarrowTo("DC01", 5, ""), fixesNarrowTo("DC02", 5, ""))},
		{name: "deny for domain accounts (3) with the target excepted is at-risk", mut: dcs(3, "AGENT02"), path: pA2, want: AtRisk,
			host: "DC01", setting: rid, unconfirmed: true,
			check: allChecks(decidingHas(dcListSources...), fixesNarrowTo("DC01", 1, ""))},
		{name: "deny all (7) with a wildcard entry is at-risk", mut: dcs(7, "AGENT0*"), path: pA2, want: AtRisk,
			host: "DC01", setting: rid, unconfirmed: true},
		{name: "deny all (7) on a Kerberos path with the target excepted is at-risk", mut: dcs(7, "AGENT01"), path: pA1, want: AtRisk,
			host: "DC01", setting: rid, unconfirmed: true},
		{name: "deny for domain accounts to domain servers (1) with the target excepted stays ok", mut: dcs(1, "AGENT02"), path: pA2, want: OK,
			check: func(t *testing.T, p *Path, _ *Matrix) {
				if !hasReason(p, "DC01", dca, EffectAllows) {
					t.Errorf("no allows reason\n%s", dumpPath(p))
				}
			}},
		{name: "deny for domain servers (5) with the target excepted stays ok", mut: dcs(5, "AGENT02"), path: pA2, want: OK},
		{name: "deny all (7) without an entry: the fix adds it and sets 5", mut: dcs(7, "FS01"), path: pA2, want: Blocked,
			host: "DC01", setting: rid, check: fixesNarrowTo("DC01", 5, "AGENT02")},
		{name: "deny for domain accounts (3) without an entry: the fix adds it and sets 1", mut: dcs(3), path: pA2, want: Blocked,
			host: "DC01", setting: rid, check: fixesNarrowTo("DC02", 1, "AGENT02")},
		{name: "one DC at 7 with the entry, the other at 1 with it: at-risk", path: pA2, want: AtRisk, host: "DC02", setting: rid, unconfirmed: true,
			mut: func(l *lab) {
				l.set("DC01", facts.RestrictNTLMInDomain, 1)
				l.set("DC01", facts.DCAllowedNTLMServers, []string{"AGENT02"})
				l.set("DC02", facts.RestrictNTLMInDomain, 7)
				l.set("DC02", facts.DCAllowedNTLMServers, []string{"AGENT02"})
			}},
		{name: "resource DC at 7 excepting another domain's account's server is at-risk", path: "CORE01|agent|XA01|10.1.0.5", want: AtRisk,
			host: "CDC01", setting: rid, unconfirmed: true,
			mut: both(child, func(l *lab) {
				l.set("CDC01", facts.RestrictNTLMInDomain, 7)
				l.set("CDC01", facts.DCAllowedNTLMServers, []string{"XA01"})
			}), check: allChecks(decidingHas(dcListSources...), fixesNarrowTo("CDC01", 5, ""))},
		{name: "account-domain DC at 3 with the server excepted is at-risk, fix 1", path: "CORE01|agent|XA01|10.1.0.5", want: AtRisk,
			host: "DC01", setting: rid, unconfirmed: true,
			mut: both(child, dcs(3, "XA01")), check: allChecks(decidingHas(dcListSources...), fixesNarrowTo("DC01", 1, ""))},

		// LmCompatibilityLevel 5 on the server that validates a local
		// account refuses the Core's NTLMv1: the server is the authority.
		{name: "level 5 on a workgroup server refuses the Core's NTLMv1", path: pWG, want: Blocked, host: "WG01", setting: "LmCompatibilityLevel", confirmed: true,
			mut: func(l *lab) {
				l.set("CORE01", facts.LmCompatibilityLevel, 2)
				l.set("WG01", facts.LmCompatibilityLevel, 5)
			},
			check: allChecks(decidingHas("[MS-NLMP]", "build 20348"), func(t *testing.T, p *Path, _ *Matrix) {
				if r := p.Deciding.Remediation; r == nil || r.Host != "CORE01" || r.Set == nil || *r.Set != 3 {
					t.Errorf("fix = %+v, want LmCompatibilityLevel 3 on CORE01", r)
				}
			})},
		{name: "level 5 on a member server validating a local account refuses the Core's NTLMv1", path: pA1, want: Blocked, host: "AGENT01", setting: "LmCompatibilityLevel", confirmed: true,
			mut: both(localOnAgent01, func(l *lab) {
				l.set("CORE01", facts.LmCompatibilityLevel, 1)
				l.set("AGENT01", facts.LmCompatibilityLevel, 5)
				l.build("AGENT01", 17763)
			}), check: decidingHas("build 17763")},
		{name: "level 4 on the server still accepts the Core's NTLM response", path: pWG, want: OK,
			mut: func(l *lab) {
				l.set("CORE01", facts.LmCompatibilityLevel, 1)
				l.set("WG01", facts.LmCompatibilityLevel, 4)
			}},

		// Protected Users: refused by the validating DC when it runs 2012 R2
		// or later; its own version decides, an unknown version is at-risk.
		{name: "Protected Users with every DC on 2022 is blocked", mut: protected, path: pA2, want: Blocked, host: "corp.example", setting: pu,
			check: decidingHas("DC01 (build 20348)", "2012 R2")},
		{name: "Protected Users with one DC before 2012 R2 is at-risk", path: pA2, want: AtRisk, host: "corp.example", setting: pu,
			mut:   both(protected, func(l *lab) { l.build("DC01", ws2012Build) }),
			check: decidingHas("DC01 (build 9200)", "DC02 (build 20348)")},
		{name: "Protected Users with every DC before 2012 R2 is not refused", path: pA2, want: OK,
			mut: both(protected, func(l *lab) { l.build("DC01", ws2012Build); l.build("DC02", ws2012Build) }),
			check: func(t *testing.T, p *Path, _ *Matrix) {
				if !hasReason(p, "corp.example", pu, EffectInfo) {
					t.Errorf("no info reason for the membership\n%s", dumpPath(p))
				}
			}},
		{name: "Protected Users with every DC on 2012 R2 is blocked", path: pA2, want: Blocked, host: "corp.example", setting: pu,
			mut: both(protected, func(l *lab) { l.build("DC01", ws2012R2Build); l.build("DC02", ws2012R2Build) })},
		{name: "Protected Users with a DC whose build was not reported is at-risk", path: pA2, want: AtRisk, host: "corp.example", setting: pu,
			mut: both(protected, func(l *lab) { l.build("DC01", 0) }), check: decidingHas("DC01", "not reported")},
		{name: "Protected Users without a DC in the inventory is at-risk", path: pA2, want: AtRisk, host: "corp.example", setting: pu,
			mut: both(protected, func(l *lab) {
				l.inv.Domains[0].Controllers = nil
				var hosts []*inventory.Host
				for _, h := range l.inv.Hosts {
					if h.Role != inventory.RoleDomainController {
						hosts = append(hosts, h)
					}
				}
				l.inv.Hosts = hosts
			}), check: decidingHas("unknown")},

		// Event 4013 is not evidence of the NTLMv1 removal; TryIPSPN alone
		// never makes a path by IP Kerberos-expected.
		{name: "NTLMv1 removal cites KB5066470 and the build, not event 4013", path: pA2, want: AtRisk, host: "CORE01", setting: "LmCompatibilityLevel", unconfirmed: true,
			mut: func(l *lab) { l.build("CORE01", ws2025Build); l.set("CORE01", facts.LmCompatibilityLevel, 2) },
			check: allChecks(decidingHas("KB5066470", "build 26100"), func(t *testing.T, p *Path, _ *Matrix) {
				if !strings.Contains(p.Deciding.Event, "not by itself show the removal") {
					t.Errorf("event %q presents 4013 as evidence of the removal", p.Deciding.Event)
				}
			})},
		{name: "TryIPSPN=1 alone keeps an IP path NTLM-required", path: pA2, want: OK, need: NeedRequired,
			mut: func(l *lab) { l.set("CORE01", facts.TryIPSPN, 1) },
			check: func(t *testing.T, p *Path, _ *Matrix) {
				for _, r := range p.Reasons {
					if r.Setting == "TryIPSPN" && r.Effect == EffectNeedsNTLM && strings.Contains(r.Explanation, "must be registered") {
						return
					}
				}
				t.Errorf("no TryIPSPN reason saying an IP SPN must be registered\n%s", dumpPath(p))
			}},
		{name: "TryIPSPN=1 with Deny all is blocked", path: pA2, want: Blocked, need: NeedRequired, host: "CORE01", setting: "RestrictSendingNTLMTraffic",
			mut: func(l *lab) { l.set("CORE01", facts.TryIPSPN, 1); l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2) }},
		{name: "TryIPSPN unreadable still leaves an IP path NTLM-required", path: pA2, want: Blocked, need: NeedRequired, host: "CORE01", setting: "RestrictSendingNTLMTraffic",
			mut: func(l *lab) {
				l.setError("CORE01", facts.TryIPSPN, "access denied")
				l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2)
			}},

		// ClientAllowedNTLMServers with the literal IP: at-risk with the
		// UNCONFIRMED note; the SMB client's list documents IP entries.
		// Issue 16: the literal IP entry is the one exact entry a plan adds
		// for an IP-named path; it exempts the path (ok) with the
		// UNCONFIRMED note, as the rule book's 2026-12 audit allows.
		{name: "client exception by the literal IP is ok with the UNCONFIRMED note", path: pA2, want: OK,
			mut: func(l *lab) {
				l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2)
				l.set("CORE01", facts.ClientAllowedNTLMServers, []string{"10.0.0.32"})
			}, check: reasonHas("UNCONFIRMED", "10.0.0.32", "field reports")},
		{name: "SMB exception by the exact IP exempts an IP UNC", path: "CORE01|share|NAS01|10.0.0.42", want: OK,
			mut: func(l *lab) {
				l.build("CORE01", ws2025Build)
				l.set("CORE01", facts.SMBBlockNTLM, 1)
				l.smbCmdlet("CORE01", boolPtr(true))
				l.set("CORE01", facts.SMBBlockNTLMServerExceptionList, []string{"10.0.0.42"})
				l.addRepo(l.core("CORE01"), l.host("NAS01"), `\\10.0.0.42\archive`, inventory.Account{Kind: inventory.AccountLocal, Name: `NAS01\rr`})
			},
			check: func(t *testing.T, p *Path, _ *Matrix) {
				for _, r := range p.Reasons {
					if r.Setting == "BlockNTLMServerExceptionList" && r.Effect == EffectAllows && strings.Contains(r.Explanation, "IP addresses") {
						return
					}
				}
				t.Errorf("no allows reason saying the list documents IP addresses\n%s", dumpPath(p))
			}},

		// The reason states the target's Windows build where a rule
		// depends on it.
		{name: "local account need names the target's build", path: pA1, want: OK, need: NeedRequired, mut: localOnAgent01,
			check: func(t *testing.T, p *Path, _ *Matrix) {
				for _, r := range p.Reasons {
					if r.Setting == SettingAccount && r.Effect == EffectNeedsNTLM && strings.Contains(r.Explanation, "build 20348") {
						return
					}
				}
				t.Errorf("the local-account reason does not name AGENT01's build\n%s", dumpPath(p))
			}},
		{name: "workgroup need names the target's build", path: pWG, want: OK, need: NeedRequired,
			mut: func(l *lab) { l.build("WG01", 17763) },
			check: func(t *testing.T, p *Path, _ *Matrix) {
				for _, r := range p.Reasons {
					if r.Setting == SettingDomain && strings.Contains(r.Explanation, "build 17763") {
						return
					}
				}
				t.Errorf("the workgroup reason does not name WG01's build\n%s", dumpPath(p))
			}},
	}
}

// "Not defined = allow" depends on the build (NTLM off by default is
// announced for future builds): the strict-mode reason names it.
func TestIssue23StrictNotDefinedNamesTheBuild(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.build("AGENT02", 17763)
	l.set("CORE01", facts.RestrictSendingNTLMTraffic, 0)
	p := findPath(t, l.eval(Options{Strict: true}), pA2)
	for _, r := range p.Reasons {
		if r.Host == "AGENT02" && r.Setting == "RestrictReceivingNTLMTraffic" && r.Effect == EffectRisk {
			if !strings.Contains(r.Explanation, "build 17763") {
				t.Errorf("strict reason does not name AGENT02's build: %s", r.Explanation)
			}
			return
		}
	}
	t.Fatalf("no strict reason for AGENT02's incoming value\n%s", dumpPath(p))
}

// TestIssue23Rules runs the corrected rules through the engine.
func TestIssue23Rules(t *testing.T) {
	t.Parallel()
	for _, tc := range issue23Cases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			if tc.mut != nil {
				tc.mut(l)
			}
			m := l.eval(Options{})
			p := findPath(t, m, tc.path)
			checkIssue23(t, tc, p, m)
		})
	}
}

func checkIssue23(t *testing.T, tc issue23Case, p *Path, m *Matrix) {
	t.Helper()
	if p.Verdict != tc.want {
		t.Fatalf("verdict = %s, want %s\n%s", p.Verdict, tc.want, dumpPath(p))
	}
	if tc.need != "" && p.Need != tc.need {
		t.Errorf("need = %s (%s), want %s", p.Need, p.NeedWhy, tc.need)
	}
	switch {
	case tc.host == "" && p.Deciding != nil:
		t.Fatalf("deciding = %s/%s, want none\n%s", p.Deciding.Host, p.Deciding.Setting, dumpPath(p))
	case tc.host != "" && p.Deciding == nil:
		t.Fatalf("no deciding reason, want %s/%s\n%s", tc.host, tc.setting, dumpPath(p))
	case tc.host != "" && (p.Deciding.Host != tc.host || p.Deciding.Setting != tc.setting):
		t.Fatalf("deciding = %s/%s, want %s/%s\n%s", p.Deciding.Host, p.Deciding.Setting, tc.host, tc.setting, dumpPath(p))
	}
	if tc.unconfirmed && !p.Deciding.Unconfirmed {
		t.Errorf("deciding reason is not marked UNCONFIRMED\n%s", dumpPath(p))
	}
	if tc.confirmed && p.Deciding.Unconfirmed {
		t.Errorf("deciding reason is marked UNCONFIRMED\n%s", dumpPath(p))
	}
	if tc.check != nil {
		tc.check(t, p, m)
	}
}

// whatIfCase is one corrected rule through the what-if path: an --assume
// file (parsed by the inventory package, as the CLI loads it) applied on
// top of the collected facts.
type whatIfCase struct {
	name          string
	mut           func(l *lab)
	assume        string // the what-if file
	path          string
	before, after Verdict
	host, setting string // deciding reason after ("" = none)
	check         func(t *testing.T, p *Path, m *Matrix)
}

func TestIssue23WhatIf(t *testing.T) {
	t.Parallel()
	dcs7 := func(l *lab) {
		l.set("DC01", facts.RestrictNTLMInDomain, 7)
		l.set("DC02", facts.RestrictNTLMInDomain, 7)
	}
	cases := []whatIfCase{
		{name: "adding the exception under Deny all (7) gives at-risk, not ok", mut: dcs7, path: pA2, before: Blocked, after: AtRisk,
			host: "DC01", setting: "RestrictNTLMInDomain",
			assume: "changes:\n  - roles: [domain-controller]\n    add:\n      DCAllowedNTLMServers: [AGENT02]\n",
			check:  allChecks(decidingHas(dcListSources...), fixesNarrowTo("DC01", 5, ""))},
		{name: "value 5 with the exception is ok", mut: dcs7, path: pA2, before: Blocked, after: OK,
			assume: "changes:\n  - roles: [domain-controller]\n    set:\n      RestrictNTLMInDomain: 5\n      DCAllowedNTLMServers: [AGENT02]\n"},
		{name: "value 3 with the exception is at-risk, value 1 is the fix", path: pA2, before: OK, after: AtRisk,
			host: "DC01", setting: "RestrictNTLMInDomain",
			assume: "changes:\n  - roles: [domain-controller]\n    set:\n      RestrictNTLMInDomain: 3\n      DCAllowedNTLMServers: [AGENT02]\n",
			check:  fixesNarrowTo("DC02", 1, "")},
		{name: "level 5 on the server validating a local account blocks the Core's NTLMv1", path: pWG, before: OK, after: Blocked,
			host: "WG01", setting: "LmCompatibilityLevel",
			mut:    func(l *lab) { l.set("CORE01", facts.LmCompatibilityLevel, 2) },
			assume: "changes:\n  - hosts: [WG01]\n    set:\n      LmCompatibilityLevel: 5\n",
			check:  decidingHas("build 20348")},
		{name: "Protected Users: an assumed value on an unscanned DC does not tell its version", path: pA2, before: Unknown, after: AtRisk,
			host: "corp.example", setting: SettingProtectedUsers,
			mut: func(l *lab) {
				l.core("CORE01").Account.ProtectedUsers = true
				l.unscan("DC01")
			},
			assume: "changes:\n  - hosts: [DC01]\n    set:\n      RestrictNTLMInDomain: 0\n      AuditNTLMInDomain: 0\n      LmCompatibilityLevel: 3\n      DCAllowedNTLMServers: []\n",
			check:  decidingHas("DC01", "unknown")},
		{name: "TryIPSPN=1 does not unblock an IP path", path: pA2, before: Blocked, after: Blocked,
			host: "CORE01", setting: "RestrictSendingNTLMTraffic",
			mut:    func(l *lab) { l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2) },
			assume: "changes:\n  - hosts: [CORE01]\n    set:\n      TryIPSPN: 1\n",
			check: func(t *testing.T, p *Path, _ *Matrix) {
				if p.Need != NeedRequired {
					t.Errorf("need = %s, want required", p.Need)
				}
			}},
		{name: "client exception by the literal IP is ok with the UNCONFIRMED note", path: pA2, before: Blocked, after: OK,
			mut:    func(l *lab) { l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2) },
			assume: "changes:\n  - hosts: [CORE01]\n    add:\n      ClientAllowedNTLMServers: [10.0.0.32]\n",
			check:  reasonHas("UNCONFIRMED", "field reports")},
		{name: "SMB exception by the exact IP exempts the path", path: "CORE01|share|NAS01|10.0.0.42", before: Blocked, after: OK,
			mut: func(l *lab) {
				l.build("CORE01", ws2025Build)
				l.set("CORE01", facts.SMBBlockNTLM, 1)
				l.smbCmdlet("CORE01", boolPtr(true))
				l.addRepo(l.core("CORE01"), l.host("NAS01"), `\\10.0.0.42\archive`, inventory.Account{Kind: inventory.AccountLocal, Name: `NAS01\rr`})
			},
			assume: "changes:\n  - hosts: [CORE01]\n    add:\n      BlockNTLMServerExceptionList: [10.0.0.42]\n"},
		{name: "NTLMv1 removal names the build the overlay leaves", path: pA2, before: OK, after: AtRisk,
			host: "CORE01", setting: "LmCompatibilityLevel",
			mut:    func(l *lab) { l.build("CORE01", ws2025Build) },
			assume: "changes:\n  - hosts: [CORE01]\n    set:\n      LmCompatibilityLevel: 2\n",
			check:  decidingHas("KB5066470", "build 26100")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			if tc.mut != nil {
				tc.mut(l)
			}
			ov, err := whatif.Parse([]byte("version: 1\nname: issue23\n"+tc.assume), "assume.yaml", l.inv)
			if err != nil {
				t.Fatalf("what-if file: %v", err)
			}
			m := Evaluate(l.inv, l.resultList(), ov, Options{})
			p := findPath(t, m, tc.path)
			if p.Before == nil || p.Before.Verdict != tc.before {
				t.Fatalf("before = %+v, want %s\n%s", p.Before, tc.before, dumpPath(p))
			}
			checkIssue23(t, issue23Case{want: tc.after, host: tc.host, setting: tc.setting, check: tc.check}, p, m)
			if tc.before != tc.after && !p.Changed() {
				t.Error("the what-if summary does not count the path as changed")
			}
		})
	}
}

// Applying the whole change plan of a 3/7 estate (the exception and the
// narrower value) makes the path ok; the exception alone does not.
func TestIssue23PlanFixesDenyAll(t *testing.T) {
	t.Parallel()
	for _, v := range []int{3, 7} {
		l := newLab(t)
		for _, dc := range []string{"DC01", "DC02"} {
			l.set(dc, facts.RestrictNTLMInDomain, v)
			l.set(dc, facts.DCAllowedNTLMServers, []string{"FS01"})
		}
		m := l.eval(Options{})
		if p := findPath(t, m, pA2); p.Verdict != Blocked {
			t.Fatalf("value %d: before the plan %s, want blocked\n%s", v, p.Verdict, dumpPath(p))
		}
		onlyLists := slices.DeleteFunc(slices.Clone(m.Plan), func(c Change) bool { return c.Kind != ChangeList })
		partial := newLab(t)
		for _, dc := range []string{"DC01", "DC02"} {
			partial.set(dc, facts.RestrictNTLMInDomain, v)
			partial.set(dc, facts.DCAllowedNTLMServers, []string{"FS01"})
		}
		applyPlan(t, partial, onlyLists)
		if p := findPath(t, partial.eval(Options{}), pA2); p.Verdict != AtRisk {
			t.Errorf("value %d: with the exception only %s, want at-risk\n%s", v, p.Verdict, dumpPath(p))
		}
		applyPlan(t, l, m.Plan)
		if p := findPath(t, l.eval(Options{}), pA2); p.Verdict != OK {
			t.Errorf("value %d: after the whole plan %s, want ok\n%s", v, p.Verdict, dumpPath(p))
		}
	}
}

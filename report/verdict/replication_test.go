package verdict

import (
	"slices"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// addReplication links source to a target Core by nameUsed with acct, and
// records the source's probe of the target's Core port.
func (l *lab) addReplication(source, target *inventory.Core, nameUsed string, acct inventory.Account) *inventory.ReplicationLink {
	link := &inventory.ReplicationLink{Source: source, Target: target, NameUsed: nameUsed, Port: inventory.DefaultCorePort, Account: acct}
	source.Replication = append(source.Replication, link)
	l.probe(source.Host.Name, nameUsed, inventory.DefaultCorePort, true, "")
	return link
}

// Path IDs of the replication cases.
const (
	pRepTrusted = "CORE01|replication|CORE04|core04.b.partner.example"  // trusted other forest, by FQDN
	pRepSameFor = "CORE01|replication|CORE06|core06.child.corp.example" // same forest, by FQDN
	pRepWG      = "CORE01|replication|CORE03|10.0.0.23"                 // workgroup, by address, local account
	pRepUntrust = "CORE01|replication|CORE05|core05.other.example"      // untrusted domain, source's account
	pRepTgtAcct = "CORE01|replication|CORE05|10.0.0.25"                 // untrusted domain, the target domain's account, by address
	pRepUnknown = "CORE01|replication|CORE07|core07.partner.example"    // target domain not described
)

// replicationLab is the base lab plus second-site Cores CORE01 replicates
// to: in a trusted forest, in its own forest, in a workgroup, in an
// untrusted forest (twice: with CORE01's account and with one of the
// target's domain) and in a domain the inventory does not describe.
func replicationLab(t *testing.T) *lab {
	l := newLab(t)
	src := l.core("CORE01")
	corpAcct := inventory.Account{Kind: inventory.AccountDomain, Name: `CORP\svc-repl`, Domain: "corp.example"}

	l.inv.Domains[0].Trusts = []string{"partner.example"}
	l.addDomain("partner.example", "PARTNER", "", "PDC01")
	l.addDomain("b.partner.example", "BPARTNER", "partner.example", "BDC01")
	l.addDomain("child.corp.example", "CHILD", "corp.example", "CDC01")
	l.addDomain("other.example", "OTHER", "", "ODC01")

	trusted := l.addCore("CORE04", "b.partner.example", inventory.Account{Kind: inventory.AccountLocalSystem, Name: "LocalSystem", Domain: "b.partner.example"})
	l.addReplication(src, trusted, "core04.b.partner.example", corpAcct)
	same := l.addCore("CORE06", "child.corp.example", inventory.Account{Kind: inventory.AccountLocalSystem, Name: "LocalSystem", Domain: "child.corp.example"})
	l.addReplication(src, same, "core06.child.corp.example", corpAcct)
	wg := l.addCore("CORE03", "", inventory.Account{Kind: inventory.AccountLocalSystem, Name: "LocalSystem"})
	l.addReplication(src, wg, "10.0.0.23", inventory.Account{Kind: inventory.AccountLocal, Name: `CORE03\rr-repl`})
	untrusted := l.addCore("CORE05", "other.example", inventory.Account{Kind: inventory.AccountLocalSystem, Name: "LocalSystem", Domain: "other.example"})
	l.addReplication(src, untrusted, "core05.other.example", corpAcct)
	l.addReplication(src, untrusted, "10.0.0.25", inventory.Account{Kind: inventory.AccountDomain, Name: `OTHER\rr-repl`, Domain: "other.example"})
	// partner.example's sibling that no entry describes: an implicit domain.
	l.inv.Domains = append(l.inv.Domains, &inventory.Domain{Name: "unlisted.example", Implicit: true})
	unknown := l.addCore("CORE07", "unlisted.example", inventory.Account{Kind: inventory.AccountLocalSystem, Name: "LocalSystem"})
	l.addReplication(src, unknown, "core07.partner.example", corpAcct)
	return l
}

func TestReplicationRules(t *testing.T) {
	t.Parallel()
	deny := func(l *lab) { l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2) }
	denyWith := func(entries ...string) func(*lab) {
		return func(l *lab) { deny(l); l.set("CORE01", facts.ClientAllowedNTLMServers, entries) }
	}
	const send, exc, recv, rid = "RestrictSendingNTLMTraffic", "ClientAllowedNTLMServers", "RestrictReceivingNTLMTraffic", "RestrictNTLMInDomain"
	cases := []struct {
		name          string
		mut           func(*lab)
		path          string
		want          Verdict
		need          Need
		host, setting string // deciding reason ("" = none)
		explains      string // in the replication reason or the deciding one
	}{
		// A trusted-domain Core by FQDN: Kerberos expected.
		{name: "trusted forest by FQDN", path: pRepTrusted, want: OK, need: NeedFallback,
			explains: "passes the logon through to a DC of its domain b.partner.example, which forwards it to a DC of corp.example"},
		{name: "trusted forest by FQDN, source denies outgoing", mut: deny, path: pRepTrusted, want: AtRisk, need: NeedFallback,
			host: "CORE01", setting: send},
		{name: "same forest by FQDN", path: pRepSameFor, want: OK, need: NeedFallback},

		// A workgroup Core by address with a local account of the target: NTLM required.
		{name: "workgroup by address", path: pRepWG, want: OK, need: NeedRequired,
			explains: "CORE03 validates the local account CORE03\\rr-repl itself"},
		{name: "workgroup by address, source denies outgoing", mut: denyWith("agent01.corp.example"), path: pRepWG, want: Blocked, need: NeedRequired,
			host: "CORE01", setting: send},
		// The literal IP the Core uses is listed: ok with an UNCONFIRMED
		// note (issue 16; the rule book accepts at-risk or ok-with-note).
		{name: "workgroup by address, address excepted", mut: denyWith("10.0.0.23"), path: pRepWG, want: OK, need: NeedRequired,
			explains: "Microsoft documents FQDN and NetBIOS names only (UNCONFIRMED)"},
		{name: "workgroup, target denies all incoming", mut: func(l *lab) { l.set("CORE03", facts.RestrictReceivingNTLMTraffic, 2) },
			path: pRepWG, want: Blocked, need: NeedRequired, host: "CORE03", setting: recv},
		{name: "workgroup, target denies domain accounts only", mut: func(l *lab) { l.set("CORE03", facts.RestrictReceivingNTLMTraffic, 1) },
			path: pRepWG, want: OK, need: NeedRequired},
		{name: "workgroup, target not scanned", mut: func(l *lab) { l.unscan("CORE03") },
			path: pRepWG, want: Unknown, need: NeedRequired, host: "CORE03", setting: SettingScan},

		// An untrusted domain: NTLM required, validated by the target.
		{name: "untrusted domain, source's account", path: pRepUntrust, want: AtRisk, need: NeedRequired,
			host: "CORE05", setting: SettingTrust, explains: "checks the account against its own account database"},
		{name: "untrusted domain, target domain's account by address", path: pRepTgtAcct, want: OK, need: NeedRequired,
			explains: "CORE05 passes the logon through to a DC of other.example"},
		{name: "untrusted domain, target domain's DC denies", mut: func(l *lab) { l.set("ODC01", facts.RestrictNTLMInDomain, 3) },
			path: pRepTgtAcct, want: Blocked, need: NeedRequired, host: "ODC01", setting: rid},
		{name: "untrusted domain, source's DC settings do not apply", mut: func(l *lab) {
			l.set("DC01", facts.RestrictNTLMInDomain, 7)
			l.set("DC02", facts.RestrictNTLMInDomain, 7)
		},
			path: pRepUntrust, want: AtRisk, need: NeedRequired, host: "CORE05", setting: SettingTrust},

		// Trust unknown: at-risk with the reason.
		{name: "target domain not described", path: pRepUnknown, want: AtRisk, need: NeedUnknown,
			host: "CORE07", setting: SettingTrust, explains: "whether CORE07 trusts the account's domain is unknown"},

		// Reachability is probed from the source Core.
		{name: "target Core port closed", mut: func(l *lab) { l.probe("CORE01", "10.0.0.23", 8006, false, "timeout") },
			path: pRepWG, want: Unreachable, need: NeedRequired, host: "CORE01", setting: SettingReachability},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := replicationLab(t)
			if tc.mut != nil {
				tc.mut(l)
			}
			m := l.eval(Options{})
			p := findPath(t, m, tc.path)
			if p.Kind != KindReplication || !slices.Equal(p.Operations, []string{"replication"}) {
				t.Errorf("kind %s operations %v, want a replication path", p.Kind, p.Operations)
			}
			if p.Verdict != tc.want || p.Need != tc.need {
				t.Fatalf("verdict %s need %s (%s), want %s %s\n%s", p.Verdict, p.Need, p.NeedWhy, tc.want, tc.need, dumpPath(p))
			}
			switch {
			case tc.host == "" && p.Deciding != nil:
				t.Errorf("deciding = %s/%s, want none\n%s", p.Deciding.Host, p.Deciding.Setting, dumpPath(p))
			case tc.host != "" && (p.Deciding == nil || p.Deciding.Host != tc.host || p.Deciding.Setting != tc.setting):
				t.Fatalf("deciding = %+v, want %s/%s\n%s", p.Deciding, tc.host, tc.setting, dumpPath(p))
			}
			if tc.explains != "" {
				found := false
				for _, r := range p.Reasons {
					found = found || strings.Contains(r.Explanation, tc.explains)
				}
				if !found {
					t.Errorf("no reason says %q\n%s", tc.explains, dumpPath(p))
				}
			}
			if !hasReason(p, p.Target, SettingReplication, EffectInfo) {
				t.Errorf("no replication reason naming the validator\n%s", dumpPath(p))
			}
			if (p.Verdict == OK) != (p.Impact == "") {
				t.Errorf("impact %q for verdict %s", p.Impact, p.Verdict)
			}
			if p.Verdict == Blocked && p.Impact != "replication to "+p.Target+" will fail" {
				t.Errorf("impact = %q", p.Impact)
			}
		})
	}
}

// The fix for a replication target the source Core names by address and
// does not except: add the exact name it uses (the address) to its list.
func TestReplicationOutgoingFix(t *testing.T) {
	t.Parallel()
	l := replicationLab(t)
	l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2)
	l.set("CORE01", facts.ClientAllowedNTLMServers, []string{"agent01.corp.example"})
	m := l.eval(Options{})
	p := findPath(t, m, pRepWG)
	if p.Deciding == nil || p.Deciding.Remediation == nil || !slices.Contains(p.Deciding.Remediation.Add, "10.0.0.23") {
		t.Fatalf("no fix adding 10.0.0.23\n%s", dumpPath(p))
	}
	var planned bool
	for _, c := range m.Plan {
		if c.Host == "CORE01" && c.Setting == "ClientAllowedNTLMServers" && slices.Contains(c.Add, "10.0.0.23") && slices.Contains(c.Paths, pRepWG) {
			planned = true
		}
	}
	if !planned {
		t.Errorf("the change plan does not add 10.0.0.23 on CORE01 for %s", pRepWG)
	}
}

// Every path carries its operations, and a path that is not ok says which
// of them fail.
func TestPathOperations(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	hv := l.addHost("HV01", inventory.RoleAgent, "corp.example")
	l.addAgent(l.core("CORE01"), hv, "hv01.corp.example").Operations = []inventory.Operation{inventory.OpVirtualStandby}
	l.inv.Repositories[1].Kind = "archive"
	l.set("HV01", facts.RestrictReceivingNTLMTraffic, 2)
	l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2)
	m := l.eval(Options{})
	for _, tc := range []struct {
		path   string
		ops    []string
		impact string
	}{
		{pA1, []string{"protection", "live-recovery"}, "agent protection and Live Recovery to AGENT01 may fail"},
		{pA2, []string{"protection", "live-recovery"}, "agent protection and Live Recovery to AGENT02 will fail"},
		{pFS, []string{"repository", "mountability-check"}, `repository and mountability check on \\fs01.corp.example\Repo may fail`},
		{pNAS, []string{"archive"}, `archive on \\nas01\archive will fail`},
		{"CORE01|agent|HV01|hv01.corp.example", []string{"virtual-standby"}, "Virtual Standby to HV01 may fail"},
	} {
		p := findPath(t, m, tc.path)
		if !slices.Equal(p.Operations, tc.ops) || p.Impact != tc.impact {
			t.Errorf("%s: operations %v impact %q, want %v %q (verdict %s)", tc.path, p.Operations, p.Impact, tc.ops, tc.impact, p.Verdict)
		}
	}
	if got := OperationsText([]string{"virtual-standby", "export"}); got != "Virtual Standby, VM export" {
		t.Errorf("OperationsText = %q", got)
	}
}

package verdict

import (
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// Issue 9's verdict rules in one table, written against the engine's
// public outcome only (path verdicts as strings), so the same table ran
// against the engine before the fix and failed there.
func TestIssue9Verdicts(t *testing.T) {
	t.Parallel()
	bothDCs := func(l *lab, v int, exc ...string) {
		for _, dc := range []string{"DC01", "DC02"} {
			l.set(dc, facts.RestrictNTLMInDomain, v)
			if exc != nil {
				l.set(dc, facts.DCAllowedNTLMServers, exc)
			}
		}
	}
	cases := []struct {
		name string
		mut  func(l *lab)
		path string
		want string
	}{
		{"client list names the IP-named agent only by FQDN and NetBIOS: listed under another name", func(l *lab) {
			l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2)
			l.set("CORE01", facts.ClientAllowedNTLMServers, []string{"agent02.corp.example", "AGENT02"})
		}, pA2, "blocked"},
		{"client list entry differing only in case matches", func(l *lab) {
			l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2)
			l.set("CORE01", facts.ClientAllowedNTLMServers, []string{"AGENT01.CORP.EXAMPLE"})
		}, pA1, "ok"},
		{"DC list names the target by FQDN on every DC: listed under another name", func(l *lab) {
			bothDCs(l, 1, "agent02.corp.example")
		}, pA2, "blocked"},
		{"DC list compared with the scanned NetBIOS name, not the first DNS label", func(l *lab) {
			h := l.addHost("BK07", inventory.RoleAgent, "corp.example")
			h.FQDN, h.NetBIOS = "backup-agent-07.corp.example", "BACKUP-AGENT-07"
			l.facts("BK07").Identity.NetBIOSName = "BKAGENT07"
			l.addAgent(l.core("CORE01"), h, "10.0.0.77")
			bothDCs(l, 7, "BACKUP-AGENT-07")
		}, "CORE01|agent|BK07|10.0.0.77", "blocked"},
		{"one of two DCs restricting is at-risk", func(l *lab) {
			l.set("DC02", facts.RestrictNTLMInDomain, 1)
		}, pA2, "at-risk"},
		{"every DC restricting is blocked", func(l *lab) { bothDCs(l, 1) }, pA2, "blocked"},
		{"no DC of the domain in the inventory: ok stays ok", func(l *lab) {
			l.inv.Domains[0].Controllers = nil
			var hosts []*inventory.Host
			for _, h := range l.inv.Hosts {
				if h.Role != inventory.RoleDomainController {
					hosts = append(hosts, h)
				}
			}
			l.inv.Hosts = hosts
		}, pA2, "ok"},
		{"a block outranks a failed TCP probe", func(l *lab) {
			l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2)
			l.probe("CORE01", "10.0.0.32", 8006, false, "refused")
		}, pA2, "blocked"},
		{"a host refusing NTLM by policy is blocked-suspected, not unknown", func(l *lab) {
			l.results["AGENT02"] = &facts.HostResult{Host: "AGENT02", Error: &facts.HostError{Class: facts.ErrAuthNTLMPolicy, Message: "401"}}
		}, pA2, "blocked-suspected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			tc.mut(l)
			p := findPath(t, l.eval(Options{}), tc.path)
			if string(p.Verdict) != tc.want {
				t.Errorf("verdict %s, want %s\n%s", p.Verdict, tc.want, dumpPath(p))
			}
		})
	}
}

// When one DC blocks and another only may (its exception entry matches in
// an UNCONFIRMED way), the block's explanation says what the other DC
// does, not that it could not be checked: it was checked.
func TestIntermittentNamesWhatTheOtherDCsDo(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.set("DC01", facts.RestrictNTLMInDomain, 1)
	l.set("DC01", facts.DCAllowedNTLMServers, []string{"OTHER"})
	l.set("DC02", facts.RestrictNTLMInDomain, 1)
	l.set("DC02", facts.DCAllowedNTLMServers, []string{"A*EN*02"}) // two '*': UNCONFIRMED match
	p := findPath(t, l.eval(Options{}), pA2)
	if p.Verdict != AtRisk {
		t.Fatalf("verdict %s, want at-risk\n%s", p.Verdict, dumpPath(p))
	}
	for _, r := range p.Reasons {
		if r.Host != "DC01" || r.Setting != "RestrictNTLMInDomain" {
			continue
		}
		if strings.Contains(r.Explanation, "could not all be checked") || !strings.Contains(r.Explanation, "whether DC02 blocks it is not certain") {
			t.Errorf("DC01's reason misdescribes DC02: %s", r.Explanation)
		}
		return
	}
	t.Fatalf("no DC01 reason\n%s", dumpPath(p))
}

package verdict

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

var evNow = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

// events gives host an event read (auditing as the registry says) with
// these groups.
func (l *lab) events(host string, groups ...facts.EventGroup) {
	for i := range groups {
		if groups[i].Count == 0 {
			groups[i].Count = 1
		}
		groups[i].First, groups[i].Last = evNow.Add(-time.Hour), evNow
	}
	l.facts(host).NTLMEvents = &facts.NTLMEvents{Available: true, Days: 7, Groups: groups}
}

// spnCheck records the KDC's answer for spn on the Core's result.
func (l *lab) spnCheck(core, spn string, res facts.SPNResult) {
	r := l.results[core]
	r.SPNChecks = append(r.SPNChecks, facts.SPNCheck{SPN: spn, Result: res})
}

const (
	coreProc   = `C:\Program Files\AppRecovery\Core\CoreService\Core.Service.exe`
	agent01ID  = "CORE01|agent|AGENT01|agent01.corp.example"
	agent01SPN = "HTTP/agent01.corp.example"
)

// coreEvent is a client event on CORE01 for the Core service's account.
func coreEvent(id int, target string) facts.EventGroup {
	return facts.EventGroup{ID: id, Counterpart: target, Account: `CORP\svc-rr`, Process: coreProc}
}

// TestEvidenceStates: each evidence state, from the facts that produce it,
// with the verdict it leads to. AGENT01 (by FQDN, Kerberos-expected) is
// at-risk by its settings: it refuses incoming NTLM, which only matters if
// Negotiate falls back to NTLM.
func TestEvidenceStates(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		setup    func(l *lab)
		state    EvidenceState
		verdict  Verdict
		registry Verdict // Evidence.RegistryVerdict ("" when unchanged)
		summary  string
	}{
		{"blocked observed", func(l *lab) {
			l.events("CORE01", coreEvent(4001, agent01SPN))
		}, EvidenceBlockedObserved, Blocked, AtRisk, "refusals"},
		{"blocked observed on a path the registry calls ok", func(l *lab) {
			l.set("AGENT01", facts.RestrictReceivingNTLMTraffic, 0)
			l.events("DC01", facts.EventGroup{ID: 4004, Counterpart: "AGENT01", Workstation: "CORE01", Account: `CORP\svc-rr`})
		}, EvidenceBlockedObserved, Blocked, OK, "4004 on DC01"},
		{"ntlm observed makes the fallback block real", func(l *lab) {
			l.set("CORE01", facts.RestrictSendingNTLMTraffic, 1)
			l.events("CORE01", coreEvent(8001, agent01SPN))
		}, EvidenceNTLMObserved, Blocked, AtRisk, "in use"},
		{"ntlm observed, nothing blocks it", func(l *lab) {
			l.set("AGENT01", facts.RestrictReceivingNTLMTraffic, 0)
			l.events("CORE01", coreEvent(4020, "agent01.corp.example"))
		}, EvidenceNTLMObserved, OK, "", "in use"},
		{"spn missing", func(l *lab) {
			l.events("CORE01")
			l.spnCheck("CORE01", agent01SPN, facts.SPNUnknown)
		}, EvidenceSPNMissing, Blocked, AtRisk, "setspn -S HTTP/agent01.corp.example AGENT01"},
		{"kerberos rc4 only", func(l *lab) {
			l.events("CORE01")
			l.spnCheck("CORE01", agent01SPN, facts.SPNRC4Only)
		}, EvidenceKerberosRC4, AtRisk, "", "only with RC4"},
		{"kerberos verified with auditing on", func(l *lab) {
			l.set("CORE01", facts.RestrictSendingNTLMTraffic, 1)
			l.events("CORE01")
			l.spnCheck("CORE01", agent01SPN, facts.SPNIssuedAES)
		}, EvidenceKerberosVerified, OK, AtRisk, "AES ticket"},
		{"kerberos verified, auditing off", func(l *lab) {
			l.events("CORE01")
			l.spnCheck("CORE01", agent01SPN, facts.SPNIssuedAES)
		}, EvidenceKerberosVerified, OK, AtRisk, "auditing is off"},
		{"no ntlm seen with auditing on, no kerberos credential", func(l *lab) {
			l.set("CORE01", facts.RestrictSendingNTLMTraffic, 1)
			l.events("CORE01")
			l.spnCheck("CORE01", agent01SPN, facts.SPNNoCredential)
		}, EvidenceNoNTLMSeen, AtRisk, "", "no-credential"},
		{"no evidence: auditing off", func(l *lab) {
			l.events("CORE01")
		}, EvidenceNone, AtRisk, "", "Audit all"},
		{"no evidence: log unreadable", func(l *lab) {
			l.set("CORE01", facts.RestrictSendingNTLMTraffic, 1)
			l.facts("CORE01").NTLMEvents = &facts.NTLMEvents{Error: "Access is denied."}
		}, EvidenceNone, AtRisk, "", "Event Log Readers"},
		{"no evidence: log not read", func(*lab) {}, EvidenceNone, AtRisk, "", "not read"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			l.set("AGENT01", facts.RestrictReceivingNTLMTraffic, 2)
			c.setup(l)
			m := l.eval(Options{})
			p := findPath(t, m, agent01ID)
			ev := p.Evidence
			if ev == nil {
				t.Fatalf("no evidence:\n%s", dumpPath(p))
			}
			if ev.State != c.state || p.Verdict != c.verdict || ev.RegistryVerdict != c.registry {
				t.Errorf("state %s verdict %s registry %q, want %s %s %q\n%s", ev.State, p.Verdict, ev.RegistryVerdict, c.state, c.verdict, c.registry, dumpPath(p))
			}
			if !strings.Contains(ev.Summary, c.summary) {
				t.Errorf("summary %q lacks %q", ev.Summary, c.summary)
			}
			if p.NTLMInUse() != (c.state == EvidenceBlockedObserved || c.state == EvidenceNTLMObserved) {
				t.Errorf("NTLMInUse = %v", p.NTLMInUse())
			}
		})
	}
}

// TestEvidenceBlockedObservedShowsBoth: an observed block names the event
// and keeps the settings' reasons.
func TestEvidenceBlockedObservedShowsBoth(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.set("AGENT01", facts.RestrictReceivingNTLMTraffic, 2)
	l.events("CORE01", coreEvent(4001, agent01SPN))
	p := findPath(t, l.eval(Options{}), agent01ID)
	if p.Deciding == nil || p.Deciding.Setting != SettingEvents && p.Deciding.Setting != "RestrictReceivingNTLMTraffic" {
		t.Errorf("deciding %+v", p.Deciding)
	}
	if !hasReason(p, "CORE01", SettingEvents, EffectBlocks) || !hasReason(p, "AGENT01", "RestrictReceivingNTLMTraffic", EffectBlocks) {
		t.Errorf("the event and the setting are not both shown:\n%s", dumpPath(p))
	}
}

// TestEventMatchingTable: which events belong to a path, row by row of the
// matching table; every event no path claims is listed for its host.
func TestEventMatchingTable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		host  string
		group facts.EventGroup
		path  string // ID of the path that claims it ("" none)
	}{
		{"SPN form of the FQDN", "CORE01", coreEvent(8001, "HTTP/agent01.corp.example"), agent01ID},
		{"SPN with a port, other case", "CORE01", coreEvent(8001, "http/AGENT01.corp.example:8006"), agent01ID},
		{"the IP address the Core uses", "CORE01", coreEvent(8001, "HTTP/10.0.0.32"), "CORE01|agent|AGENT02|10.0.0.32"},
		{"the NetBIOS name", "CORE01", coreEvent(8001, "HTTP/AGENT03"), "CORE01|agent|AGENT03|AGENT03"},
		{"share by SPN", "CORE01", coreEvent(8001, "cifs/fs01.corp.example"), "CORE01|share|FS01|fs01.corp.example"},
		{"another name of a target the Core names by IP", "CORE01", coreEvent(4001, "HTTP/agent02.corp.example"), ""},
		{"the address of a target the Core names by FQDN", "CORE01", coreEvent(4001, "HTTP/127.0.0.1"), ""},
		{"no process or account logged", "CORE01", facts.EventGroup{ID: 8001, Counterpart: "agent01.corp.example"}, agent01ID},
		{"another target", "CORE01", coreEvent(8001, "HTTP/web01.corp.example"), ""},
		{"another account", "CORE01", facts.EventGroup{ID: 8001, Counterpart: agent01SPN, Account: `CORP\alice`, Process: coreProc}, ""},
		{"another process", "CORE01", facts.EventGroup{ID: 8001, Counterpart: agent01SPN, Account: `CORP\svc-rr`, Process: `C:\Windows\explorer.exe`}, ""},
		{"client event without a target", "CORE01", facts.EventGroup{ID: 8001, Account: `CORP\svc-rr`}, ""},
		{"client event in the target's log", "AGENT01", coreEvent(8001, agent01SPN), ""},
		{"DC pass-through naming target and Core", "DC02", facts.EventGroup{ID: 8004, Counterpart: "AGENT01", Workstation: "CORE01", Account: `CORP\svc-rr`}, agent01ID},
		{"DC pass-through from another client", "DC02", facts.EventGroup{ID: 8004, Counterpart: "AGENT01", Workstation: "PC17", Account: `CORP\svc-rr`}, ""},
		{"server audit names no client", "AGENT01", facts.EventGroup{ID: 8002, Account: `NT AUTHORITY\SYSTEM`, Process: "lsass.exe"}, ""},
		{"enhanced server event naming the Core", "AGENT01", facts.EventGroup{ID: 4021, Counterpart: "core01.corp.example", Account: `CORP\svc-rr`}, agent01ID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			l.events(c.host, c.group)
			m := l.eval(Options{})
			var claimed []string
			for _, p := range m.Paths {
				if p.Evidence != nil && len(p.Evidence.Events) > 0 {
					claimed = append(claimed, p.ID)
				}
			}
			want := []string{}
			if c.path != "" {
				want = []string{c.path}
			}
			if strings.Join(claimed, ",") != strings.Join(want, ",") {
				t.Errorf("claimed by %v, want %v", claimed, want)
			}
			unmatched := len(m.UnmatchedEvents) == 1 && m.UnmatchedEvents[0].Host == c.host && len(m.UnmatchedEvents[0].Groups) == 1
			if unmatched != (c.path == "") {
				t.Errorf("unmatched events %+v", m.UnmatchedEvents)
			}
		})
	}
}

// TestEvidenceLocalSystemAccount: a LocalSystem Core shows up in events as
// its computer account.
func TestEvidenceLocalSystemAccount(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.core("CORE01").Account = inventory.Account{Kind: inventory.AccountLocalSystem, Name: "LocalSystem"}
	for _, a := range l.core("CORE01").Agents {
		a.Account = inventory.Account{}
	}
	l.events("CORE01", facts.EventGroup{ID: 8001, Counterpart: agent01SPN, Account: `CORP\CORE01$`, Process: coreProc})
	p := findPath(t, l.eval(Options{}), agent01ID)
	if p.Evidence == nil || len(p.Evidence.Events) != 1 {
		t.Errorf("the computer account's event is not matched:\n%s", dumpPath(p))
	}
}

// TestAuditPlanPhaseZero: a no-evidence path puts "turn on auditing" in the
// plan as phase 0, on the Core and the DCs whose auditing is off; never on
// a host whose log was not read, never lowering a Deny.
func TestAuditPlanPhaseZero(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.set("AGENT01", facts.RestrictReceivingNTLMTraffic, 2)
	l.events("CORE01")
	l.events("DC01")
	l.events("DC02")
	l.set("DC02", facts.AuditNTLMInDomain, 7)
	m := l.eval(Options{})
	var got []string
	for _, c := range m.Plan {
		if c.Step == StepAudit {
			got = append(got, c.Host+" "+c.Setting+"="+c.Value)
		}
	}
	want := "CORE01 RestrictSendingNTLMTraffic=1 (Audit all),DC01 AuditNTLMInDomain=7 (Enable all)"
	if strings.Join(got, ",") != want {
		t.Errorf("phase 0 = %v, want %s", got, want)
	}
	// Without an event read there is no phase 0.
	l2 := newLab(t)
	l2.set("AGENT01", facts.RestrictReceivingNTLMTraffic, 2)
	for _, c := range l2.eval(Options{}).Plan {
		if c.Step == StepAudit {
			t.Errorf("phase 0 without an event read: %+v", c)
		}
	}
}

// TestAuditPlanUsesTheLever: a phase 0 change is a registry change like
// the fixes (issue 16): guarded by the inventory's NetBIOS name, with the
// value the undo restores, and, where a GPO sets the value, an edit of
// that GPO instead of a local line the next refresh would revert.
func TestAuditPlanUsesTheLever(t *testing.T) {
	t.Parallel()
	const guid = "{11111111-2222-3333-4444-555555555555}"
	l := newLab(t)
	l.set("AGENT01", facts.RestrictReceivingNTLMTraffic, 2)
	l.events("CORE01")
	l.events("DC01")
	l.set("CORE01", facts.RestrictSendingNTLMTraffic, 0)
	l.set("DC01", facts.AuditNTLMInDomain, 0)
	l.rsop("DC01", "Default Domain Controllers Policy", guid, facts.AuditNTLMInDomain)
	m := l.eval(Options{})
	seen := map[string]bool{}
	for _, c := range m.Plan {
		if c.Step != StepAudit {
			continue
		}
		seen[c.Host] = true
		if c.Guard != c.Host || c.Was != "0" {
			t.Errorf("%s: guard %q was %q, want %q and 0", c.ID, c.Guard, c.Was, c.Host)
		}
		switch c.Host {
		case "DC01":
			if c.Source == nil || c.Source.GPOGUID != guid || c.PowerShell != "" ||
				!strings.Contains(c.GPOEdit, "AuditNTLMInDomain=4,7") || !strings.Contains(strings.Join(c.Notes, " "), guid) {
				t.Errorf("DC01's audit change is not an edit of its GPO: source %+v powershell %q gpo edit %q", c.Source, c.PowerShell, c.GPOEdit)
			}
		case "CORE01":
			if c.PowerShell == "" || c.GPOEdit != "" {
				t.Errorf("CORE01's audit change (no GPO) lacks its local line: %+v", c)
			}
		}
	}
	if !seen["DC01"] || !seen["CORE01"] {
		t.Fatalf("phase 0 on %v, want CORE01 and DC01", seen)
	}
}

// TestEveryAtRiskPathHasEvidence: whatever the facts, no at-risk path lacks
// an evidence state.
func TestEveryAtRiskPathHasEvidence(t *testing.T) {
	t.Parallel()
	for _, c := range ruleCases() {
		l := newLab(t)
		if c.mut != nil {
			c.mut(l)
		}
		m := l.eval(c.opts)
		for i := range m.Paths {
			if p := &m.Paths[i]; p.Verdict == AtRisk && p.Evidence == nil {
				t.Errorf("%s: at-risk path %s has no evidence state", c.name, p.ID)
			}
		}
	}
}

// TestEvidenceEventsCapped: a path copies at most maxPathEvents groups from
// the hosts' facts and counts the rest.
func TestEvidenceEventsCapped(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	var groups []facts.EventGroup
	for i := range maxPathEvents + 2 {
		g := coreEvent(8001, agent01SPN)
		g.Process = fmt.Sprintf(`D:\RR%d\Core.Service.exe`, i) // distinct groups, same path
		groups = append(groups, g)
	}
	l.events("CORE01", groups...)
	p := findPath(t, l.eval(Options{}), agent01ID)
	if p.Evidence == nil || len(p.Evidence.Events) != maxPathEvents || p.Evidence.MoreEvents != 2 {
		t.Fatalf("evidence %+v", p.Evidence)
	}
}

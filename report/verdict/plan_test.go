package verdict

import (
	"slices"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// applyPlan applies the plan's structured changes to the lab as an admin
// would: list additions, DWORD values and Core renames (the inventory's
// name: follows the Core). Manual changes are not applied.
func applyPlan(t *testing.T, l *lab, plan []Change) {
	t.Helper()
	for _, c := range plan {
		hosts := c.Hosts // a GPO edit reaches every host of the GPO
		if len(hosts) == 0 {
			hosts = []string{c.Host}
		}
		switch c.Kind {
		case ChangeList:
			for _, h := range hosts {
				l.set(h, c.SettingID, psApplyAdd(l.list(h, c.SettingID), c.Add))
			}
		case ChangeDWORD:
			for _, h := range hosts {
				l.set(h, c.SettingID, int(*c.Set))
			}
		case ChangeRename:
			core := l.core(c.Rename.Core)
			for _, link := range core.Agents {
				if link.Agent != nil && strings.EqualFold(link.Agent.Name, c.Rename.Target) && link.NameUsed == c.Rename.From {
					link.NameUsed = c.Rename.To
					l.probe(core.Host.Name, c.Rename.To, link.Port, true, "")
				}
			}
			for _, link := range core.Replication {
				if link.Target != nil && strings.EqualFold(link.Target.Name, c.Rename.Target) && link.NameUsed == c.Rename.From {
					link.NameUsed = c.Rename.To
					l.probe(core.Host.Name, c.Rename.To, link.Port, true, "")
				}
			}
		}
	}
}

// pathKey identifies a path across a rename: Core, kind, target and share.
func pathKey(p *Path) string { return p.Core + "|" + string(p.Kind) + "|" + p.Target + "|" + p.Share }

func TestPlanOneChangePerHostAndSetting(t *testing.T) {
	t.Parallel()
	l := newDemo(t)
	m := l.eval(Options{})
	seen := map[string]bool{}
	byID := map[string]*Change{}
	for i := range m.Plan {
		c := &m.Plan[i]
		key := strings.ToLower(c.Host + "|" + c.Setting)
		if c.Kind != ChangeManual && c.Kind != ChangeRename {
			if seen[key] {
				t.Errorf("two plan entries for %s", key)
			}
			seen[key] = true
		}
		byID[c.ID] = c
		if len(c.Paths) == 0 {
			t.Errorf("change %s fixes no path", c.ID)
		}
	}
	dc02 := byID["DC02|DCAllowedNTLMServers"]
	if dc02 == nil {
		t.Fatalf("no DC02 list change in %+v", m.Plan)
	}
	// AGENT03 and AGENT04 (by IP: NTLM required) need DC02's list: one
	// change with both entries, merged with the four DC02 already has.
	// AGENT04 by name (Kerberos expected) and AGENT07 (not scanned: need
	// unknown) get no entry (issue 16: exceptions only for required paths).
	if want := []string{"AGENT01", "AGENT02", "AGENT06", "FS01", "AGENT03", "AGENT04"}; !slices.Equal(dc02.Final, want) {
		t.Errorf("DC02 final list = %v, want %v", dc02.Final, want)
	}
	if dc02.Current != 4 || !slices.Equal(dc02.Add, []string{"AGENT03", "AGENT04"}) || len(dc02.Paths) != 2 {
		t.Errorf("DC02 change = %+v", dc02)
	}
	if add, ok := psAddedEntries(dc02.PowerShell); !ok || !slices.Equal(add, dc02.Add) {
		t.Errorf("DC02 PowerShell does not add exactly %v: %s", dc02.Add, dc02.PowerShell)
	}
	// Every path remediation points at its plan entry.
	for _, p := range m.Paths {
		for _, r := range p.Reasons {
			if r.Remediation != nil && byID[r.Remediation.Change] == nil {
				t.Errorf("%s: remediation %s/%s has no plan entry (%q)", p.ID, r.Remediation.Host, r.Remediation.Setting, r.Remediation.Change)
			}
		}
	}
	// One exact entry per required path: AGENT02's and the replication
	// target CORE03's addresses, as the Core uses them.
	if c := byID["CORE01|ClientAllowedNTLMServers"]; c == nil || !slices.Equal(c.Add, []string{"127.0.0.32", "127.0.0.23"}) {
		t.Errorf("CORE01's list change should add only 127.0.0.32 and 127.0.0.23: %+v", c)
	}
}

// The per-path PowerShell lines of a report only ever add: whatever order
// they run in, every entry any of them adds is on the host afterwards, and
// nothing that was there is removed.
func TestRemediationLinesAreOrderIndependent(t *testing.T) {
	t.Parallel()
	l := newDemo(t)
	m := l.eval(Options{})
	var lines []*Remediation
	for _, p := range m.Paths {
		for _, r := range p.Reasons {
			if r.Remediation != nil && r.Remediation.Host == "DC02" && r.Remediation.Setting == "DCAllowedNTLMServers" {
				lines = append(lines, r.Remediation)
			}
		}
	}
	// Only the IP-named AGENT03 and AGENT04 need DC02's list (issue 16:
	// Kerberos-expected paths get no entry); two lines still show it.
	if len(lines) < 2 {
		t.Fatalf("want several DC02 lines, got %d", len(lines))
	}
	start := l.list("DC02", facts.DCAllowedNTLMServers)
	var want []string
	for _, r := range lines {
		want = psApplyAdd(want, r.Add)
	}
	n := len(lines)
	var orders [][]int
	for shift := 0; shift < n; shift++ {
		fwd, rev := make([]int, n), make([]int, n)
		for i := range n {
			fwd[i], rev[i] = (i+shift)%n, (n-1-i+shift)%n
		}
		orders = append(orders, fwd, rev, append(fwd, fwd...))
	}
	for _, order := range orders {
		list := start
		for _, i := range order {
			add, ok := psAddedEntries(lines[i].PowerShell)
			if !ok {
				t.Fatalf("line is not add-only: %s", lines[i].PowerShell)
			}
			list = psApplyAdd(list, add)
		}
		for _, e := range append(append([]string(nil), start...), want...) {
			if !containsFold(list, e) {
				t.Errorf("order %v: %s missing from %v", order, e, list)
			}
		}
	}
}

// Applying every change of the plan fixes every blocked and at-risk path
// of the demo fleet that the plan is for.
func TestPlanAppliedFixesEveryBlockedPath(t *testing.T) {
	t.Parallel()
	l := newDemo(t)
	before := l.eval(Options{})
	applyPlan(t, l, before.Plan)
	after := l.eval(Options{})
	byKey := map[string]*Path{}
	for i := range after.Paths {
		byKey[pathKey(&after.Paths[i])] = &after.Paths[i]
	}
	blocked := 0
	for i := range before.Paths {
		b := &before.Paths[i]
		if !b.Verdict.Blocking() {
			continue
		}
		blocked++
		a := byKey[pathKey(b)]
		if a == nil || a.Verdict != OK {
			t.Errorf("%s was %s; after the plan: %s", b.ID, b.Verdict, dumpPath(a))
		}
	}
	if blocked < 3 {
		t.Fatalf("only %d blocked paths in the demo", blocked)
	}
}

// A host that refused the scan's NTLM logon by policy was never read: its
// fix (RestrictReceivingNTLMTraffic=0) must be confirmed first, so the plan
// lists it as a manual change, never as a DWORD line a script applies.
func TestPlanSuspectedFixIsManual(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.results["AGENT02"] = &facts.HostResult{Host: "AGENT02", Error: &facts.HostError{Class: facts.ErrAuthNTLMPolicy, Message: "401"}}
	m := l.eval(Options{})
	if p := findPath(t, m, pA2); p.Verdict != BlockedSuspected {
		t.Fatalf("verdict %s, want blocked-suspected\n%s", p.Verdict, dumpPath(p))
	}
	found := false
	for _, c := range m.Plan {
		if !strings.EqualFold(c.Host, "AGENT02") {
			continue
		}
		if c.Kind == ChangeDWORD || c.Set != nil {
			t.Errorf("unread host gets a scripted change: %+v", c)
		}
		if c.Kind == ChangeManual && c.Setting == "RestrictReceivingNTLMTraffic" && slices.Contains(c.Paths, pA2) {
			found = true
		}
	}
	if !found {
		t.Errorf("no manual RestrictReceivingNTLMTraffic change for AGENT02 in %+v", m.Plan)
	}
}

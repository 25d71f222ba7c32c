package verdict

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/report/whatif"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

func u64p(n uint64) *uint64 { return &n }

func TestOverlay(t *testing.T) {
	t.Parallel()
	core01 := whatif.Selector{Hosts: []string{"CORE01"}}
	cases := []struct {
		name          string
		mut           func(l *lab)
		changes       []whatif.Change
		path          string
		before, after Verdict
		host, setting string // deciding after
		note          string // substring of a host note
		check         func(t *testing.T, p *Path)
	}{
		{name: "set outgoing to allow all unblocks", path: pA2, before: Blocked, after: OK,
			mut:     func(l *lab) { l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2) },
			changes: []whatif.Change{{Select: core01, Setting: facts.RestrictSendingNTLMTraffic, Set: &whatif.Value{DWORD: u64p(0)}}}},
		{name: "remove outgoing unblocks", path: pA2, before: Blocked, after: OK,
			mut:     func(l *lab) { l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2) },
			changes: []whatif.Change{{Select: core01, Setting: facts.RestrictSendingNTLMTraffic, Remove: true}}},
		{name: "set outgoing to deny blocks", path: pA2, before: OK, after: Blocked, host: "CORE01", setting: "RestrictSendingNTLMTraffic",
			changes: []whatif.Change{{Select: core01, Setting: facts.RestrictSendingNTLMTraffic, Set: &whatif.Value{DWORD: u64p(2)}}}},
		{name: "add exceptions in both name forms", path: pA1, before: AtRisk, after: OK,
			mut: func(l *lab) { l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2) },
			changes: []whatif.Change{{Select: core01, Setting: facts.ClientAllowedNTLMServers,
				Add: []string{"agent01.corp.example", "AGENT01"}}}},
		{name: "delete an exception", path: pA1, before: OK, after: AtRisk, host: "CORE01", setting: "RestrictSendingNTLMTraffic",
			mut: func(l *lab) {
				l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2)
				l.set("CORE01", facts.ClientAllowedNTLMServers, []string{"fs01.corp.example", "agent01.corp.example"})
			},
			changes: []whatif.Change{{Select: core01, Setting: facts.ClientAllowedNTLMServers, Delete: []string{"AGENT01.corp.example"}}}},
		{name: "set a whole list", path: pA3, before: AtRisk, after: OK,
			mut: func(l *lab) { l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2) },
			changes: []whatif.Change{{Select: core01, Setting: facts.ClientAllowedNTLMServers,
				Set: &whatif.Value{Strings: []string{"AGENT03"}}}}},
		{name: "select by role", path: pA2, before: OK, after: Blocked, host: "DC01", setting: "RestrictNTLMInDomain",
			changes: []whatif.Change{{Select: whatif.Selector{Roles: []inventory.Role{inventory.RoleDomainController}},
				Setting: facts.RestrictNTLMInDomain, Set: &whatif.Value{DWORD: u64p(7)}}}},
		{name: "select by tag", path: pA2, before: OK, after: Blocked, host: "AGENT02", setting: "RestrictReceivingNTLMTraffic",
			mut: func(l *lab) { l.host("AGENT02").Tags = []string{"tier1"} },
			changes: []whatif.Change{{Select: whatif.Selector{Tags: []string{"TIER1"}},
				Setting: facts.RestrictReceivingNTLMTraffic, Set: &whatif.Value{DWORD: u64p(1)}}}},
		{name: "disable SMB BlockNTLM", path: pNAS, before: Blocked, after: OK,
			mut: func(l *lab) {
				l.build("CORE01", ws2025Build)
				l.set("CORE01", facts.SMBBlockNTLM, 1)
				l.smbCmdlet("CORE01", boolPtr(true))
			},
			changes: []whatif.Change{{Select: core01, Setting: facts.SMBBlockNTLM, Set: &whatif.Value{DWORD: u64p(0)}}},
			note:    "Get-SmbClientConfiguration"},
		{name: "unknown setting is a note", path: pA2, before: OK, after: OK,
			changes: []whatif.Change{{Select: core01, Setting: "NoSuchSetting", Set: &whatif.Value{DWORD: u64p(2)}, Line: 7}},
			note:    "unknown setting"},
		{name: "type mismatch is a note", path: pA2, before: OK, after: OK,
			changes: []whatif.Change{{Select: core01, Setting: facts.ClientAllowedNTLMServers, Set: &whatif.Value{DWORD: u64p(2)}}},
			note:    "is a list"},
		{name: "add to a number is a note", path: pA2, before: OK, after: OK,
			changes: []whatif.Change{{Select: core01, Setting: facts.RestrictSendingNTLMTraffic, Add: []string{"x"}}},
			note:    "lists only"},
		{name: "described NAS has no registry", path: pNAS, before: OK, after: OK,
			changes: []whatif.Change{{Select: whatif.Selector{Hosts: []string{"NAS01"}}, Setting: facts.RestrictReceivingNTLMTraffic,
				Set: &whatif.Value{DWORD: u64p(2)}}},
			note: "no Windows registry"},
		{name: "unscanned Core stays unknown", path: pA2, before: Unknown, after: Unknown, host: "CORE01", setting: SettingScan,
			mut: func(l *lab) { l.unscan("CORE01") },
			changes: []whatif.Change{{Select: core01, Setting: facts.ClientAllowedNTLMServers,
				Add: []string{"10.0.0.32"}}},
			note: "synthetic value set"},
		// An IP path needs NTLM whatever TryIPSPN says, so there the assumed
		// deny blocks; on a Kerberos path the unscanned Core stays unknown.
		{name: "unscanned Core with an assumed deny blocks an IP path", path: pA2, before: Unknown, after: Blocked, host: "CORE01", setting: "RestrictSendingNTLMTraffic",
			mut: func(l *lab) { l.unscan("CORE01") },
			changes: []whatif.Change{
				{Select: core01, Setting: facts.RestrictSendingNTLMTraffic, Set: &whatif.Value{DWORD: u64p(2)}},
				{Select: core01, Setting: facts.ClientAllowedNTLMServers, Set: &whatif.Value{Strings: []string{}}},
			},
			note: "synthetic value set"},
		{name: "unscanned Core with an assumed deny stays unknown", path: pA1, before: Unknown, after: Unknown, host: "CORE01", setting: SettingScan,
			mut: func(l *lab) { l.unscan("CORE01") },
			changes: []whatif.Change{
				{Select: core01, Setting: facts.RestrictSendingNTLMTraffic, Set: &whatif.Value{DWORD: u64p(2)}},
				{Select: core01, Setting: facts.ClientAllowedNTLMServers, Set: &whatif.Value{Strings: []string{}}},
			},
			note: "synthetic value set",
			check: func(t *testing.T, p *Path) {
				if !hasReason(p, "CORE01", "RestrictSendingNTLMTraffic", EffectBlocks) {
					t.Errorf("the assumed deny is not listed\n%s", dumpPath(p))
				}
			}},
		{name: "delete on an unscanned host is a note", path: pA2, before: Unknown, after: Unknown,
			mut:     func(l *lab) { l.unscan("CORE01") },
			changes: []whatif.Change{{Select: core01, Setting: facts.ClientAllowedNTLMServers, Delete: []string{"x"}}},
			host:    "CORE01", setting: SettingScan, note: "cannot be deleted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			if tc.mut != nil {
				tc.mut(l)
			}
			results := l.resultList()
			pristine := deepCopyResults(results)
			ov := &whatif.Overlay{Name: "what-if", File: "assume.yaml", Changes: tc.changes}
			m := Evaluate(l.inv, results, ov, Options{})
			if !reflect.DeepEqual(results, pristine) {
				t.Fatal("Evaluate modified the collected facts")
			}
			p := findPath(t, m, tc.path)
			if p.Before == nil {
				t.Fatal("Before not set")
			}
			if p.Before.Verdict != tc.before || p.Verdict != tc.after {
				t.Fatalf("before %s after %s, want %s -> %s\n%s", p.Before.Verdict, p.Verdict, tc.before, tc.after, dumpPath(p))
			}
			if tc.host != "" && (p.Deciding == nil || p.Deciding.Host != tc.host || p.Deciding.Setting != tc.setting) {
				t.Errorf("deciding %+v, want %s/%s\n%s", p.Deciding, tc.host, tc.setting, dumpPath(p))
			}
			if tc.note != "" && !slices.ContainsFunc(m.HostNotes, func(r Reason) bool { return strings.Contains(r.Explanation, tc.note) }) {
				t.Errorf("no host note containing %q: %+v", tc.note, m.HostNotes)
			}
			if tc.check != nil {
				tc.check(t, p)
			}
			if m.Overlay != "what-if" {
				t.Errorf("Matrix.Overlay = %q", m.Overlay)
			}
		})
	}
}

func TestNoOverlayLeavesBeforeEmpty(t *testing.T) {
	t.Parallel()
	m := newLab(t).eval(Options{})
	for _, p := range m.Paths {
		if p.Before != nil || p.Changed() {
			t.Errorf("%s has Before without an overlay", p.ID)
		}
	}
	if m.Overlay != "" {
		t.Errorf("Overlay = %q", m.Overlay)
	}
}

// TestDeterministic: the matrix depends on the facts, not on the order the
// scanner returned them in, and paths come sorted by Core, Kind, Target,
// NameUsed.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	l := newDemo(t)
	results := l.resultList()
	a := Evaluate(l.inv, results, demoAssume(), Options{})
	rev := slices.Clone(results)
	slices.Reverse(rev)
	b := Evaluate(l.inv, rev, demoAssume(), Options{})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("matrix depends on result order")
	}
	if !slices.IsSortedFunc(a.Paths, func(x, y Path) int {
		if c := foldCompare(x.Core, y.Core); c != 0 {
			return c
		}
		if c := strings.Compare(string(x.Kind), string(y.Kind)); c != 0 {
			return c
		}
		if c := foldCompare(x.Target, y.Target); c != 0 {
			return c
		}
		return foldCompare(x.NameUsed, y.NameUsed)
	}) {
		t.Error("paths not sorted")
	}
	seen := map[string]bool{}
	for _, p := range a.Paths {
		if seen[p.ID] {
			t.Errorf("duplicate path ID %s", p.ID)
		}
		seen[p.ID] = true
		if p.ID != PathID(p.Core, p.Kind, p.Target, p.NameUsed) {
			t.Errorf("ID %s not core|kind|target|nameUsed", p.ID)
		}
	}
}

func TestDuplicateShareIDs(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	acct := inventory.Account{Kind: inventory.AccountDomain, Name: `CORP\svc-rr`, Domain: "corp.example"}
	l.addRepo(l.core("CORE01"), l.host("FS01"), `\\fs01.corp.example\Repo2`, acct)
	m := l.eval(Options{})
	var ids []string
	for _, p := range m.Paths {
		if p.Target == "FS01" {
			ids = append(ids, p.ID)
		}
	}
	want := []string{pFS + `|\\fs01.corp.example\Repo`, pFS + `|\\fs01.corp.example\Repo2`}
	if !slices.Equal(ids, want) {
		t.Errorf("ids = %q, want %q", ids, want)
	}
}

func TestNilAndEmpty(t *testing.T) {
	t.Parallel()
	if m := Evaluate(nil, nil, nil, Options{}); m == nil || len(m.Paths) != 0 {
		t.Errorf("nil inventory: %+v", m)
	}
	l := newLab(t)
	// No results at all: every path is unknown, nothing panics.
	m := Evaluate(l.inv, nil, nil, Options{})
	for _, p := range m.Paths {
		if p.Verdict != Unknown {
			t.Errorf("%s = %s without facts", p.ID, p.Verdict)
		}
	}
}

// TestHostNotes covers findings that belong to no single path.
func TestHostNotes(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.service("CORE01", "Stopped", `CORP\other-svc`)
	l.facts("AGENT01").Identity.Domain = "other.example"
	m := l.eval(Options{})
	want := map[string]string{
		"CORE01/" + SettingService:   "Stopped",
		"AGENT01/" + SettingIdentity: "other.example",
	}
	for key, sub := range want {
		found := false
		for _, n := range m.HostNotes {
			if n.Host+"/"+n.Setting == key && strings.Contains(n.Explanation, sub) {
				found = true
			}
		}
		if !found {
			t.Errorf("no host note %s mentioning %q", key, sub)
		}
	}
	logon := 0
	for _, n := range m.HostNotes {
		if n.Setting == SettingService && strings.Contains(n.Explanation, "runs as") {
			logon++
		}
	}
	if logon != 1 {
		t.Errorf("%d logon-account notes, want 1", logon)
	}
}

// TestServicesUnknownNote: a Core whose services could not be listed (the
// scanning account is no administrator there) gets an "unknown" note with
// the reason, never "service not found".
func TestServicesUnknownNote(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	f := l.facts("CORE01")
	f.Services = []facts.Service{{Name: "RapidRecoveryCore"}}
	f.Errors = append(f.Errors,
		facts.StepError{Step: facts.StepServicesWMI, Message: "Access denied "},
		facts.StepError{Step: facts.StepServices, Message: "Cannot open Service Control Manager on computer '.'."})
	m := l.eval(Options{})
	found := false
	for _, n := range m.HostNotes {
		if n.Host != "CORE01" || n.Setting != SettingService {
			continue
		}
		if n.RawValue == "absent" || strings.Contains(n.Explanation, "No Rapid Recovery Core service") {
			t.Errorf("note says absent: %+v", n)
		}
		if n.RawValue == "unknown" && strings.Contains(n.Explanation, "Cannot open Service Control Manager") {
			found = true
		}
	}
	if !found {
		t.Errorf("no unknown service note with the reason: %+v", m.HostNotes)
	}
}

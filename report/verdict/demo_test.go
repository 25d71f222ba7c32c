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

// newDemo builds the demo fleet (the estate of examples/lab.yaml and
// examples/inventory.yaml) as Go values: inventory and the facts the scanner
// collects from the simulator.
func newDemo(t testing.TB) *lab {
	l := newEmptyLab(t)
	corp := &inventory.Domain{Name: "corp.example", NetBIOS: "CORP", Forest: "corp.example"}
	l.inv.Domains = append(l.inv.Domains, corp)

	dc01 := l.addHost("DC01", inventory.RoleDomainController, "corp.example")
	l.facts("DC01").Identity.DomainRole = facts.RolePrimaryDC
	l.set("DC01", facts.AuditNTLMInDomain, 7)
	dc02 := l.addHost("DC02", inventory.RoleDomainController, "corp.example")
	l.set("DC02", facts.RestrictNTLMInDomain, 1)
	l.set("DC02", facts.DCAllowedNTLMServers, []string{"AGENT01", "AGENT02", "AGENT06", "FS01"})
	corp.Controllers = []*inventory.Host{dc01, dc02}

	svc := inventory.Account{Kind: inventory.AccountDomain, Name: `CORP\svc-rapidrecovery`, Domain: "corp.example"}
	core01 := l.addCore("CORE01", "corp.example", svc)
	l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2)
	l.set("CORE01", facts.ClientAllowedNTLMServers, []string{
		"agent01.corp.example", "AGENT01", "fs01.corp.example", "FS01", "agent04.corp.example", "AGENT04", "127.0.0.35",
	})
	l.set("CORE01", facts.LmCompatibilityLevel, 5)

	system := inventory.Account{Kind: inventory.AccountLocalSystem, Name: "LocalSystem", Domain: "corp.example"}
	core02 := l.addCore("CORE02", "corp.example", system)
	l.build("CORE02", ws2025Build)
	l.set("CORE02", facts.RestrictSendingNTLMTraffic, 1)
	l.set("CORE02", facts.SMBBlockNTLM, 1)
	l.set("CORE02", facts.SMBBlockNTLMServerExceptionList, []string{"fs01.corp.example"})
	l.smbCmdlet("CORE02", boolPtr(true))

	agents := map[string]*inventory.Host{}
	for _, n := range []string{"AGENT01", "AGENT02", "AGENT03", "AGENT04", "AGENT06", "AGENT07"} {
		agents[n] = l.addHost(n, inventory.RoleAgent, "corp.example")
	}
	l.build("AGENT01", 17763)
	l.build("AGENT04", 14393)
	l.set("AGENT03", facts.RestrictReceivingNTLMTraffic, 1)
	agents["AGENT05"] = l.addHost("AGENT05", inventory.RoleAgent, "")
	agents["AGENT05"].FQDN = "" // the inventory gives only the NetBIOS name
	l.facts("AGENT05").Identity.Domain = "DMZ"
	l.build("AGENT05", 17763)
	l.set("AGENT05", facts.LmCompatibilityLevel, 3)
	l.unscan("AGENT07") // Kerberos-only WinRM, scanned without a krb5.conf (the demo itself scans it over Kerberos)

	fs01 := l.addHost("FS01", inventory.RoleRepositoryHost, "corp.example")
	l.set("FS01", facts.SMBServerRequireSigning, 1)
	nas01 := l.addDescribed("NAS01", "", &inventory.Described{Platform: "nas"})

	l.addAgent(core01, agents["AGENT01"], "agent01.corp.example")
	l.addAgent(core01, agents["AGENT02"], "127.0.0.32")
	l.addAgent(core01, agents["AGENT04"], "agent04.corp.example")
	l.addAgent(core01, agents["AGENT05"], "127.0.0.35").Account = inventory.Account{Kind: inventory.AccountLocal, Name: `AGENT05\rr-local`}
	l.addRepo(core01, fs01, `\\fs01.corp.example\RRRepo`, svc)

	l.addAgent(core02, agents["AGENT03"], "127.0.0.33")
	l.addAgent(core02, agents["AGENT04"], "127.0.0.34")
	l.addAgent(core02, agents["AGENT06"], "agent06.corp.example")
	l.probe("CORE02", "agent06.corp.example", 8006, false, "timeout") // lab network cut
	l.addAgent(core02, agents["AGENT07"], "agent07.corp.example")
	l.addRepo(core02, fs01, `\\fs01.corp.example\RRRepo2`, system)
	l.addRepo(core02, nas01, `\\nas01\rr-archive`, inventory.Account{Kind: inventory.AccountLocal, Name: `NAS01\rrbackup`})

	// The second-site Core in workgroup DR, replicated to by address with
	// a local account of it.
	core03 := l.addCore("CORE03", "", inventory.Account{Kind: inventory.AccountLocalSystem, Name: "LocalSystem"})
	core03.FQDN = ""
	l.facts("CORE03").Identity.Domain = "DR"
	l.addReplication(core01, core03, "127.0.0.23", inventory.Account{Kind: inventory.AccountLocal, Name: `CORE03\rr-replication`})
	return l
}

type designed struct {
	id            string
	want          Verdict
	need          Need
	host, setting string // deciding reason; "" = none
}

// demoDesign is the verdict each path of the demo fleet is designed to get,
// in path order.
var demoDesign = []designed{
	{"CORE01|agent|AGENT01|agent01.corp.example", OK, NeedFallback, "", ""},
	{"CORE01|agent|AGENT02|127.0.0.32", Blocked, NeedRequired, "CORE01", "RestrictSendingNTLMTraffic"},
	{"CORE01|agent|AGENT04|agent04.corp.example", AtRisk, NeedFallback, "DC02", "RestrictNTLMInDomain"},
	{"CORE01|agent|AGENT05|127.0.0.35", OK, NeedRequired, "", ""},
	{"CORE01|replication|CORE03|127.0.0.23", Blocked, NeedRequired, "CORE01", "RestrictSendingNTLMTraffic"},
	{"CORE01|share|FS01|fs01.corp.example", OK, NeedFallback, "", ""},
	{"CORE02|agent|AGENT03|127.0.0.33", Blocked, NeedRequired, "AGENT03", "RestrictReceivingNTLMTraffic"},
	{"CORE02|agent|AGENT04|127.0.0.34", AtRisk, NeedRequired, "DC02", "RestrictNTLMInDomain"},
	{"CORE02|agent|AGENT06|agent06.corp.example", Unreachable, NeedFallback, "CORE02", SettingReachability},
	{"CORE02|agent|AGENT07|agent07.corp.example", Unknown, NeedFallback, "AGENT07", SettingScan},
	{"CORE02|share|FS01|fs01.corp.example", OK, NeedFallback, "", ""},
	{"CORE02|share|NAS01|nas01", Blocked, NeedRequired, "CORE02", "BlockNTLM"},
}

func TestDemoFleet(t *testing.T) {
	t.Parallel()
	l := newDemo(t)
	m := l.eval(Options{})
	if len(m.Paths) != len(demoDesign) {
		t.Fatalf("%d paths, want %d", len(m.Paths), len(demoDesign))
	}
	for i, d := range demoDesign {
		p := &m.Paths[i]
		t.Run(d.id, func(t *testing.T) {
			if p.ID != d.id {
				t.Fatalf("path %d is %s, want %s (order)", i, p.ID, d.id)
			}
			if p.Verdict != d.want || p.Need != d.need {
				t.Fatalf("verdict %s need %s, want %s %s\n%s", p.Verdict, p.Need, d.want, d.need, dumpPath(p))
			}
			switch {
			case d.host == "" && p.Deciding != nil:
				t.Errorf("deciding %s/%s, want none", p.Deciding.Host, p.Deciding.Setting)
			case d.host != "" && (p.Deciding == nil || p.Deciding.Host != d.host || p.Deciding.Setting != d.setting):
				t.Errorf("deciding %+v, want %s/%s\n%s", p.Deciding, d.host, d.setting, dumpPath(p))
			}
		})
	}

	agent02 := findPath(t, m, "CORE01|agent|AGENT02|127.0.0.32")
	rem := mustDeciding(t, agent02).Remediation
	wantPS := `$k = 'HKLM:\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0'; $l = @((Get-ItemProperty -Path $k -ErrorAction SilentlyContinue).ClientAllowedNTLMServers | Where-Object { $_ }); foreach ($e in @('127.0.0.32')) { if ($l -notcontains $e) { $l += $e } }; Set-ItemProperty -Path $k -Name ClientAllowedNTLMServers -Type MultiString -Value ([string[]]$l)`
	if rem == nil || rem.Host != "CORE01" || rem.PowerShell != wantPS || rem.Value != "127.0.0.32" || rem.Rename != nil {
		t.Errorf("remediation = %+v", rem)
	} else {
		for _, sub := range []string{"UNCONFIRMED", "setspn -S 'HOST/127.0.0.32' 'AGENT02'", "TryIPSPN=1", "as agent02.corp.example", "then remove the entry 127.0.0.32"} {
			if !strings.Contains(rem.Note, sub) {
				t.Errorf("remediation note lacks %q: %s", sub, rem.Note)
			}
		}
		if !strings.HasSuffix(rem.GPOPath, `Security Options\Network security: Restrict NTLM: Add remote server exceptions for NTLM authentication`) {
			t.Errorf("GPO path %q", rem.GPOPath)
		}
	}
	if agent02.Deciding.Event != "4001 on CORE01" || agent02.Deciding.ValueLabel != "Deny all" || agent02.Deciding.RawValue != "2" {
		t.Errorf("deciding = %+v", agent02.Deciding)
	}

	repl := findPath(t, m, "CORE01|replication|CORE03|127.0.0.23")
	// Issue 16: the fix is one exact entry, the address the source Core
	// uses; CORE03 is in a workgroup, so NTLM stays required and there is
	// no rename to Kerberos to advise.
	if fix := mustDeciding(t, repl).Remediation; fix == nil || fix.Host != "CORE01" || !slices.Equal(fix.Add, []string{"127.0.0.23"}) ||
		!strings.Contains(fix.Note, "CORE03 is not domain-joined") || repl.Impact != "replication to CORE03 will fail" || fix.Rename != nil {
		t.Errorf("replication fix %+v impact %q", repl.Deciding.Remediation, repl.Impact)
	}
	agent05 := findPath(t, m, "CORE01|agent|AGENT05|127.0.0.35")
	reasonHas("UNCONFIRMED", "127.0.0.35", "literal IP")(t, agent05, m)
	core02agent04 := findPath(t, m, "CORE02|agent|AGENT04|127.0.0.34")
	if !strings.Contains(mustDeciding(t, core02agent04).Explanation, "intermittent") {
		t.Errorf("CORE02->AGENT04 should explain the one-of-two-DCs case: %s", core02agent04.Deciding.Explanation)
	}
	dcFix := core02agent04.Deciding.Remediation
	if dcFix == nil || dcFix.Host != "DC02" || !slices.Equal(dcFix.Add, []string{"AGENT04"}) || dcFix.Change != "DC02|DCAllowedNTLMServers" ||
		!strings.Contains(dcFix.PowerShell, `foreach ($e in @('AGENT04'))`) {
		t.Errorf("DC02 remediation = %+v", dcFix)
	}
	nas := findPath(t, m, "CORE02|share|NAS01|nas01")
	if mustDeciding(t, nas).Remediation == nil || !strings.Contains(nas.Deciding.Remediation.PowerShell, `foreach ($e in @('nas01'))`) {
		t.Errorf("NAS remediation = %+v", nas.Deciding.Remediation)
	}
	if !hasReason(findPath(t, m, "CORE01|agent|AGENT01|agent01.corp.example"), "DC01", "AuditNTLMInDomain", EffectAudit) {
		t.Error("CORE01->AGENT01 lacks DC01's audit note")
	}
	if !hasReason(findPath(t, m, "CORE02|share|FS01|fs01.corp.example"), "CORE02", "BlockNTLMServerExceptionList", EffectAllows) {
		t.Error("CORE02->FS01 lacks the SMB exception that allows it")
	}

	notes := map[string]bool{}
	for _, n := range m.HostNotes {
		notes[n.Host+"/"+n.Setting] = true
	}
	for _, want := range []string{"AGENT07/" + SettingScan, "CORE01/RestrictSendingNTLMTraffic", "AGENT03/RestrictReceivingNTLMTraffic", "DC02/RestrictNTLMInDomain"} {
		if !notes[want] {
			t.Errorf("no host note %s; have %v", want, notes)
		}
	}
	if notes["NAS01/"+SettingScan] {
		t.Error("a described NAS is not a scan failure")
	}
}

func TestDemoFleetStrict(t *testing.T) {
	t.Parallel()
	m := newDemo(t).eval(Options{Strict: true})
	for _, p := range m.Paths {
		if p.Verdict == OK {
			t.Errorf("%s is ok in strict mode\n%s", p.ID, dumpPath(&p))
		}
	}
	p := findPath(t, m, "CORE01|agent|AGENT01|agent01.corp.example")
	if p.Verdict != AtRisk || mustDeciding(t, p).Host != "CORE01" || p.Deciding.Setting != "RestrictSendingNTLMTraffic" {
		t.Errorf("strict CORE01->AGENT01 = %s %+v", p.Verdict, p.Deciding)
	}
}

// demoAssume is examples/assume.yaml as Go values.
func demoAssume() *whatif.Overlay {
	two := uint64(2)
	return &whatif.Overlay{Name: "demo-ntlm-baseline", File: "examples/assume.yaml", Changes: []whatif.Change{
		{Select: whatif.Selector{Roles: []inventory.Role{inventory.RoleAgent}}, Setting: facts.RestrictReceivingNTLMTraffic,
			Set: &whatif.Value{DWORD: &two}, Line: 22},
		{Select: whatif.Selector{Hosts: []string{"CORE01"}}, Setting: facts.ClientAllowedNTLMServers,
			Add: []string{"127.0.0.32"}, Line: 30},
		{Select: whatif.Selector{Hosts: []string{"CORE01"}}, Setting: facts.ClientAllowedNTLMServers,
			Add: []string{"127.0.0.23"}, Line: 41},
	}}
}

func TestDemoOverlay(t *testing.T) {
	t.Parallel()
	l := newDemo(t)
	results := l.resultList()
	pristine := deepCopyResults(results)
	m := Evaluate(l.inv, results, demoAssume(), Options{})
	if !reflect.DeepEqual(results, pristine) {
		t.Fatal("Evaluate modified the collected facts")
	}
	if m.Overlay != "demo-ntlm-baseline" {
		t.Errorf("overlay = %q", m.Overlay)
	}
	cases := []struct {
		id            string
		before, after Verdict
		host, setting string
	}{
		// Kerberos path: fine today, at-risk once agents deny incoming NTLM.
		{"CORE01|agent|AGENT01|agent01.corp.example", OK, AtRisk, "AGENT01", "RestrictReceivingNTLMTraffic"},
		// The IP exception is UNCONFIRMED, and AGENT02 now denies NTLM anyway.
		{"CORE01|agent|AGENT02|127.0.0.32", Blocked, Blocked, "AGENT02", "RestrictReceivingNTLMTraffic"},
		// Local accounts are denied by "Deny all accounts".
		{"CORE01|agent|AGENT05|127.0.0.35", OK, Blocked, "AGENT05", "RestrictReceivingNTLMTraffic"},
		// Replication to the second-site Core: the exception for its
		// address lifts the block (the literal IP the Core uses: ok with an
		// UNCONFIRMED note, issue 16).
		{"CORE01|replication|CORE03|127.0.0.23", Blocked, OK, "", ""},
		// Shares are not agents: unchanged.
		{"CORE02|share|FS01|fs01.corp.example", OK, OK, "", ""},
		// AGENT07 was not scanned: the change applies to a synthetic value,
		// which is the only AGENT07 setting this path depends on.
		{"CORE02|agent|AGENT07|agent07.corp.example", Unknown, AtRisk, "AGENT07", "RestrictReceivingNTLMTraffic"},
	}
	for _, c := range cases {
		p := findPath(t, m, c.id)
		if p.Before == nil || p.Before.Verdict != c.before || p.Verdict != c.after {
			t.Errorf("%s: before %+v after %s, want %s -> %s\n%s", c.id, p.Before, p.Verdict, c.before, c.after, dumpPath(p))
			continue
		}
		if p.Changed() != (c.before != c.after) {
			t.Errorf("%s: Changed() = %t", c.id, p.Changed())
		}
		if c.host != "" && (p.Deciding == nil || p.Deciding.Host != c.host || p.Deciding.Setting != c.setting) {
			t.Errorf("%s: deciding %+v, want %s/%s", c.id, p.Deciding, c.host, c.setting)
		}
	}
	p := findPath(t, m, "CORE01|agent|AGENT02|127.0.0.32")
	if p.Before == nil || p.Before.Deciding == nil || p.Before.Deciding.Host != "CORE01" {
		t.Errorf("before deciding = %+v", p.Before.Deciding)
	}
	found := false
	for _, r := range p.Reasons {
		if r.Setting == "ClientAllowedNTLMServers" && r.Effect == EffectAllows && strings.Contains(r.Explanation, "UNCONFIRMED") && strings.Contains(r.Explanation, "What-if") {
			found = true
		}
	}
	if !found {
		t.Errorf("the what-if IP exception should allow with the UNCONFIRMED note\n%s", dumpPath(p))
	}
	if a7 := findPath(t, m, "CORE02|agent|AGENT07|agent07.corp.example"); !strings.Contains(mustDeciding(t, a7).Explanation, "assumed by the overlay") {
		t.Errorf("AGENT07's deciding reason should say its value is assumed: %s", a7.Deciding.Explanation)
	}
	synthetic := false
	for _, n := range m.HostNotes {
		if n.Host == "AGENT07" && n.Role == RoleOverlay && strings.Contains(n.Explanation, "synthetic") {
			synthetic = true
		}
	}
	if !synthetic {
		t.Error("no host note stating the synthetic-value assumption for AGENT07")
	}
}

func mustDeciding(t *testing.T, p *Path) *Reason {
	t.Helper()
	if p.Deciding == nil {
		t.Fatalf("%s has no deciding reason\n%s", p.ID, dumpPath(p))
	}
	return p.Deciding
}

func deepCopyResults(in []facts.HostResult) []facts.HostResult {
	out := make([]facts.HostResult, len(in))
	for i, r := range in {
		if r.Facts != nil {
			r.Facts = copyResponse(r.Facts)
			r.Facts.Probes = nil
			for _, p := range in[i].Facts.Probes {
				p.Ports = append([]facts.PortResult(nil), p.Ports...)
				p.Addresses = append([]string(nil), p.Addresses...)
				r.Facts.Probes = append(r.Facts.Probes, p)
			}
			r.Facts.Services = append([]facts.Service(nil), in[i].Facts.Services...)
		}
		if r.Error != nil {
			e := *r.Error
			r.Error = &e
		}
		out[i] = r
	}
	return out
}

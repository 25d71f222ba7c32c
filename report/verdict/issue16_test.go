package verdict

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/report/whatif"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// newFleet300 is the issue's fleet: 3 Cores and 297 agents in
// corp.example, every tenth agent named by IP address (NTLM required), the
// others by FQDN (Kerberos expected).
func newFleet300(t testing.TB) *lab {
	l := newEmptyLab(t)
	corp := &inventory.Domain{Name: "corp.example", NetBIOS: "CORP"}
	l.inv.Domains = append(l.inv.Domains, corp)
	for _, dc := range []string{"DC01", "DC02"} {
		corp.Controllers = append(corp.Controllers, l.addHost(dc, inventory.RoleDomainController, "corp.example"))
	}
	acct := inventory.Account{Kind: inventory.AccountDomain, Name: `CORP\svc-rr`, Domain: "corp.example"}
	var cores []*inventory.Core
	for i := 1; i <= 3; i++ {
		cores = append(cores, l.addCore(fmt.Sprintf("CORE%02d", i), "corp.example", acct))
	}
	for i := 1; i <= 297; i++ {
		h := l.addHost(fmt.Sprintf("AGENT%03d", i), inventory.RoleAgent, "corp.example")
		name := h.FQDN
		if i%10 == 0 {
			name = fmt.Sprintf("10.1.%d.%d", i/250, i%250)
		}
		l.addAgent(cores[i%3], h, name)
	}
	return l
}

const denyCoresOutgoing = "version: 1\nname: deny-outgoing\nchanges:\n  - roles: [core]\n    set:\n      RestrictSendingNTLMTraffic: 2\n"

func TestIssue16FleetPlanScope(t *testing.T) {
	t.Parallel()
	l := newFleet300(t)
	ov, err := whatif.Parse([]byte(denyCoresOutgoing), "assume.yaml", l.inv)
	if err != nil {
		t.Fatal(err)
	}
	m := Evaluate(l.inv, l.resultList(), ov, Options{})
	required := map[string]bool{} // lower core|nameUsed
	kerberos := map[string]bool{}
	nRequired := 0
	for _, p := range m.Paths {
		k := lower(p.Core + "|" + p.NameUsed)
		if p.Need == NeedRequired {
			required[k] = true
			nRequired++
		} else {
			kerberos[k] = true
		}
	}
	if nRequired != 29 {
		t.Fatalf("%d required paths, want 29 (every tenth of 297)", nRequired)
	}
	entries, verify := 0, 0
	for _, c := range m.Plan {
		if c.Kind == ChangeVerifyKerberos {
			verify++
			if !strings.Contains(c.PowerShell, "setspn") || !strings.Contains(strings.Join(c.Notes, " "), "setspn -S") {
				t.Errorf("verify-Kerberos change without the check and the fix: %+v", c)
			}
		}
		if c.Kind == ChangeDWORD && c.SettingID == facts.RestrictSendingNTLMTraffic {
			t.Errorf("the plan reverts the planned Deny all: %+v", c)
		}
		if c.Kind == ChangeRename {
			t.Errorf("the plan renames instead of exempting a required path: %+v", c)
		}
		if c.Kind == ChangeList && !strings.Contains(strings.Join(c.Notes, " "), "add these entries to the planned GPO") {
			t.Errorf("%s: no note that the entries belong with the baseline: %q", c.ID, c.Notes)
		}
		for _, a := range c.Add {
			entries++
			if strings.Contains(a, "*") {
				t.Errorf("wildcard entry %q in %s", a, c.ID)
			}
			if !required[lower(c.Host+"|"+a)] {
				t.Errorf("%s adds %q, which is not the name of a required path of %s", c.ID, a, c.Host)
			}
		}
	}
	t.Logf("%d required paths, %d entries added, %d verify-Kerberos steps, summary %s", nRequired, entries, verify, m.PlanSummary.Text())
	for _, p := range m.Paths {
		if p.Need == NeedRequired {
			continue
		}
		for _, r := range append(p.Reasons, derefReason(p.Deciding)...) {
			if rem := r.Remediation; rem != nil && (len(rem.Add) > 0 || rem.Set != nil) {
				t.Errorf("Kerberos-expected %s still shows an exception or value fix: %+v", p.ID, rem)
			}
		}
	}
	if entries > nRequired {
		t.Errorf("%d entries added for %d required paths", entries, nRequired)
	}
	if verify == 0 {
		t.Error("no verify-Kerberos step for the Kerberos-expected paths")
	}
	if m.PlanSummary == nil || m.PlanSummary.NewlyBlocked+m.PlanSummary.NewlyAtRisk == 0 {
		t.Error("no newly blocked/at-risk summary under --assume")
	}

	// Apply: the planned baseline (Deny all on the Cores) and the plan, then
	// scan again.
	for _, c := range l.inv.Cores {
		l.set(c.Host.Name, facts.RestrictSendingNTLMTraffic, 2)
	}
	applyPlan(t, l, m.Plan)
	after := l.eval(Options{})
	for _, p := range after.Paths {
		if p.Need == NeedRequired && p.Verdict != OK {
			t.Errorf("required path %s is %s after the plan\n%s", p.ID, p.Verdict, dumpPath(&p))
		}
	}
	for _, c := range l.inv.Cores {
		if v := l.facts(c.Host.Name); v == nil || facts.SettingByID(facts.RestrictSendingNTLMTraffic).Lookup(v).DWORD == nil ||
			*facts.SettingByID(facts.RestrictSendingNTLMTraffic).Lookup(v).DWORD != 2 {
			t.Errorf("%s no longer denies outgoing NTLM", c.Host.Name)
		}
	}
}

// A host whose reported name disagrees with the inventory (a "*", or
// another host's name) gets no plan line, no exception entry and no guard;
// only a manual step with a warning naming both names.
func TestIssue16IdentityMismatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, host, reported string
		mut                  func(l *lab)
	}{
		{"star into the DC list", "AGENT03", "*", func(l *lab) {
			l.set("DC01", facts.RestrictNTLMInDomain, 1)
			l.set("DC02", facts.RestrictNTLMInDomain, 1)
		}},
		{"star into the Core list", "WG01", "*", func(l *lab) { l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2) }},
		{"another host's name", "AGENT01", "DC01", func(l *lab) { l.set("AGENT01", facts.RestrictReceivingNTLMTraffic, 2) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			tc.mut(l)
			l.facts(tc.host).Identity.NetBIOSName = tc.reported
			m := l.eval(Options{})
			warned := false
			for _, c := range m.Plan {
				for _, e := range append(append([]string(nil), c.Add...), c.Final...) {
					if strings.Contains(e, "*") || strings.EqualFold(e, tc.reported) {
						t.Errorf("%s: entry %q from the host's own answer", c.ID, e)
					}
				}
				if strings.EqualFold(c.Host, tc.host) && c.Kind != ChangeManual {
					t.Errorf("scripted change on %s: %+v", tc.host, c)
				}
				if c.Kind == ChangeManual && strings.Contains(c.Value+strings.Join(c.Notes, " "), tc.host) &&
					strings.Contains(c.Value+strings.Join(c.Notes, " "), fmt.Sprintf("%q", tc.reported)) {
					warned = true
				}
			}
			if !warned {
				t.Errorf("no warning naming %s and %q in %+v", tc.host, tc.reported, m.Plan)
			}
			// Nor does any path's fix, in any output, carry the answer.
			for _, p := range m.Paths {
				for _, r := range append(p.Reasons, derefReason(p.Deciding)...) {
					if rem := r.Remediation; rem != nil && (strings.Contains(rem.PowerShell, "'"+tc.reported+"'") || slicesContainsFold(rem.Add, tc.reported)) {
						t.Errorf("%s: fix carries %q: %+v", p.ID, tc.reported, rem)
					}
				}
			}
		})
	}
}

func TestAdviceCommandQuotesValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		verb string
		args []any
		want string
	}{
		{"setspn", []any{Switch("-S"), "HOST/agent01", "AGENT01"}, "setspn -S 'HOST/agent01' 'AGENT01'"},
		{"setspn", []any{Switch("-s"), "HOST/10.0.0.1", "Q$(CALC)"}, "setspn -s 'HOST/10.0.0.1' 'Q$(CALC)'"},
		{"setspn", []any{Switch("-Q"), "HOST/o'brien"}, "setspn -Q 'HOST/o''brien'"},
		{"setspn", []any{Switch("-S"), "HOST/x", "-D"}, "setspn -S 'HOST/x' '-D'"}, // a value is never a switch
		{"Test-NetConnection", []any{Switch("-ComputerName"), "a;calc", Switch("-Port"), 8006}, "Test-NetConnection -ComputerName 'a;calc' -Port 8006"},
		{"Remove-ADGroupMember", []any{Switch("-Members"), "-x; calc", Switch("-Confirm:$false")}, "Remove-ADGroupMember -Members '-x; calc' -Confirm:$false"},
		{"setspn; calc", []any{Switch("-Q"), "x"}, ""},
		{"setspn", []any{Switch("-Q; calc"), "x"}, ""},
		{"nltest", []any{"/sc_query:$(calc)"}, "nltest '/sc_query:$(calc)'"},
	} {
		if got := AdviceCommand(tc.verb, tc.args...); got != tc.want {
			t.Errorf("AdviceCommand(%q, %q) = %q, want %q", tc.verb, tc.args, got, tc.want)
		}
	}
}

// The undo line of a change reverses it from the structured fields: the
// list loses exactly the added entries, a DWORD gets its scanned value.
func TestIssue16UndoScript(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2)
	l.set("CORE01", facts.ClientAllowedNTLMServers, []string{"keep.example"})
	l.set("AGENT02", facts.RestrictReceivingNTLMTraffic, 2)
	m := l.eval(Options{})
	var list, dword *Change
	for i := range m.Plan {
		switch c := &m.Plan[i]; {
		case c.Host == "CORE01" && c.Kind == ChangeList:
			list = c
		case c.Host == "AGENT02" && c.Kind == ChangeDWORD:
			dword = c
		}
	}
	if list == nil || dword == nil {
		t.Fatalf("plan lacks the CORE01 list or AGENT02 DWORD change: %+v", m.Plan)
	}
	if u := list.UndoScript(); !strings.Contains(u, "(@('10.0.0.32','wg01','nas01') -notcontains $_)") || strings.Contains(u, "keep.example") || list.Was != "1 entry" {
		t.Errorf("list undo = %s (was %q)", u, list.Was)
	}
	if u := dword.UndoScript(); dword.Was != "2" || !strings.HasSuffix(u, "-Name RestrictReceivingNTLMTraffic -Type DWord -Value 2") {
		t.Errorf("dword undo = %s (was %q)", u, dword.Was)
	}
	if dword.Guard != "AGENT02" {
		t.Errorf("guard = %q", dword.Guard)
	}
}

// rsop says that gpo sets the settings on host (precedence 1).
func (l *lab) rsop(host, gpo, guid string, ids ...string) {
	f := l.facts(host)
	if f.PolicySources == nil {
		f.PolicySources = &facts.PolicySources{Method: "rsop-wmi", Status: facts.PolicyOK, GPOs: []facts.GPO{{ID: "LocalGPO", Name: "Local Group Policy"}}}
	}
	id := "CN=" + guid + ",CN=Policies,CN=System,DC=corp,DC=example"
	f.PolicySources.GPOs = append(f.PolicySources.GPOs, facts.GPO{ID: id, Name: gpo, GUID: guid})
	for _, s := range ids {
		k := facts.SettingByID(s).RegistryKey()
		f.PolicySources.Settings = append(f.PolicySources.Settings, facts.PolicySetting{Path: k.Key + `\` + k.Name, GPOID: id, Precedence: 1, SOM: "OU=Domain Controllers,DC=corp,DC=example"})
	}
}

// A value a GPO sets is fixed in that GPO: one GPO edit for both DCs,
// named by GPO and GUID with the security-template line, no local
// registry line; a value no GPO sets keeps its local line with the note.
func TestIssue16GPOLever(t *testing.T) {
	t.Parallel()
	const ddcp = "{6AC1786C-016F-11D2-945F-00C04FB984F9}"
	l := newLab(t)
	for _, dc := range []string{"DC01", "DC02"} {
		l.set(dc, facts.RestrictNTLMInDomain, 1)
		l.set(dc, facts.DCAllowedNTLMServers, []string{"FS01"})
		l.rsop(dc, "Default Domain Controllers Policy", ddcp, facts.RestrictNTLMInDomain, facts.DCAllowedNTLMServers)
	}
	l.set("CORE01", facts.RestrictSendingNTLMTraffic, 2)
	l.rsop("CORE01", "Core Hardening", "{11111111-2222-3333-4444-555555555555}", facts.RestrictSendingNTLMTraffic)
	m := l.eval(Options{})
	var dcChanges, coreList []Change
	for _, c := range m.Plan {
		switch {
		case c.SettingID == facts.DCAllowedNTLMServers:
			dcChanges = append(dcChanges, c)
		case c.Host == "CORE01" && c.SettingID == facts.ClientAllowedNTLMServers:
			coreList = append(coreList, c)
		}
	}
	if len(dcChanges) != 1 {
		t.Fatalf("%d DCAllowedNTLMServers changes, want one GPO edit: %+v", len(dcChanges), dcChanges)
	}
	c := dcChanges[0]
	if c.Source == nil || c.Source.GPOGUID != ddcp || len(c.Hosts) != 2 || c.Script() != "" || c.PowerShell != "" ||
		!strings.Contains(c.GPOEdit, `GptTmpl.inf [Registry Values]: MACHINE\SYSTEM\CurrentControlSet\Services\Netlogon\Parameters\DCAllowedNTLMServers=7,FS01,AGENT02`) ||
		!strings.Contains(c.Notes[0], `"Default Domain Controllers Policy" `+ddcp) {
		t.Errorf("DC change = %+v", c)
	}
	if len(coreList) != 1 || coreList[0].Script() == "" || coreList[0].Source == nil || coreList[0].Source.Kind != facts.SourceLocal ||
		!strings.Contains(strings.Join(coreList[0].Notes, " "), "policy refresh overwrites the local value") {
		t.Errorf("CORE01 list change = %+v", coreList)
	}
	p := findPath(t, m, pA2)
	for _, r := range p.Reasons {
		if r.Remediation != nil && r.Remediation.Change != "" {
			found := false
			for _, c := range m.Plan {
				found = found || c.ID == r.Remediation.Change
			}
			if !found {
				t.Errorf("remediation points at %q, not in the plan", r.Remediation.Change)
			}
		}
	}
	// The deciding reason names its source.
	l2 := newLab(t)
	l2.set("CORE01", facts.RestrictSendingNTLMTraffic, 2)
	l2.rsop("CORE01", "Core Hardening", "{11111111-2222-3333-4444-555555555555}", facts.RestrictSendingNTLMTraffic)
	d := mustDeciding(t, findPath(t, l2.eval(Options{}), pA2))
	if d.Source == nil || d.Source.GPOName != "Core Hardening" {
		t.Errorf("deciding source = %+v", d.Source)
	}
}

// A target denying incoming NTLM gets the options first (Kerberos by name,
// out of the GPO, a local account) and the narrowest value last: 1 for a
// local account, 0 only for a domain account with no other way.
func TestIssue16IncomingLooseningLast(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.set("AGENT02", facts.RestrictReceivingNTLMTraffic, 2)
	l.set("WG01", facts.RestrictReceivingNTLMTraffic, 2)
	l.rsop("AGENT02", "Agent Hardening", "{22222222-2222-3333-4444-555555555555}", facts.RestrictReceivingNTLMTraffic)
	m := l.eval(Options{})
	rem := mustDeciding(t, findPath(t, m, pA2)).Remediation
	if rem == nil || !strings.Contains(rem.Note, "(1) Kerberos by name") || !strings.Contains(rem.Note, `(2) leave AGENT02 out of GPO "Agent Hardening"`) ||
		!strings.Contains(rem.Note, "(3) a local account") || !strings.Contains(rem.Note, "Last resort: 0 (Allow all)") {
		t.Errorf("AGENT02 fix = %+v", rem)
	}
	wg := mustDeciding(t, findPath(t, m, pWG)).Remediation
	if wg == nil || wg.Set == nil || *wg.Set != 1 {
		t.Errorf("WG01 (local account) fix = %+v, want value 1", wg)
	}
}

func derefReason(r *Reason) []Reason {
	if r == nil {
		return nil
	}
	return []Reason{*r}
}

func slicesContainsFold(list []string, s string) bool { return containsFold(list, s) }

// FuzzAdviceCommand: whatever the values, the command has nothing
// PowerShell would run outside its single-quoted literals: only the verb,
// the code's switch and one quoted literal per value.
func FuzzAdviceCommand(f *testing.F) {
	for _, s := range []string{"HOST/agent01", "Q$(CALC)", "o'brien", "b\u2019;Stop-Computer;\u2018", "-x; calc", "", "8006", "a`b", "-Confirm:$false"} {
		f.Add(s, "AGENT01")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		cmd := AdviceCommand("setspn", Switch("-S"), a, b)
		rest, ok := strings.CutPrefix(cmd, "setspn ")
		if !ok {
			t.Fatalf("%q", cmd)
		}
		for len(rest) > 0 {
			r := []rune(rest)
			if isPSQuote(r[0]) {
				// A literal: up to the closing quote; a doubled quote is one
				// quote character inside it.
				i := 1
				for ; i < len(r); i++ {
					if isPSQuote(r[i]) {
						if i+1 < len(r) && isPSQuote(r[i+1]) {
							i++
							continue
						}
						break
					}
				}
				if i >= len(r) {
					t.Fatalf("unterminated literal in %q", cmd)
				}
				rest = string(r[i+1:])
			} else {
				tok, after, _ := strings.Cut(rest, " ")
				if tok != "-S" {
					t.Fatalf("bare token %q in %q", tok, cmd)
				}
				rest = after
				continue
			}
			if rest != "" && rest[0] != ' ' {
				t.Fatalf("text after a literal in %q", cmd)
			}
			rest = strings.TrimPrefix(rest, " ")
		}
	})
}

func isPSQuote(r rune) bool {
	return r == '\'' || r == '\u2018' || r == '\u2019' || r == '\u201A' || r == '\u201B'
}

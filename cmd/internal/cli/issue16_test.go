package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// fleet300 is the issue's estate as a simulator lab and an inventory: 3
// Cores, 297 agents (every tenth named by its IP address), one DC.
func fleet300(t *testing.T) (lab *winrmtest.Lab, inv string) {
	t.Helper()
	var l, i strings.Builder
	fmt.Fprintf(&l, `domains:
  - name: corp.example
    netbios: CORP
    users:
      - {name: svc-ntlmscan, password: %s}
      - {name: svc-rr, password: Lab-Only-RR-2026!}
hosts:
  - {name: DC01, address: 127.16.0.10, domain: corp.example, domainController: true, os: {caption: Windows Server 2022 Standard, build: 20348}}
`, demoScanPassword)
	fmt.Fprintf(&i, `version: 1
defaults:
  domain: corp.example
  agent_port: 8006
  winrm: {transport: ntlm, https: false, port: 5985, credential: scan}
credentials:
  scan: {username: CORP\svc-ntlmscan, password_env: NTLMSCAN_PASSWORD}
domains:
  corp.example:
    netbios: CORP
    controllers:
      DC01: {address: 127.16.0.10, fqdn: dc01.corp.example}
cores:
`)
	agents := make([][]string, 3)
	var agentHosts strings.Builder
	for n := 1; n <= 297; n++ {
		name, addr := fmt.Sprintf("AGENT%03d", n), fmt.Sprintf("127.16.%d.%d", 1+n/200, 1+n%200)
		fqdn := strings.ToLower(name) + ".corp.example"
		fmt.Fprintf(&l, "  - {name: %s, address: %s, domain: corp.example, listens: [8006], os: {caption: Windows Server 2022 Standard, build: 20348}}\n", name, addr)
		fmt.Fprintf(&agentHosts, "  %s: {address: %s, fqdn: %s}\n", name, addr, fqdn)
		used := fqdn
		if n%10 == 0 {
			used = addr
		}
		agents[n%3] = append(agents[n%3], fmt.Sprintf("      - {agent: %s, name: %s}\n", name, used))
	}
	for c := range 3 {
		name, addr := fmt.Sprintf("CORE%02d", c+1), fmt.Sprintf("127.16.0.%d", 21+c)
		fmt.Fprintf(&l, `  - name: %s
    address: %s
    domain: corp.example
    os: {caption: Windows Server 2022 Standard, build: 20348}
    services: [{name: RapidRecoveryCore, displayName: Rapid Recovery Core Service, state: Running, logonAs: CORP\svc-rr}]
`, name, addr)
		fmt.Fprintf(&i, "  %s:\n    address: %s\n    fqdn: %s.corp.example\n    account: CORP\\svc-rr\n    agents:\n%s", name, addr, strings.ToLower(name), strings.Join(agents[c], ""))
	}
	i.WriteString("agents:\n" + agentHosts.String())
	lab, err := winrmtest.ParseLab([]byte(l.String()), "fleet300.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return lab, i.String()
}

// Issue 16 on the 300-host fleet, through the simulator: with the what-if
// "Cores deny all outgoing NTLM" the plan adds at most one entry per path
// that needs NTLM and none for a Kerberos-expected path; applying the
// baseline and the plan to the lab and scanning again leaves every
// required path ok and "Deny all" in place.
func TestIssue16FleetPlanAppliedToTheLab(t *testing.T) {
	if testing.Short() {
		// Two scans of 301 simulated hosts: about 2 s, 14 s under -race on
		// 2 cores. report/verdict's TestIssue16FleetPlanScope is the fast form.
		t.Skip("two scans of 301 simulated hosts")
	}
	t.Parallel()
	lab, inv := fleet300(t)
	invPath, _, env := labFleet(t, lab, []byte(inv))
	dir := t.TempDir()
	assume := filepath.Join(dir, "assume.yaml")
	if err := os.WriteFile(assume, []byte("version: 1\nname: deny-outgoing\nchanges:\n  - roles: [core]\n    set:\n      RestrictSendingNTLMTraffic: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := filepath.Join(dir, "before.json")
	if r := run(t, env, "scan", "-i", invPath, "--quiet", "--json", before, "--assume", assume); r.code&ExitError != 0 {
		t.Fatalf("scan exit %d: %s", r.code, r.stderr)
	}
	rep, err := loadReport(before)
	if err != nil {
		t.Fatal(err)
	}
	need := map[string]verdict.Need{} // lower core|name used
	required := 0
	for _, p := range rep.Matrix.Paths {
		need[strings.ToLower(p.Core+"|"+p.NameUsed)] = p.Need
		if p.Need == verdict.NeedRequired {
			required++
		}
	}
	if required != 29 || len(rep.Matrix.Paths) != 297 {
		t.Fatalf("%d paths, %d required; want 297 and 29", len(rep.Matrix.Paths), required)
	}
	js := run(t, nil, "plan", before, "--format", "json")
	var doc render.PlanDocument
	if err := json.Unmarshal([]byte(js.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary == nil || doc.Summary.NewlyBlocked != 29 {
		t.Errorf("plan summary = %+v, want 29 newly blocked", doc.Summary)
	}
	entries := 0
	for _, c := range doc.Changes {
		if c.SettingID == facts.RestrictSendingNTLMTraffic {
			t.Errorf("the plan changes the planned Deny all: %+v", c)
		}
		for _, a := range c.Add {
			entries++
			if n := need[strings.ToLower(c.Host+"|"+a)]; n != verdict.NeedRequired {
				t.Errorf("%s adds %q (need %q): not a required path's name", c.ID, a, n)
			}
		}
		if c.Kind == verdict.ChangeList || c.Kind == verdict.ChangeDWORD {
			for _, h := range append([]string{c.Host}, c.Hosts...) {
				wh := lab.HostByName(h)
				if wh == nil {
					t.Fatalf("plan names host %s, not in the lab", h)
				}
				var value any = int(0)
				if c.Kind == verdict.ChangeList {
					list := []any{}
					for _, e := range c.Final {
						list = append(list, e)
					}
					value = list
				} else {
					value = int(*c.Set)
				}
				setLabValue(wh, c.Key+`\`+c.Setting, c.Type, value)
			}
		}
	}
	if entries == 0 || entries > required {
		t.Errorf("%d entries for %d required paths", entries, required)
	}
	// The baseline itself, as its GPO would write it.
	sending := facts.SettingByID(facts.RestrictSendingNTLMTraffic)
	for c := 1; c <= 3; c++ {
		setLabValue(lab.HostByName(fmt.Sprintf("CORE%02d", c)), sending.Key+`\`+sending.Name, facts.RegDWORD, 2)
	}
	invAfter, _, envAfter := labFleet(t, lab, []byte(inv))
	after := filepath.Join(dir, "after.json")
	if r := run(t, envAfter, "scan", "-i", invAfter, "--quiet", "--json", after); r.code&ExitError != 0 {
		t.Fatalf("rescan exit %d: %s", r.code, r.stderr)
	}
	rep2, err := loadReport(after)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep2.Matrix.Paths {
		if p.Need == verdict.NeedRequired && p.Verdict != verdict.OK {
			t.Errorf("required path %s is %s after the plan (deciding %+v)", p.ID, p.Verdict, p.Deciding)
		}
	}
	for _, h := range rep2.Hosts {
		if !strings.HasPrefix(h.Host, "CORE") {
			continue
		}
		if n, ok := sending.Lookup(h.Facts).Uint(); !ok || n != 2 {
			t.Errorf("%s: RestrictSendingNTLMTraffic = %d (%v), want 2 (Deny all) still in place", h.Host, n, ok)
		}
	}
}

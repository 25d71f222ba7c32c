package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/examples"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// TestLimit: scan --limit collects only what the limited paths need and
// says what it left out; report and plan --limit filter a saved report.
func TestLimit(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "scan.json")
	r := run(t, env, "scan", "-i", invPath, "--limit", "agent0[12]", "-q", "--json", out, "--fail-on", "none")
	if r.code != 0 {
		t.Fatalf("scan exit %d:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "--limit agent0[12]: left out 10 of 12 paths and 9 hosts (CORE02, CORE03, AGENT03, AGENT04, AGENT05, AGENT06, AGENT07, FS01, NAS01)") {
		t.Errorf("stderr does not say what was left out:\n%s", r.stderr)
	}
	rep, err := loadReport(out)
	if err != nil {
		t.Fatal(err)
	}
	var targets, hosts []string
	for _, p := range rep.Matrix.Paths {
		targets = append(targets, p.Core+">"+p.Target)
	}
	for _, h := range rep.Hosts {
		hosts = append(hosts, h.Host)
	}
	if got := strings.Join(targets, " "); got != "CORE01>AGENT01 CORE01>AGENT02" {
		t.Errorf("paths %s", got)
	}
	if got := strings.Join(hosts, " "); got != "DC01 DC02 CORE01 AGENT01 AGENT02" {
		t.Errorf("hosts scanned %s, want the paths' Core, targets and the DCs", got)
	}

	r = run(t, nil, "report", out, "--limit", "AGENT02", "-f", "csv")
	if r.code != 0 || !strings.Contains(r.stdout, ",CORE01|agent|AGENT02|") || strings.Contains(r.stdout, ",CORE01|agent|AGENT01|") {
		t.Errorf("report --limit AGENT02: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "plan", out, "--limit", "nomatch*")
	if r.code != ExitError || !strings.Contains(r.stderr, "matches no path") {
		t.Errorf("plan --limit nomatch*: exit %d %s", r.code, r.stderr)
	}
	r = run(t, nil, "plan", out, "--limit", "AGENT01", "-f", "json")
	if r.code != 0 || !strings.Contains(r.stderr, "--limit AGENT01: left out 1 of 2 paths") {
		t.Errorf("plan --limit AGENT01: exit %d %s", r.code, r.stderr)
	}
	r = run(t, env, "scan", "-i", invPath, "--limit", "AGENT01", "--output-dir", dir)
	if r.code != ExitError || !strings.Contains(r.stderr, "--limit and --output-dir exclude each other") {
		t.Errorf("--limit with --output-dir: exit %d %s", r.code, r.stderr)
	}
}

// TestLimitPlanSummary: plan --limit on a report scanned with --assume
// counts the newly blocked paths it keeps, not the whole report's.
func TestLimitPlanSummary(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := t.TempDir()
	assume := filepath.Join(dir, "assume.yaml")
	if err := os.WriteFile(assume, examples.DemoOverlay, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "scan.json")
	if r := run(t, env, "scan", "-i", invPath, "--assume", assume, "-q", "--json", out, "--fail-on", "none"); r.code&ExitError != 0 {
		t.Fatalf("scan exit %d:\n%s", r.code, r.stderr)
	}
	rep, err := loadReport(out)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Matrix.PlanSummary == nil || rep.Matrix.PlanSummary.NewlyBlocked == 0 {
		t.Fatalf("the demo baseline newly blocks nothing: %+v", rep.Matrix.PlanSummary)
	}
	for _, limit := range []string{"CORE01", "CORE02", "AGENT05"} {
		var kept []verdict.Path
		for _, p := range rep.Matrix.Paths {
			if strings.EqualFold(p.Core, limit) || strings.EqualFold(p.Target, limit) {
				kept = append(kept, p)
			}
		}
		want := verdict.SummarizePlan(rep.Matrix.PlanSummary.Overlay, kept)
		r := run(t, nil, "plan", out, "--limit", limit, "-f", "json")
		var doc render.PlanDocument
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatalf("--limit %s: %v\n%s", limit, err, r.stderr)
		}
		if doc.Summary == nil || *doc.Summary != *want {
			t.Errorf("--limit %s: summary %+v, want %+v (whole report %+v)", limit, doc.Summary, want, rep.Matrix.PlanSummary)
		}
	}
}

// TestScanDriftWarnings: every scan asks the collected Cores' module and
// warns about drift; a Core without the module is no failure, and
// --drift=false skips the check.
func TestScanDriftWarnings(t *testing.T) {
	t.Parallel()
	stale := strings.Replace(string(examples.DemoInventory), "      - agent: AGENT07\n        name: agent07.corp.example\n", "", 1)
	lab, err := winrmtest.ParseLab(examples.DemoLab, "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range lab.Hosts {
		if h.Name == "CORE01" {
			h.RapidRecovery.ModuleAbsent = true
		}
	}
	invPath, _, env := labFleet(t, lab, []byte(stale))
	r := run(t, env, "scan", "-i", invPath, "-q", "--fail-on", "none")
	want := `ntlmscan: warning: drift: CORE02: agent-missing: the Core protects "AGENT07" (name "agent07.corp.example"), the inventory has no link for it (ntlmscan discover -i adds it)`
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	if strings.Contains(r.stderr, "drift: CORE01") || strings.Contains(r.stderr, "rr-module-missing") {
		t.Errorf("a Core without the module must stay quiet:\n%s", r.stderr)
	}
	if r.code == ExitError {
		t.Fatalf("exit %d", r.code)
	}
	r = run(t, env, "scan", "-i", invPath, "-q", "--fail-on", "none", "--drift=false")
	if strings.Contains(r.stderr, "drift:") {
		t.Errorf("--drift=false still checked:\n%s", r.stderr)
	}
}

// TestScanMultiRoleHost: a domain controller that is also protected by a
// Core is scanned once, in its own role, and its agent path is judged.
func TestScanMultiRoleHost(t *testing.T) {
	t.Parallel()
	inv := strings.Replace(string(examples.DemoInventory), "      - agent: AGENT01\n        name: agent01.corp.example\n",
		"      - agent: AGENT01\n        name: agent01.corp.example\n      - agent: DC01\n        name: dc01.corp.example\n", 1)
	lab, err := winrmtest.ParseLab(examples.DemoLab, "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	invPath, _, env := labFleet(t, lab, []byte(inv))
	out := filepath.Join(t.TempDir(), "scan.json")
	r := run(t, env, "scan", "-i", invPath, "-q", "--json", out, "--fail-on", "none", "--drift=false")
	if r.code == ExitError {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rep, err := loadReport(out)
	if err != nil {
		t.Fatal(err)
	}
	found, dcResults := false, 0
	for _, p := range rep.Matrix.Paths {
		if p.Core == "CORE01" && p.Target == "DC01" && p.Kind == "agent" && p.Verdict != "" {
			found = true
		}
	}
	for _, h := range rep.Hosts {
		if h.Host == "DC01" {
			dcResults++
		}
	}
	if !found || dcResults != 1 {
		t.Errorf("path CORE01>DC01 found=%v, DC01 results %d (want the path and one result)", found, dcResults)
	}
}

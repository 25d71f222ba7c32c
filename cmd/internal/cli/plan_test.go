package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/cmd/internal/iostreams"
	"github.com/ntlmscan/ntlmscan/examples"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

func TestNewCmdPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		want    planOptions
		wantErr string
	}{
		{name: "defaults", args: []string{"scan.json"}, want: planOptions{ReportPath: "scan.json", Format: "text"}},
		{name: "all flags", args: []string{"scan.json", "--format", "powershell", "-o", "fix.ps1", "--host", "DC02"},
			want: planOptions{ReportPath: "scan.json", Format: "powershell", Output: "fix.ps1", Host: "DC02"}},
		{name: "bad format", args: []string{"scan.json", "--format", "xml"}, wantErr: `--format "xml"`},
		{name: "no report", args: []string{}, wantErr: "accepts 1 arg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			var got *planOptions
			cmd := newPlanCmd(&Factory{IO: ios}, func(o *planOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.IO = nil
			if *got != tc.want {
				t.Errorf("options = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

// demoReport scans the demo fleet and returns the JSON report's path.
func demoReport(t *testing.T) string {
	t.Helper()
	invPath, _, env := demoFleet(t)
	jsonPath := filepath.Join(t.TempDir(), "scan.json")
	if r := run(t, env, "scan", "-i", invPath, "--quiet", "--json", jsonPath); r.code != ExitBoth {
		t.Fatalf("scan exit %d: %s", r.code, r.stderr)
	}
	return jsonPath
}

func Test_planRun(t *testing.T) {
	t.Parallel()
	jsonPath := demoReport(t)

	text := run(t, nil, "plan", jsonPath)
	if text.code != ExitOK {
		t.Fatalf("plan exit %d: %s", text.code, text.stderr)
	}
	for _, want := range []string{"DC02\n  DCAllowedNTLMServers [registry-list-add]: add AGENT03, AGENT04", "[verify-kerberos]: verify the SPN HOST/agent04.corp.example", "final list (", "CORE02\n  BlockNTLMServerExceptionList", "only add missing entries"} {
		if !strings.Contains(text.stdout, want) {
			t.Errorf("text plan lacks %q:\n%s", want, text.stdout)
		}
	}

	js := run(t, nil, "plan", jsonPath, "--format", "json", "--host", "dc02")
	var doc render.PlanDocument
	if err := json.Unmarshal([]byte(js.stdout), &doc); err != nil {
		t.Fatalf("plan json: %v\n%s", err, js.stdout)
	}
	if doc.Kind != render.PlanKind || len(doc.Changes) != 1 || doc.Changes[0].Host != "DC02" {
		t.Fatalf("plan json = %+v", doc)
	}
	if c := doc.Changes[0]; len(c.Final) != c.Current+len(c.Add) || c.Final[0] != "AGENT01" || len(c.Paths) < 2 {
		t.Errorf("DC02 change = %+v", c)
	}

	cs := run(t, nil, "plan", jsonPath, "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(cs.stdout)).ReadAll()
	if err != nil || len(rows) < 3 || strings.Join(rows[0], ",") != strings.Join(render.PlanCSVColumns(), ",") {
		t.Fatalf("plan csv (%v):\n%s", err, cs.stdout)
	}

	ps1 := filepath.Join(t.TempDir(), "fix.ps1")
	if r := run(t, nil, "plan", jsonPath, "--format", "powershell", "-o", ps1); r.code != ExitOK {
		t.Fatalf("plan -o exit %d: %s", r.code, r.stderr)
	}
	script, _ := os.ReadFile(ps1)
	for _, want := range []string{"if ($env:COMPUTERNAME -ieq 'DC02') {", "foreach ($e in @(", "Skipping the section for DC02"} {
		if !bytes.Contains(script, []byte(want)) {
			t.Errorf("script lacks %q:\n%s", want, script)
		}
	}
	if bytes.Contains(script, []byte("-Value @(")) {
		t.Errorf("script overwrites a list with a fixed value:\n%s", script)
	}

	if r := run(t, nil, "plan", filepath.Join(t.TempDir(), "missing.json")); r.code != ExitError || !strings.Contains(r.stderr, "open report") {
		t.Errorf("missing report: exit %d, stderr %s", r.code, r.stderr)
	}
}

// Apply every structured change of the plan to the simulator's lab model
// (registry values) and to the inventory (Core renames), scan again through
// the simulator, and every path that was blocked is ok.
func TestPlanAppliedToTheLabFixesEveryBlockedPath(t *testing.T) {
	t.Parallel()
	jsonPath := demoReport(t)
	before, err := loadReport(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	js := run(t, nil, "plan", jsonPath, "--format", "json")
	var doc render.PlanDocument
	if err := json.Unmarshal([]byte(js.stdout), &doc); err != nil {
		t.Fatal(err)
	}

	lab, err := winrmtest.ParseLab(examples.DemoLab, "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inv := string(examples.DemoInventory)
	applied := 0
	for _, c := range doc.Changes {
		switch c.Kind {
		case verdict.ChangeList, verdict.ChangeDWORD:
			// A GPO edit reaches every host of the GPO (c.Hosts); the lab
			// gets the value on each, as a policy refresh would write it.
			hosts := c.Hosts
			if len(hosts) == 0 {
				hosts = []string{c.Host}
			}
			var value any
			if c.Kind == verdict.ChangeList {
				// What the add-only line leaves: the host's list plus Add.
				list := []any{}
				for _, e := range c.Final {
					list = append(list, e)
				}
				value = list
			} else {
				value = int(*c.Set)
			}
			for _, name := range hosts {
				h := lab.HostByName(name)
				if h == nil {
					t.Fatalf("plan names host %s, not in the lab", name)
				}
				setLabValue(h, c.Key+`\`+c.Setting, c.Type, value)
			}
			applied++
		case verdict.ChangeRename:
			old := "name: " + c.Rename.From
			if !strings.Contains(inv, old) {
				t.Fatalf("inventory has no %q", old)
			}
			inv = strings.Replace(inv, old, "name: "+c.Rename.To, 1)
			applied++
		}
	}
	if applied < 4 {
		t.Fatalf("only %d changes applied: %+v", applied, doc.Changes)
	}
	// The rescan is the one after the change: the refusals the plan fixes
	// were logged before it. Since issue 16 a path named by IP keeps its
	// name (one exact exception entry, no rename), so the lab's old 4001s
	// would still match it; the audit events (NTLM in use) stay.
	for _, h := range lab.Hosts {
		h.NTLMEvents = slices.DeleteFunc(h.NTLMEvents, func(e winrmtest.NTLMEvent) bool {
			f := facts.EventFieldOf(e.ID)
			return f != nil && f.Kind == facts.EventBlocked
		})
	}

	invPath, _, env := labFleet(t, lab, []byte(inv))
	afterPath := filepath.Join(t.TempDir(), "after.json")
	if r := run(t, env, "scan", "-i", invPath, "--quiet", "--json", afterPath); r.code&ExitError != 0 && r.code != ExitHostsFailed {
		t.Fatalf("rescan exit %d: %s", r.code, r.stderr)
	}
	after, err := loadReport(afterPath)
	if err != nil {
		t.Fatal(err)
	}
	key := func(p *verdict.Path) string { return p.Core + "|" + string(p.Kind) + "|" + p.Target + "|" + p.Share }
	now := map[string]*verdict.Path{}
	for i := range after.Matrix.Paths {
		now[key(&after.Matrix.Paths[i])] = &after.Matrix.Paths[i]
	}
	blocked := 0
	for i := range before.Matrix.Paths {
		b := &before.Matrix.Paths[i]
		if !b.Verdict.Blocking() {
			continue
		}
		blocked++
		a := now[key(b)]
		switch {
		case a == nil:
			t.Errorf("%s (was %s) is gone after the plan", b.ID, b.Verdict)
		case a.Verdict != verdict.OK:
			t.Errorf("%s was %s; after the plan %s is %s (deciding %+v)", b.ID, b.Verdict, a.ID, a.Verdict, a.Deciding)
		}
	}
	if blocked < 3 {
		t.Fatalf("only %d blocked paths before the plan", blocked)
	}
}

// setLabValue sets (or adds) one registry value of a simulated host.
func setLabValue(h *winrmtest.Host, path, typ string, value any) {
	for i := range h.Registry {
		if strings.EqualFold(h.Registry[i].Path, path) {
			h.Registry[i].Type, h.Registry[i].Value, h.Registry[i].Error = typ, value, ""
			return
		}
	}
	h.Registry = append(h.Registry, winrmtest.RegistryEntry{Path: path, Type: typ, Value: value})
}

// A host that starts refusing NTLM by policy overnight cannot be scanned
// with the domain account any more. Its NTLM paths are blocked-suspected:
// a finding for --fail-on blocked and a new path in diff, not a silent
// unknown.
func TestNTLMRefusedByPolicyIsANewFinding(t *testing.T) {
	t.Parallel()
	lastNight := demoReport(t)

	lab, err := winrmtest.ParseLab(examples.DemoLab, "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	setLabValue(lab.HostByName("AGENT04"), `HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0\RestrictReceivingNTLMTraffic`, "REG_DWORD", 1)
	invPath, _, env := labFleet(t, lab, examples.DemoInventory)
	tonight := filepath.Join(t.TempDir(), "tonight.json")
	r := run(t, env, "scan", "-i", invPath, "--quiet", "--json", tonight, "--fail-on", "blocked")
	if r.code&ExitFindings == 0 {
		t.Fatalf("scan exit %d: no findings; stderr:\n%s", r.code, r.stderr)
	}
	rep, err := loadReport(tonight)
	if err != nil {
		t.Fatal(err)
	}
	var suspected *verdict.Path
	for i := range rep.Matrix.Paths {
		if p := &rep.Matrix.Paths[i]; p.ID == "CORE02|agent|AGENT04|127.0.0.34" {
			suspected = p
		}
	}
	if suspected == nil || suspected.Verdict != verdict.BlockedSuspected {
		t.Fatalf("CORE02 -> AGENT04 = %+v, want blocked-suspected", suspected)
	}
	d := run(t, nil, "diff", lastNight, tonight)
	if d.code != ExitFindings || !strings.Contains(d.stdout, "AGENT04") {
		t.Errorf("diff exit %d, want %d with AGENT04 as new:\n%s", d.code, ExitFindings, d.stdout)
	}
}

// Last night's report from the previous ntlmscan (schema 1) still renders
// and compares, with a warning that says what migrating it means.
func TestReportAndDiffMigrateSchema1(t *testing.T) {
	t.Parallel()
	old := filepath.Join("..", "..", "..", "report", "testdata", "demo-report-schema1.json")
	r := run(t, nil, "report", old, "--format", "csv")
	if r.code != ExitOK || !strings.Contains(r.stderr, "warning") || !strings.Contains(r.stderr, "schema 1") || !strings.Contains(r.stdout, "CORE01") {
		t.Fatalf("report exit %d\nstderr: %s", r.code, r.stderr)
	}
	d := run(t, nil, "diff", old, old)
	if d.code != ExitOK || strings.Count(d.stderr, "schema 1") != 2 {
		t.Errorf("diff exit %d\nstderr: %s", d.code, d.stderr)
	}
}

// The demo's plan edits the GPOs that set DC02's exception list and
// CORE02's SMB exception list (issue 16), and the change-board text and
// the undo script come from the same report.
func TestPlanGPOSourcedFixes(t *testing.T) {
	t.Parallel()
	jsonPath := demoReport(t)
	text := run(t, nil, "plan", jsonPath)
	for _, want := range []string{`GPO "NTLM Restriction Pilot" {3F2A9C1E-5B7D-4E8F-9A0B-1C2D3E4F5A6B}`,
		`GptTmpl.inf [Registry Values]: MACHINE\SYSTEM\CurrentControlSet\Services\Netlogon\Parameters\DCAllowedNTLMServers=7,`,
		`Set-GPRegistryValue -Guid '{8B1E0F42-7C3D-4A59-B6E2-0D9F8A7C6B5E}'`, "[verify-kerberos]"} {
		if !strings.Contains(text.stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, text.stdout)
		}
	}
	for _, f := range []string{"markdown", "md", "powershell-undo"} {
		if r := run(t, nil, "plan", jsonPath, "--format", f); r.code != ExitOK || r.stdout == "" {
			t.Errorf("--format %s: exit %d: %s", f, r.code, r.stderr)
		}
	}
	rep := run(t, nil, "report", jsonPath, "--format", "table")
	if !strings.Contains(rep.stdout, `[source: GPO "NTLM Restriction Pilot"`) {
		t.Errorf("the report does not name the GPO behind DC02's deciding value:\n%s", rep.stdout)
	}
}

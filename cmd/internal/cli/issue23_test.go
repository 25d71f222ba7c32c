package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/examples"
	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// The demo fleet with both DCs at RestrictNTLMInDomain 7 ("Deny all") and
// FS01 in DCAllowedNTLMServers, scanned through the simulator: the share
// path is at-risk, not ok (the sources disagree on whether the list exempts
// values 3 and 7), the plan sets 5 next to the exception, and once the plan
// is applied to the lab a rescan finds the path ok.
func TestDenyAllWithExceptionThroughTheSimulator(t *testing.T) {
	t.Parallel()
	lab, err := winrmtest.ParseLab(examples.DemoLab, "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const netlogon = `HKLM\SYSTEM\CurrentControlSet\Services\Netlogon\Parameters\`
	for _, dc := range []string{"DC01", "DC02"} {
		h := lab.HostByName(dc)
		if h == nil {
			t.Fatalf("no %s in the demo lab", dc)
		}
		setLabValue(h, netlogon+"RestrictNTLMInDomain", "REG_DWORD", 7)
		setLabValue(h, netlogon+"DCAllowedNTLMServers", "REG_MULTI_SZ", []any{"AGENT01", "AGENT02", "AGENT06", "FS01"})
	}
	const fs01 = "CORE01|share|FS01|fs01.corp.example"

	scan := func(lab *winrmtest.Lab) (*report.Report, string) {
		t.Helper()
		invPath, _, env := labFleet(t, lab, examples.DemoInventory)
		out := filepath.Join(t.TempDir(), "scan.json")
		if r := run(t, env, "scan", "-i", invPath, "--quiet", "--json", out); r.code&ExitError != 0 && r.code != ExitHostsFailed {
			t.Fatalf("scan exit %d: %s", r.code, r.stderr)
		}
		rep, err := loadReport(out)
		if err != nil {
			t.Fatal(err)
		}
		return rep, out
	}
	path := func(rep *report.Report, id string) *verdict.Path {
		t.Helper()
		for i := range rep.Matrix.Paths {
			if rep.Matrix.Paths[i].ID == id {
				return &rep.Matrix.Paths[i]
			}
		}
		t.Fatalf("no path %s", id)
		return nil
	}

	before, jsonPath := scan(lab)
	p := path(before, fs01)
	if p.Verdict != verdict.AtRisk || p.Deciding == nil || p.Deciding.Setting != "RestrictNTLMInDomain" || !p.Deciding.Unconfirmed ||
		!strings.Contains(p.Deciding.Explanation, "[MS-APDS]") {
		t.Fatalf("FS01 path = %s, deciding %+v; want at-risk on RestrictNTLMInDomain, UNCONFIRMED, naming [MS-APDS]", p.Verdict, p.Deciding)
	}

	js := run(t, nil, "plan", jsonPath, "--format", "json")
	var doc render.PlanDocument
	if err := json.Unmarshal([]byte(js.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	narrowed := map[string]bool{}
	for _, c := range doc.Changes {
		if c.Kind == verdict.ChangeDWORD && c.Setting == "RestrictNTLMInDomain" && c.Set != nil && *c.Set == 5 {
			narrowed[c.Host] = true
		}
	}
	if !narrowed["DC01"] || !narrowed["DC02"] {
		t.Fatalf("the plan does not set RestrictNTLMInDomain=5 on both DCs: %+v", doc.Changes)
	}

	for _, c := range doc.Changes {
		h := lab.HostByName(c.Host)
		switch {
		case h == nil:
		case c.Kind == verdict.ChangeList:
			list := []any{}
			for _, e := range c.Final {
				list = append(list, e)
			}
			setLabValue(h, c.Key+`\`+c.Setting, c.Type, list)
		case c.Kind == verdict.ChangeDWORD:
			setLabValue(h, c.Key+`\`+c.Setting, c.Type, int(*c.Set))
		}
	}
	after, _ := scan(lab)
	if p := path(after, fs01); p.Verdict != verdict.OK {
		t.Errorf("after the plan the FS01 path is %s, want ok (deciding %+v)", p.Verdict, p.Deciding)
	}
}

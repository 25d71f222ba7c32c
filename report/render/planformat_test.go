package render_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// The change-board text stays under 32 KB whatever the fleet: counts, the
// top changes, the CSV to attach.
func TestPlanMarkdownUnder32KB(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 3, 5000} {
		r := reporttest.Demo()
		r.Matrix.PlanSummary = &verdict.PlanSummary{Overlay: "deny-outgoing", NewlyBlocked: 29, NewlyAtRisk: 268}
		r.Matrix.Plan = nil
		for i := range n {
			r.Matrix.Plan = append(r.Matrix.Plan, verdict.Change{
				ID: fmt.Sprintf("HOST%04d|ClientAllowedNTLMServers", i), Kind: verdict.ChangeList, Host: fmt.Sprintf("HOST%04d", i),
				Setting: "ClientAllowedNTLMServers", SettingID: facts.ClientAllowedNTLMServers, Add: []string{strings.Repeat("x", 200)},
				Value: "add " + strings.Repeat("very-long-entry.example.net, ", 100), Paths: make([]string, i%7+1)})
		}
		var out bytes.Buffer
		if err := render.RenderPlan(&out, r, render.PlanMarkdown); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		if len(s) >= 32<<10 {
			t.Errorf("%d changes: %d bytes", n, len(s))
		}
		for _, want := range []string{"# NTLM change plan", "Newly blocked by this baseline (deny-outgoing): 29 paths; newly at-risk: 268 paths.", "--format csv", fmt.Sprintf("%d |", n)} {
			if !strings.Contains(s, want) {
				t.Errorf("%d changes: lacks %q:\n%s", n, want, s)
			}
		}
	}
}

// The plan script stops at the first error, supports -WhatIf and saves
// every value it overwrites before writing it; the undo script reverses
// each scripted change.
func TestPlanPowerShellSafeToApply(t *testing.T) {
	t.Parallel()
	r := psEstate(benignEstate)
	var out, undo bytes.Buffer
	if err := render.RenderPlan(&out, r, render.PlanPowerShell); err != nil {
		t.Fatal(err)
	}
	if err := render.RenderPlan(&undo, r, render.PlanPowerShellUndo); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"[CmdletBinding(SupportsShouldProcess = $true)]", "$ErrorActionPreference = 'Stop'", "Export-Clixml -Path $BackupPath", "$PSCmdlet.ShouldProcess("} {
		if !strings.Contains(s, want) {
			t.Errorf("plan script lacks %q:\n%s", want, s)
		}
	}
	// Every write is preceded by its backup.
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.Contains(l, "Set-ItemProperty") && (i < 1 || !strings.Contains(lines[i-1], "Export-Clixml")) {
			t.Errorf("write without a backup before it: %s", l)
		}
	}
	u := undo.String()
	if !strings.Contains(u, "-notcontains $_) })") || strings.Contains(u, "$l += $e") || !strings.Contains(u, "$ErrorActionPreference = 'Stop'") {
		t.Errorf("undo script:\n%s", u)
	}
	files := writeSources(t, t.TempDir(), map[string]string{"plan.ps1": strings.TrimPrefix(s, "\uFEFF"), "undo.ps1": strings.TrimPrefix(u, "\uFEFF")})
	if problems, _ := pscheck(t, false, files["plan.ps1"], files["undo.ps1"]); problems != "" {
		t.Errorf("syntax problems:\n%s", problems)
	}
}

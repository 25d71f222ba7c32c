package render

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// PlanKind identifies the JSON form of a change plan (`ntlmscan plan
// --format json`).
const PlanKind = "ntlmscan.plan"

// Plan output formats.
const (
	PlanText       = "text"
	PlanJSON       = "json"
	PlanCSV        = "csv"
	PlanPowerShell = "powershell"
	// PlanPowerShellUndo reverses the powershell format's changes.
	PlanPowerShellUndo = "powershell-undo"
	PlanMarkdown       = "markdown"
)

// PlanFormats lists the --format values of RenderPlan, default first.
func PlanFormats() []string {
	return []string{PlanText, PlanJSON, PlanCSV, PlanPowerShell, PlanPowerShellUndo, PlanMarkdown}
}

// PlanDocument is the JSON form of a report's change plan.
type PlanDocument struct {
	Kind        string           `json:"kind"`
	Schema      int              `json:"schema"` // report.SchemaVersion
	RunID       string           `json:"runId"`
	GeneratedAt string           `json:"generatedAt"`
	Changes     []verdict.Change `json:"changes"`
	// Summary counts the paths the what-if baseline newly blocks or puts
	// at risk (reports made with --assume).
	Summary *verdict.PlanSummary `json:"summary,omitempty"`
}

// PlanCSVColumns are the header of `ntlmscan plan --format csv`: one row per
// change (host and setting). Add columns only at the end.
func PlanCSVColumns() []string {
	return []string{"change_id", "host", "kind", "setting", "registry_key", "change", "add", "final_list", "set",
		"rename_from", "rename_to", "powershell", "gpo_path", "paths", "notes",
		"source", "was", "gpo_edit", "hosts"}
}

// RenderPlan writes the change plan of r: one change per host and setting,
// merged over every path that needs it. Lists are written whole (the final
// list with every entry) except in the text format, which caps them.
func RenderPlan(w io.Writer, r *report.Report, format string) error {
	plan := r.Matrix.Plan
	switch strings.ToLower(strings.TrimSpace(format)) {
	case PlanText, "":
		return planText(w, r, plan)
	case PlanJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		doc := PlanDocument{Kind: PlanKind, Schema: report.SchemaVersion, RunID: r.RunID,
			GeneratedAt: r.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z"), Changes: plan, Summary: r.Matrix.PlanSummary}
		if doc.Changes == nil {
			doc.Changes = []verdict.Change{}
		}
		if err := enc.Encode(doc); err != nil {
			return fmt.Errorf("write plan: %w", err)
		}
		return nil
	case PlanCSV:
		return planCSV(w, plan)
	case PlanPowerShell, "ps1":
		return planPowerShell(w, r, plan, false)
	case PlanPowerShellUndo:
		return planPowerShell(w, r, plan, true)
	case PlanMarkdown, "md":
		return planMarkdown(w, r, plan)
	}
	return fmt.Errorf("unknown plan format %q: want one of %s", format, strings.Join(PlanFormats(), ", "))
}

func planText(w io.Writer, r *report.Report, plan []verdict.Change) error {
	out := &tableWriter{w: w}
	out.printf("Change plan of scan %s (%s): %d changes\n", clean(r.RunID), timeText(r.GeneratedAt), len(plan))
	if s := r.Matrix.PlanSummary; s != nil {
		out.printf("%s\n", clean(s.Text()))
	}
	if len(plan) == 0 {
		out.printf("Nothing to change: no path has a fix.\n")
		return out.err
	}
	out.printf("List changes only add missing entries; run them in any order, and more than once.\n")
	host := ""
	for i := range plan {
		c := &plan[i]
		if !strings.EqualFold(c.Host, host) {
			host = c.Host
			out.printf("\n%s\n", clean(c.Host))
		}
		out.printf("  %s [%s]: %s\n", clean(c.Setting), c.Kind, clean(c.Value))
		if c.Kind == verdict.ChangeList {
			out.printf("    final list (%d entries): %s\n", len(c.Final), clean(capList(c.Final, maxPlanPreview)))
		}
		if c.PowerShell != "" {
			out.printf("    PowerShell: %s\n", clean(c.PowerShell))
		}
		if c.GPOPath != "" {
			out.printf("    GPO: %s\n", clean(c.GPOPath))
		}
		if c.Source != nil {
			out.printf("    source: %s\n", clean(verdict.SourceText(c.Source)))
		}
		if c.Was != "" {
			out.printf("    now: %s\n", clean(c.Was))
		}
		if c.GPOEdit != "" {
			out.printf("    GPO edit: %s\n", clean(capText(c.GPOEdit, 600)))
		}
		if len(c.Hosts) > 1 {
			out.printf("    covers: %s\n", clean(capList(c.Hosts, 10)))
		}
		out.printf("    fixes %d path(s): %s\n", len(c.Paths), clean(capList(c.Paths, 5)))
		for _, n := range c.Notes {
			out.printf("    note: %s\n", clean(n))
		}
	}
	return out.err
}

func planCSV(w io.Writer, plan []verdict.Change) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(PlanCSVColumns()); err != nil {
		return fmt.Errorf("write plan csv: %w", err)
	}
	for i := range plan {
		c := &plan[i]
		var set, from, to string
		if c.Set != nil {
			set = fmt.Sprint(*c.Set)
		}
		if c.Rename != nil {
			from, to = c.Rename.From, c.Rename.To
		}
		rec := []string{c.ID, c.Host, string(c.Kind), c.Setting, c.Key, c.Value, "", "",
			set, from, to, c.PowerShell, c.GPOPath, strings.Join(c.Paths, " | "), strings.Join(c.Notes, " "),
			verdict.SourceText(c.Source), c.Was, c.GPOEdit, strings.Join(c.Hosts, " | ")}
		for j := range rec {
			rec[j] = csvCell(rec[j])
		}
		// The lists keep one entry per line (csvCell would escape the breaks).
		rec[6], rec[7] = csvList(c.Add), csvList(c.Final)
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write plan csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write plan csv: %w", err)
	}
	return nil
}

// planPowerShell writes the registry changes as one script with a section
// per host: each section runs on its host only (it checks the computer
// name), and every list line only adds entries. The script stops at the
// first error, honours -WhatIf, and saves every value it is about to
// overwrite to $BackupPath before writing it. With undo it writes the
// reverse script: each list loses exactly the entries the plan adds, each
// DWORD gets its scanned value back.
func planPowerShell(w io.Writer, r *report.Report, plan []verdict.Change, undo bool) error {
	out := &tableWriter{w: w}
	// A UTF-8 BOM: Windows PowerShell 5.1 reads a .ps1 without one in the
	// ANSI code page, where a non-ASCII name's UTF-8 bytes can decode to a
	// typographic quote (D1 91, "ё", becomes "Ñ‘") that ends a quoted
	// string early and turns the rest of the name into code.
	out.printf("\uFEFF")
	what := "change plan"
	if undo {
		what = "undo of the change plan"
	}
	out.printf("# ntlmscan %s of scan %s (%s)\n", what, cleanComment(r.RunID), timeText(r.GeneratedAt))
	if s := r.Matrix.PlanSummary; s != nil {
		out.printf("# %s\n", cleanComment(s.Text()))
	}
	out.printf("# Run each section on the host it names (elevated); -WhatIf shows what it would change.\n")
	if !undo {
		out.printf("# List changes only add missing entries, so sections can run in any order and more than once.\n# Where a GPO sets a value, change the GPO instead: a GPO refresh reverts a local change.\n# Undo: ntlmscan plan --format powershell-undo (the values before are also saved to $BackupPath).\n")
	}
	out.printf("[CmdletBinding(SupportsShouldProcess = $true)]\nparam([string]$BackupPath = (Join-Path -Path $env:TEMP -ChildPath ('ntlmscan-plan-backup-' + (Get-Date -Format 'yyyyMMddHHmmss') + '.xml')))\n")
	out.printf("$ErrorActionPreference = 'Stop'\n$backup = @()\n")
	// open, not host != "": a change with an empty host (an edited report)
	// still gets its own guarded section, never lines outside any guard.
	host, open := "", false
	for i := range plan {
		c := &plan[i]
		if !open || !strings.EqualFold(c.Host, host) {
			if open {
				out.printf("%s", sectionEnd(host))
			}
			host, open = c.Host, true
			out.printf("\n# ---- %s ----\nif ($env:COMPUTERNAME -ieq %s) {\n", cleanComment(c.Host), verdict.PSQuote(clean(computerName(c))))
		}
		out.printf("  # %s: %s\n", cleanComment(c.Setting), cleanComment(c.Value))
		switch {
		case c.GPOEdit != "" && undo:
			out.printf("  # a GPO owns this value (%s); undo the edit there (it added: %s)\n", cleanComment(verdict.SourceText(c.Source)), cleanComment(strings.Join(c.Add, ", ")))
		case c.GPOEdit != "":
			out.printf("  # a GPO owns this value (%s); edit it there: %s\n", cleanComment(verdict.SourceText(c.Source)), cleanComment(c.GPOEdit))
		}
		// Registry lines are rebuilt from the change's fields: the report's
		// own PowerShell text is only ever shown as a comment.
		line := c.Script()
		if undo {
			line = c.UndoScript()
		}
		switch {
		case line != "":
			if !undo {
				out.printf("  %s\n  $backup | Export-Clixml -Path $BackupPath\n", c.BackupLine())
			}
			out.printf("  if ($PSCmdlet.ShouldProcess(%s, %s)) { %s }\n", verdict.PSQuote(clean(computerName(c))),
				verdict.PSQuote(cleanComment(c.Setting)), cleanComment(line))
		case undo:
			if c.Script() != "" {
				out.printf("  # the value before is not known: restore it from the backup file\n")
			}
		default:
			for _, n := range c.Notes {
				out.printf("  # %s\n", cleanComment(n))
			}
			if c.PowerShell != "" {
				out.printf("  # %s\n", cleanComment(c.PowerShell))
			}
		}
	}
	if open {
		out.printf("%s", sectionEnd(host))
	}
	return out.err
}

// computerName is what $env:COMPUTERNAME must hold where a section runs:
// the inventory's NetBIOS name of the host (Change.Guard), else the first
// label of the inventory name. Never the name the host reported about
// itself: a host answering as DC01 must not get DC01's section.
func computerName(c *verdict.Change) string {
	if c.Guard != "" {
		return c.Guard
	}
	name, _, _ := strings.Cut(c.Host, ".")
	return name
}

func sectionEnd(host string) string {
	// clean: Write-Host would replay a terminal escape in the name.
	return "} else { Write-Host (" + verdict.PSQuote("Skipping the section for "+clean(host)+" on ") + " + $env:COMPUTERNAME) }\n"
}

// cleanComment keeps text on one line (a line feed would end a comment).
func cleanComment(s string) string { return strings.ReplaceAll(clean(s), "\n", " ") }

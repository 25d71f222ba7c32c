package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// mdWriter collects the first write error.
type mdWriter struct {
	w   io.Writer
	err error
}

func (m *mdWriter) printf(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, args...)
	}
}

// mdText escapes text for Markdown (GitHub, GitLab, Jira/Confluence
// markdown): inline markup, table pipes and raw HTML are neutralised, and
// newlines become spaces so that a value stays in its table cell.
func mdText(s string) string {
	s = clean(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '|', '#', '~', '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCell renders s as an inline code span inside a table cell, where GFM
// splits on pipes even within code, so they are escaped.
func mdCell(s string) string { return mdCode(strings.ReplaceAll(s, "|", `\|`)) }

// mdCode renders s as an inline code span (host names, settings, UNC
// paths): nothing inside is markup, so nothing is escaped.
func mdCode(s string) string {
	s = clean(s)
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdFence returns a code fence longer than any backtick run in s.
func mdFence(s string) string { return strings.Repeat("`", max(3, longestRun(s, '`')+1)) }

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

func mdVerdict(v verdict.Verdict) string {
	switch v {
	case verdict.Blocked, verdict.BlockedSuspected:
		return "**" + string(v) + "**"
	case verdict.AtRisk:
		return "*at-risk*"
	}
	return mdText(string(v))
}

// renderMarkdown writes a report for tickets and wikis.
func renderMarkdown(w io.Writer, r *report.Report, opts Options) error {
	v := newFilteredView(r, opts)
	s := v.Sum
	m := &mdWriter{w: w}

	m.printf("# ntlmscan scan report %s\n\n", mdText(r.RunID))
	m.printf("Generated %s by ntlmscan %s from %s. Options: strict=%s, overlay=%s, fail-on=%s.\n\n",
		timeText(r.GeneratedAt), mdText(r.ToolVersion), mdCode(r.Inventory), yesNo(r.Options.Strict),
		mdText(orDash(r.Options.Overlay)), mdText(s.FailOn))

	if ps := r.Matrix.PlanSummary; ps != nil {
		m.printf("**%s**\n\n", mdText(ps.Text()))
	}
	m.printf("## Summary\n\n")
	m.printf("- Hosts: %d in the inventory, %d scanned, %d failed, %d described only (not scanned)\n", s.Hosts, s.Scanned, s.Failed, s.Described)
	m.printf("- Paths: %d (%s)\n", s.Paths, countsText(s))
	if e := evidenceText(s); e != "" {
		m.printf("- At-risk by evidence: %s\n", mdText(e))
	}
	if t := probeFailedText(s, plainVerdict); t != "" {
		m.printf("- %s; each says no under Reachable in the path table\n", mdText(t))
	}
	for _, l := range authLines(r) {
		m.printf("- %s\n", mdText(l))
	}
	if r.Waivers != nil {
		m.printf("- Waivers: %d active, %d expired, %d unused\n", s.Waived, s.WaiverExpired, len(r.Waivers.Unused))
	}
	if c := r.Baseline; c != nil {
		m.printf("- Since baseline %s: %d new blocked, %d fixed, %d changed", mdText(c.BaselineRunID), len(c.New), len(c.Fixed), len(c.Changed))
		if n := len(c.NotComparable); n > 0 {
			m.printf(", %d not comparable (hosts failed; last good verdict carried forward)", n)
		}
		m.printf("\n")
	}
	m.printf("- **Findings (--fail-on %s): %d**\n", mdText(s.FailOn), s.Findings)
	for _, c := range r.Matrix.Coverage {
		m.printf("- Coverage: %s\n", mdText(c.Note))
	}
	if t := v.showingText(); t != "" {
		m.printf("- **%s**: the matrix, paths, details and host notes below hold only these.\n", mdText(t))
	}
	m.printf("\n")
	if lines := unmatchedEventLines(&r.Matrix); len(lines) > 0 {
		m.printf("## NTLM events no path claimed\n\n")
		for _, l := range lines {
			m.printf("- %s\n", mdText(l))
		}
		m.printf("\n")
	}

	m.printf("## Matrix\n\nWorst verdict per Core (rows) and target (columns).\n\n")
	m.printf("| Core |")
	for _, t := range v.Grid.Targets {
		m.printf(" %s |", mdText(t))
	}
	m.printf("\n|---|%s\n", strings.Repeat("---|", len(v.Grid.Targets)))
	for i, core := range v.Grid.Cores {
		m.printf("| %s |", mdText(core))
		for j := range v.Grid.Targets {
			c := v.Grid.Cells[i][j]
			switch {
			case c.Paths == 0:
				m.printf(" - |")
			case c.Waived:
				m.printf(" %s (waived) |", mdVerdict(c.Verdict))
			default:
				m.printf(" %s |", mdVerdict(c.Verdict))
			}
		}
		m.printf("\n")
	}
	m.printf("\n")
	for _, l := range legend() {
		m.printf("- %s: %s\n", mdVerdict(verdict.Verdict(l.Verdict)), mdText(l.Meaning))
	}
	m.printf("- -: %s\n\n", mdText(legendNoPath))

	// Worst first, as every format lists paths.
	rows := v.worstFirst()
	m.printf("## Paths\n\n")
	m.printf("| Core | Target | Kind | Operations | Name used | Reachable | NTLM needed | Verdict | Deciding setting |\n")
	m.printf("|---|---|---|---|---|---|---|---|---|\n")
	for _, rw := range rows {
		p := rw.P
		verdictCell := mdVerdict(p.Verdict)
		if marks := verdictMarks(rw); len(marks) > 0 {
			verdictCell += " (" + mdText(strings.Join(marks, ", ")) + ")"
		}
		m.printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			mdText(p.Core), mdText(p.Target), mdText(string(p.Kind)), mdText(verdict.OperationsText(p.Operations)), mdCell(nameUsedText(p)), mdText(p.Reachable),
			mdText(string(p.Need)), verdictCell, mdDeciding(p.Deciding))
	}
	m.printf("\n")

	m.printf("## Details\n\n")
	for _, rw := range rows {
		p := rw.P
		if p.Verdict == verdict.OK && !p.Changed() {
			continue
		}
		m.printf("### %s → %s (%s): %s\n\n", mdText(p.Core), mdText(p.Target), mdCode(nameUsedText(p)), mdVerdict(p.Verdict))
		m.printf("- Path id: %s; account %s; TCP reachable: %s; NTLM needed: %s (%s)\n",
			mdCode(p.ID), mdCode(p.Account), mdText(p.Reachable), mdText(string(p.Need)), mdText(p.NeedWhy))
		if s := impactSentence(p); s != "" {
			m.printf("- %s\n", mdText(s))
		}
		if ev := p.Evidence; ev != nil {
			m.printf("- Evidence: **%s**: %s", mdText(string(ev.State)), mdText(ev.Summary))
			if ev.RegistryVerdict != "" {
				m.printf(" (the settings alone: %s)", mdText(string(ev.RegistryVerdict)))
			}
			m.printf("\n")
		}
		if rw.Waiver != nil {
			state := "Waived until"
			if rw.Waiver.Expired {
				state = "Waiver **EXPIRED**: it held until"
			}
			m.printf("- %s %s (owner %s): %s\n", state, mdText(rw.Waiver.Expires), mdText(rw.Waiver.Owner), mdText(rw.Waiver.Reason))
		}
		if rw.History != nil {
			m.printf("- First seen %s, last seen %s\n", timeText(rw.History.FirstSeen), timeText(rw.History.LastSeen))
		}
		for i := range p.Reasons {
			m.printf("- %s\n", mdText(v.reasonText(&p.Reasons[i])))
		}
		for _, fix := range remediations(p) {
			m.printf("\n**Fix on %s:** %s ← %s", mdText(fix.Host), mdCode(fix.Setting), mdCode(fix.Value))
			if fix.GPOPath != "" {
				m.printf(" (GPO: %s)", mdText(fix.GPOPath))
			}
			if fix.Note != "" {
				m.printf(". %s", mdText(fix.Note))
			}
			m.printf("\n")
			if ps := cleanBlock(fix.PowerShell); ps != "" {
				fence := mdFence(ps)
				m.printf("\n%spowershell\n%s\n%s\n", fence, ps, fence)
			}
		}
		m.printf("\n")
	}

	if plan := r.Matrix.Plan; len(plan) > 0 {
		m.printf("## Change plan\n\nOne change per host and setting, merged over every path that needs it. List changes only add missing entries, so the lines can run in any order.\n\n")
		for i := range plan {
			c := &plan[i]
			m.printf("### %s: %s (%s)\n\n", mdText(c.Host), mdCode(c.Setting), mdText(string(c.Kind)))
			m.printf("- Change: %s\n", mdText(c.Value))
			if c.Kind == verdict.ChangeList {
				m.printf("- Final list (%d entries): %s\n", len(c.Final), mdText(capList(c.Final, maxPlanPreview)))
			}
			if c.GPOPath != "" {
				m.printf("- GPO: %s\n", mdText(c.GPOPath))
			}
			m.printf("- Fixes: %s\n", mdText(capList(c.Paths, maxPlanPreview)))
			for _, n := range c.Notes {
				m.printf("- %s\n", mdText(n))
			}
			if ps := cleanBlock(c.PowerShell); ps != "" {
				fence := mdFence(ps)
				m.printf("\n%spowershell\n%s\n%s\n", fence, ps, fence)
			}
			m.printf("\n")
		}
	}

	if notes := v.hostNotes(); len(notes) > 0 {
		m.printf("## Host notes\n\n")
		for _, n := range notes {
			m.printf("- **%s** \\[%s\\]: %s\n", mdText(n.Host), mdText(strings.Join(n.Effects, ", ")), mdText(n.Text))
		}
		m.printf("\n")
	}

	if smb := smbRows(r); len(smb) > 0 {
		m.printf("## %s\n\n| Host | Target | Found | NTLM logon (--smb-auth) |\n|---|---|---|---|\n", SMBProbeHeading)
		for _, h := range smb {
			m.printf("| %s | %s | %s | %s |\n", mdText(h.Host), mdCell(h.Target), mdText(h.Found), mdText(h.Logons))
		}
		m.printf("\n")
	}

	if len(v.Failed) > 0 || len(v.Described) > 0 {
		m.printf("## Hosts not scanned\n\n| Host | Address | Error class | Message | Hint |\n|---|---|---|---|---|\n")
		for _, list := range [][]hostRow{hostRows(v.Failed), hostRows(v.Described)} {
			for _, h := range list {
				m.printf("| %s | %s | %s | %s | %s |\n", mdText(h.Host), mdCell(h.Address), mdCell(h.Class), mdText(h.Message), mdText(orDash(h.Hint)))
			}
		}
		m.printf("\n")
	}

	if ws := r.Waivers; ws != nil && (len(ws.Applied) > 0 || len(ws.Unused) > 0 || len(ws.Hosts) > 0) {
		m.printf("## Waivers (%s)\n\n| Path | Status | Expires | Owner | Reason | Line |\n|---|---|---|---|---|---|\n", mdCode(ws.File))
		for _, a := range ws.Applied {
			status := "active"
			if a.Expired {
				status = "**expired**"
			}
			m.printf("| %s | %s | %s | %s | %s | %d |\n", mdCell(a.PathID), status, mdText(a.Expires), mdText(a.Owner), mdText(a.Reason), a.Line)
		}
		for _, h := range ws.Hosts {
			status := "host accepted"
			if h.Expired {
				status = "**expired**"
			}
			m.printf("| %s | %s | %s | %s | %s | %d |\n", mdCell(h.Match), status, mdText(h.Expires), mdText(h.Owner), mdText(h.Reason), h.Line)
		}
		for _, u := range ws.Unused {
			m.printf("| %s | unused | %s | %s | %s | %d |\n", mdCell(u.Match), mdText(u.Expires), mdText(u.Owner), mdText(u.Reason), u.Line)
		}
		m.printf("\n")
	}
	return m.err
}

func mdDeciding(r *verdict.Reason) string {
	if r == nil {
		return "-"
	}
	if r.Setting == "" {
		return mdText(r.Explanation)
	}
	return mdText(r.Host) + " " + mdCell(settingValue(r)) + mdText(sourceSuffix(r))
}

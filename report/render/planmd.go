package render

import (
	"cmp"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// planMarkdownTop caps the changes listed in the change-board text; with
// the cap on every list and cell the text stays well under 32 KB for any
// fleet (the CSV holds everything).
const (
	planMarkdownTop   = 20
	planMarkdownLimit = 32 << 10
)

// planMarkdown writes the change-board text of a plan: counts, the
// baseline summary, the changes that fix the most paths, and where the
// full list is.
func planMarkdown(w io.Writer, r *report.Report, plan []verdict.Change) error {
	var b strings.Builder
	b.WriteString("# NTLM change plan\n\n")
	b.WriteString("Scan " + mdText(r.RunID) + " (" + timeText(r.GeneratedAt) + ").\n\n")
	if s := r.Matrix.PlanSummary; s != nil {
		b.WriteString("**" + mdText(s.Text()) + "**\n\n")
	}
	kinds := map[verdict.ChangeKind]int{}
	hosts := map[string]bool{}
	paths := map[string]bool{}
	for i := range plan {
		kinds[plan[i].Kind]++
		hosts[strings.ToLower(plan[i].Host)] = true
		for _, p := range plan[i].Paths {
			paths[p] = true
		}
	}
	b.WriteString("| changes | hosts | paths |\n|---|---|---|\n")
	b.WriteString(itoa(len(plan)) + " | " + itoa(len(hosts)) + " | " + itoa(len(paths)) + " |\n\n")
	b.WriteString("| kind | changes |\n|---|---|\n")
	for _, k := range []verdict.ChangeKind{verdict.ChangeList, verdict.ChangeDWORD, verdict.ChangeBaseline, verdict.ChangeRename, verdict.ChangeManual, verdict.ChangeVerifyKerberos} {
		if kinds[k] > 0 {
			b.WriteString("| " + string(k) + " | " + itoa(kinds[k]) + " |\n")
		}
	}
	top := make([]*verdict.Change, 0, len(plan))
	for i := range plan {
		top = append(top, &plan[i])
	}
	slices.SortStableFunc(top, func(a, b *verdict.Change) int { return cmp.Compare(len(b.Paths), len(a.Paths)) })
	if len(top) > planMarkdownTop {
		top = top[:planMarkdownTop]
	}
	b.WriteString("\n## Top changes\n\n| host | setting | kind | change | was | paths |\n|---|---|---|---|---|---|\n")
	for _, c := range top {
		b.WriteString("| " + mdText(capText(c.Host, 80)) + " | " + mdText(capText(c.Setting, 80)) + " | " + string(c.Kind) + " | " +
			mdText(capText(c.Value, 300)) + " | " + mdText(capText(c.Was, 40)) + " | " + itoa(len(c.Paths)) + " |\n")
	}
	b.WriteString("\nFull list, one row per change with the final lists: `ntlmscan plan SCAN.json --format csv > changes.csv` (attach changes.csv). Script: `--format powershell` (stops on the first error, supports -WhatIf, saves the values before), undo: `--format powershell-undo`.\n")
	out := b.String()
	if len(out) > planMarkdownLimit { // the caps above keep it far below; never exceed the board's limit
		out = strings.ToValidUTF8(out[:planMarkdownLimit-8], "") + "\n…\n"
	}
	_, err := io.WriteString(w, out)
	return err
}

func itoa(n int) string { return strconv.Itoa(n) }

// capText shortens s to n runes.
func capText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"

	"github.com/ntlmscan/ntlmscan/report"
)

// DiffRenderer writes the comparison of two reports (`ntlmscan diff`).
type DiffRenderer interface {
	RenderDiff(w io.Writer, c *report.Comparison, opts Options) error
}

// DiffRendererFunc adapts a function to DiffRenderer.
type DiffRendererFunc func(w io.Writer, c *report.Comparison, opts Options) error

// RenderDiff calls f.
func (f DiffRendererFunc) RenderDiff(w io.Writer, c *report.Comparison, opts Options) error {
	return f(w, c, opts)
}

// DiffFormats lists the --format values of NewDiff, default first.
func DiffFormats() []string {
	return []string{FormatTable, FormatJSON, FormatMarkdown, FormatCSV, FormatHTML}
}

// NewDiff returns the diff renderer for a --format value ("text" and
// "table" are the same; "md" is markdown).
func NewDiff(format string) (DiffRenderer, error) {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case FormatTable, "text":
		return DiffRendererFunc(renderDiffText), nil
	case FormatJSON:
		return DiffRendererFunc(func(w io.Writer, c *report.Comparison, _ Options) error { return report.EncodeDiff(w, c) }), nil
	case FormatMarkdown, "md":
		return DiffRendererFunc(renderDiffMarkdown), nil
	case FormatCSV:
		return DiffRendererFunc(renderDiffCSV), nil
	case FormatHTML:
		return DiffRendererFunc(renderDiffHTML), nil
	}
	return nil, fmt.Errorf("unknown diff format %q: want one of %s", format, strings.Join(DiffFormats(), ", "))
}

type diffSection struct {
	Title string
	List  []report.PathChange
}

func diffSections(c *report.Comparison) []diffSection {
	return []diffSection{
		{"New blocked paths", c.New},
		{"Fixed (no longer blocked)", c.Fixed},
		{"Changed verdicts", c.Changed},
		{"Added paths", c.Added},
		{"Removed paths", c.Removed},
	}
}

func diffHeadline(c *report.Comparison) string {
	s := fmt.Sprintf("%d new blocked, %d fixed, %d changed, %d added, %d removed",
		len(c.New), len(c.Fixed), len(c.Changed), len(c.Added), len(c.Removed))
	if n := len(c.NotComparable); n > 0 {
		s += fmt.Sprintf(", %d not comparable (hosts failed; last good verdict carried forward)", n)
	}
	return s
}

// notComparableTitle heads the paths a failed host left unjudged.
const notComparableTitle = "Not comparable (hosts failed; last good verdict carried forward)"

// carriedCells is one not-comparable path as text cells: core, target,
// kind, name used, carried verdict, facts' time and age, failed hosts.
func carriedCells(nc report.CarriedPath) []string {
	carried, from := "(none)", "-"
	if nc.Carried != "" {
		carried = string(nc.Carried)
		from = timeText(nc.FactsAt) + " (" + nc.Age + " old)"
	}
	return []string{nc.Core, nc.Target, string(nc.Kind), nc.NameUsed, carried, from, strings.Join(nc.FailedHosts, ", ")}
}

func changeVerdicts(ch report.PathChange) (before, after string) {
	before, after = string(ch.Before), string(ch.After)
	if before == "" {
		before = "(new path)"
	}
	if after == "" {
		after = "(gone)"
	} else if ch.Waived {
		after += " (waived)"
	}
	return before, after
}

func renderDiffText(w io.Writer, c *report.Comparison, opts Options) error {
	pt := painter{on: opts.Color}
	out := &tableWriter{w: w}
	out.printf("%s\n", pt.heading(fmt.Sprintf("ntlmscan diff: %s (%s) -> %s (%s)",
		clean(orDash(c.BaselineRunID)), timeText(c.BaselineGeneratedAt), clean(c.CurrentRunID), timeText(c.CurrentGeneratedAt))))
	out.printf("%s\n", diffHeadline(c))
	for _, sec := range diffSections(c) {
		if len(sec.List) == 0 {
			continue
		}
		rows := []table.Row{{"CORE", "TARGET", "KIND", "NAME USED", "BEFORE", "NOW", "DECIDING SETTING"}}
		for _, ch := range sec.List {
			before, after := changeVerdicts(ch)
			if ch.Before != "" {
				before = pt.verdict(ch.Before)
			}
			if ch.After != "" {
				after = strings.Replace(after, string(ch.After), pt.verdict(ch.After), 1)
			}
			rows = append(rows, table.Row{clean(ch.Core), clean(ch.Target), clean(string(ch.Kind)), clean(ch.NameUsed),
				before, after, clean(decidingText(ch.Deciding))})
		}
		out.printf("\n%s\n%s\n", pt.heading(strings.ToUpper(sec.Title)), simpleTable(rows, map[int]int{3: 20, 6: 30}, opts.Width))
	}
	if len(c.NotComparable) > 0 {
		rows := []table.Row{{"CORE", "TARGET", "KIND", "NAME USED", "LAST GOOD", "FOUND", "FAILED HOSTS"}}
		for _, nc := range c.NotComparable {
			row := table.Row{}
			for _, cell := range carriedCells(nc) {
				row = append(row, clean(cell))
			}
			rows = append(rows, row)
		}
		out.printf("\n%s\n%s\n", pt.heading(strings.ToUpper(notComparableTitle)), simpleTable(rows, map[int]int{3: 20}, opts.Width))
	}
	return out.err
}

func renderDiffMarkdown(w io.Writer, c *report.Comparison, _ Options) error {
	m := &mdWriter{w: w}
	m.printf("# ntlmscan diff\n\nBaseline %s (%s) → current %s (%s): %s.\n",
		mdText(orDash(c.BaselineRunID)), timeText(c.BaselineGeneratedAt), mdText(c.CurrentRunID), timeText(c.CurrentGeneratedAt), diffHeadline(c))
	for _, sec := range diffSections(c) {
		if len(sec.List) == 0 {
			continue
		}
		m.printf("\n## %s\n\n| Core | Target | Kind | Name used | Before | Now | Deciding setting |\n|---|---|---|---|---|---|---|\n", sec.Title)
		for _, ch := range sec.List {
			before, after := changeVerdicts(ch)
			m.printf("| %s | %s | %s | %s | %s | %s | %s |\n", mdText(ch.Core), mdText(ch.Target), mdText(string(ch.Kind)),
				mdCell(ch.NameUsed), mdText(before), mdText(after), mdDeciding(ch.Deciding))
		}
	}
	if len(c.NotComparable) > 0 {
		m.printf("\n## %s\n\n| Core | Target | Kind | Name used | Last good | Found | Failed hosts |\n|---|---|---|---|---|---|---|\n", notComparableTitle)
		for _, nc := range c.NotComparable {
			cells := carriedCells(nc)
			m.printf("|")
			for _, cell := range cells {
				m.printf(" %s |", mdCell(cell))
			}
			m.printf("\n")
		}
	}
	return m.err
}

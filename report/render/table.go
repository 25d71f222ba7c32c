package render

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// painter colours text when the caller asked for colour. It writes escape
// sequences itself rather than through text.Colors.Sprint, whose output
// depends on process-wide state (NO_COLOR, TERM, DisableColors): the caller
// alone decides, so golden files are stable.
type painter struct{ on bool }

func (p painter) paint(s string, colors ...text.Color) string {
	if !p.on || s == "" {
		return s
	}
	return text.Escape(s, text.Colors(colors).EscapeSeq())
}

func (p painter) verdict(v verdict.Verdict) string {
	switch v {
	case verdict.OK:
		return p.paint(string(v), text.FgGreen)
	case verdict.AtRisk:
		return p.paint(string(v), text.FgYellow)
	case verdict.Blocked, verdict.BlockedSuspected:
		return p.paint(string(v), text.FgRed, text.Bold)
	case verdict.Unreachable:
		return p.paint(string(v), text.FgMagenta)
	case verdict.Unknown:
		return p.paint(string(v), text.FgCyan)
	}
	return clean(string(v))
}

func (p painter) heading(s string) string { return p.paint(s, text.Bold) }

// tableWriter collects the first write error so the sections read plainly.
type tableWriter struct {
	w   io.Writer
	err error
}

func (t *tableWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

// columnGap is the space between table columns.
const columnGap = 2

// renderTW renders a table without the padding go-pretty leaves at line ends.
func renderTW(tw table.Writer) string {
	lines := strings.Split(tw.Render(), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return strings.Join(lines, "\n")
}

func newTable() table.Writer {
	tw := table.NewWriter()
	// Borderless, columns two spaces apart, a dashed line under the header:
	// fits narrower terminals and stays easy to grep.
	style := table.StyleDefault
	style.Format.Header = text.FormatDefault // headers are written in capitals already
	style.Options = table.Options{SeparateColumns: true, SeparateHeader: true}
	style.Box.PaddingLeft, style.Box.PaddingRight = "", ""
	style.Box.MiddleVertical = strings.Repeat(" ", columnGap)
	style.Box.MiddleSeparator = style.Box.MiddleVertical
	tw.SetStyle(style)
	return tw
}

// renderTable writes the terminal report: the path table, the Cores x
// targets grid with its legend, baseline changes, waivers, host notes, the
// summary and the failed hosts.
func renderTable(w io.Writer, r *report.Report, opts Options) error {
	v := newView(r)
	pt := painter{on: opts.Color}
	out := &tableWriter{w: w}

	out.printf("%s\n", pt.heading("ntlmscan scan report "+clean(r.RunID)))
	out.printf("Generated %s by ntlmscan %s from %s\n", timeText(r.GeneratedAt), clean(r.ToolVersion), clean(r.Inventory))
	out.printf("Options: strict=%s, overlay=%s, fail-on=%s\n\n", yesNo(r.Options.Strict), orDash(clean(r.Options.Overlay)), clean(v.Sum.FailOn))
	if s := r.Matrix.PlanSummary; s != nil {
		out.printf("%s\n\n", clean(s.Text()))
	}

	out.printf("%s\n%s\n", pt.heading("PATHS"), pathTable(v, pt, opts.Width))

	out.printf("\n%s\n", pt.heading("MATRIX (worst verdict per Core and target)"))
	for _, chunk := range gridChunks(v.Grid, opts.Width) {
		out.printf("%s\n", gridTable(v.Grid, chunk, pt))
	}
	out.printf("Legend:\n")
	for _, l := range legend() {
		out.printf("  %s %s\n", padRight(pt.verdict(verdict.Verdict(l.Verdict)), 18), l.Meaning)
	}
	out.printf("  %s %s\n  %s %s\n", padRight("-", 18), legendNoPath, padRight("<verdict>*", 18), legendWaived)

	if c := r.Baseline; c != nil {
		out.printf("\n%s\n", pt.heading(fmt.Sprintf("CHANGES SINCE BASELINE %s (%s)", clean(c.BaselineRunID), timeText(c.BaselineGeneratedAt))))
		out.printf("%s\n", diffHeadline(c))
		if len(c.New)+len(c.Fixed) > 0 {
			out.printf("%s\n", changeTable(c, pt, opts.Width))
		}
	}

	if ws := r.Waivers; ws != nil {
		out.printf("\n%s\n", pt.heading("WAIVERS ("+clean(ws.File)+")"))
		out.printf("%s\n", waiverTable(ws, pt, opts.Width))
	}

	if notes := r.Matrix.HostNotes; len(notes) > 0 {
		out.printf("\n%s\n", pt.heading("HOST NOTES"))
		for i := range notes {
			out.printf("  %s\n", clean(reasonText(&notes[i])))
		}
	}

	if smb := smbRows(r); len(smb) > 0 {
		out.printf("\n%s\n", pt.heading(strings.ToUpper(SMBProbeHeading)))
		rows := []table.Row{{"HOST", "TARGET", "FOUND", "NTLM LOGON (--smb-auth)"}}
		for _, h := range smb {
			rows = append(rows, table.Row{clean(h.Host), clean(h.Target), clean(h.Found), clean(h.Logons)})
		}
		out.printf("%s\n", simpleTable(rows, map[int]int{2: 30, 3: 30}, opts.Width))
	}

	s := v.Sum
	out.printf("\n%s\n", pt.heading("SUMMARY"))
	out.printf("Hosts: %d in the inventory, %d scanned, %d failed, %d described only (not scanned)\n",
		s.Hosts, s.Scanned, s.Failed, s.Described)
	counts := make([]string, 0, len(s.Counts))
	for _, c := range s.Counts {
		counts = append(counts, fmt.Sprintf("%d %s", c.N, pt.verdict(c.Verdict)))
	}
	out.printf("Paths: %d (%s)\n", s.Paths, strings.Join(counts, ", "))
	if e := evidenceText(s); e != "" {
		out.printf("At-risk by evidence: %s\n", clean(e))
	}
	for _, l := range authLines(r) {
		out.printf("%s\n", clean(l))
	}
	if r.Waivers != nil {
		out.printf("Waivers: %d active, %d expired, %d unused\n", s.Waived, s.WaiverExpired, len(r.Waivers.Unused))
	}
	out.printf("Findings (--fail-on %s): %d\n", clean(s.FailOn), s.Findings)
	for _, c := range r.Matrix.Coverage {
		out.printf("Coverage: %s\n", clean(c.Note))
	}
	if n := len(r.Matrix.Plan); n > 0 {
		out.printf("Change plan: %d changes (%s)\n", n, clean(planHint(opts.Files)))
	}

	if lines := unmatchedEventLines(&r.Matrix); len(lines) > 0 {
		out.printf("\n%s\n", pt.heading("NTLM EVENTS NO PATH CLAIMED"))
		for _, l := range lines {
			out.printf("  %s\n", clean(l))
		}
	}

	if len(v.Failed) > 0 {
		out.printf("\n%s\n", pt.heading("FAILED HOSTS"))
		header := table.Row{"HOST", "ADDRESS", "ERROR CLASS", "MESSAGE", "HINT"}
		rows := []table.Row{header}
		for _, h := range hostRows(v.Failed) {
			rows = append(rows, table.Row{clean(h.Host), clean(h.Address), pt.paint(clean(h.Class), text.FgRed), clean(h.Message), clean(orDash(h.Hint))})
		}
		out.printf("%s\n", simpleTable(rows, map[int]int{3: 30, 4: 30}, opts.Width))
	}
	if len(v.Described) > 0 {
		names := make([]string, 0, len(v.Described))
		for _, h := range v.Described {
			names = append(names, clean(h.Host))
		}
		out.printf("Described only, not scanned: %s\n", strings.Join(names, ", "))
	}
	return out.err
}

func pathTable(v *view, pt painter, width int) string {
	pathHeader := table.Row{"CORE", "TARGET", "KIND", "OPERATIONS", "NAME USED", "REACHABLE", "NTLM NEEDED", "VERDICT", "DECIDING SETTING"}
	tw := newTable()
	tw.AppendHeader(pathHeader)
	rows := make([]table.Row, 0, len(v.Rows))
	for _, rw := range v.Rows {
		p := rw.P
		verdictCell := pt.verdict(p.Verdict)
		if marks := verdictMarks(rw); len(marks) > 0 {
			verdictCell += " (" + clean(strings.Join(marks, ", ")) + ")"
		}
		rows = append(rows, table.Row{
			clean(p.Core), clean(p.Target), clean(string(p.Kind)), clean(orDash(verdict.OperationsText(p.Operations))), clean(nameUsedText(p)),
			clean(p.Reachable), clean(string(p.Need)), verdictCell, clean(decidingText(p.Deciding)),
		})
	}
	tw.AppendRows(rows)
	// OPERATIONS, NAME USED, VERDICT and DECIDING SETTING wrap; the short
	// columns stay whole.
	fitTable(tw, append([]table.Row{pathHeader}, rows...), map[int]int{3: 16, 4: 20, 7: 12, 8: 30}, width)
	return renderTW(tw)
}

// fitTable makes tw fit width (0 = unlimited) by wrapping the flexible
// columns (index -> minimum width) of rows, header included.
func fitTable(tw table.Writer, rows []table.Row, flexMin map[int]int, width int) {
	if width <= 0 || len(rows) == 0 {
		return
	}
	natural := make([]int, len(rows[0]))
	for _, r := range rows {
		for col := range natural {
			if col < len(r) {
				natural[col] = max(natural[col], text.RuneWidthWithoutEscSequences(fmt.Sprint(r[col])))
			}
		}
	}
	tw.SetColumnConfigs(fitColumns(natural, flexMin, width))
}

// fitColumns shrinks the flexible columns until the table fits width,
// always taking from the column with the most room to spare, and returns
// the wrapping configs for the columns it shrank.
func fitColumns(natural []int, flexMin map[int]int, width int) []table.ColumnConfig {
	widths := slices.Clone(natural)
	total := columnGap * (len(widths) - 1)
	for _, w := range widths {
		total += w
	}
	for total > width {
		best, spare := -1, 0
		for col := range widths { // index order: deterministic ties
			if m, ok := flexMin[col]; ok && widths[col]-m > spare {
				best, spare = col, widths[col]-m
			}
		}
		if best < 0 {
			break // as narrow as it gets; the terminal wraps the rest
		}
		widths[best]--
		total--
	}
	var configs []table.ColumnConfig
	for col := range widths {
		if widths[col] < natural[col] {
			configs = append(configs, table.ColumnConfig{Number: col + 1, WidthMax: widths[col], WidthMaxEnforcer: text.WrapSoft})
		}
	}
	return configs
}

// gridChunks splits the grid's target columns so each table fits width.
func gridChunks(g grid, width int) [][]int {
	all := make([]int, len(g.Targets))
	for i := range all {
		all[i] = i
	}
	if width <= 0 || len(g.Targets) == 0 {
		return [][]int{all}
	}
	first := len("CORE")
	for _, c := range g.Cores {
		first = max(first, text.RuneWidthWithoutEscSequences(clean(c)))
	}
	// The widest cell a column can hold: "unreachable*" unless the grid
	// shows a longer verdict.
	cellWidth := len(verdict.Unreachable) + len("*")
	for _, row := range g.Cells {
		for _, c := range row {
			cellWidth = max(cellWidth, len(c.Verdict)+len("*"))
		}
	}
	var chunks [][]int
	var cur []int
	used := first
	for i, t := range g.Targets {
		colWidth := columnGap + max(cellWidth, text.RuneWidthWithoutEscSequences(clean(t)))
		if len(cur) > 0 && used+colWidth > width {
			chunks = append(chunks, cur)
			cur, used = nil, first
		}
		cur = append(cur, i)
		used += colWidth
	}
	return append(chunks, cur)
}

func gridTable(g grid, cols []int, pt painter) string {
	tw := newTable()
	header := table.Row{"CORE"}
	for _, j := range cols {
		header = append(header, clean(g.Targets[j]))
	}
	tw.AppendHeader(header)
	for i, core := range g.Cores {
		r := table.Row{clean(core)}
		for _, j := range cols {
			r = append(r, gridCellText(g.Cells[i][j], pt))
		}
		tw.AppendRow(r)
	}
	return renderTW(tw)
}

func gridCellText(c cell, pt painter) string {
	if c.Paths == 0 {
		return "-"
	}
	s := pt.verdict(c.Verdict)
	if c.Waived {
		s += "*"
	}
	return s
}

// simpleTable renders rows (the first is the header) fitted to width.
func simpleTable(rows []table.Row, flexMin map[int]int, width int) string {
	tw := newTable()
	tw.AppendHeader(rows[0])
	tw.AppendRows(rows[1:])
	fitTable(tw, rows, flexMin, width)
	return renderTW(tw)
}

func changeTable(c *report.Comparison, pt painter, width int) string {
	rows := []table.Row{{"CHANGE", "CORE", "TARGET", "KIND", "NAME USED", "BEFORE", "NOW", "DECIDING SETTING"}}
	add := func(what string, list []report.PathChange) {
		for _, ch := range list {
			now := pt.verdict(ch.After)
			if ch.After == "" {
				now = "(gone)"
			} else if ch.Waived {
				now += " (waived)"
			}
			before := pt.verdict(ch.Before)
			if ch.Before == "" {
				before = "(new path)"
			}
			rows = append(rows, table.Row{what, clean(ch.Core), clean(ch.Target), clean(string(ch.Kind)), clean(ch.NameUsed),
				before, now, clean(decidingText(ch.Deciding))})
		}
	}
	add("new blocked", c.New)
	add("fixed", c.Fixed)
	return simpleTable(rows, map[int]int{4: 20, 7: 30}, width)
}

func waiverTable(ws *report.Waivers, pt painter, width int) string {
	rows := []table.Row{{"PATH", "STATUS", "EXPIRES", "OWNER", "REASON", "LINE"}}
	for _, a := range ws.Applied {
		status := pt.paint("active", text.FgGreen)
		if a.Expired {
			status = pt.paint("EXPIRED", text.FgRed, text.Bold)
		}
		rows = append(rows, table.Row{clean(a.PathID), status, clean(a.Expires), clean(a.Owner), clean(a.Reason), a.Line})
	}
	for _, h := range ws.Hosts {
		status := pt.paint("host accepted", text.FgGreen)
		if h.Expired {
			status = pt.paint("EXPIRED", text.FgRed, text.Bold)
		}
		rows = append(rows, table.Row{clean(h.Match), status, clean(h.Expires), clean(h.Owner), clean(h.Reason), h.Line})
	}
	for _, u := range ws.Unused {
		rows = append(rows, table.Row{clean(u.Match), pt.paint("unused", text.FgYellow), clean(u.Expires), clean(u.Owner), clean(u.Reason), u.Line})
	}
	return simpleTable(rows, map[int]int{4: 30}, width)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// padRight pads s to n visible columns (escape sequences take none).
func padRight(s string, n int) string {
	return s + strings.Repeat(" ", max(0, n-text.RuneWidthWithoutEscSequences(s)))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

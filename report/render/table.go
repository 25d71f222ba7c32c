package render

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
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

// Caps of the terminal view: it must stay readable at 5,000 hosts. The
// CSV, HTML and JSON reports hold everything; --all lifts the path cap.
const (
	maxListedPaths  = 40 // problem paths, worst first
	maxListedNotes  = 15 // hosts with notes
	maxListedFailed = 10 // failed hosts
	maxListedEvents = 5  // unclaimed NTLM event groups
	maxProbeFailed  = 10 // paths whose TCP probe failed, in the summary
	// maxGridTargets is the widest matrix printed as a grid; beyond it,
	// or when the grid would need several blocks to fit the width, each
	// Core gets one summary line instead.
	maxGridTargets = 24
	maxGridCores   = 40
)

// renderTable writes the terminal report: the paths worst first, the Cores
// x targets grid (or one line per Core when the grid would not fit), baseline
// changes, waivers, host notes, the summary and the failed hosts. With a
// width, no line is longer than it.
func renderTable(w io.Writer, r *report.Report, opts Options) error {
	if opts.Width <= 0 {
		return writeTable(w, r, opts)
	}
	var buf strings.Builder
	if err := writeTable(&buf, r, opts); err != nil {
		return err
	}
	// Tables and lists are laid out to fit; prose (notes, hints, legend)
	// is wrapped here with a hanging indent rather than by the terminal.
	out := &tableWriter{w: w}
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		for _, l := range wrapLine(line, opts.Width) {
			out.printf("%s\n", l)
		}
	}
	return out.err
}

// wrapLine wraps a line longer than width at spaces (breaking longer
// words), continuation lines indented two columns past the line's own
// indent.
func wrapLine(line string, width int) []string {
	if text.RuneWidthWithoutEscSequences(line) <= width {
		return []string{line}
	}
	body := strings.TrimLeft(line, " ")
	indent := min(len(line)-len(body), width/2)
	first := strings.Repeat(" ", indent)
	rest := strings.Repeat(" ", min(indent+2, width/2))
	var out []string
	// The first line may use width-indent columns, the others width-len(rest).
	wrapped := strings.Split(text.WrapSoft(body, width-len(rest)), "\n")
	for i, l := range wrapped {
		l = strings.TrimRight(l, " ")
		if i == 0 {
			out = append(out, first+l)
		} else if l != "" {
			out = append(out, rest+l)
		}
	}
	return out
}

func writeTable(w io.Writer, r *report.Report, opts Options) error {
	v := newFilteredView(r, opts)
	pt := painter{on: opts.Color}
	out := &tableWriter{w: w}

	out.printf("%s\n", pt.heading("ntlmscan scan report "+clean(r.RunID)))
	out.printf("Generated %s by ntlmscan %s from %s\n", timeText(r.GeneratedAt), clean(r.ToolVersion), clean(r.Inventory))
	out.printf("Options: strict=%s, overlay=%s, fail-on=%s\n\n", yesNo(r.Options.Strict), orDash(clean(r.Options.Overlay)), clean(v.Sum.FailOn))
	if s := r.Matrix.PlanSummary; s != nil {
		out.printf("%s\n\n", clean(s.Text()))
	}

	writePaths(out, v, pt, opts)

	if len(v.Rows) > 0 {
		if gridFits(v.Grid, opts.Width) {
			out.printf("\n%s\n", pt.heading("MATRIX (worst verdict per Core and target)"))
			for _, chunk := range gridChunks(v.Grid, opts.Width) {
				out.printf("%s\n", gridTable(v.Grid, chunk, pt))
			}
			out.printf("Legend:\n")
			for _, l := range legend() {
				// Continuation lines under the meaning, not under the verdict.
				const at = 2 + 18 + 1
				meaning := l.Meaning
				if opts.Width > at+20 {
					meaning = strings.ReplaceAll(strings.TrimRight(text.WrapSoft(meaning, opts.Width-at), " "), "\n", "\n"+strings.Repeat(" ", at))
					meaning = strings.Join(trimRightLines(strings.Split(meaning, "\n")), "\n")
				}
				out.printf("  %s %s\n", padRight(pt.verdict(verdict.Verdict(l.Verdict)), 18), meaning)
			}
			out.printf("  %s %s\n  %s %s\n", padRight("-", 18), legendNoPath, padRight("<verdict>*", 18), legendWaived)
		} else {
			out.printf("\n%s\n", pt.heading(fmt.Sprintf("CORES (paths per verdict; the %d x %d matrix is in the HTML report)", len(v.Grid.Cores), len(v.Grid.Targets))))
			out.printf("%s\n", coreSummaryTable(v, pt))
		}
	}

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

	writeHostNotes(out, v, pt)

	if smb := smbRows(r); len(smb) > 0 {
		out.printf("\n%s\n", pt.heading(strings.ToUpper(SMBProbeHeading)))
		rows := []table.Row{{"HOST", "TARGET", "FOUND", "NTLM LOGON (--smb-auth)"}}
		for _, h := range smb {
			rows = append(rows, table.Row{clean(h.Host), clean(h.Target), clean(h.Found), clean(h.Logons)})
		}
		out.printf("%s\n", tableOrDetail(rows, []int{0}, map[int]int{2: 30, 3: 30}, opts.Width, nil))
	}

	writeSummary(out, v, pt, opts.Files)

	if lines := unmatchedEventLines(&r.Matrix); len(lines) > 0 {
		out.printf("\n%s\n", pt.heading("NTLM EVENTS NO PATH CLAIMED"))
		for i, l := range lines {
			if i == maxListedEvents {
				out.printf("  … and %d more (the Markdown and JSON reports list them all)\n", len(lines)-i)
				break
			}
			out.printf("  %s\n", clean(l))
		}
	}

	if len(v.Failed) > 0 {
		out.printf("\n%s\n", pt.heading("FAILED HOSTS"))
		header := table.Row{"HOST", "ADDRESS", "ERROR CLASS", "MESSAGE", "HINT"}
		rows := []table.Row{header}
		for i, h := range hostRows(v.Failed) {
			if i == maxListedFailed {
				break
			}
			rows = append(rows, table.Row{clean(h.Host), clean(h.Address), pt.paint(clean(h.Class), text.FgRed), clean(h.Message), clean(orDash(h.Hint))})
		}
		out.printf("%s\n", tableOrDetail(rows, []int{0, 2}, map[int]int{3: 30, 4: 30}, opts.Width, nil))
		if n := len(v.Failed) - maxListedFailed; n > 0 {
			out.printf("… and %d more failed hosts (the CSV, HTML and JSON reports list them all)\n", n)
		}
	}
	if len(v.Described) > 0 {
		names := make([]string, 0, len(v.Described))
		for _, h := range v.Described {
			names = append(names, clean(h.Host))
		}
		out.printf("Described only, not scanned: %s\n", capList(names, maxPlanPreview))
	}
	return out.err
}

// listedRows are the rows the path table lists, worst first: problems only
// (ok paths are counted) unless --all or --verdict ok asks for them, at
// most maxListedPaths unless --all. It returns how many ok rows and how
// many problem rows it left out.
func listedRows(v *view, opts Options) (list []row, okLeft, moreLeft int) {
	showOK := opts.All || slices.Contains(opts.Filter.Verdicts, verdict.OK)
	for _, rw := range v.worstFirst() {
		if rw.P.Verdict == verdict.OK && !showOK {
			okLeft++
			continue
		}
		list = append(list, rw)
	}
	if !opts.All && len(list) > maxListedPaths {
		moreLeft = len(list) - maxListedPaths
		list = list[:maxListedPaths]
	}
	return list, okLeft, moreLeft
}

func writePaths(out *tableWriter, v *view, pt painter, opts Options) {
	out.printf("%s\n", pt.heading("PATHS (worst first)"))
	if len(v.Rows) == 0 {
		if !v.Filter.Empty() {
			out.printf("No path matches %s (of %d paths). Verdicts: %s; Cores: %s.\n", v.Filter.String(), v.Sum.Paths,
				countsText(v.Sum), capList(cleanAll(coreNames(v.R)), 10))
		} else {
			out.printf("No paths.\n")
		}
		return
	}
	list, okLeft, moreLeft := listedRows(v, opts)
	if len(list) > 0 {
		out.printf("%s\n", pathTable(list, pt, opts.Width))
	}
	if moreLeft > 0 {
		out.printf("… %d more: narrow with --verdict, --core, --target or --tag, list all with --all, or see the CSV or HTML report\n", moreLeft)
	}
	if okLeft > 0 {
		if len(list) == 0 {
			out.printf("No problem paths.\n")
		}
		out.printf("%d ok %s counted, not listed (--verdict ok or --all lists them)\n", okLeft, plural(okLeft, "path", "paths"))
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// coreNames lists the report's Cores (the Cores of its paths), sorted.
func coreNames(r *report.Report) []string {
	var out []string
	for i := range r.Matrix.Paths {
		if c := r.Matrix.Paths[i].Core; !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, compareFold)
	return out
}

func writeHostNotes(out *tableWriter, v *view, pt painter) {
	notes := v.hostNotes()
	if len(notes) == 0 {
		return
	}
	out.printf("\n%s\n", pt.heading("HOST NOTES"))
	groups := groupHostNotes(notes)
	for i, g := range groups {
		if i == maxListedNotes {
			out.printf("  … and %d more notes (narrow with --core/--target/--tag, or see the Markdown or HTML report)\n", len(groups)-i)
			break
		}
		names := g.hosts
		if len(names) > 6 {
			names = append(names[:5:5], fmt.Sprintf("and %d more", len(g.hosts)-5))
		}
		text := g.text
		if len(g.hosts) == 1 {
			text = g.first
		}
		out.printf("  %s [%s]: %s\n", clean(strings.Join(names, ", ")), clean(g.effects), clean(text))
	}
}

// noteGroup is the hosts whose grouped notes say the same thing but for
// the host's name: at 5,000 hosts, a hundred agents can carry the same
// tattooed value, and one line for all of them keeps the list short.
type noteGroup struct {
	hosts         []string
	effects, text string
	first         string // the first host's own text
}

// withoutHostName replaces host where it stands as a word in text ("CORE01's
// registry" reads "each host's registry"), so that notes differing only
// by the host's name compare equal.
func withoutHostName(text, host string) string {
	if host == "" {
		return text
	}
	re := regexp.MustCompile(`(^|[^\pL\pN_-])` + regexp.QuoteMeta(host) + `('s)?($|[^\pL\pN_-])`)
	return re.ReplaceAllStringFunc(text, func(m string) string {
		sub := re.FindStringSubmatch(m)
		word := "the host"
		if sub[2] != "" {
			word = "each host's"
		}
		return sub[1] + word + sub[3]
	})
}

func groupHostNotes(notes []hostNote) []noteGroup {
	var out []noteGroup
	at := map[string]int{}
	for _, n := range notes {
		generic := withoutHostName(n.Text, n.Host)
		effects := strings.Join(n.Effects, ", ")
		key := effects + "\x00" + generic
		if i, ok := at[key]; ok {
			out[i].hosts = append(out[i].hosts, n.Host)
			continue
		}
		at[key] = len(out)
		out = append(out, noteGroup{hosts: []string{n.Host}, effects: effects, text: generic, first: n.Text})
	}
	return out
}

func writeSummary(out *tableWriter, v *view, pt painter, files Files) {
	r, s := v.R, v.Sum
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
	if n := len(s.ProbeFailed); n > 0 {
		out.printf("%s\n", probeFailedText(s, pt.verdict))
		for i, rw := range s.ProbeFailed {
			if i == maxProbeFailed {
				out.printf("  … and %d more (the CSV's REACHABLE column lists every path)\n", n-i)
				break
			}
			out.printf("  %s -> %s: %s\n", clean(rw.P.Core), clean(rw.P.Target), pt.verdict(rw.P.Verdict))
		}
	}
	if t := v.showingText(); t != "" {
		out.printf("%s\n", t)
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
		out.printf("Change plan: %d changes (%s)\n", n, clean(planHint(files)))
	}
}

// pathHeader is the path table's full header; pathShort are the columns
// kept when it does not fit the width (the rest go on a detail line).
var (
	pathHeader = table.Row{"CORE", "TARGET", "KIND", "OPERATIONS", "NAME USED", "REACHABLE", "NTLM NEEDED", "VERDICT", "DECIDING SETTING"}
	pathShort  = []int{7, 0, 1, 6}
)

func pathTable(list []row, pt painter, width int) string {
	rows := make([]table.Row, 0, len(list)+1)
	rows = append(rows, pathHeader)
	for _, rw := range list {
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
	detail := func(i int) string {
		p := list[i].P
		d := clean(string(p.Kind)) + " " + clean(nameUsedText(p))
		if p.Reachable != verdict.ReachYes {
			d += ", reachable " + clean(p.Reachable)
		}
		if r := p.Deciding; r != nil {
			// The source only when a GPO sets the value: "unknown" or
			// "local" would cost a line per path (the CSV has it).
			t := decidingText(r)
			if r.Source != nil && r.Source.Kind != facts.SourceGPO {
				t = strings.TrimSuffix(t, sourceSuffix(r))
			}
			d += ": " + clean(t)
		}
		return d
	}
	// OPERATIONS, NAME USED, VERDICT and DECIDING SETTING wrap; the short
	// columns stay whole.
	return tableOrDetail(rows, pathShort, map[int]int{3: 16, 4: 20, 7: 12, 8: 30}, width, detail)
}

// detailIndent indents the detail line under a row of a narrowed table.
const detailIndent = "    "

// tableOrDetail renders rows (the first is the header). Without a width,
// or when the whole table fits it, all columns are shown. Otherwise only
// the short columns (in that order) form the table, and each row is
// followed by an indented detail line with the other values: detail(i)
// for row i when given, else "header: value; ...". Detail lines are left
// for renderTable to wrap.
func tableOrDetail(rows []table.Row, short []int, flexMin map[int]int, width int, detail func(i int) string) string {
	if width <= 0 || naturalWidth(rows) <= width {
		return simpleTable(rows, flexMin, width)
	}
	tw := newTable()
	pick := func(r table.Row) table.Row {
		out := make(table.Row, 0, len(short))
		for _, c := range short {
			out = append(out, r[c])
		}
		return out
	}
	tw.AppendHeader(pick(rows[0]))
	for _, r := range rows[1:] {
		tw.AppendRow(pick(r))
	}
	lines := strings.Split(renderTW(tw), "\n")
	if len(lines) != len(rows)+1 {
		// A cell held a line break: no row-to-line mapping; show it as is.
		return strings.Join(lines, "\n")
	}
	var b strings.Builder
	b.WriteString(lines[0] + "\n" + lines[1])
	for i := range rows[1:] {
		b.WriteString("\n" + lines[i+2])
		d := ""
		if detail != nil {
			d = detail(i)
		} else {
			var parts []string
			for c := range rows[0] {
				if slices.Contains(short, c) {
					continue
				}
				if val := fmt.Sprint(rows[i+1][c]); val != "" && val != "-" {
					parts = append(parts, strings.ToLower(fmt.Sprint(rows[0][c]))+": "+val)
				}
			}
			d = strings.Join(parts, "; ")
		}
		if d != "" {
			b.WriteString("\n" + detailIndent + d)
		}
	}
	return b.String()
}

// naturalWidth is the width of rows as a table without wrapping.
func naturalWidth(rows []table.Row) int {
	natural := make([]int, len(rows[0]))
	for _, r := range rows {
		for col := range natural {
			if col < len(r) {
				natural[col] = max(natural[col], text.RuneWidthWithoutEscSequences(fmt.Sprint(r[col])))
			}
		}
	}
	total := columnGap * (len(natural) - 1)
	for _, n := range natural {
		total += n
	}
	return total
}

// gridFits reports whether the matrix is small enough to print as a grid:
// one block within the width and a screenful of Cores and targets.
func gridFits(g grid, width int) bool {
	return len(g.Targets) <= maxGridTargets && len(g.Cores) <= maxGridCores && len(gridChunks(g, width)) == 1
}

// coreSummaryTable is one line per Core: its paths per verdict (the
// verdicts some Core has, worst first) and its worst target.
func coreSummaryTable(v *view, pt painter) string {
	type coreLine struct {
		counts map[verdict.Verdict]int
		paths  int
		worst  *verdict.Path
	}
	lines := map[string]*coreLine{}
	present := map[verdict.Verdict]bool{}
	for _, rw := range v.worstFirst() {
		cl := lines[rw.P.Core]
		if cl == nil {
			cl = &coreLine{counts: map[verdict.Verdict]int{}, worst: rw.P}
			lines[rw.P.Core] = cl
		}
		cl.counts[rw.P.Verdict]++
		cl.paths++
		present[rw.P.Verdict] = true
	}
	header := table.Row{"CORE", "PATHS"}
	var cols []verdict.Verdict
	for _, vd := range verdict.Order() {
		if present[vd] {
			cols = append(cols, vd)
			header = append(header, strings.ToUpper(string(vd)))
		}
	}
	header = append(header, "WORST TARGET")
	tw := newTable()
	tw.AppendHeader(header)
	for _, core := range v.Grid.Cores {
		cl := lines[core]
		r := table.Row{clean(core), cl.paths}
		for _, vd := range cols {
			r = append(r, cl.counts[vd])
		}
		worst := "-"
		if cl.worst.Verdict != verdict.OK {
			worst = clean(cl.worst.Target) + " " + pt.verdict(cl.worst.Verdict)
		}
		tw.AppendRow(append(r, worst))
	}
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
	return tableOrDetail(rows, []int{0, 1, 2, 6}, map[int]int{4: 20, 7: 30}, width, nil)
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
	return tableOrDetail(rows, []int{1, 2, 0}, map[int]int{4: 30}, width, nil)
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

func trimRightLines(lines []string) []string {
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return lines
}

package render

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// MarkdownSummaryLimit is the size the Markdown summary never reaches:
// ticket systems cap a description field at 32 KB (Jira's default text
// field limit is 32,767 characters), and the summary must paste whole.
const MarkdownSummaryLimit = 32 * 1024

// summaryBudget is what the summary writes at most, a margin below
// MarkdownSummaryLimit for systems that count the bytes of CRLF line ends.
const summaryBudget = 30 * 1024

// Caps on single values in the summary: a host or setting name from the
// inventory or a remote host can be any length, and one must not eat the
// budget of the list.
const (
	sumName  = 80  // host, Core, target, name used, error class
	sumValue = 160 // setting=value, explanation, source, file name
	sumLine  = 300 // run id, inventory, plan summary, other one-liners
)

// maxSummaryClassHosts caps the host names listed per error class.
const maxSummaryClassHosts = 5

// short cuts s to at most n bytes at a rune boundary, marking the cut.
func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// sumWriter builds the summary in memory (it is at most summaryBudget
// bytes) so that every list knows how much room is left.
type sumWriter struct {
	buf     bytes.Buffer
	reserve int // bytes kept for the part written last
}

func (s *sumWriter) printf(format string, args ...any) { fmt.Fprintf(&s.buf, format, args...) }

// room is what a list may still add, its truncation note included.
func (s *sumWriter) room() int { return summaryBudget - s.reserve - s.buf.Len() }

// list writes items (each one line, newline included) while they fit in
// limit bytes, keeping room for the note that says how many were left
// out and where they all are. It returns how many were written.
func (s *sumWriter) list(items []string, limit int, more func(n int) string) int {
	// A "… N more" note: its file name is capped at sumValue bytes, which
	// clean can grow fourfold (a control character shows as \x1b).
	const noteRoom = 200 + 4*sumValue
	for i, it := range items {
		if len(it)+noteRoom > limit {
			s.printf("%s", more(len(items)-i))
			return i
		}
		s.buf.WriteString(it)
		limit -= len(it)
	}
	return len(items)
}

// summaryRank orders the problems of the summary: blocked first, then
// unknown (it may hide a block), then at-risk, then unreachable. Other
// verdicts are not problems (-1).
func summaryRank(v verdict.Verdict) int {
	switch v {
	case verdict.Blocked, verdict.BlockedSuspected:
		return 0
	case verdict.Unknown:
		return 1
	case verdict.AtRisk:
		return 2
	case verdict.Unreachable:
		return 3
	}
	return -1
}

// renderMarkdownSummary writes the ticket-sized Markdown summary: counts,
// hosts not scanned, newly blocked paths, the worst problems, and where
// the full reports are. It stays under MarkdownSummaryLimit for any
// report: every value is capped and every list stops when the next item
// would not fit, saying how many more the CSV holds.
func renderMarkdownSummary(w io.Writer, r *report.Report, opts Options) error {
	v := newView(r)
	sm := v.Sum
	s := &sumWriter{}
	tail := summaryFiles(r, opts.Files)
	s.reserve = len(tail)
	csvName := "the CSV report (see Full report)"
	if opts.Files.CSV != "" {
		csvName = mdCode(short(opts.Files.CSV, sumValue))
	}

	s.printf("# ntlmscan summary %s\n\n", mdText(short(r.RunID, sumLine)))
	s.printf("Scan of %s at %s by ntlmscan %s. Fail-on: %s; strict: %s; overlay: %s.\n\n",
		mdCode(short(r.Inventory, sumLine)), timeText(r.GeneratedAt), mdText(short(r.ToolVersion, sumName)),
		mdText(short(sm.FailOn, sumName)), yesNo(r.Options.Strict), mdText(short(orDash(r.Options.Overlay), sumName)))
	if ps := r.Matrix.PlanSummary; ps != nil {
		s.printf("**%s**\n\n", mdText(short(ps.Text(), sumLine)))
	}

	s.printf("## Counts\n\n")
	s.printf("- **Findings (--fail-on %s): %d**\n", mdText(short(sm.FailOn, sumName)), sm.Findings)
	s.printf("- Hosts: %d in the inventory, %d scanned, %d not scanned (failed), %d described only\n", sm.Hosts, sm.Scanned, sm.Failed, sm.Described)
	s.printf("- Paths: %d\n", sm.Paths)
	if t := probeFailedText(sm, plainVerdict); t != "" {
		s.printf("- %s\n", mdText(t))
	}
	if r.Waivers != nil {
		s.printf("- Waivers: %d active, %d expired\n", sm.Waived, sm.WaiverExpired)
	}
	if c := r.Baseline; c != nil {
		s.printf("- Since baseline %s: %d new blocked, %d fixed, %d changed, %d not comparable\n",
			mdText(short(c.BaselineRunID, sumName)), len(c.New), len(c.Fixed), len(c.Changed), len(c.NotComparable))
	}
	s.printf("\n| Verdict | Paths |\n|---|---|\n")
	counts := r.Matrix.Counts()
	for _, vd := range verdict.Order() { // worst first, as the problems below
		s.printf("| %s | %d |\n", mdVerdict(vd), counts[vd])
	}
	if len(sm.AtRiskBy) > 0 {
		s.printf("\n| At-risk by evidence | Paths |\n|---|---|\n")
		for _, c := range sm.AtRiskBy {
			s.printf("| %s | %d |\n", mdText(short(string(c.State), sumName)), c.N)
		}
	}
	s.printf("\n")

	if len(v.Failed) > 0 {
		s.printf("## Hosts not scanned (%d)\n\n| Error class | Hosts | Examples |\n|---|---|---|\n", len(v.Failed))
		var items []string
		for _, g := range failedByClass(v) {
			names := make([]string, 0, maxSummaryClassHosts)
			for i, h := range g.hosts {
				if i == maxSummaryClassHosts {
					names = append(names, "…")
					break
				}
				names = append(names, mdText(short(h, sumName)))
			}
			items = append(items, fmt.Sprintf("| %s | %d | %s |\n", mdCell(short(g.class, sumName)), len(g.hosts), strings.Join(names, ", ")))
		}
		s.list(items, s.room()/4, func(n int) string {
			return fmt.Sprintf("\n%d more error classes: every host is in the HTML and JSON reports.\n", n)
		})
		s.printf("\n")
	}

	if c := r.Baseline; c != nil && len(c.New) > 0 {
		s.printf("## Newly blocked since baseline (%d)\n\n", len(c.New))
		items := make([]string, 0, len(c.New))
		for _, ch := range c.New {
			mark := ""
			if ch.Waived {
				mark = " (waived)"
			}
			items = append(items, "- "+summaryPath(ch.Core, ch.Target, ch.NameUsed)+mark+": "+summaryDeciding(ch.Deciding)+"\n")
		}
		// Half the room: the worst problems below must keep theirs.
		s.list(items, s.room()/2, func(n int) string {
			return fmt.Sprintf("- … and %s more newly blocked paths: the rows with new_since_baseline = yes in %s.\n", thousands(n), csvName)
		})
		s.printf("\n")
	}

	groups, waived := summaryProblems(v)
	items := make([]string, 0, len(groups))
	paths := 0
	for _, g := range groups {
		paths += len(g.rows)
		items = append(items, g.line())
	}
	s.printf("## Top problems (%d paths in %d groups, worst first)\n\n", paths, len(groups))
	if len(items) == 0 {
		s.printf("None: every path is ok or waived.\n")
	}
	s.list(items, s.room(), func(n int) string {
		left := 0
		for _, g := range groups[len(groups)-n:] {
			left += len(g.rows)
		}
		return fmt.Sprintf("- … and %s more groups (%s paths): every path, with its fix, in %s.\n", thousands(n), thousands(left), csvName)
	})
	if waived > 0 {
		s.printf("\n%d waived paths are not listed.\n", waived)
	}
	s.printf("\n")
	s.buf.WriteString(tail)
	_, err := s.buf.WriteTo(w)
	return err
}

// summaryPath is "CORE → TARGET (`name used`)", each part capped.
func summaryPath(core, target, name string) string {
	return mdText(short(core, sumName)) + " → " + mdText(short(target, sumName)) + " (" + mdCode(short(name, sumValue)) + ")"
}

// summaryDeciding is mdDeciding with every part capped.
func summaryDeciding(r *verdict.Reason) string {
	if r == nil {
		return "-"
	}
	if r.Setting == "" {
		return mdText(short(r.Explanation, sumValue))
	}
	return mdText(short(r.Host, sumName)) + " " + mdCell(short(settingValue(r), sumValue)) + mdText(short(sourceSuffix(r), sumValue))
}

// maxProblemExamples caps the paths a problem group names.
const maxProblemExamples = 3

// problemGroup is the paths of one verdict decided by the same setting
// and value on the same host (or by the same explanation): one problem,
// one line, however many paths it breaks.
type problemGroup struct {
	verdict  verdict.Verdict // the group's worst
	deciding string          // summaryDeciding text, the grouping key
	rows     []row
}

// line is the group's list item: verdict, deciding setting, how many
// paths, and the first few of them.
func (g *problemGroup) line() string {
	var b strings.Builder
	n := thousands(len(g.rows)) + " paths"
	if len(g.rows) == 1 {
		n = "1 path"
	}
	b.WriteString("- " + mdVerdict(g.verdict) + ", " + n + ": " + g.deciding + " — ")
	for i, rw := range g.rows {
		if i == maxProblemExamples {
			b.WriteString(", …")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(summaryPath(rw.P.Core, rw.P.Target, nameUsedText(rw.P)))
	}
	b.WriteString("\n")
	return b.String()
}

// summaryProblems groups the paths that are not ok and not waived by
// verdict and deciding reason, worst first (summaryRank), then the
// groups breaking most paths, then by text; paths in a group by Core,
// target and id. waived counts the problem paths an active waiver covers.
func summaryProblems(v *view) (groups []*problemGroup, waived int) {
	at := map[string]*problemGroup{}
	for _, rw := range v.Rows {
		rank := summaryRank(rw.P.Verdict)
		if rank < 0 {
			continue
		}
		if rw.Waiver.Active() {
			waived++
			continue
		}
		d := summaryDeciding(rw.P.Deciding)
		key := fmt.Sprint(rank) + "\x00" + d
		g := at[key]
		if g == nil {
			g = &problemGroup{verdict: rw.P.Verdict, deciding: d}
			at[key] = g
			groups = append(groups, g)
		}
		if rw.P.Verdict.Severity() > g.verdict.Severity() {
			g.verdict = rw.P.Verdict
		}
		g.rows = append(g.rows, rw)
	}
	for _, g := range groups {
		slices.SortStableFunc(g.rows, func(a, b row) int {
			if c := compareFold(a.P.Core, b.P.Core); c != 0 {
				return c
			}
			if c := compareFold(a.P.Target, b.P.Target); c != 0 {
				return c
			}
			return strings.Compare(a.P.ID, b.P.ID)
		})
	}
	slices.SortStableFunc(groups, func(a, b *problemGroup) int {
		if d := summaryRank(a.verdict) - summaryRank(b.verdict); d != 0 {
			return d
		}
		if d := len(b.rows) - len(a.rows); d != 0 {
			return d
		}
		return strings.Compare(a.deciding, b.deciding)
	})
	return groups, waived
}

type classHosts struct {
	class string
	hosts []string
}

// failedByClass groups the hosts that could not be scanned by error class,
// the biggest group first.
func failedByClass(v *view) []classHosts {
	at := map[string]int{}
	var out []classHosts
	for _, h := range v.Failed {
		class := "unknown"
		if h.Error != nil && h.Error.Class != "" {
			class = string(h.Error.Class)
		}
		i, ok := at[class]
		if !ok {
			i = len(out)
			at[class] = i
			out = append(out, classHosts{class: class})
		}
		out[i].hosts = append(out[i].hosts, h.Host)
	}
	for i := range out {
		slices.SortFunc(out[i].hosts, compareFold)
	}
	slices.SortStableFunc(out, func(a, b classHosts) int {
		if d := len(b.hosts) - len(a.hosts); d != 0 {
			return d
		}
		return compareFold(a.class, b.class)
	})
	return out
}

// summaryFiles is the summary's last section: where the full reports of
// the run are, or the command that writes one that was not written.
func summaryFiles(r *report.Report, f Files) string {
	var b strings.Builder
	b.WriteString("## Full report\n\n")
	jsonName := f.JSON
	line := func(label, name, format, what string) {
		b.WriteString("- " + label + " (" + what + "): ")
		switch {
		case name != "":
			b.WriteString(mdCode(short(name, sumValue)))
		case jsonName != "":
			b.WriteString("not written by this run; " + mdCode(short("ntlmscan report "+jsonName+" --format "+format+" -o "+exampleFile(format), sumLine)) + " writes it")
		default:
			b.WriteString("not written by this run; " + mdCode(short(f.command()+" --json "+f.jsonSuggestion()+" --"+format+" "+exampleFile(format), sumLine)) + " writes it")
		}
		b.WriteString("\n")
	}
	line("CSV", f.CSV, FormatCSV, "one row per path with its fix, for spreadsheets")
	line("HTML", f.HTML, FormatHTML, "every path and host, for a browser")
	if f.JSON != "" {
		b.WriteString("- JSON (input of `ntlmscan report`, `diff` and `plan`): " + mdCode(short(f.JSON, sumValue)) + "\n")
	} else {
		b.WriteString("- JSON (input of `ntlmscan report`, `diff` and `plan`): not written by this run; " +
			mdCode(short(f.command()+" --json "+f.jsonSuggestion(), sumLine)) + " writes it\n")
	}
	if n := len(r.Matrix.Plan); n > 0 {
		b.WriteString(fmt.Sprintf("- Change plan: %d changes; %s lists them\n", n, mdCode(short("ntlmscan plan "+cmp.Or(jsonName, f.jsonSuggestion()), sumLine))))
	}
	return b.String()
}

// exampleFile is the file name the hints suggest for a format.
func exampleFile(format string) string {
	switch format {
	case FormatCSV:
		return "paths.csv"
	case FormatHTML:
		return "report.html"
	}
	return "report." + format
}

// planHint says, inside the terminal's "Change plan: N changes (...)",
// how to list the plan: `ntlmscan plan` on the run's JSON report, or, when
// the run wrote none, the command that writes one first, so that the
// commands shown work as printed.
func planHint(f Files) string {
	const others = "the Markdown and JSON reports list them too"
	switch {
	case f.JSON != "":
		return "`ntlmscan plan " + f.JSON + "` lists them; " + others
	case f.Command != "":
		return "to list them: `" + f.Command + " --json " + f.jsonSuggestion() + "`, then `ntlmscan plan " + f.jsonSuggestion() + "`; " + others
	}
	return "`ntlmscan plan REPORT.json` lists them; so do the Markdown and JSON reports"
}

package render

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ntlmscan/ntlmscan/inventory/safetext"
	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// view is what every renderer shows, computed once from the report.
type view struct {
	R         *report.Report
	Rows      []row
	Grid      grid
	Sum       summary
	Failed    []facts.HostResult
	Described []facts.HostResult
	// hostFacts indexes the report's host facts by lower-case host name,
	// for reasons whose list value stays in the facts (ValueInFacts).
	hostFacts map[string]*facts.Response
	previews  map[string]string // host|setting -> capped list text
	// Filter is the filter Rows and Grid were narrowed with (Options.Filter);
	// Sum always counts the whole report.
	Filter Filter
}

// row is one path with what the report says about it beyond the matrix.
type row struct {
	P       *verdict.Path
	Waiver  *report.AppliedWaiver // nil when not waived
	History *report.PathHistory   // nil without a baseline
	New     bool                  // blocked now, not blocked in the baseline
}

type verdictCount struct {
	Verdict verdict.Verdict
	N       int
}

type summary struct {
	Hosts, Scanned, Failed, Described int
	Paths                             int
	Counts                            []verdictCount // report.Verdicts() order
	Waived, WaiverExpired             int
	FailOn                            string
	Findings                          int
	AtRiskBy                          []evidenceCount // at-risk paths per evidence state
	// Shown is how many paths the view lists (Paths without a filter).
	Shown int
	// NewlyBlocked counts the paths blocked now and not in the baseline.
	NewlyBlocked int
	// ProbeFailed are the paths whose TCP probe failed (reachable "no"),
	// whatever their verdict, worst first: a blocked path that is also
	// unreachable counts as blocked, and would otherwise go unseen.
	ProbeFailed   []row
	ProbeFailedBy []verdictCount // ProbeFailed per verdict, worst first
}

// grid is the Cores x targets matrix; a cell holds the worst verdict of the
// paths between one Core and one target host.
type grid struct {
	Cores   []string
	Targets []string
	Cells   [][]cell // [core][target]
}

type cell struct {
	Paths   int
	Verdict verdict.Verdict // worst; "" when there is no path
	// Waived: every path with the worst verdict has an active waiver.
	Waived bool
}

func newView(r *report.Report) *view {
	v := &view{R: r, Failed: r.FailedHosts(), Described: r.DescribedHosts(),
		hostFacts: make(map[string]*facts.Response, len(r.Hosts)), previews: map[string]string{}}
	for i := range r.Hosts {
		if h := &r.Hosts[i]; h.Facts != nil {
			v.hostFacts[strings.ToLower(h.Host)] = h.Facts
		}
	}
	waivers := r.WaiverIndex()
	history := r.HistoryIndex()
	isNew := r.NewIndex()
	for i := range r.Matrix.Paths {
		p := &r.Matrix.Paths[i]
		rw := row{P: p, Waiver: waivers[p.ID], New: isNew[p.ID]}
		if h, ok := history[p.ID]; ok {
			rw.History = &h
		}
		v.Rows = append(v.Rows, rw)
	}
	v.Grid = newGrid(v.Rows)
	v.Sum = newSummary(r, v)
	return v
}

// newFilteredView is newView narrowed to the paths opts.Filter keeps: Rows
// and Grid hold those, Sum still counts every path (Sum.Shown says how
// many are listed).
func newFilteredView(r *report.Report, opts Options) *view {
	v := newView(r)
	if opts.Filter.Empty() {
		return v
	}
	v.Filter = opts.Filter
	pf := newPathFilter(opts.Filter, r)
	kept := v.Rows[:0:0]
	for _, rw := range v.Rows {
		if pf.match(rw.P) {
			kept = append(kept, rw)
		}
	}
	v.Rows = kept
	v.Grid = newGrid(kept)
	v.Sum.Shown = len(kept)
	return v
}

// showingText says how many paths a filtered view lists, of how many, and
// the filter: "Showing 8 of 295 paths (filtered by --verdict unreachable)";
// "" when the view is whole. Raw text.
func (v *view) showingText() string {
	if v.Filter.Empty() {
		return ""
	}
	return fmt.Sprintf("Showing %d of %d paths (filtered by %s)", v.Sum.Shown, v.Sum.Paths, v.Filter.String())
}

// probeFailedText is the summary line of the paths whose TCP probe failed,
// "TCP probe failed (also unreachable): 13 paths (1 blocked, 4 at-risk, 8
// unreachable)", every format's words; "" when none did. verdictText
// shows a verdict (the terminal colours it). Raw text.
func probeFailedText(s summary, verdictText func(verdict.Verdict) string) string {
	n := len(s.ProbeFailed)
	if n == 0 {
		return ""
	}
	by := make([]string, 0, len(s.ProbeFailedBy))
	for _, c := range s.ProbeFailedBy {
		by = append(by, fmt.Sprintf("%d %s", c.N, verdictText(c.Verdict)))
	}
	return fmt.Sprintf("TCP probe failed (also unreachable): %d %s (%s)", n, plural(n, "path", "paths"), strings.Join(by, ", "))
}

func plainVerdict(v verdict.Verdict) string { return string(v) }

// worstFirst returns the view's rows worst first, the order every
// renderer lists problems in: newly blocked paths (blocked now, not in the
// baseline) first, then by verdict severity (verdict.Order; an
// unrecognised verdict ranks worst), then paths without an active waiver
// before waived ones (an expired waiver counts as none), then Core, target
// and path ID so the order does not depend on the report's. v.Rows keeps
// the report's order.
func (v *view) worstFirst() []row {
	out := slices.Clone(v.Rows)
	slices.SortStableFunc(out, compareWorstFirst)
	return out
}

func compareWorstFirst(a, b row) int {
	an, bn := a.New && a.P.Verdict.Blocking(), b.New && b.P.Verdict.Blocking()
	if an != bn {
		if an {
			return -1
		}
		return 1
	}
	if c := b.P.Verdict.Severity() - a.P.Verdict.Severity(); c != 0 {
		return c
	}
	if wa, wb := a.Waiver.Active(), b.Waiver.Active(); wa != wb {
		if wb {
			return -1
		}
		return 1
	}
	if c := compareFold(a.P.Core, b.P.Core); c != 0 {
		return c
	}
	if c := compareFold(a.P.Target, b.P.Target); c != 0 {
		return c
	}
	return strings.Compare(a.P.ID, b.P.ID)
}

func newSummary(r *report.Report, v *view) summary {
	s := summary{
		Hosts: len(r.Hosts), Scanned: r.ScannedHosts(), Failed: len(v.Failed), Described: len(v.Described),
		Paths: len(r.Matrix.Paths), FailOn: r.Options.FailOn,
	}
	if s.FailOn == "" {
		s.FailOn = report.FailOnBlocked
	}
	s.Findings = report.Findings(r, s.FailOn)
	counts := r.Matrix.Counts()
	for _, vd := range report.Verdicts() {
		s.Counts = append(s.Counts, verdictCount{vd, counts[vd]})
	}
	s.AtRiskBy = atRiskByEvidence(&r.Matrix)
	s.Shown = len(v.Rows)
	for _, rw := range v.worstFirst() {
		if rw.P.Reachable == verdict.ReachNo {
			s.ProbeFailed = append(s.ProbeFailed, rw)
		}
	}
	for _, vd := range verdict.Order() {
		n := 0
		for _, rw := range s.ProbeFailed {
			if rw.P.Verdict == vd {
				n++
			}
		}
		if n > 0 {
			s.ProbeFailedBy = append(s.ProbeFailedBy, verdictCount{vd, n})
		}
	}
	for _, rw := range v.Rows {
		if rw.New {
			s.NewlyBlocked++
		}
		switch {
		case rw.Waiver == nil:
		case rw.Waiver.Expired:
			s.WaiverExpired++
		default:
			s.Waived++
		}
	}
	return s
}

func newGrid(rows []row) grid {
	var g grid
	targetKind := map[string]verdict.Kind{}
	seenCore := map[string]bool{}
	for _, rw := range rows {
		if !seenCore[rw.P.Core] {
			seenCore[rw.P.Core] = true
			g.Cores = append(g.Cores, rw.P.Core)
		}
		if _, ok := targetKind[rw.P.Target]; !ok {
			targetKind[rw.P.Target] = rw.P.Kind
			g.Targets = append(g.Targets, rw.P.Target)
		}
	}
	slices.SortFunc(g.Cores, compareFold)
	// Agents first, then share hosts, each by name: the order admins scan.
	slices.SortFunc(g.Targets, func(a, b string) int {
		if ka, kb := targetKind[a] == verdict.KindShare, targetKind[b] == verdict.KindShare; ka != kb {
			if ka {
				return 1
			}
			return -1
		}
		return compareFold(a, b)
	})
	g.Cells = make([][]cell, len(g.Cores))
	for i := range g.Cells {
		g.Cells[i] = make([]cell, len(g.Targets))
	}
	coreAt := make(map[string]int, len(g.Cores))
	for i, c := range g.Cores {
		coreAt[c] = i
	}
	targetAt := make(map[string]int, len(g.Targets))
	for i, t := range g.Targets {
		targetAt[t] = i
	}
	for _, rw := range rows {
		c := &g.Cells[coreAt[rw.P.Core]][targetAt[rw.P.Target]]
		waived := rw.Waiver.Active()
		switch {
		case c.Paths == 0 || rw.P.Verdict.Severity() > c.Verdict.Severity():
			c.Verdict, c.Waived = rw.P.Verdict, waived
		case rw.P.Verdict == c.Verdict:
			c.Waived = c.Waived && waived
		}
		c.Paths++
	}
	return g
}

func compareFold(a, b string) int {
	if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// clean makes text from hosts, the inventory or remote replies safe to print:
// control characters (terminal escapes, CR, NUL), Unicode bidi overrides
// and invalid UTF-8 are shown as escapes instead of acting on the reader's
// terminal or hiding text.
func clean(s string) string { return safetext.Escape(s) }

// cleanBlock is clean for multi-line blocks (PowerShell): it keeps line
// feeds and tabs.
func cleanBlock(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		parts := strings.Split(l, "\t")
		for j := range parts {
			parts[j] = clean(parts[j])
		}
		lines[i] = strings.Join(parts, "\t")
	}
	return strings.Join(lines, "\n")
}

// Text helpers shared by the text formats. They return raw text; each format
// applies its own escaping.

func nameUsedText(p *verdict.Path) string {
	name := p.NameUsed
	if p.Kind == verdict.KindShare && p.Share != "" {
		name = p.Share
	}
	if p.NameForm != "" {
		name += " (" + string(p.NameForm) + ")"
	}
	return name
}

// verdictMarks are the notes after a verdict: overlay change, waiver, new.
func verdictMarks(rw row) []string {
	var marks []string
	if rw.P.Changed() {
		marks = append(marks, "was "+string(rw.P.Before.Verdict))
	}
	switch {
	case rw.Waiver == nil:
	case rw.Waiver.Expired:
		marks = append(marks, "waiver expired")
	default:
		marks = append(marks, "waived")
	}
	if rw.New {
		marks = append(marks, "new")
	}
	// The evidence state of a path that is not plainly ok or blocked (and
	// of any path whose own events changed its verdict).
	if ev := rw.P.Evidence; ev != nil {
		marks = append(marks, string(ev.State))
	}
	return marks
}

// evidenceCount is the number of at-risk paths in one evidence state.
type evidenceCount struct {
	State verdict.EvidenceState
	N     int
}

// atRiskByEvidence splits the at-risk paths by evidence state, in
// verdict.EvidenceStates order; "none" counts at-risk paths without one
// (reports of older versions).
func atRiskByEvidence(m *verdict.Matrix) []evidenceCount {
	by := m.AtRiskByEvidence()
	if by[""] == m.Counts()[verdict.AtRisk] {
		return nil // no path has a state: a report of an older ntlmscan
	}
	var out []evidenceCount
	for _, st := range append(verdict.EvidenceStates(), "") {
		if n := by[st]; n > 0 {
			if st == "" {
				st = "none"
			}
			out = append(out, evidenceCount{st, n})
		}
	}
	return out
}

// evidenceText is "3 no-evidence, 1 kerberos-rc4" ("" without at-risk paths).
func evidenceText(s summary) string {
	parts := make([]string, 0, len(s.AtRiskBy))
	for _, c := range s.AtRiskBy {
		parts = append(parts, fmt.Sprintf("%d %s", c.N, c.State))
	}
	return strings.Join(parts, ", ")
}

// unmatchedEventLines lists the event groups no path claimed, per host.
func unmatchedEventLines(m *verdict.Matrix) []string {
	var out []string
	for _, h := range m.UnmatchedEvents {
		for _, g := range h.Groups {
			line := fmt.Sprintf("%s: event %d x%d (%s .. %s)", h.Host, g.ID, g.Count, timeText(g.First), timeText(g.Last))
			for _, kv := range [][2]string{{"target/client", g.Counterpart}, {"workstation", g.Workstation}, {"account", g.Account}, {"process", g.Process}} {
				if kv[1] != "" {
					line += ", " + kv[0] + " " + kv[1]
				}
			}
			out = append(out, line)
		}
	}
	return out
}

// settingValue is "Setting=2 (Deny all)".
func settingValue(r *verdict.Reason) string {
	s := r.Setting
	if r.RawValue != "" {
		s += "=" + r.RawValue
	}
	// A list cited by its size ("[7 entries]") already says its label.
	if r.ValueLabel != "" && r.RawValue != "["+r.ValueLabel+"]" {
		s += " (" + r.ValueLabel + ")"
	}
	return s
}

// valueText is the value part of settingValue, "2 (Deny all)": the CSV's
// deciding_value shows the same text as the other formats.
func valueText(r *verdict.Reason) string {
	s := r.RawValue
	if r.ValueLabel != "" && r.RawValue != "["+r.ValueLabel+"]" {
		s += " (" + r.ValueLabel + ")"
	}
	return strings.TrimSpace(s)
}

// decidingText is the short form of the deciding reason: where and which
// setting, or the explanation when no setting is involved.
func decidingText(r *verdict.Reason) string {
	if r == nil {
		return "-"
	}
	if r.Setting == "" {
		return r.Explanation
	}
	return r.Host + " " + settingValue(r) + sourceSuffix(r)
}

func decidingSource(r *verdict.Reason) *facts.Source {
	if r == nil {
		return nil
	}
	return r.Source
}

// sourceSuffix names where a deciding value comes from (the GPO that
// sets it, local policy or registry, planned by the what-if, unknown).
func sourceSuffix(r *verdict.Reason) string {
	if r == nil || r.Source == nil {
		return ""
	}
	return " [source: " + verdict.SourceText(r.Source) + "]"
}

// reasonText is one reason on one line.
func reasonText(r *verdict.Reason) string {
	var b strings.Builder
	b.WriteString("[" + string(r.Effect) + "] " + r.Host)
	if r.Setting != "" {
		b.WriteString(" " + settingValue(r))
	}
	b.WriteString(": " + r.Explanation)
	if r.Event != "" {
		b.WriteString(" (event " + r.Event + ")")
	}
	if r.Unconfirmed {
		b.WriteString(" [UNCONFIRMED]")
	}
	return b.String()
}

// maxListPreview caps how many entries of a host's list a reason shows:
// lists can hold thousands of entries, and every path citing one would
// otherwise repeat all of them.
const maxListPreview = 10

// maxPlanPreview caps the final lists and path lists a plan entry shows in
// text formats; the JSON report and `ntlmscan plan --format json` hold
// them whole.
const maxPlanPreview = 50

// listPreview shows the entries of a list a reason refers to (from the
// host's facts), capped with a count: "a, b, c … and 4,980 more".
func (v *view) listPreview(r *verdict.Reason) string {
	if !r.ValueInFacts {
		return ""
	}
	key := strings.ToLower(r.Host + "|" + r.Setting)
	if s, ok := v.previews[key]; ok {
		return s
	}
	var text string
	if resp := v.hostFacts[strings.ToLower(r.Host)]; resp != nil {
		// Two settings share a name (BlockNTLMServerExceptionList under the
		// policy key and in the SMB client's local configuration): the
		// reason cites the one in effect, the first present in settings
		// order (the policy wins, as in the engine).
		for _, s := range facts.Settings {
			if s.Name != r.Setting {
				continue
			}
			if list, ok := s.Lookup(resp).List(); ok {
				text = capList(list, maxListPreview)
				break
			}
		}
	}
	v.previews[key] = text
	return text
}

// capList joins at most n entries and counts the rest.
func capList(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, ", ")
	}
	return strings.Join(list[:n], ", ") + " … and " + thousands(len(list)-n) + " more"
}

// thousands writes n with comma thousands separators (4,980).
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// reasonText is reasonText plus the capped entries of a list the reason
// refers to.
func (v *view) reasonText(r *verdict.Reason) string {
	t := reasonText(r)
	if p := v.listPreview(r); p != "" {
		t += " " + r.Setting + " on " + r.Host + ": " + p + "."
	}
	return t
}

// remediationText is one remediation on one line.
func remediationText(m *verdict.Remediation) string {
	var b strings.Builder
	b.WriteString("on " + m.Host + ": " + m.Setting)
	if m.Value != "" {
		b.WriteString(" <- " + m.Value)
	}
	if m.PowerShell != "" {
		b.WriteString("; PowerShell: " + m.PowerShell)
	}
	if m.GPOPath != "" {
		b.WriteString("; GPO: " + m.GPOPath)
	}
	if m.Note != "" {
		b.WriteString("; " + m.Note)
	}
	if m.Change != "" {
		b.WriteString(" (change plan: " + m.Change + ")")
	}
	return b.String()
}

// remediations lists a path's remediations, deciding reason first, without
// repeats.
func remediations(p *verdict.Path) []*verdict.Remediation {
	var out []*verdict.Remediation
	add := func(m *verdict.Remediation) {
		if m == nil {
			return
		}
		for _, have := range out {
			if have.Host == m.Host && have.Setting == m.Setting && have.Value == m.Value && have.PowerShell == m.PowerShell && have.Note == m.Note {
				return
			}
		}
		out = append(out, m)
	}
	if p.Deciding != nil {
		add(p.Deciding.Remediation)
	}
	for i := range p.Reasons {
		add(p.Reasons[i].Remediation)
	}
	return out
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func countsText(s summary) string {
	parts := make([]string, 0, len(s.Counts))
	for _, c := range s.Counts {
		parts = append(parts, fmt.Sprintf("%d %s", c.N, c.Verdict))
	}
	return strings.Join(parts, ", ")
}

// hostRow is a host that was not scanned, with its classified error.
type hostRow struct{ Host, Address, Class, Message, Hint string }

func hostRows(list []facts.HostResult) []hostRow {
	out := make([]hostRow, 0, len(list))
	for _, h := range list {
		hr := hostRow{Host: h.Host, Address: h.Address}
		if h.Error != nil {
			hr.Class, hr.Message, hr.Hint = string(h.Error.Class), h.Error.Message, h.Error.Hint
		}
		out = append(out, hr)
	}
	return out
}

// legend explains the grid cells, one entry per verdict, worst first in
// the engine's order (verdict.Order).
func legend() []struct{ Verdict, Meaning string } {
	var out []struct{ Verdict, Meaning string }
	for _, v := range verdict.Order() {
		out = append(out, struct{ Verdict, Meaning string }{string(v), VerdictMeaning(v)})
	}
	return out
}

// VerdictMeaning is the one-line legend of a verdict.
func VerdictMeaning(v verdict.Verdict) string {
	switch v {
	case verdict.Blocked:
		return "NTLM is needed and a setting that was read denies it"
	case verdict.BlockedSuspected:
		return "the target refused ntlmscan's own NTLM logon by policy: very likely blocked (counted as blocked)"
	case verdict.Unknown:
		return "a host or value the verdict needs could not be read; it may hide a block"
	case verdict.AtRisk:
		return "may be denied: only on Negotiate fallback, on some of several DCs, an UNCONFIRMED rule, or strict mode"
	case verdict.Unreachable:
		return "every NTLM check passed, but the Core could not reach the target over TCP"
	case verdict.OK:
		return "NTLM not needed, or allowed everywhere it is checked"
	}
	return ""
}

const (
	legendNoPath = "no path between this Core and target"
	legendWaived = "every path with this verdict is waived"
)

// maxAuthNotes caps the per-host auth: auto notes a summary lists.
const maxAuthNotes = 20

// authLines says how the scanned hosts were logged on to: how many over
// each method, which over Kerberos, and every host where auth: auto used
// NTLM with the reason, so a fallback never passes unnoticed. Raw text:
// each format cleans it. Empty when no host recorded its method (older
// reports).
func authLines(r *report.Report) []string {
	var krb, ntlm, other []string
	type note struct{ host, text string }
	var notes []note
	for i := range r.Hosts {
		h := &r.Hosts[i]
		switch strings.ToLower(h.Auth) {
		case "":
		case "kerberos":
			krb = append(krb, h.Host)
		case "ntlm":
			ntlm = append(ntlm, h.Host)
		default:
			other = append(other, h.Host+" ("+h.Auth+")")
		}
		if h.AuthNote != "" && h.Error == nil {
			notes = append(notes, note{h.Host, h.AuthNote})
		}
	}
	if len(krb)+len(ntlm)+len(other) == 0 && len(notes) == 0 {
		return nil
	}
	line := fmt.Sprintf("Logged on: %d over NTLM, %d over Kerberos", len(ntlm), len(krb))
	if len(krb) > 0 {
		line += " (" + capList(krb, maxPlanPreview) + ")"
	}
	if len(other) > 0 {
		line += ", other: " + capList(other, maxPlanPreview)
	}
	out := []string{line}
	for i, n := range notes {
		if i == maxAuthNotes {
			out = append(out, fmt.Sprintf("… and %d more hosts where auth: auto used NTLM (see the JSON report's authNote)", len(notes)-i))
			break
		}
		out = append(out, fmt.Sprintf("%s: %s", n.host, n.text))
	}
	return out
}

// smbRow is one share host's SMB probe, as every renderer shows it.
type smbRow struct{ Host, Target, Found, Logons string }

// SMBProbeHeading names the probe's vantage point wherever its facts are
// shown: the machine running ntlmscan, not the Cores.
const SMBProbeHeading = "SMB probe of share hosts (from the controller running ntlmscan, not from the Cores)"

func smbRows(r *report.Report) []smbRow {
	var out []smbRow
	for _, h := range r.Hosts {
		p := h.SMB
		if p == nil {
			continue
		}
		row := smbRow{Host: h.Host, Target: p.Target, Found: smbFound(p), Logons: "-"}
		var logons []string
		for _, a := range p.Auth {
			l := a.Account + ": " + a.Outcome
			if a.Status != "" {
				l += " (" + a.Status + ")"
			}
			if a.Message != "" {
				l += " - " + a.Message
			}
			logons = append(logons, l)
		}
		if len(logons) > 0 {
			row.Logons = strings.Join(logons, "; ")
		}
		out = append(out, row)
	}
	slices.SortStableFunc(out, func(a, b smbRow) int { return compareFold(a.Host, b.Host) })
	return out
}

// smbFound is the probe's finding in one line.
func smbFound(p *facts.SMBProbe) string {
	if p.Error != "" {
		return "no SMB answer: " + p.Error
	}
	parts := []string{"SMB " + p.Dialect}
	if p.SMB1Only {
		parts[0] = "SMB1 only"
	}
	switch {
	case p.SigningRequired:
		parts = append(parts, "signing required")
	case p.SigningEnabled:
		parts = append(parts, "signing enabled")
	default:
		parts = append(parts, "no signing")
	}
	switch {
	case len(p.Mechanisms) > 0:
		parts = append(parts, "offers "+strings.Join(p.Mechanisms, ", "))
	case p.MechanismsError != "":
		parts = append(parts, "mechanism list unreadable: "+p.MechanismsError)
	default:
		parts = append(parts, "no mechanism list")
	}
	return strings.Join(parts, "; ")
}

// impactSentence is the path's impact as a sentence ("Virtual Standby to
// HV01 will fail."), empty for an ok path.
func impactSentence(p *verdict.Path) string {
	if p.Impact == "" {
		return ""
	}
	return strings.ToUpper(p.Impact[:1]) + p.Impact[1:] + "."
}

// hostNote is every host note of one host, grouped: the distinct effects
// and one text in which no setting value is said twice.
type hostNote struct {
	Host    string
	Effects []string
	Text    string
}

// hostNotes groups a report's host notes by host, in the engine's order
// (sorted by host). A note's setting value is left out when its
// explanation already says it ("X=1 (label) is in ...") or says its label
// (an unscanned host's reason), and a text repeated for a host is said
// once. Raw text: each format cleans it.
func hostNotes(notes []verdict.Reason) []hostNote {
	var out []hostNote
	at := map[string]int{}
	for i := range notes {
		r := &notes[i]
		key := strings.ToLower(r.Host)
		j, ok := at[key]
		if !ok {
			j = len(out)
			at[key] = j
			out = append(out, hostNote{Host: r.Host})
		}
		n := &out[j]
		if e := string(r.Effect); !slices.Contains(n.Effects, e) {
			n.Effects = append(n.Effects, e)
		}
		t := hostNoteText(r)
		switch {
		case n.Text == "":
			n.Text = t
		case !strings.Contains(n.Text, t):
			n.Text += " " + t
		}
	}
	return out
}

// hostNotes are the view's host notes (hostNotes of the report), only
// those of hosts on a listed path when the view is filtered: every
// renderer lists the same notes.
func (v *view) hostNotes() []hostNote {
	notes := hostNotes(v.R.Matrix.HostNotes)
	if !v.Filter.Empty() {
		on := map[string]bool{}
		for _, rw := range v.Rows {
			on[strings.ToLower(rw.P.Core)], on[strings.ToLower(rw.P.Target)] = true, true
		}
		notes = slices.DeleteFunc(notes, func(n hostNote) bool { return !on[strings.ToLower(n.Host)] })
	}
	return notes
}

// hostNoteText is one note without its host, its setting value said once.
func hostNoteText(r *verdict.Reason) string {
	t := r.Explanation
	if r.Setting != "" {
		sv := settingValue(r)
		if !strings.Contains(t, sv) && (r.ValueLabel == "" || !strings.Contains(t, r.ValueLabel)) {
			t = sv + ": " + t
		}
	}
	if r.Event != "" {
		t += " (event " + r.Event + ")"
	}
	if r.Unconfirmed {
		t += " [UNCONFIRMED]"
	}
	return t
}

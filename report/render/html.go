package render

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

//go:embed html.tmpl
var htmlTemplate string

// htmlScript sorts and filters the page's tables. The page's
// Content-Security-Policy allows exactly these bytes, by their SHA-256
// (htmlScriptHash), and no other script.
//
//go:embed html.js
var htmlScript string

var htmlScriptHash = func() string {
	sum := sha256.Sum256([]byte(htmlScript))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}()

const (
	// maxTopProblems caps the "Top problems" list; the Core sections hold
	// every path.
	maxTopProblems = 50
	// maxGridCells is the largest Cores x targets matrix the page draws:
	// beyond it (5,000 paths: 50 Cores x 4,900 targets) the matrix is
	// hundreds of thousands of cells nobody can read, and the per-Core
	// summary says the same.
	maxGridCells = 20000
	// openCoresUpTo: Core sections start open when the report has at most
	// this many paths; bigger reports start with them folded, so the
	// summary, top problems and Core table come first.
	openCoresUpTo = 100
)

// htmlView is the HTML page's data. Every string is raw text (cleaned of
// control characters); html/template escapes it in context.
type htmlView struct {
	Title, RunID, Generated, ToolVersion, Inventory, Strict, Overlay, FailOn string
	// Script and ScriptHash: the inline script and its CSP source.
	Script     template.JS
	ScriptHash string
	// Baseline is the what-if summary: newly blocked / at-risk paths.
	WhatIfSummary string
	// Showing says how many paths a filtered page lists ("" unfiltered).
	Showing string
	// ProbeFailed counts the paths whose TCP probe failed, whatever
	// their verdict ("" when none).
	ProbeFailed string

	Sum     summary
	Cards   []htmlCard
	Targets []string
	Grid    []htmlGridRow
	Legend  []htmlLegend
	// Top are the worst paths (not ok), capped at maxTopProblems;
	// TopMore counts the rest.
	Top     []htmlTop
	TopMore int
	// Verdicts are the per-Core table's verdict columns, worst first.
	Verdicts []htmlLegend
	Cores    []htmlCore
	// ShowGrid is false when the matrix would exceed maxGridCells;
	// GridCells is its size.
	ShowGrid  bool
	GridCells int
	Baseline  *htmlBaseline
	Trend     *htmlTrend
	Waivers   *htmlWaivers
	Notes     []htmlNote
	Failed    []hostRow
	Describe  []hostRow
	SMB       []smbRow
	SMBTitle  string
	Coverage  []string
	Auth      []string
	Plan      []htmlPlanChange
	// Unmatched are the NTLM event groups no path claimed, per host.
	Unmatched []string
}

// htmlPlanChange is one change-plan entry, cleaned and with long lists capped.
type htmlPlanChange struct {
	ID, Host, Setting, Kind, Value, Final, GPOPath, Paths, PowerShell string
	Notes                                                             []string
}

// htmlNote is one host's notes (hostNote), cleaned.
type htmlNote struct{ Host, Effects, Text string }

type htmlCard struct {
	Label, Value, Class string
}

type htmlGridRow struct {
	Core  string
	Cells []htmlCell
}

type htmlCell struct {
	Text, Class string
	Waived      bool
}

type htmlLegend struct{ Text, Class, Meaning string }

type htmlPath struct {
	ID, Core, Target, Kind, NameUsed, Reachable, Need, NeedWhy, Account string
	Operations, Impact                                                  string
	Verdict, Class, Marks, Deciding                                     string
	FirstSeen, LastSeen                                                 string
	// Rank is the verdict's place in verdict.Order (0 = worst): the
	// verdict column sorts by it.
	Rank     int
	Reasons  []htmlReason
	Fixes    []htmlFix
	Waiver   string
	Evidence string
}

type htmlReason struct {
	Effect, Text string
	Unconfirmed  bool
}

type htmlFix struct {
	Host, Setting, Value, PowerShell, GPOPath, Note string
	// Change is the change plan entry that carries this fix's PowerShell,
	// GPO path and notes, which the row then leaves out (they would
	// repeat on every path the change fixes).
	Change string
}

// htmlTop is one row of "Top problems".
type htmlTop struct {
	ID, Core, Target, Kind, NameUsed, Verdict, Class, Marks, Deciding, Impact, Fix string
	Rank                                                                           int
}

// htmlCore is one Core's section: its counts and its paths, worst first.
type htmlCore struct {
	Name, Anchor string
	Open         bool
	Paths        int
	Counts       []int // per verdict, verdict.Order
	Summary      string
	Rows         []htmlPath
	// Lists are the host lists (exception lists) the section's reasons
	// cite, each once, capped.
	Lists    []string
	listKeys []string
}

type htmlBaseline struct {
	RunID, Generated           string
	New, Fixed, Changed, Added int
	Removed, NotComparable     int
	Changes                    []htmlChange
}

type htmlChange struct {
	What, Core, Target, Kind, NameUsed string
	Before, BeforeClass                string
	After, AfterClass                  string
	Deciding                           string
}

// htmlTrend is the output directory's last runs, counts per verdict.
type htmlTrend struct {
	N        int
	Verdicts []htmlLegend // column heads: Text and Class
	Rows     []htmlTrendRow
}

type htmlTrendRow struct {
	RunID, Generated string
	Counts           []int
	Failed           int
}

type htmlWaivers struct {
	File string
	Rows []htmlWaiver
}

type htmlWaiver struct {
	Match, Status, Class, Expires, Owner, Reason string
	Line                                         int
}

func verdictClass(v verdict.Verdict) string {
	switch v {
	case verdict.OK, verdict.AtRisk, verdict.Blocked, verdict.Unreachable, verdict.Unknown:
		return "v-" + string(v)
	case verdict.BlockedSuspected:
		return "v-blocked"
	}
	return "v-none"
}

// renderHTML writes one self-contained page: inline CSS, one inline
// script (sorting and filtering, allowed by its hash), no external
// resources (a Content-Security-Policy forbids them), so it can be mailed
// or attached to a ticket and opened anywhere. Without the script the page
// is complete; only the sort and filter controls are missing.
func renderHTML(w io.Writer, r *report.Report, opts Options) error {
	tmpl, err := template.New("report").Parse(htmlTemplate)
	if err != nil {
		return fmt.Errorf("html template: %w", err)
	}
	if err := tmpl.Execute(w, newHTMLView(r, opts)); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	return nil
}

// newHTMLView is the page of r's paths that opts.Filter keeps; the cards
// count every path.
func newHTMLView(r *report.Report, opts Options) *htmlView {
	v := newFilteredView(r, opts)
	s := v.Sum
	hv := &htmlView{
		Title:         "ntlmscan report " + clean(r.RunID),
		RunID:         clean(r.RunID),
		Generated:     timeText(r.GeneratedAt),
		ToolVersion:   clean(r.ToolVersion),
		Inventory:     clean(r.Inventory),
		Strict:        yesNo(r.Options.Strict),
		Overlay:       clean(orDash(r.Options.Overlay)),
		WhatIfSummary: clean(r.Matrix.PlanSummary.Text()),
		FailOn:        clean(s.FailOn),
		Showing:       clean(v.showingText()),
		ProbeFailed:   clean(probeFailedText(s, plainVerdict)),
		Sum:           s,
		Targets:       cleanAll(v.Grid.Targets),
		Failed:        cleanHosts(hostRows(v.Failed)),
		Describe:      cleanHosts(hostRows(v.Described)),
		SMB:           cleanSMB(smbRows(r)),
		SMBTitle:      SMBProbeHeading,
		Auth:          cleanAll(authLines(r)),
		Script:        template.JS(htmlScript),
		ScriptHash:    htmlScriptHash,
	}
	hv.Cards = append(hv.Cards,
		htmlCard{"Hosts scanned", fmt.Sprintf("%d / %d", s.Scanned, s.Hosts), "c-neutral"},
		htmlCard{"Hosts failed", fmt.Sprint(s.Failed), cardClass(s.Failed > 0, "c-bad")},
	)
	for _, c := range s.Counts {
		hv.Cards = append(hv.Cards, htmlCard{"Paths " + string(c.Verdict), fmt.Sprint(c.N), verdictClass(c.Verdict)})
	}
	for _, c := range s.AtRiskBy {
		hv.Cards = append(hv.Cards, htmlCard{"At-risk, " + string(c.State), fmt.Sprint(c.N), verdictClass(verdict.AtRisk)})
	}
	if r.Baseline != nil {
		n := s.NewlyBlocked
		hv.Cards = append(hv.Cards, htmlCard{"Newly blocked", fmt.Sprint(n), cardClass(n > 0, "c-bad")})
	}
	hv.Cards = append(hv.Cards, htmlCard{"Findings (fail-on " + clean(s.FailOn) + ")", fmt.Sprint(s.Findings), cardClass(s.Findings > 0, "c-bad")})
	if r.Waivers != nil {
		hv.Cards = append(hv.Cards, htmlCard{"Waived / expired", fmt.Sprintf("%d / %d", s.Waived, s.WaiverExpired), cardClass(s.WaiverExpired > 0, "c-warn")})
	}

	hv.GridCells = len(v.Grid.Cores) * len(v.Grid.Targets)
	hv.ShowGrid = hv.GridCells <= maxGridCells
	if !hv.ShowGrid {
		hv.Targets = nil
	}
	for i, core := range v.Grid.Cores {
		if !hv.ShowGrid {
			break
		}
		gr := htmlGridRow{Core: clean(core)}
		for _, c := range v.Grid.Cells[i] {
			if c.Paths == 0 {
				gr.Cells = append(gr.Cells, htmlCell{Text: "-", Class: "v-none"})
				continue
			}
			gr.Cells = append(gr.Cells, htmlCell{Text: string(c.Verdict), Class: verdictClass(c.Verdict), Waived: c.Waived})
		}
		hv.Grid = append(hv.Grid, gr)
	}
	for _, l := range legend() {
		hv.Legend = append(hv.Legend, htmlLegend{l.Verdict, verdictClass(verdict.Verdict(l.Verdict)), l.Meaning})
	}
	hv.Legend = append(hv.Legend, htmlLegend{"-", "v-none", legendNoPath}, htmlLegend{"verdict*", "", legendWaived})

	hv.addPaths(v)
	if c := r.Baseline; c != nil {
		hb := &htmlBaseline{
			RunID: clean(c.BaselineRunID), Generated: timeText(c.BaselineGeneratedAt),
			New: len(c.New), Fixed: len(c.Fixed), Changed: len(c.Changed), Added: len(c.Added), Removed: len(c.Removed),
			NotComparable: len(c.NotComparable),
		}
		add := func(what string, list []report.PathChange) {
			for _, ch := range list {
				hc := htmlChange{
					What: what, Core: clean(ch.Core), Target: clean(ch.Target), Kind: clean(string(ch.Kind)), NameUsed: clean(ch.NameUsed),
					Before: orText(string(ch.Before), "(new path)"), BeforeClass: verdictClass(ch.Before),
					After: orText(string(ch.After), "(gone)"), AfterClass: verdictClass(ch.After),
					Deciding: clean(decidingText(ch.Deciding)),
				}
				if ch.Waived {
					hc.After += " (waived)"
				}
				hb.Changes = append(hb.Changes, hc)
			}
		}
		add("new blocked", c.New)
		add("fixed", c.Fixed)
		hv.Baseline = hb
	}
	if len(r.Trend) > 1 {
		ht := &htmlTrend{N: len(r.Trend)}
		for _, v := range verdict.Order() {
			ht.Verdicts = append(ht.Verdicts, htmlLegend{Text: string(v), Class: verdictClass(v)})
		}
		for i := len(r.Trend) - 1; i >= 0; i-- { // newest first
			tp := r.Trend[i]
			row := htmlTrendRow{RunID: clean(tp.RunID), Generated: timeText(tp.GeneratedAt), Failed: tp.FailedHosts}
			for _, v := range verdict.Order() {
				row.Counts = append(row.Counts, tp.Verdicts[string(v)])
			}
			ht.Rows = append(ht.Rows, row)
		}
		hv.Trend = ht
	}
	if ws := r.Waivers; ws != nil {
		hw := &htmlWaivers{File: clean(ws.File)}
		for _, a := range ws.Applied {
			status, class := "active", "c-good"
			if a.Expired {
				status, class = "expired", "c-bad"
			}
			hw.Rows = append(hw.Rows, htmlWaiver{clean(a.PathID), status, class, clean(a.Expires), clean(a.Owner), clean(a.Reason), a.Line})
		}
		for _, h := range ws.Hosts {
			status, class := "host accepted", "c-good"
			if h.Expired {
				status, class = "expired", "c-bad"
			}
			hw.Rows = append(hw.Rows, htmlWaiver{clean(h.Match), status, class, clean(h.Expires), clean(h.Owner), clean(h.Reason), h.Line})
		}
		for _, u := range ws.Unused {
			hw.Rows = append(hw.Rows, htmlWaiver{clean(u.Match), "unused", "c-warn", clean(u.Expires), clean(u.Owner), clean(u.Reason), u.Line})
		}
		hv.Waivers = hw
	}
	for _, n := range v.hostNotes() {
		hv.Notes = append(hv.Notes, htmlNote{Host: clean(n.Host), Effects: clean(strings.Join(n.Effects, ", ")), Text: clean(n.Text)})
	}
	for _, c := range r.Matrix.Coverage {
		hv.Coverage = append(hv.Coverage, clean(c.Note))
	}
	hv.Unmatched = cleanAll(unmatchedEventLines(&r.Matrix))
	for i := range r.Matrix.Plan {
		c := &r.Matrix.Plan[i]
		hc := htmlPlanChange{ID: clean(c.ID), Host: clean(c.Host), Setting: clean(c.Setting), Kind: clean(string(c.Kind)), Value: clean(c.Value),
			GPOPath: clean(c.GPOPath), Paths: clean(capList(c.Paths, maxPlanPreview)), PowerShell: cleanBlock(c.PowerShell)}
		if c.Kind == verdict.ChangeList {
			hc.Final = clean(fmt.Sprintf("(%d entries) %s", len(c.Final), capList(c.Final, maxPlanPreview)))
		}
		for _, n := range c.Notes {
			hc.Notes = append(hc.Notes, clean(n))
		}
		hv.Plan = append(hv.Plan, hc)
	}
	return hv
}

// addPaths fills the top problems and the Core sections, worst first.
func (hv *htmlView) addPaths(v *view) {
	order := verdict.Order()
	for _, vd := range order {
		hv.Verdicts = append(hv.Verdicts, htmlLegend{Text: string(vd), Class: verdictClass(vd)})
	}
	inPlan := make(map[string]bool, len(v.R.Matrix.Plan))
	for i := range v.R.Matrix.Plan {
		inPlan[v.R.Matrix.Plan[i].ID] = true
	}
	coreAt := make(map[string]int, len(v.Grid.Cores))
	for i, c := range v.Grid.Cores {
		coreAt[c] = i
		hv.Cores = append(hv.Cores, htmlCore{Name: clean(c), Anchor: fmt.Sprintf("core-%d", i+1),
			Open: len(v.Rows) <= openCoresUpTo, Counts: make([]int, len(order))})
	}
	for _, rw := range v.worstFirst() {
		hc := &hv.Cores[coreAt[rw.P.Core]]
		hp := newHTMLPath(v, rw, inPlan, hc)
		hc.Rows = append(hc.Rows, hp)
		hc.Paths++
		if hp.Rank >= 0 && hp.Rank < len(order) {
			hc.Counts[hp.Rank]++
		}
		if rw.P.Verdict == verdict.OK {
			continue
		}
		if len(hv.Top) == maxTopProblems {
			hv.TopMore++
			continue
		}
		top := htmlTop{ID: hp.ID, Core: hp.Core, Target: hp.Target, Kind: hp.Kind, NameUsed: hp.NameUsed,
			Verdict: hp.Verdict, Class: hp.Class, Marks: hp.Marks, Deciding: hp.Deciding, Impact: hp.Impact, Rank: hp.Rank}
		if fixes := remediations(rw.P); len(fixes) > 0 {
			m := fixes[0]
			top.Fix = "on " + m.Host + ": " + m.Setting
			if m.Value != "" {
				top.Fix += " ← " + m.Value
			}
			top.Fix = clean(top.Fix)
		}
		hv.Top = append(hv.Top, top)
	}
	for i := range hv.Cores {
		hc := &hv.Cores[i]
		var parts []string
		other := hc.Paths // paths with a verdict this version does not know
		for j, n := range hc.Counts {
			other -= n
			if n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, order[j]))
			}
		}
		if other > 0 {
			parts = append(parts, fmt.Sprintf("%d other", other))
		}
		hc.Summary = strings.Join(parts, ", ")
	}
}

// verdictRank is a verdict's place in verdict.Order (0 = worst); an
// unrecognised verdict ranks -1, before every other, so it is never
// hidden.
func verdictRank(v verdict.Verdict) int { return len(verdict.Order()) - 1 - v.Severity() }

func newHTMLPath(v *view, rw row, inPlan map[string]bool, hc *htmlCore) htmlPath {
	p := rw.P
	hp := htmlPath{Rank: verdictRank(p.Verdict),
		ID: clean(p.ID), Core: clean(p.Core), Target: clean(p.Target), Kind: clean(string(p.Kind)),
		Operations: clean(verdict.OperationsText(p.Operations)), Impact: clean(impactSentence(p)),
		NameUsed: clean(nameUsedText(p)), Reachable: clean(p.Reachable), Need: clean(string(p.Need)),
		NeedWhy: clean(p.NeedWhy), Account: clean(p.Account),
		Verdict: clean(string(p.Verdict)), Class: verdictClass(p.Verdict),
		Marks: clean(strings.Join(verdictMarks(rw), ", ")), Deciding: clean(decidingText(p.Deciding)),
	}
	if rw.History != nil {
		hp.FirstSeen, hp.LastSeen = timeText(rw.History.FirstSeen), timeText(rw.History.LastSeen)
	}
	if ev := p.Evidence; ev != nil {
		hp.Evidence = clean(string(ev.State) + ": " + ev.Summary)
		if ev.RegistryVerdict != "" {
			hp.Evidence += clean(" (the settings alone: " + string(ev.RegistryVerdict) + ")")
		}
	}
	if wv := rw.Waiver; wv != nil {
		state := "Waived until"
		if wv.Expired {
			state = "Waiver EXPIRED: it held until"
		}
		hp.Waiver = clean(fmt.Sprintf("%s %s (owner %s): %s (waiver file line %d)", state, wv.Expires, wv.Owner, wv.Reason, wv.Line))
	}
	for i := range p.Reasons {
		rs := &p.Reasons[i]
		text := rs.Host
		if rs.Setting != "" {
			text += " " + settingValue(rs)
		}
		text += ": " + rs.Explanation
		// A list's entries are shown once per Core section, not on every
		// path that cites the list.
		if pv := v.listPreview(rs); pv != "" {
			text += " (" + rs.Setting + " on " + rs.Host + ": entries listed at the top of this Core's section.)"
			key := strings.ToLower(rs.Host + "|" + rs.Setting)
			if !slices.Contains(hc.listKeys, key) {
				hc.listKeys = append(hc.listKeys, key)
				hc.Lists = append(hc.Lists, clean(rs.Setting+" on "+rs.Host+": "+pv+"."))
			}
		}
		if rs.Event != "" {
			text += " (event " + rs.Event + ")"
		}
		hp.Reasons = append(hp.Reasons, htmlReason{Effect: clean(string(rs.Effect)), Text: clean(text), Unconfirmed: rs.Unconfirmed})
	}
	for _, m := range remediations(p) {
		f := htmlFix{Host: clean(m.Host), Setting: clean(m.Setting), Value: clean(m.Value)}
		if inPlan[m.Change] {
			f.Change = clean(m.Change)
		} else {
			f.PowerShell, f.GPOPath, f.Note = cleanBlock(m.PowerShell), clean(m.GPOPath), clean(m.Note)
		}
		hp.Fixes = append(hp.Fixes, f)
	}
	return hp
}

func cardClass(bad bool, class string) string {
	if bad {
		return class
	}
	return "c-good"
}

func orText(s, empty string) string {
	if s == "" {
		return empty
	}
	return clean(s)
}

func cleanAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = clean(s)
	}
	return out
}

func cleanSMB(list []smbRow) []smbRow {
	for i := range list {
		h := &list[i]
		h.Host, h.Target, h.Found, h.Logons = clean(h.Host), clean(h.Target), clean(h.Found), clean(h.Logons)
	}
	return list
}

func cleanHosts(list []hostRow) []hostRow {
	for i := range list {
		h := &list[i]
		h.Host, h.Address, h.Class, h.Message, h.Hint = clean(h.Host), clean(h.Address), clean(h.Class), clean(h.Message), clean(orDash(h.Hint))
	}
	return list
}

package render

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

//go:embed html.tmpl
var htmlTemplate string

// htmlView is the HTML page's data. Every string is raw text (cleaned of
// control characters); html/template escapes it in context.
type htmlView struct {
	Title, RunID, Generated, ToolVersion, Inventory, Strict, Overlay, FailOn string
	// Baseline is the what-if summary: newly blocked / at-risk paths.
	WhatIfSummary string

	Sum      summary
	Cards    []htmlCard
	Targets  []string
	Grid     []htmlGridRow
	Legend   []htmlLegend
	Paths    []htmlPath
	Baseline *htmlBaseline
	Trend    *htmlTrend
	Waivers  *htmlWaivers
	Notes    []string
	Failed   []hostRow
	Describe []hostRow
	SMB      []smbRow
	SMBTitle string
	Coverage []string
	Auth     []string
	Plan     []htmlPlanChange
	// Unmatched are the NTLM event groups no path claimed, per host.
	Unmatched []string
}

// htmlPlanChange is one change-plan entry, cleaned and with long lists capped.
type htmlPlanChange struct {
	Host, Setting, Kind, Value, Final, GPOPath, Paths, PowerShell string
	Notes                                                         []string
}

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
	Reasons                                                             []htmlReason
	Fixes                                                               []htmlFix
	Waiver                                                              string
	Evidence                                                            string
}

type htmlReason struct {
	Effect, Text string
	Unconfirmed  bool
}

type htmlFix struct {
	Host, Setting, Value, PowerShell, GPOPath, Note string
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

// renderHTML writes one self-contained page: inline CSS, no scripts, no
// external resources (a Content-Security-Policy forbids them), so it can be
// mailed or attached to a ticket and opened anywhere.
func renderHTML(w io.Writer, r *report.Report, _ Options) error {
	tmpl, err := template.New("report").Parse(htmlTemplate)
	if err != nil {
		return fmt.Errorf("html template: %w", err)
	}
	if err := tmpl.Execute(w, newHTMLView(r)); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	return nil
}

func newHTMLView(r *report.Report) *htmlView {
	v := newView(r)
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
		Sum:           s,
		Targets:       cleanAll(v.Grid.Targets),
		Failed:        cleanHosts(hostRows(v.Failed)),
		Describe:      cleanHosts(hostRows(v.Described)),
		SMB:           cleanSMB(smbRows(r)),
		SMBTitle:      SMBProbeHeading,
		Auth:          cleanAll(authLines(r)),
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
	hv.Cards = append(hv.Cards, htmlCard{"Findings (fail-on " + clean(s.FailOn) + ")", fmt.Sprint(s.Findings), cardClass(s.Findings > 0, "c-bad")})
	if r.Waivers != nil {
		hv.Cards = append(hv.Cards, htmlCard{"Waived / expired", fmt.Sprintf("%d / %d", s.Waived, s.WaiverExpired), cardClass(s.WaiverExpired > 0, "c-warn")})
	}

	for i, core := range v.Grid.Cores {
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

	for _, rw := range v.Rows {
		hv.Paths = append(hv.Paths, newHTMLPath(v, rw))
	}
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
	for i := range r.Matrix.HostNotes {
		hv.Notes = append(hv.Notes, clean(reasonText(&r.Matrix.HostNotes[i])))
	}
	for _, c := range r.Matrix.Coverage {
		hv.Coverage = append(hv.Coverage, clean(c.Note))
	}
	hv.Unmatched = cleanAll(unmatchedEventLines(&r.Matrix))
	for i := range r.Matrix.Plan {
		c := &r.Matrix.Plan[i]
		hc := htmlPlanChange{Host: clean(c.Host), Setting: clean(c.Setting), Kind: clean(string(c.Kind)), Value: clean(c.Value),
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

func newHTMLPath(v *view, rw row) htmlPath {
	p := rw.P
	hp := htmlPath{
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
		if pv := v.listPreview(rs); pv != "" {
			text += " " + rs.Setting + " on " + rs.Host + ": " + pv + "."
		}
		if rs.Event != "" {
			text += " (event " + rs.Event + ")"
		}
		hp.Reasons = append(hp.Reasons, htmlReason{Effect: clean(string(rs.Effect)), Text: clean(text), Unconfirmed: rs.Unconfirmed})
	}
	for _, m := range remediations(p) {
		hp.Fixes = append(hp.Fixes, htmlFix{
			Host: clean(m.Host), Setting: clean(m.Setting), Value: clean(m.Value),
			PowerShell: cleanBlock(m.PowerShell), GPOPath: clean(m.GPOPath), Note: clean(m.Note),
		})
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

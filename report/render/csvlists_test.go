package render_test

import (
	"bytes"
	"encoding/csv"
	"html"
	"slices"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// csvRecords renders r as CSV and returns its rows as column -> cell maps.
func csvRecords(t *testing.T, r *report.Report) []map[string]string {
	t.Helper()
	records, err := csv.NewReader(bytes.NewReader(render1(t, render.FormatCSV, r, render.Options{}))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, rec := range records[1:] {
		m := map[string]string{}
		for i, col := range records[0] {
			m[col] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

// The list cells hold one entry per line: a PowerShell line with its own
// pipes stays whole, and no entry is joined with " | ".
func TestCSVListsOnePerLine(t *testing.T) {
	t.Parallel()
	r := reporttest.DemoFull()
	rows := csvRecords(t, r)
	piped := 0
	for i, row := range rows {
		p := &r.Matrix.Paths[i]
		tests := []struct {
			col  string
			want int
		}{
			{"reasons", len(p.Reasons)},
			{"remediation", remediationCount(p)},
		}
		for _, tt := range tests {
			cell := row[tt.col]
			got := 0
			if cell != "" {
				got = len(strings.Split(cell, "\n"))
			}
			if got != tt.want {
				t.Errorf("%s %s: %d lines, want %d:\n%s", p.ID, tt.col, got, tt.want, cell)
			}
			if strings.Contains(cell, " | [") || strings.Contains(cell, " | on ") {
				t.Errorf("%s %s joins entries with \" | \":\n%s", p.ID, tt.col, cell)
			}
		}
		for _, line := range strings.Split(row["remediation"], "\n") {
			if _, ps, ok := strings.Cut(line, "; PowerShell: "); ok && strings.Contains(ps, " | ") {
				piped++
			}
		}
		for _, id := range strings.Split(row["plan_changes"], "\n") {
			if id != "" && !slices.ContainsFunc(r.Matrix.Plan, func(c verdict.Change) bool { return c.ID == id }) {
				t.Errorf("%s: plan_changes line %q is no change id", p.ID, id)
			}
		}
	}
	if piped == 0 {
		t.Error("no remediation with a PowerShell pipeline: the test checks nothing")
	}
}

// remediationCount is the number of distinct remediations of p (the
// deciding reason's and every reason's, without repeats).
func remediationCount(p *verdict.Path) int {
	var seen []verdict.Remediation
	add := func(m *verdict.Remediation) {
		if m == nil {
			return
		}
		for _, h := range seen {
			if h.Host == m.Host && h.Setting == m.Setting && h.Value == m.Value && h.PowerShell == m.PowerShell && h.Note == m.Note {
				return
			}
		}
		seen = append(seen, *m)
	}
	if p.Deciding != nil {
		add(p.Deciding.Remediation)
	}
	for i := range p.Reasons {
		add(p.Reasons[i].Remediation)
	}
	return len(seen)
}

// deciding_value is the text the table, Markdown and HTML show after the
// setting name, lists (cited by their size) included.
func TestCSVDecidingValueAsOtherFormats(t *testing.T) {
	t.Parallel()
	r := reporttest.DemoFull()
	// A path decided by a list, cited by its size as the engine does.
	for i := range r.Matrix.Paths {
		if p := &r.Matrix.Paths[i]; p.Deciding != nil && p.Deciding.Setting == "ClientAllowedNTLMServers" {
			p.Deciding.RawValue, p.Deciding.ValueLabel = "[7 entries]", "7 entries"
		}
	}
	rows := csvRecords(t, r)
	table := string(render1(t, render.FormatTable, r, render.Options{}))
	md := string(render1(t, render.FormatMarkdown, r, render.Options{}))
	page := string(render1(t, render.FormatHTML, r, render.Options{}))
	checked := map[string]bool{}
	for _, row := range rows {
		if row["deciding_setting"] == "" {
			continue
		}
		text := row["deciding_setting"] + "=" + row["deciding_value"]
		checked[row["deciding_setting"]] = true
		for _, f := range []struct{ name, out, want string }{
			{"table", table, text},
			{"markdown", md, "`" + text + "`"},
			{"html", page, html.EscapeString(text)},
		} {
			if !strings.Contains(f.out, f.want) {
				t.Errorf("%s: %s output lacks the CSV's deciding value %q", row["path_id"], f.name, f.want)
			}
		}
	}
	if !checked["ClientAllowedNTLMServers"] || len(checked) < 3 {
		t.Errorf("checked only %v", checked)
	}
}

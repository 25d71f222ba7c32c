package render_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
)

// hostileDiff is the demo's comparison with attacker text in every field
// a diff prints.
func hostileDiff() *report.Comparison {
	c := reporttest.DemoFull().Baseline
	payloads := []string{scriptTag, `"><img src=x onerror=alert(1)>`, formulas[0], termEsc, "a|b", formulas[6]}
	n := 0
	pick := func() string { n++; return payloads[n%len(payloads)] }
	for _, list := range [][]report.PathChange{c.New, c.Fixed, c.Changed, c.Added, c.Removed} {
		for i := range list {
			ch := &list[i]
			ch.Core, ch.Target, ch.NameUsed, ch.PathID = pick(), pick(), pick(), pick()
			if ch.Deciding != nil {
				d := *ch.Deciding
				d.Host, d.RawValue = pick(), pick()
				ch.Deciding = &d
			}
		}
	}
	c.NotComparable = append(c.NotComparable, report.CarriedPath{PathID: pick(), Core: pick(), Target: pick(), NameUsed: pick(), FailedHosts: []string{pick(), pick()}})
	c.BaselineRunID, c.CurrentRunID = pick(), pick()
	return c
}

func renderDiff1(t *testing.T, format string, c *report.Comparison) string {
	t.Helper()
	rd, err := render.NewDiff(format)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rd.RenderDiff(&buf, c, render.Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestDiffHTMLAndCSVHostile(t *testing.T) {
	t.Parallel()
	c := hostileDiff()
	page := renderDiff1(t, render.FormatHTML, c)
	checkInertHTML(t, page)
	for _, bad := range []string{"<script", "<img", "\x1b"} {
		if strings.Contains(page, bad) {
			t.Errorf("diff HTML contains %q", bad)
		}
	}
	if !strings.Contains(page, `content="default-src 'none'; style-src 'unsafe-inline'"`) {
		t.Error("diff HTML lacks the CSP")
	}
	records, err := csv.NewReader(strings.NewReader(renderDiff1(t, render.FormatCSV, c))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := 1 + len(c.New) + len(c.Fixed) + len(c.Changed) + len(c.Added) + len(c.Removed) + len(c.NotComparable)
	if len(records) != want {
		t.Errorf("%d records, want %d", len(records), want)
	}
	for _, rec := range records[1:] {
		if len(rec) != len(render.DiffCSVColumns()) {
			t.Errorf("record has %d cells, want %d", len(rec), len(render.DiffCSVColumns()))
		}
		for _, cell := range rec {
			if cell != "" && (strings.ContainsAny(cell[:1], "=+-@\t\r") || strings.HasPrefix(cell, "＝") || strings.Contains(cell, "\x1b")) {
				t.Errorf("unsafe cell %q", cell)
			}
		}
	}
}

func TestDiffFormatForFile(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"d.csv": "csv", "D.HTML": "html", "d.htm": "html", "d.md": "markdown", "d.markdown": "markdown",
		"d.json": "json", "d.txt": "table", "d.xlsx": "", "d": "", "dir.csv/d": "",
	} {
		if got := render.DiffFormatForFile(name); got != want {
			t.Errorf("DiffFormatForFile(%q) = %q, want %q", name, got, want)
		}
	}
}

package render

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"strings"

	"github.com/ntlmscan/ntlmscan/report"
)

// DiffFormatForFile is the diff --format a file name asks for by its
// extension (.csv, .html/.htm, .md/.markdown, .json, .txt), or "" when the
// extension names none.
func DiffFormatForFile(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV
	case ".html", ".htm":
		return FormatHTML
	case ".md", ".markdown":
		return FormatMarkdown
	case ".json":
		return FormatJSON
	case ".txt", ".text":
		return FormatTable
	}
	return ""
}

// DiffCSVColumns are the header of `ntlmscan diff --format csv`: one row
// per changed path. Like CSVColumns, a stable interface: add at the end.
func DiffCSVColumns() []string {
	return []string{
		"change",           // new-blocked | fixed | changed | added | removed | not-comparable
		"path_id",          // Core|kind|target|name, as in the scan CSV
		"core",             //
		"target",           //
		"kind",             // agent | replication | share
		"name_used",        //
		"before",           // the baseline's verdict; empty for an added path
		"now",              // the current verdict; empty for a removed or not comparable path
		"waived",           // yes when an active waiver covers the path now
		"deciding_host",    // as in the scan CSV
		"deciding_setting", //
		"deciding_value",   //
		"failed_hosts",     // not-comparable only: the hosts whose failure left the path unjudged, one per line
	}
}

// diffChangeNames are the CSV's change values, one per diffSections entry.
var diffChangeNames = []string{"new-blocked", "fixed", "changed", "added", "removed"}

func renderDiffCSV(w io.Writer, c *report.Comparison, _ Options) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(DiffCSVColumns()); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	write := func(record []string) error {
		for i := range record {
			record[i] = csvCell(record[i])
		}
		return cw.Write(record)
	}
	for i, sec := range diffSections(c) {
		for _, ch := range sec.List {
			var host, setting, value string
			if d := ch.Deciding; d != nil {
				host, setting, value = d.Host, d.Setting, valueText(d)
			}
			waived := ""
			if ch.Waived {
				waived = "yes"
			}
			if err := write([]string{diffChangeNames[i], ch.PathID, ch.Core, ch.Target, string(ch.Kind), ch.NameUsed,
				string(ch.Before), string(ch.After), waived, host, setting, value, ""}); err != nil {
				return fmt.Errorf("write csv: %w", err)
			}
		}
	}
	for _, nc := range c.NotComparable {
		record := []string{"not-comparable", nc.PathID, nc.Core, nc.Target, string(nc.Kind), nc.NameUsed, string(nc.Carried), "", "", "", "", "", ""}
		for i := range record {
			record[i] = csvCell(record[i])
		}
		record[len(record)-1] = csvList(nc.FailedHosts)
		if err := cw.Write(record); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// diffHTMLView is the diff page's data: raw text, cleaned of control
// characters; html/template escapes it in context.
type diffHTMLView struct {
	Title, Headline string
	Sections        []diffHTMLSection
}

type diffHTMLSection struct {
	Title   string
	Columns []string
	Rows    [][]diffHTMLCell
}

type diffHTMLCell struct{ Text, Class string }

var diffHTMLTemplate = template.Must(template.New("diff").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.45 "Segoe UI", system-ui, -apple-system, sans-serif; color:#1f2328; margin: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.v-ok { background: #dafbe1; } td.v-at-risk { background: #fff8c5; } td.v-blocked { background: #ffebe9; }
td.v-unreachable { background: #fbefff; } td.v-unknown { background: #eaeef2; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Headline}}</p>
{{range .Sections}}<h2>{{.Title}}</h2>
<table>
<tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td{{if .Class}} class="{{.Class}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</table>
{{else}}<p>No path changed.</p>
{{end}}</body>
</html>
`))

func renderDiffHTML(w io.Writer, c *report.Comparison, _ Options) error {
	v := diffHTMLView{
		Title: "ntlmscan diff: " + clean(orDash(c.BaselineRunID)) + " → " + clean(c.CurrentRunID),
		Headline: fmt.Sprintf("Baseline %s (%s) → current %s (%s): %s.", clean(orDash(c.BaselineRunID)), timeText(c.BaselineGeneratedAt),
			clean(c.CurrentRunID), timeText(c.CurrentGeneratedAt), diffHeadline(c)),
	}
	for _, sec := range diffSections(c) {
		if len(sec.List) == 0 {
			continue
		}
		hs := diffHTMLSection{Title: sec.Title, Columns: []string{"Core", "Target", "Kind", "Name used", "Before", "Now", "Deciding setting"}}
		for _, ch := range sec.List {
			before, after := changeVerdicts(ch)
			hs.Rows = append(hs.Rows, []diffHTMLCell{
				{Text: clean(ch.Core)}, {Text: clean(ch.Target)}, {Text: clean(string(ch.Kind))}, {Text: clean(ch.NameUsed)},
				{Text: before, Class: verdictClass(ch.Before)}, {Text: after, Class: verdictClass(ch.After)},
				{Text: clean(decidingText(ch.Deciding))},
			})
		}
		v.Sections = append(v.Sections, hs)
	}
	if len(c.NotComparable) > 0 {
		hs := diffHTMLSection{Title: notComparableTitle, Columns: []string{"Core", "Target", "Kind", "Name used", "Last good", "Found", "Failed hosts"}}
		for _, nc := range c.NotComparable {
			var row []diffHTMLCell
			for _, cell := range carriedCells(nc) {
				row = append(row, diffHTMLCell{Text: clean(cell)})
			}
			hs.Rows = append(hs.Rows, row)
		}
		v.Sections = append(v.Sections, hs)
	}
	if err := diffHTMLTemplate.Execute(w, v); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	return nil
}

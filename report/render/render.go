// Package render turns a scan report into the formats ntlmscan writes: a
// terminal table, CSV for change tickets, JSON, a self-contained HTML page
// and Markdown. Renderers only present what the report says; they never
// decide verdicts. Output is deterministic: the same report gives the same
// bytes (no map iteration, no clock, fixed ordering).
package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/ntlmscan/ntlmscan/report"
)

// Options are what the caller knows about the output stream.
type Options struct {
	// Color enables ANSI colours (the caller sets it when stdout is a TTY
	// and NO_COLOR is unset). Only the table renderer uses it.
	Color bool
	// Width is the terminal width in columns; 0 means unlimited. The table
	// renderer keeps every line within it: long values go on an indented
	// detail line, and a matrix wider than it becomes one line per Core.
	Width int
	// Filter narrows the paths the table, CSV, HTML and Markdown views
	// list; their summaries still count every path, and the table, HTML
	// and Markdown say what they show ("Showing N of M paths (filtered
	// by ...)"). The JSON format and the Markdown summary ignore it: the
	// JSON report is always whole, and the summary is the whole run's
	// ticket text.
	Filter Filter
	// All lists every path in the terminal view: ok paths too, and more
	// than the first problems.
	All bool
	// Files names the other reports of the same run, as the user gave
	// them; the Markdown summary and the terminal's plan hint point to
	// them, or say which command writes a missing one.
	Files Files
}

// Files are a run's report files; "" means not written.
type Files struct {
	CSV, HTML, JSON string
	// Command is the command line that made the report, without its
	// output flags ("ntlmscan scan -i inventory.yaml", "ntlmscan demo"),
	// for the hints that say how to write a missing file; "" gives a
	// generic one.
	Command string
}

// command is Files.Command, or a generic scan command line.
func (f Files) command() string {
	if f.Command != "" {
		return f.Command
	}
	return "ntlmscan scan -i INVENTORY"
}

// jsonSuggestion is the JSON file name the hints suggest: demo.json for
// the demo (so `ntlmscan plan demo.json` reads what `ntlmscan demo --json
// demo.json` wrote), else scan.json.
func (f Files) jsonSuggestion() string {
	if strings.HasPrefix(f.Command, "ntlmscan demo") {
		return "demo.json"
	}
	return "scan.json"
}

// Renderer writes a report in one format.
type Renderer interface {
	Render(w io.Writer, r *report.Report, opts Options) error
}

// RendererFunc adapts a function to Renderer.
type RendererFunc func(w io.Writer, r *report.Report, opts Options) error

// Render calls f.
func (f RendererFunc) Render(w io.Writer, r *report.Report, opts Options) error { return f(w, r, opts) }

// Format names for --format.
const (
	FormatTable    = "table"
	FormatCSV      = "csv"
	FormatJSON     = "json"
	FormatHTML     = "html"
	FormatMarkdown = "markdown"
	// FormatMarkdownSummary is the ticket-sized Markdown summary (under
	// MarkdownSummaryLimit bytes for any estate).
	FormatMarkdownSummary = "markdown-summary"
)

// Formats lists the --format values of New, default first.
func Formats() []string {
	return []string{FormatTable, FormatCSV, FormatJSON, FormatHTML, FormatMarkdown, FormatMarkdownSummary}
}

// New returns the renderer for a --format value (case-insensitive; "md" is
// accepted for markdown).
func New(format string) (Renderer, error) {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case FormatTable:
		return RendererFunc(renderTable), nil
	case FormatCSV:
		return RendererFunc(renderCSV), nil
	case FormatJSON:
		return RendererFunc(renderJSON), nil
	case FormatHTML:
		return RendererFunc(renderHTML), nil
	case FormatMarkdown, "md":
		return RendererFunc(renderMarkdown), nil
	case FormatMarkdownSummary:
		return RendererFunc(renderMarkdownSummary), nil
	}
	return nil, fmt.Errorf("unknown format %q: want one of %s", format, strings.Join(Formats(), ", "))
}

func renderJSON(w io.Writer, r *report.Report, _ Options) error { return report.Encode(w, r) }

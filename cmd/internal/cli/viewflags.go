package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ntlmscan/ntlmscan/inventory/safetext"
	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/render"
)

// viewFlags narrow what the rendered report lists (scan and report). They
// never change the JSON report, the --csv/--html/--markdown/--json files,
// the --output-dir run files or the exit code.
type viewFlags struct {
	Verdicts []string
	Cores    []string
	Targets  []string
	Tags     []string
	All      bool

	filter render.Filter // set by check
}

func addViewFlags(cmd *cobra.Command, o *viewFlags) {
	fl := cmd.Flags()
	const only = " (the --format output only; the JSON report, the other files and the exit code always cover every path)"
	fl.StringSliceVar(&o.Verdicts, "verdict", nil, "list only paths with these `VERDICTS`, e.g. blocked,unknown"+only)
	fl.StringSliceVar(&o.Cores, "core", nil, "list only paths from these `CORES` (inventory names, case-insensitive, globs; repeat or comma-separate)"+only)
	fl.StringSliceVar(&o.Targets, "target", nil, "list only paths to these `TARGETS` (inventory name or the name the Core uses; globs)"+only)
	fl.StringSliceVar(&o.Tags, "tag", nil, "list only paths whose target or Core has one of these inventory `TAGS`"+only)
	fl.BoolVar(&o.All, "all", false, "terminal report: list every path, ok ones too, instead of the first 40 problems")
}

// check parses the filter flags for format.
func (o *viewFlags) check(format string) error {
	vs, err := render.ParseVerdicts(o.Verdicts)
	if err != nil {
		return &FlagError{Err: err}
	}
	o.filter = render.Filter{Verdicts: vs, Cores: render.SplitList(o.Cores), Targets: render.SplitList(o.Targets), Tags: render.SplitList(o.Tags)}
	f := strings.TrimSpace(format)
	if !o.filter.Empty() && strings.EqualFold(f, render.FormatJSON) {
		return FlagErrorf("%s: the JSON report is always whole; filters apply to --format %s, %s, %s and %s",
			o.filter.String(), render.FormatTable, render.FormatCSV, render.FormatHTML, render.FormatMarkdown)
	}
	// The summary is the ticket text of the whole run: a filter would
	// silently not apply, so it is refused like JSON's.
	if !o.filter.Empty() && strings.EqualFold(f, render.FormatMarkdownSummary) {
		return FlagErrorf("%s: the Markdown summary always covers the whole run; filters apply to --format %s, %s, %s and %s",
			o.filter.String(), render.FormatTable, render.FormatCSV, render.FormatHTML, render.FormatMarkdown)
	}
	return nil
}

// options are the render options of the --format output.
func (o *viewFlags) options(color bool, width int, files render.Files) render.Options {
	return render.Options{Color: color, Width: width, Filter: o.filter, All: o.All, Files: files}
}

// warnNoMatch tells the user on stderr that the filter keeps no path, for
// formats that cannot say it themselves (the terminal report says it).
func (o *viewFlags) warnNoMatch(errOut io.Writer, rep *report.Report, format string) {
	if o.filter.Empty() || strings.EqualFold(strings.TrimSpace(format), render.FormatTable) {
		return
	}
	if render.Matching(rep, o.filter) == 0 {
		fmt.Fprintf(errOut, "ntlmscan: warning: no path matches %s (of %d paths); the %s output lists none\n",
			o.filter.String(), len(rep.Matrix.Paths), safetext.Escape(format))
	}
}

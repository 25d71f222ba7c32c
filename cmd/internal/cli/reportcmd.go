package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ntlmscan/ntlmscan/cmd/internal/outdir"
	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/waiver"
)

func newReportCmd(f *Factory) *cobra.Command {
	var format, output, waiversPath, limit string
	var noColor bool
	var view viewFlags
	cmd := &cobra.Command{
		Use:   "report SCAN.json",
		Short: "Re-render a saved JSON report as table, CSV, HTML, Markdown or JSON",
		Long: `report reads a JSON report written by scan (--json, or --output-dir's files) and
renders it again, without contacting any host. With --waivers it re-applies a
(possibly updated) waivers file as of today.`,
		Example: `  ntlmscan report /var/lib/ntlmscan/latest.json
  ntlmscan report latest.json --format html -o estate.html
  ntlmscan report latest.json --format csv > paths.csv
  ntlmscan report latest.json --verdict blocked,unknown --core CORE01
  ntlmscan report latest.json --format markdown-summary -o ticket.md`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := render.New(format)
			if err != nil {
				return &FlagError{Err: fmt.Errorf("--format: %w", err)}
			}
			if err := view.check(format); err != nil {
				return err
			}
			rep, err := loadReport(args[0])
			if err != nil {
				return WithCode(ExitError, err)
			}
			warnMigrated(f, args[0], rep)
			if limit != "" {
				if err := limitReport(rep, limit, f.IO.ErrOut); err != nil {
					return err
				}
			}
			if waiversPath != "" {
				w, err := loadWaivers(waiversPath)
				if err != nil {
					return WithCode(ExitError, err)
				}
				rep.Waivers = nil
				waiver.Apply(rep, w, f.Now().UTC())
				markWaivedChanges(rep.Baseline, rep)
			}
			view.warnNoMatch(f.IO.ErrOut, rep, format)
			// The JSON this report came from is what plan and report read.
			files := render.Files{JSON: args[0]}
			if output != "" && output != "-" {
				return writeRenderedOpts(output, format, rep, view.options(false, 0, files))
			}
			color := f.IO.IsStdoutTTY() && !noColor && f.Getenv("NO_COLOR") == ""
			width := 0
			if f.IO.IsStdoutTTY() {
				width = f.IO.Width()
			}
			return r.Render(f.IO.Out, rep, view.options(color, width, files))
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", render.FormatTable, "output `FORMAT`: "+strings.Join(render.Formats(), ", "))
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this `FILE` instead of stdout")
	cmd.Flags().StringVar(&waiversPath, "waivers", "", "re-apply this waivers `FILE` as of today")
	cmd.Flags().StringVar(&limit, "limit", "", "only the paths whose Core or target matches `PATTERN` (names, globs, groups, tag:TAG; a:b, a:&b, !a)")
	cmd.Flags().BoolVar(&noColor, "no-color", false, "never colour the output")
	addViewFlags(cmd, &view)
	return cmd
}

func newDiffCmd(f *Factory) *cobra.Command {
	var format, output string
	var noColor bool
	cmd := &cobra.Command{
		Use:   "diff OLD.json NEW.json",
		Short: "Show new, fixed and changed paths between two saved scans",
		Long: `diff compares two JSON reports: paths newly blocked, paths fixed, verdicts that
changed, paths added or removed. Exit code 2 when NEW has blocked paths that OLD
did not (so a script can alert on drift), else 0.

With -o FILE the comparison goes to FILE in the format its name ends with
(.csv, .html, .md, .json, .txt) unless --format names one.`,
		Example: `  ntlmscan diff /var/lib/ntlmscan/ntlmscan-20261123T023000Z.json /var/lib/ntlmscan/latest.json
  ntlmscan diff before.json after.json --format markdown
  ntlmscan diff before.json after.json -o changes.csv
  ntlmscan diff before.json after.json -o changes.html`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			toFile := output != "" && output != "-"
			if toFile && !cmd.Flags().Changed("format") {
				format = render.DiffFormatForFile(output)
				if format == "" {
					return FlagErrorf("--format: cannot tell the format from the name %s: name it .csv, .html, .md, .json or .txt, or give --format (%s)",
						output, strings.Join(render.DiffFormats(), ", "))
				}
			}
			r, err := render.NewDiff(format)
			if err != nil {
				return &FlagError{Err: fmt.Errorf("--format: %w", err)}
			}
			oldRep, err := loadReport(args[0])
			if err != nil {
				return WithCode(ExitError, err)
			}
			newRep, err := loadReport(args[1])
			if err != nil {
				return WithCode(ExitError, err)
			}
			warnMigrated(f, args[0], oldRep)
			warnMigrated(f, args[1], newRep)
			cmp := report.Compare(oldRep, newRep)
			if toFile {
				err := outdir.WriteFileAtomicFunc(output, func(w io.Writer) error { return r.RenderDiff(w, cmp, render.Options{}) })
				if err != nil {
					return WithCode(ExitError, err)
				}
				return SilentCode(diffExitCode(cmp))
			}
			color := f.IO.IsStdoutTTY() && !noColor && f.Getenv("NO_COLOR") == ""
			width := 0
			if f.IO.IsStdoutTTY() {
				width = f.IO.Width()
			}
			if err := r.RenderDiff(f.IO.Out, cmp, render.Options{Color: color, Width: width}); err != nil {
				return WithCode(ExitError, err)
			}
			return SilentCode(diffExitCode(cmp))
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", render.FormatTable, "output `FORMAT`: "+strings.Join(render.DiffFormats(), ", ")+" (with -o: from the file's extension unless given)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this `FILE` instead of stdout")
	cmd.Flags().BoolVar(&noColor, "no-color", false, "never colour the output")
	return cmd
}

// markWaivedChanges recomputes which baseline changes an active waiver
// covers, after the waivers were re-applied: the saved flags reflect the
// waivers file of the original scan.
func markWaivedChanges(c *report.Comparison, rep *report.Report) {
	if c == nil {
		return
	}
	waivers := rep.WaiverIndex()
	for _, list := range [][]report.PathChange{c.New, c.Fixed, c.Changed, c.Added, c.Removed} {
		for i := range list {
			list[i].Waived = list[i].After != "" && waivers[list[i].PathID].Active()
		}
	}
}

// warnMigrated tells the user that a report from an older ntlmscan was read.
func warnMigrated(f *Factory, path string, rep *report.Report) {
	if note := rep.MigrationNote(); note != "" {
		fmt.Fprintf(f.IO.ErrOut, "ntlmscan: warning: %s: %s\n", path, note)
	}
}

package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ntlmscan/ntlmscan/cmd/internal/iostreams"
	"github.com/ntlmscan/ntlmscan/cmd/internal/outdir"
	"github.com/ntlmscan/ntlmscan/report/render"
)

// planOptions are the inputs of `ntlmscan plan`.
type planOptions struct {
	IO         *iostreams.IOStreams
	ReportPath string
	Format     string
	Output     string // file; "" or "-" = stdout
	Host       string // only this host's changes
	Limit      string // only the changes of these paths
}

func newPlanCmd(f *Factory, runF func(*planOptions) error) *cobra.Command {
	o := &planOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "plan SCAN.json",
		Short: "Show the change plan of a saved scan: one change per host and setting",
		Long: `plan reads a JSON report written by scan and prints its change plan: every fix the
report's paths need, merged into one change per host and setting. A list change
(ClientAllowedNTLMServers, DCAllowedNTLMServers, BlockNTLMServerExceptionList)
holds the full final list (what the host has plus every entry any path needs),
and its PowerShell line only adds missing entries, so lines can run in any order
and more than once. Exception entries are added only for paths that need NTLM
(one exact entry each: the name the Core uses); a path where Kerberos is expected
gets a "verify Kerberos" step (the SPN to check and register) instead. A value a
GPO sets is changed in that GPO (name, GUID, the template or Set-GPRegistryValue
line); a host whose reported name disagrees with the inventory gets only a
manual step with a warning. Changes ntlmscan cannot script are listed too.

Formats: text (default), json (the full lists), csv (one row per change, for
change tickets), markdown (a change-board text under 32 KB: counts, top
changes), powershell (one script with a guarded section per host: stops at the
first error, supports -WhatIf, saves the values it overwrites to -BackupPath;
UTF-8 with a byte order mark, which Windows PowerShell 5.1 needs to read names
right), powershell-undo (reverses the powershell script's changes).

More: ntlmscan help change-plan.`,
		Example: `  ntlmscan plan latest.json
  ntlmscan plan latest.json --host DC02
  ntlmscan plan latest.json --format powershell -o ntlm-fixes.ps1
  ntlmscan plan latest.json --format powershell-undo -o ntlm-fixes-undo.ps1
  ntlmscan plan latest.json --format markdown > change-board.md
  ntlmscan plan latest.json --format csv > changes.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ReportPath = args[0]
			found := false
			for _, v := range render.PlanFormats() {
				found = found || strings.EqualFold(o.Format, v)
			}
			if !found && !strings.EqualFold(o.Format, "ps1") && !strings.EqualFold(o.Format, "md") {
				return FlagErrorf("--format %q: want one of %s", o.Format, strings.Join(render.PlanFormats(), ", "))
			}
			if runF != nil {
				return runF(o)
			}
			return planRun(o)
		},
	}
	cmd.Flags().StringVarP(&o.Format, "format", "f", render.PlanText, "output `FORMAT`: "+strings.Join(render.PlanFormats(), ", "))
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "write to this `FILE` instead of stdout")
	cmd.Flags().StringVar(&o.Host, "host", "", "only the changes on this `HOST` (inventory name)")
	cmd.Flags().StringVar(&o.Limit, "limit", "", "only the changes the paths of Cores or targets matching `PATTERN` need (names, globs, groups, tag:TAG; a:b, a:&b, !a)")
	return cmd
}

func planRun(o *planOptions) error {
	rep, err := loadReport(o.ReportPath)
	if err != nil {
		return WithCode(ExitError, err)
	}
	if note := rep.MigrationNote(); note != "" {
		fmt.Fprintf(o.IO.ErrOut, "ntlmscan: warning: %s: %s\n", o.ReportPath, note)
	}
	if o.Limit != "" {
		if err := limitReport(rep, o.Limit, o.IO.ErrOut); err != nil {
			return err
		}
	}
	if o.Host != "" {
		var keep = rep.Matrix.Plan[:0:0]
		for _, c := range rep.Matrix.Plan {
			// A GPO edit covering several hosts (Hosts) is theirs too.
			if strings.EqualFold(c.Host, o.Host) || slices.ContainsFunc(c.Hosts, func(h string) bool { return strings.EqualFold(h, o.Host) }) {
				keep = append(keep, c)
			}
		}
		if len(keep) == 0 {
			fmt.Fprintf(o.IO.ErrOut, "ntlmscan: no change on host %s in %s\n", o.Host, o.ReportPath)
		}
		rep.Matrix.Plan = keep
	}
	if o.Output != "" && o.Output != "-" {
		if err := outdir.WriteFileAtomicFunc(o.Output, func(w io.Writer) error { return render.RenderPlan(w, rep, o.Format) }); err != nil {
			return WithCode(ExitError, err)
		}
		return nil
	}
	if err := render.RenderPlan(o.IO.Out, rep, o.Format); err != nil {
		return WithCode(ExitError, err)
	}
	return nil
}

package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/report/waiver"
)

// mergeOptions are the inputs of `merge`.
type mergeOptions struct {
	f             *Factory
	InventoryPath string
	Shards        []string
	Output        string
	Format        string
	WaiversPath   string
}

func newMergeCmd(f *Factory) *cobra.Command {
	o := &mergeOptions{f: f}
	cmd := &cobra.Command{
		Use:   "merge -i INVENTORY SHARD.json... -o FLEET.json",
		Short: "Merge the reports of site shards into one report, judging every path again",
		Long: `merge reads the JSON reports of shards of one estate (each site scanned from its own
jump host) and judges every path of the whole inventory again from the union of their
facts, so a Core, its domain controllers and its targets may sit in different shards.
A host in more than one shard is taken from the newest scan of it, with a note. The
result is a report like any other: render it with ntlmscan report, compare it with diff.`,
		Example: `  ntlmscan merge -i estate.yaml site-a.json site-b.json site-c.json -o fleet.json
  ntlmscan report fleet.json --format html -o fleet.html`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Shards = args
			if o.InventoryPath == "" {
				return FlagErrorf("--inventory is required: the whole estate's inventory, which every shard is a part of")
			}
			if len(o.Shards) == 0 {
				return FlagErrorf("give at least one shard report (the JSON of a scan)")
			}
			if _, err := render.New(o.Format); err != nil {
				return &FlagError{Err: fmt.Errorf("--format: %w", err)}
			}
			return exitWith(mergeRun(o))
		},
	}
	cmd.Flags().StringVarP(&o.InventoryPath, "inventory", "i", "", "the whole estate's inventory `FILE` (required)")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "write the merged report to this `FILE` (default stdout)")
	cmd.Flags().StringVarP(&o.Format, "format", "f", render.FormatJSON, "output `FORMAT`: "+strings.Join(render.Formats(), ", "))
	cmd.Flags().StringVar(&o.WaiversPath, "waivers", "", "apply this waivers `FILE` to the merged report")
	return cmd
}

// mergeRun reads the inventory and shards, merges the facts, judges every
// path with the verdict engine and writes the report.
func mergeRun(o *mergeOptions) (int, error) {
	inv, err := inventory.Load(o.InventoryPath)
	if err != nil {
		return ExitError, describeInventoryError(err)
	}
	shards := make([]report.Shard, 0, len(o.Shards))
	var errs []error
	for _, path := range o.Shards {
		rep, err := loadReport(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("shard %w", err))
			continue
		}
		warnMigrated(o.f, path, rep)
		shards = append(shards, report.Shard{File: path, Report: rep})
	}
	if err := errors.Join(errs...); err != nil {
		return ExitError, err
	}
	strict, err := sameJudgement(shards)
	if err != nil {
		return ExitError, err
	}
	hosts, info := report.MergeHosts(inv, shards)
	for _, n := range info.Notes {
		fmt.Fprintf(o.f.IO.ErrOut, "ntlmscan: note: %s\n", n)
	}
	now := o.f.Now().UTC()
	rep := &report.Report{
		RunID:       newRunID(now),
		GeneratedAt: now,
		ToolVersion: o.f.Version,
		Inventory:   o.InventoryPath,
		Options:     report.Options{Strict: strict, FailOn: shards[0].Report.Options.FailOn},
		Hosts:       hosts,
		Matrix:      *verdict.Evaluate(inv, hosts, nil, verdict.Options{Strict: strict}),
		Merge:       info,
	}
	if o.WaiversPath != "" {
		w, err := loadWaivers(o.WaiversPath)
		if err != nil {
			return ExitError, err
		}
		waiver.Apply(rep, w, now)
	}
	if o.Output == "" || o.Output == "-" {
		r, _ := render.New(o.Format)
		if err := r.Render(o.f.IO.Out, rep, render.Options{}); err != nil {
			return ExitError, err
		}
		return ExitOK, nil
	}
	if err := writeRendered(o.Output, o.Format, rep, render.Files{}); err != nil {
		return ExitError, err
	}
	return ExitOK, nil
}

// sameJudgement checks that the shards were judged alike: --strict changes
// verdicts, and a what-if overlay describes settings no shard collected.
func sameJudgement(shards []report.Shard) (strict bool, err error) {
	first := shards[0]
	for _, s := range shards {
		if s.Report.Options.Overlay != "" {
			return false, fmt.Errorf("shard %s was scanned with the what-if overlay %q: merge shards scanned without --assume", s.File, s.Report.Options.Overlay)
		}
		if s.Report.Options.Strict != first.Report.Options.Strict {
			return false, fmt.Errorf("shard %s was scanned with --strict=%t but %s with --strict=%t: scan every shard alike",
				s.File, s.Report.Options.Strict, first.File, first.Report.Options.Strict)
		}
	}
	return first.Report.Options.Strict, nil
}

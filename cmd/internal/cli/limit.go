package cli

import (
	"fmt"
	"io"
	"slices"

	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/inventory/safetext"
	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// limitReport keeps the paths of a saved report whose Core or target
// matches --limit, and the plan's changes for those paths (a change keeps
// its full final list: it is what the host needs for every path; a GPO
// edit merged over several hosts, Change.Hosts, is kept whole, as one GPO
// cannot be edited for part of its hosts). The what-if summary counts the
// kept paths only. Tags and groups come from the inventory the scan used,
// when it can be read.
func limitReport(rep *report.Report, text string, errOut io.Writer) error {
	l, err := inventory.ParseLimit(text)
	if err != nil {
		return &FlagError{Err: err}
	}
	tags := map[string][]string{}
	aliases := map[string][]string{}
	if inv, err := inventory.Load(rep.Inventory); err == nil {
		for _, h := range inv.Hosts {
			tags[h.Name], aliases[h.Name] = h.Tags, inventory.NameForms(h)
		}
	} else if l.NeedsTags() {
		return WithCode(ExitError, fmt.Errorf("--limit %s uses tags, which only the inventory knows, and the report's inventory %s cannot be read: %w",
			safetext.Escape(text), safetext.Escape(rep.Inventory), err))
	}
	subject := func(name string) inventory.Subject {
		return inventory.Subject{Name: name, Aliases: aliases[name], Tags: tags[name]}
	}
	var keep []verdict.Path
	ids := map[string]bool{}
	for _, p := range rep.Matrix.Paths {
		if l.Match(subject(p.Core)) || l.Match(subject(p.Target)) {
			keep = append(keep, p)
			ids[p.ID] = true
		}
	}
	if len(keep) == 0 {
		return WithCode(ExitError, fmt.Errorf("--limit %s matches no path of the report (its Cores and targets are matched)", safetext.Escape(text)))
	}
	var plan []verdict.Change
	for _, c := range rep.Matrix.Plan {
		if slices.ContainsFunc(c.Paths, func(id string) bool { return ids[id] }) {
			plan = append(plan, c)
		}
	}
	fmt.Fprintf(errOut, "--limit %s: left out %d of %d paths and %d of %d changes\n", safetext.Escape(text),
		len(rep.Matrix.Paths)-len(keep), len(rep.Matrix.Paths), len(rep.Matrix.Plan)-len(plan), len(rep.Matrix.Plan))
	rep.Matrix.Paths, rep.Matrix.Plan = keep, plan
	if s := rep.Matrix.PlanSummary; s != nil {
		rep.Matrix.PlanSummary = verdict.SummarizePlan(s.Overlay, keep)
	}
	return nil
}

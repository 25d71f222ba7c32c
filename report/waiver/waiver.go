// Package waiver reads waiver files and applies them to a scan report. A
// waiver excuses one known NTLM problem until a date: the path is still shown
// (marked waived) but does not count toward --fail-on. After its expiry date
// the waiver counts again and is reported as expired.
//
// File format (YAML, strict: unknown keys, duplicate keys and duplicate
// waivers are errors with their line number):
//
//	waivers:
//	  - path: "CORE02|share|NAS01|nas01"  # a Path.ID from the report
//	    owner: storage-team@corp.example
//	    reason: NAS01 is replaced by FS02 in CHG-2304
//	    expires: 2027-12-31               # holds through that day, UTC
//	  - core: CORE01                      # or: every path from core to target,
//	    target: AGENT02                   # optionally only of one kind
//	    kind: agent                       # (agent, replication or share)
//	    owner: j.doe@corp.example
//	    reason: AGENT02 moves to FQDN registration in CHG-2291
//	    expires: 2027-01-31
package waiver

import (
	"strings"
	"time"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// DateLayout is how expiry dates are written.
const DateLayout = "2006-01-02"

// File is a parsed waiver file.
type File struct {
	Name    string // as given to Parse, for messages and the report
	Waivers []Waiver
}

// Waiver is one entry. Either PathID is set, or Core and Target (and
// optionally Kind).
type Waiver struct {
	PathID  string
	Core    string
	Target  string
	Kind    verdict.Kind // "" = agent and share paths
	Owner   string
	Reason  string
	Expires time.Time // midnight UTC of the expiry date
	Line    int
}

// Matches reports whether the waiver covers p. Names compare
// case-insensitively, as inventory names do.
func (w *Waiver) Matches(p *verdict.Path) bool {
	if w.PathID != "" {
		return strings.EqualFold(w.PathID, p.ID)
	}
	return strings.EqualFold(w.Core, p.Core) && strings.EqualFold(w.Target, p.Target) &&
		(w.Kind == "" || w.Kind == p.Kind)
}

// Expired reports whether the waiver no longer holds at now: it holds
// through the whole expiry date, UTC.
func (w *Waiver) Expired(now time.Time) bool {
	return !now.Before(w.Expires.AddDate(0, 0, 1))
}

// Selector describes what the waiver matches, as the report shows it.
func (w *Waiver) Selector() string {
	if w.PathID != "" {
		return w.PathID
	}
	s := "core=" + w.Core + " target=" + w.Target
	if w.Kind != "" {
		s += " kind=" + string(w.Kind)
	}
	return s
}

// Ref is the waiver as recorded in a report.
func (w *Waiver) Ref() report.WaiverRef {
	return report.WaiverRef{
		Line: w.Line, Match: w.Selector(), Owner: w.Owner, Reason: w.Reason,
		Expires: w.Expires.Format(DateLayout),
	}
}

// Apply records in r which paths f waives, at time now (injected), and which
// waivers matched no path. It replaces r.Waivers. When several waivers match
// a path, the first active one in file order wins; if all have expired, the
// first expired one is reported. A nil f clears r.Waivers.
func Apply(r *report.Report, f *File, now time.Time) {
	if f == nil {
		r.Waivers = nil
		return
	}
	out := &report.Waivers{File: f.Name, Applied: []report.AppliedWaiver{}}
	used := make([]bool, len(f.Waivers))
	for i := range r.Matrix.Paths {
		p := &r.Matrix.Paths[i]
		var chosen *Waiver
		for j := range f.Waivers {
			w := &f.Waivers[j]
			if !w.Matches(p) {
				continue
			}
			used[j] = true
			if chosen == nil || (chosen.Expired(now) && !w.Expired(now)) {
				chosen = w
			}
		}
		if chosen != nil {
			out.Applied = append(out.Applied, report.AppliedWaiver{
				PathID: p.ID, WaiverRef: chosen.Ref(), Expired: chosen.Expired(now),
			})
		}
	}
	for j := range f.Waivers {
		if !used[j] {
			out.Unused = append(out.Unused, f.Waivers[j].Ref())
		}
	}
	r.Waivers = out
}

// Package report is the scan report document: what one ntlmscan run found
// (host facts and errors, the verdict matrix, the baseline comparison and the
// waivers applied), its versioned JSON form, and the pure functions nightly
// runs need (Compare, Findings). It performs no file or network I/O; callers
// hand it io.Readers and io.Writers.
package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// Kind identifies a scan report document, so that `ntlmscan report` can tell
// a report from a diff, an inventory or some other JSON file.
const Kind = "ntlmscan.report"

// SchemaVersion is the version of the report's JSON shape. Bump it whenever
// the shape changes (including the embedded facts and verdict types): the
// decoder refuses unknown fields and other versions.
//
// Schema 2 (issue 9/10): verdict blocked-suspected, reasons that reference
// list values in the host facts (valueInFacts) instead of copying them,
// structured remediations (add, set, rename, change), matrix coverage and
// plan. A schema 1 document is a subset of it and is read (migrated), with
// MigratedFrom set so callers can say so.
//
// Schema 3: the SMB probe of share hosts (hosts[].smb) and the reasons
// built on it; path kind replication, and every path's operations and
// impact; evidence per path (NTLM events, Kerberos verification), unmatched
// events, at-risk counts by evidence state, the plan's phase 0 (step
// "audit"), Kerberos checks on the Cores' results and the hosts' NTLM event
// reads; the policy sources (hosts[].facts.policySources, RSoP) and each
// deciding reason's source, and the scoped plan of issue 16 (change kinds
// verify-kerberos and baseline-edit, changes' was, source, gpoEdit, hosts
// and guard, the what-if planSummary); the baseline's not-comparable paths
// (baseline.notComparable), host waivers (waivers.hosts), the shards of a
// merged report (merge) and the output directory's trend (trend), all
// optional. A schema 2 document is a subset of it: it is read, its paths
// with no operations and no evidence state, its values with no source.
const SchemaVersion = 3

// oldestReadableSchema is the oldest schema Decode migrates.
const oldestReadableSchema = 1

// Report is everything one scan produced.
type Report struct {
	Kind   string `json:"kind"`
	Schema int    `json:"schema"`
	RunID  string `json:"runId"`
	// GeneratedAt is the scan time (injected Now), always written in UTC.
	GeneratedAt time.Time `json:"generatedAt"`
	ToolVersion string    `json:"toolVersion"`
	// Inventory is the inventory file the scan used, as given by the user.
	Inventory string  `json:"inventory"`
	Options   Options `json:"options"`
	// Hosts holds one result per inventory host: facts or a classified error.
	Hosts  []facts.HostResult `json:"hosts"`
	Matrix verdict.Matrix     `json:"matrix"`
	// Baseline is set when the scan was compared with an earlier report.
	Baseline *Comparison `json:"baseline,omitempty"`
	// Waivers is set when a waiver file was applied.
	Waivers *Waivers `json:"waivers,omitempty"`
	// Merge is set when the report was merged from shard reports.
	Merge *MergeInfo `json:"merge,omitempty"`
	// Trend is the output directory's last runs, this one last (--output-dir).
	Trend []TrendPoint `json:"trend,omitempty"`
	// MigratedFrom is the schema of the document Decode read when it was
	// older than SchemaVersion (0 otherwise). Never written.
	MigratedFrom int `json:"-"`
}

// MigrationNote says what reading an older report means, for a warning.
func (r *Report) MigrationNote() string {
	if r == nil || r.MigratedFrom == 0 {
		return ""
	}
	if r.MigratedFrom >= 2 {
		return fmt.Sprintf("report schema %d (an older ntlmscan) read as schema %d: it has no SMB probe facts of share hosts (its share paths were judged without them), its paths do not say which Rapid Recovery operations they serve, it has no replication paths, it has no NTLM event evidence or Kerberos verification, so its at-risk paths carry no evidence state, and it does not say which GPO sets each value, so its plan has no GPO edits or Kerberos checks; re-run the scan for a current report",
			r.MigratedFrom, SchemaVersion)
	}
	return fmt.Sprintf("report schema %d (an older ntlmscan) read as schema %d: it has no change plan, and its verdicts follow the older rules (e.g. unreachable ranked above blocked, one of several DCs counted as blocked); re-run the scan for a current report",
		r.MigratedFrom, SchemaVersion)
}

// Options records how the scan was asked to judge paths.
type Options struct {
	Strict  bool   `json:"strict"`
	Overlay string `json:"overlay,omitempty"` // name of the what-if overlay, if any
	FailOn  string `json:"failOn,omitempty"`  // a FailOn value
}

// Comparison is the outcome of Compare: how the current scan differs from a
// baseline scan, and how long each path has been seen.
type Comparison struct {
	BaselineRunID       string    `json:"baselineRunId"`
	BaselineGeneratedAt time.Time `json:"baselineGeneratedAt"`
	CurrentRunID        string    `json:"currentRunId"`
	CurrentGeneratedAt  time.Time `json:"currentGeneratedAt"`
	// New lists paths blocked now that were not blocked, or did not exist,
	// in the baseline.
	New []PathChange `json:"new"`
	// Fixed lists paths blocked in the baseline that are not blocked now or
	// are gone.
	Fixed []PathChange `json:"fixed"`
	// Changed lists paths present in both scans whose verdict differs.
	Changed []PathChange `json:"changed"`
	// Added and Removed list paths present in only one of the two scans.
	Added   []PathChange `json:"added"`
	Removed []PathChange `json:"removed"`
	// History has one entry per current path, in matrix order.
	History []PathHistory `json:"history"`
	// NotComparable lists paths the current scan could not judge because a
	// host they depend on failed (a wrong password, a host down): they are
	// neither new nor fixed nor changed, and carry the last good verdict
	// forward so the next good night compares with it.
	NotComparable []CarriedPath `json:"notComparable,omitempty"`
}

// CarriedPath is a path the current scan could not judge, with the verdict
// of the last scan that could.
type CarriedPath struct {
	PathID   string          `json:"pathId"`
	Core     string          `json:"core"`
	Target   string          `json:"target"`
	Kind     verdict.Kind    `json:"kind"`
	NameUsed string          `json:"nameUsed"`
	After    verdict.Verdict `json:"after"` // tonight's verdict (unknown)
	// Carried is the last good verdict ("" when no good scan had the path).
	Carried verdict.Verdict `json:"carried,omitempty"`
	// FactsAt is when the carried verdict was found; Age is how old it is
	// at the current scan ("3d", "20h").
	FactsAt time.Time `json:"factsAt,omitzero"`
	Age     string    `json:"age,omitempty"`
	// FailedHosts are the hosts whose failure left the path unjudged.
	FailedHosts []string `json:"failedHosts"`
}

// PathChange is one path that differs between baseline and current scan.
type PathChange struct {
	PathID   string       `json:"pathId"`
	Core     string       `json:"core"`
	Target   string       `json:"target"`
	Kind     verdict.Kind `json:"kind"`
	NameUsed string       `json:"nameUsed"`
	// Before is the baseline verdict ("" when the path is new).
	Before verdict.Verdict `json:"before,omitempty"`
	// After is the current verdict ("" when the path is gone).
	After verdict.Verdict `json:"after,omitempty"`
	// Deciding is the current deciding reason (the baseline's for a path
	// that is gone).
	Deciding *verdict.Reason `json:"deciding,omitempty"`
	// Waived: an active waiver covers the path in the current report.
	Waived bool `json:"waived,omitempty"`
}

// PathHistory says since when a path has been seen.
type PathHistory struct {
	PathID    string    `json:"pathId"`
	FirstSeen time.Time `json:"firstSeen"`
	LastSeen  time.Time `json:"lastSeen"`
}

// Waivers records the waiver file applied to the report.
type Waivers struct {
	File string `json:"file"`
	// Applied has one entry per waived path (active or expired), in matrix order.
	Applied []AppliedWaiver `json:"applied"`
	// Unused lists waivers that matched no path (or, for a host waiver, no
	// failed host): stale entries to remove.
	Unused []WaiverRef `json:"unused,omitempty"`
	// Hosts has one entry per failed host a host waiver accepts (active or
	// expired), in host order.
	Hosts []AppliedHostWaiver `json:"hosts,omitempty"`
}

// AppliedHostWaiver is a waiver that accepts one host that could not be
// scanned: while active, the host does not make the run exit 4.
type AppliedHostWaiver struct {
	Host string `json:"host"`
	WaiverRef
	Expired bool `json:"expired"`
}

// Active reports whether the waiver still accepts its host.
func (w *AppliedHostWaiver) Active() bool { return w != nil && !w.Expired }

// HostWaiverIndex maps lower-cased host names to their host waiver.
func (r *Report) HostWaiverIndex() map[string]*AppliedHostWaiver {
	out := map[string]*AppliedHostWaiver{}
	if r == nil || r.Waivers == nil {
		return out
	}
	for i := range r.Waivers.Hosts {
		w := &r.Waivers.Hosts[i]
		out[strings.ToLower(w.Host)] = w
	}
	return out
}

// UnwaivedFailedHosts returns the failed hosts no active host waiver
// accepts, sorted by name: the hosts that make a run exit 4.
func (r *Report) UnwaivedFailedHosts() []facts.HostResult {
	idx := r.HostWaiverIndex()
	var out []facts.HostResult
	for _, h := range r.FailedHosts() {
		if !idx[strings.ToLower(h.Host)].Active() {
			out = append(out, h)
		}
	}
	return out
}

// WaiverRef describes one waiver as written in the waiver file.
type WaiverRef struct {
	Line   int    `json:"line"`
	Match  string `json:"match"` // "CORE02|share|NAS01|nas01" or "core=CORE01 target=AGENT02 kind=agent"
	Owner  string `json:"owner"`
	Reason string `json:"reason"`
	// Expires is a date (YYYY-MM-DD); the waiver holds through the end of
	// that day, UTC.
	Expires string `json:"expires"`
}

// AppliedWaiver is a waiver that matched one path.
type AppliedWaiver struct {
	PathID string `json:"pathId"`
	WaiverRef
	// Expired waivers no longer excuse the path: it counts toward --fail-on
	// again and is reported as expired.
	Expired bool `json:"expired"`
}

// Active reports whether the waiver still excuses its path.
func (w *AppliedWaiver) Active() bool { return w != nil && !w.Expired }

// WaiverIndex maps path IDs to their waiver, for renderers that look up
// every path. Callers must not range over it while writing output.
func (r *Report) WaiverIndex() map[string]*AppliedWaiver {
	out := map[string]*AppliedWaiver{}
	if r == nil || r.Waivers == nil {
		return out
	}
	for i := range r.Waivers.Applied {
		w := &r.Waivers.Applied[i]
		if _, dup := out[w.PathID]; !dup {
			out[w.PathID] = w
		}
	}
	return out
}

// HistoryIndex maps path IDs to their first/last seen times (empty without
// a baseline).
func (r *Report) HistoryIndex() map[string]PathHistory {
	out := map[string]PathHistory{}
	if r == nil || r.Baseline == nil {
		return out
	}
	for _, h := range r.Baseline.History {
		out[h.PathID] = h
	}
	return out
}

// NewIndex reports which path IDs are new blocked paths versus the baseline.
func (r *Report) NewIndex() map[string]bool {
	out := map[string]bool{}
	if r == nil || r.Baseline == nil {
		return out
	}
	for _, c := range r.Baseline.New {
		out[c.PathID] = true
	}
	return out
}

// FailedHosts returns the hosts that could not be scanned because something
// went wrong, sorted by name. Hosts that are only described in the inventory
// (error class not-scanned) are not failures; see DescribedHosts.
func (r *Report) FailedHosts() []facts.HostResult {
	return r.hostsWhere(func(h *facts.HostResult) bool {
		return h.Error != nil && h.Error.Class != facts.ErrNotScanned
	})
}

// DescribedHosts returns the hosts ntlmscan did not scan on purpose
// (described only, such as a NAS), sorted by name.
func (r *Report) DescribedHosts() []facts.HostResult {
	return r.hostsWhere(func(h *facts.HostResult) bool {
		return h.Error != nil && h.Error.Class == facts.ErrNotScanned
	})
}

// ScannedHosts returns the number of hosts whose facts were collected.
func (r *Report) ScannedHosts() int {
	n := 0
	for i := range r.Hosts {
		if r.Hosts[i].OK() {
			n++
		}
	}
	return n
}

func (r *Report) hostsWhere(keep func(*facts.HostResult) bool) []facts.HostResult {
	var out []facts.HostResult
	for i := range r.Hosts {
		if keep(&r.Hosts[i]) {
			out = append(out, r.Hosts[i])
		}
	}
	slices.SortStableFunc(out, func(a, b facts.HostResult) int { return compareFold(a.Host, b.Host) })
	return out
}

// compareFold orders names case-insensitively, then byte-wise so that the
// order is total and output stays deterministic.
func compareFold(a, b string) int {
	if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

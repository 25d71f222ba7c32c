package render

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

// CSVColumns are the CSV header, in order. They are a stable interface for
// change tickets and spreadsheets: add columns only at the end, never rename.
func CSVColumns() []string {
	return []string{
		"run_id",                 // report run id
		"generated_at",           // scan time, RFC 3339 UTC
		"path_id",                // Core|kind|target|name, stable across runs
		"core",                   // inventory name of the Core
		"target",                 // inventory name of the agent or share host
		"kind",                   // agent | share
		"share",                  // UNC path (share paths)
		"name_used",              // the name the Core uses for the target
		"name_form",              // fqdn | netbios | ip | other
		"port",                   // TCP port probed from the Core
		"tcp_reachable",          // yes | no | unknown
		"account",                // account the Core presents
		"ntlm_needed",            // required | fallback-only | unknown
		"ntlm_needed_why",        // why
		"verdict",                // ok | at-risk | blocked | unreachable | unknown
		"verdict_before_overlay", // verdict without the what-if overlay (only with --assume)
		"waiver",                 // waived | expired | empty
		"waiver_owner",           //
		"waiver_expires",         // YYYY-MM-DD
		"waiver_reason",          //
		"new_since_baseline",     // yes | no | empty without a baseline
		"deciding_host",          // host holding the deciding setting
		"deciding_setting",       // registry value name
		"deciding_value",         // raw value and label, e.g. "2 (Deny all)"
		"deciding_event",         // event id logged where it is enforced
		"reasons",                // every reason, one per line
		"remediation",            // every remediation, one per line
		"first_seen",             // RFC 3339 UTC; empty without a baseline
		"last_seen",              // RFC 3339 UTC; empty without a baseline
		"plan_changes",           // ids of the change-plan entries that fix this path, one per line
		"operations",             // Rapid Recovery operations the path serves, " | " separated
		"impact",                 // which operations fail when the path is not ok
		"evidence_state",         // blocked-observed | ntlm-observed | spn-missing | kerberos-rc4 | kerberos-verified | no-ntlm-seen | no-evidence | empty
		"evidence",               // what the NTLM event logs and the KDC show for the path
		"deciding_source",        // where the deciding value comes from: GPO (name, GUID), local, planned, unknown
	}
}

// The list columns: one entry per line inside the quoted cell (Excel and
// PowerShell's Import-Csv both read multi-line cells), never joined with
// a separator that PowerShell code or a path id could hold (" | " was
// both).
var (
	colReasons     = slices.Index(CSVColumns(), "reasons")
	colRemediation = slices.Index(CSVColumns(), "remediation")
	colPlan        = slices.Index(CSVColumns(), "plan_changes")
)

// renderCSV writes one RFC 4180 row per path (CRLF line ends, as Excel
// expects). Every cell is neutralised against spreadsheet formula injection.
func renderCSV(w io.Writer, r *report.Report, opts Options) error {
	v := newFilteredView(r, opts)
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(CSVColumns()); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	generated := r.GeneratedAt.UTC().Format(time.RFC3339)
	for _, rw := range v.Rows {
		p := rw.P
		var before string
		if p.Before != nil {
			before = string(p.Before.Verdict)
		}
		var waiver, owner, expires, why string
		if rw.Waiver != nil {
			waiver, owner, expires, why = "waived", rw.Waiver.Owner, rw.Waiver.Expires, rw.Waiver.Reason
			if rw.Waiver.Expired {
				waiver = "expired"
			}
		}
		var isNew string
		if r.Baseline != nil {
			isNew = yesNo(rw.New)
		}
		var dHost, dSetting, dValue, dEvent string
		if d := p.Deciding; d != nil {
			dHost, dSetting, dEvent = d.Host, d.Setting, d.Event
			dValue = valueText(d)
		}
		reasons := make([]string, 0, len(p.Reasons))
		for i := range p.Reasons {
			reasons = append(reasons, v.reasonText(&p.Reasons[i]))
		}
		var fixes []string
		for _, m := range remediations(p) {
			fixes = append(fixes, remediationText(m))
		}
		var plan []string
		for _, m := range remediations(p) {
			if m.Change != "" && !slices.Contains(plan, m.Change) {
				plan = append(plan, m.Change)
			}
		}
		var evState, evText string
		if ev := p.Evidence; ev != nil {
			evState, evText = string(ev.State), ev.Summary
		}
		var first, last string
		if rw.History != nil {
			first = rw.History.FirstSeen.UTC().Format(time.RFC3339)
			last = rw.History.LastSeen.UTC().Format(time.RFC3339)
		}
		record := []string{
			r.RunID, generated, p.ID, p.Core, p.Target, string(p.Kind), p.Share, p.NameUsed, string(p.NameForm),
			strconv.Itoa(p.Port), p.Reachable, p.Account, string(p.Need), p.NeedWhy, string(p.Verdict), before,
			waiver, owner, expires, why, isNew, dHost, dSetting, dValue, dEvent,
			"", "", first, last, "", // lists, below
			operationsCell(p.Operations), impactSentence(p),
			evState, evText,
			verdict.SourceText(decidingSource(p.Deciding)),
		}
		for i := range record {
			record[i] = csvCell(record[i])
		}
		record[colReasons], record[colRemediation], record[colPlan] = csvList(reasons), csvList(fixes), csvList(plan)
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

// csvCell makes one cell safe: control characters are shown as escapes, and
// a cell a spreadsheet would run as a formula (starting with = + - @, tab,
// CR or LF, or their full-width forms) gets a leading single quote, the
// OWASP-recommended neutralisation.
func csvCell(s string) string { return csvGuard(clean(s)) }

// csvList is a cell holding one list entry per line: each entry is cleaned
// on its own (a line break inside an entry shows as \x0a, so it cannot
// fake a second entry), then the cell is guarded like any other.
func csvList(list []string) string {
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = clean(e)
	}
	return csvGuard(strings.Join(out, "\n"))
}

// csvGuard quotes a cleaned cell that a spreadsheet would run as a formula.
func csvGuard(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return "'" + s
	}
	for _, fw := range []string{"＝", "＋", "－", "＠"} {
		if strings.HasPrefix(s, fw) {
			return "'" + s
		}
	}
	return s
}

// operationsCell lists a path's operations by their labels, " | "
// separated like the other list cells.
func operationsCell(ops []string) string {
	labels := make([]string, len(ops))
	for i, o := range ops {
		labels[i] = verdict.OperationLabel(o)
	}
	return strings.Join(labels, " | ")
}

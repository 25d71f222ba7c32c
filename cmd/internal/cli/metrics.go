package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ntlmscan/ntlmscan/cmd/internal/outdir"
	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// lastSuccessMetric is the sample a run that did not succeed carries over
// from the previous metrics file.
const lastSuccessMetric = "ntlmscan_last_success_timestamp_seconds"

// runMetrics is what --metrics-file reports besides the report itself.
type runMetrics struct {
	Started  time.Time
	Finished time.Time
	ExitCode int
	// Success: the run completed and scanned something (findings and hosts
	// that failed do not make it unsuccessful; they have their own series).
	Success bool
}

// writeMetricsFile writes the Prometheus text format for node_exporter's
// textfile collector, atomically (temporary file + rename), so the
// collector never reads half a file. A run that did not succeed keeps the
// previous file's last-success time.
func writeMetricsFile(path string, rep *report.Report, m runMetrics) error {
	lastSuccess, known := previousLastSuccess(path)
	if m.Success {
		lastSuccess, known = float64(m.Finished.Unix()), true
	}
	err := outdir.WriteFileAtomicFunc(path, func(w io.Writer) error {
		return encodeMetrics(w, rep, m, lastSuccess, known)
	})
	if err != nil {
		return fmt.Errorf("--metrics-file: %w", err)
	}
	return nil
}

// previousLastSuccess reads the last-success sample of an earlier metrics
// file; a missing or foreign file has none.
func previousLastSuccess(path string) (float64, bool) {
	fh, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer fh.Close()
	sc := bufio.NewScanner(io.LimitReader(fh, 1<<20))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), lastSuccessMetric+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	}
	return 0, false
}

// evidenceNotAssessed is the evidence label of a path with no evidence
// assessment (plainly ok or blocked by its settings).
const evidenceNotAssessed verdict.EvidenceState = "not-assessed"

func pathEvidenceState(p *verdict.Path) verdict.EvidenceState {
	if p.Evidence == nil {
		return evidenceNotAssessed
	}
	return p.Evidence.State
}

// encodeMetrics writes the samples. Every verdict and error class is
// written, zero or not, so a series never vanishes between runs.
func encodeMetrics(w io.Writer, rep *report.Report, m runMetrics, lastSuccess float64, lastSuccessKnown bool) error {
	bw := bufio.NewWriter(w)
	gauge := func(name, help string) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
	}
	byVerdict := map[verdict.Verdict]int{}
	for i := range rep.Matrix.Paths {
		byVerdict[rep.Matrix.Paths[i].Verdict]++
	}
	gauge("ntlmscan_paths", "Core->agent, Core->share and replication paths of the last run, by verdict.")
	for _, v := range verdict.Order() {
		fmt.Fprintf(bw, "ntlmscan_paths{verdict=%q} %d\n", string(v), byVerdict[v])
	}
	// Evidence (NTLM events, Kerberos checks) is a second label beside
	// the verdict: summed over state it is ntlmscan_paths, and an alert can
	// single out at-risk paths where NTLM was actually observed.
	gauge("ntlmscan_paths_by_evidence", "Paths of the last run by verdict and evidence state ("+string(evidenceNotAssessed)+": the settings alone decide the path).")
	type verdictState struct {
		v verdict.Verdict
		s verdict.EvidenceState
	}
	byEvidence := map[verdictState]int{}
	for i := range rep.Matrix.Paths {
		p := &rep.Matrix.Paths[i]
		byEvidence[verdictState{p.Verdict, pathEvidenceState(p)}]++
	}
	for _, v := range verdict.Order() {
		for _, s := range append(verdict.EvidenceStates(), evidenceNotAssessed) {
			fmt.Fprintf(bw, "ntlmscan_paths_by_evidence{verdict=%q,state=%q} %d\n", string(v), string(s), byEvidence[verdictState{v, s}])
		}
	}
	waived := 0
	for _, a := range rep.WaiverIndex() {
		if a.Active() {
			waived++
		}
	}
	gauge("ntlmscan_paths_waived", "Paths an active waiver covers.")
	fmt.Fprintf(bw, "ntlmscan_paths_waived %d\n", waived)
	gauge("ntlmscan_findings", "Paths at or above --fail-on, waivers applied.")
	fmt.Fprintf(bw, "ntlmscan_findings %d\n", report.Findings(rep, rep.Options.FailOn))
	newBlocked, notComparable := 0, 0
	if rep.Baseline != nil {
		newBlocked, notComparable = len(rep.Baseline.New), len(rep.Baseline.NotComparable)
	}
	gauge("ntlmscan_paths_new_blocked", "Paths blocked now that were not in the baseline.")
	fmt.Fprintf(bw, "ntlmscan_paths_new_blocked %d\n", newBlocked)
	gauge("ntlmscan_paths_not_comparable", "Paths a failed host left unjudged; their last good verdict is carried forward.")
	fmt.Fprintf(bw, "ntlmscan_paths_not_comparable %d\n", notComparable)

	gauge("ntlmscan_hosts_scanned", "Hosts whose settings were collected.")
	fmt.Fprintf(bw, "ntlmscan_hosts_scanned %d\n", rep.ScannedHosts())
	byClass := map[facts.ErrorClass]int{}
	for _, h := range rep.FailedHosts() {
		byClass[h.Error.Class]++
	}
	gauge("ntlmscan_hosts_failed", "Hosts that could not be scanned, by error class (host waivers not applied).")
	for _, c := range facts.Default().Classes() {
		if c.Class == facts.ErrNotScanned {
			continue
		}
		fmt.Fprintf(bw, "ntlmscan_hosts_failed{class=%q} %d\n", string(c.Class), byClass[c.Class])
		delete(byClass, c.Class)
	}
	for c, n := range byClass { // a class the table lacks is still counted
		fmt.Fprintf(bw, "ntlmscan_hosts_failed{class=%q} %d\n", string(c), n)
	}
	gauge("ntlmscan_hosts_failed_unwaived", "Failed hosts no active host waiver accepts.")
	fmt.Fprintf(bw, "ntlmscan_hosts_failed_unwaived %d\n", len(rep.UnwaivedFailedHosts()))

	gauge("ntlmscan_scan_duration_seconds", "Wall time of the last run.")
	fmt.Fprintf(bw, "ntlmscan_scan_duration_seconds %s\n", strconv.FormatFloat(m.Finished.Sub(m.Started).Seconds(), 'f', -1, 64))
	gauge("ntlmscan_exit_code", "Exit code of the last run (0 clean, 2 findings, 4 hosts not scanned, 6 both, 1 error).")
	fmt.Fprintf(bw, "ntlmscan_exit_code %d\n", m.ExitCode)
	gauge("ntlmscan_last_run_timestamp_seconds", "When the last run finished, Unix time.")
	fmt.Fprintf(bw, "ntlmscan_last_run_timestamp_seconds %d\n", m.Finished.Unix())
	if lastSuccessKnown {
		gauge(lastSuccessMetric, "When the last successful run (complete, something scanned) finished, Unix time.")
		fmt.Fprintf(bw, "%s %s\n", lastSuccessMetric, strconv.FormatFloat(lastSuccess, 'f', -1, 64))
	}
	return bw.Flush()
}

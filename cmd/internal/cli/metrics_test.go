package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/cmd/internal/iostreams"
	"github.com/ntlmscan/ntlmscan/report/verdict"
)

func runAt(t *testing.T, now time.Time, env map[string]string, args ...string) result {
	t.Helper()
	io, _, out, errOut := iostreams.Test()
	f := &Factory{IO: io, Now: func() time.Time { return now }, Version: "test", LookupEnv: lookup(env)}
	code := Run(context.Background(), f, args)
	return result{code, out.String(), errOut.String()}
}

// metricValue returns the value of the sample written exactly as series.
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	for line := range strings.SplitSeq(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("no sample %s in:\n%s", series, text)
	return 0
}

// TestMetricsFile: --metrics-file writes the Prometheus text format for
// node_exporter's textfile collector: paths by verdict, failed hosts by
// class, the scan's duration, exit code and the time of the last successful
// run, which a run that scanned nothing leaves as it was. promtool accepts
// the file.
func TestMetricsFile(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := t.TempDir()
	prom := filepath.Join(dir, "ntlmscan.prom")
	scanJSON := filepath.Join(dir, "scan.json")
	r := runAt(t, fixedNow, env, "scan", "-i", invPath, "--quiet", "--json", scanJSON, "--metrics-file", prom)
	if r.code != ExitBoth {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rep, err := loadReport(scanJSON)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(prom)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, v := range verdict.Order() {
		want := 0
		for _, p := range rep.Matrix.Paths {
			if p.Verdict == v {
				want++
			}
		}
		if got := metricValue(t, text, `ntlmscan_paths{verdict="`+string(v)+`"}`); got != float64(want) {
			t.Errorf("paths %s = %v, want %d", v, got, want)
		}
	}
	// Paths by verdict and evidence state: every pair is written, and the
	// demo's evidence (NTLM events, Kerberos checks) shows up in them.
	withEvidence := 0
	for _, v := range verdict.Order() {
		sum := 0.0
		for _, s := range append(verdict.EvidenceStates(), evidenceNotAssessed) {
			want := 0
			for i := range rep.Matrix.Paths {
				if p := &rep.Matrix.Paths[i]; p.Verdict == v && pathEvidenceState(p) == s {
					want++
				}
			}
			got := metricValue(t, text, `ntlmscan_paths_by_evidence{verdict="`+string(v)+`",state="`+string(s)+`"}`)
			if got != float64(want) {
				t.Errorf("paths %s with evidence %s = %v, want %d", v, s, got, want)
			}
			if s != evidenceNotAssessed {
				withEvidence += want
			}
			sum += got
		}
		if sum != metricValue(t, text, `ntlmscan_paths{verdict="`+string(v)+`"}`) {
			t.Errorf("paths %s by evidence sum to %v, not ntlmscan_paths", v, sum)
		}
	}
	if withEvidence == 0 {
		t.Error("the demo scan has no path with evidence: the test cannot tell states apart")
	}
	failed := rep.FailedHosts()
	class := string(failed[0].Error.Class)
	if got := metricValue(t, text, `ntlmscan_hosts_failed{class="`+class+`"}`); got < 1 {
		t.Errorf("hosts failed %s = %v", class, got)
	}
	if got := metricValue(t, text, "ntlmscan_hosts_scanned"); got != float64(rep.ScannedHosts()) {
		t.Errorf("hosts scanned = %v, want %d", got, rep.ScannedHosts())
	}
	if got := metricValue(t, text, "ntlmscan_exit_code"); got != ExitBoth {
		t.Errorf("exit code metric = %v", got)
	}
	metricValue(t, text, "ntlmscan_scan_duration_seconds")
	if got := metricValue(t, text, "ntlmscan_last_success_timestamp_seconds"); got != float64(fixedNow.Unix()) {
		t.Errorf("last success = %v, want %d", got, fixedNow.Unix())
	}
	promtoolCheck(t, data)

	// A night that scans nothing (every password wrong) is not a success:
	// the last success stays at the earlier night, the run time moves on.
	later := fixedNow.Add(24 * time.Hour)
	bad := map[string]string{}
	for k := range env {
		bad[k] = "wrong-password"
	}
	bad["KRB5_CONFIG"] = env["KRB5_CONFIG"]
	if r := runAt(t, later, bad, "scan", "-i", invPath, "--quiet", "--metrics-file", prom); r.code != ExitError {
		t.Fatalf("wrong passwords: exit %d, want %d: %s", r.code, ExitError, r.stderr)
	}
	data, _ = os.ReadFile(prom)
	if got := metricValue(t, string(data), "ntlmscan_last_success_timestamp_seconds"); got != float64(fixedNow.Unix()) {
		t.Errorf("after a failed night last success = %v, want %d", got, fixedNow.Unix())
	}
	if got := metricValue(t, string(data), "ntlmscan_last_run_timestamp_seconds"); got != float64(later.Unix()) {
		t.Errorf("last run = %v, want %d", got, later.Unix())
	}
	if got := metricValue(t, string(data), "ntlmscan_hosts_scanned"); got != 0 {
		t.Errorf("hosts scanned after the failed night = %v", got)
	}
	promtoolCheck(t, data)
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// promtoolCheck runs `promtool check metrics` (Debian's prometheus
// package) on data; it skips without promtool unless integration is
// required.
func promtoolCheck(t *testing.T, data []byte) {
	t.Helper()
	tool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("NTLMSCAN_REQUIRE_INTEGRATION") == "1" {
			t.Fatalf("promtool not found (apt-get install prometheus): %v", err)
		}
		t.Skipf("promtool not found: %v", err)
	}
	cmd := exec.Command(tool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(data)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s\n---\n%s", err, out, data)
	}
}

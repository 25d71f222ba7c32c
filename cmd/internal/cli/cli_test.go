package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ntlmscan/ntlmscan/cmd/internal/iostreams"
	"github.com/ntlmscan/ntlmscan/cmd/internal/outdir"
	"github.com/ntlmscan/ntlmscan/examples"
	"github.com/ntlmscan/ntlmscan/inventory"
	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/report/verdict"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// Lab passwords of the demo fleet (examples/lab.yaml); lab-only values.
const (
	demoScanPassword  = "Lab-Only-Passw0rd!"
	demoLocalPassword = "Lab-Only-Local1!"
)

var fixedNow = time.Date(2026, 11, 24, 2, 30, 0, 0, time.UTC)

type result struct {
	code           int
	stdout, stderr string
}

// run executes one ntlmscan command line with buffered streams.
func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	io, _, out, errOut := iostreams.Test()
	f := &Factory{IO: io, Now: func() time.Time { return fixedNow }, Version: "test", LookupEnv: lookup(env)}
	code := Run(context.Background(), f, args)
	return result{code, out.String(), errOut.String()}
}

// lookup is an os.LookupEnv over env: the whole environment a test's
// command sees (the process's is never read, so tests run in parallel).
func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// demoFleet starts the demo lab on ephemeral ports and writes the demo
// inventory, pointed at it, into a temporary directory. The real scan path
// (inventory file, credentials from the environment, masterzen transport)
// runs against it, as it would against Windows. env is the environment a
// scan of it needs: the lab passwords.
func demoFleet(t *testing.T) (invPath string, srv *winrmtest.Server, env map[string]string) {
	t.Helper()
	lab, err := winrmtest.ParseLab(examples.DemoLab, "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return labFleet(t, lab, examples.DemoInventory)
}

// labFleet is demoFleet for a given lab and inventory text.
func labFleet(t *testing.T, lab *winrmtest.Lab, invYAML []byte) (invPath string, srv *winrmtest.Server, env map[string]string) {
	t.Helper()
	dir := t.TempDir()
	fleet, err := winrmtest.StartFleet(lab, invYAML, "inventory.yaml", winrmtest.WithEphemeralPorts(),
		winrmtest.WithLogger(slog.New(slog.DiscardHandler)), winrmtest.WithFleetDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fleet.Close)
	invPath = filepath.Join(dir, "inventory.yaml")
	if err := fleet.WriteInventory(invPath); err != nil {
		t.Fatal(err)
	}
	env = maps.Clone(fleet.Env)
	// Never this machine's krb5.conf: without one, AGENT07 (auth: kerberos)
	// fails as kerberos-config, the failed host these tests count on.
	// TestScanKerberosAgent gives it the lab KDC's.
	env["KRB5_CONFIG"] = filepath.Join(dir, "no-krb5.conf")
	return invPath, fleet.Server, env
}

// withEnv returns env with more set on top.
func withEnv(env, more map[string]string) map[string]string {
	out := maps.Clone(env)
	maps.Copy(out, more)
	return out
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func TestDemoShowsEveryVerdict(t *testing.T) {
	t.Parallel()
	r := run(t, nil, "demo", "--no-color")
	if r.code != ExitOK {
		t.Fatalf("demo exit %d, stderr:\n%s", r.code, r.stderr)
	}
	for _, v := range []string{"ok", "at-risk", "blocked", "unreachable", "unknown"} {
		if !strings.Contains(r.stdout, " "+v+" ") {
			t.Errorf("demo output lacks a %q path:\n%s", v, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "MATRIX") {
		t.Errorf("demo output lacks the matrix grid")
	}
}

func TestDemoWhatIfShowsChangedVerdicts(t *testing.T) {
	t.Parallel()
	r := run(t, nil, "demo", "--what-if", "--format", "json", "--quiet=false")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rep, err := report.Decode(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Options.Overlay == "" {
		t.Fatal("overlay name not recorded")
	}
	changed := 0
	for _, p := range rep.Matrix.Paths {
		if p.Changed() {
			changed++
		}
	}
	if changed == 0 {
		t.Fatal("the what-if overlay changed no verdict")
	}
}

func TestScanExitCodesAndFiles(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := t.TempDir()
	csvPath, jsonPath := filepath.Join(dir, "paths.csv"), filepath.Join(dir, "scan.json")
	htmlPath, mdPath := filepath.Join(dir, "scan.html"), filepath.Join(dir, "scan.md")

	r := run(t, env, "scan", "-i", invPath, "--quiet", "--csv", csvPath, "--json", jsonPath, "--html", htmlPath, "--markdown", mdPath)
	// Blocked paths (2) and AGENT07, which offers only Kerberos (4).
	if r.code != ExitBoth {
		t.Fatalf("scan exit %d, want %d; stderr:\n%s", r.code, ExitBoth, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("--quiet printed a report: %q", r.stdout)
	}
	for _, p := range []string{csvPath, jsonPath, htmlPath, mdPath} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s not written: %v", p, err)
		}
	}

	// CSV: documented header, one row per path.
	fh, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(fh).ReadAll()
	fh.Close()
	if err != nil {
		t.Fatalf("CSV is not RFC 4180: %v", err)
	}
	if strings.Join(rows[0], ",") != strings.Join(render.CSVColumns(), ",") {
		t.Errorf("CSV header %v, want %v", rows[0], render.CSVColumns())
	}
	rep, err := loadReport(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != len(rep.Matrix.Paths) {
		t.Errorf("CSV has %d rows, report %d paths", len(rows)-1, len(rep.Matrix.Paths))
	}

	// The JSON report re-renders to the same CSV.
	again := run(t, nil, "report", jsonPath, "--format", "csv")
	if again.code != 0 {
		t.Fatalf("report exit %d: %s", again.code, again.stderr)
	}
	orig, _ := os.ReadFile(csvPath)
	if again.stdout != string(orig) {
		t.Errorf("CSV from `report scan.json` differs from the scan's CSV")
	}

	tests := []struct {
		name string
		args []string
		want int
	}{
		{"at-risk findings", []string{"--fail-on", "at-risk"}, ExitBoth},
		{"unknown fail-on", []string{"--fail-on", "sometimes"}, ExitError},
		{"bad format", []string{"--format", "xml"}, ExitError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, env, append([]string{"scan", "-i", invPath, "--quiet"}, tc.args...)...)
			if r.code != tc.want {
				t.Fatalf("exit %d, want %d; stderr: %s", r.code, tc.want, r.stderr)
			}
		})
	}
}

func TestScanNothingScannedIsExit1(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	for k := range env {
		if strings.HasSuffix(k, "PASSWORD") {
			env[k] = "wrong-password"
		}
	}
	r := run(t, env, "scan", "-i", invPath, "--quiet", "--retries", "0")
	if r.code != ExitError {
		t.Fatalf("exit %d, want %d (nothing could be scanned); stderr:\n%s", r.code, ExitError, r.stderr)
	}
	if strings.Contains(r.stderr+r.stdout, "wrong-password") {
		t.Fatal("the password appeared in the output")
	}
}

func TestSecretsNeverInOutput(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := t.TempDir()
	r := run(t, env, "scan", "-i", invPath, "--log-level", "debug", "--json", filepath.Join(dir, "s.json"),
		"--csv", filepath.Join(dir, "s.csv"), "--html", filepath.Join(dir, "s.html"), "--no-color")
	all := r.stdout + r.stderr
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		all += string(data)
	}
	for _, secret := range []string{demoScanPassword, demoLocalPassword} {
		if strings.Contains(all, secret) {
			t.Fatalf("secret %q leaked into the output", secret)
		}
	}
}

func TestNightlyOutputDirBaselineAndLock(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := filepath.Join(t.TempDir(), "runs")

	first := run(t, env, "scan", "-i", invPath, "--quiet", "--output-dir", dir, "--fail-on", "new")
	if first.code != ExitBoth {
		t.Fatalf("first run exit %d: %s", first.code, first.stderr)
	}
	for _, ext := range []string{"json", "csv", "html"} {
		if _, err := os.Stat(filepath.Join(dir, outdir.RunName(fixedNow, ext))); err != nil {
			t.Errorf("run file %s missing: %v", ext, err)
		}
	}
	latest, err := loadReport(filepath.Join(dir, outdir.LatestName))
	if err != nil {
		t.Fatal(err)
	}

	// The second run compares with latest.json: nothing is new, so
	// --fail-on new leaves only the unscanned host (4).
	second := run(t, env, "scan", "-i", invPath, "--quiet", "--output-dir", dir, "--fail-on", "new")
	if second.code != ExitHostsFailed {
		t.Fatalf("second run exit %d, want %d: %s", second.code, ExitHostsFailed, second.stderr)
	}
	now, err := loadReport(filepath.Join(dir, outdir.LatestName))
	if err != nil {
		t.Fatal(err)
	}
	if now.Baseline == nil || now.Baseline.BaselineRunID != latest.RunID {
		t.Fatalf("second run did not use the first as baseline: %+v", now.Baseline)
	}
	if len(now.Baseline.New) != 0 {
		t.Errorf("identical scans report new blocked paths: %v", now.Baseline.New)
	}

	// A latest.json this ntlmscan cannot read (say, from another version)
	// must not stop the nightly job: the run goes ahead without a baseline.
	if err := os.WriteFile(filepath.Join(dir, outdir.LatestName), []byte(`{"kind":"ntlmscan.report","schema":99}`), 0o600); err != nil {
		t.Fatal(err)
	}
	third := run(t, env, "scan", "-i", invPath, "--quiet", "--output-dir", dir)
	if third.code != ExitBoth || !strings.Contains(third.stderr, "not usable as the baseline") {
		t.Fatalf("unreadable latest.json: exit %d, stderr %q", third.code, third.stderr)
	}
	if _, err := loadReport(filepath.Join(dir, outdir.LatestName)); err != nil {
		t.Fatalf("latest.json not replaced by a readable report: %v", err)
	}

	// A run that holds the lock keeps a second one out.
	held, err := outdir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	locked := run(t, env, "scan", "-i", invPath, "--quiet", "--output-dir", dir)
	if locked.code != ExitError || !strings.Contains(locked.stderr, "locked") {
		t.Fatalf("scan under a held lock: exit %d, stderr %q", locked.code, locked.stderr)
	}
}

func TestDiffReportsNewBlockedPaths(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := t.TempDir()
	before, after := filepath.Join(dir, "before.json"), filepath.Join(dir, "after.json")
	assume := filepath.Join(dir, "assume.yaml")
	if err := os.WriteFile(assume, examples.DemoOverlay, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, env, "scan", "-i", invPath, "--quiet", "--json", before); r.code == ExitError {
		t.Fatal(r.stderr)
	}
	if r := run(t, env, "scan", "-i", invPath, "--quiet", "--json", after, "--assume", assume); r.code == ExitError {
		t.Fatal(r.stderr)
	}
	same := run(t, nil, "diff", before, before)
	if same.code != ExitOK {
		t.Fatalf("diff of a scan with itself: exit %d: %s%s", same.code, same.stdout, same.stderr)
	}
	d := run(t, nil, "diff", before, after, "--format", "json")
	if d.code != ExitFindings {
		t.Fatalf("diff with new blocked paths: exit %d, want %d: %s", d.code, ExitFindings, d.stderr)
	}
	if !strings.Contains(d.stdout, "AGENT05") {
		t.Errorf("diff does not name the newly blocked AGENT05 path:\n%s", d.stdout)
	}
}

func TestWaiversActiveAndExpired(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := t.TempDir()
	scanJSON := filepath.Join(dir, "scan.json")
	if r := run(t, env, "scan", "-i", invPath, "--quiet", "--json", scanJSON); r.code == ExitError {
		t.Fatal(r.stderr)
	}
	rep, err := loadReport(scanJSON)
	if err != nil {
		t.Fatal(err)
	}
	var blocked []string
	for _, p := range rep.Matrix.Paths {
		if p.Verdict == verdict.Blocked {
			blocked = append(blocked, p.ID)
		}
	}
	if len(blocked) < 2 {
		t.Fatalf("demo fleet has %d blocked paths, want at least 2", len(blocked))
	}
	write := func(name, expires string) string {
		var b strings.Builder
		b.WriteString("waivers:\n")
		for _, id := range blocked {
			b.WriteString("  - path: \"" + id + "\"\n    owner: backup-team\n    reason: accepted until the agent is re-added by name\n    expires: " + expires + "\n")
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	active := write("active.yaml", "2027-06-30")
	expired := write("expired.yaml", "2026-01-31")

	r := run(t, env, "scan", "-i", invPath, "--quiet", "--waivers", active)
	if r.code != ExitHostsFailed {
		t.Fatalf("every blocked path waived: exit %d, want %d: %s", r.code, ExitHostsFailed, r.stderr)
	}
	r = run(t, env, "scan", "-i", invPath, "--quiet", "--waivers", expired)
	if r.code != ExitBoth {
		t.Fatalf("expired waivers must count again: exit %d, want %d: %s", r.code, ExitBoth, r.stderr)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("waivers:\n  - path: x\n    owner: a\n"), 0o600)
	r = run(t, env, "scan", "-i", invPath, "--quiet", "--waivers", bad)
	if r.code != ExitError || !strings.Contains(r.stderr, "bad.yaml:") {
		t.Fatalf("bad waivers file: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "inventory.yaml")
	os.WriteFile(good, examples.DemoInventory, 0o600)
	r := run(t, nil, "validate", "-i", good)
	if r.code != ExitOK || !strings.Contains(r.stdout, "valid") {
		t.Fatalf("valid inventory: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	broken := strings.Replace(string(examples.DemoInventory), "    fqdn: core01.corp.example\n", "    fqdn: core01.corp.example\n    colour: blue\n", 1)
	broken = strings.Replace(broken, "      - agent: AGENT01\n", "      - agent: AGENT99\n", 1)
	broken = strings.Replace(broken, "    address: 127.0.0.34\n", "    address: 127.0.0.300\n", 1)
	bad := filepath.Join(dir, "broken.yaml")
	os.WriteFile(bad, []byte(broken), 0o600)
	r = run(t, nil, "validate", "-i", bad)
	if r.code != ExitError {
		t.Fatalf("broken inventory: exit %d", r.code)
	}
	for _, want := range []string{"colour", "AGENT99", "127.0.0.300"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("validate does not report %q; stderr:\n%s", want, r.stderr)
		}
	}
	if n := strings.Count(r.stderr, "broken.yaml:"); n < 3 {
		t.Errorf("want every problem with file:line at once, got %d:\n%s", n, r.stderr)
	}
}

func TestSettingsLayering(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.yaml")
	os.WriteFile(inv, examples.DemoInventory, 0o600)
	cfg := filepath.Join(dir, "ntlmscan.yaml")
	os.WriteFile(cfg, []byte("scan:\n  concurrency: 0\n"), 0o600)

	// The settings file gives an invalid concurrency: the error names it.
	r := run(t, nil, "scan", "-i", inv, "--config", cfg)
	if r.code != ExitError || !strings.Contains(r.stderr, "concurrency") {
		t.Fatalf("config file value not applied: exit %d, %q", r.code, r.stderr)
	}
	// The environment beats the file; a malformed value names its source.
	r = run(t, map[string]string{"NTLMSCAN_CONCURRENCY": "many"}, "scan", "-i", inv, "--config", cfg)
	if r.code != ExitError || !strings.Contains(r.stderr, "NTLMSCAN_CONCURRENCY") {
		t.Fatalf("environment not applied over the file: exit %d, %q", r.code, r.stderr)
	}
	// A flag beats both.
	r = run(t, map[string]string{"NTLMSCAN_FORMAT": "xml"}, "report", "--format", "json", filepath.Join(dir, "missing.json"))
	if strings.Contains(r.stderr, "xml") {
		t.Fatalf("environment overrode an explicit flag: %q", r.stderr)
	}
}

func TestSimulateServesUntilInterrupted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lab := filepath.Join(dir, "lab.yaml")
	os.WriteFile(lab, examples.DemoLab, 0o600)
	caFile := filepath.Join(dir, "ca.pem")
	invIn, invOut := filepath.Join(dir, "inventory.yaml"), filepath.Join(dir, "out", "lab-inventory.yaml")
	os.WriteFile(invIn, examples.DemoInventory, 0o600)
	os.Mkdir(filepath.Dir(invOut), 0o700)

	pr, pw := io.Pipe()
	streams, _, _, errOut := iostreams.Test()
	streams.Out = pw
	f := &Factory{IO: streams, Now: time.Now, Version: "test"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var code int
	wg.Add(1)
	go func() {
		defer wg.Done()
		code = Run(ctx, f, []string{"simulate", "--lab", lab, "--ephemeral-ports", "--ca-out", caFile, "-i", invIn, "--inventory-out", invOut})
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if sc.Text() == "ready" {
			break
		}
	}
	cancel()
	go io.Copy(io.Discard, pr)
	wg.Wait()
	if code != 0 {
		t.Fatalf("simulate exit %d: %s", code, errOut.String())
	}
	if len(lines) < 2 || lines[len(lines)-1] != "ready" {
		t.Fatalf("simulate output %q, want host lines then ready", lines)
	}
	if !strings.HasPrefix(lines[0], "AGENT01 http://127.0.0.31:") {
		t.Errorf("first host line %q", lines[0])
	}
	if pem, err := os.ReadFile(caFile); err != nil || !bytes.Contains(pem, []byte("BEGIN CERTIFICATE")) {
		t.Errorf("CA not written: %v", err)
	}
	// --inventory-out: the demo inventory pointed at this run's ephemeral
	// ports, written before "ready".
	inv, err := inventory.Load(invOut)
	if err != nil {
		t.Fatalf("--inventory-out: %v", err)
	}
	core := inv.HostByName("CORE01")
	if core.Address != "127.0.0.21" || core.WinRM.Port == 0 || core.WinRM.Port == 5985 {
		t.Errorf("CORE01 at %s port %d: not pointed at the lab's ephemeral port", core.Address, core.WinRM.Port)
	}
	if !strings.Contains(lines[len(lines)-2]+strings.Join(lines, "\n"), fmt.Sprintf("CORE01 http://127.0.0.21:%d/wsman", core.WinRM.Port)) {
		t.Errorf("CORE01's port %d is not the one simulate announced:\n%s", core.WinRM.Port, strings.Join(lines, "\n"))
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	r := run(t, nil, "version")
	if r.code != 0 || !strings.Contains(r.stdout, "ntlmscan test") || !strings.Contains(r.stdout, "report schema") {
		t.Fatalf("version: %d %q", r.code, r.stdout)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"scan"}, {"frobnicate"}, {"scan", "--no-such-flag"}, {"report"}} {
		r := run(t, nil, args...)
		if r.code != ExitError {
			t.Errorf("%v: exit %d, want %d", args, r.code, ExitError)
		}
		if r.stderr == "" {
			t.Errorf("%v: no error message", args)
		}
	}
}

// Ctrl-C mid-scan: the hosts gathered so far are reported, the run's files
// are marked partial, latest.json (tomorrow's baseline) is left alone, and
// the exit code says hosts were not scanned.
func TestInterruptedScanKeepsResultsButNotBaseline(t *testing.T) {
	t.Parallel()
	invPath, srv, env := demoFleet(t)
	if err := srv.SetFaults("AGENT01", winrmtest.Faults{Hang: true}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "runs")
	streams, _, _, errOut := iostreams.Test()
	f := &Factory{IO: streams, Now: func() time.Time { return fixedNow }, Version: "test", LookupEnv: lookup(env)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, f, []string{"scan", "-i", invPath, "--quiet", "--output-dir", dir, "--concurrency", "4"})
	}()
	// Interrupt once the hanging host is running its command: every other
	// host is then finished or in progress.
	deadline := time.Now().Add(30 * time.Second)
	for !hostRanCommand(srv, "AGENT01") {
		if time.Now().After(deadline) {
			t.Fatal("AGENT01 never received its command")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	var code int
	select {
	case code = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("scan did not stop after Ctrl-C")
	}
	if code != ExitBoth && code != ExitHostsFailed {
		t.Fatalf("interrupted scan exit %d, want %d or %d; stderr:\n%s", code, ExitHostsFailed, ExitBoth, errOut.String())
	}
	if fileExists(filepath.Join(dir, outdir.LatestName)) {
		t.Fatal("an interrupted scan replaced latest.json")
	}
	rep, err := loadReport(filepath.Join(dir, outdir.RunName(fixedNow, "partial.json")))
	if err != nil {
		t.Fatalf("partial run file: %v", err)
	}
	var collected, canceled int
	for _, h := range rep.Hosts {
		switch {
		case h.OK():
			collected++
		case h.Error != nil && h.Host == "AGENT01":
			canceled++
		}
	}
	if collected == 0 || canceled != 1 {
		t.Fatalf("partial report: %d hosts collected, AGENT01 failed=%d; want results kept and AGENT01 reported", collected, canceled)
	}
}

func hostRanCommand(srv *winrmtest.Server, host string) bool {
	for _, c := range srv.CallsFor(host) {
		if c.Action == "Command" {
			return true
		}
	}
	return false
}

// Every flag can come from NTLMSCAN_*; demo's own defaults must not hide
// them (host-timeout) and its exit code must honour a --fail-on given there.
func TestDemoTakesSettingsFromEnvironment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		env        map[string]string
		want       int
		wantStderr string
	}{
		{"host-timeout", map[string]string{"NTLMSCAN_HOST_TIMEOUT": "soon"}, ExitError, "NTLMSCAN_HOST_TIMEOUT"},
		{"fail-on", map[string]string{"NTLMSCAN_FAIL_ON": "at-risk"}, ExitFindings, ""}, // every host scans (AGENT07 over Kerberos)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, tc.env, "demo", "--quiet")
			if r.code != tc.want || !strings.Contains(r.stderr, tc.wantStderr) {
				t.Fatalf("exit %d, want %d with %q; stderr:\n%s", r.code, tc.want, tc.wantStderr, r.stderr)
			}
		})
	}
}

// With a baseline and waivers, the changes since the baseline say which are
// waived, in the scan's report and after `report --waivers`.
func TestBaselineChangesShowWaivers(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := t.TempDir()
	first := filepath.Join(dir, "first.json")
	if r := run(t, env, "scan", "-i", invPath, "--quiet", "--json", first); r.code == ExitError {
		t.Fatal(r.stderr)
	}
	rep, err := loadReport(first)
	if err != nil {
		t.Fatal(err)
	}
	var waivers strings.Builder
	waivers.WriteString("waivers:\n")
	for _, p := range rep.Matrix.Paths {
		if p.Verdict == verdict.Blocked {
			waivers.WriteString("  - path: \"" + p.ID + "\"\n    owner: backup-team\n    reason: accepted\n    expires: 2027-06-30\n")
		}
	}
	waiversPath := filepath.Join(dir, "waivers.yaml")
	expiredPath := filepath.Join(dir, "expired.yaml")
	os.WriteFile(waiversPath, []byte(waivers.String()), 0o600)
	os.WriteFile(expiredPath, []byte(strings.ReplaceAll(waivers.String(), "2027-06-30", "2026-01-31")), 0o600)
	// A baseline without paths: every blocked path is new.
	rep.Matrix.Paths = nil
	var buf bytes.Buffer
	if err := report.Encode(&buf, rep); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.json")
	os.WriteFile(empty, buf.Bytes(), 0o600)

	tonight := filepath.Join(dir, "tonight.json")
	r := run(t, env, "scan", "-i", invPath, "--quiet", "--baseline", empty, "--waivers", waiversPath, "--fail-on", "new", "--json", tonight)
	if r.code != ExitHostsFailed {
		t.Fatalf("all new blocked paths waived: exit %d, want %d: %s", r.code, ExitHostsFailed, r.stderr)
	}
	got, err := loadReport(tonight)
	if err != nil {
		t.Fatal(err)
	}
	checkWaived := func(what string, c *report.Comparison, want bool) {
		t.Helper()
		if c == nil || len(c.New) == 0 {
			t.Fatalf("%s: no new blocked paths: %+v", what, c)
		}
		for _, ch := range c.New {
			if ch.Waived != want {
				t.Errorf("%s: new path %s waived=%v, want %v", what, ch.PathID, ch.Waived, want)
			}
		}
	}
	checkWaived("scan", got.Baseline, true)

	re := run(t, nil, "report", tonight, "--waivers", expiredPath, "--format", "json")
	if re.code != ExitOK {
		t.Fatalf("report exit %d: %s", re.code, re.stderr)
	}
	again, err := report.Decode(strings.NewReader(re.stdout))
	if err != nil {
		t.Fatal(err)
	}
	checkWaived("report --waivers (expired)", again.Baseline, false)

	plain := filepath.Join(dir, "plain.json")
	if r := run(t, env, "scan", "-i", invPath, "--quiet", "--baseline", empty, "--json", plain); r.code == ExitError {
		t.Fatal(r.stderr)
	}
	re = run(t, nil, "report", plain, "--waivers", waiversPath, "--format", "json")
	if re.code != ExitOK {
		t.Fatalf("report exit %d: %s", re.code, re.stderr)
	}
	if again, err = report.Decode(strings.NewReader(re.stdout)); err != nil {
		t.Fatal(err)
	}
	checkWaived("report --waivers (active)", again.Baseline, true)
}

// One output that cannot be written does not cost the others, least of all
// the nightly run files.
func TestUnwritableOutputKeepsTheOthers(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := t.TempDir()
	jsonPath, runs := filepath.Join(dir, "scan.json"), filepath.Join(dir, "runs")
	r := run(t, env, "scan", "-i", invPath, "--quiet", "--csv", filepath.Join(dir, "no-such-dir", "paths.csv"),
		"--json", jsonPath, "--output-dir", runs)
	if r.code != ExitError || !strings.Contains(r.stderr, "paths.csv") {
		t.Fatalf("exit %d, want %d naming paths.csv; stderr:\n%s", r.code, ExitError, r.stderr)
	}
	for _, p := range []string{jsonPath, filepath.Join(runs, outdir.LatestName), filepath.Join(runs, outdir.RunName(fixedNow, "csv"))} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s not written after another output failed: %v", p, err)
		}
	}
}

// A --timeout that leaves hosts unstarted makes an incomplete run: it is
// reported and written as partial, but never replaces latest.json.
func TestDeadlineRunNeverBecomesBaseline(t *testing.T) {
	t.Parallel()
	invPath, srv, env := demoFleet(t)
	if err := srv.SetFaults("AGENT01", winrmtest.Faults{Hang: true}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "runs")
	r := run(t, env, "scan", "-i", invPath, "--quiet", "--output-dir", dir, "--concurrency", "1", "--timeout", "2s", "--host-timeout", "30s")
	if r.code&ExitHostsFailed == 0 {
		t.Fatalf("exit %d, want the hosts-not-scanned bit; stderr:\n%s", r.code, r.stderr)
	}
	if fileExists(filepath.Join(dir, outdir.LatestName)) {
		t.Fatal("a run cut short by --timeout replaced latest.json")
	}
	if !fileExists(filepath.Join(dir, outdir.RunName(fixedNow, "partial.json"))) {
		t.Fatal("the incomplete run's report was not written")
	}
}

func TestDemoWhatIfAndAssumeExclude(t *testing.T) {
	t.Parallel()
	r := run(t, nil, "demo", "--what-if", "--assume", "x.yaml")
	if r.code != ExitError || !strings.Contains(r.stderr, "what-if") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestScanKerberosAgent: with the lab KDC's krb5.conf (KRB5_CONFIG), the
// scan command collects the Kerberos-only AGENT07 and records the method.
func TestScanKerberosAgent(t *testing.T) {
	t.Parallel()
	invPath, srv, env := demoFleet(t)
	krb5 := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(krb5, []byte(srv.Krb5Conf()), 0o600); err != nil {
		t.Fatal(err)
	}
	env["KRB5_CONFIG"] = krb5
	jsonPath := filepath.Join(t.TempDir(), "scan.json")
	r := run(t, env, "scan", "-i", invPath, "--quiet", "--json", jsonPath)
	if r.code != ExitFindings {
		t.Fatalf("scan exit %d, want %d (findings, no failed host); stderr:\n%s", r.code, ExitFindings, r.stderr)
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"host": "AGENT07"`) || !strings.Contains(string(data), `"auth": "kerberos"`) {
		t.Fatalf("the report does not show AGENT07 collected over Kerberos")
	}
}

// TestSecretsNeverInKerberosOrPlanOutput: a scan that logs on over
// Kerberos (the lab KDC, AGENT07) at debug level, and every output made
// from its report afterwards (plan in every format, report in every
// format), hold no password.
func TestSecretsNeverInKerberosOrPlanOutput(t *testing.T) {
	t.Parallel()
	invPath, srv, env := demoFleet(t)
	dir := t.TempDir()
	krb5 := filepath.Join(dir, "krb5.conf")
	if err := os.WriteFile(krb5, []byte(srv.Krb5Conf()), 0o600); err != nil {
		t.Fatal(err)
	}
	env["KRB5_CONFIG"] = krb5
	jsonPath := filepath.Join(dir, "scan.json")
	r := run(t, env, "scan", "-i", invPath, "--log-level", "debug", "--json", jsonPath, "--no-color")
	all := r.stdout + r.stderr
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"auth": "kerberos"`) {
		t.Fatal("no host logged on over Kerberos: the test does not cover that path")
	}
	all += string(data)
	for _, format := range []string{"text", "json", "csv", "powershell"} {
		p := run(t, nil, "plan", jsonPath, "--format", format)
		if p.code != 0 {
			t.Fatalf("plan --format %s: exit %d: %s", format, p.code, p.stderr)
		}
		all += p.stdout + p.stderr
	}
	for _, format := range []string{"table", "csv", "json", "html", "markdown"} {
		p := run(t, nil, "report", jsonPath, "--format", format)
		all += p.stdout + p.stderr
	}
	for _, secret := range []string{demoScanPassword, demoLocalPassword} {
		if strings.Contains(all, secret) {
			t.Fatalf("secret %q leaked into the output", secret)
		}
	}
}

// TestDemoShowsSMBProbe: the demo's share hosts answer the SMB probe from
// the lab, so NAS01's path shows what the probe found (and, with
// --smb-auth, the one NTLM logon with the archive account).
func TestDemoShowsSMBProbe(t *testing.T) {
	r := run(t, nil, "demo", "--smb-auth", "--format", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rep, err := report.Decode(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range rep.Hosts {
		if h.Host != "NAS01" {
			continue
		}
		p := h.SMB
		if !p.Answered() || p.Vantage != "controller" || p.Dialect != "3.0.2" || !p.OnlyNTLM() {
			t.Fatalf("NAS01 probe facts %+v", p)
		}
		if a := p.AuthFor(`NAS01\rrbackup`); a == nil || a.Outcome != "accepted" {
			t.Errorf("NAS01 logon %+v", a)
		}
	}
	found := false
	for _, p := range rep.Matrix.Paths {
		if p.Target != "NAS01" {
			continue
		}
		for _, rs := range p.Reasons {
			if rs.Setting == "smb-probe" && strings.Contains(rs.Explanation, "from the controller running ntlmscan, not from "+p.Core) {
				found = true
			}
		}
	}
	if !found {
		t.Error("NAS01's path has no reason from the SMB probe")
	}
}

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report"
)

// TestHostWaiversAndFailOnUnscanned: the demo fleet has a host that can
// never be scanned (AGENT07 without a Kerberos configuration). Every night
// exited 4 and no waiver could accept it. A host waiver accepts it (until it
// expires), and --fail-on ...,no-unscanned leaves unscanned hosts out of the
// exit code altogether.
func TestHostWaiversAndFailOnUnscanned(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := t.TempDir()
	scanJSON := filepath.Join(dir, "scan.json")
	if r := run(t, env, "scan", "-i", invPath, "--quiet", "--json", scanJSON); r.code != ExitBoth {
		t.Fatalf("demo scan: exit %d, want %d: %s", r.code, ExitBoth, r.stderr)
	}
	rep, err := loadReport(scanJSON)
	if err != nil {
		t.Fatal(err)
	}
	failed := rep.FailedHosts()
	if len(failed) == 0 {
		t.Fatal("the demo fleet has no failed host")
	}
	write := func(name, expires string) string {
		var b strings.Builder
		b.WriteString("waivers:\n")
		for _, h := range failed {
			b.WriteString("  - host: " + strings.ToLower(h.Host) + "\n    owner: ops@corp.example\n    reason: known unscannable, CHG-2310\n    expires: " + expires + "\n")
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	active, expired := write("active.yaml", "2027-06-30"), write("expired.yaml", "2026-01-31")

	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"host waiver accepts the host", []string{"--waivers", active, "--fail-on", "none"}, ExitOK},
		{"host waiver, findings still count", []string{"--waivers", active}, ExitFindings},
		{"expired host waiver counts again", []string{"--waivers", expired, "--fail-on", "none"}, ExitHostsFailed},
		{"no-unscanned leaves hosts out", []string{"--fail-on", "none,no-unscanned"}, ExitOK},
		{"unscanned is the default", []string{"--fail-on", "none,unscanned"}, ExitHostsFailed},
		{"blocked,no-unscanned", []string{"--fail-on", "blocked,no-unscanned"}, ExitFindings},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.json")
			r := run(t, env, append([]string{"scan", "-i", invPath, "--quiet", "--json", out}, tc.args...)...)
			if r.code != tc.want {
				t.Fatalf("exit %d, want %d: %s", r.code, tc.want, r.stderr)
			}
			if strings.Contains(tc.name, "accepts") {
				got, err := loadReport(out)
				if err != nil {
					t.Fatal(err)
				}
				if n := len(got.UnwaivedFailedHosts()); n != 0 || len(got.Waivers.Hosts) != len(failed) {
					t.Errorf("report: %d unwaived failed hosts, host waivers %+v", n, got.Waivers.Hosts)
				}
			}
		})
	}
	if r := run(t, env, "scan", "-i", invPath, "--quiet", "--fail-on", "blocked,sometimes"); r.code != ExitError || !strings.Contains(r.stderr, "--fail-on") {
		t.Errorf("bad --fail-on: exit %d, stderr %q", r.code, r.stderr)
	}

	// validate --waivers names every expired waiver (by line, owner and
	// date) before a nightly run counts them; the file is still valid.
	r := run(t, nil, "validate", "-i", invPath, "--waivers", expired)
	if r.code != ExitOK {
		t.Fatalf("validate: exit %d: %s", r.code, r.stderr)
	}
	want := expired + ":2: waiver for host=" + strings.ToLower(failed[0].Host) + " (owner ops@corp.example) expired on 2026-01-31"
	if !strings.Contains(r.stdout+r.stderr, want) {
		t.Errorf("validate does not report the expired waiver %q:\n%s%s", want, r.stdout, r.stderr)
	}
	if r := run(t, nil, "validate", "-i", invPath, "--waivers", active); strings.Contains(r.stdout+r.stderr, "expired") {
		t.Errorf("validate reports an active waiver as expired:\n%s%s", r.stdout, r.stderr)
	}
}

func TestParseFailOnUnscanned(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want  string
		unscanned bool
	}{
		{"", "blocked", true},
		{"new", "new", true},
		{"new,unscanned", "new", true},
		{"NEW, no-unscanned", "new,no-unscanned", false},
		{"no-unscanned", "blocked,no-unscanned", false},
	} {
		got, err := report.ParseFailOn(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseFailOn(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			continue
		}
		if u := report.FailOnUnscanned(got); u != tc.unscanned {
			t.Errorf("FailOnUnscanned(%q) = %v, want %v", got, u, tc.unscanned)
		}
	}
	for _, bad := range []string{"new,blocked", "unscanned,no-unscanned", "new,,", "x"} {
		if _, err := report.ParseFailOn(bad); err == nil {
			t.Errorf("ParseFailOn(%q) accepted", bad)
		}
	}
}

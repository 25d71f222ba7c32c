package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ntlmscan/ntlmscan/report"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// editInventory rewrites the YAML inventory at path through edit.
func editInventory(t *testing.T, path string, edit func(root *yaml.Node)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc.Content[0])
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// deleteKey removes key from mapping m.
func deleteKey(m *yaml.Node, key string) {
	if m == nil {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// setKey sets key of mapping m to a scalar value.
func setKey(m *yaml.Node, key, value string) {
	if v := mapValue(m, key); v != nil {
		v.Kind, v.Tag, v.Value, v.Content = yaml.ScalarNode, "", value, nil
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &yaml.Node{Kind: yaml.ScalarNode, Value: value})
}

// hostResult finds one host's result in a JSON report.
func hostResult(t *testing.T, rep *report.Report, name string) facts.HostResult {
	t.Helper()
	for _, h := range rep.Hosts {
		if h.Host == name {
			return h
		}
	}
	t.Fatalf("host %s not in the report", name)
	return facts.HostResult{}
}

// A hung host costs what --host-timeout (or NTLMSCAN_HOST_TIMEOUT, or the
// settings file's host-timeout) says, unless the inventory gives the host a
// timeout of its own: per-host inventory timeout > flag/env/config > default.
func TestHostTimeoutPrecedence(t *testing.T) {
	t.Parallel()
	invPath, srv, env := demoFleet(t)
	for _, h := range []string{"AGENT01", "AGENT02"} {
		if err := srv.SetFaults(h, winrmtest.Faults{Hang: true}); err != nil {
			t.Fatal(err)
		}
	}
	// No inventory-wide timeout; AGENT02 has its own.
	editInventory(t, invPath, func(root *yaml.Node) {
		deleteKey(mapValue(mapValue(root, "defaults"), "winrm"), "timeout")
		agent02 := mapValue(mapValue(root, "agents"), "AGENT02")
		w := mapValue(agent02, "winrm")
		if w == nil {
			w = &yaml.Node{Kind: yaml.MappingNode}
			agent02.Content = append(agent02.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "winrm"}, w)
		}
		// Shorter than every value below: the inventory's own timeout wins
		// even then, and no subtest waits longer than its own deadline.
		setKey(w, "timeout", "1s")
	})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "settings.yaml")
	if err := os.WriteFile(cfg, []byte("scan:\n  host-timeout: 3s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string // AGENT01's timeout
	}{
		{"flag", nil, []string{"--host-timeout", "2s"}, "2s"},
		{"environment", map[string]string{"NTLMSCAN_HOST_TIMEOUT": "2500ms"}, nil, "2.5s"},
		{"settings file", nil, []string{"--config", cfg}, "3s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "scan.json")
			args := append([]string{"scan", "-i", invPath, "--quiet", "--retries", "0", "--json", out}, tc.args...)
			r := run(t, withEnv(env, tc.env), args...)
			// On a loaded machine healthy hosts may time out too (exit 1:
			// nothing scanned); the hung hosts' deadlines are what counts.
			if r.code == ExitOK {
				t.Fatalf("exit 0 with hung hosts; stderr:\n%s", r.stderr)
			}
			rep, err := loadReport(out)
			if err != nil {
				t.Fatal(err)
			}
			for host, want := range map[string]string{"AGENT01": tc.want, "AGENT02": "1s"} {
				h := hostResult(t, rep, host)
				if h.Error == nil || h.Error.Class != facts.ErrTimeout || !strings.Contains(h.Error.Message, "per-host timeout ("+want+")") {
					t.Errorf("%s: got %+v, want a timeout after %s", host, h.Error, want)
				}
			}
		})
	}
}

// A nightly run removes the temporary files a killed run left in the
// output directory, and only those.
func TestNightlyRunPrunesTempFilesOfKilledRuns(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := filepath.Join(t.TempDir(), "runs")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	old := fixedNow.Add(-48 * time.Hour)
	leftovers := map[string]bool{".latest.json.tmp-4711": true, ".ntlmscan-20261122T023000Z.html.tmp-12": true, ".mine.tmp-1": false}
	for name := range leftovers {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("half a report"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if r := run(t, env, "scan", "-i", invPath, "--quiet", "--output-dir", dir); r.code == ExitError {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for name, gone := range leftovers {
		_, err := os.Stat(filepath.Join(dir, name))
		if os.IsNotExist(err) != gone {
			t.Errorf("%s: removed=%v, want %v", name, os.IsNotExist(err), gone)
		}
	}
}

// Text from the user's files that reaches the terminal (validate's report,
// every error) shows bidi overrides, zero-width and control characters as
// escapes, so a crafted name cannot reorder or hide what an admin reads.
func TestValidateEscapesInvisibleCharacters(t *testing.T) {
	t.Parallel()
	invisible := []string{"\u202e", "\u200d", "\u200b", "\u2066", "\u2069", "\ufeff", "\x1b", "\u2028"}
	dir := t.TempDir()
	inv := string(mustReadExample(t))
	inv = strings.Replace(inv, "    fqdn: core01.corp.example\n", "    fqdn: core01.corp.example\n    col\u202eour: blue\n", 1)
	inv = strings.Replace(inv, "  AGENT01:\n", "  AGENT01\u200d:\n", 1)
	inv = strings.Replace(inv, "      DC02:\n", "      DC\u2066\u200b02\u2069\ufeff:\n", 1)
	inv = strings.Replace(inv, "    netbios: CORP\n", "    netbios: \"CO\\eRP\\u2028\"\n", 1)
	bad := filepath.Join(dir, "bad\u202etxt.yaml")
	if err := os.WriteFile(bad, []byte(inv), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good\u200d\u202e.yaml")
	if err := os.WriteFile(good, mustReadExample(t), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want int
	}{{bad, ExitError}, {good, ExitOK}} {
		r := run(t, nil, "validate", "-i", tc.path)
		if r.code != tc.want {
			t.Fatalf("%q: exit %d, want %d\n%s%s", tc.path, r.code, tc.want, r.stdout, r.stderr)
		}
		out := r.stdout + r.stderr
		for _, c := range invisible {
			if strings.Contains(out, c) {
				t.Errorf("%q: output contains raw %U:\n%s", tc.path, []rune(c)[0], out)
			}
		}
		if !strings.Contains(out, `\u202e`) {
			t.Errorf("%q: output does not show the override as an escape:\n%s", tc.path, out)
		}
	}
}

func mustReadExample(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../../../examples/inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A settings file is read as strictly as the inventory: a typo is an error
// with file:line, not a setting silently ignored.
func TestSettingsFileUnknownKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.yaml")
	if err := os.WriteFile(inv, mustReadExample(t), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		content string
		want    []string // each in stderr; none = valid
	}{
		{"typo at top level", "concurency: 4\n", []string{"settings.yaml:1: concurency: unknown key", `did you mean "concurrency"?`}},
		{"snake case under the command", "scan:\n  concurrency: 4\n  fail_on: new\n", []string{"settings.yaml:3: scan.fail_on: unknown key", `did you mean "fail-on"?`}},
		{"unknown command section", "scann:\n  quiet: true\n", []string{"settings.yaml:1: scann: unknown key", `did you mean "scan"?`}},
		{"flag of another command", "validate:\n  concurrency: 4\n", []string{"settings.yaml:2: validate.concurrency:", "not a flag of ntlmscan validate"}},
		{"section that is not a mapping", "scan: fast\n", []string{"settings.yaml:1: scan:", "mapping"}},
		{"value that is a mapping", "concurrency:\n  value: 4\n", []string{"settings.yaml:2: concurrency:", "a value"}},
		{"key without a value", "scan:\n  fail-on:\n", []string{"settings.yaml:2: scan.fail-on:", "value"}},
		{"key set to null", "log-level: ~\n", []string{"settings.yaml:1: log-level:", "value"}},
		{"repeated key", "quiet: true\nquiet: false\n", []string{`settings.yaml:2: quiet: duplicate key "quiet" (first defined on line 1)`}},
		{"every problem at once", "concurency: 4\nscan:\n  fail_on: new\n", []string{"settings.yaml:1:", "settings.yaml:3:"}},
		{"bad value names its line", "scan:\n  concurrency: many\n", []string{"settings.yaml:2", "--concurrency"}},
		{"syntax error", "scan:\n  concurrency: [4\n", []string{"settings.yaml:"}},
		{"config in the file", "config: other.yaml\n", []string{"settings.yaml:1: config:"}},
		{"valid: documented layout", "log-level: warn\nscan:\n  concurrency: 64\n  host-timeout: 90s\n  fail-on: at-risk\n  quiet: true\nreport:\n  format: json\n", nil},
		{"valid: empty", "# nothing yet\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := filepath.Join(t.TempDir(), "settings.yaml")
			if err := os.WriteFile(cfg, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			// validate reads the settings file like every command and touches
			// no network: a quick way to see the file accepted or refused.
			command := "validate"
			if strings.Contains(tc.content, "many") {
				command = "scan" // the bad value is scan's: it fails before any network use
			}
			r := run(t, nil, command, "-i", inv, "--config", cfg)
			if tc.want == nil {
				if r.code != ExitOK {
					t.Fatalf("valid settings refused: exit %d\n%s", r.code, r.stderr)
				}
				return
			}
			if r.code != ExitError {
				t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, ExitError, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
}

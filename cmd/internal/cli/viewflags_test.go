package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/examples"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

// TestViewFilters: --verdict, --core, --target and --tag narrow what scan
// and report list, never the JSON report or the exit code; the tags come
// from the inventory into the report (hosts[].tags) so a saved report
// filters by tag without its inventory.
func TestViewFilters(t *testing.T) {
	t.Parallel()
	lab, err := winrmtest.ParseLab(examples.DemoLab, "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inv := bytes.Replace(examples.DemoInventory, []byte("  AGENT03:\n    address: 127.0.0.33\n"),
		[]byte("  AGENT03:\n    address: 127.0.0.33\n    tags: [dmz]\n"), 1)
	if bytes.Equal(inv, examples.DemoInventory) {
		t.Fatal("the demo inventory changed: AGENT03 not found to tag")
	}
	invPath, _, env := labFleet(t, lab, inv)
	dir := t.TempDir()
	saved := filepath.Join(dir, "scan.json")

	// Only ok paths listed; the findings (blocked paths) and the failed
	// AGENT07 still set the exit code, and the JSON holds every path.
	res := run(t, env, "scan", "-i", invPath, "--json", saved, "--no-color", "--verdict", "ok")
	if res.code != ExitBoth {
		t.Fatalf("scan --verdict ok: exit %d, want %d (filters never change it)\n%s\n%s", res.code, ExitBoth, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, "Showing 4 of 12 paths (filtered by --verdict ok)") || strings.Contains(res.stdout, "CORE01  AGENT02") {
		t.Errorf("scan --verdict ok output:\n%s", res.stdout)
	}
	raw, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(raw), `"verdict": "blocked"`); n != 4 {
		t.Errorf("the JSON report has %d blocked paths, want all 4: --json is never filtered", n)
	}
	if !strings.Contains(string(raw), `"tags": [`) {
		t.Error("the JSON report lacks AGENT03's inventory tags")
	}

	tests := []struct {
		name     string
		args     []string
		code     int
		out, err []string // substrings
		notOut   []string
	}{
		// AGENT05 carries dmz in the demo inventory already.
		{"tag from the saved report", []string{"--tag", "DMZ"}, 0,
			[]string{"CORE02  AGENT03", "Showing 2 of 12 paths (filtered by --tag DMZ)"}, nil, []string{"CORE01  AGENT02"}},
		{"core and verdict", []string{"--core", "core01", "--verdict", "blocked"}, 0,
			[]string{"CORE01  AGENT02", "CORE01  CORE03", "Showing 2 of 12 paths"}, nil, []string{"CORE02  AGENT03"}},
		{"target by the name used", []string{"--target", "127.0.0.35", "--all"}, 0, []string{"CORE01  AGENT05", "Showing 1 of 12"}, nil, nil},
		{"no match", []string{"--core", "nope"}, 0, []string{"No path matches --core nope (of 12 paths)"}, nil, []string{"VERDICT"}},
		{"bad verdict", []string{"--verdict", "blockd"}, ExitError, nil, []string{`unknown verdict "blockd": did you mean blocked?`}, nil},
		{"json is whole", []string{"--format", "json", "--verdict", "ok"}, ExitError, nil, []string{"the JSON report is always whole"}, nil},
		{"the summary is whole", []string{"--format", "markdown-summary", "--core", "CORE01"}, ExitError, nil, []string{"the Markdown summary always covers the whole run"}, nil},
		{"csv honours the filter", []string{"--format", "csv", "--core", "CORE02", "--verdict", "blocked"}, 0,
			[]string{"CORE02,AGENT03", "CORE02,NAS01"}, nil, []string{"CORE01,"}},
		{"csv matching nothing warns", []string{"--format", "csv", "--target", "nope"}, 0, nil, []string{"warning: no path matches --target nope (of 12 paths)"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, env, append([]string{"report", saved}, tc.args...)...)
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, tc.code, res.stdout, res.stderr)
			}
			for _, want := range tc.out {
				if !strings.Contains(res.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, res.stdout)
				}
			}
			for _, bad := range tc.notOut {
				if strings.Contains(res.stdout, bad) {
					t.Errorf("stdout has %q:\n%s", bad, res.stdout)
				}
			}
			for _, want := range tc.err {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
				}
			}
		})
	}
}

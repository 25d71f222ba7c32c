package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/cmd/internal/outdir"
	"github.com/ntlmscan/ntlmscan/report/render"
)

// --markdown-summary writes the ticket-sized summary naming the run's
// other files; report --format markdown-summary and --output-dir write it
// too.
func TestMarkdownSummaryFiles(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := t.TempDir()
	csvPath, jsonPath, sumPath := filepath.Join(dir, "paths.csv"), filepath.Join(dir, "scan.json"), filepath.Join(dir, "ticket.md")
	r := run(t, env, "scan", "-i", invPath, "--quiet", "--csv", csvPath, "--json", jsonPath, "--markdown-summary", sumPath)
	if r.code != ExitBoth {
		t.Fatalf("scan exit %d: %s", r.code, r.stderr)
	}
	runs := filepath.Join(dir, "runs")
	if r := run(t, env, "scan", "-i", invPath, "--quiet", "--output-dir", runs); r.code != ExitBoth {
		t.Fatalf("scan --output-dir exit %d: %s", r.code, r.stderr)
	}
	// The --format output written with -o counts as that format's file.
	outJSON, outSum := filepath.Join(dir, "o.json"), filepath.Join(dir, "o.md")
	if r := run(t, env, "scan", "-i", invPath, "--quiet", "--format", "json", "-o", outJSON, "--markdown-summary", outSum); r.code != ExitBoth {
		t.Fatalf("scan -o exit %d: %s", r.code, r.stderr)
	}
	withO, err := os.ReadFile(outSum)
	if err != nil {
		t.Fatal(err)
	}
	again := run(t, nil, "report", jsonPath, "--format", "markdown-summary")
	if again.code != 0 {
		t.Fatalf("report --format markdown-summary exit %d: %s", again.code, again.stderr)
	}
	nightly, err := os.ReadFile(filepath.Join(runs, outdir.RunName(fixedNow, "summary.md")))
	if err != nil {
		t.Fatalf("--output-dir wrote no summary: %v", err)
	}
	written, err := os.ReadFile(sumPath)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"--markdown-summary", string(written), []string{"`" + csvPath + "`", "`" + jsonPath + "`", "`ntlmscan plan " + jsonPath + "`"}},
		{"report", again.stdout, []string{"`ntlmscan report " + jsonPath + " --format csv -o paths.csv`", "`ntlmscan plan " + jsonPath + "`"}},
		{"-o", string(withO), []string{"`ntlmscan plan " + outJSON + "`", "`ntlmscan report " + outJSON + " --format csv -o paths.csv`"}},
		{"--output-dir", string(nightly), []string{"`" + filepath.Join(runs, outdir.RunName(fixedNow, "csv")) + "`", "`" + filepath.Join(runs, outdir.RunName(fixedNow, "html")) + "`"}},
	}
	for _, tt := range tests {
		if len(tt.text) == 0 || len(tt.text) >= render.MarkdownSummaryLimit {
			t.Errorf("%s: summary of %d bytes", tt.name, len(tt.text))
		}
		for _, w := range append(tt.want, "## Top problems", "- **blocked**, 2 paths: CORE01 `RestrictSendingNTLMTraffic=2 (Deny all)`") {
			if !strings.Contains(tt.text, w) {
				t.Errorf("%s: summary lacks %q:\n%s", tt.name, w, tt.text)
			}
		}
	}
}

// The demo's terminal report says how to list the change plan with
// commands that work as printed: run them.
func TestDemoPlanHintWorksAsPrinted(t *testing.T) {
	t.Parallel()
	r := run(t, nil, "demo", "--no-color")
	if r.code != 0 {
		t.Fatalf("demo exit %d: %s", r.code, r.stderr)
	}
	m := regexp.MustCompile("Change plan: \\d+ changes \\(to list them: `([^`]+)`, then `([^`]+)`").FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("demo output has no runnable plan hint:\n%s", r.stdout)
	}
	if m[1] != "ntlmscan demo --json demo.json" || m[2] != "ntlmscan plan demo.json" {
		t.Errorf("hint %q then %q", m[1], m[2])
	}
	// The printed commands, with demo.json in a temporary directory.
	jsonPath := filepath.Join(t.TempDir(), "demo.json")
	for _, line := range m[1:] {
		args := strings.Fields(strings.ReplaceAll(line, "demo.json", jsonPath))[1:]
		if args[0] == "demo" {
			args = append(args, "--quiet")
		}
		got := run(t, nil, args...)
		if got.code != 0 {
			t.Fatalf("%s: exit %d: %s", line, got.code, got.stderr)
		}
		if args[0] == "plan" && !strings.Contains(got.stdout, "Change plan of scan") {
			t.Errorf("%s printed no plan:\n%s\n%s", line, got.stdout, got.stderr)
		}
	}
}

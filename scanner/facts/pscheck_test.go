package facts

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pscheck runs .ci/pscheck (tree-sitter-powershell) on files. It skips
// when node or the npm packages are missing, unless
// NTLMSCAN_REQUIRE_INTEGRATION=1 (CI), where that is a failure.
func pscheck(t *testing.T, files ...string) (out string, exit int) {
	t.Helper()
	dir, err := filepath.Abs("../../.ci/pscheck")
	if err != nil {
		t.Fatal(err)
	}
	missing := func(what string) {
		t.Helper()
		msg := what + ": install it with `npm ci --prefix .ci/pscheck` (.ci/run does)"
		if os.Getenv("NTLMSCAN_REQUIRE_INTEGRATION") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	for _, pkg := range []string{"web-tree-sitter", "tree-sitter-powershell"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			missing("npm package " + pkg + " is not installed in .ci/pscheck")
		}
	}
	cmd := exec.Command(node, append([]string{filepath.Join(dir, "check.cjs")}, files...)...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return buf.String(), 0
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return buf.String(), 1
	}
	t.Fatalf("pscheck could not run: %v\n%s", err, buf.String())
	return "", 0
}

// TestPowerShellParses: collect.ps1 and the bootstrap parse without ERROR
// or MISSING nodes (tree-sitter-powershell).
func TestPowerShellParses(t *testing.T) {
	if out, exit := pscheck(t, "collect.ps1", "bootstrap.ps1"); exit != 0 {
		t.Fatalf("PowerShell syntax problems:\n%s", out)
	}
}

// TestPowerShellParseCheckCatchesErrors: the check itself finds a missing
// brace and a broken expression in copies of the collector.
func TestPowerShellParseCheckCatchesErrors(t *testing.T) {
	dir := t.TempDir()
	broken := map[string]string{
		"missing-paren.ps1": strings.Replace(CollectorScript, "foreach ($job in $work) {", "foreach ($job in $work {", 1),
		"missing-brace.ps1": strings.Replace(CollectorScript, "if ($null -ne $smbClient) { $response.smbClient = $smbClient }", "if ($null -ne $smbClient) { $response.smbClient = $smbClient", 1),
		"bad-bootstrap.ps1": strings.Replace(Bootstrap, "} catch {", "} catch", 1),
	}
	var files []string
	for name, text := range broken {
		if text == CollectorScript || text == Bootstrap {
			t.Fatalf("%s: the edit did not apply", name)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	out, exit := pscheck(t, files...)
	if exit != 1 {
		t.Fatalf("exit %d, want 1 for broken copies:\n%s", exit, out)
	}
	for _, f := range files {
		if !strings.Contains(out, f+":") {
			t.Errorf("no problem reported for %s:\n%s", filepath.Base(f), out)
		}
	}
}

package facts

import (
	pscheckrun "github.com/ntlmscan/ntlmscan/scanner/facts/pscheck"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pscheck runs .ci/pscheck (tree-sitter-powershell) on files: what it
// printed, and 1 when it found syntax problems.
func pscheck(t *testing.T, files ...string) (out string, exit int) {
	t.Helper()
	res := pscheckrun.Run(t, files...)
	if res.Problems {
		return res.Stdout + res.Stderr, 1
	}
	return res.Stdout + res.Stderr, 0
}

// TestPowerShellParses: collect.ps1 and the bootstrap parse without ERROR
// or MISSING nodes (tree-sitter-powershell).
func TestPowerShellParses(t *testing.T) {
	if out, exit := pscheck(t, "collect.ps1", "bootstrap.ps1", "discover.ps1"); exit != 0 {
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

// Package pscheck runs the repository's PowerShell parse check
// (.ci/pscheck: tree-sitter-powershell's wasm grammar under node) from
// tests. It is test support, like net/http/httptest: the collector's tests
// and the report's remediation tests share it.
package pscheck

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Result is one run of the check: its standard output and error, and
// whether it found syntax problems (exit status 1).
type Result struct {
	Stdout, Stderr string
	Problems       bool
}

// Run runs .ci/pscheck/check.cjs with args (file names, or --shape then
// file names). It skips the test when node or the npm packages are
// missing, unless NTLMSCAN_REQUIRE_INTEGRATION=1 (CI), where that is a
// failure; a check that cannot run at all fails the test.
func Run(t testing.TB, args ...string) Result {
	t.Helper()
	dir := locate(t)
	missing := func(what string) {
		t.Helper()
		msg := what + ": install it with `npm ci --prefix .ci/pscheck --ignore-scripts` (.ci/run does)"
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
	cmd := exec.Command(node, append([]string{filepath.Join(dir, "check.cjs")}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		res.Problems = true
	default:
		t.Fatalf("pscheck could not run: %v\n%s%s", err, res.Stdout, res.Stderr)
	}
	return res
}

// locate finds .ci/pscheck in the working directory or a parent (go test
// runs in the package's directory).
func locate(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, ".ci", "pscheck")
		if _, err := os.Stat(filepath.Join(p, "check.cjs")); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal(".ci/pscheck/check.cjs not found above the test's directory")
		}
		dir = parent
	}
}

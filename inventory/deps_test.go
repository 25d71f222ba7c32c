package inventory_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestNoUpwardDeps keeps inventory/... at the bottom of the one-way data
// flow (README, "How it is built": inventory -> scanner -> report): nothing
// under inventory, its tests included, may import the scanner or the
// report. A check that needs the settings table (the what-if loader) lives
// above both, in report/whatif.
func TestNoUpwardDeps(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("NTLMSCAN_REQUIRE_INTEGRATION") == "1" {
			t.Fatalf("go tool not found: %v", err)
		}
		t.Skipf("go tool not found: %v", err)
	}
	const module = "github.com/ntlmscan/ntlmscan/"
	// Every package inventory/... reaches, directly or not, with -test the
	// test binaries' imports too; each line is "package: its imports".
	out, err := exec.Command(goTool, "list", "-deps", "-test",
		"-f", `{{.ImportPath}}:{{range .Imports}} {{.}}{{end}}`,
		module+"inventory/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	importers := map[string][]string{}
	var reached []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("go list printed %q", line)
		}
		reached = append(reached, pkg)
		for _, dep := range strings.Fields(imports) {
			importers[dep] = append(importers[dep], pkg)
		}
	}
	if !slices.Contains(reached, module+"inventory") {
		t.Fatalf("go list did not name the inventory package: the check is broken\n%s", out)
	}
	for _, pkg := range reached {
		by := importers[pkg]
		slices.Sort(by)
		by = slices.Compact(by) // a package and its test variant
		for _, banned := range []string{"scanner", "report", "cmd"} {
			if strings.HasPrefix(pkg, module+banned+"/") || pkg == module+banned {
				t.Errorf("inventory/... depends on %s (imported by %s): inventory must not depend on %s/...",
					pkg, strings.Join(by, ", "), banned)
			}
		}
	}
}

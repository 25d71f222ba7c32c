package readmecheck

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/ntlmscan/ntlmscan/"

// TestLayering keeps the one-way data flow (README, "How it is built":
// inventory -> scanner -> report): each row names a package tree and what it
// must never reach, directly or not.
func TestLayering(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("NTLMSCAN_REQUIRE_INTEGRATION") == "1" {
			t.Fatalf("go tool not found: %v", err)
		}
		t.Skipf("go tool not found: %v", err)
	}
	rules := []struct {
		tree      string
		withTests bool     // the test binaries' imports count too
		banned    []string // package path prefixes
		why       string
	}{
		// A check that needs the settings table (the what-if loader)
		// lives above both, in report/whatif.
		{"inventory", true, []string{module + "scanner", module + "report", module + "cmd"},
			"inventory is the bottom layer: it must not depend on the scanner, the report or the commands"},
		// The report reads facts only through scanner/facts.
		{"report", false, []string{module + "scanner/winrm", module + "scanner/collect", "github.com/masterzen/winrm"},
			"report/... must not depend on the scanner's transport"},
	}
	for _, r := range rules {
		t.Run(r.tree, func(t *testing.T) {
			t.Parallel()
			args := []string{"list", "-deps"}
			if r.withTests {
				args = append(args, "-test")
			}
			// Each line is "package: its imports".
			args = append(args, "-f", `{{.ImportPath}}:{{range .Imports}} {{.}}{{end}}`, module+r.tree+"/...")
			out, err := exec.Command(goTool, args...).CombinedOutput()
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
			if !slices.Contains(reached, module+r.tree) {
				t.Fatalf("go list did not name the %s package: the check is broken\n%s", r.tree, out)
			}
			for _, pkg := range reached {
				by := importers[pkg]
				slices.Sort(by)
				by = slices.Compact(by) // a package and its test variant
				for _, banned := range r.banned {
					if pkg == banned || strings.HasPrefix(pkg, banned+"/") {
						t.Errorf("%s/... depends on %s (imported by %s): %s", r.tree, pkg, strings.Join(by, ", "), r.why)
					}
				}
			}
		})
	}
}

package report_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNoTransportDeps keeps report/... free of the scanner's transport: the
// report reads facts only through scanner/facts (README, "How it is built":
// data flows one way).
func TestNoTransportDeps(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("NTLMSCAN_REQUIRE_INTEGRATION") == "1" {
			t.Fatalf("go tool not found: %v", err)
		}
		t.Skipf("go tool not found: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/ntlmscan/ntlmscan/report/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"/scanner/winrm", "/scanner/collect", "github.com/masterzen/winrm"} {
			if strings.Contains(dep, banned) {
				t.Errorf("report/... depends on %s", dep)
			}
		}
	}
}

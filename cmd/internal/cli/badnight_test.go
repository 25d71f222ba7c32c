package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/cmd/internal/outdir"
)

// TestBadNightIsNotABaseline is the nightly scenario end to end:
// night 1 is good, night 2 runs with a wrong password (it becomes
// latest.json), night 3 is good again. Night 2 must call no blocked path
// "fixed", and night 3 with --fail-on new must not report the still
// blocked paths as new (exit 2): they were carried forward.
func TestBadNightIsNotABaseline(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := t.TempDir()
	bad := map[string]string{}
	for k, v := range env {
		bad[k] = v
		if strings.Contains(k, "PASSWORD") {
			bad[k] = "wrong-password"
		}
	}
	nights := []struct {
		env  map[string]string
		want int
	}{{env, ExitBoth}, {bad, ExitError}, {env, ExitHostsFailed}}
	for i, n := range nights {
		at := fixedNow.Add(time.Duration(i) * 24 * time.Hour)
		r := runAt(t, at, n.env, "scan", "-i", invPath, "--quiet", "--output-dir", dir, "--fail-on", "new")
		if i == 0 {
			continue // the first night has no baseline: every blocked path is new
		}
		if r.code != n.want {
			t.Fatalf("night %d: exit %d, want %d: %s", i+1, r.code, n.want, r.stderr)
		}
		latest, err := loadReport(filepath.Join(dir, outdir.LatestName))
		if err != nil {
			t.Fatal(err)
		}
		c := latest.Baseline
		if len(c.Fixed) != 0 || len(c.New) != 0 {
			t.Errorf("night %d: fixed %d, new %d; want none (nothing changed on the hosts)", i+1, len(c.Fixed), len(c.New))
		}
		if i == 1 && len(c.NotComparable) == 0 {
			t.Errorf("night 2: no path is not comparable")
		}
		if i == 2 {
			// Only the paths of the host that fails every night (AGENT07,
			// without a Kerberos configuration) stay not comparable.
			for _, nc := range c.NotComparable {
				if len(nc.FailedHosts) != 1 || nc.FailedHosts[0] != "AGENT07" {
					t.Errorf("night 3: %s not comparable because of %v", nc.PathID, nc.FailedHosts)
				}
			}
		}
	}
}

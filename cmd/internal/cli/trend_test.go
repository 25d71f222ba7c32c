package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/cmd/internal/outdir"
)

// TestHTMLTrend: three nightly runs into one output directory; the third
// run's HTML shows all three nights with their counts per verdict.
func TestHTMLTrend(t *testing.T) {
	t.Parallel()
	invPath, _, env := demoFleet(t)
	dir := t.TempDir()
	var last time.Time
	for night := range 3 {
		last = fixedNow.Add(time.Duration(night) * 24 * time.Hour)
		if r := runAt(t, last, env, "scan", "-i", invPath, "--quiet", "--output-dir", dir, "--fail-on", "none"); r.code == ExitError {
			t.Fatal(r.stderr)
		}
	}
	latest, err := loadReport(filepath.Join(dir, outdir.LatestName))
	if err != nil {
		t.Fatal(err)
	}
	if len(latest.Trend) != 3 {
		t.Fatalf("latest.json trend has %d runs, want 3", len(latest.Trend))
	}
	html, err := os.ReadFile(filepath.Join(dir, outdir.RunName(last, "html")))
	if err != nil {
		t.Fatal(err)
	}
	page := string(html)
	if !strings.Contains(page, "Last 3 runs") {
		t.Fatalf("HTML has no trend section")
	}
	for night := range 3 {
		day := fixedNow.Add(time.Duration(night) * 24 * time.Hour).Format("2006-01-02")
		if !strings.Contains(page, day) {
			t.Errorf("trend lacks the night of %s", day)
		}
	}
}

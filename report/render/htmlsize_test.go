package render_test

import (
	"testing"

	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
)

// TestHTMLSizeBounds: the page stays small enough to mail and to open at
// 300 and 5,000 hosts. The page that repeated every path's PowerShell,
// GPO path and notes (and each cited host list) on every path was 628 KB
// at 300 hosts and 16.8 MB at 5,000, over both bounds.
func TestHTMLSizeBounds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		hosts, maxBytes int
	}{
		{300, 600 << 10},
		{5000, 10 << 20},
	} {
		if testing.Short() && tc.hosts > 300 {
			continue
		}
		out := render1(t, "html", reporttest.Estate(tc.hosts), render.Options{})
		t.Logf("Estate(%d): HTML %d bytes (bound %d)", tc.hosts, len(out), tc.maxBytes)
		if len(out) > tc.maxBytes {
			t.Errorf("Estate(%d): HTML is %d bytes, over the bound of %d", tc.hosts, len(out), tc.maxBytes)
		}
	}
}

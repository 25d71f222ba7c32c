package render_test

import (
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/report/internal/reporttest"
	"github.com/ntlmscan/ntlmscan/report/render"
	"github.com/ntlmscan/ntlmscan/scanner/facts"
)

// TestSMBProbeSection: every text format shows the share hosts' SMB probe
// facts under a heading naming the controller as the vantage point, with
// host-supplied text escaped; a report without probe facts has no section.
func TestSMBProbeSection(t *testing.T) {
	t.Parallel()
	r := reporttest.DemoFull()
	for i := range r.Hosts {
		switch r.Hosts[i].Host {
		case "NAS01":
			r.Hosts[i].SMB = &facts.SMBProbe{Vantage: facts.VantageController, Target: "127.0.0.42:445", Dialect: "3.1.1",
				SigningEnabled: true, Mechanisms: []string{"ntlmssp"},
				Auth: []facts.SMBAuth{{Account: `NAS01\rr`, Outcome: facts.SMBAuthRefusedPolicy, Status: "STATUS_NTLM_BLOCKED"}}}
		case "FS01":
			r.Hosts[i].SMB = &facts.SMBProbe{Vantage: facts.VantageController, Target: "127.0.0.41:445",
				Error: "connecting to 127.0.0.41:445: refused\x1b[31m"}
		}
	}
	for _, format := range []string{"table", "markdown", "html"} {
		out := string(render1(t, format, r, render.Options{}))
		for _, want := range []string{"from the controller running ntlmscan, not from the Cores",
			"SMB 3.1.1; signing enabled; offers ntlmssp", "refused-by-policy", "no SMB answer: connecting to 127.0.0.41:445"} {
			if !strings.Contains(strings.ToLower(out), strings.ToLower(want)) {
				t.Errorf("%s output lacks %q", format, want)
			}
		}
		if strings.Contains(out, "\x1b[31m") {
			t.Errorf("%s output carries the host's escape sequence", format)
		}
		plain := string(render1(t, format, reporttest.DemoFull(), render.Options{}))
		if strings.Contains(strings.ToLower(plain), "smb probe of share hosts") {
			t.Errorf("%s output has an SMB probe section without probe facts", format)
		}
	}
}

package inventory

import (
	"strings"
	"testing"
)

const lintBase = `defaults:
  domain: corp.example
  winrm:
    credential: scan
credentials:
  scan:
    username: CORP\svc-ntlmscan
    password_env: NTLMSCAN_PASSWORD
  agent01-local:
    username: AGENT01\ntlmscan-local
    password_env: NTLMSCAN_AGENT01_PASSWORD
cores:
  CORE01:
    address: 10.0.0.21
    account: LocalSystem
    agents:
      - {agent: AGENT01, name: agent01.corp.example}
agents:
  AGENT01:
    address: 10.0.0.31
`

// TestLint: each warning rule, on a file that loads, with file:line and a
// fix; the base file has none.
func TestLint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, extra, want string
	}{
		{"clean", "", ""},
		{"orphan agent", "  AGENT02:\n    address: 10.0.0.32\n",
			`inv.yaml:21: warning: agents.AGENT02: agent AGENT02 is protected by no Core in the inventory`},
		{"auto with a local account", "    winrm: {auth: auto, credential: agent01-local}\n",
			`inv.yaml:19: warning: agents.AGENT01.winrm.auth: auth auto uses NTLM for AGENT01: its credential "agent01-local" is the local account "AGENT01\ntlmscan-local"`},
		// No domains: section: CORP\ is still a domain account.
		{"workgroup host with a domain credential", "    workgroup: DMZ\n",
			`inv.yaml:19: warning: agents.AGENT01.winrm.credential: AGENT01 is in workgroup DMZ but is scanned with the domain account "CORP\svc-ntlmscan"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := Parse([]byte(lintBase+tt.extra), "inv.yaml")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range Lint(inv) {
				got = append(got, w.String())
			}
			switch {
			case tt.want == "" && len(got) != 0:
				t.Errorf("warnings %q, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], tt.want) || !strings.Contains(got[0], " (")):
				t.Errorf("warnings %q, want one starting %q with a fix", got, tt.want)
			}
		})
	}
}

package winrmtest

import (
	"strings"
	"testing"
)

// TestMasterzenTransports runs several commands per client through every
// masterzen transport Windows accepts, and checks the answers come from the lab.
func TestMasterzenTransports(t *testing.T) {
	srv := startTestLab(t)
	tests := []struct {
		name       string
		host       string
		tr         transport
		https      bool
		user, pass string
		whoami     string
	}{
		{"basic over https, local account", "TLS1", trBasic, true, "localadmin", "Local-Passw0rd!", `tls1\localadmin`},
		{"basic over http with AllowUnencrypted", "PLAIN1", trBasic, false, `PLAIN1\localadmin`, "Local-Passw0rd!", `plain1\localadmin`},
		{"ClientNTLM with AllowUnencrypted, domain account", "PLAIN1", trNTLM, false, `LAB\scanner`, "Dom-Passw0rd!", `lab\scanner`},
		{"ClientNTLM over https, local account", "TLS1", trNTLM, true, `localadmin`, "Local-Passw0rd!", `tls1\localadmin`},
		{"Encryption(ntlm) with AllowUnencrypted=false, domain account", "SECURE1", trEncryption, false, `LAB\scanner`, "Dom-Passw0rd!", `lab\scanner`},
		{"Encryption(ntlm) UPN", "SECURE1", trEncryption, false, `scanner@lab.example`, "Dom-Passw0rd!", `lab\scanner`},
		{"Encryption(ntlm) local account", "SECURE1", trEncryption, false, `SECURE1\localadmin`, "Local-Passw0rd!", `secure1\localadmin`},
		{"Encryption(ntlm) on 2012 R2", "OLD2012", trEncryption, false, `LAB\scanner`, "Dom-Passw0rd!", `lab\scanner`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(srv.CallsFor(tc.host))
			c := newClient(t, srv, tc.host, tc.tr, tc.https, tc.user, tc.pass, "")
			cmds := []struct {
				cmd, stdout, stderr string
				exit                int
			}{
				{"hostname", tc.host + "\r\n", "", 0},
				{"whoami", tc.whoami + "\r\n", "", 0},
				{"echo hello world", "hello world\r\n", "", 0},
				{"echo out && echo err>&2 && exit 3", "out \r\n", "err \r\n", 3},
				{"ipconfig /all", "", "'ipconfig' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", 1},
			}
			for _, cmd := range cmds {
				stdout, stderr, exit, err := run(t, c, cmd.cmd)
				if err != nil {
					t.Fatalf("%s: %v", cmd.cmd, err)
				}
				if stdout != cmd.stdout || stderr != cmd.stderr || exit != cmd.exit {
					t.Errorf("%s: got (%q, %q, %d), want (%q, %q, %d)", cmd.cmd, stdout, stderr, exit, cmd.stdout, cmd.stderr, cmd.exit)
				}
			}
			calls := srv.CallsFor(tc.host)[before:]
			var creates, deletes int
			for _, c := range calls {
				switch c.Action {
				case "Create":
					creates++
				case "Delete":
					deletes++
				}
				if c.Action != "" && c.Status == 200 && !strings.EqualFold(c.User, strings.ReplaceAll(tc.whoami, `\`, `\`)) {
					t.Errorf("call %s ran as %q, want %q", c.Action, c.User, tc.whoami)
				}
			}
			if creates != len(cmds) || deletes != len(cmds) {
				t.Errorf("Create/Delete = %d/%d, want %d each", creates, deletes, len(cmds))
			}
			if n := srv.OpenShells(tc.host); n != 0 {
				t.Errorf("%d shells left open", n)
			}
		})
	}
}

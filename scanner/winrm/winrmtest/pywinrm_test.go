package winrmtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Debian's python3-* packages install for the system interpreter, not for
// whatever python3 comes first on PATH.
const systemPython = "/usr/bin/python3"

// requireIntegration skips (or, with NTLMSCAN_REQUIRE_INTEGRATION=1, fails)
// when an external component is missing.
func requireIntegration(t *testing.T, what string, err error) {
	t.Helper()
	if os.Getenv("NTLMSCAN_REQUIRE_INTEGRATION") == "1" {
		t.Fatalf("%s is required (NTLMSCAN_REQUIRE_INTEGRATION=1) but unavailable: %v", what, err)
	}
	t.Skipf("%s unavailable (%v); install python3-winrm or set NTLMSCAN_REQUIRE_INTEGRATION=1 to make this a failure", what, err)
}

// TestPywinrmEncrypted proves an independent client (pywinrm 0.3.0 with
// requests-ntlm / ntlm-auth) accepts the simulator's NTLM and message sealing
// against a host with AllowUnencrypted=false.
func TestPywinrmEncrypted(t *testing.T) {
	if out, err := exec.Command(systemPython, "-c", "import winrm").CombinedOutput(); err != nil {
		requireIntegration(t, "pywinrm ("+systemPython+" -c 'import winrm')", fmtErr(err, out))
	}
	srv := startTestLab(t)
	ep, _ := srv.Host("SECURE1")

	tests := []struct {
		name, user, pass, whoami string
	}{
		{"domain account", `LAB\scanner`, "Dom-Passw0rd!", `lab\scanner`},
		{"local account", `SECURE1\localadmin`, "Local-Passw0rd!", `secure1\localadmin`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(srv.CallsFor("SECURE1"))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, systemPython, "testdata/pywinrm_run.py", ep.HTTPURL, tc.user, "hostname", "whoami", "nosuchcommand")
			cmd.Stdin = strings.NewReader(tc.pass + "\n")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("pywinrm failed: %v\n%s", err, stderr.String())
			}
			type result struct {
				Cmd, Stdout, Stderr string
				Status              int
			}
			var got []result
			sc := bufio.NewScanner(bytes.NewReader(out))
			for sc.Scan() {
				var r result
				if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
					t.Fatalf("bad line %q: %v", sc.Text(), err)
				}
				got = append(got, r)
			}
			want := []result{
				{"hostname", "SECURE1\r\n", "", 0},
				{"whoami", tc.whoami + "\r\n", "", 0},
				{"nosuchcommand", "", "'nosuchcommand' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", 1},
			}
			if len(got) != len(want) {
				t.Fatalf("got %d results, want %d: %s", len(got), len(want), out)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("%s: got %+v, want %+v", want[i].Cmd, got[i], want[i])
				}
			}
			// Every SOAP message went sealed, after one handshake per connection.
			var sealed, plain, handshakes int
			for _, c := range srv.CallsFor("SECURE1")[before:] {
				switch {
				case c.Auth == AuthNTLMNegotiate:
					handshakes++
				case c.Action != "" && c.Sealed:
					sealed++
				case c.Action != "":
					plain++
				}
			}
			if sealed == 0 || plain != 0 {
				t.Errorf("sealed=%d plaintext=%d SOAP messages, want all sealed", sealed, plain)
			}
			if handshakes == 0 || handshakes > 2 {
				t.Errorf("%d NTLM handshakes for one pywinrm session, want 1 (2 if it reconnected)", handshakes)
			}
		})
	}
}

func fmtErr(err error, out []byte) error {
	if len(out) == 0 {
		return err
	}
	return &wrappedErr{err, strings.TrimSpace(string(out))}
}

type wrappedErr struct {
	err error
	out string
}

func (w *wrappedErr) Error() string { return w.err.Error() + ": " + w.out }
func (w *wrappedErr) Unwrap() error { return w.err }

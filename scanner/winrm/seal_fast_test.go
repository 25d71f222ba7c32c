package winrm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ntlmscan/ntlmscan/scanner/winrm"
)

// TestFastSealTakesOver: after the first message sealed identically by
// bodgit and the in-place sealer, the in-place sealer carries the whole
// shell conversation (both directions, many messages, large stdin) against
// the simulator's independent NTLM implementation.
func TestFastSealTakesOver(t *testing.T) {
	srv := startLab(t)
	ctx := context.Background()
	for _, user := range []struct{ name, pass string }{{domainUser, domainPass}, {strings.ToLower(domainUser), domainPass}} {
		before := winrm.FastSealConns()
		sess := newSession(t, ctx, endpoint(t, srv, "PLAIN", false), winrm.NewNTLM(user.name, user.pass), 5*time.Second)
		stdin := []byte(strings.Repeat("0123456789abcdef", 4096) + "\r\n")
		for i := range 3 {
			out, err := sess.Run(ctx, "echo ntlmscan", stdin, 1<<20)
			if err != nil {
				t.Fatalf("%s command %d: %v", user.name, i, err)
			}
			if got := strings.TrimSpace(string(out.Stdout)); got != "ntlmscan" || out.ExitCode != 0 {
				t.Fatalf("%s command %d: stdout %q exit %d", user.name, i, got, out.ExitCode)
			}
		}
		if winrm.FastSealConns() <= before {
			t.Errorf("%s: no connection switched to the in-place sealer", user.name)
		}
	}
}

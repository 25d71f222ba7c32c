package scanner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ntlmscan/ntlmscan/scanner/facts"
	"github.com/ntlmscan/ntlmscan/scanner/winrm/winrmtest"
)

const cbtScanLab = `
domains:
  - {name: corp.example, netbios: CORP, users: [{name: svc-scan, password: Test-Only-Scan-1!}]}
hosts:
  - {name: PLAIN08, address: 127.0.8.1, domain: corp.example, os: {build: 20348}}
  - {name: STRICT08, address: 127.0.8.2, domain: corp.example, os: {build: 20348}, winrm: {https: true, cbtHardeningLevel: strict}}
  - {name: PROXY08, address: 127.0.8.3, domain: corp.example, os: {build: 20348}, winrm: {https: true, tlsInterceptingProxy: true}}
`

// TestScanChannelBinding scans over HTTPS: a CbtHardeningLevel=Strict host
// is collected (ntlmscan binds its logons), and a host behind a
// TLS-inspecting proxy is reported as a policy refusal (blocked-suspected:
// one 401 cannot tell the proxy from the policy, and a nightly run must not
// miss a policy break) naming the channel binding and the certificate seen.
func TestScanChannelBinding(t *testing.T) {
	lab, err := winrmtest.ParseLab([]byte(cbtScanLab), "cbt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := startLabValue(t, lab)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	f := newFleet(t, srv, "PLAIN08", "STRICT08", "PROXY08")
	for _, n := range []string{"STRICT08", "PROXY08"} {
		ep, _ := srv.Host(n)
		h := f.host(n)
		h.WinRM.HTTPS, h.WinRM.Port, h.WinRM.CAFile = true, ep.HTTPSPort, ca
	}
	res := Run(context.Background(), f.inv, Options{Password: labPasswords})
	for _, n := range []string{"PLAIN08", "STRICT08"} {
		if r := resultFor(t, res, n); !r.OK() {
			t.Errorf("%s: %+v", n, r.Error)
		}
	}
	e := resultFor(t, res, "PROXY08").Error
	if e == nil || e.Class != facts.ErrAuthNTLMPolicy {
		t.Fatalf("PROXY08: %+v, want %s", e, facts.ErrAuthNTLMPolicy)
	}
	if !strings.Contains(e.Message, "thumbprint") || !strings.Contains(e.Message, "channel binding") || !strings.Contains(e.Hint, "CbtHardeningLevel") {
		t.Errorf("PROXY08: message %q hint %q", e.Message, e.Hint)
	}
}
